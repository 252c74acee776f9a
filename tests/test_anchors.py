"""The shortcuts that decide where a guarded pattern is tried must never change what it finds."""

from __future__ import annotations

import re

import pytest
from conftest import ROOT

from kbtool.core.anchors import first_chars, required_texts, starts_at_line
from kbtool.core.detect import Detector
from kbtool.services.kb import load_articles


def test_first_chars_of_a_lookbehind_guarded_literal():
    assert first_chars(re.compile(r"(?<![对由])于")) == {"于"}


def test_first_chars_of_optional_whitespace_include_the_line_break_and_what_follows():
    chars = first_chars(re.compile(r"(?<=\d)\s*[~～]\s*(?=\d)"))
    assert chars is not None
    assert {"\n", " ", "\u3000", "~", "～"} <= chars
    assert "1" not in chars


def test_first_chars_is_unknown_for_a_range_or_a_negated_class():
    assert first_chars(re.compile(r"[一-龥]+办理")) is None
    assert first_chars(re.compile(r"[^，。]{2}须")) is None


def test_required_texts_skip_optional_parts_and_keep_alternatives():
    needs = required_texts(re.compile(r"[,，]?(?:垂询|详询|咨询)(?:电话)?"))
    assert needs == (("垂询", "详询", "咨询"),)


def test_starts_at_line_only_for_a_leading_line_anchor():
    assert starts_at_line(re.compile(r"(?m)^\s*\d+[.、]"))
    assert not starts_at_line(re.compile(r"\d+[.、]"))


@pytest.fixture(scope="module")
def unshortcut_detector(default_pack):
    """The same pack, every pattern tried at every position of every text."""
    detector = Detector(default_pack)
    detector._unanchored = list(detector._pattern_rules)
    detector._anchors = dict.fromkeys(detector._pattern_rules)
    detector._anchor_chars = frozenset()
    detector._anchor_rules.clear()
    detector._req_groups = {i: () for i in detector._pattern_rules}
    detector._line_rules = set()
    return detector


def test_the_sample_kb_gets_the_same_findings_as_with_every_pattern_tried_everywhere(default_detector, unshortcut_detector):
    articles = load_articles([ROOT / "kb"]).articles
    assert len(articles) > 20
    for art in articles:
        # (traditional and full-width copies exercise the normalised matching too)
        for text in (art.text, art.text.replace("\n", "\u3000\n").replace("-", " - ")):
            assert default_detector.check(text) == unshortcut_detector.check(text), art.path
