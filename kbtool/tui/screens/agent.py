"""查询: agent search (wired to the search service when it is available)."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import BindingType
from textual.widgets import Static

from kbtool.tui.screens.base import KbScreen


class AgentScreen(KbScreen):
    TITLE = "查询"
    MODE = "agent"
    BINDINGS: ClassVar[list[BindingType]] = []

    def body(self) -> ComposeResult:
        yield Static("检索还没有接入。", id="agent-empty")

    def search_for(self, query: str) -> None:
        self.notify("检索还没有接入", severity="warning")
