"""Applying replacements to text: right to left, so earlier offsets stay valid."""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass

from kbtool.core.findings import Finding


@dataclass(frozen=True)
class Edit:
    start: int
    end: int
    replacement: str


def apply_edits(text: str, edits: Iterable[Edit]) -> str:
    """Apply non-overlapping edits; overlapping ones are a programming error."""
    ordered = sorted(edits, key=lambda e: (e.start, e.end))
    for prev, nxt in itertools.pairwise(ordered):
        if nxt.start < prev.end:
            raise ValueError(f"overlapping edits at {prev.start}-{prev.end} and {nxt.start}-{nxt.end}")
    for edit in reversed(ordered):
        if not 0 <= edit.start <= edit.end <= len(text):
            raise ValueError(f"edit {edit.start}-{edit.end} outside text of length {len(text)}")
        text = text[: edit.start] + edit.replacement + text[edit.end:]
    return text


def first_suggestion_edits(findings: Iterable[Finding], safe_only: bool = False) -> list[Edit]:
    """One edit per word-level finding that has a suggestion (its first)."""
    return [
        Edit(f.start, f.end, f.suggestions[0])
        for f in findings
        if f.scope == "word" and f.suggestions and (f.safe or not safe_only)
    ]
