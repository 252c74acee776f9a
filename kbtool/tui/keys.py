"""Key timing: a key bound with priority runs before keys typed just ahead of it are handled."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def after_typed(node: Any, callback: Callable[[], object]) -> None:
    """Run ``callback`` once the focused widget has handled the keys already sent to it.

    The app runs a priority binding (Ctrl+S, Ctrl+T) as it takes the key off its queue, while
    the keys typed just before may still wait in the text box's own queue: read at once, the box
    would miss its last characters. The box runs the callback after them instead.
    """
    target = node.app.focused or node
    if not target.call_later(callback):  # the box is closing: nothing is waiting in it
        callback()
