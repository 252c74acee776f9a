"""Run the last of a burst of calls once the burst pauses (search as you type, live checks)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.timer import Timer


class Debouncer:
    """``debouncer(callback)`` runs ``callback`` after ``delay`` seconds unless called again first.

    ``pending`` says a call is waiting: the screen reports it as busy, so tests (and anything
    else that needs a settled screen) can wait for the result instead of sleeping a guess.
    """

    def __init__(self, owner: Any, delay: float) -> None:
        self._owner = owner  # a DOM node: its timers stop when it is removed
        self.delay = delay
        self._timer: Timer | None = None
        self._callback: Callable[[], object] | None = None

    @property
    def pending(self) -> bool:
        return self._callback is not None

    def __call__(self, callback: Callable[[], object], delay: float | None = None) -> None:
        self.cancel()
        wait = self.delay if delay is None else delay
        self._callback = callback
        if wait <= 0:
            self.fire()
        else:
            self._timer = self._owner.set_timer(wait, self.fire)

    def fire(self) -> None:
        """Run the waiting call now (Enter in a search box does not wait for the pause)."""
        callback = self._callback
        self.cancel()
        if callback is not None:
            callback()

    def cancel(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        self._callback = None
