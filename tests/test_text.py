from hypothesis import given
from hypothesis import strategies as st

from kbtool.core.text import clause_spans, normalize, normalize_key, sentence_spans, speakable_length


def test_normalize_folds_full_width_and_traditional_to_simplified():
    assert normalize("ＡＢＣ１２３，銀行卡掛失") == "ABC123,银行卡挂失"


def test_normalize_keeps_chinese_punctuation_other_than_full_width_ascii():
    assert normalize("您好。请问") == "您好。请问"


@given(st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0xFFEF), max_size=200))
def test_normalize_is_length_preserving(text):
    assert len(normalize(text)) == len(text)


def test_normalize_key_ignores_punctuation_width_and_script():
    assert normalize_key("卡被吞了，怎麼辦？") == normalize_key("卡被吞了怎么办")


def test_sentences_split_at_end_punctuation_and_newlines():
    text = "第一句。第二句！\n第三句"
    assert [text[s:e] for s, e in sentence_spans(text)] == ["第一句。", "第二句！", "第三句"]


def test_clauses_split_at_commas_too():
    text = "先登录，再点挂失。"
    assert [text[s:e] for s, e in clause_spans(text)] == ["先登录，", "再点挂失。"]


def test_speakable_length_counts_characters_letters_and_digits_only():
    assert speakable_length("拨打95588，按 1 号键。") == 11
