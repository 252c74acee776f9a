"""The search log: masking before writing, retention, suggestions, dismissals, accepting as a draft."""

from __future__ import annotations

import datetime as dt
import json
import re
import sqlite3
from pathlib import Path

import pytest
from store_kit import TEAM, article, make_kb, set_roles

from kbtool.cli import main
from kbtool.services.querylog import SCHEMA_VERSION, QueryLog, QueryLogError
from kbtool.services.store import PermissionDenied, Store, StoreError

ATM = article("atm", "客户在自助设备被吞卡的，应于三个工作日内凭身份证件至网点领取。", title="自助设备吞卡处理",
              extra="questions:\n  - 取款机把我卡吞了\n  - ATM吞卡了怎么拿回来\n")
LOST = article("lost", "借记卡遗失的，应及时致电95588办理口头挂失。", title="借记卡挂失",
               extra="questions:\n  - 银行卡丢了怎么办\n  - 卡丢了怎么挂失\n")
SMS = article("sms", "动账短信提醒服务可在手机银行开通。", title="短信通知",
              extra="questions:\n  - 怎么开通短信提醒\n  - 收不到动账短信\n")
FILES = {"atm.md": ATM, "lost.md": LOST, "sms.md": SMS}


@pytest.fixture
def kb(tmp_path: Path) -> Path:
    return make_kb(tmp_path, FILES)


@pytest.fixture
def store(tmp_path: Path, kb: Path):
    s = Store.open(tmp_path / "store.db", kb_dir=kb)
    s.sync(user="alice")
    yield s
    s.close()


@pytest.fixture
def log(store: Store):
    with QueryLog(store, masking=(re.compile(r"[京沪][A-Z][A-Z0-9]{5}"),)) as q:
        yield q


def all_text(db: Path) -> str:
    """Every value of every table, and the raw bytes of the database and its WAL."""
    conn = sqlite3.connect(str(db))
    chunks = []
    for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'"):
        for row in conn.execute(f'SELECT * FROM "{name}"'):
            chunks.append(" ".join(str(v) for v in row))
    conn.close()
    raw = b""
    for suffix in ("", "-wal"):
        p = Path(str(db) + suffix)
        if p.exists():
            raw += p.read_bytes()
    return "\n".join(chunks) + raw.decode("utf-8", "ignore")


# -- masking ----------------------------------------------------------------------------------

SECRETS = {
    "card": ("我卡号6222021234567890123被吞了", "6222021234567890123"),
    "card_spaced": ("卡号 6222 0212 3456 7890 被吞了", "6222 0212 3456 7890"),
    "card_full_width": ("卡号６２２２０２１２３４５６７８９０被吞了", "６２２２０２１２３４５６７８９０"),
    "phone_dashed": ("手机138-0013-8000收不到短信", "138-0013-8000"),
    "id_number": ("身份证11010519491231002X丢了", "11010519491231002X"),
    "pack_pattern": ("车牌沪A12B34的ETC扣费", "沪A12B34"),
}


@pytest.mark.parametrize("name", sorted(SECRETS))
def test_personal_data_never_reaches_the_database(tmp_path, log, name):
    query, secret = SECRETS[name]
    search_id = log.log_search(query, ["atm"], user="carl")
    log.opened(search_id, "atm", user="carl")
    log.suggestions()  # suggestions are persisted too: they must not leak either
    assert log.searches()[0]["query"] != query
    text = all_text(tmp_path / "store.db")
    assert secret not in text
    assert secret.replace(" ", "").replace("-", "") not in text
    assert "***" in log.searches()[0]["query"]


def test_a_search_is_logged_with_ids_shown_user_time_and_what_was_opened(log):
    sid = log.log_search("卡被吞了", ["atm", "lost"], user="carl", source="tui")
    log.opened(sid, "atm", user="carl")
    log.opened(sid, "lost", action="copy", user="carl")
    row = log.searches()[0]
    assert (row["query"], row["shown"], row["user"], row["source"]) == ("卡被吞了", ["atm", "lost"], "carl", "tui")
    assert sorted((o["id"], o["action"]) for o in row["opened"]) == [("atm", "open"), ("lost", "copy")]
    assert dt.datetime.fromisoformat(row["at"]).tzinfo is not None


def test_opened_names_unknown_search_or_answer(log):
    sid = log.log_search("卡被吞了", ["atm"], user="carl")
    with pytest.raises(QueryLogError, match="没有这条查询"):
        log.opened(sid + 100, "atm")
    with pytest.raises(StoreError, match="没有这篇文章"):
        log.opened(sid, "no-such-article")


def test_logging_can_be_switched_off(kb, log):
    set_roles(kb, {}, extra="search_log: {enabled: false}\n")
    assert log.log_search("卡被吞了", ["atm"]) is None
    assert log.count() == 0


# -- retention --------------------------------------------------------------------------------

def _ago(days: float) -> str:
    return (dt.datetime.now(dt.UTC) - dt.timedelta(days=days)).isoformat()


def test_entries_past_the_default_90_days_are_purged(log):
    old = log.log_search("卡被吞了", ["atm"], opened="atm", at=_ago(91))
    recent = log.log_search("卡丢了", ["lost"], opened="lost", at=_ago(89))
    assert log.purge() == 1
    assert [r["id"] for r in log.searches()] == [recent]
    assert old not in [r["id"] for r in log.searches()]
    assert log.conn.execute("SELECT COUNT(*) FROM querylog_opens WHERE search_id = ?", (old,)).fetchone()[0] == 0


def test_suggestions_listed_before_the_retention_period_are_purged_too(log):
    log.log_search("卡被吞了", ["atm"], opened="atm", at=_ago(100))
    assert log.suggestions().suggestions
    log.conn.execute("UPDATE querylog_suggestions SET listed_at = ?", (_ago(100),))
    assert log.purge() == 1
    assert log.conn.execute("SELECT COUNT(*) FROM querylog_suggestions").fetchone()[0] == 0


def test_retention_is_configurable_and_purged_on_sync(kb, store, log):
    log.log_search("卡被吞了", ["atm"], at=_ago(10))
    log.log_search("卡丢了", ["lost"], at=_ago(3))
    set_roles(kb, {}, extra="search_log:\n  retention_days: 7\n")
    (kb / "new.md").write_text(article("new", "新文章。"), encoding="utf-8")
    store.sync()
    assert [r["query"] for r in log.searches()] == ["卡丢了"]


@pytest.mark.parametrize("bad", ["search_log: {retention_days: 0}", "search_log: {retention_days: 三十}",
                                 "search_log: {keep: 3}", "search_log: 90"])
def test_bad_retention_setting_is_one_clear_line_and_sync_still_purges(kb, store, log, bad):
    log.log_search("卡被吞了", ["atm"], at=_ago(100))
    set_roles(kb, {}, extra=bad + "\n")
    with pytest.raises(QueryLogError, match="search_log"):
        log.settings()
    (kb / "new.md").write_text(article("new", "新文章。"), encoding="utf-8")
    store.sync()  # falls back to the default 90 days rather than keep entries for ever
    assert log.count() == 0


# -- suggestions ------------------------------------------------------------------------------

def searches(log: QueryLog, pairs: list[tuple[str, str | None]], user: str = "carl") -> None:
    for query, opened in pairs:
        log.log_search(query, ["atm", "lost", "sms"], opened=opened, user=user)


def test_queries_that_opened_an_answer_without_matching_its_questions_become_one_suggestion(log):
    searches(log, [("卡被吞了", "atm"), ("卡被吞了怎么办", "atm"), ("卡被吞了咋办", "atm"),
                   ("取款机把我卡吞了", "atm"),            # already a question of atm: not suggested
                   ("卡丢了怎么挂失呢", "lost")])          # a listed question plus filler: not suggested
    report = log.suggestions()
    assert [(s.article_id, s.question, s.searches) for s in report.suggestions] == [("atm", "卡被吞了", 3)]
    assert report.gaps == []


def test_suggestions_rank_by_count_and_list_gaps(log):
    searches(log, [("短信收不到了", "sms")] * 2 + [("卡被吞了", "atm")] * 4 + [("怎么开发票", None)] * 3
             + [("怎么开发票呢", None)])
    report = log.suggestions()
    assert [(s.question, s.searches) for s in report.suggestions] == [("卡被吞了", 4), ("短信收不到了", 2)]
    assert [(g.question, g.searches) for g in report.gaps] == [("怎么开发票", 4)]
    assert report.searches == 10
    data = report.to_dict()
    assert data["gaps"][0]["kind"] == "gap" and data["suggestions"][0]["title"] == "自助设备吞卡处理"


def test_dismissed_suggestions_do_not_come_back_even_reworded(store, log):
    searches(log, [("卡被吞了", "atm")] * 2)
    item = log.suggestions().suggestions[0]
    log.dismiss(item.id, user="alice")
    searches(log, [("卡被吞了", "atm"), ("卡被吞了呀怎么办", "atm"), ("我的卡被吞了", "atm")])
    assert log.suggestions().suggestions == []
    # persisted: a new log object on a new store connection sees it too
    with Store.open(store.db_path, kb_dir=store.kb_dir) as again, QueryLog(again) as fresh:
        assert fresh.suggestions().suggestions == []
    with pytest.raises(QueryLogError, match="已处理过"):
        log.dismiss(item.id, user="alice")


def test_dismissing_one_answer_leaves_other_suggestions(log):
    searches(log, [("卡被吞了", "atm"), ("短信收不到了", "sms")])
    target = next(s for s in log.suggestions().suggestions if s.article_id == "atm")
    log.dismiss(target.id, user="alice")
    assert [s.article_id for s in log.suggestions().suggestions] == ["sms"]


def test_gaps_can_be_dismissed(log):
    searches(log, [("怎么开发票", None)])
    gap = log.suggestions().gaps[0]
    log.dismiss(gap.id, user="alice")
    assert log.suggestions().gaps == []


def test_agents_cannot_decide_on_suggestions(kb, log):
    searches(log, [("卡被吞了", "atm")])
    item = log.suggestions().suggestions[0]
    set_roles(kb, TEAM)
    with pytest.raises(PermissionDenied, match="carl"):
        log.dismiss(item.id, user="carl")
    with pytest.raises(PermissionDenied, match="carl"):
        log.accept(item.id, user="carl")


# -- accepting --------------------------------------------------------------------------------

def test_accepting_makes_a_draft_that_reaches_search_only_when_approved(kb, store, log):
    set_roles(kb, TEAM)
    store.save("atm", "卡被吞了别着急，三个工作日内带身份证去网点领。", base_revision=None, user="erin")
    searches(log, [("卡被吞了", "atm")] * 3)
    item = log.suggestions().suggestions[0]
    done = log.accept(item.id, user="erin")
    assert (done.question, done.revision, done.started_from_source) == ("卡被吞了", 2, False)
    rev = store.revision("atm")
    assert rev.number == 2 and rev.base == 1 and rev.author == "erin"
    assert rev.spoken_text == "卡被吞了别着急，三个工作日内带身份证去网点领。"  # only the questions change
    changes = log.question_changes("atm")
    assert changes.added == ("卡被吞了",) and changes.removed == ()
    assert log.learned_questions() == {}                    # not yet approved
    assert log.suggestions().suggestions == []              # accepted: not suggested again
    store.submit("atm", user="erin")
    with pytest.raises(PermissionDenied):
        store.approve("atm", user="erin")                   # four eyes, as for any edit
    store.approve("atm", user="bob")
    assert log.learned_questions() == {"atm": ("卡被吞了",)}
    # a later text-only draft keeps the question
    store.save("atm", "卡被吞了别急。", base_revision=2, user="erin")
    assert log.revision_questions("atm", 3) == ("卡被吞了",)
    assert [e.action for e in store.history("atm")][-4:] == ["save", "submit", "approve", "save"]


def test_accepting_without_a_spoken_draft_starts_one_from_the_source(store, log):
    searches(log, [("短信收不到了", "sms")])
    done = log.accept(log.suggestions().suggestions[0].id, user="alice")
    assert done.started_from_source
    assert store.revision("sms").spoken_text == store.article("sms").source_text


def test_accept_with_an_edited_wording(log):
    searches(log, [("卡被吞了呀", "atm")])
    done = log.accept(log.suggestions().suggestions[0].id, user="alice", question="卡被吞了怎么领回来")
    assert log.revision_questions("atm", done.revision) == ("卡被吞了怎么领回来",)


def test_accept_refuses_masked_wordings_and_questions_of_another_answer(log):
    searches(log, [("卡号6222021234567890123被吞了", "atm"), ("银行卡丢了怎么办？", "atm")])
    items = {s.question: s for s in log.suggestions().suggestions}
    masked = next(s for q, s in items.items() if "***" in q)
    with pytest.raises(QueryLogError, match="个人信息"):
        log.accept(masked.id, user="alice")
    with pytest.raises(QueryLogError, match="lost"):
        log.accept(items["银行卡丢了怎么办？"].id, user="alice")


def test_a_gap_needs_an_article_to_be_accepted(log):
    searches(log, [("卡被机器吃了咋整", None)] * 2)
    gap = log.suggestions().gaps[0]
    with pytest.raises(QueryLogError, match="缺口"):
        log.accept(gap.id, user="alice")
    done = log.accept_for(gap.id, "atm", user="alice")
    assert log.revision_questions("atm", done.revision) == ("卡被机器吃了咋整",)
    assert log.suggestions().gaps == []


def test_unknown_suggestion_id_is_one_line(log):
    with pytest.raises(QueryLogError, match="没有这条建议"):
        log.accept("s00000000", user="alice")


# -- schema -----------------------------------------------------------------------------------

def test_log_schema_has_its_own_version_and_refuses_a_newer_one(store, log):
    assert log.schema_version() == SCHEMA_VERSION
    log.conn.execute("UPDATE querylog_meta SET value = '99' WHERE key = 'schema_version'")
    with pytest.raises(QueryLogError, match="99"):
        QueryLog(store)


# -- command line -----------------------------------------------------------------------------

def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_search_log_suggest_accept_dismiss(tmp_path, kb, capsys, monkeypatch):
    db = str(tmp_path / "cli.db")
    common = ["--kb", str(kb), "--db", db]
    with Store.open(Path(db), kb_dir=kb) as s:
        s.sync()
        with QueryLog(s) as q:
            first = q.log_search("卡被吞了", ["atm"], user="carl")
            q.log_search("卡被吞了咋办", ["atm"], opened="atm", user="carl")
            q.log_search("短信收不到了", ["sms"], opened="sms", user="carl")
    code, _, err = run(capsys, "opened", str(first), "atm", *common, "--user", "carl")
    assert code == 0 and "atm" in err
    code, _, err = run(capsys, "opened", "9999", "atm", *common)
    assert code == 2 and "9999" in err and "Traceback" not in err
    code, out, _ = run(capsys, "questions", "suggest", "--format", "json", *common)
    data = json.loads(out)
    assert [(s["question"], s["count"]) for s in data["suggestions"]] == [("卡被吞了", 2), ("短信收不到了", 1)]
    code, _, err = run(capsys, "questions", "accept", data["suggestions"][0]["id"], *common, "--user", "alice")
    assert code == 0 and "r1" in err
    code, _, err = run(capsys, "questions", "dismiss", data["suggestions"][1]["id"], *common, "--user", "alice")
    assert code == 0
    code, out, _ = run(capsys, "questions", "suggest", "--format", "json", *common)
    assert json.loads(out)["suggestions"] == []
    code, out, _ = run(capsys, "questions", "changes", "atm", "--format", "json", *common)
    assert json.loads(out)["added"] == ["卡被吞了"]


def test_a_suggestion_with_a_masked_number_says_how_to_accept_it(tmp_path, kb, capsys):
    db = str(tmp_path / "cli.db")
    with Store.open(Path(db), kb_dir=kb) as s:
        s.sync()
        with QueryLog(s) as q:
            q.log_search("卡号6222021234567890123被吞了", ["atm"], opened="atm", user="carl")
            q.log_search("短信收不到了", ["sms"], opened="sms", user="carl")
    code, out, _ = run(capsys, "questions", "suggest", "--kb", str(kb), "--db", db)
    assert code == 0
    lines = [line for line in out.splitlines() if "→" in line]
    assert [("--as" in line, "***" in line) for line in lines] == [(True, True), (False, False)]
    assert "6222" not in out


def test_cli_dupes_lists_both_ids_with_lines(tmp_path, capsys):
    kb = make_kb(tmp_path, {"a.md": ATM, "b.md": article("b", "正文。", extra="questions:\n  - 其他\n  - 取款机把我卡吞了！\n")})
    code, out, _ = run(capsys, "questions", "dupes", "--kb", str(kb), "--db", str(tmp_path / "none.db"))
    assert code == 1
    assert f"{kb / 'a.md'}:7" in out and f"{kb / 'b.md'}:8" in out
    code, out, _ = run(capsys, "questions", "dupes", "--kb", str(kb), "--format", "json", "--db", str(tmp_path / "none.db"))
    data = json.loads(out)
    assert data["duplicates"][0]["ids"] == ["atm", "b"]


def test_cli_search_logs_masked_query_and_opened_answer(tmp_path, kb, capsys):
    common = ["--kb", str(kb), "--db", str(tmp_path / "s.db")]
    code, out, err = run(capsys, "search", "卡号6222021234567890123被机器吃了", "--format", "json", *common,
                         "--user", "carl", "--opened", "atm")
    assert code == 0 and isinstance(json.loads(out), list)
    assert "已记录" in err
    code, out, err = run(capsys, "search", "卡被吞了咋办", *common, "--user", "dana")
    assert code == 0
    search_id = int(err.split("查询编号 ")[1].split("（")[0])
    code, _, err = run(capsys, "opened", str(search_id), "atm", *common, "--user", "dana")
    assert code == 0
    with Store.open(tmp_path / "s.db", kb_dir=kb) as s, QueryLog(s) as q:
        rows = q.searches()
    assert [(r["query"], r["user"], [o["id"] for o in r["opened"]]) for r in rows] == [
        ("卡被吞了咋办", "dana", ["atm"]), ("卡号***被机器吃了", "carl", ["atm"])]
    assert "6222" not in all_text(tmp_path / "s.db")
    code, _, err = run(capsys, "search", "卡", *common, "--opened", "nope")
    assert code == 2 and "nope" in err and "Traceback" not in err


def test_search_ranks_by_an_approved_learned_question_and_says_so(tmp_path, kb, capsys):
    common = ["--kb", str(kb), "--db", str(tmp_path / "s.db")]
    query = "机器把卡叼走了"
    for _ in range(2):
        run(capsys, "search", query, *common, "--user", "carl", "--opened", "atm")
    _, out, _ = run(capsys, "questions", "suggest", "--format", "json", *common)
    item = json.loads(out)["suggestions"][0]
    assert (item["article_id"], item["question"], item["count"]) == ("atm", query, 2)
    run(capsys, "questions", "accept", item["id"], *common, "--user", "alice")
    with Store.open(tmp_path / "s.db", kb_dir=kb) as s:
        s.submit("atm", user="alice")
        s.approve("atm", user="bob", override_facts="只加了问法")
    _, out, _ = run(capsys, "search", "机器把我的卡叼走了", "--format", "json", *common, "--user", "carl")
    top = json.loads(out)[0]
    assert top["id"] == "atm"
    assert {"kind": "question", "matched": query} in [{k: w[k] for k in ("kind", "matched")} for w in top["why"]]


# -- the TUI's as-you-type search box ---------------------------------------------------------------

def test_as_you_type_search_logs_only_the_settled_query(log):
    from kbtool.services.querylog import AgentSearchLog

    box = AgentSearchLog(log, user="carl")
    for typed in ["卡", "卡被", "卡被吞", "卡被吞了"]:
        box.searched(typed, ["atm", "lost"])
    assert log.count() == 0                       # nothing written while typing
    first = box.opened("atm")
    box.opened("atm", action="copy")              # a copy of the same result: same search
    box.searched("短信收不到", ["sms"])           # a new question, never opened ...
    box.searched("怎么开发票", [])                # ... is written as the next one starts
    box.flush()                                   # screen left: the last one is written too
    rows = {r["query"]: r for r in log.searches()}
    assert set(rows) == {"卡被吞了", "短信收不到", "怎么开发票"}
    assert rows["卡被吞了"]["id"] == first
    assert sorted(o["action"] for o in rows["卡被吞了"]["opened"]) == ["copy", "open"]
    assert rows["短信收不到"]["opened"] == [] and rows["怎么开发票"]["source"] == "tui"
    assert box.error is None


def test_suggestions_for_one_answer(log):
    searches(log, [("卡被吞了", "atm"), ("短信收不到了", "sms")])
    assert [s.question for s in log.suggestions_for("sms")] == ["短信收不到了"]


def test_reviewer_sees_the_question_change_in_review_show(tmp_path, kb, capsys):
    common = ["--kb", str(kb), "--db", str(tmp_path / "s.db")]
    run(capsys, "search", "短信收不到了", *common, "--user", "carl", "--opened", "sms")
    _, out, _ = run(capsys, "questions", "suggest", "--format", "json", *common)
    run(capsys, "questions", "accept", json.loads(out)["suggestions"][0]["id"], *common, "--user", "alice")
    with Store.open(tmp_path / "s.db", kb_dir=kb) as s:
        s.submit("sms", user="alice")
    code, out, _ = run(capsys, "review", "show", "sms", "--format", "json", *common, "--user", "bob")
    assert code == 0 and json.loads(out)["questions"]["added"] == ["短信收不到了"]
    code, out, _ = run(capsys, "review", "show", "sms", *common, "--user", "bob", "--color", "never")
    assert code == 0 and "{+短信收不到了+}" in out
