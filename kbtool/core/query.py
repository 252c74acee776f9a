"""Query understanding for agent search: from what the caller said to weighted search terms.

Pure functions over text handed in: normalisation, segmentation (with a segmenter the caller
builds), synonym expansion, pinyin keys for homophone typos and fuzzy similarity. The index
(``kbtool.services.search``) decides which expansions exist in the knowledge base.

Every term carries the reason it can match (``words``, ``synonym``, ``pinyin``), so a result
can say why it was found. Pinyin is a fallback: it is only tried for parts of the query whose
characters the index does not know, and it weighs less than the characters themselves
(Meilisearch matched Chinese on pinyin by default and drew homophone false hits until it made
that opt-in: meilisearch issues 3655, 4075, 3683).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import product
from typing import Any, Protocol

import yaml

from kbtool.core.errors import InputProblem, KbInputError
from kbtool.core.text import normalize

# Why a variant can match, best first. These names appear in results (``why``).
WORDS, SYNONYM, PINYIN = "words", "synonym", "pinyin"
# Weight of a match through each kind of variant, relative to the caller's own words. Domain
# synonyms are curated (KB word <-> caller word) so they count almost fully; style-pack pairs
# are about register, not meaning, so they count less; "partial" is a longer word starting with
# a single character the caller said (欠 -> 欠款); pinyin is a guess about a typo.
# "typo" is pinyin for a query word that is no word at all (see add_pinyin).
WEIGHTS = {WORDS: 1.0, "domain": 0.9, "style": 0.6, "partial": 0.5, "typo": 0.6, PINYIN: 0.35}

# Filler callers put around the content words. Dropped from the query unless nothing else is left.
_STOPWORD_TEXT = """
    我 我的 我们 你 你们 您 您好 你好 他 她 它 的 地 得 了 吗 呢 吧 啊 呀 哦 噢 嗯 哈 喂 么 嘛 啦 哎 诶
    是 在 有 和 跟 与 及 或 就 都 也 还 又 才 这 那 这个 那个 这样 那样 个 一个 一下 一点 些 点 下
    怎么 怎么办 怎么样 怎样 咋 咋办 咋弄 如何 什么 啥 哪 哪里 哪儿 为什么 为啥 多少 几 吗 么
    请问 请 麻烦 帮 帮我 帮忙 一下子 想 想要 要 能 能不能 可以 可不可以 会 会不会 得 需要 应该
    问 问一下 问问 咨询 了解 知道 说 告诉 看看 看 现在 刚才 刚刚 今天 已经 然后 但是 可是 因为 所以
    不 没 没有 别 被 把 让 给 对 从 到 用 去 来 上 里 中 为 以 于 其 之 该 本 该怎么 怎么弄 怎么回事
    那么 这么 那些 这些 不了 还是 老是 总是 一直 突然 好像 可能 是不是 有没有 行不行 好不好 对不对
    咋整 咋搞 咋回事 咋样 回事 弄 搞 整 干啥 干嘛 着 张 就是说 的话 那边 这边 那啥 什么的 反正 其实
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())
# Single characters callers glue to a content word when they talk (咋销, 想换, 装个, 碰过): the
# segmenter then makes one word of them that the index does not hold. See known_pieces.
_GLUE = "咋啥想要能会就都也再又先个了着过呢吗吧啊呀么的太很挺"

_UPPER = re.compile("[A-Z]+")
_SPACES = re.compile(r"\s+")
# What the FTS5 unicode61 tokenizer keeps together: letters and digits (underscore separates).
_WORD_CHARS = re.compile(r"[^\W_]+")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def normalize_text(text: str) -> str:
    """Matching form, same length as ``text``: half width, simplified, ASCII lower-cased.

    ``kbtool.core.text.normalize`` plus lower case, on the upper-case runs only (translating
    whole texts dominated indexing time).
    """
    return _UPPER.sub(_lower_run, normalize(text))


def _lower_run(m: re.Match[str]) -> str:
    return m.group().lower()  # ASCII only: same length


def normalize_query(text: str) -> str:
    """A query as typed to its matching form, spaces collapsed."""
    return _SPACES.sub(" ", normalize_text(text)).strip()


def key_of(text: str) -> str:
    """Comparison key for fuzzy matching: matching form without spaces or punctuation."""
    return "".join(_WORD_CHARS.findall(normalize_text(text)))


def content_key(text: str, segmenter: SegmenterLike) -> str:
    """Comparison key without the caller's filler (怎么办, 吗, 我的 ...): two questions that only
    share 了怎么办 are not alike. Falls back to the whole key when nothing else is left."""
    words = index_tokens(segmenter.cut(normalize_query(text)))
    content = "".join(w for w in words if w not in STOPWORDS)
    return content or "".join(words)


def index_tokens(words: Iterable[str]) -> list[str]:
    """Segmenter output to index terms: punctuation dropped, each token split as FTS5 would.

    One regex pass over the words joined by spaces: the same as splitting each word, since a
    space separates like punctuation does.
    """
    return _WORD_CHARS.findall(" ".join(words))


def is_cjk(text: str) -> bool:
    return bool(text) and all(_CJK.match(ch) for ch in text)


class SegmenterLike(Protocol):
    """What the query side needs of ``kbtool.core.segment.Segmenter``."""

    def tokenize(self, text: str) -> list[tuple[str, int, int]]: ...

    def cut(self, text: str) -> list[str]: ...

    def cut_for_search(self, text: str) -> list[str]: ...


# -- synonyms ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class SynonymGroup:
    """Terms that mean the same thing to a caller; ``origin`` says where the group was written."""

    terms: tuple[str, ...]
    kind: str  # "domain" (kb/synonyms.yml) or "style" (a style pack's formal <-> spoken pair)
    origin: str


@dataclass(frozen=True)
class SynonymTable:
    groups: tuple[SynonymGroup, ...] = ()
    # normalised term -> indexes of the groups it belongs to
    by_term: dict[str, tuple[int, ...]] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def of(cls, groups: Iterable[SynonymGroup]) -> SynonymTable:
        groups = tuple(groups)
        by_term: dict[str, list[int]] = {}
        for i, group in enumerate(groups):
            for term in group.terms:
                by_term.setdefault(term, []).append(i)
        return cls(groups, {t: tuple(ix) for t, ix in by_term.items()})

    def __add__(self, other: SynonymTable) -> SynonymTable:
        return SynonymTable.of(self.groups + other.groups)

    @property
    def terms(self) -> list[str]:
        return sorted(self.by_term)

    def variants(self, term: str) -> list[tuple[str, SynonymGroup]]:
        """The other members of every group ``term`` belongs to (a term may sit in several)."""
        out: list[tuple[str, SynonymGroup]] = []
        seen = {term}
        for i in self.by_term.get(term, ()):
            group = self.groups[i]
            for other in group.terms:
                if other not in seen:
                    seen.add(other)
                    out.append((other, group))
        return out


def parse_synonyms(text: str, path: str) -> SynonymTable:
    """Parse a domain synonym file: ``synonyms: [[term, variant, ...], ...]``.

    Every problem is reported at once as ``path:line: message``. Terms are normalised
    (traditional and full-width forms fold together); a term listed twice in one group after
    normalisation is accepted once, since 報失 and 报失 are meant to be the same.
    """
    # libyaml when present: ~100x faster, and nodes keep their lines all the same.
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        root = yaml.compose(text, Loader=loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise KbInputError(InputProblem(path, line, f"YAML 格式错误：{getattr(exc, 'problem', None) or exc}")) from None
    if root is None:
        return SynonymTable()
    problems: list[InputProblem] = []

    def line_of(node: yaml.Node) -> int:
        return node.start_mark.line + 1

    if not isinstance(root, yaml.MappingNode):
        raise KbInputError(InputProblem(path, line_of(root), "同义词文件必须是含 'synonyms' 列表的映射"))
    groups_node: yaml.Node | None = None
    for key_node, value_node in root.value:
        key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
        if key == "synonyms":
            groups_node = value_node
        else:
            problems.append(InputProblem(path, line_of(key_node), f"未知的键 {key!r}（只能有 'synonyms'）"))
    if groups_node is None:
        problems.append(InputProblem(path, line_of(root), "缺少 'synonyms'（同义词组的列表，例如 [挂失, 卡丢了]）"))
        raise KbInputError(problems)
    if isinstance(groups_node, yaml.ScalarNode) and groups_node.tag.endswith(":null"):
        if problems:
            raise KbInputError(problems)
        return SynonymTable()
    if not isinstance(groups_node, yaml.SequenceNode):
        raise KbInputError([*problems, InputProblem(path, line_of(groups_node), "'synonyms' 必须是同义词组的列表")])
    groups: list[SynonymGroup] = []
    for group_node in groups_node.value:
        line = line_of(group_node)
        if not isinstance(group_node, yaml.SequenceNode):
            problems.append(InputProblem(path, line, "同义词组必须是词的列表，例如 [挂失, 卡丢了]"))
            continue
        terms: list[str] = []
        bad = False
        for item in group_node.value:
            if not isinstance(item, yaml.ScalarNode) or item.tag.endswith((":null", ":bool")):
                problems.append(InputProblem(path, line_of(item), "同义词必须是词或短语（文本）"))
                bad = True
                continue
            term = normalize_query(str(item.value))
            if not term:
                problems.append(InputProblem(path, line_of(item), "同义词为空"))
                bad = True
                continue
            if term not in terms:
                terms.append(term)
        if bad:
            continue
        if len(terms) < 2:
            problems.append(InputProblem(path, line, "同义词组至少要有两个不同的词"))
            continue
        groups.append(SynonymGroup(tuple(terms), "domain", f"{path}:{line}"))
    if problems:
        raise KbInputError(problems)
    return SynonymTable.of(groups)


_GROUP_REF = re.compile(r"\\\d|\\g<")


def style_synonyms(rules: Iterable[Any]) -> SynonymTable:
    """Formal <-> spoken pairs from style-pack phrase rules (``phrases`` <-> ``replace``).

    Only literal pairs of register (official wording, announcement boilerplate) are synonyms:
    a forbidden phrase and its polite replacement do not mean the same thing, and a pattern's
    replacement with group references is not a word.
    """
    groups = []
    for rule in rules:
        if getattr(rule, "pattern", None) or getattr(rule, "category", "") not in ("official", "boilerplate"):
            continue
        phrases = [normalize_query(p) for p in getattr(rule, "phrases", ())]
        spoken = [normalize_query(r) for r in getattr(rule, "replace", ()) if r and not _GROUP_REF.search(r)]
        terms = list(dict.fromkeys(t for t in [*phrases, *spoken] if len(key_of(t)) >= 2))
        if phrases and spoken and len(terms) >= 2:
            groups.append(SynonymGroup(tuple(terms), "style", f"{getattr(rule, 'source', '')}:{getattr(rule, 'line', 0)} [{rule.id}]"))
    return SynonymTable.of(groups)


# -- pinyin -----------------------------------------------------------------------------------

MAX_READINGS = 16  # heteronym combinations kept per word; 4 characters with 2 readings each


@lru_cache(maxsize=20000)
def char_readings(ch: str) -> tuple[str, ...]:
    """Every toneless reading of one character (行 -> xing, hang, heng), or () for non-Chinese."""
    if not _CJK.match(ch):
        return ()
    from pypinyin import Style, pinyin  # ~0.4 s import: only when pinyin is needed

    readings = pinyin(ch, style=Style.NORMAL, heteronym=True, errors="ignore")
    out = tuple(dict.fromkeys(r for r in (readings[0] if readings else ()) if r.isascii() and r.isalpha()))
    return out


def pinyin_keys(word: str, limit: int = MAX_READINGS) -> list[str]:
    """Every reading of ``word`` as toneless syllables joined by spaces ('' when not all Chinese).

    Heteronyms are read every way (银行 -> yin hang, yin xing, yin heng), so a typo matches
    whichever reading the caller's input method used.
    """
    return list(_pinyin_keys(word, limit))


@lru_cache(maxsize=4096)
def _pinyin_keys(word: str, limit: int) -> tuple[str, ...]:
    # Cached: a search reads every 2-4 character stretch of the query that may be a typo, and
    # an agent types the same stretches again as the query grows.
    per_char = [char_readings(ch) for ch in word]
    if not per_char or any(not r for r in per_char):
        return ()
    keys = []
    for combo in product(*per_char):
        keys.append(" ".join(combo))
        if len(keys) >= limit:
            break
    return tuple(keys)


# -- fuzzy ------------------------------------------------------------------------------------

def similarities(query_key: str, candidates: Sequence[str]) -> list[float]:
    """0-100 per candidate: how close a caller's words are to a title or listed question.

    Plain ratio for whole-string closeness; a partial match counts when the shorter string is at
    least half the longer one (卡被吞了 inside 卡被吞了怎么办), so a two-character query does not
    score 100 against every question containing it. One C call for the whole list.
    """
    if not query_key or not candidates:
        return [0.0] * len(candidates)
    from rapidfuzz import fuzz, process

    names = list(candidates)
    out = [0.0] * len(names)
    # process.extract with limit=None scores every candidate in C (cdist would need numpy).
    for _, score, i in process.extract(query_key, names, scorer=fuzz.ratio, limit=None):
        out[i] = float(score) if names[i] else 0.0
    n = len(query_key)
    partial = {i: name for i, name in enumerate(names)
               if name and out[i] < 100 and min(n, len(name)) >= 3 and min(n, len(name)) * 2 >= max(n, len(name))}
    if partial:
        for _, score, i in process.extract(query_key, partial, scorer=fuzz.partial_ratio, limit=None):
            out[i] = max(out[i], 0.9 * score)
    return out


def similarity(query_key: str, candidate_key: str) -> float:
    return similarities(query_key, [candidate_key])[0]


# -- the query plan ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Variant:
    """One way a query part can match: ``tokens`` must all occur in one field of an answer."""

    text: str
    tokens: tuple[str, ...]
    kind: str       # words | synonym | pinyin
    weight: float
    origin: str = ""  # for synonyms: where the group is written


@dataclass(frozen=True)
class TermGroup:
    """A part of the query and the variants that can stand for it; an answer scores the best one."""

    text: str
    start: int
    end: int
    variants: tuple[Variant, ...]


@dataclass(frozen=True)
class QueryPlan:
    raw: str
    text: str            # normalised query
    key: str             # comparison key for fuzzy title/question matching (see content_key)
    tokens: tuple[tuple[str, int, int], ...]  # accurate-mode words with offsets in ``text``
    groups: tuple[TermGroup, ...]

    @property
    def empty(self) -> bool:
        return not self.groups

    def with_groups(self, groups: Sequence[TermGroup]) -> QueryPlan:
        return QueryPlan(self.raw, self.text, self.key, self.tokens, tuple(groups))

    def all_tokens(self) -> set[str]:
        return {tok for g in self.groups for v in g.variants for tok in v.tokens}


def known_pieces(word: str, known: Callable[[str], bool]) -> list[str]:
    """What the index knows of a word it does not hold (``known`` says which words it holds).

    Glue characters at its edges are dropped (咋销 -> 销, 想换 -> 换, 装个 -> 装, 碰过 -> 碰); what
    is left is searched for when the index holds it or it is one character. Otherwise the word is
    read left to right for the longest stretches the index holds (彩铃钱 -> 彩铃). Single characters
    of a word without glue are not searched: such a word is more likely a typo (挂实, 流亮), which
    the pinyin fallback reads better than its characters one by one.
    """
    if not is_cjk(word) or len(word) < 2:
        return []
    core = word.strip(_GLUE)
    if not core:
        return []
    if core != word and (len(core) == 1 or known(core)):
        return [core] if core not in STOPWORDS else []
    pieces: list[str] = []
    i = 0
    while i < len(core) - 1:
        for j in range(len(core) - (core == word and i == 0), i + 1, -1):
            if known(core[i:j]):
                pieces.append(core[i:j])
                i = j
                break
        else:
            i += 1
    return [p for p in pieces if p not in STOPWORDS]


def _variant_tokens(text: str, segmenter: SegmenterLike) -> tuple[str, ...]:
    """Tokens a variant needs in one field: its words, fillers dropped unless that leaves nothing."""
    tokens = index_tokens(segmenter.cut(text))
    content = [t for t in tokens if t not in STOPWORDS]
    return tuple(dict.fromkeys(content or tokens))


def analyze(query: str, segmenter: SegmenterLike, synonyms: SynonymTable = SynonymTable(),
            known: Callable[[str], bool] | None = None) -> QueryPlan:
    """Normalise and segment ``query``; expand its words and phrases with synonyms.

    Query words are the segmenter's accurate-mode words plus their search-mode sub-words (as the
    index holds them). A synonym term matches a stretch of the query that starts and ends on word
    boundaries, so 卡丢了 is found in 我的卡丢了 but 行长 is not found in 银行长期. Filler stays
    filler, even when the synonym table lists it (能不能) or it has parts (能不能: 不能).

    With ``known`` (does the index hold this word?), a word the index lacks also searches for
    the pieces of it the index knows (``known_pieces``: 咋销 -> 销).
    """
    text = normalize_query(query)
    tokens = tuple((w, s, e) for w, s, e in segmenter.tokenize(text) if _WORD_CHARS.search(w))
    groups: list[TermGroup] = []
    seen: set[str] = set()

    def add_group(word: str, start: int, end: int, own_tokens: tuple[str, ...]) -> None:
        seen.add(word)
        variants = [Variant(word, own_tokens, WORDS, WEIGHTS[WORDS])]
        for other, group in synonyms.variants(word):
            variants.append(Variant(other, _variant_tokens(other, segmenter), SYNONYM, WEIGHTS[group.kind], group.origin))
        groups.append(TermGroup(word, start, end, tuple(v for v in variants if v.tokens)))

    def add_word(word: str, start: int, end: int) -> None:
        if word not in seen:
            add_group(word, start, end, (word,))

    for word, start, end in tokens:
        for piece in index_tokens([word]):
            offset = text.find(piece, start, end)
            if piece in STOPWORDS:
                continue
            add_word(piece, offset, offset + len(piece))
            subs = []
            if len(piece) > 2:
                subs = [sub for sub in index_tokens(segmenter.cut_for_search(piece)) if sub != piece]
            if known is not None and piece not in synonyms.by_term and not known(piece):
                subs += [sub for sub in known_pieces(piece, known) if sub not in subs]
            for sub in subs:
                if sub not in STOPWORDS:
                    at = text.find(sub, offset, offset + len(piece))
                    add_word(sub, at, at + len(sub))
    # Synonym phrases spanning several words (卡 / 被 / 吞 = 卡被吞): every stretch of the query
    # from a word start to a word end is looked up (a query has a few dozen; the table has hundreds
    # of terms). Terms in sorted order, each at its first place, as a scan of the table would add them.
    starts = sorted({s for _, s, _ in tokens})
    ends = sorted({e for _, _, e in tokens})
    phrases: dict[str, int] = {}
    for start in starts:
        for end in ends:
            if end - start >= 2:
                term = text[start:end]
                if term in synonyms.by_term and term not in seen and term not in phrases and term not in STOPWORDS:
                    phrases[term] = start
    for term in sorted(phrases):
        at = phrases[term]
        add_group(term, at, at + len(term), _variant_tokens(term, segmenter))
    if not groups:
        # Only filler ("怎么办"): search for it rather than return nothing.
        for word, start, end in tokens:
            for piece in index_tokens([word]):
                if piece not in seen:
                    seen.add(piece)
                    groups.append(TermGroup(piece, start, end, (Variant(piece, (piece,), WORDS, WEIGHTS[WORDS]),)))
    return QueryPlan(query, text, content_key(text, segmenter), tokens, tuple(groups))


@dataclass(frozen=True)
class Window:
    """A stretch of the query that may be a homophone typo, with its pinyin readings."""

    text: str
    start: int
    end: int
    keys: tuple[str, ...]


def pinyin_windows(plan: QueryPlan, known: Callable[[str], bool], sizes: Sequence[int] = (2, 3, 4)) -> list[Window]:
    """Stretches of 2-4 Chinese characters worth a pinyin lookup.

    Only stretches with at least one character that no known word of two or more characters
    covers: where the caller's characters already match the knowledge base, pinyin is not asked
    (the fallback never competes with the characters themselves). Filler words (我, 那个, 还) count
    as covered too: they are what the caller said, not a typo (我那 is not 我能). ``known(word)``
    says whether the index holds ``word``.
    """
    text = plan.text
    covered = bytearray(len(text))
    for word, start, end in plan.tokens:
        if word in STOPWORDS:
            covered[start:end] = b"\x01" * (end - start)
    for group in plan.groups:
        # A query part of two or more characters is explained when one of its variants (itself or
        # a synonym) is wholly in the index.
        if len(group.text) >= 2 and group.start >= 0 and any(all(known(t) for t in v.tokens) for v in group.variants):
            covered[group.start:group.end] = b"\x01" * (group.end - group.start)
    windows: list[Window] = []
    for size in sizes:
        for start in range(0, len(text) - size + 1):
            piece = text[start:start + size]
            if not is_cjk(piece) or all(covered[start:start + size]) or known(piece):
                continue
            keys = pinyin_keys(piece)
            if keys:
                windows.append(Window(piece, start, start + size, tuple(keys)))
    return windows


def pinyin_candidates(window: Window, terms: Iterable[str]) -> list[str]:
    """Words read like ``window`` that plausibly are what the caller meant.

    A typo from a pinyin input method keeps most characters right (挂实 for 挂失), so a word that
    shares no character with the window is a coincidence of sound, not a typo, and is dropped.
    """
    out = []
    for term in terms:
        if term != window.text and len(term) == len(window.text) and any(a == b for a, b in zip(term, window.text, strict=True)):
            out.append(term)
    return sorted(set(out))


def single_characters(plan: QueryPlan) -> list[str]:
    """Query words of one Chinese character: callers say 丢, 吞, 欠 where articles say 丢失, 吞卡, 欠款."""
    return [g.text for g in plan.groups if len(g.text) == 1 and is_cjk(g.text)]


def add_partial_words(plan: QueryPlan, words: dict[str, list[str]]) -> QueryPlan:
    """The plan with longer index words added as weaker variants of single-character words."""
    groups = []
    for group in plan.groups:
        extra = [w for w in words.get(group.text, ()) if w != group.text]
        if extra and len(group.text) == 1:
            variants = group.variants + tuple(Variant(w, (w,), WORDS, WEIGHTS["partial"]) for w in extra)
            group = TermGroup(group.text, group.start, group.end, variants)
        groups.append(group)
    return plan.with_groups(groups)


def add_pinyin(plan: QueryPlan, matches: dict[Window, list[str]], max_per_window: int = 4,
               typo: Callable[[str], bool] | None = None) -> QueryPlan:
    """The plan with one pinyin group per window that found words.

    With ``typo`` (is this no word at all: neither the index nor the segmenter's dictionary holds
    it?), a window that is exactly such a word of the query (挂实, 流亮, 解动) weighs
    ``WEIGHTS["typo"]``: the caller's own word can match nothing, so the look-alike is the only
    reading of it, not a guess beside it. A real word the index lacks (不通) keeps the pinyin weight.
    """
    groups = list(plan.groups)
    unknown = {(s, e) for w, s, e in plan.tokens if typo is not None and is_cjk(w) and typo(w)}
    for window, terms in matches.items():
        if not terms:
            continue
        weight = WEIGHTS["typo"] if (window.start, window.end) in unknown else WEIGHTS[PINYIN]
        variants = tuple(Variant(t, (t,), PINYIN, weight, window.text) for t in terms[:max_per_window])
        groups.append(TermGroup(window.text, window.start, window.end, variants))
    return plan.with_groups(groups)
