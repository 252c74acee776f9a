"""The review workflow in the store: states, roles, four eyes, locking, facts, history."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest
from store_kit import TEAM, make_kb, open_store, set_roles

from kbtool.services import store as store_mod
from kbtool.services.store import ConflictError, FactCheck, PermissionDenied, Store, StoreError

SPOKEN = "卡丢了的话，请马上打95588帮您挂失。"


@pytest.fixture
def team_store(tmp_path: Path) -> Store:
    kb = make_kb(tmp_path, roles=TEAM)
    store = open_store(tmp_path, kb)
    store.sync(user="alice")
    return store


def test_whole_flow_with_two_users_and_every_step_in_history(team_store: Store) -> None:
    s = team_store
    gen = s.generation()
    r1 = s.save("card", SPOKEN, base_revision=None, user="alice", decisions={"accepted": ["official.yuyi"]})
    assert (r1.number, r1.author, s.article("card").state) == (1, "alice", "draft")
    assert r1.decisions_data == {"accepted": ["official.yuyi"]}
    assert {d.id: d.status for d in s.answers()}["card"] == "draft"
    s.submit("card", user="alice")
    assert s.article("card").state == "in_review"
    assert [a.id for a in s.articles(states=("in_review",))] == ["card"]
    assert {d.id: d.status for d in s.answers()}["card"] == "in_review"
    s.request_changes("card", "“马上”改成“尽快”", user="bob")
    assert s.article("card").state == "changes_requested"
    r2 = s.save("card", SPOKEN.replace("马上", "尽快"), base_revision=1, user="alice")
    s.submit("card", user="alice")
    s.approve("card", user="bob", revision=r2.number, comment="可以")
    art = s.article("card")
    assert (art.state, art.approved_revision, art.approved_by) == ("approved", 2, "bob")
    doc = {d.id: d for d in s.answers()}["card"]
    assert (doc.status, doc.spoken_text) == ("approved", r2.spoken_text)
    assert s.generation() > gen
    history = s.history("card")
    assert [e.action for e in history] == ["sync.new", "save", "submit", "request_changes", "save", "submit", "approve"]
    assert [e.user for e in history[1:]] == ["alice", "alice", "bob", "alice", "alice", "bob"]
    approve = history[-1]
    assert approve.revision == 2 and approve.text_hash == r2.text_hash and approve.source_hash == art.source_hash
    assert approve.detail["comment"] == "可以" and approve.detail["author"] == "alice"
    assert history[3].detail["comment"] == "“马上”改成“尽快”"
    assert s.verify_history() == []


def test_author_cannot_approve_own_revision_even_as_reviewer(team_store: Store) -> None:
    s = team_store
    s.save("card", SPOKEN, base_revision=None, user="alice")
    s.submit("card", user="alice")
    with pytest.raises(PermissionDenied, match="四眼"):
        s.approve("card", user="alice")
    assert s.article("card").state == "in_review"
    # another editor's revision on top: now alice may approve it
    s.save("card", SPOKEN + "谢谢。", base_revision=1, user="erin")
    s.submit("card", user="erin")
    s.approve("card", user="alice")
    assert s.article("card").approved_by == "alice"


def test_agents_are_read_only(team_store: Store) -> None:
    s = team_store
    with pytest.raises(PermissionDenied, match="坐席（只读）"):
        s.save("card", SPOKEN, base_revision=None, user="carl")
    s.save("card", SPOKEN, base_revision=None, user="alice")
    for action in (lambda: s.submit("card", user="carl"), lambda: s.approve("card", user="carl"),
                   lambda: s.request_changes("card", "x", user="carl"), lambda: s.archive("card", user="carl")):
        with pytest.raises(PermissionDenied, match="只读"):
            action()
    assert [r.number for r in s.revisions("card")] == [1]
    assert [d.id for d in s.answers()] == ["card", "password"]  # reading is allowed


def test_unlisted_user_and_wrong_role_are_refused_with_the_config_named(team_store: Store) -> None:
    s = team_store
    with pytest.raises(PermissionDenied, match=r"不在 .*kbtool.yml"):
        s.save("card", SPOKEN, base_revision=None, user="mallory")
    s.save("card", SPOKEN, base_revision=None, user="erin")
    s.submit("card", user="erin")
    with pytest.raises(PermissionDenied, match="没有审核权限"):
        s.approve("card", user="erin")


def test_single_local_user_holds_every_role_but_four_eyes_still_holds(tmp_path: Path) -> None:
    kb = make_kb(tmp_path, roles={})
    s = open_store(tmp_path, kb)
    s.sync()
    s.save("card", SPOKEN, base_revision=None, user="me")
    s.submit("card", user="me")
    with pytest.raises(PermissionDenied, match="四眼"):
        s.approve("card", user="me")
    s.approve("card", user="colleague")


def test_roles_config_errors_name_the_file(tmp_path: Path) -> None:
    kb = make_kb(tmp_path)
    (kb / "kbtool.yml").write_text("roles:\n  editor: [a]\n", encoding="utf-8")
    s = open_store(tmp_path, kb)
    s.sync()
    with pytest.raises(StoreError, match=r"kbtool.yml.*未知的键 'editor'"):
        s.save("card", SPOKEN, base_revision=None, user="a")


def test_two_saves_over_the_same_base_conflict_and_both_texts_are_kept(team_store: Store) -> None:
    s = team_store
    s.save("card", "第一版", base_revision=None, user="alice")
    s.save("card", "爱丽丝的第二版", base_revision=1, user="alice")
    with pytest.raises(ConflictError) as err:
        s.save("card", "艾琳的第二版", base_revision=1, user="erin")
    message = str(err.value)
    assert "card" in message and "r1" in message and "alice" in message and "r3" in message
    assert err.value.copy.number == 3 and err.value.head.number == 2
    texts = {r.number: (r.kind, r.spoken_text, r.author) for r in s.revisions("card")}
    assert texts == {1: ("draft", "第一版", "alice"), 2: ("draft", "爱丽丝的第二版", "alice"),
                     3: ("conflict", "艾琳的第二版", "erin")}
    assert s.article("card").head_revision == 2
    assert s.revision("card").spoken_text == "爱丽丝的第二版"
    assert s.history("card")[-1].action == "conflict"
    # erin merges by saving on top of the head
    merged = s.save("card", "合并后的第二版", base_revision=2, user="erin")
    assert merged.number == 4 and s.article("card").head_revision == 4


def test_first_save_without_base_conflicts_when_someone_else_saved_first(team_store: Store) -> None:
    s = team_store
    s.save("card", "甲", base_revision=None, user="alice")
    with pytest.raises(ConflictError, match="空白稿"):
        s.save("card", "乙", base_revision=None, user="erin")


def test_states_that_refuse_an_action_say_why(team_store: Store) -> None:
    s = team_store
    with pytest.raises(StoreError, match="还没有口语稿"):
        s.submit("card", user="alice")
    s.save("card", SPOKEN, base_revision=None, user="alice")
    with pytest.raises(StoreError, match="不在审核中"):
        s.approve("card", user="bob")
    s.submit("card", user="alice")
    with pytest.raises(StoreError, match="审核中"):
        s.submit("card", user="alice")
    with pytest.raises(StoreError, match="写明意见"):
        s.request_changes("card", "  ", user="bob")
    with pytest.raises(StoreError, match="没有这篇文章"):
        s.save("nope", SPOKEN, base_revision=None, user="alice")
    with pytest.raises(StoreError, match="待审的是 r1"):
        s.approve("card", user="bob", revision=7)
    s.request_changes("card", "改短一点", user="bob")
    with pytest.raises(StoreError, match="先保存修改后的新修订"):
        s.submit("card", user="alice")  # the same text back unchanged is not an answer to the review


def test_saving_while_in_review_takes_it_back_to_draft(team_store: Store) -> None:
    s = team_store
    s.save("card", SPOKEN, base_revision=None, user="alice")
    s.submit("card", user="alice")
    s.save("card", SPOKEN + "好的。", base_revision=1, user="alice")
    assert s.article("card").state == "draft"
    assert s.history("card")[-1].detail["was"] == "in_review"


def test_reject_is_distinct_from_request_changes(team_store: Store) -> None:
    s = team_store
    s.save("card", SPOKEN, base_revision=None, user="alice")
    s.submit("card", user="alice")
    s.reject("card", "这篇不需要口语版", user="bob")
    assert s.article("card").state == "rejected"
    assert s.history("card")[-1].action == "reject"
    assert {d.id: d.status for d in s.answers()}["card"] == "none"


def test_rejecting_an_approved_answer_sent_back_for_review_stops_agents_hearing_it(team_store: Store) -> None:
    s = team_store
    s.save("card", SPOKEN, base_revision=None, user="alice")
    s.submit("card", user="alice")
    s.approve("card", user="bob")
    s.submit("card", user="alice")  # unchanged, after an agent said the number is wrong
    assert {d.id: d.status for d in s.answers()}["card"] == "approved"  # still heard meanwhile
    s.reject("card", "电话号码不对", user="bob")
    doc = {d.id: d for d in s.answers()}["card"]
    assert (doc.status, doc.spoken_text) == ("none", None)
    assert s.article("card").approved_revision is None
    assert s.history("card")[-1].detail["withdrawn"] == 1


def test_rejecting_a_new_revision_leaves_the_approved_one_heard(team_store: Store) -> None:
    s = team_store
    s.save("card", SPOKEN, base_revision=None, user="alice")
    s.submit("card", user="alice")
    s.approve("card", user="bob")
    s.save("card", SPOKEN + "再见。", base_revision=1, user="alice")
    s.submit("card", user="alice")
    s.reject("card", "不用加", user="bob")
    doc = {d.id: d for d in s.answers()}["card"]
    assert doc.spoken_text == SPOKEN and s.article("card").approved_revision == 1


def test_archived_answers_are_withdrawn_from_agents(team_store: Store) -> None:
    s = team_store
    s.archive("password", user="alice", comment="业务下线")
    assert [d.id for d in s.answers()] == ["card"]
    s.save("password", "重新启用", base_revision=None, user="alice")
    assert "password" in [d.id for d in s.answers()]


def test_failed_fact_check_blocks_approval_unless_overridden_with_a_reason(
        team_store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    s = team_store
    seen = []

    def fake(source: str, spoken: str) -> FactCheck:
        seen.append((source, spoken))
        return FactCheck(True, False, ("号码 95588 在口语稿中变成了 95566",))

    monkeypatch.setattr(store_mod, "fact_check", fake)
    s.save("card", SPOKEN.replace("95588", "95566"), base_revision=None, user="alice")
    s.submit("card", user="alice")
    with pytest.raises(StoreError, match=r"事实核对未通过.*95566"):
        s.approve("card", user="bob")
    assert seen and "95588" in seen[0][0] and "95566" in seen[0][1]
    with pytest.raises(StoreError, match="理由"):
        s.approve("card", user="bob", override_facts="  ")
    s.approve("card", user="bob", override_facts="新号码已启用，源文待更新")
    actions = s.history("card")[-2:]
    assert [e.action for e in actions] == ["override", "approve"]
    assert actions[0].detail["reason"] == "新号码已启用，源文待更新"
    assert actions[1].detail["facts"] == "overridden"


def test_the_real_fact_check_blocks_a_changed_phone_number(team_store: Store) -> None:
    s = team_store
    s.save("card", SPOKEN.replace("95588", "95566"), base_revision=None, user="alice")
    s.submit("card", user="alice")
    with pytest.raises(StoreError, match=r"事实核对未通过.*95588.*95566"):
        s.approve("card", user="bob")
    assert s.article("card").state == "in_review"
    s.save("card", SPOKEN, base_revision=1, user="alice")
    s.submit("card", user="alice")
    s.approve("card", user="bob")
    assert s.history("card")[-1].detail["facts"] == "ok"


def test_fact_checker_results_of_any_shape_are_understood() -> None:
    class Result:
        ok = False
        problems = ("金额不一致",)

    assert store_mod._as_fact_check(Result()) == FactCheck(True, False, ("金额不一致",))
    assert store_mod._as_fact_check([]) == FactCheck(True, True, ())
    assert store_mod._as_fact_check(["x"]).ok is False


def test_audit_log_cannot_be_edited_and_tampering_is_detected(team_store: Store) -> None:
    s = team_store
    s.save("card", SPOKEN, base_revision=None, user="alice")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        s.conn.execute("UPDATE audit SET user_name = 'eve'")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        s.conn.execute("DELETE FROM audit")
    with pytest.raises(sqlite3.DatabaseError, match="immutable"):
        s.conn.execute("UPDATE revisions SET spoken_text = 'x'")
    assert s.verify_history() == []
    # someone goes around the tool: the hash chain shows it
    s.conn.execute("DROP TRIGGER audit_no_update")
    s.conn.execute("UPDATE audit SET user_name = 'eve' WHERE action = 'save'")
    problems = s.verify_history()
    assert len(problems) == 1 and "audit #" in problems[0]


def test_review_by_date_follows_the_configured_interval_and_overdue_is_listed(tmp_path: Path) -> None:
    kb = make_kb(tmp_path)
    set_roles(kb, TEAM, extra="review_interval_days: 30\n")
    s = open_store(tmp_path, kb)
    s.sync()
    s.save("card", SPOKEN, base_revision=None, user="alice")
    s.submit("card", user="alice")
    s.approve("card", user="bob")
    due = dt.date.today() + dt.timedelta(days=30)
    assert s.article("card").review_by == due.isoformat()
    assert s.overdue() == []
    assert [a.id for a in s.overdue(today=due + dt.timedelta(days=1))] == ["card"]
    # an approved answer can go back to review unchanged, and agents keep it meanwhile
    s.submit("card", user="alice", comment="到期复核")
    assert {d.id: d.status for d in s.answers()}["card"] == "approved"
    s.approve("card", user="bob")


def test_agent_flag_lands_in_editor_queue_and_history(team_store: Store) -> None:
    s = team_store
    s.save("card", SPOKEN, base_revision=None, user="alice")
    s.submit("card", user="alice")
    s.approve("card", user="bob")
    flag_id = s.flag("card", "客户说热线号码已经换了", user="carl")
    queue = {a.id: reasons for a, reasons in s.editor_queue()}
    assert queue == {"card": ["flagged"]}
    assert s.article("card").open_flags == 1
    assert s.history("card")[-1].action == "flag" and s.history("card")[-1].user == "carl"
    with pytest.raises(PermissionDenied):
        s.resolve_flag(flag_id, "已核实", user="carl")
    s.resolve_flag(flag_id, "已核实，号码没变", user="alice")
    assert s.editor_queue() == [] and s.flags() == []
    with pytest.raises(StoreError, match="已由 alice 处理过"):
        s.resolve_flag(flag_id, "again", user="alice")


def test_decisions_blob_is_stored_as_given(team_store: Store) -> None:
    s = team_store
    blob = '{"findings": [{"rule": "official.yuyi", "decision": "accept"}]}'
    rev = s.save("card", SPOKEN, base_revision=None, user="alice", decisions=blob)
    assert s.revision("card", rev.number).decisions == blob
    with pytest.raises(StoreError, match="JSON"):
        s.save("card", SPOKEN, base_revision=1, user="alice", decisions="{not json")


def test_a_failing_write_is_one_clear_line_and_changes_nothing(team_store: Store) -> None:
    s = team_store
    s.conn.execute("PRAGMA query_only = 1")  # stands in for a read-only or full disk
    with pytest.raises(StoreError, match="数据库写入失败，没有保存任何改动") as err:
        s.save("card", SPOKEN, base_revision=None, user="alice")
    assert "\n" not in str(err.value)
    s.conn.execute("PRAGMA query_only = 0")
    assert s.revisions("card") == [] and not s.conn.in_transaction
    assert s.save("card", SPOKEN, base_revision=None, user="alice").number == 1
