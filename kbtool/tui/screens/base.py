"""What every mode screen shares: header, progress line, footer, and live data updates."""

from __future__ import annotations

from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer, Input, TextArea

from kbtool.tui.debounce import Debouncer
from kbtool.tui.widgets.modebar import ModeBar
from kbtool.tui.widgets.taskbar import TaskBar


class KbScreen(Screen[None]):
    """A mode screen. Subclasses compose ``body()`` and react in ``refresh_data(kind)``."""

    @property
    def kb(self) -> Any:
        """The app, typed loosely: it owns articles, reports, detector, store and searcher."""
        return self.app

    MODE = "editor"
    # Actions whose key leads into a text box: `/` to a filter, `t` to the try box, `e` to a
    # dialog. Bind them with ``priority=True``: Textual hands a key to the widget focused when the
    # key is taken off the app's queue, and a normal binding runs only after the key has gone down
    # to that widget and bubbled back up, so keys typed right behind it went to the list (lost, or
    # run as the list's own keys). A priority binding runs before the next key is routed (a dialog
    # opens through ``KbApp.ask``, which waits for its text box). While a text box has the focus
    # these actions are off, so the same key types into the box.
    ENTRY_ACTIONS: ClassVar[frozenset[str]] = frozenset()
    # Actions that leave the text box (Esc back to the list): listed in the footer only then.
    LEAVE_ACTIONS: ClassVar[frozenset[str]] = frozenset()

    def __init__(self) -> None:
        super().__init__()
        self._debouncers: list[Debouncer] = []

    def debouncer(self, delay: float) -> Debouncer:
        """A debouncer of this screen: ``busy`` counts it while a call waits."""
        made = Debouncer(self, delay)
        self._debouncers.append(made)
        return made

    def typing(self) -> bool:
        """A text box (filter, search, draft) has the focus: printable keys are text."""
        focused = self.focused
        return isinstance(focused, Input) or (isinstance(focused, TextArea) and not focused.read_only)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in self.ENTRY_ACTIONS:
            return not self.typing()
        if action in self.LEAVE_ACTIONS:
            return self.typing()
        return True

    @property
    def busy(self) -> bool:
        """A debounced call (a search, a check) or a delayed redraw is still to come."""
        return any(d.pending for d in self._debouncers)

    def compose(self) -> ComposeResult:
        yield ModeBar(self.MODE, self.TITLE or "")
        yield from self.body()
        yield TaskBar()
        yield Footer(compact=True)

    def body(self) -> ComposeResult:
        yield from ()

    def on_mount(self) -> None:
        self.kb.data_changed.subscribe(self, self._data_changed)
        self._update_subtitle()

    def on_screen_resume(self) -> None:
        self._update_subtitle()
        self.query_one(TaskBar).update_from(self.kb)
        self.refresh_data("resume")

    def _data_changed(self, kind: str) -> None:
        if not self.is_current:
            return  # re-read on resume instead
        self.query_one(TaskBar).update_from(self.kb)
        if kind in ("user", "detector", "store"):
            self._update_subtitle()
        if kind != "progress":
            self.refresh_data(kind)

    def _update_subtitle(self) -> None:
        app = self.kb
        pack = app.pack.name if app.pack is not None else (app.options.style or "default")
        kb = app.options.kb_dir.resolve().name or str(app.options.kb_dir)  # the folder, not a long path
        self.query_one(ModeBar).set_text(self.title or self.TITLE or "", f"{kb} · 规则包 {pack}", app.user or "")

    def refresh_data(self, kind: str) -> None:
        """Redraw from the app's state; ``kind`` says what changed (articles, reports, …)."""
