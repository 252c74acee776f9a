"""Invariants of detection on arbitrary text built from rule phrases, protected terms and noise."""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kbtool.core.article import parse_article
from kbtool.core.fixes import apply_edits, first_suggestion_edits
from kbtool.core.metrics import sentence_lengths
from kbtool.core.report import check_article
from kbtool.core.text import fold_width

FRAGMENTS = [
    "本行", "我行", "系统", "系", "该", "应该", "其", "其他", "予以", "届时", "持卡人", "广大持卡人",
    "长期挂失", "临时挂失", "95588", "进行登记", "由此给您带来的不便", "敬请谅解", "敬请广大客户谅解",
    "这不归我管", "这不归我们这边管", "请", "。", "，", "\n", "您", "办理", "卡", "至", "于", "須", "該卡",
    "凡", "均", "（", "）", "-", "登录", "Ａ", " ",
]

texts = st.lists(st.sampled_from(FRAGMENTS), max_size=60).map("".join)


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow], deadline=None)
@given(texts)
def test_findings_lie_inside_the_text_sorted_and_word_findings_never_overlap(default_detector, text):
    findings = default_detector.check(text)
    for f in findings:
        assert 0 <= f.start < f.end <= len(text)
        assert f.text == text[f.start:f.end]
    assert [f.start for f in findings] == sorted(f.start for f in findings)  # reading order, all scopes
    for scope in ("word", "sentence"):
        spans = [(f.start, f.end) for f in findings if f.scope == scope]
        assert spans == sorted(spans)
        assert all(a[1] <= b[0] for a, b in itertools.pairwise(spans))


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow], deadline=None)
@given(texts)
def test_findings_never_cut_nor_change_protected_terms(default_detector, text):
    protected = [p for p in default_detector.pack.protected if p in text]
    findings = default_detector.check(text)
    for f in findings:
        if f.scope != "word":
            continue
        for term in protected:
            start = text.find(term)
            while start != -1:
                end = start + len(term)
                inside = f.start <= start and end <= f.end
                assert f.end <= start or f.start >= end or inside, (f, term)
                start = text.find(term, start + 1)
    fixed = apply_edits(text, first_suggestion_edits(findings))
    for term in protected:
        assert fixed.count(term) >= text.count(term), term


@settings(max_examples=100, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow], deadline=None)
@given(texts, texts)
def test_verbatim_blocks_are_never_flagged_nor_changed(default_detector, prose, script):
    script = script.replace("`", "") or "本行"
    doc = f"---\nid: x\ntitle: t\nkind: article\ncategory: c\n---\n{prose}\n\n```verbatim\n{script}\n```\n{prose}\n"
    art = parse_article(doc, "x.md")
    report = check_article(default_detector, art)
    (v_start, v_end), = art.verbatim
    assert all(f.end <= v_start - 1 or f.start >= v_end for f in report.findings)
    fixed = apply_edits(art.text, first_suggestion_edits(report.findings))
    assert f"```verbatim\n{script}\n```" in fixed


@settings(max_examples=100, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow], deadline=None)
@given(texts)
def test_sentence_lengths_found_while_detecting_are_those_the_metrics_would_count(default_detector, text):
    # Full-width letters and digits are spoken: they count as their half-width forms do.
    assert default_detector.scan(text).sentence_lengths == sentence_lengths(fold_width(text))
