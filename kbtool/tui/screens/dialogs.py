"""Small modal dialogs: one line of text (an edited replacement, a comment, a user name)."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, TextArea

from kbtool.tui.keys import after_typed


class Dialog(ModalScreen[str | None]):
    """A dialog with one text box; open it with ``KbApp.ask`` so early keys reach the box."""

    def focus_entry(self) -> None:
        self.set_focus(self.query_one("#dialog-input, #dialog-comment"))


class TextPrompt(Dialog):
    """Ask for one line; Enter returns it, Escape returns None."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "取消", id="dialog.cancel")]

    def __init__(self, title: str, prompt: str, value: str = "", allow_empty: bool = False) -> None:
        super().__init__()
        self._title, self._prompt, self._value, self._allow_empty = title, prompt, value, allow_empty

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog") as box:
            box.border_title = self._title
            yield Label(self._prompt)
            yield Input(self._value, id="dialog-input")
            yield Label("回车确认 · Esc 取消", classes="dialog-help")

    @on(Input.Submitted)
    def _submit(self, event: Input.Submitted) -> None:
        if not event.value.strip() and not self._allow_empty:
            self.notify("不能为空", severity="warning", timeout=3)
            return
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)


class CommentPrompt(Dialog):
    """Ask for a comment of several lines; ctrl+s returns it, Escape returns None."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "done", "确定", id="dialog.done", priority=True),
        Binding("escape", "cancel", "取消", id="dialog.cancel"),
    ]

    def __init__(self, title: str, prompt: str, required: bool = True) -> None:
        super().__init__()
        self._title, self._prompt, self._required = title, prompt, required

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog") as box:
            box.border_title = self._title
            yield Label(self._prompt)
            yield TextArea(id="dialog-comment", soft_wrap=True, tab_behavior="focus")
            yield Label("Ctrl+S 确定 · Esc 取消", classes="dialog-help")

    def action_done(self) -> None:
        after_typed(self, self._done)  # the last characters typed before Ctrl+S count

    def _done(self) -> None:
        text = self.query_one(TextArea).text.strip()
        if self._required and not text:
            self.notify("请写明理由", severity="warning", timeout=3)
            return
        self.dismiss(text)

    def action_cancel(self) -> None:
        self.dismiss(None)
