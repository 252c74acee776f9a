"""The agent's searches reach the search log with no extra step (issue 9, point 5): the query
the agent settled on, the answer opened or copied, personal numbers masked, written off the UI
thread so a locked store never holds up a search."""

from __future__ import annotations

import sqlite3

from kbtool.tui.screens import agent
from tests.tui_kit import SIZE, approve_card_loss, make_app, pilot_test, settle


async def to_agent(pilot) -> None:
    await approve_card_loss(pilot)
    await pilot.press("escape", "f4")
    await settle(pilot)
    assert pilot.app.search_log is not None


def logged(app) -> list[dict]:
    app.search_log.wait()
    return app.query_log.searches()


@pilot_test
async def test_a_search_is_logged_masked_with_the_answer_opened_and_copied(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await to_agent(pilot)
        await pilot.press(*"卡丢了怎么办 我手机13812345678 卡号6222020200112233445")
        await settle(pilot)
        assert app.screen._results[0].id == "card-loss"
        await pilot.press("enter", "ctrl+y")  # Enter on shown results opens the highlighted one
        entries = logged(app)
        assert len(entries) == 1
        entry = entries[0]
        assert "13812345678" not in entry["query"] and "6222020200112233445" not in entry["query"]
        assert entry["query"].startswith("卡丢了怎么办")
        assert entry["shown"][0] == "card-loss"
        assert entry["source"] == "tui" and entry["user"] == "小王"
        assert sorted((o["id"], o["action"]) for o in entry["opened"]) == [("card-loss", "copy"), ("card-loss", "open")]


@pilot_test
async def test_typing_on_logs_the_settled_query_not_each_prefix(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await to_agent(pilot)
        await pilot.press(*"卡丢")
        await settle(pilot)  # results for 卡丢 are on screen
        await pilot.press(*"了怎么办")
        await settle(pilot)
        await pilot.press("ctrl+y")
        assert [e["query"] for e in logged(app)] == ["卡丢了怎么办"]


@pilot_test
async def test_an_answer_kept_on_screen_counts_as_opened(tmp_path, monkeypatch):
    monkeypatch.setattr(agent, "DWELL_SECONDS", 0.05)
    app = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await to_agent(pilot)
        await pilot.press(*"卡丢了怎么办")
        await settle(pilot)
        await pilot.pause(0.2)
        assert [o["id"] for o in logged(app)[0]["opened"]] == ["card-loss"]


@pilot_test
async def test_a_search_nothing_was_opened_from_is_written_on_leaving(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await to_agent(pilot)
        await pilot.press(*"信用卡积分怎么换")
        await settle(pilot)
        assert logged(app) == []  # held: the agent may still open something
        await pilot.press("f2")
        await settle(pilot)
        entries = logged(app)
        assert [(e["query"], e["opened"]) for e in entries] == [("信用卡积分怎么换", [])]


@pilot_test
async def test_quitting_writes_the_search_the_agent_was_on(tmp_path):
    from kbtool.services.querylog import QueryLog
    from kbtool.services.store import Store

    app = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await to_agent(pilot)
        await pilot.press(*"卡丢了怎么办")
        await settle(pilot)
    with Store.open(tmp_path / "kb.db", kb_dir=tmp_path / "kb") as store, QueryLog(store) as log:
        assert [e["query"] for e in log.searches()] == ["卡丢了怎么办"]


@pilot_test
async def test_a_locked_store_never_holds_up_search_or_copy(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await to_agent(pilot)
        await pilot.press(*"卡丢")
        await settle(pilot)  # the index takes in the approval now, before the lock
        other = sqlite3.connect(str(tmp_path / "kb.db"), isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
        try:
            await pilot.press(*"了怎么办")
            await settle(pilot)
            await pilot.press("ctrl+y")
            await settle(pilot)
            assert app.screen._results[0].id == "card-loss"
            assert app.clipboard.startswith("您可致电")
        finally:
            other.execute("ROLLBACK")
            other.close()
        assert [(e["query"], [o["action"] for o in e["opened"]]) for e in logged(app)] == [("卡丢了怎么办", ["copy"])]
