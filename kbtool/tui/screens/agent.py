"""查询: the agent types the caller's words; ranked answers appear as they type, the spoken
answer large, compliance scripts boxed apart, one key to copy.
"""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.timer import Timer
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from kbtool.tui.format import clip, marked
from kbtool.tui.messages import SearchDone, StoreRefused
from kbtool.tui.screens.base import KbScreen
from kbtool.tui.widgets.wrapped import WrappedText

SEARCH_DEBOUNCE = 0.12
# An answer kept on screen this long, for the same query, counts as opened: the agent is
# reading it to the caller. (Enter on a result and copying count at once.)
DWELL_SECONDS = 4.0
STATUS_BADGE = {
    "approved": ("✓", "#57ab5a"), "stale": ("!", "#e0a526"), "in_review": ("·", "#768390"),
    "draft": ("·", "#768390"), "none": ("·", "#768390"),
}
HIGHLIGHT = "bold reverse"


class AgentScreen(KbScreen):
    TITLE = "查询"
    MODE = "agent"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("down", "pick(1)", "下一条", id="agent.next", show=False),
        Binding("up", "pick(-1)", "上一条", id="agent.prev", show=False),
        Binding("ctrl+y", "copy", "复制答案", id="agent.copy", priority=True),
        Binding("ctrl+f", "flag", "报错", id="agent.flag", priority=True, tooltip="标记这条答案有误或过时"),
        Binding("escape", "clear", "清空", id="agent.clear"),
    ]

    def body(self) -> ComposeResult:
        yield Input(placeholder="来电人怎么说就怎么输，例如：卡丢了怎么办", id="agent-query")
        with Horizontal(id="agent-main"):
            yield OptionList(id="agent-results")
            with Vertical(id="agent-right"):
                with VerticalScroll(id="agent-answer"):
                    yield WrappedText(id="agent-answer-body")
                with VerticalScroll(id="agent-verbatim"):
                    yield WrappedText(id="agent-verbatim-body")
        yield Static(id="agent-why")

    def on_mount(self) -> None:
        super().on_mount()
        self._debounce = self.debouncer(SEARCH_DEBOUNCE)
        self._results: list[Any] = []
        self._query = ""
        self._logged: set[tuple[str, str]] = set()  # (article id, action) logged for the current results
        self._dwell: Timer | None = None
        self.query_one("#agent-results").border_title = "结果"
        self.query_one("#agent-answer").border_title = "答案"
        self.query_one("#agent-verbatim").border_title = "合规话术（照读）"
        self.query_one("#agent-verbatim").display = False
        self.set_focus(self.query_one(Input))
        self._show_state()

    def refresh_data(self, kind: str) -> None:
        if kind in ("search", "failed", "resume"):
            self._show_state()
            if kind == "search" and self.query_one(Input).value.strip():
                self._search(self.query_one(Input).value)

    def _show_state(self) -> None:
        if self._results:
            return
        app = self.kb
        body = self.query_one("#agent-answer-body", WrappedText)
        if app.search_index is None:
            if "search" in app.tasks.running or "catalog" in app.tasks.running or "detector" in app.tasks.running:
                body.set_text(Text("正在准备检索…（可以先输入）", style="dim"))
            else:
                body.set_text(Text("检索不可用：审核库没有打开。", style="dim"))
        elif not self.query_one(Input).value.strip():
            body.set_text(Text("输入来电人说的话，结果随打随出。\n↑↓ 选择 · Ctrl+Y 复制答案 · Ctrl+F 报错", style="dim"))

    def on_resize(self) -> None:
        if self._results:
            keep = self.query_one("#agent-results", OptionList).highlighted
            self._fill(self._results)
            if keep is not None:
                self.query_one("#agent-results", OptionList).highlighted = keep

    # -- searching as the agent types --------------------------------------------------------------

    @on(Input.Changed, "#agent-query")
    def _changed(self, event: Input.Changed) -> None:
        value = event.value
        self._stop_dwell()  # typing on: the answer on screen is not the one being read
        self._debounce(lambda: self._search(value))

    @on(Input.Submitted, "#agent-query")
    def _submitted(self, event: Input.Submitted) -> None:
        """Enter: search now; on results already shown for these words, open the highlighted one."""
        if self._debounce.pending or event.value != self._query or not self._results:
            self._debounce.cancel()
            self._search(event.value)
            return
        self._open_current()

    @on(OptionList.OptionSelected, "#agent-results")
    def _selected(self) -> None:
        self._open_current()

    def _open_current(self) -> None:
        result = self._current()
        if result is not None:
            self._log_open(result.id, "open")
            self.query_one("#agent-why", Static).update(Text(f"已打开：{clip(result.title, 40)}", style="dim"))

    def search_for(self, query: str) -> None:
        """Run a search from outside (the command palette)."""
        self.query_one(Input).value = query
        self._search(query)

    def _search(self, query: str) -> None:
        self._query = query
        if not query.strip():
            self._fill([])
            self._flush_log()
            return
        if self.kb.search_index is None:
            self._show_state()
            return
        self.run_search(self.kb.search_index, query)

    @work(thread=True, exclusive=True, exit_on_error=False, group="agent-search")
    def run_search(self, index: Any, query: str) -> None:
        from kbtool.core.errors import KbInputError
        from kbtool.tui import services

        try:
            self.post_message(SearchDone(query, services.search(index, query)))
        except KbInputError as exc:
            self.post_message(SearchDone(query, None, str(exc.problems[0])))

    def on_search_done(self, message: SearchDone) -> None:
        if message.query != self.query_one(Input).value:
            return  # the agent typed on: a newer search is coming
        if message.response is None:
            self.notify(message.error, title="检索出错", severity="error", timeout=6)
            return
        self._fill(list(message.response.results))
        self._logged = set()
        if self.kb.search_log is not None:
            self.kb.search_log.searched(message.response.query, message.response.shown)
        # No elapsed time on screen: it would differ run to run (benchmarks/search_bench.py measures it).
        self.query_one("#agent-results").border_title = f"结果 {len(self._results)}"

    def _fill(self, results: list[Any]) -> None:
        self._results = results
        options = self.query_one("#agent-results", OptionList)
        options.clear_options()
        # After "NN ✓ " (5 cells), leaving room for a scrollbar that may appear once filled.
        width = max(6, options.scrollable_content_region.width - 8)
        for i, r in enumerate(results, 1):
            icon, color = STATUS_BADGE.get(r.status, ("·", "#768390"))
            line = Text(f"{i:>2} ", style="dim")
            line.append(icon, style=f"bold {color}")
            line.append(" " + clip(r.title, width))
            options.add_option(Option(line, id=r.id))
        if results:
            options.highlighted = 0
        else:
            self.query_one("#agent-verbatim").display = False
            self.query_one("#agent-why", Static).update("")
            self.query_one("#agent-answer").border_title = "答案"  # not the last answer's title
            if self._query.strip() and self.kb.search_index is not None:
                self.query_one("#agent-answer-body", WrappedText).set_text(Text("没有找到。换个说法试试，比如说出业务名称。", style="dim"))
            else:
                self._show_state()
        self._show_answer()

    @on(OptionList.OptionHighlighted, "#agent-results")
    def _picked(self) -> None:
        self._show_answer()

    def _current(self) -> Any:
        index = self.query_one("#agent-results", OptionList).highlighted
        if index is None or index >= len(self._results):
            return None
        return self._results[index]

    def _show_answer(self) -> None:
        self._stop_dwell()
        result = self._current()
        if result is None:
            return
        self._dwell = self.set_timer(DWELL_SECONDS, lambda: self._log_open(result.id, "open"))
        from kbtool.services.search import highlight_spans, plain_answer

        answer = plain_answer(result.answer)
        terms = {w.matched for w in result.why if w.kind in ("words", "synonym", "pinyin")}
        text = marked(answer, [(s, e, HIGHLIGHT) for s, e in highlight_spans(answer, terms)])
        text.stylize("bold")
        head = Text()
        if not result.spoken:
            head.append("还没有审核通过的口语版，下面是原文：\n", style="bold #e0a526")
        for label in result.labels:
            head.append(f"【{label}】", style="bold #e0a526")
        if result.labels:
            head.append("\n")
        head.append_text(text)
        self.query_one("#agent-answer-body", WrappedText).set_text(head)
        box = self.query_one("#agent-answer")
        box.border_title = f"答案 · {clip(result.title, 40)}"
        box.scroll_home(animate=False)
        verbatim = self.query_one("#agent-verbatim")
        verbatim.display = bool(result.verbatim)
        self.query_one("#agent-verbatim-body", WrappedText).set_text(Text("\n\n".join(result.verbatim)))
        why = "、".join(w.describe() for w in result.why[:4])
        self.query_one("#agent-why", Static).update(Text(f"匹配：{why}" if why else "", style="dim"))

    # -- the search log: queued for its own thread, never waited for here ------------------------

    def _log_open(self, article_id: str, action: str) -> None:
        log = self.kb.search_log
        if log is None or (article_id, action) in self._logged:
            return
        self._logged.add((article_id, action))
        log.opened(article_id, action)

    def _stop_dwell(self) -> None:
        if self._dwell is not None:
            self._dwell.stop()
            self._dwell = None

    def _flush_log(self) -> None:
        self._stop_dwell()
        if self.kb.search_log is not None:
            self.kb.search_log.flush()

    def on_screen_suspend(self) -> None:
        self._flush_log()  # another mode or a dialog: the search the agent was on is over

    # -- actions ----------------------------------------------------------------------------------

    def action_pick(self, step: int) -> None:
        options = self.query_one("#agent-results", OptionList)
        if not self._results:
            return
        options.highlighted = ((options.highlighted or 0) + step) % len(self._results)

    def action_copy(self) -> None:
        result = self._current()
        if result is None:
            self.notify("没有可复制的答案", severity="warning", timeout=3)
            return
        from kbtool.services.search import plain_answer

        self.app.copy_to_clipboard(plain_answer(result.answer))
        self._log_open(result.id, "copy")
        self.notify(f"已复制：{clip(result.title, 30)}", timeout=3)

    def action_clear(self) -> None:
        query = self.query_one(Input)
        query.value = ""
        self.set_focus(query)
        self._flush_log()

    async def action_flag(self) -> None:
        result = self._current()
        if result is None or self.kb.store is None:
            self.notify("先选中一条答案", severity="warning", timeout=3)
            return
        from kbtool.tui.screens.dialogs import TextPrompt

        def done(reason: str | None) -> None:
            if reason:
                self.flag_answer(result.id, reason)

        await self.kb.ask(TextPrompt("报告答案有误", f"「{clip(result.title, 24)}」哪里不对？", ""), done)

    @work(thread=True, exclusive=False, exit_on_error=False, group="store-write")
    def flag_answer(self, article_id: str, reason: str) -> None:
        from kbtool.core.errors import KbInputError

        try:
            self.kb.store.flag(article_id, reason, user=self.kb.user)
        except KbInputError as exc:
            self.post_message(StoreRefused("flag", str(exc.problems[0])))
            return
        self.app.call_from_thread(self.notify, "已转给编辑处理", title="已报错", timeout=4)

    def on_store_refused(self, message: StoreRefused) -> None:
        self.notify(message.message, title="没有办成", severity="error", timeout=8)
