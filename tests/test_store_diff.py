"""The reviewer's word-level diff (kbtool.core.diff)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from kbtool.core.diff import inline, similarity, word_diff

SOURCE = "客户如发生借记卡遗失，应及时致电95588予以办理口头挂失。"
SPOKEN = "卡丢了的话，请马上打95588帮您办口头挂失。"


def test_changes_are_whole_words_not_characters() -> None:
    ops = word_diff(SOURCE, SPOKEN)
    changed = [(op.a_text, op.b_text) for op in ops if op.tag != "equal"]
    assert ("予以办理", "帮您办") in changed
    # 办 is in both 予以办理 and 帮您办: a character diff would keep it as "equal", a word diff does not
    assert all(op.a_text not in ("办", "予以") for op in ops if op.tag == "equal")
    assert "95588" in [op.a_text for op in ops if op.tag == "equal"]


def test_pack_words_stay_whole_with_the_detectors_segmenter(default_detector) -> None:  # type: ignore[no-untyped-def]
    ops = word_diff("请您予以配合。", "请您配合。", default_detector.segmenter.tokenize)
    assert [(op.tag, op.a_text) for op in ops if op.tag != "equal"] == [("delete", "予以")]


def test_inline_marks_deletions_and_insertions() -> None:
    text = inline(word_diff("应及时致电95588", "请马上打95588"))
    assert text.endswith("95588") and "[-" in text and "{+" in text


def test_identical_texts_are_one_equal_op_and_fully_similar() -> None:
    ops = word_diff(SOURCE, SOURCE)
    assert [op.tag for op in ops] == ["equal"] and similarity(ops) == 1.0
    assert similarity(word_diff(SOURCE, "完全不同的一句话")) < 0.2


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet="卡丢了挂失请您予以办理，。 95588ab\n", max_size=40),
       st.text(alphabet="卡丢了挂失请您予以办理，。 95588ab\n", max_size=40))
def test_ops_cover_both_texts_exactly(a: str, b: str) -> None:
    ops = word_diff(a, b)
    assert "".join(op.a_text for op in ops) == a
    assert "".join(op.b_text for op in ops) == b
    for op in ops:
        assert a[op.a_start:op.a_end] == op.a_text and b[op.b_start:op.b_end] == op.b_text
