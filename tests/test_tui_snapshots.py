"""Snapshots of the main screens at a fixed size (update with: pytest --snapshot-update).

Nothing on these screens depends on the clock, the host, the OS user or the version: the user
is fixed, the knowledge base is the small one in tests/data/tui, history times are not shown,
notifications are cleared and cursors do not blink.
"""

from __future__ import annotations

from textual.pilot import Pilot

from tests.tui_kit import SIZE, make_app, settle


async def steady(pilot: Pilot) -> None:
    await settle(pilot)
    app = pilot.app
    app.clear_notifications()
    for widget in app.screen.query("Input, TextArea"):
        widget.cursor_blink = False  # type: ignore[attr-defined]
    await pilot.pause()


async def submitted(pilot: Pilot) -> None:
    """card-loss with its first suggestion accepted, saved and submitted by 小王."""
    app = pilot.app
    await settle(pilot)
    app.screen.open_article("card-loss")
    await settle(pilot)
    await pilot.press("a", "ctrl+t")
    await settle(pilot)


def test_article_list(snap_compare, tmp_path):
    assert snap_compare(make_app(tmp_path), terminal_size=SIZE, run_before=steady)


def test_article_list_wide(snap_compare, tmp_path):
    assert snap_compare(make_app(tmp_path), terminal_size=(160, 50), run_before=steady)


def test_article_editor_after_accepting_a_suggestion(snap_compare, tmp_path):
    async def run_before(pilot: Pilot) -> None:
        await settle(pilot)
        pilot.app.screen.open_article("card-loss")
        await settle(pilot)
        await pilot.press("a")
        await steady(pilot)

    assert snap_compare(make_app(tmp_path), terminal_size=SIZE, run_before=run_before)


def test_review_queue(snap_compare, tmp_path):
    async def run_before(pilot: Pilot) -> None:
        await submitted(pilot)
        pilot.app.user = "小李"
        await pilot.press("escape", "f3")
        await steady(pilot)

    assert snap_compare(make_app(tmp_path), terminal_size=SIZE, run_before=run_before)


def test_agent_search_shows_the_approved_answer(snap_compare, tmp_path):
    async def run_before(pilot: Pilot) -> None:
        await submitted(pilot)
        pilot.app.store.approve("card-loss", user="小李")
        await pilot.press("escape", "f4")
        await settle(pilot)
        await pilot.press(*"卡丢了怎么办")
        await steady(pilot)

    assert snap_compare(make_app(tmp_path), terminal_size=SIZE, run_before=run_before)


def test_rules_with_a_tried_sentence(snap_compare, tmp_path):
    async def run_before(pilot: Pilot) -> None:
        await settle(pilot)
        await pilot.press("t", *"持卡人请前往网点进行挂失")
        await steady(pilot)

    assert snap_compare(make_app(tmp_path, mode="rules"), terminal_size=SIZE, run_before=run_before)


def test_help(snap_compare, tmp_path):
    async def run_before(pilot: Pilot) -> None:
        await settle(pilot)
        await pilot.press("f1")
        await steady(pilot)

    assert snap_compare(make_app(tmp_path), terminal_size=SIZE, run_before=run_before)


def test_editor_questions_with_a_suggestion(snap_compare, tmp_path):
    async def run_before(pilot: Pilot) -> None:
        await settle(pilot)
        for query in ("取款机把卡吞了", "取款机把卡吞了", "取款机把卡吞了怎么办"):
            pilot.app.query_log.log_search(query, ["card-loss"], opened="card-loss", user="坐席甲", source="tui")
        pilot.app.screen.open_article("card-loss")
        await settle(pilot)
        await pilot.press("q")
        await steady(pilot)

    assert snap_compare(make_app(tmp_path), terminal_size=SIZE, run_before=run_before)
