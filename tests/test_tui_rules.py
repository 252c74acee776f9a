"""The style-rules screen: browse the pack, try a sentence live."""

from __future__ import annotations

from textual.widgets import DataTable

from tests.tui_kit import SIZE, make_app, pilot_test, settle


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
async def test_keys_typed_right_after_t_land_in_the_try_box(tmp_path):
    from textual import events
    from textual.widgets import Input

    app = make_app(tmp_path, mode="rules", store=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        # all at once, as a fast typist's keys arrive: nothing may wait for the focus change
        def type_fast(*keys: str) -> None:
            for key in keys:
                event = events.Key(key, key)
                event.set_sender(app)
                app._driver.send_message(event)  # what pilot.press does, minus its wait after each key

        type_fast("t", *"本行")
        await settle(pilot)
        assert app.screen.query_one("#rules-try", Input).value == "本行"
        await pilot.press("escape")
        type_fast("slash", *"予以")
        await settle(pilot)
        assert app.screen.query_one("#rules-filter", Input).value == "予以"
        assert app.screen.query_one("#rules-try", Input).value == "本行"
