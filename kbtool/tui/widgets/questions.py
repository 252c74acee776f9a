"""An answer's questions (标准问, 相似问) and the wordings the search log suggests adding."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from rich.cells import cell_len
from rich.text import Text
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from kbtool.tui.format import clip

SHOWN_WORDINGS = 3


def question_rows(view: Any, width: int) -> list[Option]:
    """Listed questions as plain rows (not selectable), then one row per suggestion."""
    rows: list[Option] = []

    def plain(label: str, text: str, style: str = "") -> None:
        line = Text(f"{label} ", style="dim")
        line.append(text, style=style)  # whole: a narrow panel wraps it rather than hide the end
        rows.append(Option(line, disabled=True))

    plain("标准问", view.standard, "bold")
    for q in view.similar:
        plain("相似问", q)
    for q in view.learned:
        plain("新问法", q, "italic")  # added from use: approved, or waiting in a draft
    if not view.suggestions:
        rows.append(Option(Text("没有待处理的问法建议（来自坐席的查询记录）", style="dim"), disabled=True))
        return rows
    rows.append(Option(Text(f"问法建议 {len(view.suggestions)}（a 采纳 · x 忽略）", style="bold"), disabled=True))
    for s in view.suggestions:
        line = Text("＋ ", style="green")
        count = f" ×{s.searches}"
        line.append(clip(s.question, max(4, width - 3 - cell_len(count))))
        line.append(count, style="dim")
        others = [f"{t} ×{n}" for t, n in s.wordings if t != s.question][:SHOWN_WORDINGS]
        if others:
            line.append("\n   " + clip("也说：" + "、".join(others), max(4, width - 3)), style="dim")
        rows.append(Option(line, id=s.id))
    return rows


class QuestionList(OptionList):
    """Keys act on the highlighted suggestion; the screen does the work (``Decide``)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "decide('accept')", "采纳问法", id="questions.accept", tooltip="把这个问法加进答案（存为草稿，审核后生效）"),
        Binding("x", "decide('dismiss')", "忽略问法", id="questions.dismiss", tooltip="以后不再建议这个问法"),
    ]

    @dataclass
    class Decide(Message):
        action: str       # accept | dismiss
        suggestion: Any   # querylog.Suggestion

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.view: Any = None

    def show(self, view: Any) -> None:
        self.view = view
        keep = self.highlighted_option.id if self.highlighted_option is not None else None
        self.clear_options()
        width = max(16, self.scrollable_content_region.width - 1)
        self.add_options(question_rows(view, width))
        ids = [s.id for s in view.suggestions]
        if ids:
            self.highlighted = self.get_option_index(keep if keep in ids else ids[0])

    def on_resize(self) -> None:
        if self.view is not None:
            self.show(self.view)

    def current(self) -> Any:
        option = self.highlighted_option
        if option is None or option.id is None or self.view is None:
            return None
        return next((s for s in self.view.suggestions if s.id == option.id), None)

    def action_decide(self, action: str) -> None:
        suggestion = self.current()
        if suggestion is None:
            self.notify("没有选中的问法建议", severity="warning", timeout=3)
            return
        self.post_message(self.Decide(action, suggestion))
