"""Query understanding for agent search: normalisation, synonyms, pinyin, fuzzy similarity."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from kbtool.core.errors import KbInputError
from kbtool.core.query import (
    PINYIN,
    SYNONYM,
    WEIGHTS,
    WORDS,
    QueryPlan,
    SynonymTable,
    Window,
    add_pinyin,
    analyze,
    content_key,
    known_pieces,
    normalize_query,
    parse_synonyms,
    pinyin_candidates,
    pinyin_keys,
    pinyin_windows,
    similarity,
    style_synonyms,
)
from kbtool.core.segment import Segmenter

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def seg() -> Segmenter:
    return Segmenter(())


# -- normalisation ----------------------------------------------------------------------------

def test_normalize_folds_traditional_width_case_and_spaces() -> None:
    assert normalize_query("  銀行卡ＡＴＭ　　掛失 ") == "银行卡atm 挂失"


def test_content_key_ignores_caller_filler(seg: Segmenter) -> None:
    assert content_key("我的卡丢了怎么办啊", seg) == content_key("卡丢了", seg)
    assert content_key("怎么办", seg) == "怎么办"  # nothing but filler: kept rather than emptied


# -- synonym file -----------------------------------------------------------------------------

def test_synonym_groups_map_each_term_to_the_others() -> None:
    table = parse_synonyms("synonyms:\n  - [挂失, 卡丢了]\n  - [吞卡, 卡被吞, ATM吞卡]\n", "syn.yml")
    assert [t for t, _ in table.variants("卡丢了")] == ["挂失"]
    assert {t for t, _ in table.variants("吞卡")} == {"卡被吞", "atm吞卡"}
    assert table.variants("挂失")[0][1].origin == "syn.yml:2"


def test_synonym_terms_are_normalised_and_traditional_duplicates_fold() -> None:
    table = parse_synonyms("synonyms:\n  - [報失, 报失, 唔見咗卡]\n", "syn.yml")
    assert table.groups[0].terms == ("报失", "唔见咗卡")


def test_a_term_in_two_groups_gets_both_groups_variants() -> None:
    table = parse_synonyms("synonyms:\n  - [额度, 信用额度]\n  - [额度, 限额]\n", "syn.yml")
    assert {t for t, _ in table.variants("额度")} == {"信用额度", "限额"}


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ("synonyms:\n  - [挂失, 卡丢了]\n  - 吞卡\n", 3, "同义词组必须是词的列表"),
        ("synonyms:\n  - [挂失]\n", 2, "至少要有两个不同的词"),
        ("synonyms:\n  - [报失, 報失]\n", 2, "至少要有两个不同的词"),
        ("synonyms:\n  - [挂失,\n     ~]\n", 3, "同义词必须是词或短语"),
        ("synonyms:\n  - [挂失, {a: b}]\n", 2, "同义词必须是词或短语"),
        ("synonyms:\n  - [挂失, '  ']\n", 2, "同义词为空"),
        ("synonyms: []\nsynonym: []\n", 2, "未知的键 'synonym'"),
        ("groups: []\n", 1, "未知的键 'groups'"),
        ("synonyms: 挂失\n", 1, "必须是同义词组的列表"),
        ("synonyms:\n  - [挂失, 卡丢了\n", 3, "YAML 格式错误"),
        ("- [挂失, 卡丢了]\n", 1, "必须是含 'synonyms' 列表的映射"),
    ],
)
def test_synonym_file_problems_name_file_and_line(text: str, line: int, fragment: str) -> None:
    with pytest.raises(KbInputError) as info:
        parse_synonyms(text, "kb/synonyms.yml")
    rendered = [str(p) for p in info.value.problems]
    assert any(r.startswith(f"kb/synonyms.yml:{line}:") and fragment in r for r in rendered), rendered


def test_every_synonym_problem_is_reported_at_once() -> None:
    with pytest.raises(KbInputError) as info:
        parse_synonyms("synonyms:\n  - [挂失]\n  - [吞卡, 卡被吞]\n  - 吞卡\n", "s.yml")
    assert [p.line for p in info.value.problems] == [2, 4]


def test_the_sample_knowledge_base_synonym_file_is_valid() -> None:
    path = ROOT / "kb" / "synonyms.yml"
    table = parse_synonyms(path.read_text(encoding="utf-8"), str(path))
    assert len(table.groups) > 10


# -- style-pack pairs -------------------------------------------------------------------------

@dataclass
class FakeRule:
    id: str
    category: str
    phrases: tuple[str, ...] = ()
    replace: tuple[str, ...] = ()
    pattern: str | None = None
    source: str = "styles/x/official.yml"
    line: int = 3


def test_style_pairs_come_from_register_rules_with_literal_replacements() -> None:
    rules = [
        FakeRule("official.ciyue", "official", ("次月",), ("下个月",)),
        FakeRule("forbidden.bu", "forbidden", ("不知道",), ("我帮您查一下",)),  # not a synonym: a better answer
        FakeRule("official.jinxing", "official", (), (r"\g<v>",), pattern="进行(?P<v>登记)"),
        FakeRule("official.group", "official", ("予以",), (r"\1办",)),
    ]
    table = style_synonyms(rules)
    assert [g.terms for g in table.groups] == [("次月", "下个月")]
    assert table.groups[0].kind == "style" and "official.ciyue" in table.groups[0].origin


# -- analysis ---------------------------------------------------------------------------------

def test_a_synonym_phrase_spanning_several_words_is_expanded(seg: Segmenter) -> None:
    table = parse_synonyms("synonyms:\n  - [挂失, 卡丢了]\n", "s.yml")
    plan = analyze("我的卡丢了怎么办", seg, table)
    expanded = [(g.text, v.text) for g in plan.groups for v in g.variants if v.kind == SYNONYM]
    assert expanded == [("卡丢了", "挂失")]


def test_a_synonym_term_must_sit_on_word_boundaries(seg: Segmenter) -> None:
    table = parse_synonyms("synonyms:\n  - [行长, 负责人]\n", "s.yml")
    assert not [v for g in analyze("银行长期挂失", seg, table).groups for v in g.variants if v.kind == SYNONYM]
    assert [v.text for g in analyze("找行长", seg, table).groups for v in g.variants if v.kind == SYNONYM] == ["负责人"]


def test_caller_filler_is_dropped_unless_nothing_else_is_left(seg: Segmenter) -> None:
    assert [g.text for g in analyze("请问我的挂失怎么办", seg).groups] == ["挂失"]
    assert [g.text for g in analyze("怎么办", seg).groups] == ["怎么办"]


def test_dialect_filler_is_dropped_like_other_filler(seg: Segmenter) -> None:
    assert [g.text for g in analyze("取款机把卡吃了咋整", seg).groups] == ["取款机", "取款", "卡", "吃"]
    assert "咋搞" not in [g.text for g in analyze("卡咋搞的用不了", seg).groups]


def test_filler_listed_in_the_synonym_table_stays_filler(seg: Segmenter) -> None:
    table = parse_synonyms("synonyms:\n  - [能否, 能不能]\n", "s.yml")
    plan = analyze("能不能挂失", seg, table)  # jieba: 能 / 不能 / 挂失; the stretch 能不能 is in the table
    assert "能不能" not in [g.text for g in plan.groups]
    assert not [v for g in plan.groups for v in g.variants if v.kind == SYNONYM]


def test_glue_characters_are_stripped_from_a_word_the_index_lacks() -> None:
    known = {"彩铃", "号码", "宽带"}.__contains__
    assert known_pieces("咋销", known) == ["销"]      # 咋 glued to 销(户)
    assert known_pieces("想换", known) == ["换"]
    assert known_pieces("装个", known) == ["装"]
    assert known_pieces("彩铃钱", known) == ["彩铃"]  # no glue: only the stretch the index holds
    assert known_pieces("挂实", known) == []          # no glue, nothing known: a typo, left to pinyin
    assert known_pieces("atm", known) == []


def test_a_word_the_index_lacks_is_also_searched_by_its_known_pieces(seg: Segmenter) -> None:
    known = {"号码", "不要"}.__contains__
    assert "销" in [g.text for g in analyze("号码不要了咋销", seg, known=known).groups]
    assert "销" not in [g.text for g in analyze("号码不要了咋销", seg).groups]  # no index to ask: as typed


# -- pinyin -----------------------------------------------------------------------------------

def test_heteronyms_are_read_every_way() -> None:
    assert {"yin hang", "yin xing"} <= set(pinyin_keys("银行"))
    assert {"huan kuan", "hai kuan"} <= set(pinyin_keys("还款"))
    assert {"chang qi", "zhang qi"} <= set(pinyin_keys("长期"))
    assert pinyin_keys("atm") == []


def test_a_typo_is_read_like_the_word_it_stands_for() -> None:
    assert set(pinyin_keys("挂实")) & set(pinyin_keys("挂失"))
    assert set(pinyin_keys("银航")) & set(pinyin_keys("银行"))  # only through 行's second reading


def test_pinyin_candidates_must_share_a_character_with_the_typo() -> None:
    window = Window("挂实", 0, 2, tuple(pinyin_keys("挂实")))
    assert pinyin_candidates(window, ["挂失", "瓜式", "挂实"]) == ["挂失"]


def test_pinyin_is_not_tried_where_the_characters_are_known(seg: Segmenter) -> None:
    plan = analyze("挂失挂实", seg)
    known = {"挂失"}
    windows = pinyin_windows(plan, lambda w: w in known)
    assert "挂失" not in [w.text for w in windows]
    assert "挂实" in [w.text for w in windows]
    assert pinyin_windows(analyze("挂失", seg), lambda w: w in known) == []


def test_filler_words_are_not_read_as_typos(seg: Segmenter) -> None:
    plan = analyze("我那个卡还能用吗", seg)
    texts = [w.text for w in pinyin_windows(plan, lambda w: False)]
    assert not {"我那", "那个", "还能"} & set(texts)  # not 我能, 哪个, 不能


def test_pinyin_for_a_word_that_is_no_word_weighs_more_than_a_guess_beside_a_real_word(seg: Segmenter) -> None:
    plan = analyze("账户解动", seg)
    window = Window("解动", 2, 4, tuple(pinyin_keys("解动")))
    assert add_pinyin(plan, {window: ["解冻"]}).groups[-1].variants[0].weight == WEIGHTS[PINYIN]
    typo = add_pinyin(plan, {window: ["解冻"]}, typo=lambda w: w == "解动")
    assert typo.groups[-1].variants[0].weight == WEIGHTS["typo"] > WEIGHTS[PINYIN]
    assert WEIGHTS["typo"] < WEIGHTS[WORDS]  # the characters themselves still win


# -- fuzzy ------------------------------------------------------------------------------------

def test_similarity_rewards_close_wordings_not_shared_fillers() -> None:
    assert similarity("卡被吞", "卡被吞") == 100
    assert similarity("卡被机器吞", "卡被机器吃领") > 70
    assert similarity("卡丢", "u盾过期") < 30
    assert similarity("", "卡") == 0


def test_empty_plan_is_empty(seg: Segmenter) -> None:
    plan = analyze("？！", seg)
    assert isinstance(plan, QueryPlan) and plan.empty
    assert SynonymTable().variants("x") == []
