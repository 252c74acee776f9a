"""Highlights carried across edits, offsets to rows, and width-correct cutting."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from rich.cells import cell_len

from kbtool.tui.format import clip, fit
from kbtool.tui.spans import by_row, changed_region, line_starts, shift_spans, to_location


def test_a_span_after_an_insertion_moves_with_its_words():
    old = "持卡人可致电挂失。系统予以解除。"
    new = "您好，持卡人可致电挂失。系统予以解除。"
    [(s, e, tag)] = shift_spans([(old.index("予以"), old.index("予以") + 2, "w")], old, new)
    assert new[s:e] == "予以" and tag == "w"


def test_a_span_the_edit_touches_is_dropped():
    old = "系统自动予以解除。"
    new = "系统自动给解除。"
    assert shift_spans([(4, 6, "w")], old, new) == []


def test_a_span_before_the_edit_stays():
    old = "持卡人可致电。"
    new = "持卡人可致电挂失。"
    assert shift_spans([(0, 3, "w")], old, new) == [(0, 3, "w")]


@given(st.text(alphabet="持卡人予以。\n ab", max_size=30), st.text(alphabet="您好给。\nx", max_size=5),
       st.integers(0, 30), st.integers(0, 5))
def test_shifted_spans_cover_the_same_text(text, inserted, at, cut):
    at = min(at, len(text))
    new = text[:at] + inserted + text[at + cut:]
    spans = [(i, i + 2, i) for i in range(0, max(0, len(text) - 1), 3)]
    for s, e, i in shift_spans(spans, text, new):
        assert new[s:e] == text[i:i + 2]


def test_changed_region_of_a_replacement():
    assert changed_region("abcdef", "abXYef") == (2, 4, 4)


def test_offsets_to_rows_and_columns_count_code_points():
    text = "第一行\n持卡人予以\n"
    starts = line_starts(text)
    assert to_location(starts, text.index("予以")) == (1, 3)
    assert by_row(text, [(text.index("行"), text.index("人") + 1, "m")]) == {0: [(2, 3, "m")], 1: [(0, 3, "m")]}


def test_fit_counts_chinese_as_two_cells():
    assert cell_len(fit("借记卡挂失须知", 9)) == 9
    assert fit("借记卡挂失须知", 9).endswith("…")
    assert fit("abc", 6) == "abc   "
    assert cell_len(clip("关于调整转账手续费的公告", 10)) <= 10
