from __future__ import annotations

import pytest

from kbtool.core.article import parse_article
from kbtool.core.detect import Detector
from kbtool.core.report import check_article
from kbtool.services.packs import load_pack

PACK = r"""
name: t
protected: [长期挂失, "95588", 主卡持卡人]
rules:
  - id: official.xi
    level: warning
    category: official
    message: 系
    phrases: [系]
    replace: [是]
  - id: official.gai
    level: warning
    category: official
    message: 该
    pattern: '该(?=[卡笔账客业])'
    boundary: start
    replace: [这个]
  - id: official.qi
    level: suggestion
    category: official
    message: 其
    phrases: [其]
    replace: [他的]
  - id: official.benhang
    level: warning
    category: official
    message: 本行
    phrases: [本行, 我行]
    replace: [我们]
  - id: official.chikaren
    level: warning
    category: official
    message: 持卡人
    phrases: [持卡人, 广大持卡人]
    replace: [您]
  - id: official.guashi
    level: warning
    category: official
    message: 挂失 is protected inside 长期挂失
    phrases: [挂失]
    replace: [报失]
  - id: official.jinxing
    level: warning
    category: official
    message: 进行
    pattern: '进行(?P<v>登记|核实)'
    replace: ['\g<v>']
  - id: official.fan-jun
    level: warning
    category: official
    message: 凡…均
    pattern: '凡(.{1,12}?)均'
    replace: ['只要是\1都']
  - id: official.guashi-replace
    level: warning
    category: official
    message: replaces a protected term outright, so it must never fire
    phrases: [长期挂失]
    replace: [挂失]
  - id: boilerplate.liangjie
    level: warning
    category: boilerplate
    message: 套话
    phrases: [由此给您带来的不便敬请谅解]
    replace: [给您添麻烦了]
    fuzzy: true
  - id: forbidden.bugui
    level: error
    category: forbidden
    message: 禁语
    phrases: [这不归我管]
    replace: [我帮您转给负责的同事]
    fuzzy: {min_score: 80}
  - id: forbidden.qing
    level: suggestion
    category: forbidden
    message: 请太多
    phrases: [请]
    repeat: {max: 2, window: 3}
  - id: structure.long
    level: suggestion
    category: structure
    message: 太长
    builtin: long_sentence
"""


@pytest.fixture(scope="module")
def detector(tmp_path_factory) -> Detector:
    path = tmp_path_factory.mktemp("pack") / "t.yml"
    path.write_text(PACK, encoding="utf-8")
    return Detector(load_pack(str(path)))


def rules_found(detector: Detector, text: str) -> list[tuple[str, str]]:
    return [(f.rule, f.text) for f in detector.check(text) if f.scope == "word"]


@pytest.mark.parametrize(
    "text",
    ["系统正在升级，请联系我们。", "您应该带上身份证。", "其他问题可以再问。", "本行业的发展很快。"],
)
def test_single_character_rules_do_not_fire_inside_longer_words(detector, text):
    assert rules_found(detector, text) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("该卡系本人所有。", [("official.gai", "该"), ("official.xi", "系")]),
        ("本行将于明日升级。", [("official.benhang", "本行")]),
        ("请主卡持卡人于本行办理。", [("official.benhang", "本行")]),
    ],
)
def test_rules_fire_on_word_boundaries(detector, text, expected):
    assert rules_found(detector, text) == expected


def test_protected_terms_are_never_flagged(detector):
    assert rules_found(detector, "请办理长期挂失。") == []
    assert rules_found(detector, "卡丢了请先挂失。") == [("official.guashi", "挂失")]


def test_a_match_may_carry_a_protected_term_through_unchanged(detector):
    (finding,) = detector.check("请前往网点进行核实。")
    assert finding.suggestions == ("核实",)
    text = "凡长期挂失的客户均须到场。"
    assert [f.text for f in detector.check(text)] == ["凡长期挂失的客户均"]


def test_longest_match_wins_over_nested_rule(detector):
    findings = detector.check("广大持卡人请注意。")
    assert [(f.rule, f.text) for f in findings] == [("official.chikaren", "广大持卡人")]


def test_pattern_captures_fill_the_replacement(detector):
    (finding,) = detector.check("请前往网点进行登记。")
    assert (finding.text, finding.suggestions) == ("进行登记", ("登记",))
    assert finding.safe is False  # pattern rules need context: never auto-applied


def test_exact_single_replacement_is_a_safe_fix(detector):
    (finding,) = detector.check("本行将于明日升级。")
    assert finding.safe and finding.score == 100


@pytest.mark.parametrize(
    ("text", "rule", "span"),
    [
        ("这不归我们这边管。", "forbidden.bugui", "这不归我们这边管"),
        ("由此给您带来的不便，敬请广大客户谅解。", "boilerplate.liangjie", "由此给您带来的不便，敬请广大客户谅解"),
    ],
)
def test_fuzzy_variants_with_inserted_words_are_found_with_a_score(detector, text, rule, span):
    (finding,) = [f for f in detector.check(text) if f.rule == rule]
    assert finding.text == span
    assert 80 <= finding.score < 100
    assert finding.safe is False


def test_fuzzy_does_not_fire_on_unrelated_text(detector):
    assert rules_found(detector, "我们这边的事情您放心，我来管。") == []


def test_a_fuzzy_variant_that_drops_the_phrases_negation_is_no_variant(detector):
    # 这归我管 says the opposite of 这不归我管: a forbidden-phrase finding would reverse it
    assert rules_found(detector, "这归我管，我马上帮您办。") == []
    assert [rule for rule, _ in rules_found(detector, "这个不归我们这边管。")] == ["forbidden.bugui"]


def test_traditional_text_is_matched_and_offsets_point_into_the_original(detector):
    text = "如遇問題，本行將於明日處理。該卡係本人所有。"
    findings = detector.check(text)
    assert [(f.rule, text[f.start:f.end]) for f in findings] == [
        ("official.benhang", "本行"), ("official.gai", "該"), ("official.xi", "係"),
    ]
    assert all(f.text == text[f.start:f.end] for f in findings)
    assert findings[1].suggestions == ("這個",)  # answered in the script of the source


def test_full_width_text_is_matched(detector):
    assert rules_found(detector, "请拨打ＡＴＭ旁电话，本行２４小时服务。") == [("official.benhang", "本行")]


def test_repetition_rule_flags_the_sentence_that_overuses_a_word(detector):
    findings = [f for f in detector.check("请稍等。请输入密码。请确认。") if f.rule == "forbidden.qing"]
    assert [(f.start, f.text) for f in findings] == [(10, "请")]


def test_long_sentence_covers_the_sentence_without_hiding_word_findings(detector):
    text = "凡在本行办理借记卡业务的客户均须携带本人有效身份证件原件前往开户网点柜台进行登记并签署相关协议文本。好的。"
    findings = detector.check(text)
    sentence = [f for f in findings if f.scope == "sentence"]
    assert [f.rule for f in sentence] == ["structure.long"]
    assert sentence[0].start == 0 and sentence[0].text.endswith("协议文本")
    assert {f.rule for f in findings if f.scope == "word"} == {"official.benhang", "official.jinxing"}


ARTICLE = """---
id: a
title: 本行公告
kind: article
category: 银行卡
---
本行提示。

```verbatim
本行工作人员不会索要验证码。
```

代码 `本行` 不查。<!-- 本行 --> 第二行本行。
"""


def test_front_matter_verbatim_code_and_comments_are_skipped(detector):
    art = parse_article(ARTICLE, "kb/a.md")
    report = check_article(detector, art)
    assert [(f.line, f.column, f.text) for f in report.findings] == [(7, 1, "本行"), (13, 27, "本行")]
    assert all(art.text[f.start:f.end] == f.text for f in report.findings)


def test_offsets_count_code_points_with_crlf_and_bom(detector, tmp_path):
    data = b"\xef\xbb\xbf" + ARTICLE.replace("\n", "\r\n").encode("utf-8")
    art = parse_article(data, "kb/a.md")
    report = check_article(detector, art)
    assert [(f.line, f.column) for f in report.findings] == [(7, 1), (13, 27)]
    assert all(art.text[f.start:f.end] == "本行" for f in report.findings)


def test_metrics_report_characters_sentences_and_readiness(detector):
    art = parse_article(ARTICLE, "kb/a.md")
    metrics = check_article(detector, art).metrics
    assert metrics.sentences == 3
    assert metrics.characters == len("本行提示") + len("代码") + len("不查") + len("第二行本行")
    assert 0 <= metrics.readiness < 100
    assert metrics.read_aloud_seconds == round(metrics.characters * 60 / detector.pack.settings.speaking_rate, 1)


def test_a_fuzzy_match_never_runs_across_the_end_of_a_sentence(detector):
    text = "由此给您带来的不便。敬请谅解，谢谢。"
    assert all("。" not in f.text for f in detector.check(text)), detector.check(text)


def test_a_match_written_alike_in_both_scripts_is_answered_in_the_script_around_it(detector):
    findings = detector.check("本行將於明日處理您的申請。")
    assert [(f.rule, f.suggestions) for f in findings if f.rule == "official.benhang"] == [("official.benhang", ("我們",))]
    findings = detector.check("本行将于明日处理您的申请。")
    assert [(f.rule, f.suggestions) for f in findings if f.rule == "official.benhang"] == [("official.benhang", ("我们",))]


def test_repetition_counts_clauses_chained_with_commas_in_one_sentence(detector):
    text = "请您稍等，请您不要挂机，请您注意查收短信。"
    findings = [f for f in detector.check(text) if f.rule == "forbidden.qing"]
    assert [(f.start, f.text) for f in findings] == [(text.index("请您注意"), "请")]
    assert [f for f in detector.check("请您稍等，我查一下。请您不要挂机。") if f.rule == "forbidden.qing"] == []


def test_a_pattern_match_in_traditional_text_is_answered_in_traditional_even_when_it_reads_the_same(
    default_detector,
):
    # 他人 and 持 are written alike in both scripts; the words around them are traditional.
    text = "客戶不得將額度出借予他人使用，須持相關證明材料至櫃面辦理。"
    findings = {f.rule: f for f in default_detector.check(text)}
    assert findings["official.taren"].suggestions[0] == "別人"
    assert findings["official.chi"].suggestions[0] == "帶著"
    simplified = {f.rule: f for f in default_detector.check("客户不得将额度出借予他人使用，须持相关证明材料至柜面办理。")}
    assert simplified["official.taren"].suggestions[0] == "别人"


def test_a_simplified_sentence_beside_a_traditional_one_is_answered_in_simplified(default_detector):
    text = "如有疑問，請致電本行。现将有关事项公告如下："
    [finding] = [f for f in default_detector.check(text) if f.text == "现将有关事项公告如下"]
    assert finding.suggestions[0] == "具体是这样的"


def test_words_for_the_caller_are_not_offered_inside_an_instruction_to_the_agent(default_detector):
    text = "坐席须核实来电人系持卡人本人。\n坐席应告知客户：持卡人须本人办理。\n持卡人须本人办理。\n"
    art = parse_article(text, "kb/a.txt")
    hits = [(f.line, f.text) for f in check_article(default_detector, art).findings if f.rule == "official.chikaren"]
    assert hits == [(2, "持卡人"), (3, "持卡人")]  # not line 1: there the agent checks who calls
