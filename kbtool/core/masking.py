"""Masking a caller's personal data out of a search query before anything is written.

Agents type what callers say, and callers read out card numbers, phone numbers, ID numbers and
passwords. The search itself may use the query as typed (it stays in memory); only the masked
form may ever reach the query log.

What is masked (each match becomes ``MASK``, whatever its length, so not even the length leaks):

- digit runs of ``MIN_DIGITS`` or more: card (16–19), account (10–25), mobile (11), landline
  (7–8, with area code), ID (15/18, last may be X), passwords and SMS codes (6). Digits may be
  ASCII or full width, and may be broken up by spaces, dashes or dots ("6222 0212 …",
  "138-0013-8000", "１３８　００１３　８０００");
- runs of Chinese numerals as long (幺三八零零一三……: a number read out in words);
- shorter digit runs right after a word that says what they are (尾号1234, 密码是8888, 卡号：123);
- e-mail addresses;
- whatever the style pack's ``masking`` regexes match, tried both on the query as typed and on a
  compact copy with width folded and separators between digits removed (so a pack pattern such
  as ``\\d{16,19}`` also catches a card number typed in groups).

Short numbers that carry the question's meaning (3次, 500元, 95588, 2点) are kept.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from kbtool.core.text import fold_width

MASK = "***"
MIN_DIGITS = 6        # a 6-digit run is a bank password or an SMS code as often as anything else
MIN_CN_DIGITS = 7     # Chinese numerals read out one by one; 7+ never occur in ordinary wording
MIN_CONTEXT_DIGITS = 3

_DIGIT = r"[0-9０-９]"
_SEP = r"[ \t\u3000\-‐‑‒–—―－_.．·•/]"
# A run of digits with at most a few separator characters between two digits; an ID number may
# end in X. The lookarounds stop a run from starting or ending inside a longer word of digits.
_DIGIT_RUN = re.compile(rf"(?<![0-9０-９]){_DIGIT}(?:{_SEP}{{0,3}}{_DIGIT})*(?:{_SEP}{{0,2}}[xXｘＸ](?![A-Za-z]))?")
_CN_DIGITS = "〇零一二三四五六七八九幺两"
_CN_RUN = re.compile(rf"[{_CN_DIGITS}](?:{_SEP}{{0,2}}[{_CN_DIGITS}])*")
_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+[@＠][A-Za-z0-9.\-]+\.[A-Za-z]{2,}")
# Words after which even a short number is personal: a card's last digits, a password, a code.
_CONTEXT = re.compile(
    r"(?:卡号|账号|帐号|账户|帐户|尾号|后四位|后4位|后六位|后6位|身份证号?|证件号码?|护照号?|密码|验证码|校验码|"
    r"手机号码?|电话号码?|号码|客户号|保单号|订单号|合同号)"
    r"(?:是|为|：|:|\s|是不是|应该是|好像是)*"
)


def _digit_count(text: str) -> int:
    return sum(ch.isdigit() for ch in text)


def _builtin_spans(text: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    context_ends = {m.end() for m in _CONTEXT.finditer(text)}
    for m in _DIGIT_RUN.finditer(text):
        digits = _digit_count(m.group())
        if digits >= MIN_DIGITS or (digits >= MIN_CONTEXT_DIGITS and m.start() in context_ends):
            spans.append(_trim(text, m.start(), m.end()))
    for m in _CN_RUN.finditer(text):
        count = sum(ch in _CN_DIGITS for ch in m.group())
        if count >= MIN_CN_DIGITS or (count >= MIN_CONTEXT_DIGITS + 1 and m.start() in context_ends):
            spans.append(_trim(text, m.start(), m.end()))
    spans.extend(m.span() for m in _EMAIL.finditer(text))
    return spans


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    """A run never ends on a separator (the regex allows none there, but be safe for spaces)."""
    while end > start and not text[end - 1].strip():
        end -= 1
    return start, end


_BETWEEN_DIGITS = re.compile(rf"(?<=[0-9]){_SEP}+(?=[0-9])")


def _compact(text: str) -> tuple[str, list[int]]:
    """``text`` with width folded and separators between digits removed, plus for each compact
    character the offset of its source character."""
    folded = fold_width(text)
    keep = [True] * len(folded)
    for m in _BETWEEN_DIGITS.finditer(folded):
        for i in range(m.start(), m.end()):
            keep[i] = False
    index = [i for i, k in enumerate(keep) if k]
    return "".join(folded[i] for i in index), index


def _pattern_spans(text: str, patterns: Iterable[re.Pattern[str]]) -> list[tuple[int, int]]:
    patterns = list(patterns)
    if not patterns:
        return []
    spans: list[tuple[int, int]] = []
    compact, index = _compact(text)
    for pattern in patterns:
        for view, mapping in ((text, None), (compact, index)):
            for m in pattern.finditer(view):
                if m.end() == m.start():
                    continue
                if mapping is None:
                    spans.append(m.span())
                else:
                    spans.append((mapping[m.start()], mapping[m.end() - 1] + 1))
    return spans


def mask_spans(text: str, patterns: Iterable[re.Pattern[str]] = ()) -> list[tuple[int, int]]:
    """The merged, sorted spans of ``text`` that must not be written anywhere."""
    spans = sorted(_builtin_spans(text) + _pattern_spans(text, patterns))
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def mask(text: str, patterns: Iterable[re.Pattern[str]] = ()) -> str:
    """``text`` with every personal-data span replaced by ``MASK``."""
    spans = mask_spans(text, patterns)
    if not spans:
        return text
    out: list[str] = []
    pos = 0
    for start, end in spans:
        out.append(text[pos:start])
        out.append(MASK)
        pos = end
    out.append(text[pos:])
    return "".join(out)
