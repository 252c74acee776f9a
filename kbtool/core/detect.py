"""The detection engine: one normalised, segmented pass per text, all rules at once.

Pipeline per text: mask skipped regions with spaces (offsets unchanged) -> normalise
(same length) -> segment once (word boundaries) -> one Aho-Corasick pass for every exact
phrase and protected term -> guarded patterns -> fuzzy variants of long phrases (bigram
prefilter, then rapidfuzz LCS over a window) -> repetition and sentence checks ->
deterministic overlap resolution -> line/column.
"""

from __future__ import annotations

import bisect
import heapq
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import chain
from typing import NamedTuple

import ahocorasick_rs
from rapidfuzz.distance import LCSseq

from kbtool.core.anchors import first_chars, required_texts, starts_at_line
from kbtool.core.findings import Finding
from kbtool.core.segment import Segmenter, segmenter_for
from kbtool.core.speakable import HelperContext, run_helper
from kbtool.core.stylepack import LEVEL_RANK, Pack, Rule
from kbtool.core.text import clause_spans, fold_width, normalize, sentence_spans, speakable_length, to_simplified, to_traditional

_FUZZY_MIN_LEN = 4
_PUNCT = set("，,。！？!?；;：:、 　\t“”\"'‘’（）()《》")
_PUNCT_NL = _PUNCT | {"\n"}


class _Candidate(NamedTuple):
    """A match before overlap resolution (a tuple: tens of thousands are made per second)."""

    rule_index: int
    start: int
    end: int
    suggestions: tuple[str, ...]
    score: float
    localized: bool = False  # suggestions already in the script of the source


# Filler for skipped regions: not a space (patterns with \s* would run across it), not a
# letter, digit, CJK character or punctuation, so nothing can match or join through it.
_MASK = "\ufffc"


def mask(text: str, spans: Iterable[tuple[int, int]]) -> str:
    """Blank out ``spans`` (keeping newlines) so offsets stay valid but nothing matches there."""
    parts: list[str] = []
    pos = 0
    for start, end in sorted(spans):
        start = max(start, pos)
        if end <= start:
            continue
        parts.append(text[pos:start])
        parts.append(re.sub(r"[^\n]", _MASK, text[start:end]))
        pos = end
    parts.append(text[pos:])
    return "".join(parts)


_GROUP_REF = re.compile(r"\\(?:g<([^>]+)>|(\d+))")


def expand(template: str, m: re.Match[str], original: str) -> str:
    """``re`` template expansion, but captures are taken from the original (unnormalised) text."""

    def group(ref: re.Match[str]) -> str:
        key = ref.group(1) or ref.group(2)
        index: int | str = int(key) if key.isdigit() else key
        span = m.span(index)
        return original[span[0]:span[1]] if span[0] >= 0 else ""

    if "\\" not in template:
        return template  # nothing to expand (most templates)
    return _GROUP_REF.sub(group, template)


@dataclass(slots=True)
class Scan:
    """What one pass over a text finds."""

    findings: list[Finding]
    sentence_lengths: list[int]  # speakable characters of each non-blank sentence


class Detector:
    """A pack compiled for matching. Build once, check many texts (thread-safe)."""

    def __init__(self, pack: Pack, segmenter: Segmenter | None = None) -> None:
        self.pack = pack
        self.rules = pack.rules
        self.helper_context = HelperContext.from_settings(pack.settings, pack.protected)
        words = {p for r in pack.rules if r.kind in ("phrase", "repetition") for p in r.phrases}
        words |= {normalize(p) for p in pack.protected}
        self.segmenter = segmenter or segmenter_for(frozenset(normalize(w) for w in words))
        self._level_rank = [LEVEL_RANK[r.level] for r in self.rules]
        self._phrase_rules: dict[str, list[int]] = defaultdict(list)
        self._repeat_rules: list[int] = []
        self._pattern_rules: list[int] = []
        self._sentence_rules: list[int] = []
        self._fuzzy: list[tuple[int, str]] = []
        self._anchors: dict[int, frozenset[str] | None] = {}
        # Texts a pattern's match must contain (one of each entry): a text lacking them is not tried.
        self._requires: dict[int, tuple[tuple[str, ...], ...]] = {}
        self._anchor_rules: dict[str, list[int]] = defaultdict(list)
        self._unanchored: list[int] = []
        self._line_rules: set[int] = set()  # patterns whose matches start at a line start
        self._repeat_phrases: dict[int, tuple[str, ...]] = {}  # normalised, for repetition rules
        for i, rule in enumerate(self.rules):
            if rule.kind == "phrase":
                for phrase in rule.phrases:
                    self._phrase_rules[normalize(phrase)].append(i)
                    if rule.fuzzy and len(phrase) >= _FUZZY_MIN_LEN:
                        self._fuzzy.append((i, normalize(phrase)))
            elif rule.kind == "repetition":
                self._repeat_rules.append(i)
                self._repeat_phrases[i] = tuple(normalize(p) for p in rule.phrases)
                for phrase in self._repeat_phrases[i]:
                    self._phrase_rules[phrase]
            elif rule.kind == "pattern":
                self._pattern_rules.append(i)
                assert rule.regex is not None
                anchors = self._anchors[i] = first_chars(rule.regex)
                needs = required_texts(rule.regex)
                if starts_at_line(rule.regex):
                    self._line_rules.add(i)
                if anchors is None:
                    self._unanchored.append(i)
                else:
                    for ch in anchors:
                        self._anchor_rules[ch].append(i)
                    # a match starts with an anchor: needing one of them says nothing more
                    needs = tuple(alts for alts in needs if set(alts) != anchors)
                self._requires[i] = needs
            else:
                self._sentence_rules.append(i)
        self._anchor_chars = frozenset(ch for chars in self._anchors.values() if chars for ch in chars)
        # Required texts by number: single characters are looked up in the text's set of
        # characters, longer ones found in one Aho-Corasick pass (not one `in` per rule).
        required = sorted({t for groups in self._requires.values() for alts in groups for t in alts})
        req_id = {t: k for k, t in enumerate(required)}
        self._req_single = {t: req_id[t] for t in required if len(t) == 1}
        long_texts = [t for t in required if len(t) > 1]
        self._req_long = [req_id[t] for t in long_texts]
        self._req_ac = (ahocorasick_rs.AhoCorasick(long_texts, matchkind=ahocorasick_rs.MATCHKIND_STANDARD)
                        if long_texts else None)
        self._req_groups = {i: tuple(frozenset(req_id[t] for t in alts) for alts in groups)
                            for i, groups in self._requires.items()}
        # Patterns whose templates hold captures (\1, \g<x>); the others' suggestions are the templates.
        self._expands = {i: any("\\" in t for t in self.rules[i].replace) for i in self._pattern_rules}
        self._protected = sorted({normalize(p) for p in pack.protected})
        patterns = list(self._phrase_rules) + self._protected
        self._n_phrases = len(self._phrase_rules)
        self._phrase_list = list(self._phrase_rules)
        self._ac = (
            ahocorasick_rs.AhoCorasick(patterns, matchkind=ahocorasick_rs.MATCHKIND_STANDARD)
            if patterns
            else None
        )
        # Bigram index for the fuzzy prefilter: bigram -> fuzzy entries containing it.
        self._bigrams: dict[str, list[int]] = defaultdict(list)
        self._fuzzy_need: list[int] = []
        for j, (_, phrase) in enumerate(self._fuzzy):
            grams = {phrase[k:k + 2] for k in range(len(phrase) - 1)}
            for gram in grams:
                self._bigrams[gram].append(j)
            self._fuzzy_need.append(max(2, (len(grams) + 1) // 2))
        self._gram_list = list(self._bigrams)
        gram_ids = {g: k for k, g in enumerate(self._gram_list)}
        self._fuzzy_grams = [
            frozenset(gram_ids[phrase[k:k + 2]] for k in range(len(phrase) - 1)) for _, phrase in self._fuzzy
        ]
        # Prefix filtering: a phrase sharing `need` of its G bigrams with a sentence shares at
        # least one of any G - need + 1 of them, so it is looked up only under its G - need + 1
        # least common ones (common in the pack, like 客户, wake many phrases for nothing).
        signature: dict[int, list[int]] = defaultdict(list)
        for j, grams in enumerate(self._fuzzy_grams):
            keep = len(grams) - self._fuzzy_need[j] + 1
            rare_first = sorted(grams, key=lambda g: (len(self._bigrams[self._gram_list[g]]), g))
            for g in rare_first[:max(0, keep)]:
                signature[g].append(j)
        self._gram_signature = [tuple(signature.get(k, ())) for k in range(len(self._gram_list))]
        self._gram_ac = (
            ahocorasick_rs.AhoCorasick(self._gram_list, matchkind=ahocorasick_rs.MATCHKIND_STANDARD)
            if self._gram_list
            else None
        )

    # -- public -------------------------------------------------------------------------------

    def check(self, text: str, skip: Iterable[tuple[int, int]] = ()) -> list[Finding]:
        """All findings in ``text``, sorted by position; ``skip`` spans are never looked at."""
        return self.scan(text, skip).findings

    def scan(self, text: str, skip: Iterable[tuple[int, int]] = ()) -> Scan:
        """Findings, and the sentence lengths the metrics need (found on the way)."""
        skip = list(skip)
        masked = mask(text, skip) if skip else text
        folded = fold_width(masked)  # kept: where it differs from ``norm`` the text is traditional
        norm = to_simplified(folded)
        if norm == folded:
            norm = folded  # one object: _traditional_around answers at once for simplified text
        bounds = self.segmenter.boundaries(norm)
        hits = self._ac.find_matches_as_indexes(norm, overlapping=True) if self._ac else []
        protected: list[tuple[int, int]] = []
        phrase_hits: list[tuple[str, int, int]] = []
        for index, start, end in hits:
            if index >= self._n_phrases:
                protected.append((start, end))
            else:
                phrase_hits.append((self._phrase_list[index], start, end))
        candidates: list[_Candidate] = []
        repeat_hits: dict[str, list[int]] = defaultdict(list)
        for phrase, start, end in phrase_hits:
            for i in self._phrase_rules[phrase]:
                rule = self.rules[i]
                if not _on_boundary(rule, bounds, start, end):
                    continue
                if rule.kind == "phrase":
                    candidates.append(_Candidate(i, start, end, rule.replace, 100.0))
            if self._repeat_rules and bounds[start]:  # 请 heads 请稍等: a word start is enough
                repeat_hits[phrase].append(start)
        blocks: list[_Candidate] = []
        # Patterns worth trying: those without anchors, and those with an anchor character in
        # the text; of these, only those whose required texts all occur.
        active = set(self._unanchored)
        chars = set(norm)
        present = self._anchor_chars.intersection(chars)
        for ch in present:
            active.update(self._anchor_rules[ch])
        found = {self._req_single[ch] for ch in chars.intersection(self._req_single)}
        if self._req_ac is not None:
            long_ids = self._req_long
            found.update(long_ids[k] for k, _, _ in self._req_ac.find_matches_as_indexes(norm, overlapping=True))
        # Where each anchor character occurs (a pattern is tried only there), found on demand:
        # most rules woken by an anchor lack a text they require and never ask.
        at = _Positions(norm)
        req_groups = self._req_groups
        for i in sorted(active):
            if any(found.isdisjoint(alts) for alts in req_groups[i]):
                continue  # a text every match contains is missing
            anchors = self._anchors[i]
            rule = self.rules[i]
            assert rule.regex is not None
            if anchors is not None:
                anchors = anchors & present  # (a \s* rule has 29 whitespace anchors, mostly absent)
            for m in _matches(rule.regex, norm, anchors, at, i in self._line_rules):
                start, end = m.span()
                if start == end or not _on_boundary(rule, bounds, start, end):
                    continue
                # Traditional source (judged on the words around the match, as for phrases:
                # 他人 reads the same in both scripts): convert the template, never the captures
                # (they may carry a protected term through and must stay byte for byte).
                templates = rule.replace
                if templates and _traditional_around(folded, norm, start, end):
                    templates = tuple(to_traditional(t) for t in templates)
                suggestions = tuple(expand(t, m, text) for t in templates) if self._expands[i] else templates
                cand = _Candidate(i, start, end, suggestions, 100.0, localized=True)
                (blocks if rule.scope == "sentence" else candidates).append(cand)
        sentences = sentence_spans(norm)
        lengths = [speakable_length(norm[a:b]) for a, b in sentences]
        if self._fuzzy:
            candidates.extend(self._fuzzy_candidates(norm, sentences, bounds))
        # Repetition findings mark one word and compete with word findings; sentence-length and
        # block findings cover whole spans and are resolved among themselves.
        spans = self._sentence_candidates(norm, sentences, lengths, repeat_hits, protected)
        candidates += [c for c in spans if self.rules[c.rule_index].kind == "repetition"]
        blocks += [c for c in spans if self.rules[c.rule_index].kind != "repetition"]
        protected.sort()
        guard = _ProtectedSpans(protected, text)
        words = self._resolve([c for c in candidates if guard.spares(c, self.rules[c.rule_index])])
        sentence_level = self._resolve([c for c in blocks if guard.spares(c, self.rules[c.rule_index])])
        # one list in reading order (a whole sentence before the words inside it), as a
        # compiler prints its messages
        findings = list(heapq.merge(self._to_findings(text, folded, norm, sentence_level, "sentence"),
                                    self._to_findings(text, folded, norm, words, "word"),
                                    key=lambda f: (f.start, -f.end)))
        return Scan(findings, [n for n in lengths if n])

    # -- passes -------------------------------------------------------------------------------

    def _fuzzy_candidates(self, norm: str, sentences: list[tuple[int, int]], bounds: bytearray) -> list[_Candidate]:
        out: list[_Candidate] = []
        assert self._gram_ac is not None
        # All bigram hits in one Aho-Corasick pass, then grouped by sentence.
        hits = self._gram_ac.find_matches_as_indexes(norm, overlapping=True)
        # Hits come in text order (every pattern is two characters): walk the sentences along.
        by_sentence: dict[int, list[tuple[int, int]]] = defaultdict(list)
        k, n = 0, len(sentences)
        for gram_index, pos, _ in hits:
            while k < n and sentences[k][1] < pos + 2:
                k += 1
            if k < n and sentences[k][0] <= pos:
                by_sentence[k].append((gram_index, pos))
        signature, grams_of, need = self._gram_signature, self._fuzzy_grams, self._fuzzy_need
        for k, sentence_hits in by_sentence.items():
            s_start, s_end = sentences[k]
            present = {g for g, _ in sentence_hits}
            # Phrases woken by a signature bigram; of those, the ones sharing enough bigrams
            # (set intersections in C); positions only for the few that pass.
            woken = set(chain.from_iterable(signature[g] for g in present))
            for j in sorted(j for j in woken if len(grams_of[j] & present) >= need[j]):
                rule_index, phrase = self._fuzzy[j]
                grams = grams_of[j]
                positions = [pos for g, pos in sentence_hits if g in grams]
                if phrase in norm[s_start:s_end]:
                    continue  # the exact pass has it
                hit = _align(phrase, norm, positions, bounds, s_start, s_end)
                rule = self.rules[rule_index]
                if hit and _NEGATORS.intersection(phrase) and not _NEGATORS.intersection(norm[hit[0]:hit[1]]):
                    continue  # 我这里有权限 is not a variant of 我这里没有权限: the meaning turned over
                if hit and hit[2] >= rule.min_score:
                    out.append(_Candidate(rule_index, hit[0], hit[1], rule.replace, hit[2]))
        return out

    def _sentence_candidates(
        self,
        norm: str,
        sentences: list[tuple[int, int]],
        lengths: list[int],
        repeat_hits: dict[str, list[int]],
        protected: list[tuple[int, int]],
    ) -> list[_Candidate]:
        out: list[_Candidate] = []
        # Repetition counts clauses, not sentences: agents chain 请您…，请您…，请您… with commas.
        starts: list[int] | None = None
        for i in self._repeat_rules:
            rule = self.rules[i]
            assert rule.repeat is not None
            most, window = rule.repeat
            phrases = self._repeat_phrases[i]
            if sum(len(repeat_hits.get(p, ())) for p in phrases) <= most:
                continue  # too few uses in the whole text to be too many anywhere
            if starts is None:
                starts = [s for s, _ in clause_spans(norm)]
            first_hit: dict[int, int] = {}
            for phrase in phrases:
                for pos in repeat_hits.get(phrase, []):
                    clause = bisect.bisect_right(starts, pos) - 1
                    if clause >= 0 and (clause not in first_hit or pos < first_hit[clause]):
                        first_hit[clause] = pos
            with_phrase = sorted(first_hit)
            for k in range(len(with_phrase)):
                # more than `most` of the `window` clauses ending at this one use the phrase
                inside = [s for s in with_phrase[: k + 1] if s > with_phrase[k] - window]
                if len(inside) > most:
                    pos = first_hit[with_phrase[k]]
                    length = max(len(p) for p in phrases if norm.startswith(p, pos))
                    out.append(_Candidate(i, pos, pos + length, rule.replace, 100.0))
        limit = self.pack.settings.sentence_max_chars
        for i in self._sentence_rules:
            for (start, end), length in zip(sentences, lengths, strict=True):
                if length <= limit:
                    continue
                body_end = end  # (end punctuation is not spoken: the length is the body's)
                while body_end > start and norm[body_end - 1] in _PUNCT_NL:
                    body_end -= 1
                if not _touches(start, body_end, protected, inside_ok=True):
                    out.append(_Candidate(i, start, body_end, (), 100.0))
        out.sort(key=lambda c: (c.start, c.end, c.rule_index))
        return out

    # -- resolution and output ------------------------------------------------------------------

    def _resolve(self, candidates: list[_Candidate]) -> list[_Candidate]:
        """Longest match wins; then the more severe level, exact over fuzzy, earlier rule."""
        rank = self._level_rank
        ordered = sorted(
            candidates,
            key=lambda c: (c.start - c.end, rank[c.rule_index], -c.score, c.start, c.rule_index),
        )
        taken_starts: list[int] = []
        taken: list[_Candidate] = []
        for cand in ordered:
            k = bisect.bisect_left(taken_starts, cand.start)
            if k > 0 and taken[k - 1].end > cand.start:
                continue
            if k < len(taken) and taken[k].start < cand.end:
                continue
            taken_starts.insert(k, cand.start)
            taken.insert(k, cand)
        return taken

    def _to_findings(self, text: str, folded: str, norm: str, cands: list[_Candidate], scope: str) -> list[Finding]:
        if not cands:
            return []
        line_starts = [0] + [m.end() for m in re.finditer("\n", text)]
        out = []
        for c in cands:
            rule = self.rules[c.rule_index]
            original = text[c.start:c.end]
            suggestions = c.suggestions
            if rule.helper and not rule.replace:
                traditional = _traditional_around(folded, norm, c.start, c.end)
                suggestions = run_helper(rule.helper, original, self.helper_context.at(text, c.start, c.end, traditional))
            elif suggestions and not c.localized and _traditional_around(folded, norm, c.start, c.end):
                # Traditional source: answer in traditional too (本行 reads the same in both scripts,
                # so the script is judged on the words around the match, not the match alone).
                suggestions = tuple(to_traditional(s) for s in suggestions)
            line = bisect.bisect_right(line_starts, c.start)
            out.append(
                Finding(
                    rule=rule.id, level=rule.level, category=rule.category, start=c.start, end=c.end,
                    line=line, column=c.start - line_starts[line - 1] + 1, text=original,
                    message=rule.message, suggestions=suggestions, score=round(c.score, 1),
                    safe=rule.safe and c.score == 100.0 and len(suggestions) == 1 and scope == "word",
                    scope=scope,
                )
            )
        return out



def _traditional_around(folded: str, norm: str, start: int, end: int, reach: int = 12) -> bool:
    """Is the text around a match traditional? ``folded`` is the text width-folded, so it
    differs from ``norm`` exactly where a character was simplified.

    A short match (本行 reads the same in both scripts) is judged on the words around it; a
    long one (a sentence to split) on itself, so a simplified sentence beside a traditional
    one is answered in simplified."""
    if folded is norm:
        return False
    if end - start >= 8:
        reach = 0
    a, b = max(0, start - reach), min(len(folded), end + reach)
    return folded[a:b] != norm[a:b]


def _on_boundary(rule: Rule, bounds: bytearray, start: int, end: int) -> bool:
    mode = rule.boundary
    if mode is True:
        return bool(bounds[start] and bounds[end])
    if mode == "start":
        return bool(bounds[start])
    if mode == "end":
        return bool(bounds[end])
    return True


class _Positions(dict[str, list[int]]):
    """Positions of each character in ``text``, computed when first asked for; the key ``""``
    gives the line starts."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def __missing__(self, ch: str) -> list[int]:
        found = [0] + [p + 1 for p in _positions(self.text, "\n")] if ch == "" else _positions(self.text, ch)
        self[ch] = found
        return found


def _matches(
    regex: re.Pattern[str],
    norm: str,
    anchors: frozenset[str] | None,
    at: _Positions,
    line_start: bool = False,
) -> Iterable[re.Match[str]]:
    """``regex.finditer(norm)``, but tried only where a match can start when that is known:
    at line starts (``line_start``) or at the anchor characters (positions from ``at``).
    """
    if line_start:
        positions = at[""]
    elif anchors is None:
        return regex.finditer(norm)
    else:
        lists = [at[ch] for ch in anchors]
        if not lists:
            return []
        positions = lists[0] if len(lists) == 1 else sorted(chain.from_iterable(lists))
    out = []
    match = regex.match
    last_end = 0
    for pos in positions:
        if pos < last_end:
            continue
        m = match(norm, pos)
        if m:
            last_end = max(m.end(), pos + 1)
            out.append(m)
    return out


def _positions(text: str, ch: str) -> list[int]:
    out = []
    pos = text.find(ch)
    while pos != -1:
        out.append(pos)
        pos = text.find(ch, pos + 1)
    return out


class _ProtectedSpans:
    """Protected-term occurrences, sorted, for quick overlap questions."""

    def __init__(self, spans: list[tuple[int, int]], text: str) -> None:
        self.spans = spans
        self.starts = [s for s, _ in spans]
        self.longest = max((e - s for s, e in spans), default=0)
        self.text = text

    def spares(self, cand: _Candidate, rule: Rule) -> bool:
        """A match may not cut into a protected term, nor replace one: it may only carry it
        through unchanged (a capture such as 凡持信用卡的客户均… → 只要是持信用卡的客户都…)."""
        if not self.spans:
            return True
        lo = bisect.bisect_left(self.starts, cand.start - self.longest)
        hi = bisect.bisect_left(self.starts, cand.end)
        for s, e in self.spans[lo:hi]:
            if e <= cand.start:
                continue
            if not (cand.start <= s and e <= cand.end):
                return False
            if rule.replace and not all(self.text[s:e] in sug for sug in cand.suggestions):
                return False
        return True


def _touches(start: int, end: int, spans: list[tuple[int, int]], inside_ok: bool = False) -> bool:
    for s, e in spans:
        if s < end and start < e:
            if inside_ok and start <= s and e <= end:
                continue
            return True
    return False


_PUNCT_TABLE = str.maketrans("", "", "".join(_PUNCT))


_NEGATORS = frozenset("不没无别未非勿莫")


def _align(phrase: str, norm: str, positions: list[int], bounds: bytearray, s_start: int = 0,
           s_end: int | None = None) -> tuple[int, int, float] | None:
    """Best window around the shared bigrams; score = coverage, discounted for insertions.

    ``partial_ratio`` would compare a window of the phrase's own length, so one inserted
    character already costs ~17 points on a six-character phrase; here an inserted character
    costs a quarter of a missing one, and punctuation costs nothing. Windows start and end on
    word boundaries at characters of the phrase (trimming anything else only raises the
    score), up to two characters outside the shared bigrams (a changed first character).
    """
    n = len(phrase)
    chars = set(phrase)
    max_span = 2 * n + 4
    min_len = -(-3 * n // 4)
    # Never across the sentence's end: a longer variant must not swallow the next sentence's words.
    lo = max(s_start, positions[0] - 2)
    hi = min(len(norm) if s_end is None else s_end, positions[0] + max_span)
    need = 0.75 * n
    similarity = LCSseq.similarity
    # Every window lies inside norm[lo:hi], and a window's LCS with the phrase is at most
    # that of the text around it: one call rules out most candidates (shared bigrams only).
    if similarity(phrase, norm[lo:hi]) < need:
        return None
    starts = [k for k in range(lo, positions[-1] + 1) if bounds[k] and norm[k] in chars]
    ends = [k for k in range(lo + min_len, hi + 1) if bounds[k] and norm[k - 1] in chars]
    best: tuple[int, int, float] | None = None
    for start in starts:
        # ends are sorted: skip straight to the first one far enough from this start
        for end in ends[bisect.bisect_left(ends, start + min_len):]:
            if end - start > max_span:
                break
            window = norm[start:end].translate(_PUNCT_TABLE)
            lcs = similarity(phrase, window)
            if lcs < need:
                continue
            score = 100.0 * lcs / (n + 0.25 * (len(window) - lcs))
            if best is None or score > best[2] or (score == best[2] and end - start < best[1] - best[0]):
                best = (start, end, score)
    return best
