"""审核: the review queue (wired to the review store when it is available)."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import BindingType
from textual.widgets import Static

from kbtool.tui.screens.base import KbScreen


class ReviewScreen(KbScreen):
    TITLE = "审核"
    MODE = "review"
    BINDINGS: ClassVar[list[BindingType]] = []

    def body(self) -> ComposeResult:
        yield Static("审核库还没有接入。", id="review-empty")


class ReviewDetailScreen(KbScreen):
    TITLE = "审核详情"
    MODE = "review"
    BINDINGS: ClassVar[list[BindingType]] = []
