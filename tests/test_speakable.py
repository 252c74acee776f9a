"""Structure helpers: spoken forms, splits, menus, lists, parentheses; wiring into detection."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kbtool.cli import main
from kbtool.core.detect import Detector
from kbtool.core.errors import KbInputError
from kbtool.core.facts import verify
from kbtool.core.speakable import HELPER_NAMES, HelperContext, run_helper, scan, split_sentence
from kbtool.core.text import is_traditional, speakable_length
from kbtool.services.packs import load_pack

CTX = HelperContext(today=dt.date(2026, 6, 1))


@pytest.mark.parametrize(
    ("helper", "text", "first"),
    [
        ("date", "2026年3月16日", "3月16号"),
        ("date", "2024年3月16日", "2024年3月16号"),
        ("date", "2024-03-16", "2024年3月16号"),
        ("date", "3月16日", "3月16号"),
        ("time", "00:00至06:00", "凌晨0点到6点"),
        ("time", "9:00至16:00", "上午9点到下午4点"),
        ("time", "8:30-17:30", "早上8点半到下午5点半"),
        ("time", "9:00-12:00", "上午9点到12点"),
        ("time", "22:00", "晚上10点"),
        ("percent", "1%", "百分之一"),
        ("percent", "0.05%", "万分之五"),
        ("percent", "18.25%", "百分之十八点二五"),
        ("amount", "10000元", "1万元"),
        ("amount", "¥1,000.00", "1000元"),
        ("account_class", "II类", "二类"),
        ("menu_path", "我的-设置-安全中心", "先点我的，再点设置，最后点安全中心"),
        ("menu_path", "打开APP>办理>国际/港澳台>流量包", "先打开APP，再点办理，然后点国际/港澳台，最后点流量包"),
        ("menu_path", "点击我的>转账>跨行转账>手机号转账", "先点我的，再点转账，然后点跨行转账，最后点手机号转账"),
        ("menu_path", "选择设置→安全", "先选设置，再选安全"),
        ("menu_path", "登录-帮助-修改手机号-人工审核办理", "先登录，再点帮助，然后点修改手机号，最后点人工审核办理"),
        ("menu_path", "登录中国移动APP-办理-漫游开通", "先登录中国移动APP，再点办理，最后点漫游开通"),
        ("menu_path", "打开APP后点我的>设置", "打开APP后先点我的，再点设置"),
        ("parentheses", "（含社保联名卡）", "，包括社保联名卡，"),
        ("parentheses", "（如代发工资入账）", "，比如代发工资入账，"),
        ("parentheses", "（以下简称“本行”）", ""),
        ("bound", "（含）以下", "及以下"),
        ("bound", "在1万元（不含）以上", "超过1万元"),
        ("bound", "3个工作日（不含）以内", "不到3个工作日"),
    ],
)
def test_helpers_give_the_spoken_form_first(helper, text, first):
    got = run_helper(helper, text, CTX)
    assert got and got[0] == first, got


@pytest.mark.parametrize(
    ("helper", "text"),
    [("menu_path", "2024-03-16"), ("menu_path", "010-12345678"), ("menu_path", "周一-周五"), ("parentheses", "（一）"),
     ("date", "3月16号"), ("amount", "2000元"), ("split_sentence", "短句，不用拆。")],
)
def test_helpers_offer_nothing_when_there_is_nothing_to_improve(helper, text):
    assert run_helper(helper, text, CTX) == ()


def test_numbered_lists_become_spoken_points():
    got = run_helper("numbered_list", "1. 身份证。\n2. 银行卡；\n3. 手机", CTX)
    assert got[0] == "有三点：\n第一，身份证；\n第二，银行卡；\n第三，手机。"
    assert run_helper("numbered_list", "1. 甲\n2. 乙", CTX)[0].startswith("有两点：")
    assert run_helper("numbered_list", "材料包括（1）身份证；（2）银行卡", CTX) == ("材料包括：第一，身份证；第二，银行卡。",)
    assert run_helper("numbered_list", "1. 甲\n3. 乙", CTX) == ()  # not a sequence
    assert run_helper("numbered_list", "（一）带身份证。\n（二）带银行卡。", CTX)[0] == "有两点：\n第一，带身份证；\n第二，带银行卡。"
    assert run_helper("numbered_list", "一、甲\n二、乙\n三、丙", CTX)[0].startswith("有三点：")


def test_digits_are_read_one_by_one_only_where_the_pack_says_so():
    on = HelperContext(read_digits=5)
    assert run_helper("digits", "10086", on) == ("幺零零八六",)
    assert run_helper("digits", "400-820-8820", on) == ("四零零，八二零，八八二零",)
    assert [s.helper for s in scan("请拨打400-820-8820咨询", on)] == ["digits"]
    assert not [s for s in scan("请拨打400-820-8820咨询", CTX) if s.helper == "digits"]
    assert not [s for s in scan("请拨打1008咨询", on) if s.helper == "digits"]  # shorter than the setting


def test_a_long_sentence_is_split_at_natural_clause_boundaries():
    sentence = (
        "根据相关规定，客户通过手机银行或网上银行办理临时挂失，有效期为十五个自然日，"
        "临时挂失期间该卡所有非柜面交易均暂停，如需恢复请前往网点办理解挂"
    )
    first = split_sentence(sentence, CTX)[0]
    assert not first.startswith("根据相关规定。")  # 根据… leans on what follows
    pieces = [p for p in first.split("。") if p]
    assert len(pieces) >= 2
    assert all(speakable_length(p) <= 30 for p in pieces[1:])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["客户", "办理", "挂失", "网点", "手机银行", "，", "；", "、", "“", "”", "（", "）"]),
                min_size=5, max_size=60))
def test_a_split_changes_only_clause_punctuation(parts):
    sentence = "".join(parts)
    for option in split_sentence(sentence, HelperContext(sentence_max_chars=8)):
        assert len(option) == len(sentence)
        for a, b in zip(sentence, option, strict=True):
            assert a == b or (a in "，；" and b == "。")


dates = st.builds(lambda y, m, d: f"{y}年{m}月{d}日", st.sampled_from([2024, 2026]), st.integers(1, 12), st.integers(1, 28))
times = st.builds(lambda a, b, m: f"{a}:{m:02d}至{b}:00", st.integers(0, 11), st.integers(12, 23), st.sampled_from([0, 30]))
amounts = st.builds(lambda n: f"{n}元", st.sampled_from([2000, 10000, 15000, 50000, 200000, 1000000]))
percents = st.builds(lambda n: f"{n}%", st.sampled_from(["1", "0.05", "0.5", "3.5", "18.25", "10"]))


@settings(max_examples=150, deadline=None)
@given(st.one_of(dates, times, amounts, percents))
def test_every_spoken_form_a_helper_offers_keeps_the_fact(written):
    sentence = f"请注意：{written}。"
    for sug in scan(sentence, CTX):
        for option in sug.replacements:
            spoken = sentence[:sug.start] + option + sentence[sug.end:]
            result = verify(sentence, spoken, today=CTX.today)
            assert result.ok, (written, option, [c.to_dict() for c in result.problems()])


def test_a_bracketed_inclusion_mark_is_said_with_its_bound_never_left_hanging():
    text = "单笔1万元（含）以下免费，1万元（不含）以上每笔收2元，请于2025年3月1日（不含）之前办理。"
    by_span = {s.text: s.replacements[0] for s in scan(text, CTX)}
    assert by_span["（含）以下"] == "及以下"
    assert by_span["1万元（不含）以上"] == "超过1万元"
    assert by_span["2025年3月1日（不含）之前"] == "2025年3月1号之前，不包括2025年3月1号"
    assert run_helper("parentheses", "（含）", CTX) == ()  # alone it would read “，包括，”
    draft = text
    for s in sorted(scan(text, CTX), key=lambda s: -s.start):
        if s.scope == "word":
            draft = draft[: s.start] + s.replacements[0] + draft[s.end:]
    assert "（" not in draft and verify(text, draft).ok


def test_a_bracket_bound_to_the_word_after_it_is_left_to_the_editor():
    text = "卡片被设备留存（俗称“吞卡”）的，应及时处理。请带身份证（含临时身份证）办理。"
    spans = {s.text: s.replacements for s in scan(text, CTX) if s.helper == "parentheses"}
    assert "（俗称“吞卡”）" not in spans  # “，俗称吞卡，的” is worse than the bracket
    assert spans["（含临时身份证）"][0] == "，包括临时身份证，"


def test_scan_leaves_protected_terms_and_skipped_spans_alone():
    text = "II类账户和II类的区别，见（附表）。"
    ctx = HelperContext(protected=("II类账户",))
    spans = [(s.start, s.end) for s in scan(text, ctx)]
    assert (0, 3) not in spans and any(text[a:b] == "II类" for a, b in spans)
    assert not [s for s in scan(text, ctx, skip=[(0, len(text))])]


# -- wiring into the style pack and the detector -------------------------------------------------

PACK = """\
name: helpers
rules:
  - id: structure.menu
    level: suggestion
    category: structure
    message: 菜单路径念出来是“杠”
    pattern: '(?:[\\u4e00-\\u9fff]{1,8}-){1,5}[\\u4e00-\\u9fff]{1,8}'
    helper: menu_path
    examples: [{before: 点我的-设置-安全中心}]
  - id: structure.long
    level: suggestion
    category: structure
    message: 一口气说不完
    builtin: long_sentence
    helper: split_sentence
    examples: [{before: 一二三四五六七八九十一二三四五六七八九十，一二三四五六七八九十一二三四五六七八九十。}]
"""


def test_a_rule_with_a_helper_gets_its_suggestions_from_the_helper(tmp_path):
    path = tmp_path / "helpers.yml"
    path.write_text(PACK, encoding="utf-8")
    detector = Detector(load_pack(str(path)))
    findings = detector.check("点我的-设置-安全中心。")
    menu = [f for f in findings if f.rule == "structure.menu"]
    assert menu and menu[0].suggestions[0] == "先点我的，再点设置，最后点安全中心"
    assert not menu[0].safe
    long = [f for f in detector.check("甲" * 20 + "，" + "乙" * 20 + "。") if f.rule == "structure.long"]
    assert long and long[0].suggestions == ("甲" * 20 + "。" + "乙" * 20,)


def test_an_unknown_helper_is_a_pack_error_naming_the_rule(tmp_path):
    path = tmp_path / "bad.yml"
    path.write_text(PACK.replace("helper: menu_path", "helper: menu_paths"), encoding="utf-8")
    with pytest.raises(KbInputError) as exc:
        load_pack(str(path))
    assert "structure.menu" in str(exc.value) and "menu_paths" in str(exc.value)
    assert "menu_path" in HELPER_NAMES


# -- kbtool rewrite / kbtool verify ---------------------------------------------------------------

def write_article(tmp_path, body):
    path = tmp_path / "a.md"
    path.write_text(f"---\nid: sample\ntitle: 样例\nkind: article\ncategory: 测试\n---\n{body}", encoding="utf-8")
    return path


def test_rewrite_prints_a_draft_with_metrics_and_a_clean_fact_check(tmp_path, capsys):
    path = write_article(tmp_path, "营业时间为9:00至16:00，手续费率为0.05%，请于2026年3月16日前办理。\n")
    code = main(["rewrite", str(path), "--format", "json", "--today", "2026-06-01"])
    data = json.loads(capsys.readouterr().out)
    assert "上午9点到下午4点" in data["draft"] and "万分之五" in data["draft"] and "3月16号" in data["draft"]
    assert data["facts"]["ok"] and code == 0
    assert set(data["metrics"]) >= {"before", "after", "readiness_gain", "seconds_saved"}


def test_rewrite_of_an_unknown_id_is_a_one_line_error(tmp_path, capsys):
    assert main(["rewrite", "no-such-article", "--kb", str(tmp_path)]) == 2
    assert "no-such-article" in capsys.readouterr().err


def test_verify_exits_0_when_kept_1_when_changed_2_on_bad_input(tmp_path, capsys):
    original = tmp_path / "o.txt"
    original.write_text("日累计不超过1万元，请致电95588。", encoding="utf-8")
    good = tmp_path / "good.txt"
    good.write_text("每天最多一万块，有问题打九五五八八。", encoding="utf-8")
    bad = tmp_path / "bad.txt"
    bad.write_text("每天最多一千块，有问题打九五五八八。", encoding="utf-8")
    assert main(["verify", str(original), str(good)]) == 0
    assert main(["verify", str(original), str(bad), "--format", "json"]) == 1
    out = capsys.readouterr().out
    data = json.loads(out)
    changed = [f for f in data["facts"] if f["status"] == "changed"]
    assert changed[0]["text"] == "1万元" and changed[0]["line"] == 1 and changed[0]["spoken"]["text"] == "一千块"
    assert main(["verify", str(original), str(tmp_path / "missing.txt")]) == 2


def test_a_marker_only_match_reads_its_list_around_it():
    source = "材料：\n1. 身份证；\n2. 银行卡；\n3. 手机。\n"
    first = source.index("1.")
    third = source.index("3.")
    assert run_helper("numbered_list", "1.", CTX.at(source, first, first + 2)) == ("有三点：第一，", "第一，")
    assert run_helper("numbered_list", "3.", CTX.at(source, third, third + 2)) == ("第三，",)
    assert run_helper("numbered_list", "3.", CTX) == ()  # without the text around it: nothing to say


def test_a_menu_path_matched_after_its_first_item_continues_the_steps():
    source = "客户可登录手机银行-我的-安全中心-转账限额设置，调整限额。"
    start = source.index("-")
    end = source.index("，")
    got = run_helper("menu_path", source[start:end], CTX.at(source, start, end))
    assert got == ("，再点我的，然后点安全中心，最后点转账限额设置",)


def test_a_condition_after_its_subject_or_a_section_number_is_not_cut_from_what_follows():
    text = "二、客户如不再需要这项短信服务，可以在月底前通过手机银行、网上银行或者到网点办理取消手续，过了期限没有办理的，就按新标准收费"
    for suggestion in split_sentence(text, CTX):
        assert "这项短信服务。" not in suggestion
    assert split_sentence(text, CTX), "the sentence is long and has other natural cuts"


def test_a_clause_ending_in_chu_wai_is_not_cut_from_the_clause_it_sets_up():
    text = "用户可申请关闭增值业务订购功能（业务封锁），关闭后除营业厅本人办理外，其他渠道均无法为该号码订购收费增值业务"
    suggestions = split_sentence(text, CTX)
    assert suggestions, "the sentence is long and has a natural cut after the first clause"
    for suggestion in suggestions:
        assert "办理外。" not in suggestion
    assert suggestions[0].startswith("用户可申请关闭增值业务订购功能（业务封锁）。")


@pytest.mark.parametrize(
    "text, bad",
    [
        ("根据有关规定和监管部门的要求，本公司为用户办理入网手续时，须对用户真实身份信息进行登记和核验并留存", "手续时。"),
        ("为进一步优化产品结构和服务质量，本公司决定自2026年11月1日起，停止新办理下列套餐和相关的优惠活动", "日起。"),
        ("四、暂停受理期间，客户在本公司办理的其他业务不受影响，停机保号、补卡、缴费等业务均可正常办理", "期间。"),
        ("贷款全部结清后，客户须前往经办网点领取结清证明，并携带房产证明及结清证明到不动产登记中心办理抵押注销", "结清后。"),
    ],
)
def test_a_clause_that_sets_up_the_next_one_is_not_cut_from_it(text, bad):
    for suggestion in split_sentence(text, CTX):
        assert bad not in suggestion


def test_a_definition_ending_in_de_qijian_can_still_end_a_sentence():
    text = "免息还款期系指自银行记账日起至到期还款日之间的期间，最短20天，最长50天，具体以账单为准，逾期不享受免息待遇"
    assert any("之间的期间。" in s for s in split_sentence(text, HelperContext(sentence_max_chars=30)))


def test_quotes_around_a_whole_menu_path_go_around_each_step():
    source = "客户可通过本公司APP“我的—套餐变更—流量包”自助办理。"
    [found] = [s for s in scan(source, CTX) if s.helper == "menu_path"]
    assert found.replacements[0] == "先点“我的”，再点“套餐变更”，最后点“流量包”"


def test_a_date_deadline_clause_is_not_cut_from_what_must_be_done_by_then():
    text = "请上述用户务必于2025年8月31日前，携带本人有效身份证件前往就近营业厅进行补登记，逾期未登记的将暂停服务"
    suggestions = split_sentence(text, CTX)
    assert suggestions and all("31日前。" not in s for s in suggestions)


def test_a_topic_ending_in_de_noun_is_not_cut_from_the_instruction_about_it():
    text = "补卡、过户、销户等须本人到厅办理的业务，请前往营业的营业厅办理，届时须携带本人有效身份证件及相关材料"
    suggestions = split_sentence(text, CTX)
    assert suggestions and all("的业务。" not in s for s in suggestions)


def test_a_date_with_its_other_name_in_brackets_takes_the_qi_along():
    source = "2027年2月12日（正月初七）起，全市营业厅恢复正常营业时间。"
    [found] = [s for s in scan(source, CTX) if s.helper == "parentheses"]
    assert found.replacements == ("，正月初七",)


def test_a_quoted_menu_path_after_its_verb_closes_the_first_steps_quote(default_detector):
    source = "于营业网点智能柜员机选择“账户服务>信息维护>预留手机号变更”办理。"
    menu = [f for f in default_detector.check(source) if f.suggestions and "再" in f.suggestions[0]]
    assert menu, "the menu path is offered as steps"
    for f in menu:
        spoken = source[:f.start] + f.suggestions[0] + source[f.end:]
        assert spoken.count("“") == spoken.count("”") and "“账户服务”" in spoken, spoken


def test_a_range_clause_and_a_by_whom_clause_stay_with_their_sentence():
    text = "携号转网系指用户在同一本地网范围内，保持手机号码不变，由一家基础电信企业转为另一家基础电信企业提供服务，不收取任何费用"
    for suggestion in split_sentence(text, CTX):
        assert "范围内。" not in suggestion and "不变。由" not in suggestion


def test_what_a_helper_adds_to_traditional_text_is_in_traditional_and_the_source_stays_byte_for_byte():
    source = "報失途徑：\n1. 致電熱線辦理；\n2. 登入後選擇「信用卡」>「卡片管理」>「報失及補發」；\n3. 親臨分行辦理。"
    suggestions = {s.helper: s for s in scan(source, CTX)}
    listed = suggestions["numbered_list"].replacements[0]
    assert listed.startswith("有三點")
    assert "致電熱線辦理" in listed and "親臨分行辦理" in listed  # the items as written
    menu = suggestions["menu_path"].replacements[0]
    assert "再選「卡片管理」" in menu and "最後選「報失及補發」" in menu
    assert is_traditional(listed) and "选" not in menu and "后" not in menu


def test_a_traditional_sentence_is_split_where_its_simplified_form_would_be():
    text = "根據本行信用卡持卡人合約之規定，持卡人在報失前因卡片丟失或被盜而引致的未經授權交易，其責任上限為港幣500元"
    for suggestion in split_sentence(text, CTX):
        assert "規定。" not in suggestion


def test_a_purpose_clause_with_yi_stays_with_its_sentence():
    text = "如發現信用卡遺失、被盜或懷疑卡片資料已被他人盜用，請立即致電本行報失，以減低損失，並盡快報警處理"
    for suggestion in split_sentence(text, CTX):
        assert "。以減低" not in suggestion


@pytest.mark.parametrize(
    "source, first",
    [
        ("登記路徑：登入流動理財應用程式 > 轉賬 > 轉數快 > 管理登記。", "先登入流動理財應用程式，再點轉賬"),
        ("請選擇「信用卡」>「卡片管理」>「報失及補發」。", "先選「信用卡」，再選「卡片管理」"),
    ],
)
def test_menu_verbs_written_in_traditional_or_hong_kong_usage_are_steps_of_their_own(source, first):
    [found] = [s for s in scan(source, CTX) if s.helper == "menu_path"]
    assert found.replacements[0].startswith(first), found.replacements


@pytest.mark.parametrize(
    "text, bad",
    [
        ("近期，本行发现多起不法分子冒充金融机构、电商平台客服实施诈骗的案件，部分客户已遭受资金损失", "近期。"),
        ("不法分子谎称客户在校期间开通过校园贷账户，“不注销会影响征信”，随后诱导客户在多个网贷平台贷款后转入其指定账户", "。“不注销"),
        ("敬请广大客户提高警惕，并相互转告身边的亲友，尤其是老年人及在校学生，切勿向陌生人透露验证码", "。尤其是"),
    ],
)
def test_a_short_lead_in_a_quoted_remark_and_a_tail_naming_who_is_meant_are_not_cut_off(text, bad):
    for suggestion in split_sentence(text, CTX):
        assert bad not in suggestion


def test_a_menu_item_with_a_space_before_a_latin_word_stays_one_step():
    [found] = [s for s in scan("1. 10086 APP-办理-宽带-宽带新装，输入详细地址；", CTX) if s.helper == "menu_path"]
    assert found.text == "10086 APP-办理-宽带-宽带新装"
    assert found.replacements[0].startswith("先点10086 APP，再点办理")
