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
