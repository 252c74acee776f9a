"""Questions in the editor (issue 9, point 5): the answer's 标准问 and 相似问, the wordings the
search log suggests with their counts, accepted (a normal draft, reviewed) or dismissed from the
keyboard; the reviewer sees the added question; once approved, search finds the answer by it."""

from __future__ import annotations

from kbtool.tui.screens.agent import AgentScreen
from kbtool.tui.screens.review import ReviewDetailScreen
from kbtool.tui.widgets.questions import QuestionList
from tests.tui_kit import SIZE, make_app, pilot_test, settle

CALLERS = ["取款机把卡吞了", "取款机把卡吞了", "取款机把卡吞了怎么办"]


def messages(app) -> list[str]:
    return [n.message for n in app._notifications]


async def open_card_loss_with_suggestion(pilot) -> None:
    """Agents searched 取款机把卡吞了 three times and opened card-loss; the editor opens it."""
    app = pilot.app
    await settle(pilot)
    for query in CALLERS:
        app.query_log.log_search(query, ["card-loss"], opened="card-loss", user="坐席甲", source="tui")
    app.screen.open_article("card-loss")
    await settle(pilot)


@pilot_test
async def test_the_editor_shows_the_questions_and_the_suggestions_with_their_counts(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_card_loss_with_suggestion(pilot)
        view = app.screen.questions
        assert (view.standard, view.similar) == ("银行卡丢了怎么办", ("卡丢了怎么挂失",))
        [suggestion] = view.suggestions
        assert (suggestion.question, suggestion.searches) == ("取款机把卡吞了", 3)
        assert "建议 1" in str(app.screen.query_one("#article-bar").render())
        await pilot.press("q")
        panel = app.screen.query_one(QuestionList)
        assert panel.has_focus
        rows = [str(panel.get_option_at_index(i).prompt) for i in range(panel.option_count)]
        assert rows[0].startswith("标准问 银行卡丢了怎么办")
        assert any("取款机把卡吞了 ×3" in r for r in rows)


@pilot_test
async def test_an_accepted_question_is_reviewed_and_then_found_by_search(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_card_loss_with_suggestion(pilot)
        editor = app.screen
        await pilot.press("a")  # a finding's suggestion: the draft now has unsaved changes
        draft = editor.query_one("#draft").text
        await pilot.press("q", "a")
        await settle(pilot)
        assert any("取款机把卡吞了" in m and "r2" in m for m in messages(app))
        revisions = app.store.revisions("card-loss")
        assert [r.number for r in revisions] == [1, 2]  # the unsaved draft first, then the question on top
        assert all(r.spoken_text == draft for r in revisions)
        assert app.query_log.revision_questions("card-loss", 2) == ("取款机把卡吞了",)
        assert editor.base_revision == 2 and editor.questions.suggestions == ()
        assert "未保存" not in str(editor.query_one("#article-bar").render())
        await pilot.press("ctrl+t")
        await settle(pilot)
        assert app.store.article("card-loss").state == "in_review"
        assert app.store.article("card-loss").head_revision == 2  # nothing left to save

        app.user = "小李"
        await pilot.press("f3")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ReviewDetailScreen)
        assert "问法：＋取款机把卡吞了" in app.screen.query_one("#review-text-body").plain
        await pilot.press("a", "ctrl+s")
        await settle(pilot)
        assert app.store.article("card-loss").state == "approved"

        await pilot.press("f4")
        await settle(pilot)
        assert isinstance(app.screen, AgentScreen)
        await pilot.press(*"取款机把卡吞了")
        await settle(pilot)
        first = app.screen._results[0]
        assert first.id == "card-loss"
        assert any(w.kind == "question" and "取款机把卡吞了" in w.describe() for w in first.why)


@pilot_test
async def test_a_dismissed_suggestion_is_gone_and_nothing_is_saved(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_card_loss_with_suggestion(pilot)
        await pilot.press("q", "x")
        await settle(pilot)
        assert any("已忽略「取款机把卡吞了」" in m for m in messages(app))
        assert app.screen.questions.suggestions == ()
        assert app.query_log.suggestions_for("card-loss") == []
        assert app.store.article("card-loss").head_revision is None
        await pilot.press("x")  # nothing left to dismiss: a message, not a crash
        assert any("没有选中的问法建议" in m for m in messages(app))
        await pilot.press("escape")  # back to the findings, still in the editor
        assert app.screen.query_one("#findings").has_focus
