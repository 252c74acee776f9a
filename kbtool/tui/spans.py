"""Keeping highlight spans in place while text is edited, and offsets to rows and columns.

The draft is re-checked off the UI thread after a pause in typing; until the new findings
arrive the old ones are shifted across the edit so the marks stay on the words they flag.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")


def changed_region(old: str, new: str) -> tuple[int, int, int]:
    """(start, old_end, new_end): ``old[start:old_end]`` became ``new[start:new_end]``."""
    limit = min(len(old), len(new))
    start = 0
    while start < limit and old[start] == new[start]:
        start += 1
    tail = 0
    while tail < limit - start and old[len(old) - 1 - tail] == new[len(new) - 1 - tail]:
        tail += 1
    return start, len(old) - tail, len(new) - tail


def shift_spans(spans: Sequence[tuple[int, int, T]], old: str, new: str) -> list[tuple[int, int, T]]:
    """Spans of ``old`` carried over to ``new``; spans the edit touched are dropped."""
    if old == new:
        return list(spans)
    start, old_end, new_end = changed_region(old, new)
    delta = new_end - old_end
    out = []
    for s, e, payload in spans:
        if e <= start:
            out.append((s, e, payload))
        elif s >= old_end:
            out.append((s + delta, e + delta, payload))
    return out


def line_starts(text: str) -> list[int]:
    starts = [0]
    pos = text.find("\n")
    while pos != -1:
        starts.append(pos + 1)
        pos = text.find("\n", pos + 1)
    return starts


def to_location(starts: list[int], offset: int) -> tuple[int, int]:
    """A string offset to (row, column), both in code points as TextArea counts them."""
    row = bisect.bisect_right(starts, offset) - 1
    return row, offset - starts[row]


def by_row(text: str, spans: Sequence[tuple[int, int, T]]) -> dict[int, list[tuple[int, int, T]]]:
    """Split spans at line ends: row -> [(start column, end column, payload)]."""
    starts = line_starts(text)
    rows: dict[int, list[tuple[int, int, T]]] = {}
    for s, e, payload in spans:
        s, e = max(0, s), min(len(text), e)
        if e <= s:
            continue
        row, col = to_location(starts, s)
        while True:
            line_end = starts[row + 1] - 1 if row + 1 < len(starts) else len(text)
            stop = min(e, line_end)
            if stop > starts[row] + col or stop == e:
                rows.setdefault(row, []).append((col, stop - starts[row], payload))
            if e <= line_end or row + 1 >= len(starts):
                break
            row, col = row + 1, 0
    return rows
