"""A spoken draft of an article: decisions on findings plus free edits, rendered with offsets.

The draft never copies the article's text into its decisions: it keeps the source text it was
made from (and its hash, to notice a changed source), the findings as they were offered, and per
finding what the editor chose (accept alternative *i*, reject, or edit by hand). ``render()``
builds the spoken text from any combination of decisions, keeping the text grammatical at every
seam (no doubled punctuation, no stray or missing spaces), and returns a piece table that maps
every offset of the draft to the source and back.

Internal instructions to agents (坐席应…, 如客户…应告知客户…, 【坐席提示】) are told apart from
what the caller hears by ``split_audience``.
"""

from __future__ import annotations

import bisect
import difflib
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from kbtool.core.findings import Finding
from kbtool.core.fixes import Edit
from kbtool.core.speakable import Suggestion

FORMAT_VERSION = 1
ACTIONS = ("accept", "reject", "edit")


@dataclass(frozen=True)
class Item:
    """A finding as it was offered to the editor (a snapshot: the draft outlives the check)."""

    key: str
    rule: str
    start: int
    end: int
    text: str
    suggestions: tuple[str, ...] = ()
    scope: str = "word"
    level: str = "suggestion"
    message: str = ""

    @classmethod
    def from_finding(cls, f: Finding) -> Item:
        return cls(item_key(f.rule, f.start, f.end), f.rule, f.start, f.end, f.text, tuple(f.suggestions), f.scope, f.level, f.message)

    @classmethod
    def from_suggestion(cls, s: Suggestion) -> Item:
        rule = f"helper.{s.helper}"
        return cls(item_key(rule, s.start, s.end), rule, s.start, s.end, s.text, s.replacements, s.scope, "suggestion", "")

    def to_dict(self) -> dict[str, object]:
        return {
            "key": self.key, "rule": self.rule, "start": self.start, "end": self.end, "text": self.text,
            "suggestions": list(self.suggestions), "scope": self.scope, "level": self.level, "message": self.message,
        }


def item_key(rule: str, start: int, end: int) -> str:
    return f"{rule}@{start}-{end}"


@dataclass(frozen=True)
class Decision:
    """accept (``choice`` = index of the alternative), reject, or edit (``text`` typed by hand)."""

    action: str
    choice: int = 0
    text: str = ""

    def to_dict(self) -> dict[str, object]:
        if self.action == "accept":
            return {"action": "accept", "choice": self.choice}
        if self.action == "edit":
            return {"action": "edit", "text": self.text}
        return {"action": self.action}


@dataclass(frozen=True)
class Piece:
    """A stretch of the draft: source ``[src_start, src_end)`` became draft ``[out_start, out_end)``.

    ``origin`` is None for untouched source text, else the item key or ``edit:N`` that made it.
    """

    src_start: int
    src_end: int
    out_start: int
    out_end: int
    origin: str | None


@dataclass(frozen=True)
class Rendered:
    text: str
    pieces: tuple[Piece, ...]
    applied: tuple[str, ...]  # item keys whose decision shows in the text
    conflicts: tuple[str, ...]  # item keys whose decision could not apply (overlaps a stronger one)

    def to_source(self, pos: int) -> int:
        """The source offset of draft offset ``pos`` (a changed piece maps to its start)."""
        piece = self._piece_at([p.out_start for p in self.pieces], pos)
        if piece.origin is None:
            return piece.src_start + (pos - piece.out_start)
        return piece.src_end if pos >= piece.out_end else piece.src_start

    def to_output(self, pos: int) -> int:
        """The draft offset of source offset ``pos``."""
        piece = self._piece_at([p.src_start for p in self.pieces], pos, source=True)
        if piece.origin is None:
            return piece.out_start + (pos - piece.src_start)
        return piece.out_end if pos >= piece.src_end else piece.out_start

    def _piece_at(self, starts: list[int], pos: int, source: bool = False) -> Piece:
        if not self.pieces:
            return Piece(0, 0, 0, 0, None)
        k = max(0, bisect.bisect_right(starts, pos) - 1)
        # prefer a non-empty piece: skip back over pieces that end before pos
        while k > 0 and (self.pieces[k].src_start if source else self.pieces[k].out_start) > pos:
            k -= 1
        return self.pieces[k]


# -- substitutions that keep the text grammatical ------------------------------------------------

_STRONG = "。．！？!?"
_PUNCT_STRENGTH = {**dict.fromkeys(_STRONG, 4), **dict.fromkeys("；;", 3), **dict.fromkeys("：:", 2), **dict.fromkeys("，,、", 1)}
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def _is_punct(ch: str) -> bool:
    return ch in _PUNCT_STRENGTH


def _is_ascii_alnum(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


@dataclass
class _Chunk:
    src_start: int
    src_end: int
    text: str
    origin: str | None
    fixable: bool  # finding changes get seam fixes; free edits and source text do not


def _seam_fix(chunks: list[_Chunk], source: str) -> None:
    """Fix doubled punctuation and spacing where a finding's replacement meets its neighbours.

    Only a finding's own chunk changes: it trims its replacement, or swallows one neighbouring
    source character (a comma or space left over), so the piece table stays exact.
    """
    for i, chunk in enumerate(chunks):
        if not chunk.fixable:
            continue
        for _ in range(4):  # each fix may reveal another (“，” swallowed, then “。。”)
            if not (_fix_left(chunks, i, source) | _fix_right(chunks, i, source)):
                break


def _left_char(chunks: list[_Chunk], i: int) -> tuple[str, int | None]:
    """The last output character before chunk ``i`` and the index of the chunk holding it."""
    for k in range(i - 1, -1, -1):
        if chunks[k].text:
            return chunks[k].text[-1], k
    return "", None


def _right_char(chunks: list[_Chunk], i: int) -> tuple[str, int | None]:
    for k in range(i + 1, len(chunks)):
        if chunks[k].text:
            return chunks[k].text[0], k
    return "", None


def _between_empty(chunks: list[_Chunk], lo: int, hi: int) -> bool:
    return all(chunks[j].src_start == chunks[j].src_end and not chunks[j].text for j in range(lo, hi))


def _swallow_left(chunks: list[_Chunk], i: int, k: int) -> bool:
    """Chunk ``i`` takes over the last character of source chunk ``k`` (only empties between)."""
    left = chunks[k]
    if left.origin is not None or not left.text or not _between_empty(chunks, k + 1, i):
        return False
    left.text = left.text[:-1]
    left.src_end -= 1
    for j in range(k + 1, i + 1):
        chunks[j].src_start = left.src_end
        if j < i:
            chunks[j].src_end = left.src_end
    return True


def _swallow_right(chunks: list[_Chunk], i: int, k: int) -> bool:
    """Chunk ``i`` takes over the first character of source chunk ``k``."""
    right = chunks[k]
    if right.origin is not None or not right.text or not _between_empty(chunks, i + 1, k):
        return False
    right.text = right.text[1:]
    right.src_start += 1
    for j in range(i, k):
        chunks[j].src_end = right.src_start
        if j > i:
            chunks[j].src_start = right.src_start
    return True


def _char_before_space(chunks: list[_Chunk], k: int) -> str:
    text = chunks[k].text
    if len(text) >= 2:
        return text[-2]
    return _left_char(chunks, k)[0]


def _fix_left(chunks: list[_Chunk], i: int, source: str) -> bool:
    chunk = chunks[i]
    left, k = _left_char(chunks, i)
    if chunk.text:
        head = chunk.text[0]
        if _is_punct(head) and (left == "" or left == "\n" or _is_punct(left)):
            if left and _PUNCT_STRENGTH.get(left, 0) < _PUNCT_STRENGTH[head] and k is not None and _swallow_left(chunks, i, k):
                return True  # “，” + “。…” → “。…”
            chunk.text = chunk.text[1:]
            return True
        if head == " " and (left in ("", "\n", " ") or _is_punct(left) or _CJK.match(left)):
            chunk.text = chunk.text.lstrip(" ")
            return True
        if _is_ascii_alnum(head) and _is_ascii_alnum(left) and not _is_ascii_alnum(source[chunk.src_start:chunk.src_start + 1] or " "):
            chunk.text = " " + chunk.text  # never glue two ASCII words
            return True
        if _CJK.match(head) and left == " " and k is not None and chunks[k].origin is None:
            before = _char_before_space(chunks, k)
            if before in ("", "\n") or _CJK.match(before) or _is_punct(before):
                return _swallow_left(chunks, i, k)  # the space was there for an ASCII word that is gone
        return False
    # the finding was deleted: its neighbours now meet
    right, r = _right_char(chunks, i)
    if r is not None and (
        (k is None and _is_punct(right) and _PUNCT_STRENGTH[right] < 4)
        or (left == "\n" and (_is_punct(right) or right == " "))
        or (left == " " and right == " ")
        or (left in ("", "\n") and right == " ")
        or (k is None and right == "\n")
    ):
        return _swallow_right(chunks, i, r)
    if left == "\n" and right == "\n" and k is not None and r is not None:
        # a deleted line or paragraph (特此公告。): the wider of the two line breaks stays
        wide_left = _char_before_space(chunks, k) == "\n"
        wide_right = chunks[r].text[1:2] == "\n"
        if wide_left and not wide_right:
            return _swallow_right(chunks, i, r)
        return _swallow_left(chunks, i, k)
    if _is_punct(left) and _is_punct(right) and k is not None and r is not None:
        if _PUNCT_STRENGTH[left] < _PUNCT_STRENGTH[right]:
            return _swallow_left(chunks, i, k)
        return _swallow_right(chunks, i, r)
    if left == " " and (right == "" or _is_punct(right)) and k is not None:
        return _swallow_left(chunks, i, k)
    return False


def _fix_right(chunks: list[_Chunk], i: int, source: str) -> bool:
    chunk = chunks[i]
    if not chunk.text:
        return False
    right, r = _right_char(chunks, i)
    tail = chunk.text[-1]
    if _is_punct(tail) and _is_punct(right):
        if _PUNCT_STRENGTH[tail] > _PUNCT_STRENGTH[right] and r is not None and _swallow_right(chunks, i, r):
            return True
        chunk.text = chunk.text[:-1]
        return True
    if tail == " " and (right in ("", "\n", " ") or _is_punct(right) or _CJK.match(right)):
        chunk.text = chunk.text.rstrip(" ")
        return True
    if tail in "，。；：、！？" and right == " " and r is not None and chunks[r].origin is None:
        return _swallow_right(chunks, i, r)  # “第一，” + “ 手机银行”: no space after Chinese punctuation
    if _is_ascii_alnum(tail) and _is_ascii_alnum(right) and not _is_ascii_alnum(source[chunk.src_end - 1:chunk.src_end] or " "):
        chunk.text = chunk.text + " "
        return True
    if _CJK.match(tail) and right == " " and r is not None and chunks[r].origin is None:
        after = chunks[r].text[1:2]
        if after == "" or _CJK.match(after) or _is_punct(after):
            return _swallow_right(chunks, i, r)
    return False


def substitute(text: str, start: int, end: int, replacement: str) -> tuple[Edit, str]:
    """One grammatical substitution in ``text``: the edit actually made (it may take a
    neighbouring comma or space along) and the resulting text."""
    draft = Draft("", "", text, [Item("x", "x", start, end, text[start:end], (replacement,))])
    draft.accept("x")
    out = draft.render()
    piece = next(p for p in out.pieces if p.origin == "x")
    return Edit(piece.src_start, piece.src_end, out.text[piece.out_start:piece.out_end]), out.text


# -- the draft ---------------------------------------------------------------------------------

@dataclass
class Draft:
    article_id: str
    source_hash: str
    source: str
    items: list[Item] = field(default_factory=list)
    decisions: dict[str, Decision] = field(default_factory=dict)
    edits: list[Edit] = field(default_factory=list)  # free edits, in source offsets
    _by_key: dict[str, Item] = field(default_factory=dict, init=False, repr=False, compare=False)

    # -- construction -----------------------------------------------------------------------------

    @classmethod
    def create(
        cls,
        article_id: str,
        source: str,
        findings: Iterable[Finding] = (),
        suggestions: Iterable[Suggestion] = (),
        source_hash: str | None = None,
    ) -> Draft:
        """A draft of ``source`` offering ``findings`` and helper ``suggestions``.

        ``source_hash`` defaults to the SHA-256 of ``source`` (what ``Article.content_hash`` is
        for the whole file).
        """
        items = [Item.from_finding(f) for f in findings]
        items += [Item.from_suggestion(s) for s in suggestions]
        seen: set[str] = set()
        unique = []
        for item in sorted(items, key=lambda it: (it.start, -it.end, it.key)):
            if item.key not in seen:
                seen.add(item.key)
                unique.append(item)
        return cls(article_id, source_hash or hashlib.sha256(source.encode("utf-8")).hexdigest(), source, unique)

    def item(self, key: str) -> Item:
        if len(self._by_key) != len(self.items):  # built on first use (items is a plain list)
            self._by_key = {it.key: it for it in self.items}
        return self._by_key[key]

    def is_stale(self, current_hash: str) -> bool:
        """True when the source article changed since the draft was made."""
        return current_hash != self.source_hash

    # -- decisions --------------------------------------------------------------------------------

    def accept(self, key: str, choice: int = 0) -> None:
        item = self.item(key)
        if not 0 <= choice < len(item.suggestions):
            raise ValueError(f"{key} has {len(item.suggestions)} suggestions, no choice {choice}")
        self.decisions[key] = Decision("accept", choice)

    def reject(self, key: str) -> None:
        self.item(key)
        self.decisions[key] = Decision("reject")

    def edit(self, key: str, text: str) -> None:
        self.item(key)
        self.decisions[key] = Decision("edit", text=text)

    def undecide(self, key: str) -> None:
        self.decisions.pop(key, None)

    def accept_all(self, choice: int = 0) -> None:
        """Take alternative ``choice`` (or the last one there is) of every finding that has any."""
        for it in self.items:
            if it.suggestions:
                self.decisions[it.key] = Decision("accept", min(choice, len(it.suggestions) - 1))

    def status(self, key: str) -> str:
        """pending | accepted | rejected | edited | conflict (a decision that cannot apply)."""
        decision = self.decisions.get(key)
        if decision is None:
            return "pending"
        if decision.action in ("accept", "edit") and key in self.render().conflicts:
            return "conflict"
        return {"accept": "accepted", "reject": "rejected", "edit": "edited"}[decision.action]

    # -- free edits -------------------------------------------------------------------------------

    def add_edit(self, start: int, end: int, text: str) -> None:
        """A free edit in source offsets; it wins over findings it overlaps."""
        if not 0 <= start <= end <= len(self.source):
            raise ValueError(f"edit {start}-{end} outside the source (length {len(self.source)})")
        for e in self.edits:
            if _clash((e.start, e.end), (start, end)):
                raise ValueError(f"edit {start}-{end} overlaps free edit {e.start}-{e.end}")
        self.edits.append(Edit(start, end, text))
        self.edits.sort(key=lambda e: (e.start, e.end))

    def edit_output(self, start: int, end: int, text: str) -> None:
        """Replace draft text ``[start, end)`` with ``text`` (what an editor types in the draft).

        Pieces touched by the edit (or right next to it) are frozen into one free edit holding
        their current text, so everything else renders exactly as before. A finding just outside
        the region can still render differently once its neighbour changed (a deleted line's
        seam looks two characters out), so the frozen region widens until the draft reads
        exactly as typed; at its widest it is the whole draft, which always does.
        """
        rendered = self.render()
        if not 0 <= start <= end <= len(rendered.text):
            raise ValueError(f"edit {start}-{end} outside the draft (length {len(rendered.text)})")
        expected = rendered.text[:start] + text + rendered.text[end:]
        decisions, edits = dict(self.decisions), list(self.edits)
        slack = 0
        while True:
            lo, hi = max(0, start - slack), min(len(rendered.text), end + slack)
            self._freeze(rendered, lo, hi, expected[lo:hi + len(expected) - len(rendered.text)])
            if self.render().text == expected or (lo == 0 and hi == len(rendered.text)):
                return
            self.decisions, self.edits = dict(decisions), list(edits)
            slack = max(1, slack * 4)

    def _freeze(self, rendered: Rendered, start: int, end: int, text: str) -> None:
        """Turn draft text ``[start, end)`` and every piece it touches into one free edit."""
        pieces = rendered.pieces
        touched = {p.origin for p in pieces if p.origin and p.out_start <= end and start <= p.out_end}
        lo_out, hi_out = start, end
        lo_src, hi_src = rendered.to_source(start), rendered.to_source(end)
        while True:  # a finding whose several changes straddle the region is frozen whole
            for p in pieces:
                if p.origin in touched:
                    lo_out, hi_out = min(lo_out, p.out_start), max(hi_out, p.out_end)
                    lo_src, hi_src = min(lo_src, p.src_start), max(hi_src, p.src_end)
            more = {
                p.origin for p in pieces
                if p.origin and p.origin not in touched and (
                    _clash((p.src_start, p.src_end), (lo_src, hi_src)) or (p.src_start == p.src_end and lo_src < p.src_start < hi_src)
                    or lo_out < p.out_start < hi_out or lo_out < p.out_end < hi_out
                )
            }
            if not more:
                break
            touched |= more
        new_text = rendered.text[lo_out:start] + text + rendered.text[end:hi_out]
        for origin in touched:
            self.decisions.pop(origin, None)  # type: ignore[arg-type]
        self.edits = [e for n, e in enumerate(self.edits) if f"edit:{n}" not in touched]
        self.add_edit(lo_src, hi_src, new_text)

    # -- rendering --------------------------------------------------------------------------------

    def _groups(self) -> list[tuple[str, list[Edit], bool]]:
        """(origin, atomic edits, fixable) in priority order: free edits, words, sentences."""
        groups: list[tuple[str, list[Edit], bool]] = [(f"edit:{n}", [e], False) for n, e in enumerate(self.edits)]
        decided = [it for it in self.items if it.key in self.decisions and self.decisions[it.key].action != "reject"]
        decided.sort(key=lambda it: (it.scope != "word", it.start, it.end))
        for it in decided:
            d = self.decisions[it.key]
            if d.action == "accept" and not 0 <= d.choice < len(it.suggestions):
                continue
            new = it.suggestions[d.choice] if d.action == "accept" else d.text
            if it.end > len(self.source) or self.source[it.start:it.end] != it.text:
                continue  # the offered span no longer matches the source
            if it.scope == "sentence":
                edits = _diff_edits(it.text, new, it.start)
            else:
                edits = [Edit(it.start, it.end, new)]
            groups.append((it.key, edits, True))
        return groups

    def render(self) -> Rendered:
        taken: list[Edit] = []
        owner: list[tuple[str, bool]] = []
        applied: list[str] = []
        conflicts: list[str] = []
        spans: list[tuple[int, int]] = []  # taken spans, sorted: a clash check looks only at neighbours
        for origin, edits, fixable in self._groups():
            if any(_collides(e.start, e.end, spans) for e in edits):
                conflicts.append(origin)
                continue
            for e in edits:
                taken.append(e)
                owner.append((origin, fixable))
                bisect.insort(spans, (e.start, e.end))
            if not origin.startswith("edit:"):
                applied.append(origin)
        order = sorted(range(len(taken)), key=lambda n: (taken[n].start, taken[n].end))
        chunks: list[_Chunk] = []
        pos = 0
        for n in order:
            e = taken[n]
            chunks.append(_Chunk(pos, e.start, self.source[pos:e.start], None, False))
            chunks.append(_Chunk(e.start, e.end, e.replacement, owner[n][0], owner[n][1]))
            pos = e.end
        chunks.append(_Chunk(pos, len(self.source), self.source[pos:], None, False))
        _seam_fix(chunks, self.source)
        pieces = []
        out: list[str] = []
        out_pos = 0
        for c in chunks:
            if c.src_start == c.src_end and not c.text and c.origin is None:
                continue  # (a change that came to nothing stays: typing next to it must know)
            pieces.append(Piece(c.src_start, c.src_end, out_pos, out_pos + len(c.text), c.origin))
            out.append(c.text)
            out_pos += len(c.text)
        return Rendered("".join(out), tuple(pieces), tuple(applied), tuple(conflicts))

    @property
    def text(self) -> str:
        return self.render().text

    # -- persistence ------------------------------------------------------------------------------

    def to_dict(self) -> dict[str, object]:
        return {
            "version": FORMAT_VERSION,
            "article_id": self.article_id,
            "source_hash": self.source_hash,
            "source": self.source,
            "items": [it.to_dict() for it in self.items],
            "decisions": {k: d.to_dict() for k, d in sorted(self.decisions.items())},
            "edits": [{"start": e.start, "end": e.end, "text": e.replacement} for e in self.edits],
        }

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> Draft:
        """Inverse of ``to_dict``; raises ValueError naming the first bad field."""
        try:
            if data.get("version") != FORMAT_VERSION:
                raise ValueError(f"unsupported draft version {data.get('version')!r}")
            source = data["source"]
            if not isinstance(source, str):
                raise ValueError("'source' must be text")
            items = []
            for raw in data.get("items", []):  # type: ignore[union-attr]
                items.append(Item(
                    key=str(raw["key"]), rule=str(raw["rule"]), start=int(raw["start"]), end=int(raw["end"]),
                    text=str(raw["text"]), suggestions=tuple(str(s) for s in raw.get("suggestions", [])),
                    scope=str(raw.get("scope", "word")), level=str(raw.get("level", "suggestion")),
                    message=str(raw.get("message", "")),
                ))
            draft = cls(str(data["article_id"]), str(data["source_hash"]), source, items)
            for key, raw in dict(data.get("decisions", {})).items():  # type: ignore[arg-type]
                action = raw.get("action")
                if action == "accept":
                    draft.accept(key, int(raw.get("choice", 0)))
                elif action == "reject":
                    draft.reject(key)
                elif action == "edit":
                    draft.edit(key, str(raw["text"]))
                else:
                    raise ValueError(f"decision for {key} has unknown action {action!r}")
            for raw in data.get("edits", []):  # type: ignore[union-attr]
                draft.add_edit(int(raw["start"]), int(raw["end"]), str(raw["text"]))
            return draft
        except (KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"malformed draft: {exc!r}") from None


def _collides(start: int, end: int, spans: list[tuple[int, int]]) -> bool:
    """Does ``(start, end)`` clash with any of ``spans`` (sorted, pairwise clash-free)?

    Clash-free spans sorted by start have non-decreasing ends too, so only the run of spans
    around ``start`` can collide: scan left while they reach ``start``, right while they begin
    by ``end``. Linear overall instead of quadratic on an article with thousands of findings.
    """
    i = bisect.bisect_left(spans, (start, start))
    j = i - 1
    while j >= 0 and spans[j][1] >= start:
        if _clash((start, end), spans[j]):
            return True
        j -= 1
    while i < len(spans) and spans[i][0] <= end:
        if _clash((start, end), spans[i]):
            return True
        i += 1
    return False


def _clash(a: tuple[int, int], b: tuple[int, int]) -> bool:
    """Do two edits collide? Ranges overlap, or an insertion falls strictly inside a range, or
    two insertions share a point (their order would be arbitrary)."""
    (s1, e1), (s2, e2) = a, b
    if s1 == e1 and s2 == e2:
        return s1 == s2
    if s1 == e1:
        return s2 < s1 < e2
    if s2 == e2:
        return s1 < s2 < e1
    return s1 < e2 and s2 < e1


def _diff_edits(old: str, new: str, offset: int) -> list[Edit]:
    """The small edits turning ``old`` into ``new`` (a split sentence changes only its commas)."""
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    edits = [Edit(offset + i1, offset + i2, new[j1:j2]) for tag, i1, i2, j1, j2 in matcher.get_opcodes() if tag != "equal"]
    return edits or [Edit(offset, offset + len(old), new)]


# -- who hears what -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Segment:
    kind: str  # "caller" | "agent"
    start: int
    end: int


_AGENT_HEADING = re.compile(r"^#{1,6}[^\n]*(?:坐席|座席|内部|操作要点|操作指引|话术指引|处理流程)[^\n]*$", re.M)
_HEADING = re.compile(r"^(#{1,6})\s", re.M)
_AGENT_LINE = re.compile(r"^[ \t>]*[【\[](?:坐席|座席|内部|客服|操作|注意)[^】\]\n]*[】\]][^\n]*$", re.M)
_AGENT_SUBJECT = re.compile(
    r"(?:\d{1,2}[.、．]\s*|[（(][\d一二三四五六七八九十]+[）)]\s*)?"
    r"(?:坐席|座席|客服人员|客服代表|工作人员|话务员|受理人员)(?:人员)?"
    r"(?:应当|应|须|需要|需|要|不得|不可|不能|可|务必|请|必须|切勿|严禁|禁止|在|于|先|核实|根据|无需)"
)
_AGENT_CONDITION = re.compile(
    r"(?:\d{1,2}[.、．]\s*|[（(][\d一二三四五六七八九十]+[）)]\s*)?(?:如|若|如果|倘若|当)(?:客户|来电人|用户|持卡人|机主)"
)
_TELL = re.compile(r"(?:应|须|需|可|要)?(?:告知|提示|告诉|提醒|引导|建议|解释|说明|回复)(?:客户|来电人|用户|持卡人|机主)[：:，,]?")
_AGENT_TAIL = re.compile(r"[，,；;](?:但|并|且|同时)?(?:仅可|只能|不得|不可|须|应|坐席)")
_QUOTE = re.compile(r"“[^”\n]*”|「[^」\n]*」")
_CONDITION_END = re.compile(r"(?:后|时|前|的|之后|以前|期间)$")
_VERBATIM = re.compile(r"^[ \t]*(`{3,}|~{3,})[ \t]*verbatim[^\n]*\n.*?^[ \t]*\1[ \t]*$", re.M | re.S)
_CLAUSE_START = re.compile(r"(?:^|[，,；;])\s*")


def _sentences(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Sentence spans that do not break inside “quotes” (a script may hold several sentences)."""
    end = len(text) if end is None else end
    spans = []
    depth = 0
    s = start
    i = start
    while i < end:
        ch = text[i]
        if ch in "“「":
            depth += 1
        elif ch in "”」":
            depth = max(0, depth - 1)
        if ch == "\n" or (depth == 0 and ch in "。！？!?"):
            j = i + 1
            while j < end and text[j] in "。！？!?”」":
                j += 1
            if ch == "\n":
                depth = 0
                j = i
            if j > s:
                spans.append((s, j))
            s = j + (1 if ch == "\n" else 0)
            i = max(i + 1, j)
            continue
        i += 1
    if s < end:
        spans.append((s, end))
    return spans


def split_audience(text: str) -> list[Segment]:
    """Tile ``text`` into what the caller hears and what is only for the agent.

    Agent text: lines marked 【坐席提示】/【内部】…, sections under a heading about agents
    (坐席操作要点…), sentences whose subject is the agent (坐席应/须/不得…), and conditions for
    the agent (如客户…，应告知客户…). What such a sentence tells the caller (the quoted script,
    or the words after 告知客户) is the caller's again.
    """
    labels = bytearray(len(text))  # 0 caller, 1 agent
    for m in _AGENT_LINE.finditer(text):
        labels[m.start():m.end()] = b"\x01" * (m.end() - m.start())
    for m in _AGENT_HEADING.finditer(text):
        level = len(m.group().split(" ", 1)[0].rstrip())
        end = len(text)
        for h in _HEADING.finditer(text, m.end()):
            if len(h.group(1)) <= level:
                end = h.start()
                break
        labels[m.start():end] = b"\x01" * (end - m.start())
        _caller_parts(text, m.start(), end, labels)
    for s, e in _sentences(text):
        while s < e and text[s] in " \t":
            s += 1
        sentence = text[s:e]
        agent_at = next((c.start() for c in _CLAUSE_START.finditer(sentence) if _AGENT_SUBJECT.match(sentence, c.end())), None)
        if agent_at is None and _AGENT_CONDITION.match(sentence) and (_TELL.search(sentence) or "坐席" in sentence):
            agent_at = 0
        if agent_at is not None:
            if agent_at and not _CONDITION_END.search(sentence, 0, agent_at):
                s += agent_at  # “…各不相同，坐席不得混用…”: only the instruction is the agent's
            labels[s:e] = b"\x01" * (e - s)
            _caller_parts(text, s, e, labels)
    for m in _VERBATIM.finditer(text):
        labels[m.start():m.end()] = b"\x00" * (m.end() - m.start())  # read to the caller as written
    segments: list[Segment] = []
    for i, flag in enumerate(labels):
        kind = "agent" if flag else "caller"
        if text[i] in "\n \t" and segments:
            kind = segments[-1].kind  # whitespace goes with what precedes it
        if segments and segments[-1].kind == kind:
            segments[-1] = Segment(kind, segments[-1].start, i + 1)
        else:
            segments.append(Segment(kind, i, i + 1))
    return segments


def _caller_parts(text: str, start: int, end: int, labels: bytearray) -> None:
    """Inside agent text, quoted scripts and what is to be told to the caller are heard."""
    found = False
    for q in _QUOTE.finditer(text, start, end):
        labels[q.start() + 1:q.end() - 1] = b"\x00" * (q.end() - q.start() - 2)
        found = True
    if found:
        return
    for s_start, s_end in _sentences(text, start, end):
        tell = _TELL.search(text[s_start:s_end])
        if not tell:
            continue
        c_start = s_start + tell.end()
        c_end = s_end
        while c_end > c_start and text[c_end - 1] in "。！？!?\n":
            c_end -= 1
        tail = _AGENT_TAIL.search(text, c_start, c_end)
        if tail:
            c_end = tail.start()
        if c_end > c_start:
            labels[c_start:c_end] = b"\x00" * (c_end - c_start)


def caller_text(text: str) -> str:
    """Only what the caller hears (agent-only stretches dropped)."""
    return "".join(text[s.start:s.end] for s in split_audience(text) if s.kind == "caller")


# -- a full suggested draft ---------------------------------------------------------------------

def suggest_draft(  # type: ignore[no-untyped-def]
    detector, article, today=None, helpers: bool = True, report=None, every_finding: bool = False, source_hash: str | None = None,
) -> Draft:
    """A draft of ``article`` offering every finding of ``detector`` and, with ``helpers``, every
    structure helper suggestion the pack's own rules do not already make. Nothing is decided.

    ``report`` saves a second check when the caller has one; ``every_finding`` keeps findings
    without suggestions too (an editor still wants to see them); ``source_hash`` overrides the
    article's own (a store hashes what it imported).
    """
    import datetime as dt

    from kbtool.core.report import check_article
    from kbtool.core.speakable import HelperContext, scan

    agent = [(g.start, g.end) for g in split_audience(article.text) if g.kind == "agent"]

    def straddles_audiences(start: int, end: int) -> bool:
        # a list or split reaching across an instruction to agents would hand it to the caller
        return any(a < end and start < b and not (a <= start and end <= b) for a, b in agent)

    report = report or check_article(detector, article)
    findings = [f for f in report.findings if (f.suggestions or every_finding) and not straddles_audiences(f.start, f.end)]
    suggestions = []
    if helpers:
        ctx = HelperContext.from_settings(detector.pack.settings, detector.pack.protected, today or dt.date.today())
        offered_sentences = {(f.start, f.end) for f in findings if f.scope == "sentence"}
        covered: set[int] = set()
        for s in scan(article.text, ctx, article.skip):
            if straddles_audiences(s.start, s.end):
                continue
            if s.scope == "sentence":
                if (s.start, s.end) not in offered_sentences:
                    suggestions.append(s)
                continue
            inside = [k for k, f in enumerate(findings) if f.scope == "word" and s.start <= f.start and f.end <= s.end]
            straddling = [f for f in findings if f.scope == "word" and f.start < s.end and s.start < f.end
                          and not (s.start <= f.start and f.end <= s.end)]
            if straddling:
                continue  # the pack's own finding reaches outside: it goes first
            suggestions.append(s)
            covered.update(inside)  # 9:00至16:00 says 至 in its own words: drop the bare 至→到
        findings = [f for k, f in enumerate(findings) if k not in covered]
    return Draft.create(article.id, article.text, findings, suggestions, source_hash=source_hash or article.content_hash)


@dataclass(frozen=True)
class FixResult:
    text: str
    applied: int  # safe fixes made, over all rounds


def safe_fix(detector, article, max_rounds: int = 5) -> FixResult:  # type: ignore[no-untyped-def]
    """Apply only the safe fixes (exact match, one replacement, no context) of ``article``.

    Seams stay grammatical (a removed phrase does not leave “，，”), but a fix never reaches
    into a skipped region (front matter, verbatim blocks, code), and protected terms are never
    matched by the detector in the first place. Runs until nothing safe is left, so running it
    again changes nothing.
    """
    from dataclasses import replace as dc_replace

    from kbtool.core.article import parse_article
    from kbtool.core.errors import KbInputError
    from kbtool.core.report import check_article

    text = article.text
    applied = 0
    current = article
    for _ in range(max_rounds):
        findings = [f for f in check_article(detector, current).findings if f.safe and f.scope == "word" and f.suggestions]
        if not findings:
            break
        draft = Draft.create(current.id, text, findings)
        draft.accept_all()
        rendered = draft.render()
        bad = {p.origin for p in rendered.pieces if p.origin and _touches_any(p.src_start, p.src_end, current.skip)}
        for key in bad:  # a seam fix reached into a skipped region: take the bare replacement
            item = draft.item(key)  # type: ignore[arg-type]
            draft.undecide(item.key)
            draft.add_edit(item.start, item.end, item.suggestions[0])
        rendered = draft.render() if bad else rendered
        new_text = rendered.text
        if new_text == text:
            break
        applied += len(rendered.applied) + len(bad)
        text = new_text
        try:
            current = parse_article(text, current.path)
        except KbInputError:  # a fix must never break the file: keep the last good text
            text = current.text
            break
        current = dc_replace(current, encoding=article.encoding)
    return FixResult(text, applied)


def _touches_any(start: int, end: int, spans: Iterable[tuple[int, int]]) -> bool:
    return any(s < max(end, start + 1) and start < e for s, e in spans)
