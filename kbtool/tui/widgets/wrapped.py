"""A Static whose text wraps the way Chinese does (see ``format.wrap_text``)."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from kbtool.tui.format import wrap_text


class WrappedText(Static):
    """Set ``text`` with ``set_text``; it is wrapped again whenever the width changes."""

    def __init__(self, text: Text | str = "", **kwargs: object) -> None:
        super().__init__("", **kwargs)  # type: ignore[arg-type]
        self._text = Text(text) if isinstance(text, str) else text
        self._width = 0

    def set_text(self, text: Text | str) -> None:
        self._text = Text(text) if isinstance(text, str) else text
        self._rewrap()

    def _rewrap(self) -> None:
        self._width = self.content_region.width or self.size.width
        if self._width <= 0:
            self.update(self._text)
            return
        self.update(wrap_text(self._text, self._width))

    def on_resize(self) -> None:
        if (self.content_region.width or self.size.width) != self._width:
            self._rewrap()

    def on_mount(self) -> None:
        self.call_after_refresh(self._rewrap)

    @property
    def plain(self) -> str:
        return self._text.plain
