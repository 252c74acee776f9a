"""A TextArea that paints findings over its text.

TextArea has no public API for custom highlight spans (its highlight map is private and
counts UTF-8 bytes); ``get_line`` is the documented hook for styling a line, so marks are
kept as string offsets and turned into per-line columns here, at that boundary only.
"""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.widgets import TextArea

from kbtool.tui.spans import by_row, shift_spans


class MarkedTextArea(TextArea):
    """``set_marks`` takes (start, end, style) spans in string offsets of ``self.text``.

    While the user types, the marks are shifted across each edit (``keep_marks_on_edit``) so
    they stay on their words until fresh ones arrive.
    """

    DEFAULT_CSS = """
    MarkedTextArea { border: round $panel; }
    MarkedTextArea:focus { border: round $accent; }
    """

    def __init__(self, text: str = "", **kwargs: object) -> None:
        # No cursor-line background: it would paint over the marks of the line being edited.
        super().__init__(text, soft_wrap=True, tab_behavior="focus", highlight_cursor_line=False, **kwargs)  # type: ignore[arg-type]
        self._marks: list[tuple[int, int, Style]] = []
        self._marked_text = text
        self._rows: dict[int, list[tuple[int, int, Style]]] = {}

    @property
    def marks(self) -> list[tuple[int, int, Style]]:
        return list(self._marks)

    def set_marks(self, marks: list[tuple[int, int, Style]], text: str | None = None) -> None:
        """Show ``marks``; when they were computed for an older ``text``, shift them first."""
        current = self.text
        if text is not None and text != current:
            marks = shift_spans(marks, text, current)
        self._marks = marks
        self._marked_text = current
        self._rows = by_row(current, marks)
        self.notify_style_update()  # clears TextArea's line cache, which does not know our marks
        self.refresh()

    def load_text(self, text: str) -> None:
        self._marks, self._rows, self._marked_text = [], {}, text
        super().load_text(text)

    def keep_marks_on_edit(self) -> None:
        """Call on ``TextArea.Changed``: carry the marks across the edit just made."""
        if self.text != self._marked_text:
            self.set_marks(shift_spans(self._marks, self._marked_text, self.text))

    def get_line(self, line_index: int) -> Text:
        line = super().get_line(line_index)
        for start, end, style in self._rows.get(line_index, ()):
            line.stylize(style, start, end)
        return line
