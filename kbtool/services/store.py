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

from kbtool.core.article import Article
from kbtool.core.errors import InputProblem, KbInputError
from kbtool.services.kb import ARTICLE_SUFFIXES, read_article

DB_ENV = "KBTOOL_DB"
STORE_DIR = ".kbtool"
DB_NAME = "kbtool.db"

# Article status as agents see it (AnswerDoc.status).
STATUSES = ("approved", "stale", "in_review", "draft", "none")


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

MIGRATIONS: list[list[str]] = [_V1]
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


class StoreError(KbInputError):
    """A refused store operation; prints as one line naming what and where."""

    def __init__(self, where: str, message: str) -> None:
        super().__init__(InputProblem(where, None, message))


# -- helpers ----------------------------------------------------------------------------------

def now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")


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


def scan_files(kb_dir: Path) -> list[tuple[str, int, int]]:
    """(path relative to ``kb_dir`` with '/', size, mtime_ns) of every article file, sorted;
    hidden parts skipped (the selection of services.kb.iter_files, one stat per file, no parsing).
    Paths are stored relative so that ``kb`` and ``/abs/kb`` are the same knowledge base."""
    out: list[tuple[str, int, int]] = []
    root = str(kb_dir)
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            if entry.name.startswith("."):
                continue
            if entry.is_dir():
                stack.append(entry.path)
            elif entry.name.lower().endswith(ARTICLE_SUFFIXES) and entry.is_file():
                st = entry.stat()
                rel = os.path.relpath(entry.path, root).replace(os.sep, "/")
                out.append((rel, st.st_size, st.st_mtime_ns))
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

    # -- opening ------------------------------------------------------------------------------

    @classmethod
    def open(cls, db_path: Path | None = None, kb_dir: Path = Path("kb")) -> Store:
        """Open (creating and migrating as needed) the store for ``kb_dir``.

        Location: ``db_path``, else $KBTOOL_DB, else ``<kb_dir>/.kbtool/kbtool.db``.
        """
        kb_dir = Path(kb_dir)
        path = Path(db_path) if db_path else default_db_path(kb_dir)
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
            conn.close()
            raise StoreError(str(path), f"数据库无法使用：{exc}") from None
        except BaseException:
            conn.close()
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
            raise sqlite3.DatabaseError(f"cannot switch to WAL (journal_mode={mode})")
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
        with self._lock:
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.conn
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            self.conn.execute("COMMIT")

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        """A consistent snapshot across several SELECTs."""
        with self._lock:
            self.conn.execute("BEGIN")
            try:
                yield self.conn
            finally:
                self.conn.execute("COMMIT")

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
        files = scan_files(kb)
        signature = files_signature(files)
        with self._lock:
            known = {row[0]: (row[1], row[2], row[3], row[4]) for row in self.conn.execute(
                "SELECT path, size, mtime_ns, article_id, problem FROM files")}
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
        today = dt.date.today()
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
                if art_id not in claimed and not row[3]:
                    conn.execute("UPDATE articles SET deleted = 1, synced_at = ? WHERE id = ?", (now_iso(), art_id))
                    report.deleted.append(art_id)
                    self._audit("sync.delete", art_id, user=who, source_hash=row[2], detail={"path": row[1]})
            conn.execute("DELETE FROM files")
            conn.executemany("INSERT INTO files (path, size, mtime_ns, article_id, problem) VALUES (?, ?, ?, ?, ?)", file_rows)
            self._set_meta("kb_signature", signature)
            self._set_meta("kb_dir", str(kb.resolve()))
            if report.changes:
                self._bump_generation()
            report.expired = [
                r[0] for r in conn.execute(
                    "SELECT id FROM articles WHERE deleted = 0 AND kind = 'announcement' AND valid_until IS NOT NULL"
                    " AND valid_until < ? ORDER BY id", (today.isoformat(),))
            ]
        for items in (report.new, report.changed, report.deleted, report.restored, report.stale):
            items.sort()
        return report

    @staticmethod
    def _claim(claimed: dict[str, str], art_id: str, path: str, report: SyncReport) -> bool:
        if art_id in claimed:
            report.problems.append(InputProblem(path, None, f"duplicate article id '{art_id}' (also in {claimed[art_id]})"))
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
        for (art_id, title, kind, category, tags, questions, body, spoken, state, approved_hash,
             valid_until, verbatim, source_hash, path) in rows:
            until = _date_or_none(valid_until)
            expired = until is not None and until < today
            if expired and not include_expired:
                continue
            docs.append(AnswerDoc(
                id=art_id, title=title, kind=kind, category=category,
                tags=tuple(json.loads(tags)), questions=tuple(json.loads(questions)),
                source_text=body, spoken_text=spoken,
                status=answer_status(state, spoken is not None, approved_hash == source_hash),
                expired=expired, verbatim=tuple(json.loads(verbatim)), source_hash=source_hash,
                path=str(self.kb_dir / path),
            ))
        return docs


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


# Data steps that run after a version's DDL (version -> function), for migrations that must
# fill new columns from existing rows.
_MIGRATION_DATA: dict[int, Callable[[sqlite3.Connection], None]] = {}
