"""Messages posted by workers (and a few widgets). Small dataclasses; handlers own the state.

Workers never touch widgets: they post one of these and return. Progress messages collapse
with ``can_replace`` so a fast worker cannot flood the queue.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from textual.message import Message


@dataclass
class Progress(Message):
    """Long work advancing: ``done`` of ``total`` (total 0 = unknown)."""

    task: str
    label: str
    done: int
    total: int

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, Progress) and message.task == self.task


@dataclass
class KbLoaded(Message):
    """Articles parsed from the knowledge base (problems are files that could not be read)."""

    articles: list[Any]
    problems: list[Any] = field(default_factory=list)


@dataclass
class DetectorReady(Message):
    """The pack is loaded and compiled; the segmenter's dictionary is in memory."""

    pack: Any
    detector: Any


@dataclass
class ReportsReady(Message):
    """A batch of article reports (findings and metrics), keyed by article id."""

    reports: dict[str, Any]
    final: bool = False


@dataclass
class StoreReady(Message):
    """The review store is open and synced with the knowledge base."""

    store: Any
    summary: str = ""


@dataclass
class SearchReady(Message):
    """The agent search index is ready."""

    searcher: Any


@dataclass
class Failed(Message):
    """Background work failed with a message meant for the user (never a traceback)."""

    task: str
    message: str
    severity: str = "error"


@dataclass
class TextChecked(Message):
    """A free text (draft, sentence) checked: ``text`` is exactly what was checked."""

    purpose: str
    text: str
    findings: list[Any]
    metrics: Any
    facts: Any = None
    note: str = ""
