"""Questions callers ask: comparison keys, duplicates across answers, and clustering of logged
search queries into suggested questions.

Plain functions over plain data: no store, no I/O. The query log (services.querylog) feeds
them rows and persists what editors decide.
"""

from __future__ import annotations

import hashlib
import heapq
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

from kbtool.core.article import Article
from kbtool.core.errors import InputProblem
from kbtool.core.text import normalize_key

# Similarity (rapidfuzz ratio, 0–100, over core keys) at which two wordings count as one question.
CLUSTER_SCORE = 80.0
# A logged query this close to one of the opened answer's questions is already covered.
MATCH_SCORE = 88.0
# Questions under two answers this close (but not equal) are listed as near duplicates.
NEAR_DUP_SCORE = 86.0

# Filler that carries no meaning for matching: greetings and lead-ins at the start, "what do I
# do", "can I" and sentence particles at the end. Longest first so 该怎么办 wins over 怎么办.
_LEADING = sorted([
    "你好", "您好", "喂", "请问一下", "请问", "我想问一下", "我想问问", "我想问下", "我想咨询一下", "我想咨询",
    "想问一下", "想问下", "问一下", "问下", "咨询一下", "咨询下", "麻烦问一下", "麻烦问下", "麻烦", "那个",
    "就是", "我想了解一下", "了解一下", "帮我查一下", "帮我查下", "我问一下",
], key=len, reverse=True)
_TRAILING = sorted([
    "该怎么办才好", "该怎么办", "怎么办呢", "怎么办啊", "怎么办", "咋办", "咋整", "怎么弄", "怎么搞", "怎么处理",
    "如何处理", "怎么解决", "怎么回事", "是怎么回事", "咋回事", "啥情况", "什么情况", "吗", "呢", "啊", "呀", "吧",
    "嘛", "哈", "哦", "么", "谢谢", "谢谢你", "谢谢您",
], key=len, reverse=True)
_LEADING_RE = re.compile("^(?:" + "|".join(map(re.escape, _LEADING)) + ")+")
_TRAILING_RE = re.compile("(?:" + "|".join(map(re.escape, _TRAILING)) + ")+$")


def question_key(text: str) -> str:
    """Identity of a question: traditional→simplified, half width, no punctuation or spaces,
    lower case. Two questions with the same key are the same question."""
    return normalize_key(text)


def core_key(text: str) -> str:
    """``question_key`` without lead-in and sentence-final filler (请问…怎么办吗): the part of a
    wording that decides which answer it needs. Never empty when the key is not: a query that
    is all filler keeps its key."""
    key = question_key(text)
    core = _TRAILING_RE.sub("", _LEADING_RE.sub("", key))
    return core or key


def similarity(a: str, b: str) -> float:
    """0–100 similarity of two core keys (already normalised): rapidfuzz ratio, or, when the
    shorter is at least half the longer, 0.9 × partial ratio — 电话卡丢了 inside 电话卡丢了怎么补
    is the same question (the rule search uses for listed questions, kbtool.core.query)."""
    if a == b:
        return 100.0
    score = float(fuzz.ratio(a, b))
    short, long_ = sorted((len(a), len(b)))
    if short >= 3 and short * 2 >= long_:
        score = max(score, 0.9 * float(fuzz.partial_ratio(a, b)))
    return score


def best_match(core: str, choices: Sequence[str], min_score: float) -> int | None:
    """Index of a choice similar to ``core`` (``similarity`` ≥ ``min_score``), or None: the
    best plain ratio when one reaches ``min_score`` (rapidfuzz's C loop), else the best of the
    partial rule, which costs more and runs only when the ratio found nothing."""
    if not choices:
        return None
    hit = process.extractOne(core, choices, scorer=fuzz.ratio, score_cutoff=min_score)
    if hit:
        return int(hit[2])
    n = len(core)
    if n < 3:
        return None
    best: tuple[float, int] | None = None
    for _, _, i in process.extract(core, choices, scorer=fuzz.partial_ratio, score_cutoff=min_score / 0.9, limit=8):
        score = similarity(core, choices[i])
        if score >= min_score and (best is None or score > best[0]):
            best = (score, int(i))
    return best[1] if best else None


def effective_questions(questions: Sequence[str], title: str) -> tuple[str, ...]:
    """An answer's questions; the title stands in when it lists none (formats.md)."""
    return tuple(questions) if questions else (title,)


# -- duplicates across answers ----------------------------------------------------------------

@dataclass(frozen=True)
class QuestionSite:
    """Where one question is listed."""

    article_id: str
    question: str
    path: str
    line: int | None

    def where(self) -> str:
        return f"{self.path}:{self.line}" if self.line else self.path


@dataclass(frozen=True)
class DuplicateQuestion:
    """One question (or two nearly equal ones) listed under more than one answer."""

    key: str
    sites: tuple[QuestionSite, ...]
    score: float = 100.0      # 100: the same question after normalisation; less: near duplicates

    @property
    def exact(self) -> bool:
        return self.score >= 100.0

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(s.article_id for s in self.sites))

    def message(self) -> str:
        ids = "、".join(self.ids)
        texts = " / ".join(dict.fromkeys(f"「{s.question}」" for s in self.sites))
        if self.exact:
            return f"同一个问法 {texts} 挂在 {len(self.ids)} 个答案下（{ids}）：坐席会搜到两个答案"
        return f"问法 {texts} 几乎相同（相似度 {self.score:.0f}），分属 {ids}：请确认是否同一个问题"

    def to_dict(self) -> dict[str, object]:
        return {
            "key": self.key, "exact": self.exact, "score": round(self.score, 1), "ids": list(self.ids),
            "sites": [{"id": s.article_id, "question": s.question, "path": s.path, "line": s.line} for s in self.sites],
            "message": self.message(),
        }


_ITEM = re.compile(r"^\s*-(?:\s|$)")


def question_lines(article: Article) -> list[int | None]:
    """The line of each of ``article.questions`` in its file (the ``questions:`` line for a
    flow list ``[a, b]`` or when an item cannot be placed)."""
    start = article.meta_lines.get("questions")
    if start is None:
        return [None] * len(article.questions)
    lines = article.text[:article.body_start or len(article.text)].splitlines()
    head = lines[start - 1] if start - 1 < len(lines) else ""
    if "[" in head.partition(":")[2]:
        return [start] * len(article.questions)
    # Block list: the items are the "- " lines that follow, one per question.
    items: list[int] = []
    for i in range(start, len(lines)):
        stripped = lines[i].strip()
        if _ITEM.match(lines[i]):
            items.append(i + 1)
        elif stripped and not stripped.startswith("#"):
            break
    if len(items) != len(article.questions):
        return [start] * len(article.questions)
    return list(items)


def sites_of(articles: Iterable[Article], extra: dict[str, Sequence[str]] | None = None, *,
             titles: bool = True) -> list[QuestionSite]:
    """Every question of every article (the title when it has none, unless ``titles`` is
    false) with file and line; ``extra`` adds questions learned from use (approved in the
    store, no line in the file)."""
    sites: list[QuestionSite] = []
    for art in articles:
        if art.questions:
            for question, line in zip(art.questions, question_lines(art), strict=True):
                sites.append(QuestionSite(art.id, question, art.path, line))
        elif titles:
            sites.append(QuestionSite(art.id, art.title, art.path, art.meta_lines.get("title")))
        for question in (extra or {}).get(art.id, ()):
            sites.append(QuestionSite(art.id, question, f"{art.path}（已审核通过的新增问法）", None))
    return sites


def duplicate_questions(sites: Sequence[QuestionSite]) -> list[DuplicateQuestion]:
    """Questions whose key is listed under two or more answers."""
    by_key: dict[str, list[QuestionSite]] = defaultdict(list)
    for site in sites:
        key = question_key(site.question)
        if key:
            by_key[key].append(site)
    out = []
    for key, group in by_key.items():
        if len({s.article_id for s in group}) > 1:
            out.append(DuplicateQuestion(key, tuple(group)))
    out.sort(key=lambda d: (d.sites[0].path, d.sites[0].line or 0, d.key))
    return out


def duplicate_question_problems(sites: Sequence[QuestionSite]) -> list[InputProblem]:
    """One problem line per question listed under two answers, at each later listing, naming
    both ids: loading reports it like any other invalid field."""
    out = []
    for dup in duplicate_questions(sites):
        first = dup.sites[0]
        for site in dup.sites[1:]:
            if site.article_id != first.article_id:
                out.append(InputProblem(site.path, site.line, f"问法「{site.question}」与 {first.article_id}"
                                                              f"（{first.where()}）重复：坐席会搜到两个答案"))
    return out


def _bigrams(key: str) -> set[str]:
    return {key[i:i + 2] for i in range(len(key) - 1)} or {key}


def near_duplicate_questions(sites: Sequence[QuestionSite], min_score: float = NEAR_DUP_SCORE) -> list[DuplicateQuestion]:
    """Pairs of questions under different answers that differ only slightly: the same core
    wording with other filler (卡丢了怎么办 / 卡丢了咋办), or a rapidfuzz ratio ≥ ``min_score``.
    Exact duplicates are left to ``duplicate_questions``.

    Candidates come from shared character bigrams, so a large knowledge base is not compared
    pair by pair."""
    keys = [question_key(s.question) for s in sites]
    cores = [core_key(s.question) for s in sites]
    index: dict[str, list[int]] = defaultdict(list)
    for i, core in enumerate(cores):
        for gram in _bigrams(core):
            index[gram].append(i)
    seen: set[tuple[int, int]] = set()
    out: list[DuplicateQuestion] = []
    for i, core in enumerate(cores):
        grams = _bigrams(core)
        shared: dict[int, int] = defaultdict(int)
        for gram in grams:
            for j in index[gram]:
                if j > i:
                    shared[j] += 1
        for j, count in shared.items():
            if sites[i].article_id == sites[j].article_id or keys[i] == keys[j]:
                continue
            # ratio >= 86 needs most bigrams in common; skip hopeless pairs before scoring.
            if count * 2 < min(len(grams), len(_bigrams(cores[j]))):
                continue
            score = 99.0 if core == cores[j] else similarity(core, cores[j])
            if score >= min_score and (i, j) not in seen:
                seen.add((i, j))
                out.append(DuplicateQuestion(core, (sites[i], sites[j]), min(score, 99.0)))
    out.sort(key=lambda d: (-d.score, d.sites[0].path, d.sites[0].line or 0))
    return out


# -- clustering logged queries ----------------------------------------------------------------

@dataclass
class Cluster:
    """Near-duplicate wordings of one question, with how often each was searched."""

    key: str                                   # core key of the most frequent wording
    article_id: str | None                     # the answer opened after them (None: a gap)
    wordings: dict[str, int] = field(default_factory=dict)   # masked query text -> count
    keys: set[str] = field(default_factory=set)               # core keys of all members
    last_at: str = ""

    @property
    def count(self) -> int:
        return sum(self.wordings.values())

    @property
    def text(self) -> str:
        """The wording to show and to add as a question: the most frequent one, preferring
        wordings without masked data and, among equals, the shortest."""
        return min(self.wordings, key=lambda w: ("***" in w, -self.wordings[w], len(w), w))

    @property
    def id(self) -> str:
        return suggestion_id(self.article_id, self.key)


def suggestion_id(article_id: str | None, key: str) -> str:
    """A short stable id for (answer, wording): the same suggestion keeps its id across runs."""
    digest = hashlib.sha1(f"{article_id or ''}\0{key}".encode()).hexdigest()[:8]
    return ("g" if article_id is None else "s") + digest


@dataclass(frozen=True)
class LoggedQuery:
    """One distinct (wording, opened answer) of the log, already aggregated."""

    text: str                 # masked query as logged
    core: str                 # core_key(text)
    article_id: str | None    # answer opened after it (None: nothing opened)
    count: int
    last_at: str = ""


def cluster_queries(
    rows: Iterable[LoggedQuery],
    min_score: float = CLUSTER_SCORE,
) -> list[Cluster]:
    """Group wordings per opened answer (per None for gaps) into clusters of near duplicates,
    most searched first. Greedy, in order of frequency: a wording joins the cluster of the most
    similar wording already placed (``similarity`` ≥ ``min_score``), else starts a new cluster.
    Linking to any member, not just the first, keeps 这个号不想用了 with 这个号不想要了 even when
    这个号不要了 leads; clusters never span two answers, so a chain cannot join unrelated ones."""
    by_article: dict[str | None, dict[str, LoggedQuery | list[LoggedQuery]]] = defaultdict(dict)
    grouped: dict[tuple[str | None, str], list[LoggedQuery]] = defaultdict(list)
    for row in rows:
        if row.core:
            grouped[(row.article_id, row.core)].append(row)
    for (article_id, core), members in grouped.items():
        by_article[article_id][core] = members
    clusters: list[Cluster] = []
    for article_id, cores in by_article.items():
        order = sorted(cores, key=lambda c: (-sum(m.count for m in cores[c]), len(c), c))  # type: ignore[union-attr]
        linker = _Linker(order, min_score)
        mine: list[Cluster] = []
        for core in order:
            members: list[LoggedQuery] = cores[core]  # type: ignore[assignment]
            found = linker.find(core)
            if found is None:
                target = Cluster(core, article_id)
                mine.append(target)
                found = len(mine) - 1
            else:
                target = mine[found]
            linker.add(core, found)
            target.keys.add(core)
            for m in members:
                target.wordings[m.text] = target.wordings.get(m.text, 0) + m.count
                target.last_at = max(target.last_at, m.last_at)
        clusters.extend(mine)
    clusters.sort(key=lambda c: (-c.count, c.article_id or "", c.key))
    return clusters


class _Linker:
    """Finds the cluster of the most similar wording placed so far without comparing against
    all of them: candidates are the placed wordings sharing one of the new wording's rarest
    character bigrams (rare within this group). Two wordings similar enough to cluster share
    most bigrams, so a rare one almost always; comparing only those keeps 100,000 logged
    searches to seconds where all pairs would take minutes."""

    PROBES = 4
    MAX_CANDIDATES = 300

    def __init__(self, cores: Sequence[str], min_score: float) -> None:
        self.min_score = min_score
        self.grams = {core: _grams(core) for core in cores}
        self.df: dict[str, int] = defaultdict(int)
        for grams in self.grams.values():
            for gram in grams:
                self.df[gram] += 1
        self.postings: dict[str, list[int]] = defaultdict(list)
        self.placed: list[str] = []
        self.owner: list[int] = []

    def find(self, core: str) -> int | None:
        shared: dict[int, int] = defaultdict(int)
        for gram in heapq.nsmallest(self.PROBES, self.grams[core], key=lambda g: (self.df[g], g)):
            for i in self.postings.get(gram, ()):
                shared[i] += 1
        if not shared:
            return None
        # Most shared probes first; a wording sharing one common bigram is rarely the same
        # question, so a long candidate list is cut to the likeliest MAX_CANDIDATES.
        if len(shared) > self.MAX_CANDIDATES:
            ids = heapq.nsmallest(self.MAX_CANDIDATES, shared, key=lambda i: (-shared[i], i))
        else:
            ids = list(shared)
        found = best_match(core, [self.placed[i] for i in ids], self.min_score)
        return None if found is None else self.owner[ids[found]]

    def add(self, core: str, cluster: int) -> None:
        index = len(self.placed)
        self.placed.append(core)
        self.owner.append(cluster)
        for gram in self.grams[core]:
            self.postings[gram].append(index)


def _grams(core: str) -> set[str]:
    return {core[i:i + 2] for i in range(len(core) - 1)} or {core}


def matches_any(core: str, question_cores: Sequence[str], min_score: float = MATCH_SCORE) -> bool:
    """Whether a wording is already one of the listed questions (up to filler and small slips)."""
    return core in question_cores or best_match(core, question_cores, min_score) is not None


def close_to_any(core: str, keys: Sequence[str], min_score: float = CLUSTER_SCORE) -> bool:
    """Whether a wording belongs with one of ``keys`` (a dismissed or accepted suggestion)."""
    return core in keys or best_match(core, keys, min_score) is not None
