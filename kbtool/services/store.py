"""The embedded store: articles synced from ``kb/``, spoken revisions, reviews and the audit log.

SQLite in WAL mode is the default backend. The SQL is kept portable (plain types, ``?``
parameters, ``INSERT ... ON CONFLICT``); every SQLite-only statement is marked ``SQLite:`` so a
server backend knows what to replace.

Every rule of the review workflow (roles, four eyes, agents read-only, optimistic locking)
is enforced here, never only in a UI: the CLI and the TUI are just callers.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]

from kbtool.core.article import Article, sidecar_path
from kbtool.core.errors import InputProblem, KbInputError
from kbtool.services.kb import ARTICLE_SUFFIXES, duplicate_id_at, read_article

DB_ENV = "KBTOOL_DB"
STORE_DIR = ".kbtool"
DB_NAME = "kbtool.db"

# Article status as agents see it (AnswerDoc.status).
STATUSES = ("approved", "stale", "in_review", "draft", "none")


CONFIG_NAME = "kbtool.yml"
DEFAULT_REVIEW_DAYS = 90
ROLE_NAMES = {"editor": "编辑", "reviewer": "审核", "agent": "坐席"}
STATE_NAMES = {
    "none": "无口语稿", "draft": "草稿", "in_review": "审核中", "changes_requested": "退回修改",
    "rejected": "已驳回", "approved": "已通过", "archived": "已归档",
}
ACTION_NAMES = {  # audit-log actions as people read them (the log and JSON keep the English ids)
    "sync.new": "导入", "sync.change": "原文修改", "sync.delete": "原文删除", "sync.restore": "原文恢复",
    "sync.move": "原文移动", "stale": "通过的版本过期", "save": "保存", "conflict": "保存冲突（已另存）",
    "submit": "提交审核", "approve": "审核通过", "request_changes": "退回修改", "reject": "驳回",
    "override": "跳过事实核对", "archive": "归档", "flag": "坐席报错", "flag.resolve": "处理报错", "migrate": "升级数据库",
}
_ARTICLE_COLS = ("id, title, kind, category, path, body, source_hash, state, head_revision, approved_revision,"
                 " approved_source_hash, approved_by, approved_at, deleted, valid_until, review_by,"
                 " (SELECT COUNT(*) FROM flags f WHERE f.article_id = articles.id AND f.resolved_at IS NULL)")
_FLAG_COLS = "id, article_id, reason, flagged_by, flagged_at, revision, resolved_by, resolved_at, resolution"
_REVISION_COLS = "article_id, number, kind, base, spoken_text, decisions, text_hash, source_hash, author, created_at"


# -- schema -----------------------------------------------------------------------------------
# Each entry migrates from version i to i + 1. Never edit a released entry: append a new one.
# Version 1 is the first release; tests/data/store_v1.sql is a store written by it.

_V1 = [
    "CREATE TABLE meta (key VARCHAR(64) PRIMARY KEY, value TEXT NOT NULL)",
    # One row per article id ever seen in kb/; rows are never deleted (deleted = 1 instead) so
    # revisions and history keep their article.
    """CREATE TABLE articles (
        id VARCHAR(200) PRIMARY KEY,
        path TEXT NOT NULL,
        title TEXT NOT NULL,
        kind VARCHAR(20) NOT NULL,
        category TEXT NOT NULL,
        tags TEXT NOT NULL,
        questions TEXT NOT NULL,
        body TEXT NOT NULL,
        verbatim TEXT NOT NULL,
        valid_from VARCHAR(10),
        valid_until VARCHAR(10),
        source_hash CHAR(64) NOT NULL,
        deleted INTEGER NOT NULL DEFAULT 0,
        state VARCHAR(20) NOT NULL DEFAULT 'none',
        head_revision INTEGER,
        approved_revision INTEGER,
        approved_source_hash CHAR(64),
        approved_by VARCHAR(200),
        approved_at VARCHAR(40),
        synced_at VARCHAR(40) NOT NULL
    )""",
    # Every save is a new immutable row. kind: 'draft' (on the article's line of revisions) or
    # 'conflict' (a save that lost an optimistic-locking race, kept so no text is ever dropped).
    """CREATE TABLE revisions (
        article_id VARCHAR(200) NOT NULL REFERENCES articles(id),
        number INTEGER NOT NULL,
        kind VARCHAR(20) NOT NULL,
        base INTEGER,
        spoken_text TEXT NOT NULL,
        decisions TEXT,
        text_hash CHAR(64) NOT NULL,
        source_hash CHAR(64) NOT NULL,
        author VARCHAR(200) NOT NULL,
        created_at VARCHAR(40) NOT NULL,
        PRIMARY KEY (article_id, number)
    )""",
    # Files seen by the last sync, so an unchanged file is never parsed again.
    """CREATE TABLE files (
        path TEXT PRIMARY KEY,
        size INTEGER NOT NULL,
        mtime_ns INTEGER NOT NULL,
        article_id VARCHAR(200),
        problem TEXT
    )""",
    # Append-only. seq: SQLite INTEGER PRIMARY KEY is the rowid (server: an identity column).
    # chain = sha256(previous chain + this entry), so an edit made behind the tool's back shows.
    """CREATE TABLE audit (
        seq INTEGER PRIMARY KEY,
        at VARCHAR(40) NOT NULL,
        user_name VARCHAR(200) NOT NULL,
        action VARCHAR(40) NOT NULL,
        article_id VARCHAR(200),
        revision INTEGER,
        source_hash CHAR(64),
        text_hash CHAR(64),
        detail TEXT,
        chain CHAR(64) NOT NULL
    )""",
    "CREATE INDEX audit_by_article ON audit (article_id, seq)",
    "CREATE INDEX articles_by_state ON articles (state)",
    # SQLite: trigger syntax; a server backend uses its own trigger or revokes UPDATE/DELETE.
    "CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END",
    "CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END",
    "CREATE TRIGGER revisions_no_update BEFORE UPDATE ON revisions BEGIN SELECT RAISE(ABORT, 'revisions are immutable'); END",
    "CREATE TRIGGER revisions_no_delete BEFORE DELETE ON revisions BEGIN SELECT RAISE(ABORT, 'revisions are immutable'); END",
]

# Version 2: answers carry a review-by date; agents flag answers as wrong or outdated.
_V2 = [
    "ALTER TABLE articles ADD COLUMN review_by VARCHAR(10)",
    """CREATE TABLE flags (
        id INTEGER PRIMARY KEY,
        article_id VARCHAR(200) NOT NULL REFERENCES articles(id),
        reason TEXT NOT NULL,
        flagged_by VARCHAR(200) NOT NULL,
        flagged_at VARCHAR(40) NOT NULL,
        revision INTEGER,
        source_hash CHAR(64),
        resolved_by VARCHAR(200),
        resolved_at VARCHAR(40),
        resolution TEXT
    )""",
    "CREATE INDEX flags_by_article ON flags (article_id, resolved_at)",
]

MIGRATIONS: list[list[str]] = [_V1, _V2]
SCHEMA_VERSION = len(MIGRATIONS)


# -- data -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class AnswerDoc:
    """What agents may see of one article: the source and, once approved, the spoken version."""

    id: str
    title: str
    kind: str
    category: str
    tags: tuple[str, ...]
    questions: tuple[str, ...]
    source_text: str          # article body (front matter stripped; verbatim blocks as written)
    spoken_text: str | None   # latest approved spoken version, else None
    status: str               # one of STATUSES
    expired: bool             # announcement past valid_until (today)
    verbatim: tuple[str, ...]  # compliance scripts to read as written
    source_hash: str
    path: str


@dataclass
class SyncReport:
    new: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    restored: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)       # approvals made stale by this sync
    expired: list[str] = field(default_factory=list)     # announcements expired today
    problems: list[InputProblem] = field(default_factory=list)
    unchanged: int = 0

    @property
    def changes(self) -> int:
        return len(self.new) + len(self.changed) + len(self.deleted) + len(self.restored)

    def to_dict(self) -> dict[str, object]:
        return {
            "new": self.new, "changed": self.changed, "deleted": self.deleted, "restored": self.restored,
            "stale": self.stale, "expired": self.expired, "unchanged": self.unchanged,
            "problems": [str(p) for p in self.problems],
        }


@dataclass(frozen=True)
class Revision:
    """One saved spoken text. Immutable once written."""

    article_id: str
    number: int
    kind: str                 # 'draft' | 'conflict' (a save that lost a race, kept)
    base: int | None          # the revision the author started from
    spoken_text: str
    decisions: str | None     # opaque JSON from kbtool.core.draft, stored as given
    text_hash: str
    source_hash: str          # the source the author was looking at
    author: str
    created_at: str

    @property
    def decisions_data(self) -> object:
        return json.loads(self.decisions) if self.decisions else None

    def to_dict(self) -> dict[str, object]:
        return {
            "article_id": self.article_id, "number": self.number, "kind": self.kind, "base": self.base,
            "spoken_text": self.spoken_text, "decisions": self.decisions_data, "text_hash": self.text_hash,
            "source_hash": self.source_hash, "author": self.author, "created_at": self.created_at,
        }


@dataclass(frozen=True)
class ArticleInfo:
    """An article's place in the workflow (what queues and the review screen list)."""

    id: str
    title: str
    kind: str
    category: str
    path: str
    source_text: str
    source_hash: str
    state: str                # none | draft | in_review | changes_requested | rejected | approved | archived
    head_revision: int | None
    approved_revision: int | None
    approved_source_hash: str | None
    approved_by: str | None
    approved_at: str | None
    deleted: bool
    valid_until: str | None
    review_by: str | None = None   # approved answers are due for another look on this date
    open_flags: int = 0            # agents' unresolved "wrong / outdated" flags

    @property
    def overdue(self) -> bool:
        return self.review_by is not None and self.review_by < dt.date.today().isoformat()

    @property
    def stale(self) -> bool:
        return self.approved_revision is not None and self.approved_source_hash != self.source_hash

    @property
    def expired(self) -> bool:
        until = _date_or_none(self.valid_until)
        return until is not None and until < dt.date.today()

    @property
    def status(self) -> str:
        return answer_status(self.state, self.approved_revision is not None, not self.stale)

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.id, "title": self.title, "kind": self.kind, "category": self.category, "path": self.path,
            "state": self.state, "status": self.status, "head_revision": self.head_revision,
            "approved_revision": self.approved_revision, "approved_by": self.approved_by,
            "approved_at": self.approved_at, "stale": self.stale, "expired": self.expired,
            "deleted": self.deleted, "source_hash": self.source_hash, "review_by": self.review_by,
            "overdue": self.overdue, "open_flags": self.open_flags,
        }


@dataclass(frozen=True)
class Flag:
    id: int
    article_id: str
    reason: str
    flagged_by: str
    flagged_at: str
    revision: int | None
    resolved_by: str | None = None
    resolved_at: str | None = None
    resolution: str | None = None

    def to_dict(self) -> dict[str, object]:
        import dataclasses

        return dataclasses.asdict(self)


@dataclass(frozen=True)
class RuleStat:
    rule: str
    accepted: int
    edited: int
    rejected: int
    undecided: int

    @property
    def decided(self) -> int:
        return self.accepted + self.edited + self.rejected

    @property
    def acceptance(self) -> float | None:
        """Share of decided findings the editors agreed with (accepted or fixed by hand)."""
        return (self.accepted + self.edited) / self.decided if self.decided else None

    def to_dict(self) -> dict[str, object]:
        return {"rule": self.rule, "accepted": self.accepted, "edited": self.edited, "rejected": self.rejected,
                "undecided": self.undecided, "acceptance": None if self.acceptance is None else round(self.acceptance, 3)}


@dataclass(frozen=True)
class HistoryEntry:
    seq: int
    at: str
    user: str
    action: str
    article_id: str | None
    revision: int | None
    source_hash: str | None
    text_hash: str | None
    detail: dict[str, object]

    def to_dict(self) -> dict[str, object]:
        return {
            "seq": self.seq, "at": self.at, "user": self.user, "action": self.action, "article_id": self.article_id,
            "revision": self.revision, "source_hash": self.source_hash, "text_hash": self.text_hash, "detail": self.detail,
        }


@dataclass(frozen=True)
class FactCheck:
    """The fact checker's verdict on a spoken text against its source."""

    available: bool           # False when kbtool.core.facts is not installed
    ok: bool
    problems: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, object]:
        return {"available": self.available, "ok": self.ok, "problems": list(self.problems)}


@dataclass(frozen=True)
class Roles:
    """Who may do what, from ``roles:`` in kb/kbtool.yml. All lists empty = one local user who
    holds every role."""

    editors: frozenset[str] = frozenset()
    reviewers: frozenset[str] = frozenset()
    agents: frozenset[str] = frozenset()
    source: str = ""

    @property
    def open(self) -> bool:
        return not (self.editors or self.reviewers or self.agents)

    def of(self, user: str) -> set[str]:
        if self.open:
            return {"editor", "reviewer", "agent"}
        roles = set()
        for role, members in (("editor", self.editors), ("reviewer", self.reviewers), ("agent", self.agents)):
            if user in members:
                roles.add(role)
        return roles


class StoreError(KbInputError):
    """A refused store operation; prints as one line naming what and where."""

    def __init__(self, where: str, message: str) -> None:
        super().__init__(InputProblem(where, None, message))


class ConflictError(StoreError):
    """A save over a base revision that is no longer the head. The text is already kept."""

    def __init__(self, article_id: str, base: int | None, head: Revision, copy: Revision, hint: str = "") -> None:
        self.article_id, self.base, self.head, self.copy = article_id, base, head, copy
        base_text = f"修订 r{base}" if base is not None else "空白稿"
        super().__init__(
            article_id,
            f"保存冲突：你基于{base_text}修改，但 {head.author} 已于 {_local_time(head.created_at)} 保存了 r{head.number}；"
            f"你的文本已另存为冲突副本 r{copy.number}，没有丢失（kbtool draft show {article_id} --revision {copy.number}）{hint}",
        )


class PermissionDenied(StoreError):
    pass


# -- helpers ----------------------------------------------------------------------------------

def now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")


def _local_time(at: str) -> str:
    return dt.datetime.fromisoformat(at).astimezone().strftime("%Y-%m-%d %H:%M:%S")


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def current_user(user: str | None = None) -> str:
    """``--user`` if given, else $KBTOOL_USER, else the operating-system user."""
    if user:
        return user
    if os.environ.get("KBTOOL_USER"):
        return os.environ["KBTOOL_USER"]
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (containers): still a stable name
        return f"uid{os.getuid()}" if hasattr(os, "getuid") else "user"


def default_db_path(kb_dir: Path) -> Path:
    env = os.environ.get(DB_ENV)
    return Path(env) if env else kb_dir / STORE_DIR / DB_NAME


def scan_files(kb_dir: Path, unreadable: list[str] | None = None) -> list[tuple[str, int, int]]:
    """(path relative to ``kb_dir`` with '/', size, mtime_ns) of every article file, sorted;
    hidden parts skipped (the selection of services.kb.iter_files, one stat per file, no parsing).
    Paths are stored relative so that ``kb`` and ``/abs/kb`` are the same knowledge base.
    Folders that cannot be listed go to ``unreadable`` (relative, with '/')."""
    out: list[tuple[str, int, int]] = []
    root = str(kb_dir)
    cut = len(os.path.join(root, ""))
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            if unreadable is not None:
                rel = folder[cut:] if len(folder) >= cut else ""
                unreadable.append(rel if os.sep == "/" else rel.replace(os.sep, "/"))
            continue
        for entry in entries:
            if entry.name.startswith("."):
                continue
            if entry.is_dir():
                stack.append(entry.path)
            elif entry.name.lower().endswith(ARTICLE_SUFFIXES) and entry.is_file():
                st = entry.stat()
                size, mtime = st.st_size, st.st_mtime_ns
                side = sidecar_path(entry.path)
                if side is not None and os.path.isfile(side):  # a .txt's metadata file changes the article too
                    side_st = os.stat(side)
                    size, mtime = size + side_st.st_size, mtime + side_st.st_mtime_ns
                rel = entry.path[cut:]  # not os.path.relpath: it costs more than the stat
                out.append((rel if os.sep == "/" else rel.replace(os.sep, "/"), size, mtime))
    out.sort()
    return out


def files_signature(files: list[tuple[str, int, int]]) -> str:
    digest = hashlib.sha256()
    for path, size, mtime in files:
        digest.update(f"{path}\0{size}\0{mtime}\n".encode("utf-8", "surrogateescape"))
    return digest.hexdigest()


def _date_or_none(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


# -- the store --------------------------------------------------------------------------------

class Store:
    """One connection to the store. Thread-safe (one lock); open one per process."""

    def __init__(self, conn: sqlite3.Connection, db_path: Path, kb_dir: Path) -> None:
        self.conn = conn
        self.db_path = db_path
        self.kb_dir = kb_dir
        self._lock = threading.RLock()
        self._config_cache: tuple[tuple[str, int, int], dict[str, object]] | None = None
        self._queue_fd: int | None = None
        if fcntl is not None and str(db_path) != ":memory:" and not os.environ.get("KBTOOL_NO_WRITER_QUEUE"):
            try:
                self._queue_fd = os.open(f"{db_path}-writers", os.O_RDWR | os.O_CREAT, 0o644)
            except OSError:  # read-only folder: reading still works, SQLite still locks writes
                self._queue_fd = None

    # -- opening ------------------------------------------------------------------------------

    @classmethod
    def open(cls, db_path: Path | None = None, kb_dir: Path = Path("kb")) -> Store:
        """Open (creating and migrating as needed) the store for ``kb_dir``.

        Location: ``db_path``, else $KBTOOL_DB, else ``<kb_dir>/.kbtool/kbtool.db``.
        """
        kb_dir = Path(kb_dir)
        path = Path(db_path) if db_path else default_db_path(kb_dir)
        if not db_path and not os.environ.get(DB_ENV) and not kb_dir.is_dir():
            # the default store lives inside the knowledge base: never create a stray kb/ folder
            raise StoreError(str(kb_dir), "找不到知识库文件夹（用 --kb 指定，或用 --db 指定数据库）")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # isolation_level=None: we issue BEGIN/COMMIT ourselves (write transactions take the
            # lock up front, see _write). check_same_thread=False: TUI workers share it under _lock.
            conn = sqlite3.connect(str(path), timeout=30.0, isolation_level=None, check_same_thread=False)
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(str(path), f"无法打开数据库：{exc}") from None
        store = cls(conn, path, kb_dir)
        try:
            store._configure()
            store._migrate()
        except sqlite3.DatabaseError as exc:
            store.close()
            raise StoreError(str(path), f"数据库无法使用：{exc}") from None
        except BaseException:
            store.close()
            raise
        return store

    def _configure(self) -> None:
        # SQLite: connection settings. WAL lets readers run while one writer writes;
        # synchronous=FULL makes every committed save survive a crash or power loss.
        self.conn.execute("PRAGMA busy_timeout = 30000")
        for attempt in range(50):
            try:
                mode = self.conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
                break
            except sqlite3.OperationalError:  # another process is creating the file right now
                if attempt == 49:
                    raise
                time.sleep(0.05)
        if str(mode).lower() != "wal" and str(self.db_path) != ":memory:":
            raise sqlite3.DatabaseError(f"无法切换到 WAL 日志模式（journal_mode={mode}）")
        self.conn.execute("PRAGMA synchronous = FULL")
        self.conn.execute("PRAGMA foreign_keys = ON")

    def schema_version(self) -> int:
        row = self.conn.execute(
            # SQLite: sqlite_master (a server backend reads information_schema.tables).
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'"
        ).fetchone()
        if not row:
            return 0
        row = self.conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        return int(row[0]) if row else 0

    def _migrate(self) -> None:
        if self.schema_version() == SCHEMA_VERSION:
            return
        with self._write() as conn:
            version = self.schema_version()  # again, under the write lock: someone may have won
            if version == SCHEMA_VERSION:
                return
            if version > SCHEMA_VERSION:
                raise StoreError(str(self.db_path), f"数据库结构版本 {version} 比本程序支持的 {SCHEMA_VERSION} 新，请升级 kbtool")
            for index in range(version, SCHEMA_VERSION):
                for statement in MIGRATIONS[index]:
                    conn.execute(statement)
                _MIGRATION_DATA.get(index + 1, _no_data)(conn)
            self._set_meta("schema_version", str(SCHEMA_VERSION))
            if version == 0:
                self._set_meta("generation", "0")
            self._audit("migrate", None, detail={"from": version, "to": SCHEMA_VERSION}, user=current_user())

    def close(self) -> None:
        with self._lock:
            self.conn.close()
            if self._queue_fd is not None:
                os.close(self._queue_fd)
                self._queue_fd = None

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- transactions -------------------------------------------------------------------------

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction. SQLite: BEGIN IMMEDIATE takes the write lock before the first
        read, so read-check-write sequences (optimistic locking) cannot interleave across
        processes (a server backend: BEGIN + SELECT ... FOR UPDATE)."""
        with self._lock, self._writer_queue():
            try:
                self.conn.execute("BEGIN IMMEDIATE")
                try:
                    yield self.conn
                    self.conn.execute("COMMIT")
                except BaseException:
                    if self.conn.in_transaction:
                        self.conn.execute("ROLLBACK")
                    raise
            except sqlite3.OperationalError as exc:  # locked for too long, disk full, I/O error
                raise StoreError(str(self.db_path), f"数据库写入失败，没有保存任何改动：{exc}") from None

    @contextmanager
    def _writer_queue(self) -> Iterator[None]:
        """SQLite: writers of this store wait on an OS file lock before BEGIN IMMEDIATE.

        SQLite's own busy handler polls with sleeps growing to 100 ms, so under contention a
        waiting writer keeps missing the moments the lock is free; a blocking flock wakes the next
        writer at once. The kernel drops the lock when a process dies (kill -9 included). Where
        there is no fcntl (Windows) SQLite's busy timeout alone applies.
        """
        if self._queue_fd is None:
            yield
            return
        fcntl.flock(self._queue_fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(self._queue_fd, fcntl.LOCK_UN)

    def _meta(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def _set_meta(self, key: str, value: str) -> None:
        self.conn.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    def _bump_generation(self) -> None:
        self.conn.execute("UPDATE meta SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'generation'")

    def generation(self) -> int:
        """Increases on every write that changes what agents can see (answers())."""
        with self._lock:
            value = self._meta("generation")
        return int(value or 0)

    def _audit(
        self,
        action: str,
        article_id: str | None,
        *,
        user: str,
        revision: int | None = None,
        source_hash: str | None = None,
        text_hash: str | None = None,
        detail: dict[str, object] | None = None,
    ) -> None:
        """Append one history entry (inside the caller's write transaction)."""
        at = now_iso()
        detail_json = json.dumps(detail, ensure_ascii=False, sort_keys=True) if detail else None
        prev = self.conn.execute("SELECT chain FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
        chain = _chain(prev[0] if prev else "", at, user, action, article_id, revision, source_hash, text_hash, detail_json)
        self.conn.execute(
            "INSERT INTO audit (at, user_name, action, article_id, revision, source_hash, text_hash, detail, chain)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (at, user, action, article_id, revision, source_hash, text_hash, detail_json, chain),
        )

    # -- sync ---------------------------------------------------------------------------------

    def _kb(self, kb_dir: Path | None) -> Path:
        return Path(kb_dir) if kb_dir is not None else self.kb_dir

    def needs_sync(self, kb_dir: Path | None = None) -> bool:
        """True when files under ``kb_dir`` differ from the last sync (one stat per file)."""
        kb = self._kb(kb_dir)
        signature = files_signature(scan_files(kb))
        with self._lock:
            return self._meta("kb_signature") != signature or self._meta("kb_dir") != str(kb.resolve())

    def sync(self, kb_dir: Path | None = None, user: str | None = None) -> SyncReport:
        """Bring the articles table in line with the files: new, changed, deleted, stale."""
        kb = self._kb(kb_dir)
        who = current_user(user)
        report = SyncReport()
        if not kb.is_dir():
            raise StoreError(str(kb), "知识库文件夹不存在")
        unreadable: list[str] = []
        files = scan_files(kb, unreadable)
        signature = files_signature(files)
        today = dt.date.today()
        # A folder that cannot be listed is a problem, not a deletion: its articles stay as they were.
        for folder in unreadable:
            report.problems.append(InputProblem(str(kb / folder), None, "无法读取文件夹（权限不足？），其中的文章保持原样"))

        def hidden(rel_path: str) -> bool:
            return any(rel_path.startswith(f"{folder}/") or not folder for folder in unreadable)

        from kbtool.services.querylog import purge_for  # search-log retention runs with every sync

        purge_for(self)
        with self._lock:
            known = {row[0]: (row[1], row[2], row[3], row[4]) for row in self.conn.execute(
                "SELECT path, size, mtime_ns, article_id, problem FROM files")}
            if self._meta("kb_signature") == signature and self._meta("kb_dir") == str(kb.resolve()):
                # Nothing on disk moved since the last sync: report from the files table, write nothing.
                for path, (_, _, art_id, problem) in sorted(known.items()):
                    if problem:
                        report.problems.append(_problem_from_json(problem, str(kb / path)))
                    elif art_id:
                        report.unchanged += 1
                report.expired = self._expired(today)
                report.problems.extend(self._duplicate_questions(kb))
                return report
        # Parse outside the write transaction: only files whose stat changed.
        parsed: dict[str, Article | InputProblem] = {}
        for path, size, mtime in files:
            old = known.get(path)
            if old and old[0] == size and old[1] == mtime and not old[3]:
                continue  # unchanged; files with a problem are parsed again (a duplicate may be gone)
            try:
                parsed[path] = read_article(kb / path)
            except KbInputError as exc:
                parsed[path] = exc.problems[0]
        with self._write() as conn:
            known = {row[0]: (row[1], row[2], row[3], row[4]) for row in conn.execute(
                "SELECT path, size, mtime_ns, article_id, problem FROM files")}
            rows = {row[0]: row for row in conn.execute(
                "SELECT id, path, source_hash, deleted, approved_revision, approved_source_hash FROM articles")}
            claimed: dict[str, str] = {}  # article id -> path that provides it this sync
            file_rows: list[tuple[str, int, int, str | None, str | None]] = []
            for path, size, mtime in files:
                item = parsed.get(path)
                if item is None:
                    old = known.get(path)
                    if old is None:  # raced with another sync: parse now
                        try:
                            item = read_article(kb / path)
                        except KbInputError as exc:
                            item = exc.problems[0]
                    else:
                        _, _, art_id, problem = old
                        if problem:
                            report.problems.append(_problem_from_json(problem, str(kb / path)))
                        elif art_id:
                            self._claim(claimed, art_id, str(kb / path), report)
                        file_rows.append((path, size, mtime, art_id, problem))
                        report.unchanged += 1
                        continue
                if isinstance(item, InputProblem):
                    report.problems.append(item)
                    file_rows.append((path, size, mtime, None, _problem_json(item)))
                    continue
                if not self._claim(claimed, item.id, str(kb / path), report):
                    file_rows.append((path, size, mtime, None, _problem_json(report.problems[-1])))
                    continue
                file_rows.append((path, size, mtime, item.id, None))
                self._upsert_article(item, path, rows.get(item.id), report, who)
            for art_id, row in rows.items():
                if art_id not in claimed and not row[3] and not hidden(row[1]):
                    conn.execute("UPDATE articles SET deleted = 1, synced_at = ? WHERE id = ?", (now_iso(), art_id))
                    report.deleted.append(art_id)
                    self._audit("sync.delete", art_id, user=who, source_hash=row[2], detail={"path": row[1]})
            current = {path for path, *_ in file_rows}
            conn.executemany("DELETE FROM files WHERE path = ?", [(p,) for p in known if p not in current and not hidden(p)])
            conn.executemany(
                "INSERT INTO files (path, size, mtime_ns, article_id, problem) VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT (path) DO UPDATE SET size = excluded.size, mtime_ns = excluded.mtime_ns,"
                " article_id = excluded.article_id, problem = excluded.problem",
                [row for row in file_rows if known.get(row[0]) != row[1:]])
            self._set_meta("kb_signature", signature)
            self._set_meta("kb_dir", str(kb.resolve()))
            if report.changes:
                self._bump_generation()
            report.expired = self._expired(today)
        for items in (report.new, report.changed, report.deleted, report.restored, report.stale):
            items.sort()
        report.problems.extend(self._duplicate_questions(kb))
        return report

    def _duplicate_questions(self, kb: Path) -> list[InputProblem]:
        """A question listed under two answers (titles aside), reported on every sync like a bad field."""
        from kbtool.core.questions import QuestionSite, duplicate_question_problems

        with self._lock:
            rows = self.conn.execute(
                "SELECT id, path, questions FROM articles WHERE deleted = 0 ORDER BY path").fetchall()
        sites = [QuestionSite(art_id, question, str(kb / path), None)
                 for art_id, path, questions in rows for question in json.loads(questions or "[]")]
        return duplicate_question_problems(sites)

    def _expired(self, today: dt.date) -> list[str]:
        return [r[0] for r in self.conn.execute(
            "SELECT id FROM articles WHERE deleted = 0 AND kind = 'announcement' AND valid_until IS NOT NULL"
            " AND valid_until < ? ORDER BY id", (today.isoformat(),))]

    @staticmethod
    def _claim(claimed: dict[str, str], art_id: str, path: str, report: SyncReport) -> bool:
        if art_id in claimed:
            report.problems.append(duplicate_id_at(path, None, art_id, claimed[art_id]))
            return False
        claimed[art_id] = path
        return True

    def _upsert_article(self, art: Article, rel_path: str, row: tuple | None, report: SyncReport, who: str) -> None:  # type: ignore[type-arg]
        values = {
            "path": rel_path, "title": art.title, "kind": art.kind, "category": art.category,
            "tags": json.dumps(list(art.tags), ensure_ascii=False),
            "questions": json.dumps(list(art.questions), ensure_ascii=False),
            "body": art.body, "verbatim": json.dumps(art.verbatim_texts, ensure_ascii=False),
            "valid_from": art.valid_from.isoformat() if art.valid_from else None,
            "valid_until": art.valid_until.isoformat() if art.valid_until else None,
            "source_hash": art.content_hash, "synced_at": now_iso(),
        }
        if row is None:
            cols = ", ".join(values)
            self.conn.execute(f"INSERT INTO articles (id, {cols}) VALUES (?{', ?' * len(values)})", (art.id, *values.values()))
            report.new.append(art.id)
            self._audit("sync.new", art.id, user=who, source_hash=art.content_hash, detail={"path": rel_path})
            return
        _, old_path, old_hash, deleted, approved_rev, approved_hash = row
        if old_hash == art.content_hash and old_path == rel_path and not deleted:
            return  # touched but identical
        sets = ", ".join(f"{k} = ?" for k in values)
        self.conn.execute(f"UPDATE articles SET {sets}, deleted = 0 WHERE id = ?", (*values.values(), art.id))
        if deleted:
            report.restored.append(art.id)
            self._audit("sync.restore", art.id, user=who, source_hash=art.content_hash, detail={"path": rel_path})
        elif old_hash != art.content_hash:
            report.changed.append(art.id)
            self._audit("sync.change", art.id, user=who, source_hash=art.content_hash,
                        detail={"path": rel_path, "old_source_hash": old_hash})
        else:
            report.changed.append(art.id)  # moved: same text, new path
            self._audit("sync.move", art.id, user=who, source_hash=art.content_hash, detail={"from": old_path, "to": rel_path})
        if approved_rev is not None and approved_hash == old_hash and approved_hash != art.content_hash:
            report.stale.append(art.id)
            self._audit("stale", art.id, user=who, revision=approved_rev, source_hash=art.content_hash,
                        detail={"approved_source_hash": approved_hash})

    # -- reading ------------------------------------------------------------------------------

    def answers(self, include_expired: bool = True) -> list[AnswerDoc]:
        """Every live article (not deleted, not archived) with its approved spoken version."""
        today = dt.date.today()
        with self._lock:
            rows = self.conn.execute(
                "SELECT a.id, a.title, a.kind, a.category, a.tags, a.questions, a.body, r.spoken_text, a.state,"
                " a.approved_source_hash, a.valid_until, a.verbatim, a.source_hash, a.path"
                " FROM articles a LEFT JOIN revisions r ON r.article_id = a.id AND r.number = a.approved_revision"
                " WHERE a.deleted = 0 AND a.state <> 'archived' ORDER BY a.id"
            ).fetchall()
        docs = []
        prefix = os.path.join(str(self.kb_dir), "")
        for (art_id, title, kind, category, tags, questions, body, spoken, state, approved_hash,
             valid_until, verbatim, source_hash, path) in rows:
            until = _date_or_none(valid_until)
            expired = until is not None and until < today
            if expired and not include_expired:
                continue
            docs.append(AnswerDoc(
                id=art_id, title=title, kind=kind, category=category,
                tags=_json_tuple(tags), questions=_json_tuple(questions),
                source_text=body, spoken_text=spoken,
                status=answer_status(state, spoken is not None, approved_hash == source_hash),
                expired=expired, verbatim=_json_tuple(verbatim), source_hash=source_hash,
                path=prefix + path,
            ))
        return docs


    # -- who may do what ----------------------------------------------------------------------

    def config(self) -> dict[str, object]:
        """``kb/kbtool.yml`` (other services keep their own keys there); {} when absent."""
        path = self.kb_dir / CONFIG_NAME
        try:
            stat = path.stat()
        except OSError:
            return {}
        key = (str(path), stat.st_size, stat.st_mtime_ns)
        if self._config_cache and self._config_cache[0] == key:
            return self._config_cache[1]
        import yaml

        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8-sig")) or {}
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
            what = getattr(exc, "problem", None) or str(exc).splitlines()[0]
            raise StoreError(where, f"配置文件无法读取：{what}") from None
        if not isinstance(data, dict):
            raise StoreError(str(path), "配置文件必须是 YAML 映射（key: value）")
        self._config_cache = (key, data)
        return data

    def roles(self) -> Roles:
        path = str(self.kb_dir / CONFIG_NAME)
        raw = self.config().get("roles") or {}
        if not isinstance(raw, dict):
            raise StoreError(path, "roles 必须是映射：{editors: [...], reviewers: [...], agents: [...]}")
        unknown = sorted(set(map(str, raw)) - {"editors", "reviewers", "agents"})
        if unknown:
            raise StoreError(path, f"roles 下有未知的键 '{unknown[0]}'（可用：editors, reviewers, agents）")
        lists = {}
        for key in ("editors", "reviewers", "agents"):
            value = raw.get(key) or []
            if not isinstance(value, list) or not all(isinstance(v, (str, int)) for v in value):
                raise StoreError(path, f"roles.{key} 必须是用户名列表")
            lists[key] = frozenset(str(v) for v in value)
        return Roles(lists["editors"], lists["reviewers"], lists["agents"], source=path)

    def _require(self, user: str, role: str | tuple[str, ...], action: str, article_id: str | None = None) -> None:
        roles = self.roles()
        held = roles.of(user)
        needed = {role} if isinstance(role, str) else set(role)
        if held & needed:
            return
        where = article_id or str(self.db_path)
        if held == {"agent"}:
            raise PermissionDenied(where, f"用户 {user} 是坐席（只读），不能{action}")
        names = "、".join(ROLE_NAMES[r] for r in sorted(needed))
        if held:
            listed = f"（{roles.source} 中的角色：{'、'.join(ROLE_NAMES[r] for r in sorted(held))}）"
        else:
            listed = f"（不在 {roles.source} 的 roles 中）"
        raise PermissionDenied(where, f"用户 {user} 没有{names}权限，不能{action}{listed}")

    # -- workflow -----------------------------------------------------------------------------

    def article(self, article_id: str) -> ArticleInfo:
        with self._lock:
            row = self.conn.execute(f"SELECT {_ARTICLE_COLS} FROM articles WHERE id = ?", (article_id,)).fetchone()
        if row is None:
            raise StoreError(article_id, f"没有这篇文章（先运行 kbtool sync？数据库：{self.db_path}）")
        return self._article_info(row)

    def articles(self, states: tuple[str, ...] | None = None, include_deleted: bool = False) -> list[ArticleInfo]:
        sql = f"SELECT {_ARTICLE_COLS} FROM articles"
        where, params = [], []
        if not include_deleted:
            where.append("deleted = 0")
        if states:
            where.append(f"state IN ({', '.join('?' for _ in states)})")
            params.extend(states)
        if where:
            sql += " WHERE " + " AND ".join(where)
        with self._lock:
            rows = self.conn.execute(sql + " ORDER BY id", params).fetchall()
        return [self._article_info(r) for r in rows]

    def _article_info(self, row: tuple) -> ArticleInfo:  # type: ignore[type-arg]
        (art_id, title, kind, category, path, body, source_hash, state, head, approved, approved_hash,
         approved_by, approved_at, deleted, valid_until, review_by, open_flags) = row
        return ArticleInfo(art_id, title, kind, category, str(self.kb_dir / path), body, source_hash, state, head,
                           approved, approved_hash, approved_by, approved_at, bool(deleted), valid_until,
                           review_by, open_flags)

    def revision(self, article_id: str, number: int | None = None) -> Revision:
        """Revision ``number`` of an article; its head (latest draft) when None."""
        with self._lock:
            if number is None:
                number = self.article(article_id).head_revision
                if number is None:
                    raise StoreError(article_id, "还没有口语稿（kbtool draft save）")
            row = self.conn.execute(f"SELECT {_REVISION_COLS} FROM revisions WHERE article_id = ? AND number = ?",
                                    (article_id, number)).fetchone()
        if row is None:
            self.article(article_id)  # unknown article: its own message
            raise StoreError(article_id, f"没有修订 r{number}")
        return Revision(*row)

    def revisions(self, article_id: str, include_conflicts: bool = True) -> list[Revision]:
        sql = f"SELECT {_REVISION_COLS} FROM revisions WHERE article_id = ?"
        if not include_conflicts:
            sql += " AND kind = 'draft'"
        with self._lock:
            rows = self.conn.execute(sql + " ORDER BY number", (article_id,)).fetchall()
        return [Revision(*r) for r in rows]

    def _locked_article(self, article_id: str) -> ArticleInfo:
        row = self.conn.execute(f"SELECT {_ARTICLE_COLS} FROM articles WHERE id = ?", (article_id,)).fetchone()
        if row is None:
            raise StoreError(article_id, f"没有这篇文章（先运行 kbtool sync？数据库：{self.db_path}）")
        return self._article_info(row)

    def save(
        self,
        article_id: str,
        spoken_text: str,
        *,
        base_revision: int | None,
        decisions: object = None,
        user: str | None = None,
    ) -> Revision:
        """Save a new draft revision on top of ``base_revision`` (None: the first draft).

        When the head has moved past ``base_revision`` (someone else saved meanwhile) the text is
        kept as a conflict copy and ConflictError is raised: nothing is overwritten or dropped.
        """
        who = current_user(user)
        self._require(who, "editor", "保存草稿", article_id)
        if not spoken_text.strip():
            raise StoreError(article_id, "口语稿是空的，没有保存")
        decisions_json = _decisions_json(decisions, article_id)
        conflict: tuple[Revision, Revision] | None = None
        with self._write() as conn:
            art = self._locked_article(article_id)
            if art.deleted:
                raise StoreError(article_id, f"源文件已删除（{art.path}），不能再保存口语稿")
            number = self._next_number(article_id)
            if base_revision is not None and base_revision >= number:
                # a base that was never saved is a typo, not a race: nothing to keep as a copy
                last = f"最新是 r{number - 1}" if number > 1 else "还没有任何修订"
                raise StoreError(article_id, f"没有修订 r{base_revision}（{last}）：--base 写错了？")
            kind = "draft" if base_revision == art.head_revision else "conflict"
            rev = Revision(article_id, number, kind, base_revision, spoken_text, decisions_json, sha256(spoken_text),
                           art.source_hash, who, now_iso())
            conn.execute(
                f"INSERT INTO revisions ({_REVISION_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (rev.article_id, rev.number, rev.kind, rev.base, rev.spoken_text, rev.decisions, rev.text_hash,
                 rev.source_hash, rev.author, rev.created_at),
            )
            if kind == "conflict":
                head = self._revision_row(article_id, art.head_revision)
                self._audit("conflict", article_id, user=who, revision=number, source_hash=art.source_hash,
                            text_hash=rev.text_hash, detail={"base": base_revision, "head": art.head_revision})
                conflict = (head, rev)
            else:
                detail: dict[str, object] = {"base": base_revision}
                if art.state in ("in_review", "archived"):
                    detail["was"] = art.state
                conn.execute("UPDATE articles SET head_revision = ?, state = 'draft' WHERE id = ?", (number, article_id))
                self._audit("save", article_id, user=who, revision=number, source_hash=art.source_hash,
                            text_hash=rev.text_hash, detail=detail)
                if art.state != "draft":
                    self._bump_generation()
        if conflict:
            raise ConflictError(article_id, base_revision, *conflict)
        return rev

    def default_base(self, article_id: str, user: str) -> int | None:
        """The base of a save that names none: the user goes on from what they last saved
        themselves. Another editor's head is never taken as a base unseen: saving over it
        would supersede their text silently (it is a conflict instead)."""
        head = self.article(article_id).head_revision
        if head is None or self.revision(article_id, head).author == user:
            return head
        own = [r.number for r in self.revisions(article_id, include_conflicts=False) if r.author == user]
        return max(own, default=None)

    def _next_number(self, article_id: str) -> int:
        row = self.conn.execute("SELECT MAX(number) FROM revisions WHERE article_id = ?", (article_id,)).fetchone()
        return (row[0] or 0) + 1

    def _revision_row(self, article_id: str, number: int | None) -> Revision:
        row = self.conn.execute(f"SELECT {_REVISION_COLS} FROM revisions WHERE article_id = ? AND number = ?",
                                (article_id, number)).fetchone()
        if row is None:
            raise StoreError(article_id, f"没有修订 r{number}")
        return Revision(*row)

    def submit(self, article_id: str, *, user: str | None = None, comment: str | None = None) -> Revision:
        """Send the head revision to review."""
        who = current_user(user)
        self._require(who, "editor", "提交审核", article_id)
        with self._write():
            art = self._locked_article(article_id)
            if art.head_revision is None:
                raise StoreError(article_id, "还没有口语稿，不能提交审核（kbtool draft save）")
            # An approved answer goes back to review unchanged when its source changed, its review
            # date passed or an agent flagged it; agents keep seeing it meanwhile.
            review_again = art.state == "approved" and art.head_revision == art.approved_revision
            if art.state == "changes_requested":
                raise StoreError(article_id, f"审核人要求修改 r{art.head_revision}，请先保存修改后的新修订再提交"
                                             f"（kbtool draft save {article_id} 文件）")
            if art.state != "draft" and not review_again:
                raise StoreError(article_id, f"当前状态是「{STATE_NAMES[art.state]}」，不能提交审核")
            rev = self._revision_row(article_id, art.head_revision)
            self.conn.execute("UPDATE articles SET state = 'in_review' WHERE id = ?", (article_id,))
            self._audit("submit", article_id, user=who, revision=rev.number, source_hash=art.source_hash,
                        text_hash=rev.text_hash, detail={"comment": comment} if comment else None)
            self._bump_generation()
        return rev

    def _in_review(self, article_id: str, revision: int | None) -> tuple[ArticleInfo, Revision]:
        art = self._locked_article(article_id)
        if art.state != "in_review":
            raise StoreError(article_id, f"当前状态是「{STATE_NAMES[art.state]}」，不在审核中")
        if revision is not None and revision != art.head_revision:
            raise StoreError(article_id, f"你审阅的是 r{revision}，但待审的是 r{art.head_revision}；"
                                         f"请重新查看（kbtool review show {article_id}）")
        return art, self._revision_row(article_id, art.head_revision)

    def approve(
        self,
        article_id: str,
        *,
        user: str | None = None,
        revision: int | None = None,
        comment: str | None = None,
        override_facts: str | None = None,
    ) -> Revision:
        """Approve the revision in review: reviewer only, never its own author (four eyes), and
        only with a clean fact check unless ``override_facts`` gives a written reason."""
        who = current_user(user)
        self._require(who, "reviewer", "审核通过", article_id)
        if override_facts is not None and not override_facts.strip():
            raise StoreError(article_id, "跳过事实核对必须写明理由")
        with self._lock:
            art = self.article(article_id)
            pending = self.revision(article_id, art.head_revision) if art.head_revision else None
        # The fact check can be slow; run it outside the write lock, then make sure nothing moved.
        checked_source = art.source_text
        facts = fact_check(art.source_text, pending.spoken_text) if pending else None
        with self._write():
            art, rev = self._in_review(article_id, revision)
            if rev.author == who:
                raise PermissionDenied(article_id, f"四眼原则：r{rev.number} 是 {who} 自己写的，须由另一位审核人通过")
            if facts is None or pending is None or pending.number != rev.number or art.source_text != checked_source:
                facts = fact_check(art.source_text, rev.spoken_text)  # something moved meanwhile: check again
            if not facts.ok and override_facts is None:
                first = facts.problems[0] if facts.problems else ""
                raise StoreError(article_id, f"事实核对未通过（{len(facts.problems)} 处：{first}）；"
                                             "改稿后重新提交，或用 --override-facts 写明理由后通过")
            now = now_iso()
            review_by = review_date(now, self.review_interval())
            self.conn.execute(
                "UPDATE articles SET state = 'approved', approved_revision = ?, approved_source_hash = ?,"
                " approved_by = ?, approved_at = ?, review_by = ? WHERE id = ?",
                (rev.number, art.source_hash, who, now, review_by, article_id),
            )
            if override_facts is not None and not facts.ok:
                self._audit("override", article_id, user=who, revision=rev.number, source_hash=art.source_hash,
                            text_hash=rev.text_hash, detail={"reason": override_facts.strip(), "facts": list(facts.problems)})
            detail: dict[str, object] = {"author": rev.author, "facts": "ok" if facts.ok else "overridden",
                                         "review_by": review_by}
            if not facts.available:
                detail["facts"] = "unavailable"
            if comment:
                detail["comment"] = comment
            self._audit("approve", article_id, user=who, revision=rev.number, source_hash=art.source_hash,
                        text_hash=rev.text_hash, detail=detail)
            self._bump_generation()
        return rev

    def request_changes(self, article_id: str, comment: str, *, user: str | None = None, revision: int | None = None) -> Revision:
        return self._decide(article_id, "request_changes", "changes_requested", comment, user, revision, "退回修改")

    def reject(self, article_id: str, comment: str, *, user: str | None = None, revision: int | None = None) -> Revision:
        """Turn the revision down for good (unlike request_changes, not an invitation to fix it)."""
        return self._decide(article_id, "reject", "rejected", comment, user, revision, "驳回")

    def _decide(self, article_id: str, action: str, state: str, comment: str, user: str | None,
                revision: int | None, verb: str) -> Revision:
        who = current_user(user)
        self._require(who, "reviewer", verb, article_id)
        if not (comment or "").strip():
            raise StoreError(article_id, f"{verb}必须写明意见（--comment）")
        with self._write():
            art, rev = self._in_review(article_id, revision)
            self.conn.execute("UPDATE articles SET state = ? WHERE id = ?", (state, article_id))
            detail: dict[str, object] = {"comment": comment.strip(), "author": rev.author}
            if action == "reject" and rev.number == art.approved_revision:
                # the approved text itself, sent back for another look, is turned down: agents
                # must stop hearing it (they get the source, marked not yet spoken)
                self.conn.execute("UPDATE articles SET approved_revision = NULL, approved_source_hash = NULL,"
                                  " approved_by = NULL, approved_at = NULL, review_by = NULL WHERE id = ?", (article_id,))
                detail["withdrawn"] = rev.number
            self._audit(action, article_id, user=who, revision=rev.number, source_hash=art.source_hash,
                        text_hash=rev.text_hash, detail=detail)
            self._bump_generation()
        return rev

    def archive(self, article_id: str, *, user: str | None = None, comment: str | None = None) -> None:
        """Withdraw an article from agents (answers() leaves it out); a new draft brings it back."""
        who = current_user(user)
        self._require(who, ("editor", "reviewer"), "归档", article_id)
        with self._write():
            art = self._locked_article(article_id)
            if art.state == "archived":
                raise StoreError(article_id, "已经归档")
            self.conn.execute("UPDATE articles SET state = 'archived' WHERE id = ?", (article_id,))
            self._audit("archive", article_id, user=who, revision=art.head_revision, source_hash=art.source_hash,
                        detail={"was": art.state, **({"comment": comment} if comment else {})})
            self._bump_generation()

    def review_interval(self) -> int:
        value = self.config().get("review_interval_days", DEFAULT_REVIEW_DAYS)
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise StoreError(str(self.kb_dir / CONFIG_NAME), f"review_interval_days 必须是正整数，现在是 {value!r}")
        return value

    def overdue(self, today: dt.date | None = None) -> list[ArticleInfo]:
        """Approved answers whose review-by date has passed (oldest first), for editors."""
        day = (today or dt.date.today()).isoformat()
        with self._lock:
            rows = self.conn.execute(
                f"SELECT {_ARTICLE_COLS} FROM articles WHERE deleted = 0 AND state <> 'archived'"
                " AND review_by IS NOT NULL AND review_by < ? ORDER BY review_by, id", (day,)).fetchall()
        return [self._article_info(r) for r in rows]

    def flag(self, article_id: str, reason: str, *, user: str | None = None) -> int:
        """An agent (or anyone on the team) reports an answer as wrong or outdated."""
        who = current_user(user)
        self._require(who, ("agent", "editor", "reviewer"), "标记答案", article_id)
        if not (reason or "").strip():
            raise StoreError(article_id, "标记答案有误时必须写明原因")
        with self._write():
            art = self._locked_article(article_id)
            cur = self.conn.execute(
                "INSERT INTO flags (article_id, reason, flagged_by, flagged_at, revision, source_hash) VALUES (?, ?, ?, ?, ?, ?)",
                (article_id, reason.strip(), who, now_iso(), art.approved_revision, art.source_hash))
            flag_id = int(cur.lastrowid or 0)
            self._audit("flag", article_id, user=who, revision=art.approved_revision, source_hash=art.source_hash,
                        detail={"flag": flag_id, "reason": reason.strip()})
        return flag_id

    def flags(self, article_id: str | None = None, include_resolved: bool = False) -> list[Flag]:
        sql = f"SELECT {_FLAG_COLS} FROM flags"
        where, params = [], []
        if article_id is not None:
            where.append("article_id = ?")
            params.append(article_id)
        if not include_resolved:
            where.append("resolved_at IS NULL")
        if where:
            sql += " WHERE " + " AND ".join(where)
        with self._lock:
            return [Flag(*r) for r in self.conn.execute(sql + " ORDER BY id", params).fetchall()]

    def resolve_flag(self, flag_id: int, resolution: str, *, user: str | None = None) -> Flag:
        who = current_user(user)
        self._require(who, ("editor", "reviewer"), "处理标记")
        if not (resolution or "").strip():
            raise StoreError(f"flag {flag_id}", "处理标记时必须写明结果")
        with self._write():
            row = self.conn.execute(f"SELECT {_FLAG_COLS} FROM flags WHERE id = ?", (flag_id,)).fetchone()
            if row is None:
                raise StoreError(f"flag {flag_id}", "没有这个标记")
            if row[7] is not None:
                raise StoreError(f"flag {flag_id}", f"已由 {row[6]} 处理过")
            now = now_iso()
            self.conn.execute("UPDATE flags SET resolved_by = ?, resolved_at = ?, resolution = ? WHERE id = ?",
                              (who, now, resolution.strip(), flag_id))
            self._audit("flag.resolve", row[1], user=who, detail={"flag": flag_id, "resolution": resolution.strip()})
        return Flag(*row[:6], who, now, resolution.strip())

    def editor_queue(self) -> list[tuple[ArticleInfo, list[str]]]:
        """What editors should look at, with the reasons: changes requested, rejected, stale,
        overdue for review, flagged by agents."""
        out = []
        for art in self.articles():
            reasons = []
            if art.state == "changes_requested":
                reasons.append("changes_requested")
            if art.state == "rejected":
                reasons.append("rejected")
            if art.stale and art.state != "archived":
                reasons.append("stale")
            if art.overdue and art.state != "archived":
                reasons.append("overdue")
            if art.open_flags:
                reasons.append("flagged")
            if reasons:
                out.append((art, reasons))
        return out

    def approved_answers(self, include_expired: bool = True) -> list[dict[str, object]]:
        """Every live approved spoken version with where it came from (for export)."""
        today = dt.date.today().isoformat()
        with self._lock:
            rows = self.conn.execute(
                "SELECT a.id, a.title, a.kind, a.category, a.path, a.source_hash, a.approved_source_hash,"
                " a.approved_revision, a.approved_by, a.approved_at, a.review_by, a.valid_until, a.verbatim,"
                " r.spoken_text, r.text_hash, r.author"
                " FROM articles a JOIN revisions r ON r.article_id = a.id AND r.number = a.approved_revision"
                " WHERE a.deleted = 0 AND a.state <> 'archived' ORDER BY a.id").fetchall()
        out = []
        for (art_id, title, kind, category, path, source_hash, approved_hash, rev, by, at, review_by, until,
             verbatim, spoken, text_hash, author) in rows:
            expired = until is not None and until < today
            if expired and not include_expired:
                continue
            out.append({
                "id": art_id, "title": title, "kind": kind, "category": category, "path": str(self.kb_dir / path),
                "source_hash": source_hash, "approved_source_hash": approved_hash, "revision": rev,
                "author": author, "approver": by, "approved_at": at, "review_by": review_by,
                "stale": approved_hash != source_hash, "expired": expired, "text_hash": text_hash,
                "verbatim": json.loads(verbatim), "spoken_text": spoken,
            })
        return out

    def rule_stats(self) -> list[RuleStat]:
        """Per rule, what editors did with its findings in the latest draft of each article:
        accepted a suggestion, edited by hand, rejected (overruled), or left undecided."""
        with self._lock:
            rows = self.conn.execute(
                "SELECT r.decisions FROM revisions r JOIN articles a ON a.id = r.article_id"
                " AND r.number = a.head_revision WHERE r.decisions IS NOT NULL").fetchall()
        counts: dict[str, dict[str, int]] = {}
        for (blob,) in rows:
            for rule, action in _decided_items(blob):
                counts.setdefault(rule, {"accept": 0, "edit": 0, "reject": 0, "undecided": 0})[action] += 1
        return sorted((RuleStat(rule, c["accept"], c["edit"], c["reject"], c["undecided"]) for rule, c in counts.items()),
                      key=lambda st: (st.acceptance if st.acceptance is not None else 2.0, -st.decided, st.rule))

    # -- history ------------------------------------------------------------------------------

    def history(self, article_id: str | None = None) -> list[HistoryEntry]:
        """The audit log (oldest first), for one article or the whole store. Read-only: the
        store has no method that edits or deletes an entry, and triggers refuse it."""
        sql = "SELECT seq, at, user_name, action, article_id, revision, source_hash, text_hash, detail FROM audit"
        with self._lock:
            if article_id is not None:
                self.article(article_id)
                rows = self.conn.execute(sql + " WHERE article_id = ? ORDER BY seq", (article_id,)).fetchall()
            else:
                rows = self.conn.execute(sql + " ORDER BY seq").fetchall()
        return [HistoryEntry(*r[:8], json.loads(r[8]) if r[8] else {}) for r in rows]

    def verify_history(self) -> list[str]:
        """Problems with the audit chain (empty when every entry is as written)."""
        problems = []
        prev = ""
        with self._lock:
            rows = self.conn.execute(
                "SELECT seq, at, user_name, action, article_id, revision, source_hash, text_hash, detail, chain"
                " FROM audit ORDER BY seq").fetchall()
        for seq, *fields, chain in rows:
            expected = _chain(prev, *fields)
            if expected != chain:
                problems.append(f"audit #{seq}: 记录与哈希链不符（被改动或删除过）")
            prev = chain
        return problems

def _json_tuple(text: str) -> tuple[str, ...]:
    return () if text == "[]" else tuple(json.loads(text))


def answer_status(state: str, has_approved: bool, approval_current: bool) -> str:
    if has_approved:
        return "approved" if approval_current else "stale"
    if state == "in_review":
        return "in_review"
    if state in ("draft", "changes_requested"):
        return "draft"
    return "none"


def _problem_json(problem: InputProblem) -> str:
    return json.dumps({"line": problem.line, "message": problem.message, "rule": problem.rule}, ensure_ascii=False)


def _problem_from_json(data: str, path: str) -> InputProblem:
    item = json.loads(data)
    return InputProblem(path, item.get("line"), item.get("message", ""), item.get("rule"))


def _chain(prev: str, *fields: object) -> str:
    digest = hashlib.sha256(prev.encode())
    for value in fields:
        digest.update(b"\x1f" + ("" if value is None else str(value)).encode("utf-8"))
    return digest.hexdigest()


def _no_data(conn: sqlite3.Connection) -> None:
    return None


def _v2_review_by(conn: sqlite3.Connection) -> None:
    """Approvals made before review dates existed are due one default interval after approval."""
    rows = conn.execute("SELECT id, approved_at FROM articles WHERE approved_at IS NOT NULL").fetchall()
    for art_id, approved_at in rows:
        conn.execute("UPDATE articles SET review_by = ? WHERE id = ?", (review_date(approved_at, DEFAULT_REVIEW_DAYS), art_id))


# Data steps that run after a version's DDL (version -> function), for migrations that must
# fill new columns from existing rows.
_MIGRATION_DATA: dict[int, Callable[[sqlite3.Connection], None]] = {2: _v2_review_by}


def review_date(approved_at: str, days: int) -> str:
    return (dt.datetime.fromisoformat(approved_at).date() + dt.timedelta(days=days)).isoformat()


def _decisions_json(decisions: object, article_id: str) -> str | None:
    """The draft's decisions as JSON text: a str is taken as JSON already, anything else is dumped."""
    if decisions is None:
        return None
    if isinstance(decisions, (str, bytes)):
        text = decisions.decode("utf-8") if isinstance(decisions, bytes) else decisions
        try:
            json.loads(text)
        except ValueError:
            raise StoreError(article_id, "decisions 不是合法的 JSON") from None
        return text
    try:
        return json.dumps(decisions, ensure_ascii=False, sort_keys=True, default=_json_default)
    except (TypeError, ValueError) as exc:
        raise StoreError(article_id, f"decisions 无法存为 JSON：{exc}") from None


def _json_default(value: object) -> object:
    import dataclasses

    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    raise TypeError(f"{type(value).__name__} 类型的值不能转成 JSON")


def fact_check(source: str, spoken: str) -> FactCheck:
    """Run kbtool.core.facts.verify when it is installed; its absence never blocks approval."""
    try:
        from kbtool.core import facts  # type: ignore[attr-defined]
    except ImportError:
        return FactCheck(available=False, ok=True)
    verify = getattr(facts, "verify", None)
    if verify is None:
        return FactCheck(available=False, ok=True)
    return _as_fact_check(verify(source, spoken))


def _as_fact_check(result: object) -> FactCheck:
    """Read the checker's result whatever its shape: a list of problems, or an object with
    ``ok`` and ``problems``/``issues``/``mismatches``."""
    items: object = result
    ok: bool | None = None
    if hasattr(result, "ok"):
        ok = bool(result.ok)
    for name in ("problems", "issues", "mismatches", "missing", "findings"):
        if hasattr(result, name):
            items = getattr(result, name)
            if callable(items):  # kbtool.core.facts.Verification.problems() is a method
                items = items()
            break
    if isinstance(items, bool):
        return FactCheck(True, items)
    problems = tuple(_describe(p) for p in items) if isinstance(items, (list, tuple)) else ()
    return FactCheck(True, ok if ok is not None else not problems, problems)


def _describe(problem: object) -> str:
    from kbtool.core.facts import KIND_LABELS  # cn2an is slow to import; only a review needs it

    fact = getattr(problem, "fact", None)
    status = getattr(problem, "status", None)
    if fact is not None and status in ("missing", "changed", "added"):  # kbtool.core.facts.FactCheck
        kind = KIND_LABELS.get(getattr(fact, "kind", ""), getattr(fact, "kind", ""))
        spoken = getattr(problem, "spoken", None)
        if status == "added":
            return f"口语稿多出了原文没有的{kind}「{fact.text}」"
        if status == "changed" and spoken is not None:
            return f"{kind}「{fact.text}」在口语稿中变成了「{spoken.text}」"
        return f"口语稿缺少{kind}「{fact.text}」"
    for name in ("message", "describe", "text"):
        value = getattr(problem, name, None)
        if callable(value):
            value = value()
        if isinstance(value, str) and value:
            return value
    return str(problem)


def _decided_items(blob: str) -> list[tuple[str, str]]:
    """(rule, accept|edit|reject|undecided) for each finding offered in a draft's decisions
    (kbtool.core.draft's to_dict: ``items`` with key and rule, ``decisions`` by key). Blobs of any
    other shape count for nothing rather than failing a report."""
    try:
        data = json.loads(blob)
    except ValueError:
        return []
    if not isinstance(data, dict) or not isinstance(data.get("items"), list):
        return []
    decisions = data.get("decisions") if isinstance(data.get("decisions"), dict) else {}
    out = []
    for item in data["items"]:
        if not isinstance(item, dict) or "rule" not in item:
            continue
        decision = decisions.get(item.get("key"))
        action = decision.get("action") if isinstance(decision, dict) else None
        out.append((str(item["rule"]), action if action in ("accept", "edit", "reject") else "undecided"))
    return out
