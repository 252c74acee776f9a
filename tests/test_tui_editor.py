"""The editor's path on the core alone: list, open, move between findings, decide, write."""

from __future__ import annotations

from textual.widgets import OptionList

from kbtool.tui.screens.article import ArticleScreen
from kbtool.tui.screens.editor import ArticleListScreen
from kbtool.tui.widgets.rowlist import RowList
from tests.tui_kit import SIZE, make_app, pilot_test, settle, type_fast


async def open_card_loss(pilot):
    screen = pilot.app.screen
    assert isinstance(screen, ArticleListScreen)
    screen.open_article("card-loss")
    await settle(pilot)
    assert isinstance(pilot.app.screen, ArticleScreen)
    return pilot.app.screen


@pilot_test
async def test_the_list_puts_the_least_ready_article_first(tmp_path):
    app = make_app(tmp_path, store=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.screen.query_one(RowList)
        assert table.row_count == 3
        readiness = [app.summaries[key].readiness for key in table.keys]
        assert readiness == sorted(readiness)
        await pilot.press("k")  # kind: articles only
        assert table.row_count == 2
        await pilot.press("k")  # announcements only
        assert table.row_count == 1
        await pilot.press("slash", *"套餐")
        assert table.row_count == 0
        assert "没有符合" in str(app.screen.query_one("#list-empty").render())


@pilot_test
async def test_accepting_a_suggestion_rewrites_the_draft_and_moves_on(tmp_path):
    app = make_app(tmp_path, store=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await open_card_loss(pilot)
        draft = screen.query_one("#draft")
        assert [it.text for it in screen.items] == ["持卡人", "予以", "方可"]
        await pilot.press("a")
        assert draft.text.startswith("您可致电95588")
        assert screen.query_one(OptionList).highlighted == 1  # moved on to 予以
        await pilot.press("2")  # second alternative: 帮您
        assert "系统自动帮您解除" in draft.text
        options = screen.query_one(OptionList)
        assert "「予以」 → 帮您" in str(options.get_option_at_index(1).prompt)  # the row says what was taken
        await pilot.press("x")  # 方可: keep it
        assert "方可补卡" in draft.text
        assert {d.action for d in screen.draft.decisions.values()} == {"accept", "reject"}
        assert len(screen.draft.decisions) == 3
        await settle(pilot)
        assert screen._draft_check is not None
        assert [f.text for f in screen._draft_check.findings] == ["方可"]
        assert "未保存" in str(screen.query_one("#article-bar").render())


@pilot_test
async def test_free_edits_in_the_draft_survive_a_later_accept(tmp_path):
    app = make_app(tmp_path, store=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await open_card_loss(pilot)
        draft = screen.query_one("#draft")
        await pilot.press("d")
        assert draft.has_focus
        draft.move_cursor((0, 0))
        await pilot.press(*"您好")
        await pilot.press("escape")  # back to the findings
        assert screen.query_one(OptionList).has_focus
        await pilot.press("a")
        assert draft.text.startswith("您好您可致电")


@pilot_test
async def test_undo_puts_the_original_words_back(tmp_path):
    app = make_app(tmp_path, store=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await open_card_loss(pilot)
        draft = screen.query_one("#draft")
        before = draft.text
        await pilot.press("a", "p", "u")
        assert draft.text == before
        assert screen.draft.decisions == {}


@pilot_test
async def test_an_edited_replacement_comes_from_the_dialog(tmp_path):
    app = make_app(tmp_path, store=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await open_card_loss(pilot)
        await pilot.press("e")
        await pilot.pause()
        dialog_input = app.screen.query_one("#dialog-input")
        dialog_input.value = "您本人"
        await pilot.press("enter")
        await pilot.pause()
        assert screen.query_one("#draft").text.startswith("您本人可致电")
        assert screen.draft.decisions[screen.items[0].key].action == "edit"


@pilot_test
async def test_keys_typed_right_after_slash_filter_the_list_and_do_not_run_its_keys(tmp_path):
    from textual.widgets import Input

    app = make_app(tmp_path, store=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        for gap in range(3):
            screen.query_one("#list-filter", Input).value = ""
            await pilot.press("escape")
            await type_fast(pilot, ["slash", *"sk挂失"], gap)  # s and k are the list's status and kind keys
            await settle(pilot)
            assert screen.query_one("#list-filter", Input).value == "sk挂失", f"{gap} turns between keys"
            assert (screen.kind, screen.status) == ("", "")


@pilot_test
async def test_keys_typed_right_after_d_go_into_the_draft_not_to_the_findings(tmp_path):
    app = make_app(tmp_path, store=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await open_card_loss(pilot)
        for gap in range(3):
            screen.set_focus(screen.query_one(OptionList))
            await type_fast(pilot, ["d", *"an好x"], gap)  # a accepts and x rejects on the findings
            await settle(pilot)
            assert screen.query_one("#draft").text.count("an好x") == gap + 1, f"{gap} turns between keys"
            assert screen.draft.decisions == {}


@pilot_test
async def test_keys_typed_right_after_e_land_in_the_rewrite_dialog(tmp_path):
    from kbtool.tui.screens.dialogs import TextPrompt

    app = make_app(tmp_path, store=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await open_card_loss(pilot)
        for gap in range(3):
            await type_fast(pilot, ["e", *"您本人"], gap)  # the suggestion is selected: typing replaces it
            await settle(pilot)
            assert isinstance(app.screen, TextPrompt)
            assert app.screen.query_one("#dialog-input").value == "您本人", f"{gap} turns between keys"
            await pilot.press("escape")
        assert screen.draft.decisions == {}


@pilot_test
async def test_leaving_with_unsaved_changes_asks_first(tmp_path):
    app = make_app(tmp_path, store=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_card_loss(pilot)
        await pilot.press("a", "escape")
        assert isinstance(app.screen, ArticleScreen)  # warned, still here
        await pilot.press("escape")
        assert isinstance(app.screen, ArticleListScreen)


@pilot_test
async def test_an_unknown_article_is_a_message_not_a_crash(tmp_path):
    app = make_app(tmp_path, store=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.screen.open_article("no-such-id")
        await pilot.pause()
        assert isinstance(app.screen, ArticleListScreen)
        assert any("no-such-id" in n.message for n in app._notifications)


@pilot_test
async def test_a_title_cut_by_the_lists_scrollbar_ends_in_an_ellipsis(tmp_path):
    app = make_app(tmp_path, store=False)
    async with app.run_test(size=(44, 8)) as pilot:  # three articles, two rows on screen: a scrollbar
        await settle(pilot)
        table = app.screen.query_one(RowList)
        assert table.show_vertical_scrollbar
        visible = table.scrollable_content_region.width  # the scrollbar covers the rest
        line = table.render_line(1)
        assert line.cell_length == visible
        assert line.crop(0, visible).text.rstrip().endswith("…")  # the title was cut where it can be seen


def test_the_list_filter_and_categories_read_traditional_and_simplified_alike():
    from kbtool.tui.screens.editor import Row, select_rows

    def row(i, title, category):
        return Row(id=i, title=title, kind="article", category=category, status="none",
                   readiness=1, findings=1, worst=None, tags=())

    rows = [row("a", "借记卡挂失", "转账汇款"), row("b", "信用卡遺失報失", "轉賬匯款"), row("c", "漫游", "国际漫游")]
    assert sorted(r.id for r in select_rows(rows, "", "", "转账汇款", "", "readiness")) == ["a", "b"]
    assert [r.id for r in select_rows(rows, "报失", "", "", "", "readiness")] == ["b"]
    assert [r.id for r in select_rows(rows, "掛失", "", "", "", "readiness")] == ["a"]
