"""The style-rules screen: browse the pack, try a sentence live."""

from __future__ import annotations

from textual.widgets import DataTable

from tests.tui_kit import SIZE, make_app, pilot_test, settle, type_fast


@pilot_test
async def test_rules_are_listed_and_filtered(tmp_path):
    app = make_app(tmp_path, mode="rules", store=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.screen.query_one(DataTable)
        assert table.row_count == len(app.pack.rules)
        await pilot.press("slash", *"予以")
        assert table.row_count == 1
        assert "official.yuyi" in str(app.screen.query_one("#rules-detail-text").render())


@pilot_test
async def test_a_tried_sentence_shows_its_findings_and_the_fixed_text(tmp_path):
    app = make_app(tmp_path, mode="rules", store=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("t", *"持卡人请前往网点进行挂失")
        await settle(pilot)
        shown = str(app.screen.query_one("#rules-result").render())
        assert "official.chikaren" in shown and "official.jinxing" in shown
        assert "您请前往网点挂失" in shown


@pilot_test
async def test_keys_typed_right_after_t_land_in_the_try_box_in_order(tmp_path):
    from textual.widgets import Input

    app = make_app(tmp_path, mode="rules", store=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        try_box = app.screen.query_one("#rules-try", Input)
        filter_box = app.screen.query_one("#rules-filter", Input)
        # `t` and `/` inside the sentence are text once the box has the focus, whatever the timing
        sentence = ["本", "行", "a", "t", "m", "slash", "9", "5", "t", "5"]
        for gap in range(4):
            try_box.value = ""
            await pilot.press("escape")
            await settle(pilot)
            await type_fast(pilot, ["t", *sentence], gap)
            await settle(pilot)
            assert try_box.value == "本行atm/95t5", f"{gap} turns between keys"
            assert filter_box.value == ""
        await pilot.press("escape")
        await type_fast(pilot, ["slash", *"予以"], 0)
        await settle(pilot)
        assert filter_box.value == "予以"
        assert try_box.value == "本行atm/95t5"


@pilot_test
async def test_the_rule_list_keeps_rows_on_a_small_terminal_while_a_long_result_shows(tmp_path):
    app = make_app(tmp_path, mode="rules", store=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("t", *("持卡人请前往网点进行挂失，" * 4))
        await settle(pilot)
        result = app.screen.query_one("#rules-result")
        assert str(result.render()).count("official.") >= 6  # a result that wants all its room
        table = app.screen.query_one(DataTable)
        assert table.size.height >= 4  # the header and at least three rules
        assert result.region.bottom <= SIZE[1] - 1  # nothing pushed under the footer
