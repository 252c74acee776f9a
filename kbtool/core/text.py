"""Normalisation and sentence splitting, both length-preserving so offsets map 1:1.

Matching runs on a normalised copy of the text (half-width ASCII, simplified characters) whose
code points line up one to one with the original, so a span found in the copy is the span in
the original: no offset table is needed.
"""

from __future__ import annotations

import re
from functools import lru_cache

import opencc
from rapidfuzz.distance import Indel

_T2S = opencc.OpenCC("t2s")
# Taiwan standard forms (為, 說, 裡): what traditional-script readers in Hong Kong and Taiwan
# expect; plain s2t gives the older 爲 and 裏.
_S2T = opencc.OpenCC("s2tw")

# Full-width ASCII block and the ideographic space, folded to half width.
_WIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
_WIDTH[0x3000] = 0x20
_WIDE_RUN = re.compile("[\uff01-\uff5e\u3000]+")
_FOLD = {chr(wide): chr(narrow) for wide, narrow in _WIDTH.items()}.__getitem__


@lru_cache(maxsize=4096)
def _char_t2s(ch: str) -> str:
    try:
        out = _T2S.convert(ch)
    except UnicodeEncodeError:  # a lone surrogate: nothing to convert
        return ch
    return out if len(out) == 1 else ch


def to_simplified(text: str) -> str:
    """Traditional to simplified, same length as the input.

    OpenCC converts by phrase; when a phrase conversion changes the length (rare in t2s) we
    fall back to character by character so offsets stay aligned.
    """
    try:
        out = _T2S.convert(text)
    except UnicodeEncodeError:
        out = ""
    if len(out) == len(text):
        return out
    return "".join(_char_t2s(ch) for ch in text)


@lru_cache(maxsize=4096)  # mostly the same few hundred replacement templates
def to_traditional(text: str) -> str:
    """Simplified to traditional (for suggestions made to a traditional source)."""
    return _S2T.convert(text)


def is_traditional(text: str) -> bool:
    """Does ``text`` hold a character that simplification would change?"""
    return to_simplified(text) != text


def in_script_of(original: str, suggestion: str) -> str:
    """``suggestion`` for a traditional ``original``: what it adds is converted to traditional,
    what it keeps of the original stays byte for byte (a helper's 有三点 around the source's items)."""
    if _S2T.convert(original) == original:
        # converting leaves the original's characters as they are: the whole suggestion may go
        return _S2T.convert(suggestion)
    out = []
    # rapidfuzz's LCS alignment in C++: difflib's SequenceMatcher is quadratic in Python and
    # cost a third of a millisecond per long sentence.
    for tag, _, _, j1, j2 in Indel.opcodes(original, suggestion).as_list():
        piece = suggestion[j1:j2]
        if piece:
            out.append(piece if tag == "equal" else _S2T.convert(piece))
    return "".join(out)


def fold_width(text: str) -> str:
    """Full-width ASCII letters, digits and signs to half width (same length)."""
    # Only the (few) full-width runs are looked up: str.translate with a dict table looks up
    # every character and is twice as slow on Chinese text.
    return _WIDE_RUN.sub(lambda m: "".join(map(_FOLD, m.group())), text)


def normalize(text: str) -> str:
    """The matching form of ``text``: same length, half width, simplified."""
    return to_simplified(fold_width(text))


_PUNCT_RE = re.compile(r"[\s\u3000-\u303f\uff00-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65!-/:-@\[-`{-~…—·“”‘’]+")


def normalize_key(text: str) -> str:
    """A comparison key: normalised, lower-case, with punctuation and spaces removed."""
    return _PUNCT_RE.sub("", normalize(text)).lower()


_SENTENCE_END = re.compile(r"[。！？!?；;\n]+")
_CLAUSE_END = re.compile(r"[。！？!?；;\n，,：:、]+")


def _spans(text: str, sep: re.Pattern[str]) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    pos = 0
    for m in sep.finditer(text):
        _append_trimmed(text, pos, m.end(), spans)
        pos = m.end()
    _append_trimmed(text, pos, len(text), spans)
    return spans


def _append_trimmed(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> None:
    # str.strip trims exactly what str.isspace matches, in C: several times cheaper than a loop
    seg = text[start:end]
    body = seg.lstrip()
    if body:
        start += len(seg) - len(body)
        spans.append((start, start + len(body.rstrip())))


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Sentences as (start, end) spans, end punctuation included, blank ones dropped."""
    return _spans(text, _SENTENCE_END)


def clause_spans(text: str) -> list[tuple[int, int]]:
    """Clauses (split at commas and colons too): the units one says in one breath."""
    return _spans(text, _CLAUSE_END)


_UNSPEAKABLE = re.compile(r"[^\u3400-\u9fff\uf900-\ufaffA-Za-z0-9]+")


def speakable_length(text: str) -> int:
    """Characters that take time to say: CJK characters, letters and digits."""
    # Counting the (few) runs of punctuation and space is much cheaper than every character.
    return len(text) - sum(map(len, _UNSPEAKABLE.findall(text)))
