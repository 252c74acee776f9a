"""A list of rows in fixed columns that draws only what is on screen.

DataTable measures and stores every cell as rows are added: 10,000 articles take seconds to
load and again on every re-sort. Here the rows are plain data; ``render_line`` formats the
visible ones (columns cut and padded by terminal cells, so Chinese lines up) and caches them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from kbtool.tui.format import fit


@dataclass(frozen=True)
class Column:
    label: str
    width: int | None  # None: takes the width left over (one such column)
    align: str = "left"


Cell = str | Text


class RowList(ScrollView, can_focus=True):
    """Rows of cells under a header line; one row is the cursor."""

    DEFAULT_CSS = """
    RowList { height: 1fr; overflow-x: hidden; }
    RowList > .rowlist--header { text-style: bold; color: $text-accent; }
    RowList > .rowlist--cursor { background: $block-cursor-blurred-background; }
    RowList:focus > .rowlist--cursor { background: $block-cursor-background; color: $block-cursor-foreground; text-style: bold; }
    RowList > .rowlist--even { background: $surface-lighten-1 10%; }
    """
    COMPONENT_CLASSES: ClassVar[set[str]] = {"rowlist--header", "rowlist--cursor", "rowlist--even"}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "cursor(-1)", "上一行", id="rowlist.up", show=False),
        Binding("down", "cursor(1)", "下一行", id="rowlist.down", show=False),
        Binding("pageup", "page(-1)", "上一页", id="rowlist.pageup", show=False),
        Binding("pagedown", "page(1)", "下一页", id="rowlist.pagedown", show=False),
        Binding("home", "jump(0)", "第一行", id="rowlist.first", show=False),
        Binding("end", "jump(-1)", "最后一行", id="rowlist.last", show=False),
        Binding("enter", "select", "打开", id="rowlist.select", key_display="回车"),
    ]

    cursor = reactive(0, always_update=True)

    class Highlighted(Message):
        def __init__(self, rowlist: RowList, key: str | None) -> None:
            super().__init__()
            self.rowlist, self.key = rowlist, key

        @property
        def control(self) -> RowList:
            return self.rowlist

    class Selected(Message):
        def __init__(self, rowlist: RowList, key: str) -> None:
            super().__init__()
            self.rowlist, self.key = rowlist, key

        @property
        def control(self) -> RowList:
            return self.rowlist

    def __init__(self, columns: Sequence[Column], cells: Callable[[Any], Sequence[Cell]], *, id: str | None = None) -> None:
        """``cells(item)`` formats one item; it is called only for rows on screen."""
        super().__init__(id=id)
        self.columns = list(columns)
        self._cells = cells
        self._keys: list[str] = []
        self._rows: list[Any] = []
        self._cache: LRUCache[tuple[int, int, bool, bool], Strip] = LRUCache(256)

    # -- data ---------------------------------------------------------------------------------

    @property
    def row_count(self) -> int:
        return len(self._rows)

    @property
    def keys(self) -> list[str]:
        return list(self._keys)

    @property
    def current_key(self) -> str | None:
        return self._keys[self.cursor] if 0 <= self.cursor < len(self._keys) else None

    def set_rows(self, keys: list[str], items: list[Any], keep: str | None = None) -> None:
        """Replace every row; the cursor stays on ``keep`` when it is still there, else row 0."""
        self._keys = keys
        self._rows = items
        self._cache.clear()
        self.virtual_size = Size(self.size.width, len(self._rows) + 1)
        index = self._keys.index(keep) if keep is not None and keep in self._keys else 0
        self.cursor = min(index, max(0, len(self._rows) - 1))
        self._scroll_to_cursor()
        self.refresh()

    def update_row(self, key: str, item: Any) -> None:
        """Change one row in place (same position)."""
        try:
            index = self._keys.index(key)
        except ValueError:
            return
        self._rows[index] = item
        self._cache.clear()
        self.refresh()

    # -- drawing ------------------------------------------------------------------------------

    def _widths(self, total: int) -> list[int]:
        fixed = sum(c.width or 0 for c in self.columns) + len(self.columns)  # one space before each column
        flex = max(4, total - fixed)
        return [c.width if c.width is not None else flex for c in self.columns]

    def _line(self, cells: Sequence[Cell], widths: list[int], style: Style) -> Strip:
        text = Text(style=style, no_wrap=True, end="")
        for column, cell, width in zip(self.columns, cells, widths, strict=False):
            text.append(" ")
            plain = cell.plain if isinstance(cell, Text) else cell
            if column.align == "right" and cell_len(plain) <= width:
                shown = " " * (width - cell_len(plain)) + plain
            else:
                shown = fit(plain, width)
            piece = Text(shown)
            if isinstance(cell, Text):
                piece.stylize(cell.style, 0, len(shown))
                for span in cell.spans:
                    piece.stylize(span.style, span.start, min(span.end, len(shown)))
            text.append_text(piece)
        segments = list(text.render(self.app.console))
        strip = Strip(Segment.apply_style(segments, style), text.cell_len)
        return strip.adjust_cell_length(self.row_width, style)

    @property
    def row_width(self) -> int:
        """The cells a row has: the widget's width less the scrollbar (a long list has one)."""
        return self.scrollable_content_region.width

    def render_line(self, y: int) -> Strip:
        width = self.row_width
        base = self.rich_style
        if y == 0:
            header = base + self.get_component_rich_style("rowlist--header")
            return self._line([c.label for c in self.columns], self._widths(width), header)
        index = self.scroll_offset.y + y - 1
        if index >= len(self._rows):
            return Strip.blank(width, base)
        is_cursor = index == self.cursor
        key = (index, width, is_cursor, self.has_focus)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        style = base
        if index % 2:
            style = style + self.get_component_rich_style("rowlist--even")
        if is_cursor:
            style = style + self.get_component_rich_style("rowlist--cursor")
        strip = self._line(self._cells(self._rows[index]), self._widths(width), style)
        self._cache[key] = strip
        return strip

    def on_resize(self) -> None:
        self._cache.clear()
        self.virtual_size = Size(self.size.width, len(self._rows) + 1)

    def on_focus(self) -> None:
        self._cache.clear()
        self.refresh()

    def on_blur(self) -> None:
        self._cache.clear()
        self.refresh()

    # -- moving -------------------------------------------------------------------------------

    def watch_cursor(self, old: int, new: int) -> None:
        self._cache.clear()
        self.refresh()
        self.post_message(self.Highlighted(self, self.current_key))

    def _scroll_to_cursor(self) -> None:
        visible = max(1, self.size.height - 1)  # the header takes one line
        top = self.scroll_offset.y
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False)
        elif self.cursor >= top + visible:
            self.scroll_to(y=self.cursor - visible + 1, animate=False)

    def _move_to(self, index: int) -> None:
        if not self._rows:
            return
        self.cursor = max(0, min(len(self._rows) - 1, index))
        self._scroll_to_cursor()

    def action_cursor(self, step: int) -> None:
        self._move_to(self.cursor + step)

    def action_page(self, step: int) -> None:
        self._move_to(self.cursor + step * max(1, self.size.height - 2))

    def action_jump(self, index: int) -> None:
        self._move_to(index if index >= 0 else len(self._rows) - 1)

    def action_select(self) -> None:
        key = self.current_key
        if key is not None:
            self.post_message(self.Selected(self, key))

    def on_click(self, event: events.Click) -> None:
        if event.y == 0:
            return
        index = self.scroll_offset.y + event.y - 1
        if 0 <= index < len(self._rows):
            self._move_to(index)
            if event.chain > 1:
                self.action_select()

    def move_to_key(self, key: str) -> None:
        if key in self._keys:
            self._move_to(self._keys.index(key))
