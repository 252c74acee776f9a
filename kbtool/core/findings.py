"""Findings: what a rule found, where, and what to say instead."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from kbtool.core.stylepack import LEVEL_RANK


# Not frozen: a check makes tens of thousands per second, and a frozen dataclass's __init__
# (object.__setattr__ per field) costs three times a plain one. Treat findings as read-only.
@dataclass(slots=True)
class Finding:
    """One flagged span. Offsets are code points into the decoded file text, end exclusive."""

    rule: str
    level: str
    category: str
    start: int
    end: int
    line: int
    column: int
    text: str
    message: str
    suggestions: tuple[str, ...] = ()
    score: float = 100.0
    safe: bool = False
    scope: str = "word"  # "word" findings never overlap; "sentence" findings cover a sentence

    def to_dict(self) -> dict[str, object]:
        data = asdict(self)
        data["suggestions"] = list(self.suggestions)
        return data

    @property
    def rank(self) -> int:
        return LEVEL_RANK[self.level]


def at_or_above(findings: list[Finding], level: str) -> list[Finding]:
    limit = LEVEL_RANK[level]
    return [f for f in findings if LEVEL_RANK[f.level] <= limit]
