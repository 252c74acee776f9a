"""The command palette's dynamic entries: modes, articles to open, approved answers.

Key bindings come in through ``KbApp.get_system_commands``; this provider adds what changes
with the data, so everything the app knows about is one ctrl+p away.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from textual.command import DiscoveryHit, Hit, Hits, Provider

from kbtool.tui.format import KIND_LABEL, clip

MAX_ARTICLE_HITS = 30


class KbCommands(Provider):
    """Switch mode, open an article in the editor, look an answer up."""

    def _modes(self) -> list[tuple[str, str, Any]]:
        app: Any = self.app
        return [
            (f"切换到：{label}", f"打开{label}界面", partial(app.action_mode, mode))
            for mode, label in app.MODE_LABEL.items()
        ]

    def _open_article(self, article_id: str) -> None:
        app: Any = self.app
        app.action_mode("editor")
        app.call_later(app.screen.open_article, article_id)

    def _search_answer(self, query: str) -> None:
        app: Any = self.app
        app.action_mode("agent")
        app.call_later(app.screen.search_for, query)

    async def discover(self) -> Hits:
        for text, help_text, command in self._modes():
            yield DiscoveryHit(text, command, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for text, help_text, command in self._modes():
            score = matcher.match(text)
            if score > 0:
                yield Hit(score, matcher.highlight(text), command, help=help_text)
        app: Any = self.app
        count = 0
        for article in list(app.catalog.values()):
            text = f"打开文章：{clip(article.title, 48)}"
            score = max(matcher.match(text), matcher.match(article.id))
            if score > 0:
                kind = KIND_LABEL.get(article.kind, article.kind)
                yield Hit(score * 0.9, matcher.highlight(text), partial(self._open_article, article.id),
                          text=text, help=f"{article.id} · {kind} · {article.category}")
                count += 1
                if count >= MAX_ARTICLE_HITS:
                    break
        if query.strip():
            text = f"查询答案：{query.strip()}"
            yield Hit(0.5, text, partial(self._search_answer, query.strip()), text=text, help="在查询界面搜索这句话")
