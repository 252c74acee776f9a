"""The top line: the four modes with their keys (current one lit), where you are, and who you are."""

from __future__ import annotations

from rich.cells import cell_len
from rich.text import Text
from textual.widget import Widget

from kbtool.tui.format import clip

MODES = (("editor", "F2", "编辑"), ("review", "F3", "审核"), ("agent", "F4", "查询"), ("rules", "F5", "规则"))


class ModeBar(Widget):
    DEFAULT_CSS = """
    ModeBar { height: 1; background: $panel; color: $text; }
    """

    def __init__(self, mode: str, title: str = "", context: str = "", user: str = "") -> None:
        super().__init__()
        self.mode, self.title_text, self.context, self.user = mode, title, context, user

    def set_text(self, title: str | None = None, context: str | None = None, user: str | None = None) -> None:
        if title is not None:
            self.title_text = title
        if context is not None:
            self.context = context
        if user is not None:
            self.user = user
        self.refresh()

    def render(self) -> Text:
        line = Text(" kbtool ", style="bold")
        for mode, key, label in MODES:
            style = "bold reverse" if mode == self.mode else ""
            line.append(" ")
            line.append(f"{key} {label}", style=style)
        line.append("  ")
        # Who is acting decides what they may do (four eyes): the user stays in sight at the
        # right end; a long title or the folder and pack are cut first.
        who = f" 用户 {clip(self.user, 16)} " if self.user else ""
        room = self.size.width - cell_len(line.plain) - cell_len(who) - 1
        tail = self.title_text + (f" · {self.context}" if self.context else "")
        if room > 4:
            shown = clip(tail, room)
            line.append(shown, style="dim" if not self.title_text else "")
            line.append(" " * (room - cell_len(shown) + 1))
        if who and cell_len(line.plain) + cell_len(who) <= self.size.width:
            line.append(who, style="bold")
        return line
