"""Drafts: decisions per finding, free edits, grammatical seams, offsets, audience, persistence."""

from __future__ import annotations

import itertools
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kbtool.core.draft import Draft, Item, caller_text, split_audience, substitute
from kbtool.core.findings import Finding

ALPHABET = [*"我们予以办理您好请敬谅解。，、；： \nAB12", "App", "95588"]
texts = st.lists(st.sampled_from(ALPHABET), min_size=1, max_size=30).map("".join)
replacements = st.sampled_from(["", "给", "。", "，", " ", "帮您", "A", "好的，", "，请", "x y"])


@st.composite
def drafts(draw):
    text = draw(texts)
    items = []
    for n in range(draw(st.integers(0, 6))):
        start = draw(st.integers(0, len(text)))
        end = draw(st.integers(start, min(len(text), start + 6)))
        if start == end:
            continue
        sugg = tuple(draw(st.lists(replacements, min_size=1, max_size=3)))
        scope = draw(st.sampled_from(["word", "word", "sentence"]))
        items.append(Item(f"r{n}@{start}-{end}", f"r{n}", start, end, text[start:end], sugg, scope))
    draft = Draft("a", "h", text, items)
    for it in items:
        action = draw(st.sampled_from(["accept", "reject", "edit", "pending"]))
        if action == "accept":
            draft.accept(it.key, draw(st.integers(0, len(it.suggestions) - 1)))
        elif action == "reject":
            draft.reject(it.key)
        elif action == "edit":
            draft.edit(it.key, draw(replacements))
    return draft


def assert_valid(draft: Draft) -> None:
    out = draft.render()
    src_pos = out_pos = 0
    for p in out.pieces:
        assert p.src_start == src_pos and p.out_start == out_pos, (p, src_pos, out_pos)
        assert p.src_start <= p.src_end and p.out_start <= p.out_end
        if p.origin is None:
            assert out.text[p.out_start:p.out_end] == draft.source[p.src_start:p.src_end]
        src_pos, out_pos = p.src_end, p.out_end
    assert src_pos == len(draft.source) and out_pos == len(out.text)
    assert set(out.applied).isdisjoint(out.conflicts)


SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(drafts())
def test_any_set_of_decisions_renders_a_piece_table_that_tiles_source_and_draft(draft):
    assert_valid(draft)
    out = draft.render()
    for pos in range(len(draft.source) + 1):
        assert 0 <= out.to_output(pos) <= len(out.text)
    for pos in range(len(out.text) + 1):
        assert 0 <= out.to_source(pos) <= len(draft.source)


@SETTINGS
@given(drafts())
def test_rendering_never_doubles_punctuation_a_finding_introduced(draft):
    out = draft.render()
    strong = set("。，；：、")
    src_pairs = sum(1 for a, b in zip(draft.source, draft.source[1:], strict=False) if a in strong and b in strong)
    out_pairs = sum(1 for a, b in zip(out.text, out.text[1:], strict=False) if a in strong and b in strong)
    assert out_pairs <= src_pairs


@SETTINGS
@given(drafts())
def test_a_draft_survives_a_json_round_trip(draft):
    data = json.loads(json.dumps(draft.to_dict(), ensure_ascii=False))
    again = Draft.from_dict(data)
    assert again.render() == draft.render()
    assert again.to_dict() == draft.to_dict()


@SETTINGS
@given(drafts(), st.data())
def test_typing_in_the_draft_changes_exactly_the_typed_stretch(draft, data):
    before = draft.render().text
    start = data.draw(st.integers(0, len(before)))
    end = data.draw(st.integers(start, len(before)))
    typed = data.draw(st.sampled_from(["", "好", "，", "您好。", " "]))
    draft.edit_output(start, end, typed)
    assert draft.render().text == before[:start] + typed + before[end:]
    assert_valid(draft)


def test_typing_next_to_a_deleted_line_keeps_the_line_breaks_the_editor_did_not_touch():
    # the deleted line's seam looked past the typed stretch: the fix once ate both breaks
    draft = Draft("a", "h", "\n\n我我\n", [Item("r", "r", 2, 4, "我我", ("",))])
    draft.accept("r")
    assert draft.render().text == "\n\n"
    draft.edit_output(0, 1, "")
    assert draft.render().text == "\n"
    assert_valid(draft)


def test_each_decision_kind_shows_in_the_text_and_in_the_status():
    source = "本行将予以办理，敬请谅解。"
    items = [
        Item("a", "official.benhang", 0, 2, "本行", ("我们", "银行")),
        Item("b", "official.yuyi", 3, 5, "予以", ("给",)),
        Item("c", "boilerplate.jingqing", 8, 12, "敬请谅解", ("",)),
    ]
    draft = Draft("card", "hash", source, items)
    assert draft.render().text == source
    draft.accept("a", 1)
    draft.edit("b", "帮您")
    draft.reject("c")
    assert draft.render().text == "银行将帮您办理，敬请谅解。"
    assert [draft.status(k) for k in "abc"] == ["accepted", "edited", "rejected"]
    draft.accept("c")
    assert draft.render().text == "银行将帮您办理。"


def test_removing_a_phrase_between_commas_leaves_one_comma():
    assert substitute("您好，敬请谅解，谢谢", 3, 7, "")[1] == "您好，谢谢"
    assert substitute("敬请谅解，谢谢。", 0, 4, "")[1] == "谢谢。"
    assert substitute("为此，敬请谅解。", 3, 7, "")[1] == "为此。"


def test_a_deleted_line_or_paragraph_leaves_no_empty_lines_behind():
    for before, after, expected in [
        ("谢谢。\n\n", "\n\n某某银行", "谢谢。\n\n某某银行"),
        ("谢谢。\n", "\n某某银行", "谢谢。\n某某银行"),
        ("谢谢。\n", "\n\n某某银行", "谢谢。\n\n某某银行"),
        ("谢谢。\n\n", "\n某某银行", "谢谢。\n\n某某银行"),
        ("", "\n\n某某银行", "某某银行"),
    ]:
        text = before + "特此公告。" + after
        assert substitute(text, len(before), len(before) + 5, "")[1] == expected, repr(text)


def test_replacement_punctuation_is_not_doubled_with_its_neighbour():
    assert substitute("请稍候，我查一下", 0, 3, "请您稍等，")[1] == "请您稍等，我查一下"
    assert substitute("办理，。", 0, 2, "做完。")[1] == "做完。"


def test_spacing_around_ascii_is_kept_sensible():
    assert substitute("打开 App 后", 3, 6, "应用")[1] == "打开应用后"
    assert substitute("登录APP查询", 2, 5, "手机银行")[1] == "登录手机银行查询"
    assert substitute("点击 OK 键", 3, 5, "App")[1] == "点击 App 键"
    assert substitute("发送CXLL", 0, 2, "ABC")[1] == "ABC CXLL"


def test_a_sentence_split_only_changes_its_commas_so_word_fixes_inside_still_apply():
    source = "本行将予以办理，请客户于次日查询，逾期不予受理。"
    items = [
        Item("w", "official.yuyi", 3, 5, "予以", ("给",)),
        Item("s", "structure.long", 0, 23, source[:23], ("本行将予以办理。请客户于次日查询。逾期不予受理",), "sentence"),
    ]
    draft = Draft("x", "h", source, items)
    draft.accept_all()
    out = draft.render()
    assert out.text == "本行将给办理。请客户于次日查询。逾期不予受理。"
    assert set(out.applied) == {"w", "s"} and not out.conflicts


def test_overlapping_accepted_findings_report_a_conflict_instead_of_garbling():
    source = "敬请广大客户谅解"
    items = [Item("a", "r1", 0, 8, source, ("请您理解",)), Item("b", "r2", 2, 6, "广大客户", ("大家",))]
    draft = Draft("x", "h", source, items)
    draft.accept_all()
    out = draft.render()
    assert out.text == "请您理解"
    assert out.conflicts == ("b",)
    assert draft.status("b") == "conflict"


def test_free_edits_win_over_findings_they_cover():
    draft = Draft("x", "h", "本行予以办理。", [Item("b", "r", 2, 4, "予以", ("给",))])
    draft.accept("b")
    draft.add_edit(0, 4, "我们马上")
    assert draft.render().text == "我们马上办理。"
    assert draft.status("b") == "conflict"


def test_draft_is_linked_to_its_source_by_hash():
    finding = Finding("official.yuyi", "warning", "official", 0, 2, 1, 1, "予以", "m", ("给",))
    draft = Draft.create("card-loss", "予以办理", [finding])
    assert draft.article_id == "card-loss"
    assert not draft.is_stale(draft.source_hash)
    assert draft.is_stale("0" * 64)


def test_from_dict_rejects_a_bad_action_with_a_clear_message():
    draft = Draft("x", "h", "予以", [Item("b", "r", 0, 2, "予以", ("给",))])
    data = draft.to_dict()
    data["decisions"] = {"b": {"action": "maybe"}}
    try:
        Draft.from_dict(data)
    except ValueError as exc:
        assert "maybe" in str(exc)
    else:
        raise AssertionError("accepted an unknown action")


def kinds(text: str) -> list[tuple[str, str]]:
    return [(s.kind, text[s.start:s.end].strip()) for s in split_audience(text)]


def test_agent_instructions_are_kept_apart_from_what_the_caller_hears():
    text = "挂失后卡片立即停用。坐席须核实来电人系持卡人本人。补卡需要5个工作日。"
    assert kinds(text) == [
        ("caller", "挂失后卡片立即停用。"),
        ("agent", "坐席须核实来电人系持卡人本人。"),
        ("caller", "补卡需要5个工作日。"),
    ]


def test_what_the_agent_is_told_to_tell_the_caller_is_heard():
    text = "如客户无法提供卡号，应告知客户可通过证件号码查询名下卡片，但仅可读出卡号后四位。"
    heard = caller_text(text)
    assert heard == "可通过证件号码查询名下卡片"
    quoted = "口头挂失完成后，坐席应告知客户：“口头挂失有效期为5天。”"
    assert caller_text(quoted) == "口头挂失有效期为5天。"


def test_marked_lines_and_agent_sections_are_for_the_agent_only():
    text = "## 办理方式\n可到网点办理。\n【坐席提示】先核实身份。\n## 三、坐席操作要点\n1. 先查询卡状态。\n## 注意事项\n费用全免。\n"
    heard = caller_text(text)
    assert "可到网点办理" in heard and "费用全免" in heard
    assert "坐席提示" not in heard and "先核实身份" not in heard and "先查询卡状态" not in heard
    segments = split_audience(text)
    assert segments[0].start == 0 and segments[-1].end == len(text)
    assert all(a.end == b.start for a, b in itertools.pairwise(segments))


def test_no_space_is_left_after_chinese_punctuation_a_replacement_ends_with():
    assert substitute("1. 手机银行", 0, 2, "第一，")[1] == "第一，手机银行"


def test_a_suggested_draft_never_folds_an_instruction_to_agents_into_what_the_caller_hears():
    from kbtool.core.article import parse_article
    from kbtool.core.detect import Detector
    from kbtool.core.draft import suggest_draft
    from kbtool.services.packs import load_pack

    text = "注意事项：\n1. 资费按目的地标准收取。\n2. 出境前确认已开通漫游。\n3. 坐席应提醒客户检查数据漫游开关。\n"
    draft = suggest_draft(Detector(load_pack()), parse_article(text, "roaming.txt"))
    draft.accept_all()
    spoken = draft.text
    assert "\n3. 坐席" in spoken
    assert "有三点" not in spoken  # the third point is for the agent, not the caller
    caller_only = "注意事项：\n1. 资费按目的地标准收取。\n2. 出境前确认已开通漫游。\n"
    draft = suggest_draft(Detector(load_pack()), parse_article(caller_only, "roaming.txt"))
    draft.accept_all()
    assert "有两点" in draft.text
