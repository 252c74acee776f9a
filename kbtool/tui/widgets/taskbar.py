"""The line that shows long work in progress (loading, checking, syncing, indexing)."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Label, ProgressBar


class TaskBar(Horizontal):
    DEFAULT_CSS = """
    TaskBar { height: 1; display: none; padding: 0 1; background: $boost; }
    TaskBar.-busy { display: block; }
    TaskBar Label { width: 1fr; color: $text-muted; }
    TaskBar ProgressBar { width: 24; }
    """

    def compose(self) -> ComposeResult:
        yield Label()
        yield ProgressBar(show_eta=False, show_percentage=True)

    def update_from(self, app: Any) -> None:
        running = app.tasks.running
        self.set_class(bool(running), "-busy")
        if not running:
            return
        self.query_one(Label).update(app.progress_text())
        # The bar follows the one task that knows its total; others just show their label.
        known = [(done, total) for _, done, total in running.values() if total]
        bar = self.query_one(ProgressBar)
        if known:
            bar.update(total=known[0][1], progress=known[0][0])
        else:
            bar.update(total=None)
