"""Word-level diff between a source article and its spoken version.

Chinese has no spaces, so a character diff shreds words (挂失 vs 挂号 shows as one changed
character) and a line diff hides everything. We diff jieba tokens: a reviewer sees 予以办理 →
帮您办 as whole words.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from difflib import SequenceMatcher

Token = tuple[str, int, int]  # (word, start, end) as Segmenter.tokenize returns
Tokenizer = Callable[[str], list[Token]]


@dataclass(frozen=True)
class DiffOp:
    """One opcode over tokens, with the character spans it covers on both sides."""

    tag: str          # equal | insert | delete | replace
    a_tokens: tuple[int, int]  # token index range in the source
    b_tokens: tuple[int, int]  # token index range in the spoken version
    a_start: int      # character offsets (end exclusive)
    a_end: int
    b_start: int
    b_end: int
    a_text: str
    b_text: str

    def to_dict(self) -> dict[str, object]:
        return {"tag": self.tag, "a": [self.a_start, self.a_end], "b": [self.b_start, self.b_end],
                "a_text": self.a_text, "b_text": self.b_text}


def _default_tokenizer() -> Tokenizer:
    from kbtool.core.segment import segmenter_for

    return segmenter_for(frozenset()).tokenize


def word_diff(a: str, b: str, tokenize: Tokenizer | None = None) -> list[DiffOp]:
    """Opcodes turning ``a`` into ``b``, computed over jieba tokens (pass the Detector's
    ``segmenter.tokenize`` so the pack's phrases stay whole words)."""
    tok = tokenize or _default_tokenizer()
    ta, tb = tok(a), tok(b)
    # autojunk off: frequent tokens (的, ，) are exactly the context a reviewer needs.
    matcher = SequenceMatcher(None, [t[0] for t in ta], [t[0] for t in tb], autojunk=False)
    ops = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        a_start, a_end = _span(ta, i1, i2, len(a))
        b_start, b_end = _span(tb, j1, j2, len(b))
        ops.append(DiffOp(tag, (i1, i2), (j1, j2), a_start, a_end, b_start, b_end, a[a_start:a_end], b[b_start:b_end]))
    return ops


def _span(tokens: list[Token], i: int, j: int, length: int) -> tuple[int, int]:
    if i < j:
        return tokens[i][1], tokens[j - 1][2]
    at = tokens[i][1] if i < len(tokens) else length
    return at, at


def similarity(ops: list[DiffOp]) -> float:
    """Share of tokens kept unchanged (0..1): how much of the source survives in the spoken text."""
    kept = sum(op.a_tokens[1] - op.a_tokens[0] for op in ops if op.tag == "equal")
    total = sum(max(op.a_tokens[1] - op.a_tokens[0], op.b_tokens[1] - op.b_tokens[0]) for op in ops)
    return kept / total if total else 1.0


def inline(ops: list[DiffOp], deleted: str = "[-{}-]", inserted: str = "{{+{}+}}") -> str:
    """One text with deletions and insertions marked (wdiff style), for plain terminals."""
    out = []
    for op in ops:
        if op.tag == "equal":
            out.append(op.b_text)
            continue
        if op.a_text:
            out.append(deleted.format(op.a_text))
        if op.b_text:
            out.append(inserted.format(op.b_text))
    return "".join(out)
