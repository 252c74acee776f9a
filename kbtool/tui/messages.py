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
class CatalogReady(Message):
    """The article list: from the review store (``store`` set) or parsed from the files."""

    entries: list[Any]
    problems: list[Any] = field(default_factory=list)
    store: Any = None
    note: str = ""


@dataclass
class EntryChanged(Message):
    """One article's workflow state changed (saved, submitted, approved …)."""

    entry: Any


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
class SearchReady(Message):
    """The agent search index is ready."""

    index: Any


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


@dataclass
class ArticleOpened(Message):
    """An article is ready for the editor (``opened`` is services.Opened), or could not open."""

    opened: Any
    error: str = ""


@dataclass
class DraftStored(Message):
    """A save (and maybe a submit) went through; ``entry`` is the article's new list entry."""

    article_id: str
    revision: int
    text: str
    entry: Any
    submitted: bool = False


@dataclass
class StoreRefused(Message):
    """The store said no (conflict, permission, state): ``message`` is its one-line reason."""

    action: str
    message: str
    head: int | None = None  # on a save conflict: the revision that won
    copy: int | None = None  # on a save conflict: where this text was kept


@dataclass
class ReviewQueueLoaded(Message):
    """The articles waiting for review: [(services.Entry, store Revision)]."""

    queue: list[Any]


@dataclass
class ReviewLoaded(Message):
    """What a reviewer looks at (services.review's ReviewView), or why it could not load."""

    view: Any
    error: str = ""
    questions: Any = None  # querylog.QuestionChanges of the revision under review


@dataclass
class ReviewDone(Message):
    """A review decision went through."""

    action: str
    revision: int
    entry: Any


@dataclass
class SearchDone(Message):
    """Search results for ``query`` (a services.search SearchResponse), or an error."""

    query: str
    response: Any
    error: str = ""


@dataclass
class LogReady(Message):
    """The store's search log is open (``log`` is a QueryLog)."""

    log: Any


@dataclass
class QuestionsLoaded(Message):
    """An article's questions and pending suggestions (services.QuestionsView), or why not."""

    article_id: str
    view: Any
    error: str = ""


@dataclass
class QuestionDecided(Message):
    """A suggestion was accepted (``revision`` is the draft carrying it) or dismissed."""

    action: str                   # accept | dismiss
    question: str
    revision: int | None = None
    saved_first: int | None = None  # the editor's unsaved draft, saved just before
    entry: Any = None
