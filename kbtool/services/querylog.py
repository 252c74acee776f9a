"""The search log: what agents searched, what they opened, and what editors made of it.

Tables ``querylog_*`` live in the store's database with their own schema version
(``querylog_meta``), so the log can evolve without touching the store's migrations.

Privacy: every query goes through ``kbtool.core.masking.mask`` (built-in card / phone / account /
ID rules plus the style pack's ``masking`` patterns) inside ``QueryLog.log_search``; there is no
way to write a query unmasked. Entries older than the retention period (``search_log:
{retention_days: 90}`` in kb/kbtool.yml) are purged on every sync.

Learning loop: ``suggestions()`` clusters the wordings that led to an opened answer without
matching any of its questions; ``accept()`` turns one into a normal draft revision of that article
(``Store.save``, reviewed like any other edit) that carries the added question; once that revision
is approved, ``learned_questions()`` hands the question to search. ``dismiss()`` remembers the
editor's no, so the wording (and near duplicates of it) does not come back.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from kbtool.core import questions as qcore
from kbtool.core.errors import InputProblem, KbInputError
from kbtool.core.masking import MASK, mask
from kbtool.services.store import CONFIG_NAME, ROLE_NAMES, PermissionDenied, Store, StoreError, current_user, now_iso

DEFAULT_RETENTION_DAYS = 90
SOURCES = ("cli", "tui", "api")
ACTIONS = ("open", "copy")
WORDINGS_SHOWN = 10

# -- schema -----------------------------------------------------------------------------------
# Entry i migrates the log from version i to i + 1; never edit a released entry, append one.

_V1 = [
    "CREATE TABLE querylog_meta (key VARCHAR(64) PRIMARY KEY, value TEXT NOT NULL)",
    # One row per search. query is masked; query_core is core_key(query), computed once when
    # logged so clustering 100,000 searches does not normalise them again.
    """CREATE TABLE querylog_searches (
        id INTEGER PRIMARY KEY,
        at VARCHAR(40) NOT NULL,
        user_name VARCHAR(200) NOT NULL,
        source VARCHAR(20) NOT NULL,
        query TEXT NOT NULL,
        query_core TEXT NOT NULL,
        shown TEXT NOT NULL
    )""",
    "CREATE INDEX querylog_searches_by_at ON querylog_searches (at)",
    # What the agent did after a search: opened or copied an answer (several rows if several).
    """CREATE TABLE querylog_opens (
        search_id INTEGER NOT NULL REFERENCES querylog_searches(id),
        article_id VARCHAR(200) NOT NULL,
        action VARCHAR(10) NOT NULL,
        at VARCHAR(40) NOT NULL,
        user_name VARCHAR(200) NOT NULL,
        PRIMARY KEY (search_id, article_id, action)
    )""",
    # Editors' decisions on wordings, kept past retention: one row per (answer, core key) of
    # every wording in the decided cluster. article_id '' = a gap (nothing was opened).
    """CREATE TABLE querylog_decisions (
        article_id VARCHAR(200) NOT NULL,
        core TEXT NOT NULL,
        decision VARCHAR(10) NOT NULL,
        suggestion_id VARCHAR(20) NOT NULL,
        question TEXT NOT NULL,
        searches INTEGER NOT NULL,
        revision INTEGER,
        user_name VARCHAR(200) NOT NULL,
        at VARCHAR(40) NOT NULL,
        PRIMARY KEY (article_id, core)
    )""",
    # The questions added from use that a store revision carries (the whole list, not a delta).
    # A revision without a row carries what its base carries.
    """CREATE TABLE querylog_revision_questions (
        article_id VARCHAR(200) NOT NULL,
        revision INTEGER NOT NULL,
        questions TEXT NOT NULL,
        suggestion_id VARCHAR(20),
        PRIMARY KEY (article_id, revision)
    )""",
    # The suggestions last listed, so an id shown to an editor still resolves when accepted.
    """CREATE TABLE querylog_suggestions (
        id VARCHAR(20) PRIMARY KEY,
        article_id VARCHAR(200),
        question TEXT NOT NULL,
        cores TEXT NOT NULL,
        searches INTEGER NOT NULL,
        listed_at VARCHAR(40) NOT NULL
    )""",
]

MIGRATIONS: list[list[str]] = [_V1]
SCHEMA_VERSION = len(MIGRATIONS)


# -- data -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class LogSettings:
    enabled: bool = True
    retention_days: int = DEFAULT_RETENTION_DAYS


@dataclass(frozen=True)
class Suggestion:
    """A wording callers use for an answer (or, for a gap, for no answer) with its near duplicates."""

    id: str
    article_id: str | None        # None: a gap — nothing was opened after these searches
    question: str                 # the wording to add (most frequent, unmasked preferred)
    searches: int                 # how many logged searches it stands for
    wordings: tuple[tuple[str, int], ...]  # every wording with its count, most frequent first
    cores: tuple[str, ...]
    last_at: str = ""
    title: str = ""               # the answer's title, for display

    @property
    def gap(self) -> bool:
        return self.article_id is None

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.id, "kind": "gap" if self.gap else "question", "article_id": self.article_id,
            "title": self.title, "question": self.question, "count": self.searches,
            # the most searched wordings only: a popular question gathers hundreds of one-offs
            "wordings": [{"text": t, "count": n} for t, n in self.wordings[:WORDINGS_SHOWN]],
            "distinct_wordings": len(self.wordings), "last_at": self.last_at,
        }


@dataclass
class SuggestReport:
    suggestions: list[Suggestion] = field(default_factory=list)   # questions to add, most searched first
    gaps: list[Suggestion] = field(default_factory=list)          # unanswered, most searched first
    searches: int = 0                                             # searches considered

    def to_dict(self) -> dict[str, object]:
        return {
            "suggestions": [s.to_dict() for s in self.suggestions],
            "gaps": [g.to_dict() for g in self.gaps],
            "searches": self.searches,
        }


@dataclass(frozen=True)
class Accepted:
    suggestion: Suggestion
    question: str
    revision: int
    started_from_source: bool     # the article had no spoken draft: the draft starts from the source text


@dataclass(frozen=True)
class QuestionChanges:
    """What a revision changes in an answer's questions, against the approved revision."""

    article_id: str
    revision: int | None
    source: tuple[str, ...]       # listed in the kb/ file
    approved: tuple[str, ...]     # added from use, in the approved revision
    proposed: tuple[str, ...]     # added from use, in ``revision``

    @property
    def added(self) -> tuple[str, ...]:
        return tuple(q for q in self.proposed if q not in self.approved)

    @property
    def removed(self) -> tuple[str, ...]:
        return tuple(q for q in self.approved if q not in self.proposed)

    def to_dict(self) -> dict[str, object]:
        return {"article_id": self.article_id, "revision": self.revision, "source": list(self.source),
                "approved": list(self.approved), "proposed": list(self.proposed),
                "added": list(self.added), "removed": list(self.removed)}


class QueryLogError(StoreError):
    pass


# -- the log ----------------------------------------------------------------------------------

class QueryLog:
    """The search log of one store. Writes go through a connection of its own with
    ``synchronous = NORMAL``: a search must not wait for an fsync (the store's FULL costs about
    a millisecond a commit), and losing the last few log lines to a power cut is acceptable
    where losing a reviewed revision is not."""

    def __init__(self, store: Store, masking: Sequence[re.Pattern[str]] = ()) -> None:
        self.store = store
        self.masking = tuple(masking)
        self._lock = threading.RLock()
        if str(store.db_path) == ":memory:":
            self.conn = store.conn
            self._own = False
        else:
            self.conn = sqlite3.connect(str(store.db_path), timeout=30.0, isolation_level=None, check_same_thread=False)
            self.conn.execute("PRAGMA busy_timeout = 30000")
            self.conn.execute("PRAGMA synchronous = NORMAL")
            self._own = True
        try:
            self._migrate()
        except sqlite3.DatabaseError as exc:
            self.close()
            raise QueryLogError(str(store.db_path), f"查询日志无法使用：{exc}") from None
        except BaseException:
            self.close()
            raise

    @classmethod
    def open(cls, store: Store, style: str | None = None, masking: Sequence[re.Pattern[str]] | None = None) -> QueryLog:
        """The log for ``store``, masking with ``masking`` or else the patterns of pack ``style``."""
        return cls(store, masking if masking is not None else masking_patterns(style))

    def close(self) -> None:
        if self._own:
            with self._lock:
                self.conn.close()

    def __enter__(self) -> QueryLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- transactions / schema ----------------------------------------------------------------

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                self.conn.execute("BEGIN IMMEDIATE")
                try:
                    yield self.conn
                    self.conn.execute("COMMIT")
                except BaseException:
                    if self.conn.in_transaction:
                        self.conn.execute("ROLLBACK")
                    raise
            except sqlite3.OperationalError as exc:  # read-only file or folder, locked too long, disk full
                raise QueryLogError(str(self.store.db_path), f"查询日志写入失败，没有记录任何改动：{exc}") from None

    def schema_version(self) -> int:
        row = self.conn.execute(
            # SQLite: sqlite_master (a server backend reads information_schema.tables).
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'querylog_meta'").fetchone()
        if not row:
            return 0
        row = self.conn.execute("SELECT value FROM querylog_meta WHERE key = 'schema_version'").fetchone()
        return int(row[0]) if row else 0

    def _migrate(self) -> None:
        if self.schema_version() == SCHEMA_VERSION:
            return
        with self._write() as conn:
            version = self.schema_version()  # again under the write lock: another process may have won
            if version > SCHEMA_VERSION:
                raise QueryLogError(str(self.store.db_path),
                                    f"查询日志结构版本 {version} 比本程序支持的 {SCHEMA_VERSION} 新，请升级 kbtool")
            for index in range(version, SCHEMA_VERSION):
                for statement in MIGRATIONS[index]:
                    conn.execute(statement)
            conn.execute(
                "INSERT INTO querylog_meta (key, value) VALUES ('schema_version', ?)"
                " ON CONFLICT (key) DO UPDATE SET value = excluded.value", (str(SCHEMA_VERSION),))

    # -- settings -----------------------------------------------------------------------------

    def settings(self) -> LogSettings:
        """``search_log`` in kb/kbtool.yml: ``{enabled: true, retention_days: 90}``."""
        where = str(self.store.kb_dir / CONFIG_NAME)
        raw = self.store.config().get("search_log")
        if raw is None:
            return LogSettings()
        if not isinstance(raw, dict):
            raise QueryLogError(where, "search_log 必须是映射，例如 {retention_days: 90}")
        unknown = sorted(set(map(str, raw)) - {"enabled", "retention_days"})
        if unknown:
            raise QueryLogError(where, f"search_log 下有未知的键 '{unknown[0]}'（可用：enabled, retention_days）")
        enabled = raw.get("enabled", True)
        if not isinstance(enabled, bool):
            raise QueryLogError(where, f"search_log.enabled 必须是 true 或 false，现在是 {enabled!r}")
        days = raw.get("retention_days", DEFAULT_RETENTION_DAYS)
        if not isinstance(days, int) or isinstance(days, bool) or days < 1:
            raise QueryLogError(where, f"search_log.retention_days 必须是正整数（天），现在是 {days!r}")
        return LogSettings(enabled, days)

    # -- logging ------------------------------------------------------------------------------

    def log_search(
        self,
        query: str,
        shown: Sequence[str],
        *,
        user: str | None = None,
        source: str = "cli",
        opened: str | None = None,
        action: str = "open",
        at: str | None = None,
    ) -> int | None:
        """Log one search (masked) and, if given, the answer opened from it. Returns the search's
        id for a later ``opened()``, or None when logging is switched off or the query is empty."""
        if source not in SOURCES:
            raise ValueError(f"source must be one of {SOURCES}")
        if action not in ACTIONS:
            raise ValueError(f"action must be one of {ACTIONS}")
        if not self.settings().enabled:
            return None
        masked = mask(query, self.masking).strip()
        if not masked:
            return None
        if opened:
            self._known_article(opened)
        who = current_user(user)
        when = at or now_iso()
        core = qcore.core_key(masked)
        with self._write() as conn:
            cur = conn.execute(
                "INSERT INTO querylog_searches (at, user_name, source, query, query_core, shown) VALUES (?, ?, ?, ?, ?, ?)",
                (when, who, source, masked, core, json.dumps(list(shown), ensure_ascii=False)))
            search_id = int(cur.lastrowid or 0)
            if opened:
                self._insert_open(search_id, opened, action, who, when)
        return search_id

    def opened(self, search_id: int, article_id: str, *, action: str = "open", user: str | None = None) -> None:
        """Record that the agent opened (or copied) ``article_id`` after search ``search_id``."""
        if action not in ACTIONS:
            raise ValueError(f"action must be one of {ACTIONS}")
        who = current_user(user)
        self._known_article(article_id)
        with self._write() as conn:
            row = conn.execute("SELECT id FROM querylog_searches WHERE id = ?", (search_id,)).fetchone()
            if row is None:
                raise QueryLogError(f"查询 {search_id}", "查询日志里没有这条查询（编号错了，或已过保留期被清除）")
            self._insert_open(search_id, article_id, action, who, now_iso())

    def _insert_open(self, search_id: int, article_id: str, action: str, who: str, when: str) -> None:
        self.conn.execute(
            "INSERT INTO querylog_opens (search_id, article_id, action, at, user_name) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (search_id, article_id, action) DO NOTHING", (search_id, article_id, action, when, who))

    def _known_article(self, article_id: str) -> None:
        info = self.store.article(article_id)  # raises with the store's message when unknown
        if info.deleted:
            raise QueryLogError(article_id, "这篇文章的源文件已删除")

    # -- retention ----------------------------------------------------------------------------

    def purge(self, today: dt.date | None = None, days: int | None = None) -> int:
        """Delete searches older than the retention period (and what was opened from them).
        Editors' decisions are kept. Returns how many searches were deleted."""
        days = days if days is not None else self.settings().retention_days
        now = dt.datetime.combine(today, dt.time(), dt.UTC) if today else dt.datetime.now(dt.UTC)
        cutoff = (now - dt.timedelta(days=days)).isoformat(timespec="microseconds")
        with self._lock:
            # A read first: most syncs have nothing to purge and then take no write lock at all.
            due = self.conn.execute(
                "SELECT 1 FROM querylog_searches WHERE at < ? UNION ALL SELECT 1 FROM querylog_suggestions WHERE listed_at < ?"
                " LIMIT 1", (cutoff, cutoff)).fetchone()
            if not due:
                return 0
        with self._write() as conn:
            conn.execute("DELETE FROM querylog_opens WHERE search_id IN (SELECT id FROM querylog_searches WHERE at < ?)", (cutoff,))
            cur = conn.execute("DELETE FROM querylog_searches WHERE at < ?", (cutoff,))
            # Suggestions listed that long ago stand for searches that are gone now.
            conn.execute("DELETE FROM querylog_suggestions WHERE listed_at < ?", (cutoff,))
            return int(cur.rowcount or 0)

    # -- reading ------------------------------------------------------------------------------

    def searches(self, limit: int | None = None) -> list[dict[str, object]]:
        """Logged searches, newest first, with what was opened (for inspection and tests)."""
        sql = "SELECT id, at, user_name, source, query, shown FROM querylog_searches ORDER BY id DESC"
        if limit:
            sql += f" LIMIT {int(limit)}"
        with self._lock:
            rows = self.conn.execute(sql).fetchall()
            opens: dict[int, list[dict[str, str]]] = {}
            for search_id, art, action in self.conn.execute("SELECT search_id, article_id, action FROM querylog_opens"):
                opens.setdefault(search_id, []).append({"id": art, "action": action})
        return [{"id": r[0], "at": r[1], "user": r[2], "source": r[3], "query": r[4], "shown": json.loads(r[5]),
                 "opened": opens.get(r[0], [])} for r in rows]

    def count(self) -> int:
        with self._lock:
            return int(self.conn.execute("SELECT COUNT(*) FROM querylog_searches").fetchone()[0])

    # -- questions per revision ---------------------------------------------------------------

    def revision_questions(self, article_id: str, revision: int | None) -> tuple[str, ...]:
        """Questions added from use that ``revision`` carries (inherited along its base chain)."""
        with self._lock:
            return revision_questions(self.store, article_id, revision, self.conn)

    def learned_questions(self) -> dict[str, tuple[str, ...]]:
        """Approved questions added from use, per article id (what search indexes besides the
        questions in kb/)."""
        with self._lock:
            return learned_questions(self.store, self.conn)

    def question_changes(self, article_id: str, revision: int | None = None) -> QuestionChanges:
        """Questions a revision (default: the head) adds or drops against the approved one —
        what a reviewer sees next to the text diff."""
        info = self.store.article(article_id)
        number = revision if revision is not None else info.head_revision
        source = _source_questions(self.store, article_id)
        approved = self.revision_questions(article_id, info.approved_revision) if info.approved_revision else ()
        proposed = self.revision_questions(article_id, number) if number is not None else ()
        return QuestionChanges(article_id, number, source, approved, proposed)

    # -- suggestions --------------------------------------------------------------------------

    def _decided(self) -> dict[str, list[str]]:
        with self._lock:
            rows = self.conn.execute("SELECT article_id, core FROM querylog_decisions").fetchall()
        out: dict[str, list[str]] = {}
        for art_id, core in rows:
            out.setdefault(art_id, []).append(core)
        return out

    def _pending(self) -> dict[str, tuple[str, ...]]:
        """Questions in drafts not yet approved (accepted, waiting for review)."""
        with self._lock:
            rows = self.conn.execute("SELECT article_id, revision, questions FROM querylog_revision_questions").fetchall()
        out: dict[str, list[str]] = {}
        for art_id, _rev, questions in rows:
            out.setdefault(art_id, []).extend(json.loads(questions))
        return {k: tuple(dict.fromkeys(v)) for k, v in out.items()}

    def suggestions(self, min_count: int = 1, since: str | None = None) -> SuggestReport:
        """Cluster logged searches into questions to add and gaps (see module doc)."""
        sql = (
            "SELECT s.query, s.query_core, o.article_id, COUNT(DISTINCT s.id), MAX(s.at)"
            " FROM querylog_searches s LEFT JOIN querylog_opens o ON o.search_id = s.id"
        )
        params: list[object] = []
        if since:
            sql += " WHERE s.at >= ?"
            params.append(since)
        sql += " GROUP BY s.query, s.query_core, o.article_id"
        with self._lock:
            rows = self.conn.execute(sql, params).fetchall()
            total = int(self.conn.execute("SELECT COUNT(*) FROM querylog_searches").fetchone()[0])
        answers = {a.id: a for a in self.store.answers()}
        learned = self.learned_questions()
        pending = self._pending()
        cores_of: dict[str, list[str]] = {}
        for art_id, doc in answers.items():
            listed = [*qcore.effective_questions(doc.questions, doc.title), *learned.get(art_id, ()), *pending.get(art_id, ())]
            cores_of[art_id] = list(dict.fromkeys(qcore.core_key(q) for q in listed))
        decided = self._decided()
        covered: dict[tuple[str, str], bool] = {}
        rejected: dict[tuple[str, str], bool] = {}
        logged: list[qcore.LoggedQuery] = []
        for text, core, art_id, count, last_at in rows:
            if not core:
                continue
            if art_id is not None:
                if art_id not in answers:
                    continue  # opened an answer that is gone since
                key = (art_id, core)
                if key not in covered:
                    covered[key] = qcore.matches_any(core, cores_of[art_id])
                if covered[key]:
                    continue
            dkey = (art_id or "", core)
            if dkey not in rejected:
                rejected[dkey] = qcore.close_to_any(core, decided.get(art_id or "", []))
            if rejected[dkey]:
                continue
            logged.append(qcore.LoggedQuery(text, core, art_id, int(count), last_at or ""))
        report = SuggestReport(searches=total)
        for cluster in qcore.cluster_queries(logged):
            if cluster.count < min_count:
                continue
            wordings = tuple(sorted(cluster.wordings.items(), key=lambda kv: (-kv[1], kv[0])))
            title = answers[cluster.article_id].title if cluster.article_id else ""
            item = Suggestion(cluster.id, cluster.article_id, cluster.text, cluster.count, wordings,
                              tuple(sorted(cluster.keys)), cluster.last_at, title)
            (report.gaps if item.gap else report.suggestions).append(item)
        self._remember(report.suggestions + report.gaps)
        return report

    def _remember(self, items: Iterable[Suggestion]) -> None:
        now = now_iso()
        rows = [(s.id, s.article_id, s.question, json.dumps(list(s.cores), ensure_ascii=False), s.searches, now) for s in items]
        with self._write() as conn:
            conn.executemany(
                "INSERT INTO querylog_suggestions (id, article_id, question, cores, searches, listed_at) VALUES (?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (id) DO UPDATE SET question = excluded.question, cores = excluded.cores,"
                " searches = excluded.searches, listed_at = excluded.listed_at", rows)

    def suggestions_for(self, article_id: str, min_count: int = 1) -> list[Suggestion]:
        """Pending suggestions for one answer, most searched first (the editor's article view)."""
        return [s for s in self.suggestions(min_count=min_count).suggestions if s.article_id == article_id]

    def suggestion(self, suggestion_id: str) -> Suggestion:
        """A suggestion by id: as last listed, else computed afresh."""
        with self._lock:
            row = self.conn.execute(
                "SELECT id, article_id, question, cores, searches, listed_at FROM querylog_suggestions WHERE id = ?",
                (suggestion_id,)).fetchone()
        if row is None:
            report = self.suggestions()
            for item in report.suggestions + report.gaps:
                if item.id == suggestion_id:
                    return item
            raise QueryLogError(suggestion_id, "没有这条建议（用 kbtool questions suggest 查看现有建议的编号）")
        cores = tuple(json.loads(row[3]))
        return Suggestion(row[0], row[1], row[2], row[4], ((row[2], row[4]),), cores, row[5])

    def _decision_of(self, item: Suggestion) -> str | None:
        with self._lock:
            row = self.conn.execute(
                "SELECT decision, user_name FROM querylog_decisions WHERE suggestion_id = ? LIMIT 1", (item.id,)).fetchone()
        return f"{row[0]}:{row[1]}" if row else None

    def _record_decision(self, item: Suggestion, decision: str, question: str, who: str, revision: int | None,
                         extra_cores: Iterable[str] = ()) -> None:
        cores = list(dict.fromkeys([*item.cores, *extra_cores]))
        now = now_iso()
        with self._write() as conn:
            conn.executemany(
                "INSERT INTO querylog_decisions (article_id, core, decision, suggestion_id, question, searches, revision, user_name, at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (article_id, core) DO UPDATE SET decision = excluded.decision,"
                " suggestion_id = excluded.suggestion_id, question = excluded.question, searches = excluded.searches,"
                " revision = excluded.revision, user_name = excluded.user_name, at = excluded.at",
                [(item.article_id or "", c, decision, item.id, question, item.searches, revision, who, now) for c in cores])

    def dismiss(self, suggestion_id: str, *, user: str | None = None) -> Suggestion:
        """The editor's no: this wording (and near duplicates) is not suggested again."""
        who = current_user(user)
        _require(self.store, who, ("editor", "reviewer"), "忽略问法建议", suggestion_id)
        item = self.suggestion(suggestion_id)
        done = self._decision_of(item)
        if done:
            raise QueryLogError(suggestion_id, f"这条建议已处理过（{_decision_text(done)}）")
        self._record_decision(item, "dismiss", item.question, who, None)
        return item

    def accept(self, suggestion_id: str, *, user: str | None = None, question: str | None = None) -> Accepted:
        """Add the suggested wording (or ``question``, the editor's edit of it) to the article's
        questions, as a new draft revision through the store: it reaches search only once a
        reviewer approves that revision."""
        who = current_user(user)
        item = self.suggestion(suggestion_id)
        if item.article_id is None:
            raise QueryLogError(suggestion_id, "这是知识库缺口（搜了但没有打开任何答案），没有可以添加问法的文章；"
                                               "请新写一篇文章，或用 --article 指定答案后再接受")
        text = (question if question is not None else item.question).strip()
        return self._accept(item, item.article_id, text, who)

    def accept_for(self, suggestion_id: str, article_id: str, *, user: str | None = None,
                   question: str | None = None) -> Accepted:
        """Accept a suggestion (a gap too) as a question of ``article_id`` chosen by the editor."""
        who = current_user(user)
        item = self.suggestion(suggestion_id)
        text = (question if question is not None else item.question).strip()
        return self._accept(item, article_id, text, who)

    def _accept(self, item: Suggestion, article_id: str, text: str, who: str) -> Accepted:
        store = self.store
        if not text:
            raise QueryLogError(item.id, "问法是空的")
        if MASK in text or mask(text, self.masking) != text:
            raise QueryLogError(item.id, f"问法「{text}」含有被遮盖的个人信息（号码），不能作为问法；用 --as 改写后再接受")
        done = self._decision_of(item)
        if done:
            raise QueryLogError(item.id, f"这条建议已处理过（{_decision_text(done)}）")
        _require(store, who, ("editor",), "接受问法建议", article_id)
        info = store.article(article_id)
        if info.deleted:
            raise QueryLogError(article_id, f"源文件已删除（{info.path}），不能再添加问法")
        key = qcore.question_key(text)
        learned = self.learned_questions()
        for other in store.answers():
            listed = [*qcore.effective_questions(other.questions, other.title)]
            if other.id == article_id:
                listed += self.revision_questions(article_id, info.head_revision) if info.head_revision else ()
            else:
                listed += learned.get(other.id, ())
            hit = next((q for q in listed if qcore.question_key(q) == key), None)
            if hit is not None:
                if other.id == article_id:
                    raise QueryLogError(item.id, f"「{text}」已经是 {article_id} 的问法（「{hit}」）")
                raise QueryLogError(item.id, f"问法「{text}」已挂在另一个答案 {other.id} 下（「{hit}」）：同一问法不能对应两个答案")
        if info.head_revision is not None:
            base = store.revision(article_id, info.head_revision)
            spoken, decisions, started = base.spoken_text, base.decisions, False
        else:
            # No spoken draft yet: start one from the source text, as the editor's own first draft
            # would; the editor rewrites it before submitting, and the reviewer sees both.
            spoken, decisions, started = info.source_text, None, True
        carried = self.revision_questions(article_id, info.head_revision) if info.head_revision else ()
        rev = store.save(article_id, spoken, base_revision=info.head_revision, decisions=decisions, user=who)
        with self._write() as conn:
            conn.execute(
                "INSERT INTO querylog_revision_questions (article_id, revision, questions, suggestion_id) VALUES (?, ?, ?, ?)",
                (article_id, rev.number, json.dumps([*carried, text], ensure_ascii=False), item.id))
        self._record_decision(item, "accept", text, who, rev.number, extra_cores=[qcore.core_key(text)])
        if item.article_id != article_id:
            # A gap placed under an answer: the wording is now covered there too.
            self._record_decision(
                Suggestion(item.id, article_id, text, item.searches, item.wordings, item.cores), "accept", text, who, rev.number)
        return Accepted(item, text, rev.number, started)

    def decisions(self) -> list[dict[str, object]]:
        """Editors' decisions, newest first, one per suggestion."""
        with self._lock:
            rows = self.conn.execute(
                "SELECT suggestion_id, article_id, decision, question, searches, revision, user_name, MAX(at)"
                " FROM querylog_decisions GROUP BY suggestion_id, article_id, decision, question, searches, revision, user_name"
                " ORDER BY MAX(at) DESC").fetchall()
        return [{"suggestion_id": r[0], "article_id": r[1] or None, "decision": r[2], "question": r[3], "count": r[4],
                 "revision": r[5], "user": r[6], "at": r[7]} for r in rows]


def revision_questions(store: Store, article_id: str, revision: int | None,
                       conn: sqlite3.Connection | None = None) -> tuple[str, ...]:
    """Questions added from use that a revision carries: its own record, else its base's."""
    conn = conn or store.conn
    seen: set[int] = set()
    while revision is not None and revision not in seen:
        seen.add(revision)
        row = conn.execute("SELECT questions FROM querylog_revision_questions WHERE article_id = ? AND revision = ?",
                           (article_id, revision)).fetchone()
        if row:
            return tuple(json.loads(row[0]))
        row = conn.execute("SELECT base FROM revisions WHERE article_id = ? AND number = ?", (article_id, revision)).fetchone()
        revision = row[0] if row else None
    return ()


def learned_questions(store: Store, conn: sqlite3.Connection | None = None) -> dict[str, tuple[str, ...]]:
    """Questions added from use in each article's approved revision ({} before the log exists)."""
    conn = conn or store.conn
    exists = conn.execute(
        # SQLite: sqlite_master (a server backend reads information_schema.tables).
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'querylog_revision_questions'").fetchone()
    if not exists:
        return {}
    rows = conn.execute(
        "SELECT a.id, a.approved_revision FROM articles a WHERE a.approved_revision IS NOT NULL AND a.deleted = 0"
        " AND a.state <> 'archived' AND a.id IN (SELECT article_id FROM querylog_revision_questions)").fetchall()
    out: dict[str, tuple[str, ...]] = {}
    for art_id, approved in rows:
        found = revision_questions(store, art_id, approved, conn)
        if found:
            out[art_id] = found
    return out


def merge_questions(listed: Sequence[str], learned: Sequence[str]) -> tuple[str, ...]:
    """The kb/ file's questions followed by learned ones it does not already list."""
    keys = {qcore.question_key(q) for q in listed}
    extra = [q for q in learned if qcore.question_key(q) not in keys]
    return (*listed, *dict.fromkeys(extra))


class LearnedAnswers:
    """An answer source for search (``SearchIndex``): the store's answers, each with the
    questions its approved revision added from use. ``inner`` is the source to wrap when it is
    not the store itself (e.g. one that fixes the day)."""

    def __init__(self, store: Store, inner: Any = None) -> None:
        self.store = store
        self.inner = inner if inner is not None else store

    def generation(self) -> int:
        # Learned questions change only when a revision is approved, which bumps the generation.
        return int(self.inner.generation())

    def answers(self, include_expired: bool = True) -> list[Any]:
        docs = list(self.inner.answers(include_expired=include_expired))
        # The store's connection is shared with the index: take the store's lock like its own reads.
        with getattr(self.store, "_lock", nullcontext()):
            learned = learned_questions(self.store)
        if not learned:
            return docs
        return [dataclasses.replace(d, questions=merge_questions(d.questions, learned[d.id])) if d.id in learned else d
                for d in docs]


class AgentSearchLog:
    """The search log of one search box that searches as the agent types (the TUI).

    Typing 卡 / 卡被 / 卡被吞 runs three searches; only the query the agent settled on belongs
    in the log. So a search is held (``searched``) and written only when the agent opens or copies
    an answer from it (``opened``), when a new query is not a continuation of it, or on
    ``flush`` (search box cleared, screen left): then it is logged as a search that opened
    nothing — a gap unless a later open says otherwise."""

    def __init__(self, log: QueryLog, *, user: str | None = None, source: str = "tui") -> None:
        self.log = log
        self.user = user
        self.source = source
        self.pending: tuple[str, tuple[str, ...]] | None = None   # (query, ids shown), not yet written
        self.last_id: int | None = None                          # id of the search opens attach to
        self.error: str | None = None

    def searched(self, query: str, shown: Sequence[str]) -> None:
        """A search finished (``SearchResponse.query``, ``.shown``)."""
        query = query.strip()
        if not query:
            return
        if self.pending is not None:
            before = self.pending[0]
            if not (query.startswith(before) or before.startswith(query)):
                self.flush()  # a new question, not the same one typed on
        self.pending = (query, tuple(shown))

    def opened(self, article_id: str, action: str = "open") -> int | None:
        """The agent opened (or copied) ``article_id`` from the current results; returns the
        search id it was recorded under."""
        try:
            if self.pending is not None:
                query, shown = self.pending
                self.pending = None
                self.last_id = self.log.log_search(query, shown, user=self.user, source=self.source,
                                                   opened=article_id, action=action)
            elif self.last_id is not None:
                self.log.opened(self.last_id, article_id, action=action, user=self.user)
        except (StoreError, sqlite3.Error) as exc:
            self.error = str(exc)
        return self.last_id

    def flush(self) -> None:
        """Write the held search (nothing was opened from it)."""
        if self.pending is None:
            return
        query, shown = self.pending
        self.pending = None
        try:
            self.last_id = self.log.log_search(query, shown, user=self.user, source=self.source)
        except (StoreError, sqlite3.Error) as exc:
            self.error = str(exc)


class SearchLogger:
    """A search listener (``SearchIndex(listeners=...)``) that logs every search, masked.

    ``last_id`` is the log id of the latest search, for ``QueryLog.opened`` once the agent opens
    an answer. A failure to log never fails the search: it is kept in ``error``."""

    def __init__(self, log: QueryLog, *, user: str | None = None, source: str = "cli", opened: str | None = None,
                 action: str = "open") -> None:
        self.log = log
        self.user = user
        self.source = source
        self.opened = opened
        self.action = action
        self.last_id: int | None = None
        self.error: str | None = None

    def __call__(self, response: Any) -> None:
        try:
            self.last_id = self.log.log_search(response.query, list(response.shown), user=self.user, source=self.source,
                                               opened=self.opened, action=self.action)
        except (StoreError, sqlite3.Error) as exc:
            self.last_id = None
            self.error = str(exc)


def _pack_file(where: Path) -> Path:
    from kbtool.services.packs import PACK_FILE

    return where / PACK_FILE if where.is_dir() else where


@lru_cache(maxsize=16)
def masking_patterns(style: str | None = None) -> tuple[re.Pattern[str], ...]:
    """The ``masking`` patterns of style pack ``style`` (and the packs it extends), read from the
    pack files alone: ``load_pack`` parses every rule (about a second), which a command-line
    search should not pay just to mask its query."""
    from kbtool.core.article import decode
    from kbtool.core.yamlsrc import LineDict, load_yaml
    from kbtool.services.packs import DEFAULT_PACK, resolve

    out: list[re.Pattern[str]] = []

    def visit(spec: str, base: Path | None, seen: tuple[tuple[Path, int | None], ...]) -> None:
        if not seen:
            where = resolve(spec, base=base).resolve()
        else:  # the same messages as load_pack: the file and line that name the parent, and the chain
            child, line = seen[-1]
            try:
                where = resolve(spec, base=base).resolve()
            except KbInputError:
                raise KbInputError(InputProblem(str(_pack_file(child)), line,
                                                f"'extends' 里的规则包 '{spec}' 不存在")) from None
            if where in [p for p, _ in seen]:
                chain = " -> ".join(p.name for p in [*(p for p, _ in seen), where])
                raise KbInputError(InputProblem(str(child), line, f"'extends' 形成了循环：{chain}"))
        path = _pack_file(where)
        try:
            text, _ = decode(path.read_bytes(), str(path))
            data = load_yaml(text, str(path)) or {}
        except (OSError, StoreError) as exc:
            raise QueryLogError(str(path), f"无法读取规则包的 masking：{exc}") from None
        if not isinstance(data, dict):
            return
        line = data.key_lines.get("extends") if isinstance(data, LineDict) else None
        for parent in data.get("extends") or []:
            # parents resolve beside the pack (its folder's parent for a folder pack), as in load_pack
            visit(str(parent), where.parent, (*seen, (where, line)))
        for pattern in data.get("masking") or []:
            try:
                compiled = re.compile(str(pattern))
            except re.error as exc:
                raise QueryLogError(str(path), f"masking 正则无效 {pattern!r}：{exc}") from None
            if compiled not in out:
                out.append(compiled)

    visit(style or DEFAULT_PACK, None, ())
    return tuple(out)


def _require(store: Store, who: str, roles: tuple[str, ...], action: str, where: str) -> None:
    """Role check with the store's roles (kb/kbtool.yml); agents only search and open."""
    held = store.roles().of(who)
    if held & set(roles):
        return
    names = "、".join(ROLE_NAMES[r] for r in roles)
    raise PermissionDenied(where, f"用户 {who} 没有{names}权限，不能{action}")


def _decision_text(done: str) -> str:
    decision, _, who = done.partition(":")
    return f"{who} 已{'接受' if decision == 'accept' else '忽略'}"


def _source_questions(store: Store, article_id: str) -> tuple[str, ...]:
    for doc in store.answers():
        if doc.id == article_id:
            return qcore.effective_questions(doc.questions, doc.title)
    return ()


# -- plain functions for the CLI, the TUI and the store ---------------------------------------

def purge_for(store: Store) -> int:
    """Apply the retention period (called on every sync). A broken ``search_log`` setting never
    fails the sync, and never keeps entries longer either: the default period applies."""
    try:
        with QueryLog(store) as log:
            try:
                return log.purge()
            except StoreError:  # search_log or the whole kbtool.yml is broken
                return log.purge(days=DEFAULT_RETENTION_DAYS)
    except (StoreError, sqlite3.Error):
        return 0


def open_log(kb_dir: Path = Path("kb"), db_path: Path | None = None, style: str | None = None) -> tuple[Store, QueryLog]:
    """Store and log for a knowledge base (synced when files changed)."""
    store = Store.open(db_path, kb_dir)
    try:
        if store.needs_sync():
            store.sync()
        return store, QueryLog.open(store, style=style)
    except BaseException:
        store.close()
        raise
