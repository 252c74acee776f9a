"""Anchor characters of a regex: the characters every match must start with.

Most guarded patterns start with a lookbehind (``(?<![对由])于``), which stops ``re`` from
scanning for a literal prefix, so it tries every position of the text. Knowing that every
match starts with 于 lets the engine try only the positions where 于 occurs.
"""

from __future__ import annotations

import re
from typing import Any

try:  # Python 3.11+: the parser is private, so any surprise means "no anchors"
    from re import _constants as _c  # type: ignore[attr-defined]
    from re import _parser as _p  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover
    _p = _c = None

_MAX_ANCHORS = 64
# Every character \s can match (Unicode or ASCII mode: the ASCII ones are among them).
_WHITESPACE = frozenset(chr(cp) for cp in range(0x3001) if chr(cp).isspace())
_SPACE_CATEGORIES = (getattr(_c, "CATEGORY_SPACE", None), getattr(_c, "CATEGORY_UNI_SPACE", None)) if _c else ()


def first_chars(pattern: re.Pattern[str]) -> frozenset[str] | None:
    """The set of characters a match can start with, or None when it cannot be told."""
    if _p is None or pattern.flags & re.IGNORECASE:
        return None
    try:
        parsed = _p.parse(pattern.pattern, pattern.flags)
    except Exception:  # an exotic pattern just runs unanchored
        return None
    chars = _first(list(parsed))
    if chars is None or not chars or len(chars) > _MAX_ANCHORS:
        return None
    return frozenset(chars)


def _zero_width(items: list[Any]) -> bool:
    for op, av in items:
        if op in (_c.ASSERT, _c.ASSERT_NOT, _c.AT):
            continue
        if op is _c.SUBPATTERN and _zero_width(list(av[-1])):
            continue
        if op is _c.BRANCH and all(_zero_width(list(b)) for b in av[1]):
            continue
        return False
    return True


def _first(items: list[Any]) -> set[str] | None:
    """First characters of a sequence; an optional element adds its own and looks further."""
    out: set[str] = set()
    for op, av in items:
        if _zero_width([(op, av)]):
            continue  # lookarounds and anchors: look at what comes next
        if op in (_c.MAX_REPEAT, _c.MIN_REPEAT, getattr(_c, "POSSESSIVE_REPEAT", None)):
            low, _high, body = av
            sub = _first(list(body))
            if sub is None:
                return None
            out |= sub
            if low == 0:
                continue
            return out
        sub = _first_of(op, av)
        if sub is None:
            return None
        return out | sub
    return None  # may match the empty string or only zero-width: no anchor


def _first_of(op: Any, av: Any) -> set[str] | None:
    if op is _c.LITERAL:
        return {chr(av)}
    if op is _c.IN:
        out: set[str] = set()
        for sub_op, sub_av in av:
            if sub_op is _c.LITERAL:
                out.add(chr(sub_av))
            elif sub_op is _c.CATEGORY and sub_av in _SPACE_CATEGORIES:
                out |= _WHITESPACE  # \s: a few dozen characters, and rare in Chinese text but for \n
            else:
                return None  # ranges, other categories, negation: too wide
        return out
    if op is _c.SUBPATTERN:
        return _first(list(av[-1]))
    if op is _c.BRANCH:
        out = set()
        for branch in av[1]:
            sub = _first(list(branch))
            if sub is None:
                return None
            out |= sub
        return out
    return None


_MAX_ALTERNATIVES = 64


def required_texts(pattern: re.Pattern[str]) -> tuple[tuple[str, ...], ...]:
    """Texts every match must contain: each entry lists alternatives, one of which occurs in
    any match (``[,，]?并相互转告`` needs 并相互转告; ``(?:垂询|详询|咨询)`` needs one of three).

    A text with no alternative of some entry cannot match, so the pattern need not be tried.
    Only mandatory top-level parts count (optional parts, lookarounds and anything
    case-insensitive are left out), so the answer may be incomplete but is never wrong.
    """
    if _p is None or pattern.flags & re.IGNORECASE:
        return ()
    try:
        parsed = _p.parse(pattern.pattern, pattern.flags)
    except Exception:
        return ()
    out: list[tuple[str, ...]] = []
    _required(list(parsed), out)
    return tuple(dict.fromkeys(out))


def _required(items: list[Any], out: list[tuple[str, ...]]) -> None:
    run: list[str] = []
    for op, av in items:
        if op is _c.LITERAL:
            run.append(chr(av))
            continue
        if run:
            out.append(("".join(run),))
            run = []
        if op is _c.SUBPATTERN:
            _group, add_flags, _del_flags, body = av
            if not add_flags & re.IGNORECASE:
                _required(list(body), out)
        elif op in (_c.MAX_REPEAT, _c.MIN_REPEAT, getattr(_c, "POSSESSIVE_REPEAT", None)):
            low, _high, body = av
            if low >= 1:
                _required(list(body), out)
        elif op is _c.BRANCH:
            # each branch needs some text of its own: the branches' texts together are needed
            texts: list[str] = []
            for branch in av[1]:
                needs: list[tuple[str, ...]] = []
                _required(list(branch), needs)
                if not needs:
                    break
                texts += min(needs, key=lambda alts: (-min(map(len, alts)), len(alts)))
            else:
                if len(texts) <= _MAX_ALTERNATIVES:
                    out.append(tuple(dict.fromkeys(texts)))
        elif op is _c.IN and len(av) <= _MAX_ALTERNATIVES and all(sub_op is _c.LITERAL for sub_op, _ in av):
            out.append(tuple(chr(sub_av) for _, sub_av in av))
        # anything else (lookarounds, anchors, categories, negations) requires nothing certain
    if run:
        out.append(("".join(run),))


def starts_at_line(pattern: re.Pattern[str]) -> bool:
    """Whether every match starts at the beginning of a line (``(?m)^…``) or of the text (``^…``
    without MULTILINE, ``\\A…``): such a pattern need only be tried there."""
    if _p is None:
        return False
    try:
        parsed = list(_p.parse(pattern.pattern, pattern.flags))
    except Exception:
        return False
    return bool(parsed) and parsed[0][0] is _c.AT and parsed[0][1] in (_c.AT_BEGINNING, _c.AT_BEGINNING_STRING)
