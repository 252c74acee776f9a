"""Questions: the front-matter field, keys, duplicates across answers, clustering of queries."""

from __future__ import annotations

from pathlib import Path

import pytest

from kbtool.core import questions as q
from kbtool.core.article import parse_article
from kbtool.core.errors import KbInputError
from kbtool.services.kb import load_articles

ROOT = Path(__file__).resolve().parent.parent


def article(art_id: str, questions: list[str] | str | None, title: str = "标题", path: str | None = None, flow: bool = False):
    lines = ["---", f"id: {art_id}", f"title: {title}", "kind: article", "category: 银行卡"]
    if isinstance(questions, str):
        lines.append(f"questions: {questions}")
    elif questions is not None and flow:
        lines.append(f"questions: [{', '.join(questions)}]")
    elif questions is not None:
        lines.append("questions:")
        lines += [f"  - {x}" for x in questions]
    lines += ["---", "正文。", ""]
    return parse_article("\n".join(lines), path or f"kb/{art_id}.md")


# -- format -----------------------------------------------------------------------------------

def test_questions_are_read_in_order_standard_question_first():
    art = article("a", ["银行卡丢了怎么办", "卡丢了怎么挂失", "我的卡找不到了"])
    assert art.questions == ("银行卡丢了怎么办", "卡丢了怎么挂失", "我的卡找不到了")


@pytest.mark.parametrize("bad", ["{a: 1}", "[卡丢了, [嵌套]]", "[卡丢了, '']"])
def test_questions_must_be_a_list_of_strings_reported_at_their_line(bad):
    with pytest.raises(KbInputError) as exc:
        article("a", bad)
    problem = exc.value.problems[0]
    assert problem.line == 6 and "questions" in problem.message


def test_title_serves_as_the_question_when_none_are_listed():
    art = article("a", None, title="借记卡挂失须知")
    assert q.effective_questions(art.questions, art.title) == ("借记卡挂失须知",)
    listed = article("b", ["卡丢了"])
    assert q.effective_questions(listed.questions, listed.title) == ("卡丢了",)


def test_every_sample_article_with_front_matter_has_three_questions():
    loaded = load_articles([ROOT / "kb"])
    assert not loaded.problems
    with_meta = [a for a in loaded.articles if a.meta_lines]
    assert with_meta
    assert all(len(a.questions) >= 3 for a in with_meta), [a.id for a in with_meta if len(a.questions) < 3]


def test_question_lines_point_at_each_item():
    art = article("a", ["卡丢了怎么办", "卡丢了"])
    assert q.question_lines(art) == [7, 8]
    flow = article("b", ["卡丢了怎么办", "卡丢了"], flow=True)
    assert q.question_lines(flow) == [6, 6]


# -- keys -------------------------------------------------------------------------------------

def test_question_key_folds_script_width_punctuation_and_spaces():
    assert q.question_key("銀行卡丟了怎麼辦？") == q.question_key("银行卡丢了怎么办")
    assert q.question_key("ＡＴＭ 吞卡了！") == q.question_key("atm吞卡了")
    assert q.question_key("卡丢了") != q.question_key("卡丢")


@pytest.mark.parametrize("wording", [
    "卡被吞了", "卡被吞了怎么办", "卡被吞了咋办", "请问卡被吞了吗", "我想问一下卡被吞了怎么办呢", "卡被吞了？",
])
def test_core_key_strips_filler_around_the_question(wording):
    assert q.core_key(wording) == "卡被吞了"


def test_core_key_of_pure_filler_keeps_the_words():
    assert q.core_key("怎么办") == "怎么办"


# -- duplicates -------------------------------------------------------------------------------

def test_same_question_under_two_answers_is_reported_with_both_ids_and_lines():
    a = article("card-lost", ["卡丢了怎么办", "卡找不到了"], path="kb/a.md")
    b = article("credit-lost", ["信用卡丢了", "卡丢了，怎么办？"], path="kb/b.md")
    dupes = q.duplicate_questions(q.sites_of([a, b]))
    assert len(dupes) == 1
    d = dupes[0]
    assert d.ids == ("card-lost", "credit-lost")
    assert [s.where() for s in d.sites] == ["kb/a.md:7", "kb/b.md:8"]
    assert "card-lost" in d.message() and "credit-lost" in d.message()


def test_check_and_sync_report_a_question_under_two_answers_like_a_bad_field(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                                             monkeypatch: pytest.MonkeyPatch):
    from kbtool.cli import main

    kb = tmp_path / "kb"
    kb.mkdir()
    (kb / "a.md").write_text("---\nid: card-lost\ntitle: 挂失\nkind: article\ncategory: 银行卡\n"
                             "questions:\n  - 卡丢了怎么办\n---\n正文。\n", encoding="utf-8")
    (kb / "b.md").write_text("---\nid: credit-lost\ntitle: 信用卡挂失\nkind: article\ncategory: 信用卡\n"
                             "questions:\n  - 信用卡丢了\n  - 卡丢了，怎麼辦？\n---\n正文。\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert main(["check", "kb"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert [line for line in err if "重复" in line] == [
        "kbtool: kb/b.md:8: 问法「卡丢了，怎麼辦？」与 card-lost（kb/a.md:7）重复：坐席会搜到两个答案"]
    assert main(["sync", "--kb", "kb", "--user", "alice"]) == 2
    assert any("credit-lost" not in line and "card-lost" in line and "b.md" in line for line in capsys.readouterr().err.splitlines())
    (kb / "b.md").write_text((kb / "b.md").read_text(encoding="utf-8").replace("卡丢了，怎麼辦？", "信用卡找不到了"), encoding="utf-8")
    assert main(["check", "kb"]) == 0 and main(["sync", "--kb", "kb", "--user", "alice"]) == 0


def test_same_question_twice_under_one_answer_is_not_a_cross_answer_duplicate():
    a = article("a", ["卡丢了", "卡丢了！"])
    assert q.duplicate_questions(q.sites_of([a])) == []


def test_titles_count_for_answers_without_questions():
    a = article("a", None, title="吞卡处理")
    b = article("b", ["吞卡处理"])
    assert q.duplicate_questions(q.sites_of([a, b]))[0].ids == ("a", "b")


def test_near_duplicates_differ_only_in_filler_or_a_character():
    a = article("a", ["卡被吞了怎么办", "怎么开通短信提醒"])
    b = article("b", ["卡被吞了咋办", "怎么取消年费"])
    c = article("c", ["怎么开通短讯提醒"])
    near = q.near_duplicate_questions(q.sites_of([a, b, c]))
    pairs = {frozenset(s.question for s in d.sites) for d in near}
    assert frozenset({"卡被吞了怎么办", "卡被吞了咋办"}) in pairs
    assert frozenset({"怎么开通短信提醒", "怎么开通短讯提醒"}) in pairs
    assert all("怎么取消年费" not in p for p in pairs)
    assert all(not d.exact for d in near)


def test_near_duplicates_skip_exact_ones_and_same_answer():
    a = article("a", ["卡丢了怎么办", "卡丢了咋办"])
    b = article("b", ["卡丢了怎么办"])
    near = q.near_duplicate_questions(q.sites_of([a, b]))
    assert all(d.sites[0].article_id != d.sites[1].article_id for d in near)
    assert all(q.question_key(d.sites[0].question) != q.question_key(d.sites[1].question) for d in near)


# -- clustering -------------------------------------------------------------------------------

def lq(text: str, article_id: str | None = "atm", count: int = 1) -> q.LoggedQuery:
    return q.LoggedQuery(text, q.core_key(text), article_id, count)


def test_filler_variants_make_one_suggestion_ranked_by_count():
    rows = [lq("卡被吞了", count=3), lq("卡被吞了怎么办", count=2), lq("卡被吞了咋办"),
            lq("怎么开通短信提醒", "sms", count=2), lq("开通短信提醒呢", "sms", count=5)]
    clusters = q.cluster_queries(rows)
    assert [(c.article_id, c.count) for c in clusters] == [("sms", 7), ("atm", 6)]
    atm = next(c for c in clusters if c.article_id == "atm")
    assert atm.text == "卡被吞了"
    assert set(atm.wordings) == {"卡被吞了", "卡被吞了怎么办", "卡被吞了咋办"}


def test_different_questions_for_one_answer_stay_apart():
    rows = [lq("卡被吞了"), lq("晚上取钱卡被机器吃了"), lq("ATM不吐卡")]
    assert len(q.cluster_queries(rows)) == 3


def test_clusters_are_per_answer_and_gaps_are_their_own():
    rows = [lq("卡被吞了", "atm"), lq("卡被吞了", "lost"), lq("卡被吞了", None)]
    clusters = q.cluster_queries(rows)
    assert sorted((c.article_id or "") for c in clusters) == ["", "atm", "lost"]
    ids = {c.id for c in clusters}
    assert len(ids) == 3 and any(i.startswith("g") for i in ids)


def test_suggestion_id_is_stable_and_shown_wording_prefers_unmasked():
    rows = [lq("我卡号***被吞了", count=5), lq("我卡被吞了", count=2)]
    first = q.cluster_queries(rows)
    again = q.cluster_queries(list(reversed(rows)))
    assert [c.id for c in first] == [c.id for c in again]
    assert first[0].text == "我卡被吞了"


def test_matching_a_listed_question_tolerates_filler_and_a_slip():
    listed = [q.core_key(x) for x in ["取款机把我卡吞了", "卡被机器吃了去哪里领"]]
    assert q.matches_any(q.core_key("取款机把我卡吞了怎么办"), listed)
    assert q.matches_any(q.core_key("取款机把我的卡吞了"), listed)
    assert not q.matches_any(q.core_key("卡被吞了"), listed)
