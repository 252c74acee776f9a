"""Agent search: an FTS5 index over jieba search-mode words, kept in the store's database.

Layout (all tables prefixed ``search_``, in the same SQLite file as the review store):

- ``search_docs``: one row per answer: its words per field (space-separated, as FTS5 sees them),
  field lengths, status, and what a result shows (JSON). It is also the external content of
- ``search_fts_short`` (title, questions, tags) and ``search_fts_long`` (body, source): FTS5
  (unicode61 over the pre-segmented words), used to pick candidates. Two tables because FTS5
  walks a word's whole document list even under a column filter: common words are looked up
  in the short fields only, and those lists stay short;
- ``search_terms``: per word, the answers holding it (``df``), holding it in the title (``dt``),
  in the short fields (``ds``) and in the long ones (``dl``): for scoring, to know which words
  exist, and to keep the FTS5 step within a budget;
- ``search_pinyin``: toneless readings of the index's 2-4 character words, for homophone typos;
- ``search_meta``: index version, the store generation and the day last indexed, field totals.

Why FTS5 only picks candidates: FTS5's bm25() cannot weigh query terms differently (a synonym
or a pinyin guess must count less than the caller's own words) and its auxiliary functions
cannot be written in Python. So FTS5 returns the best few dozen answers for the variants,
and those are scored here with BM25F, per-variant weights and fuzzy question/title matching.
What may pick candidates is kept within a budget of answers per table, rarest words first, which
keeps the FTS5 step from ranking half the index (see _candidates, benchmarks/search_bench.py).

Refresh is incremental: each answer's hash is kept, and nothing is read when the store's
generation and the date are unchanged (the date matters: announcements expire overnight).
"""

from __future__ import annotations

import bisect
import datetime as dt
import hashlib
import json
import math
import re
import sqlite3
import threading
import time
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from kbtool.core.errors import InputProblem, KbInputError
from kbtool.core.query import (
    PINYIN,
    SYNONYM,
    WEIGHTS,
    WORDS,
    QueryPlan,
    SynonymGroup,
    SynonymTable,
    Variant,
    Window,
    add_partial_words,
    add_pinyin,
    analyze,
    content_key,
    index_tokens,
    is_cjk,
    normalize_text,
    parse_synonyms,
    pinyin_candidates,
    pinyin_keys,
    pinyin_windows,
    similarities,
    single_characters,
    style_synonyms,
)

INDEX_VERSION = "9"
SYNONYMS_FILE = "synonyms.yml"

FIELDS = ("title", "questions", "tags", "body", "source")
# Field weights and length normalisation (BM25 per field, summed). ``body`` is what the agent reads
# out (the approved spoken version, else the source); ``source`` is the formal source when a
# spoken version exists, still searchable because callers sometimes use the official names.
BOOST = {"title": 1.0, "questions": 0.8, "tags": 0.6, "body": 0.7, "source": 0.35}
B = {"title": 0.5, "questions": 0.5, "tags": 0.3, "body": 0.75, "source": 0.75}
K1 = 1.2
# Approved spoken versions first: a relevance factor, not a hard tier, so an approved answer that
# merely shares a word with the query does not bury the one that answers it.
STATUS_FACTOR = {"approved": 1.0, "stale": 0.9, "in_review": 0.8, "draft": 0.8, "none": 0.8}
EXPIRED_FACTOR = 0.7
STATUS_LABELS = {"stale": "口语版待更新", "in_review": "未口语化", "draft": "未口语化", "none": "未口语化"}
EXPIRED_LABEL = "已过期"
MAX_QUERY_CHARS = 300  # characters of a query analysed (see SearchIndex.search)
WHY_LABELS = {WORDS: "词语", SYNONYM: "同义词", PINYIN: "拼音", "fuzzy_title": "标题相近", "question": "问题相近"}

# Per FTS5 table (or the number of results asked for, when more); the union is scored. 20 finds
# the labelled answers among 10,000 and 100,000 generated look-alikes as well as 30 did
# (benchmarks/search_bench.py), and scoring candidates in Python is most of a search's time.
CANDIDATES = 20
EXPIRED_MARGIN = 10     # extra candidates fetched to make up for expired ones dropped
# Answers FTS5 may rank per search and table (see _candidates): bounds the cost of a search
# whatever the size of the knowledge base (FTS5 bm25 costs ~1.5 us per answer ranked). At
# 1000/700 the labelled answers among 10,000 generated look-alikes are found as well as at
# 1500/1000 or better (recall@5 0.916 against 0.906; the same at 100,000): a word in a thousand
# answers picks few good candidates anyway.
SHORT_BUDGET = 1000
LONG_BUDGET = 700
QUESTION_BONUS = 0.6     # an exact listed question adds this share of the query's full score
TITLE_BONUS = 0.35
FUZZY_FLOOR = 60.0       # similarity below this adds nothing
SNIPPET_CHARS = 90
PARTIAL_WORDS = 6        # longer words tried for a one-character query word


# -- what the index reads ---------------------------------------------------------------------

class AnswerLike(Protocol):
    """The fields of ``kbtool.services.store.AnswerDoc`` that search uses."""

    id: str
    title: str
    kind: str
    category: str
    tags: Sequence[str]
    questions: Sequence[str]
    source_text: str
    spoken_text: str | None
    status: str
    expired: bool
    verbatim: Sequence[str]
    path: str


class AnswerSource(Protocol):
    """What search needs of the store: its answers, and a number that changes when they do."""

    def generation(self) -> int: ...

    def answers(self, include_expired: bool = True) -> Sequence[AnswerLike]: ...


# -- results ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Why:
    """One reason a result matched."""

    kind: str            # words | synonym | pinyin | fuzzy_title | question
    query: str           # the part of the caller's words it explains
    matched: str         # what in the answer it matched
    field: str = ""      # title | questions | tags | body | source
    score: float | None = None  # similarity for fuzzy_title / question
    origin: str = ""     # for synonyms: where the group is written

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"kind": self.kind, "query": self.query, "matched": self.matched}
        if self.field:
            out["field"] = self.field
        if self.score is not None:
            out["score"] = round(self.score, 1)
        if self.origin:
            out["origin"] = self.origin
        return out

    def describe(self) -> str:
        label = WHY_LABELS.get(self.kind, self.kind)
        if self.kind in ("fuzzy_title", "question"):
            return f"{label}「{self.matched}」({self.score:.0f})"
        if self.query == self.matched:
            return f"{label}「{self.matched}」"
        return f"{label}「{self.query}→{self.matched}」"


@dataclass(frozen=True)
class SearchResult:
    id: str
    title: str
    status: str
    score: float
    snippet: str
    highlights: tuple[tuple[int, int], ...]  # spans in ``snippet`` to highlight
    answer: str          # the text to read: approved spoken version, else the source
    spoken: bool         # ``answer`` is a spoken version (approved, or stale)
    verbatim: tuple[str, ...]
    why: tuple[Why, ...]
    labels: tuple[str, ...]
    kind: str
    category: str
    expired: bool
    path: str

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.id, "title": self.title, "status": self.status, "score": round(self.score, 4),
            "snippet": self.snippet, "highlights": [list(h) for h in self.highlights],
            "labels": list(self.labels), "spoken": self.spoken, "answer": self.answer,
            "verbatim": list(self.verbatim), "why": [w.to_dict() for w in self.why],
            "kind": self.kind, "category": self.category, "expired": self.expired, "path": self.path,
        }


@dataclass(frozen=True)
class SearchResponse:
    """One search: what was asked, how it was understood, what was shown.

    The unit a search log records (issue 9): ``query`` as typed, ``shown`` ids in rank order.
    """

    query: str
    plan: QueryPlan
    results: tuple[SearchResult, ...]
    include_expired: bool
    elapsed_ms: float

    @property
    def shown(self) -> tuple[str, ...]:
        return tuple(r.id for r in self.results)


@dataclass
class RefreshReport:
    skipped: bool = False     # nothing could have changed: no answer was read
    rebuilt: bool = False     # the whole index was rebuilt (first use or new index version)
    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    seconds: float = 0.0


SearchListener = Callable[[SearchResponse], None]
Freq = tuple[int, int, int, int]  # answers holding a word: anywhere, in the title, short fields, long fields


# -- config -----------------------------------------------------------------------------------

def load_synonyms(kb_dir: Path) -> SynonymTable:
    """``<kb_dir>/synonyms.yml`` (absent: no domain synonyms); problems raise KbInputError."""
    path = Path(kb_dir) / SYNONYMS_FILE
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return SynonymTable()
    except OSError as exc:
        raise KbInputError(InputProblem(str(path), None, f"无法读取：{exc.strerror}")) from None
    from kbtool.core.article import decode

    text, _ = decode(data, str(path))
    return parse_synonyms(text, str(path))


def synonyms_for(kb_dir: Path, pack: object | None = None) -> SynonymTable:
    """Domain synonyms of the knowledge base plus the pack's formal <-> spoken pairs."""
    table = load_synonyms(kb_dir)
    if pack is not None:
        table = table + style_synonyms(getattr(pack, "rules", ()))
    return table


def _pack_files(path: Path) -> list[str]:
    """The files a pack is read from: a single file, or every YAML file of a pack folder."""
    if path.name == "pack.yml":
        path = path.parent
    return sorted(str(p) for p in path.glob("*.y*ml")) if path.is_dir() else [str(path)]


def _files_signature(files: Sequence[str]) -> str:
    digest = hashlib.sha256()
    for name in files:
        try:
            st = Path(name).stat()
            digest.update(f"{name}\0{st.st_size}\0{st.st_mtime_ns}\n".encode("utf-8", "surrogateescape"))
        except OSError:
            digest.update(f"{name}\0missing\n".encode("utf-8", "surrogateescape"))
    return digest.hexdigest()


def pack_synonyms(conn: sqlite3.Connection, style: str | None = None) -> SynonymTable:
    """The style pack's formal <-> spoken pairs, cached in the index by the pack files' stat.

    Parsing a full pack takes about a second (pure-Python YAML); a search should not pay that
    each time. The cache covers the pack's own folder and the packs it extends.
    """
    from kbtool.services.packs import DEFAULT_PACK, load_pack, resolve

    where = resolve(style or DEFAULT_PACK)
    conn.execute(_SCHEMA[0])
    row = conn.execute("SELECT value FROM search_meta WHERE key = 'pack_synonyms'").fetchone()
    if row:
        cached = json.loads(row[0])
        if cached.get("pack") == str(where.resolve()) and cached.get("signature") == _files_signature(cached["files"]):
            return SynonymTable.of(SynonymGroup(tuple(g[0]), "style", g[1]) for g in cached["groups"])
    pack = load_pack(style)
    table = style_synonyms(pack.rules)
    files = sorted({f for src in [where, *map(Path, pack.sources)] for f in _pack_files(src)})
    value = json.dumps({"pack": str(where.resolve()), "files": files, "signature": _files_signature(files),
                        "groups": [[list(g.terms), g.origin] for g in table.groups]}, ensure_ascii=False)
    conn.execute("INSERT INTO search_meta (key, value) VALUES ('pack_synonyms', ?)"
                 " ON CONFLICT (key) DO UPDATE SET value = excluded.value", (value,))
    return table


# -- text helpers -----------------------------------------------------------------------------

_FENCE_BLOCK = re.compile(r"^[ \t]{0,3}(`{3,}|~{3,})[^\n]*\n.*?^[ \t]{0,3}\1[ \t]*$\n?", re.M | re.S)
_HEADING = re.compile(r"^[ \t]{0,3}#{1,6}[ \t]*", re.M)
_EMPHASIS = re.compile(r"\*\*|__")
_BLANKS = re.compile(r"\n[ \t]*\n+")


def plain_answer(text: str) -> str:
    """What an agent reads: Markdown marks and fenced blocks (verbatim scripts, shown apart) removed."""
    text = _FENCE_BLOCK.sub("", text.replace("\r\n", "\n"))
    text = _HEADING.sub("", text)
    text = _EMPHASIS.sub("", text)
    return _BLANKS.sub("\n", text).strip()


def _doc_hash(doc: AnswerLike) -> str:
    """What the index holds of an answer, hashed: it is re-indexed when this changes.

    The store's ``source_hash`` (of the whole file) stands for what comes from the file; the
    questions are hashed anyway, since a source may add questions learned from use.
    """
    digest = hashlib.blake2b(digest_size=16)
    source_hash = getattr(doc, "source_hash", "")
    from_file = (source_hash,) if source_hash else (
        doc.title, doc.kind, doc.category, *doc.tags, "\x1e", doc.source_text, *doc.verbatim, "\x1e")
    for part in (*from_file, *doc.questions, "\x1e", doc.spoken_text if doc.spoken_text is not None else "\x00",
                 doc.status, "1" if doc.expired else "0", doc.path):
        digest.update(part.encode("utf-8", "surrogatepass"))
        digest.update(b"\x1f")
    return digest.hexdigest()


def _shows_spoken(doc: AnswerLike) -> bool:
    # An in-review or draft text is not approved: agents never see it. A stale approval is still
    # the last approved wording (labelled as such).
    return bool(doc.spoken_text) and doc.status in ("approved", "stale")


def _fts_quote(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


# -- the index --------------------------------------------------------------------------------

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS search_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    # Small columns first: SQLite reads a record front to back, through overflow pages, so a
    # column after the long word lists costs a read of them all.
    """CREATE TABLE IF NOT EXISTS search_docs (
        rowid INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        hash TEXT NOT NULL,
        status TEXT NOT NULL,
        expired INTEGER NOT NULL,
        lens TEXT NOT NULL,
        keys TEXT NOT NULL,
        title TEXT NOT NULL,
        questions TEXT NOT NULL,
        tags TEXT NOT NULL,
        body TEXT NOT NULL,
        source TEXT NOT NULL,
        info BLOB NOT NULL
    )""",
    # What is shown (answer text, scripts) is only read for the results: zlib-compressed JSON.
    "CREATE INDEX IF NOT EXISTS search_docs_expired ON search_docs (rowid) WHERE expired = 1",
    # External content: the words are stored once, in search_docs.
    "CREATE VIRTUAL TABLE IF NOT EXISTS search_fts_short USING fts5(title, questions, tags,"
    " content='search_docs', content_rowid='rowid', tokenize='unicode61 remove_diacritics 0')",
    "CREATE VIRTUAL TABLE IF NOT EXISTS search_fts_long USING fts5(body, source,"
    " content='search_docs', content_rowid='rowid', tokenize='unicode61 remove_diacritics 0')",
    "CREATE TABLE IF NOT EXISTS search_terms (term TEXT PRIMARY KEY, df INTEGER NOT NULL, dt INTEGER NOT NULL,"
    " ds INTEGER NOT NULL, dl INTEGER NOT NULL, py INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID",
    "CREATE INDEX IF NOT EXISTS search_terms_new ON search_terms (term) WHERE py = 0",
    "CREATE TABLE IF NOT EXISTS search_pinyin (key TEXT NOT NULL, term TEXT NOT NULL, PRIMARY KEY (key, term)) WITHOUT ROWID",
)
_DROP = ("search_fts_short", "search_fts_long", "search_docs", "search_terms", "search_pinyin", "search_meta")


def _freq_sets(values: Sequence[str]) -> tuple[set[str], set[str], set[str], set[str]]:
    """A row's distinct words: anywhere, in the title, in the short fields, in the long fields."""
    title, questions, tags, body, source = (v.split() for v in values)
    short = {*title, *questions, *tags}
    long_ = {*body, *source}
    return short | long_, set(title), short, long_


@dataclass
class _Row:
    rowid: int
    id: str
    status: str
    expired: bool
    fields: dict[str, str]
    lens: list[int]
    keys: list  # type: ignore[type-arg]  # [title key, question keys, questions, title]


class SearchIndex:
    """Search over an answer source, with the index in ``conn`` (the store's database).

    ``conn`` must be in autocommit mode (``isolation_level=None``, as the store opens it): the
    index issues its own BEGIN/COMMIT. One SearchIndex per connection; it is thread-safe, and
    when ``lock`` is the store's lock (``open_index`` passes it) it is safe beside the store's
    own work on the same connection.
    """

    def __init__(
        self,
        conn: sqlite3.Connection,
        source: AnswerSource,
        synonyms: SynonymTable | None = None,
        listeners: Iterable[SearchListener] = (),
        segmenter: object | None = None,
        lock: threading.RLock | None = None,
    ) -> None:
        self.conn = conn
        self.source = source
        self.synonyms = synonyms or SynonymTable()
        self.listeners = list(listeners)
        if segmenter is None:
            # No user words on purpose: the index's words must not depend on synonyms or packs,
            # or editing synonyms.yml would mean re-indexing every answer. Synonyms apply at query time.
            from kbtool.core.segment import Segmenter

            segmenter = Segmenter(())
        self.segmenter = segmenter
        # The store's lock when the connection is the store's: one connection, one transaction at a time.
        self._lock = lock or threading.RLock()
        with self._lock:
            try:
                version = self.conn.execute("SELECT value FROM search_meta WHERE key = 'version'").fetchone()
            except sqlite3.OperationalError:  # no index yet
                version = None
            if version and version[0] != INDEX_VERSION:
                self._clear()  # another layout: rebuilt on the next refresh
            for statement in _SCHEMA:
                self.conn.execute(statement)
        self._stats: tuple[int, dict[str, float]] | None = None
        self._expired: int | None = None

    # -- refresh ------------------------------------------------------------------------------

    def _meta(self) -> dict[str, str]:
        return dict(self.conn.execute("SELECT key, value FROM search_meta").fetchall())

    def up_to_date(self, today: dt.date | None = None) -> bool:
        meta = self._meta()
        today = today or dt.date.today()
        return (meta.get("version") == INDEX_VERSION and meta.get("generation") == str(self.source.generation())
                and meta.get("day") == today.isoformat())

    def refresh(self, force: bool = False, today: dt.date | None = None) -> RefreshReport:
        """Bring the index in line with the source; near-instant when nothing changed."""
        started = time.perf_counter()
        today = today or dt.date.today()
        with self._lock:
            if not force and self.up_to_date(today):
                return RefreshReport(skipped=True, seconds=time.perf_counter() - started)
            generation = self.source.generation()  # read before the answers: a later write refreshes again
            docs = list(self.source.answers(include_expired=True))
            report = RefreshReport()
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                meta = self._meta()
                if meta.get("version") != INDEX_VERSION or force:
                    self._clear()
                    report.rebuilt = True
                self._apply(docs, report)
                self._set_meta(version=INDEX_VERSION, generation=str(generation), day=today.isoformat())
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            self.conn.execute("COMMIT")
            self._stats = self._expired = None
        report.seconds = time.perf_counter() - started
        return report

    def _clear(self) -> None:
        for table in _DROP:
            self.conn.execute(f"DROP TABLE IF EXISTS {table}")
        for statement in _SCHEMA:
            self.conn.execute(statement)

    def _set_meta(self, **values: str) -> None:
        self.conn.executemany(
            "INSERT INTO search_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            list(values.items()),
        )

    def _apply(self, docs: Sequence[AnswerLike], report: RefreshReport) -> None:
        existing = {row[0]: (row[1], row[2]) for row in self.conn.execute("SELECT id, rowid, hash FROM search_docs")}
        wanted: dict[str, AnswerLike] = {}
        for doc in docs:
            wanted[doc.id] = doc
        changed: list[tuple[AnswerLike, str]] = []
        for doc in wanted.values():
            digest = _doc_hash(doc)
            old = existing.get(doc.id)
            if old is not None and old[1] == digest:
                report.unchanged += 1
                continue
            changed.append((doc, digest))
        gone = [rowid for doc_id, (rowid, _) in existing.items() if doc_id not in wanted]
        replaced = [existing[doc.id][0] for doc, _ in changed if doc.id in existing]
        delta: list[Counter[str]] = [Counter(), Counter(), Counter(), Counter()]  # df, dt, ds, dl
        totals = {f: float(self._meta().get(f"len_{f}", "0")) for f in FIELDS}
        for rowid in [*gone, *replaced]:
            row = self.conn.execute(
                "SELECT title, questions, tags, body, source, lens FROM search_docs WHERE rowid = ?", (rowid,)
            ).fetchone()
            self.conn.execute(
                "INSERT INTO search_fts_short (search_fts_short, rowid, title, questions, tags) VALUES ('delete', ?, ?, ?, ?)",
                (rowid, *row[:3]),
            )
            self.conn.execute(
                "INSERT INTO search_fts_long (search_fts_long, rowid, body, source) VALUES ('delete', ?, ?, ?)", (rowid, *row[3:5])
            )
            self.conn.execute("DELETE FROM search_docs WHERE rowid = ?", (rowid,))
            for f, n in zip(FIELDS, map(int, row[5].split()), strict=True):
                totals[f] -= n
            for counter, words in zip(delta, _freq_sets(row[:5]), strict=True):
                counter.subtract(words)
        report.removed = len(gone)
        report.updated = len(replaced)
        report.added = len(changed) - len(replaced)
        rows = []
        for doc, digest in changed:
            values, lens, keys, info = self._doc_row(doc)
            for f, n in zip(FIELDS, lens, strict=True):
                totals[f] += n
            for counter, words in zip(delta, _freq_sets(values), strict=True):
                counter.update(words)
            rows.append((doc.id, digest, doc.status, int(bool(doc.expired)), *values, " ".join(map(str, lens)),
                         json.dumps(keys, ensure_ascii=False), zlib.compress(json.dumps(info, ensure_ascii=False).encode("utf-8"))))
            if len(rows) >= 500:
                self._insert(rows)
                rows = []
        self._insert(rows)
        self._update_terms(delta)
        self._index_pinyin()
        n_docs = self.conn.execute("SELECT COUNT(*) FROM search_docs").fetchone()[0]
        self._set_meta(n_docs=str(n_docs), **{f"len_{f}": str(max(0.0, totals[f])) for f in FIELDS})

    def _insert(self, rows: list[tuple[object, ...]]) -> None:
        if not rows:
            return
        self.conn.executemany(
            "INSERT INTO search_docs (id, hash, status, expired, title, questions, tags, body, source, lens, keys, info)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        ids = [r[0] for r in rows]
        marks = ",".join("?" * len(ids))
        self.conn.execute(
            f"INSERT INTO search_fts_short (rowid, title, questions, tags) SELECT rowid, title, questions, tags FROM search_docs"
            f" WHERE id IN ({marks})", ids,
        )
        self.conn.execute(
            f"INSERT INTO search_fts_long (rowid, body, source) SELECT rowid, body, source FROM search_docs WHERE id IN ({marks})", ids
        )

    def _words(self, text: str) -> list[str]:
        return index_tokens(self.segmenter.cut_for_search(normalize_text(text)))  # type: ignore[attr-defined]

    def _doc_row(self, doc: AnswerLike) -> tuple[list[str], list[int], list[object], dict[str, object]]:
        spoken = _shows_spoken(doc)
        answer = plain_answer(doc.spoken_text if spoken and doc.spoken_text else doc.source_text)
        words = {
            "title": self._words(doc.title),
            "questions": [w for q in doc.questions for w in self._words(q)],
            "tags": [w for t in [*doc.tags, doc.category] for w in self._words(t)],
            "body": self._words(answer),
            "source": self._words(plain_answer(doc.source_text)) if spoken else [],
        }
        values = [" ".join(words[f]) for f in FIELDS]
        lens = [len(words[f]) for f in FIELDS]
        keys: list[object] = [
            content_key(doc.title, self.segmenter),  # type: ignore[arg-type]
            [content_key(q, self.segmenter) for q in doc.questions],  # type: ignore[arg-type]
            list(doc.questions), doc.title,
        ]
        info: dict[str, object] = {
            "title": doc.title, "kind": doc.kind, "category": doc.category, "path": doc.path,
            "answer": answer, "spoken": spoken, "verbatim": list(doc.verbatim),
        }
        norm = normalize_text(answer)
        if norm != answer:  # kept only when it differs (traditional, full width): saves the work per search
            info["norm"] = norm
        return values, lens, keys, info

    def _update_terms(self, delta: list[Counter[str]]) -> None:
        df, dt, ds, dl = delta
        rows = [(t, n, dt[t], ds[t], dl[t]) for t, n in df.items() if n or dt[t] or ds[t] or dl[t]]
        self.conn.executemany(
            "INSERT INTO search_terms (term, df, dt, ds, dl) VALUES (?, ?, ?, ?, ?) ON CONFLICT (term) DO UPDATE SET"
            " df = df + excluded.df, dt = dt + excluded.dt, ds = ds + excluded.ds, dl = dl + excluded.dl", rows
        )
        self.conn.execute("DELETE FROM search_terms WHERE df <= 0")

    def _index_pinyin(self) -> None:
        new = [row[0] for row in self.conn.execute("SELECT term FROM search_terms WHERE py = 0")]
        if not new:
            return
        pairs = []
        for term in new:
            if 2 <= len(term) <= 4 and is_cjk(term):
                pairs.extend((key, term) for key in pinyin_keys(term))
        self.conn.executemany("INSERT OR IGNORE INTO search_pinyin (key, term) VALUES (?, ?)", pairs)
        self.conn.execute("UPDATE search_terms SET py = 1 WHERE py = 0")

    # -- search -------------------------------------------------------------------------------

    def _field_stats(self) -> tuple[int, dict[str, float]]:
        if self._stats is None:
            meta = self._meta()
            n = int(meta.get("n_docs", "0"))
            avg = {f: max(1.0, float(meta.get(f"len_{f}", "0")) / n) if n else 1.0 for f in FIELDS}
            self._stats = (n, avg)
        return self._stats

    def _freqs(self, terms: Iterable[str], cache: dict[str, Freq]) -> dict[str, Freq]:
        """(df, dt, ds, dl) per word, added to ``cache``."""
        todo = [t for t in set(terms) if t not in cache]
        for i in range(0, len(todo), 500):
            chunk = todo[i:i + 500]
            found = {r[0]: tuple(r[1:]) for r in self.conn.execute(
                f"SELECT term, df, dt, ds, dl FROM search_terms WHERE term IN ({','.join('?' * len(chunk))})", chunk)}
            for t in chunk:
                cache[t] = found.get(t, (0, 0, 0, 0))  # type: ignore[assignment]
        return cache

    def understand(self, query: str) -> QueryPlan:
        """The query plan with synonyms and, for unknown stretches, pinyin look-alikes from the index."""
        freqs: dict[str, Freq] = {}

        def known(word: str) -> bool:
            return self._freqs([word], freqs)[word][0] > 0

        plan = analyze(query, self.segmenter, self.synonyms, known)  # type: ignore[arg-type]
        self._freqs(plan.all_tokens(), freqs)

        partial: dict[str, list[str]] = {}
        for char in single_characters(plan):
            # Words the index holds that start with the character, most frequent first (a
            # primary-key range scan).
            rows = self.conn.execute(
                "SELECT term, df, dt, ds, dl FROM search_terms WHERE term > ? AND term < ? AND length(term) <= 3"
                " ORDER BY df DESC LIMIT ?", (char, char + "\U0010ffff", PARTIAL_WORDS),
            ).fetchall()
            partial[char] = [r[0] for r in rows]
            freqs.update((r[0], tuple(r[1:])) for r in rows)
        if partial:
            plan = add_partial_words(plan, partial)
        windows = pinyin_windows(plan, known)
        if not windows:
            return plan
        keys = sorted({k for w in windows for k in w.keys})
        by_key: dict[str, list[str]] = {}
        for i in range(0, len(keys), 500):
            chunk = keys[i:i + 500]
            for key, term in self.conn.execute(
                f"SELECT key, term FROM search_pinyin WHERE key IN ({','.join('?' * len(chunk))})", chunk
            ):
                by_key.setdefault(key, []).append(term)
        matches: dict[Window, list[str]] = {}
        found_spans: list[tuple[int, int]] = []
        # Longest stretches first; a shorter one inside a stretch that already found a word adds nothing.
        for window in sorted(windows, key=lambda w: (-(w.end - w.start), w.start)):
            if any(s <= window.start and window.end <= e for s, e in found_spans):
                continue
            terms = pinyin_candidates(window, [t for k in window.keys for t in by_key.get(k, ())])
            terms = [t for t in terms if known(t)]
            if terms:
                terms.sort(key=lambda t: -freqs[t][0])
                matches[window] = terms
                found_spans.append((window.start, window.end))
        has_word = getattr(self.segmenter, "has_word", None)

        def typo(word: str) -> bool:
            return not known(word) and has_word is not None and not has_word(word)

        return add_pinyin(plan, matches, typo=typo)

    def search(self, query: str, limit: int = 10, include_expired: bool = False) -> SearchResponse:
        started = time.perf_counter()
        with self._lock:
            # Query analysis grows faster than linearly with length (5,000 characters took ~15 s);
            # what a caller says in one go fits well within the cap.
            plan = self.understand(query[:MAX_QUERY_CHARS])
            results = self._rank(plan, limit, include_expired) if not plan.empty else []
        response = SearchResponse(query, plan, tuple(results), include_expired, (time.perf_counter() - started) * 1000)
        for listener in self.listeners:
            listener(response)
        return response

    def _candidates(self, plan: QueryPlan, freqs: dict[str, Freq], include_expired: bool, limit: int = 0) -> list[int]:
        """The answers worth scoring: FTS5 bm25 over the variants, best CANDIDATES of each table.

        FTS5 ranks every answer a query word is in, so each table gets a budget of answers to
        rank: variants go in by priority (the caller's words and domain synonyms, then single
        characters, partial words and style-pack pairs, then pinyin guesses), rarest first, while
        the answers they are in fit the budget. Only the words the budget leaves out are skipped
        here; every variant still counts in scoring. When nothing fits (only very common words),
        the rarest are looked up in titles alone, and when even that is over the budget, FTS5
        ranks only the most recently indexed SHORT_BUDGET titles holding it: ranking them all
        grows with the knowledge base (17,000 titles with one name: ~30 ms at 100,000 answers)
        and found no labelled answer the window misses (benchmarks/search_bench.py).
        """
        items: list[tuple[int, str, Freq]] = []
        for group in plan.groups:
            for variant in group.variants:
                tokens = variant.tokens
                if not tokens or any(freqs.get(t, (0,))[0] == 0 for t in tokens):
                    continue  # a variant with a word the index lacks cannot match
                expr = " AND ".join(_fts_quote(t) for t in tokens)
                if len(tokens) > 1:
                    expr = f"({expr})"
                single = len(tokens) == 1 and len(tokens[0]) == 1
                priority = 2 if variant.kind == PINYIN else 0 if variant.weight >= WEIGHTS["domain"] and not single else 1
                # An AND of several words is in at most as many answers as its rarest word.
                cost = tuple(min(freqs[t][i] for t in tokens) for i in range(4))
                items.append((priority, expr, cost))  # type: ignore[arg-type]
        plans: dict[str, list[str]] = {"search_fts_short": [], "search_fts_long": []}
        for table, column, budget in (("search_fts_short", 2, SHORT_BUDGET), ("search_fts_long", 3, LONG_BUDGET)):
            used = 0
            for _, expr, cost in sorted(items, key=lambda it: (it[0], it[2][column])):
                if cost[column] and expr not in plans[table] and used + cost[column] <= budget:
                    plans[table].append(expr)
                    used += cost[column]
        window = False
        if not plans["search_fts_short"] and not plans["search_fts_long"] and items:
            used = 0
            for _, expr, cost in sorted(items, key=lambda it: (it[2][1], it[0])):
                if cost[1] and (not plans["search_fts_short"] or used + cost[1] <= SHORT_BUDGET):
                    plans["search_fts_short"].append("{title} : " + (expr if expr.startswith("(") else f"({expr})"))
                    used += cost[1]
            window = used > SHORT_BUDGET
        # Expired answers are dropped after ranking (in _rank): joining search_docs in the FTS5
        # query would look up every match, tripling its cost. A few extra rows make up for them.
        extra = 0 if include_expired else min(self._n_expired(), EXPIRED_MARGIN)
        per_table = max(CANDIDATES, limit) + extra
        found: dict[int, None] = {}
        for table, weights in (("search_fts_short", "3.0, 2.5, 2.0"), ("search_fts_long", "1.0, 0.6")):
            parts = plans[table]
            if parts:
                sql = f"SELECT rowid FROM {table} WHERE {table} MATCH ? ORDER BY bm25({table}, {weights}) LIMIT {per_table}"
                if window and table == "search_fts_short":
                    sql = (f"SELECT rowid FROM (SELECT rowid, bm25({table}, {weights}) AS score FROM {table} WHERE {table} MATCH ?"
                           f" ORDER BY rowid DESC LIMIT {SHORT_BUDGET}) ORDER BY score LIMIT {per_table}")
                found.update((r[0], None) for r in self.conn.execute(sql, (" OR ".join(parts),)))
        return list(found)

    def _n_expired(self) -> int:
        if self._expired is None:
            self._expired = self.conn.execute("SELECT COUNT(*) FROM search_docs WHERE expired = 1").fetchone()[0]
        return self._expired

    def _rows(self, rowids: list[int]) -> list[_Row]:
        """What scoring needs of the candidates; the display fields are read for the results only."""
        if not rowids:
            return []
        out = []
        marks = ",".join("?" * len(rowids))
        for row in self.conn.execute(
            "SELECT rowid, id, status, expired, lens, keys, title, questions, tags, body, source"
            f" FROM search_docs WHERE rowid IN ({marks})",
            rowids,
        ):
            out.append(_Row(row[0], row[1], row[2], bool(row[3]), dict(zip(FIELDS, row[6:11], strict=True)),
                            list(map(int, row[4].split())), json.loads(row[5])))
        return out

    def _rank(self, plan: QueryPlan, limit: int, include_expired: bool) -> list[SearchResult]:
        n_docs, avg = self._field_stats()
        if not n_docs:
            return []
        freqs = self._freqs(plan.all_tokens(), {})
        df = {t: f[0] for t, f in freqs.items()}
        rows = [r for r in self._rows(self._candidates(plan, freqs, include_expired, limit)) if include_expired or not r.expired]
        if not rows:
            return []

        def idf(term: str) -> float:
            d = df.get(term, 0)
            return math.log(1 + (n_docs - d + 0.5) / (d + 0.5)) if d else 0.0

        # The score an answer would get matching every part of the query once: the scale for the
        # fuzzy bonuses, so they weigh the same for a two-word and a ten-word query.
        full = sum(max((v.weight * max(idf(t) for t in v.tokens) for v in g.variants), default=0.0) for g in plan.groups)
        # Each usable variant, indexed by its first word: a candidate only looks at the variants
        # whose first word it holds (most synonyms, partial words and pinyin guesses are absent).
        by_first: dict[str, list[tuple[int, Variant, float]]] = {}
        for gi, group in enumerate(plan.groups):
            for variant in group.variants:
                weight = variant.weight * max(idf(t) for t in variant.tokens)
                if weight > 0:
                    by_first.setdefault(variant.tokens[0], []).append((gi, variant, weight))
        pads = {t: f" {t} " for vs in by_first.values() for _, v, _ in vs for t in v.tokens}
        # A variant of several words matches where they stand close together, in order (a few
        # words apart: search-mode sub-words and dropped fillers sit between them).
        near = {v: re.compile(" " + " (?:\\S+ ){0,3}?".join(map(re.escape, v.tokens)) + " ")
                for vs in by_first.values() for _, v, _ in vs if len(v.tokens) > 1}
        fuzzy = self._fuzzy(plan.key, rows)
        scored: list[tuple[float, _Row, list[Why], set[str]]] = []
        for row in rows:
            padded = {f: f" {row.fields[f]} " for f in FIELDS}
            whole = "".join(padded.values())
            tf: dict[str, dict[str, int]] = {}
            for t, pt in pads.items():
                if pt in whole:  # one substring test rules a word out before counting per field
                    tf[t] = {f: c for f in FIELDS if (c := padded[f].count(pt))}
            norm = [1 - B[f] + B[f] * row.lens[i] / avg[f] for i, f in enumerate(FIELDS)]
            best: dict[int, tuple[float, Variant, str]] = {}
            hits: set[str] = set()
            for first in tf:
                for gi, variant, weight in by_first.get(first, ()):
                    if len(variant.tokens) == 1:
                        per_field = tf[first]
                    elif all(t in tf for t in variant.tokens):
                        per_field = {f: c for f in FIELDS if all(f in tf[t] for t in variant.tokens)
                                     and (c := len(near[variant].findall(padded[f])))}
                    else:
                        continue
                    if not per_field:
                        continue
                    # Saturation per field, then a weighted sum: a word in the title (or a
                    # listed question) and in the body counts more than in the body alone,
                    # however often the body repeats it. Titles and questions are curated.
                    score, where, top = 0.0, "", 0.0
                    for i, f in enumerate(FIELDS):
                        if f in per_field:
                            c = per_field[f]
                            part = BOOST[f] * c * (K1 + 1) / (c + K1 * norm[i])
                            score += part
                            if part > top:
                                where, top = f, part
                    score *= weight
                    if "body" in per_field or "source" in per_field:
                        hits.update(variant.tokens)  # every match in the answer is highlighted
                    if gi not in best or score > best[gi][0]:
                        best[gi] = (score, variant, where)
            total = sum(score for score, _, _ in best.values())
            q_sim, _, t_sim = fuzzy[row.rowid]
            if q_sim > FUZZY_FLOOR:
                total += QUESTION_BONUS * full * (q_sim - FUZZY_FLOOR) / (100 - FUZZY_FLOOR)
            if t_sim > FUZZY_FLOOR:
                total += TITLE_BONUS * full * (t_sim - FUZZY_FLOOR) / (100 - FUZZY_FLOOR)
            if total <= 0:
                continue
            total *= STATUS_FACTOR.get(row.status, 0.8) * (EXPIRED_FACTOR if row.expired else 1.0)
            scored.append((total, row, best, hits))
        scored.sort(key=lambda item: (-item[0], item[1].id))
        top = scored[:limit]
        info = self._info([row.rowid for _, row, _, _ in top])
        # Reasons are written out for the results shown only: a frozen dataclass per reason and
        # candidate cost more than scoring some candidates.
        return [self._result(score, row, self._why(plan, best, fuzzy[row.rowid], row), hits, info[row.rowid])
                for score, row, best, hits in top]

    @staticmethod
    def _why(plan: QueryPlan, best: dict[int, tuple[float, Variant, str]], fuzzy: tuple[float, str, float],
             row: _Row) -> list[Why]:
        why = [Why(v.kind, plan.groups[gi].text, v.text, where, origin=v.origin) for gi, (_, v, where) in sorted(best.items())]
        q_sim, q_text, t_sim = fuzzy
        if q_sim > FUZZY_FLOOR:
            why.append(Why("question", plan.text, q_text, "questions", q_sim))
        if t_sim > FUZZY_FLOOR:
            why.append(Why("fuzzy_title", plan.text, row.keys[3], "title", t_sim))
        return why

    def _fuzzy(self, key: str, rows: list[_Row]) -> dict[int, tuple[float, str, float]]:
        """Per candidate: best similarity to one of its questions (and which), and to its title."""
        names: list[str] = []
        owners: list[tuple[int, str]] = []
        for row in rows:
            tkey, qkeys, questions, _ = row.keys
            names.append(tkey)
            owners.append((row.rowid, ""))
            names.extend(qkeys)
            owners.extend((row.rowid, q) for q in questions)
        out = {row.rowid: (0.0, "", 0.0) for row in rows}
        for (rowid, question), score in zip(owners, similarities(key, names), strict=True):
            q_sim, q_text, t_sim = out[rowid]
            if question and score > q_sim:
                out[rowid] = (score, question, t_sim)
            elif not question and score > t_sim:
                out[rowid] = (q_sim, q_text, score)
        return out

    def _info(self, rowids: list[int]) -> dict[int, dict[str, object]]:
        if not rowids:
            return {}
        marks = ",".join("?" * len(rowids))
        return {r[0]: json.loads(zlib.decompress(r[1])) for r in self.conn.execute(
            f"SELECT rowid, info FROM search_docs WHERE rowid IN ({marks})", rowids)}

    def _result(self, score: float, row: _Row, why: list[Why], hits: set[str], info: dict[str, object]) -> SearchResult:
        answer = str(info["answer"])
        # Single characters (卡, 丢) are highlighted only when nothing longer matched: a snippet
        # with every 卡 marked shows nothing.
        words = {h for h in hits if len(h) > 1} or hits
        snippet, spans = make_snippet(answer, words, norm=str(info.get("norm", answer)))
        labels = []
        if row.status in STATUS_LABELS:
            labels.append(STATUS_LABELS[row.status])
        if row.expired:
            labels.append(EXPIRED_LABEL)
        return SearchResult(
            id=row.id, title=str(info["title"]), status=row.status, score=score, snippet=snippet,
            highlights=tuple(spans), answer=answer, spoken=bool(info["spoken"]),
            verbatim=tuple(info["verbatim"]), why=tuple(why), labels=tuple(labels),  # type: ignore[arg-type]
            kind=str(info["kind"]), category=str(info["category"]), expired=row.expired, path=str(info["path"]),
        )


# -- snippets ---------------------------------------------------------------------------------

def highlight_spans(text: str, terms: Iterable[str], norm: str | None = None) -> list[tuple[int, int]]:
    """Where ``terms`` occur in ``text`` (matched on its normalised form ``norm``), merged, in order."""
    if norm is None:
        norm = normalize_text(text)
    spans: list[tuple[int, int]] = []
    for term in {t for t in terms if t}:
        at = norm.find(term)
        while at >= 0:
            spans.append((at, at + len(term)))
            at = norm.find(term, at + len(term))
    spans.sort()
    merged: list[tuple[int, int]] = []
    for s, e in spans:
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], e))
        else:
            merged.append((s, e))
    return merged


def make_snippet(text: str, terms: Iterable[str], width: int = SNIPPET_CHARS,
                 norm: str | None = None) -> tuple[str, list[tuple[int, int]]]:
    """The stretch of ``text`` (about ``width`` characters) with the most matched words, and the
    spans to highlight in it. Starts at a sentence start when one is near, so it reads naturally.
    ``norm`` is ``normalize_text(text)`` when the caller has it."""
    flat = text.replace("\n", " ")
    spans = highlight_spans(flat, terms, norm.replace("\n", " ") if norm is not None else None)
    if len(flat) <= width:
        return flat, spans
    starts = [a for a, _ in spans]
    ends = [b for _, b in spans]
    best_start, best_count = 0, 0
    for s in starts:
        start = max(0, s - 10)
        count = bisect.bisect_right(ends, start + width) - bisect.bisect_left(starts, start)
        if count > best_count:
            best_start, best_count = start, count
    cut = max(flat.rfind(p, max(0, best_start - 20), best_start) for p in "。！？；")
    if cut >= 0:
        best_start = cut + 1
    while best_start < len(flat) and flat[best_start] == " ":
        best_start += 1
    end = min(len(flat), best_start + width)
    prefix = "…" if best_start > 0 else ""
    suffix = "…" if end < len(flat) else ""
    offset = len(prefix) - best_start
    return prefix + flat[best_start:end] + suffix, [(a + offset, b + offset) for a, b in spans if a >= best_start and b <= end]


# -- opening ----------------------------------------------------------------------------------

def open_index(store: object, kb_dir: Path, style: str | None = None,
               listeners: Iterable[SearchListener] = ()) -> SearchIndex:
    """The index of a store (``Store`` from ``kbtool.services.store``) with the knowledge base's
    synonyms and the style pack's formal <-> spoken pairs."""
    conn = store.conn  # type: ignore[attr-defined]
    synonyms = load_synonyms(kb_dir) + pack_synonyms(conn, style)
    from kbtool.services.querylog import LearnedAnswers  # questions approved from the search log

    return SearchIndex(conn, LearnedAnswers(store), synonyms, listeners,  # type: ignore[arg-type]
                       lock=getattr(store, "_lock", None))
