"""The TUI's door to the services: the catalog of articles, the review store, search, drafts.

Screens and workers call these small functions instead of reaching into several services, so
the rules of what to load from where live in one place:

* With the review store (the default), the article list comes from the store, which caches
  every parsed file and re-reads only changed ones: parsing 10,000 Markdown files with their
  YAML front matter takes ~20 s, reading them back from the store well under a second.
* Without it (``--no-store`` in tests, or a store that cannot open) the files are parsed.

Everything here is plain Python: no Textual.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kbtool.core.errors import KbInputError


class Unavailable(Exception):
    """A service cannot be used; the message is shown to the user as is."""


@dataclass(frozen=True)
class Entry:
    """One article as the lists show it. ``body`` is the text that is checked and rewritten."""

    id: str
    title: str
    kind: str
    category: str
    path: str
    body: str
    source_hash: str
    status: str = ""          # none | draft | in_review | changes_requested | rejected | approved | archived | stale
    tags: tuple[str, ...] = ()
    head_revision: int | None = None


def entry_from_article(article: Any) -> Entry:
    return Entry(article.id, article.title, article.kind, article.category, article.path, article.body,
                 article.content_hash, "", tuple(article.tags))


def entry_from_info(info: Any) -> Entry:
    status = "stale" if info.stale and info.state == "approved" else info.state
    return Entry(info.id, info.title, info.kind, info.category, info.path, info.source_text, info.source_hash,
                 status, (), info.head_revision)


def _problem_text(exc: KbInputError) -> str:
    return "；".join(str(p) for p in exc.problems)


# -- the catalog -------------------------------------------------------------------------------

def load_files(kb_dir: Path) -> tuple[list[Entry], list[Any]]:
    from kbtool.services.kb import load_articles

    result = load_articles([kb_dir])
    return [entry_from_article(a) for a in result.articles], list(result.problems)


def open_store(db: Path | None, kb_dir: Path, user: str | None) -> tuple[Any, str, list[Any]]:
    """The store, synced with ``kb_dir``: (store, a one-line note of what changed, problems)."""
    try:
        from kbtool.services.store import Store
    except ImportError:
        raise Unavailable("审核库模块没有安装：草稿保存、审核与查询不可用") from None
    try:
        store = Store.open(db, kb_dir=kb_dir)
        note, problems = "", []
        if store.needs_sync():
            report = store.sync(user=user)
            problems = list(report.problems)
            if report.changes:
                note = f"已同步知识库：新增 {len(report.new)}，修改 {len(report.changed)}，删除 {len(report.deleted)}"
                if report.stale:
                    note += f"；{len(report.stale)} 篇已通过的口语稿因原文修改而待更新"
    except KbInputError as exc:
        raise Unavailable(f"审核库打不开：{_problem_text(exc)}") from None
    return store, note, problems


def catalog(store: Any) -> list[Entry]:
    return [entry_from_info(info) for info in store.articles()]


def refresh_entry(store: Any, article_id: str) -> Entry:
    return entry_from_info(store.article(article_id))


def user_name(user: str | None) -> str:
    try:
        from kbtool.services.store import current_user
    except ImportError:
        import getpass

        return user or getpass.getuser()
    return current_user(user)


# -- checking ------------------------------------------------------------------------------------

def as_article(article_id: str, body: str) -> Any:
    """The body as a plain-text article: its code, verbatim blocks and URLs are found and skipped."""
    from kbtool.core.article import parse_article

    return parse_article(body, f"{article_id}.txt", default_id=article_id)


def check_entry(detector: Any, entry: Entry) -> Any:
    """The entry's report (findings in body offsets, metrics), or None when its body is broken."""
    from kbtool.core.report import check_article

    try:
        return check_article(detector, as_article(entry.id, entry.body))
    except KbInputError:
        return None


@dataclass(frozen=True)
class Summary:
    """What the article list shows of a check: kept small, 10,000 of them stay in memory."""

    readiness: int
    findings: int
    worst: str | None
    read_aloud: float


def summarize(report: Any) -> Summary:
    from kbtool.core.stylepack import LEVEL_RANK

    worst = min((f.level for f in report.findings), key=LEVEL_RANK.__getitem__, default=None)
    return Summary(report.metrics.readiness, len(report.findings), worst, report.metrics.read_aloud_seconds)


# Checking is ~85,000 characters a second with the default pack: a 10,000-article knowledge base
# takes minutes. The list's summaries are kept between runs, keyed by each article's content
# hash and by everything that changes a check's outcome (pack files, kbtool's own code).
SUMMARY_CACHE_VERSION = 1


def summary_cache_path(store: Any, cache_dir: Path | None = None) -> Path | None:
    """In the user's cache folder (never inside the knowledge base), one file per store."""
    import hashlib
    import os

    db = getattr(store, "db_path", None)
    if not db:
        return None
    from platformdirs import user_cache_dir

    folder = Path(cache_dir or os.environ.get("KBTOOL_CACHE_DIR") or user_cache_dir("kbtool"))
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    name = hashlib.sha256(str(Path(db).resolve()).encode("utf-8")).hexdigest()[:16]
    return folder / f"tui-summaries-{name}.json"


def checks_signature(pack: Any) -> str:
    import hashlib

    import kbtool
    from kbtool import core

    digest = hashlib.sha256(f"{SUMMARY_CACHE_VERSION}|{kbtool.__version__}".encode())
    files: set[Path] = set()
    for source in getattr(pack, "sources", ()):
        path = Path(source)
        folder = path.parent
        files.add(path)
        files.update(folder.glob("*.yml"))
        files.update(folder.glob("*.yaml"))
    files.update(Path(core.__file__).parent.glob("*.py"))
    for path in sorted(files):
        try:
            st = path.stat()
        except OSError:
            continue
        digest.update(f"{path}|{st.st_size}|{st.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def load_summaries(path: Path | None, signature: str) -> dict[str, tuple[str, Summary]]:
    """Cached summaries (article id -> (content hash, summary)); {} when absent or outdated."""
    import json

    if path is None:
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("signature") != signature:
            return {}
        return {k: (v[0], Summary(*v[1:])) for k, v in data["articles"].items()}
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return {}  # a missing or damaged cache only costs a re-check


def save_summaries(path: Path | None, signature: str, summaries: dict[str, tuple[str, Summary]]) -> None:
    import json
    import os

    if path is None:
        return
    data = {"signature": signature,
            "articles": {k: [h, s.readiness, s.findings, s.worst, s.read_aloud] for k, (h, s) in summaries.items()}}
    tmp = path.with_name(path.name + ".tmp")
    try:
        tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        pass  # read-only folder: the next start checks again


def check_draft(detector: Any, text: str, source: str) -> tuple[list[Any], Any, Any, str]:
    """Findings, metrics, fact check and a problem note for a spoken draft.

    The draft is read as a plain-text article so its verbatim blocks and code are skipped just
    as they are in the source; a broken fence is reported in the note and the text is checked
    whole.
    """
    from kbtool.core.report import check_text

    note = ""
    try:
        from kbtool.core.report import check_article

        report = check_article(detector, as_article("draft", text))
        findings, metrics = report.findings, report.metrics
    except KbInputError as exc:
        problem = exc.problems[0]
        note = f"第{problem.line}行：{problem.message}" if problem.line else problem.message
        findings, metrics = check_text(detector, text)
    return findings, metrics, fact_check(source, text), note


def fact_check(source: str, spoken: str) -> Any:
    """The fact check (issue 4) as the store sees it; None when no checker is installed."""
    try:
        from kbtool.services.store import fact_check as store_fact_check
    except ImportError:
        return None
    result = store_fact_check(source, spoken)
    return result if result.available else None


# -- drafts ---------------------------------------------------------------------------------------

@dataclass
class Opened:
    """An article ready for the editor: its source, the draft and where it came from."""

    entry: Entry
    body: str
    source_hash: str
    draft: Any                # kbtool.core.draft.Draft
    base_revision: int | None
    report: Any               # the source's findings and metrics
    skip: tuple[tuple[int, int], ...]
    verbatim: tuple[tuple[int, int], ...]
    note: str = ""
    review: str = ""          # the reviewer's word when the draft came back: 李四 退回修改：…


def open_for_editing(store: Any, detector: Any, entry: Entry) -> Opened:
    """Build the draft to edit: the latest saved revision when there is one, else a fresh one."""
    from kbtool.core.draft import suggest_draft
    from kbtool.core.report import check_article

    body, source_hash, head, review = entry.body, entry.source_hash, None, ""
    if store is not None:
        info = store.article(entry.id)
        body, source_hash, head = info.source_text, info.source_hash, info.head_revision
        if info.state in ("changes_requested", "rejected"):
            review = _last_decision(store, entry.id)
    article = as_article(entry.id, body)
    report = check_article(detector, article)
    draft = suggest_draft(detector, article, report=report, every_finding=True, source_hash=source_hash)
    note = ""
    if head is not None:
        revision = store.revision(entry.id, head)
        saved = _saved_draft(revision.decisions_data)
        if saved is not None and saved.source == body and saved.text == revision.spoken_text:
            draft = saved
        else:
            # Saved from elsewhere (the CLI) or over an older source: keep its text exactly, as
            # one free edit; the findings are offered again on the current source.
            draft.edit_output(0, len(draft.text), revision.spoken_text)
            if saved is not None and saved.source != body:
                note = f"原文在 r{head} 之后改过：口语稿按原样载入，请对照原文核对"
    return Opened(entry, body, source_hash, draft, head, report, article.skip, article.verbatim, note, review)


def _last_decision(store: Any, article_id: str) -> str:
    """“李四 退回修改 r2：意见” from the history, for the editor who opens the draft again."""
    from kbtool.services.store import ACTION_NAMES

    for event in reversed(store.history(article_id)):
        if event.action in ("request_changes", "reject"):
            comment = (event.detail or {}).get("comment", "")
            return f"{event.user} {ACTION_NAMES.get(event.action, event.action)} r{event.revision}：{comment}"
    return ""


def _saved_draft(data: Any) -> Any:
    from kbtool.core.draft import Draft

    if not isinstance(data, dict):
        return None
    try:
        return Draft.from_dict(data)
    except ValueError:
        return None


def save_draft(store: Any, article_id: str, text: str, base: int | None, decisions: dict[str, Any], user: str) -> Any:
    """Save a revision; raises the store's ConflictError / StoreError (one-line messages)."""
    return store.save(article_id, text, base_revision=base, decisions=decisions, user=user)


def submit(store: Any, article_id: str, user: str) -> Any:
    return store.submit(article_id, user=user)


# -- review ----------------------------------------------------------------------------------------

def review_queue(store: Any) -> list[tuple[Entry, Any]]:
    """Articles in review with the revision under review, oldest article id first."""
    out = []
    for info in store.articles(states=("in_review",)):
        revision = store.revision(info.id, info.head_revision) if info.head_revision else None
        out.append((entry_from_info(info), revision))
    return out


def build_review(store: Any, detector: Any, article_id: str) -> Any:
    from kbtool.services.review import build_review as build

    return build(store, article_id, detector)


# -- search ------------------------------------------------------------------------------------------

def open_search(db: Path | None, kb_dir: Path, style: str | None) -> Any:
    """A search index on its own connection to the store (searching never waits on a save)."""
    try:
        from kbtool.services.search import open_index
        from kbtool.services.store import Store
    except ImportError:
        raise Unavailable("检索模块没有安装：查询界面不可用") from None
    try:
        store = Store.open(db, kb_dir=kb_dir)
        index = open_index(store, kb_dir, style)
        index.refresh()
    except KbInputError as exc:
        raise Unavailable(f"检索索引打不开：{_problem_text(exc)}") from None
    return index


def search(index: Any, query: str, limit: int = 20) -> Any:
    """Ranked results for the caller's words (the index refreshes itself when answers changed)."""
    index.refresh()
    return index.search(query, limit=limit)


def replace_status(entry: Entry, status: str) -> Entry:
    return dataclasses.replace(entry, status=status)


# -- the search log and question suggestions (issue 9) ----------------------------------------------

def open_query_log(store: Any, style: str | None) -> Any:
    """The store's search log, masking with the pack's patterns (read from the pack files)."""
    from kbtool.services.querylog import QueryLog

    try:
        return QueryLog.open(store, style=style)
    except KbInputError as exc:
        raise Unavailable(f"查询日志不可用（查询照常，只是不记录）：{_problem_text(exc)}") from None


class SearchLogWriter:
    """The agent's search box logging (``AgentSearchLog``) on a thread of its own.

    The UI thread only queues a call (microseconds). The write itself is ~0.2 ms, but waits up
    to the store's busy timeout when another process holds the write lock: it must never hold
    up typing, and a failure must never reach the search. Calls run in the order they were
    queued, which ``AgentSearchLog`` depends on (a search before the open that follows it).
    ``on_error`` is called (from the writer thread) once per distinct failure.
    """

    def __init__(self, log: Any, user: str | None, on_error: Any = None) -> None:
        import queue
        import threading

        from kbtool.services.querylog import AgentSearchLog

        self.query_log = log
        self.agent_log = AgentSearchLog(log, user=user, source="tui")
        self.on_error = on_error
        self.error: str | None = None
        self._queue: queue.Queue[tuple[str, tuple[Any, ...]] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="kbtool-search-log", daemon=True)
        self._thread.start()

    def searched(self, query: str, shown: Any) -> None:
        self._queue.put(("searched", (query, tuple(shown))))

    def opened(self, article_id: str, action: str = "open") -> None:
        self._queue.put(("opened", (article_id, action)))

    def flush(self) -> None:
        self._queue.put(("flush", ()))

    def set_user(self, user: str) -> None:
        self._queue.put(("user", (user,)))

    def wait(self) -> None:
        """Until every queued call has run (tests)."""
        self._queue.join()

    def close(self, timeout: float = 2.0) -> None:
        """Write what is held and stop; quitting waits at most ``timeout`` for a locked store."""
        self._queue.put(("flush", ()))
        self._queue.put(None)
        self._thread.join(timeout)
        if not self._thread.is_alive():
            self.query_log.close()

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            try:
                if item is None:
                    return
                name, args = item
                if name == "user":
                    self.agent_log.user = args[0]
                else:
                    getattr(self.agent_log, name)(*args)
                error = self.agent_log.error
            except Exception as exc:  # a bug in logging must not end logging, nor reach search
                error = f"{type(exc).__name__}: {exc}"
            finally:
                self._queue.task_done()
            if error and error != self.error:
                self.error = error
                if self.on_error is not None:
                    self.on_error(error)
            self.agent_log.error = None


@dataclass(frozen=True)
class QuestionsView:
    """An answer's questions and what the search log suggests adding (the editor's panel)."""

    standard: str                 # 标准问: the first listed question (or the title)
    similar: tuple[str, ...]      # 相似问: the other listed questions
    learned: tuple[str, ...]      # added from use: approved, or proposed in the head revision
    suggestions: tuple[Any, ...]  # querylog.Suggestion, most searched first


def article_questions(log: Any, article_id: str) -> QuestionsView:
    changes = log.question_changes(article_id)
    listed = changes.source or ("",)
    learned = tuple(dict.fromkeys((*changes.approved, *changes.proposed)))
    return QuestionsView(listed[0], tuple(listed[1:]), learned, tuple(log.suggestions_for(article_id)))


def question_changes(log: Any, store: Any, article_id: str, revision: int) -> Any:
    """What a revision adds to or drops from the answer's questions (the reviewer's diff);
    None when the search log cannot be read (the review goes on without it)."""
    from kbtool.services.querylog import QueryLog

    try:
        if log is not None:
            return log.question_changes(article_id, revision)
        with QueryLog(store) as own:
            return own.question_changes(article_id, revision)
    except KbInputError:
        return None
