"""The three roles' main paths through the app, against a real store in a temporary folder."""

from __future__ import annotations

from kbtool.tui.screens.agent import AgentScreen
from kbtool.tui.screens.article import ArticleScreen
from kbtool.tui.screens.review import ReviewDetailScreen, ReviewScreen
from tests.tui_kit import SIZE, make_app, pilot_test, settle, type_fast


def messages(app) -> list[str]:
    return [n.message for n in app._notifications]


async def write_and_submit(pilot) -> None:
    """As the editor: open card-loss, accept the first suggestion, save, submit."""
    app = pilot.app
    app.screen.open_article("card-loss")
    await settle(pilot)
    screen = app.screen
    assert isinstance(screen, ArticleScreen)
    await pilot.press("a")
    assert screen.query_one("#draft").text.startswith("您可致电95588")
    await pilot.press("ctrl+s")
    await settle(pilot)
    assert app.store.article("card-loss").head_revision == 1
    assert "未保存" not in str(screen.query_one("#article-bar").render())
    await pilot.press("ctrl+t")
    await settle(pilot)
    assert app.store.article("card-loss").state == "in_review"
    assert app.catalog["card-loss"].status == "in_review"
    assert "审核中 r1" in str(screen.query_one("#article-bar").render())


@pilot_test
async def test_editor_saves_and_submits_a_draft_with_its_decisions(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await write_and_submit(pilot)
        saved = app.store.revision("card-loss", 1)
        assert saved.author == "小王"
        assert saved.spoken_text.startswith("您可致电")
        decisions = saved.decisions_data["decisions"]
        assert [d["action"] for d in decisions.values()] == ["accept"]


@pilot_test
async def test_a_saved_draft_comes_back_with_its_decisions(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.screen.open_article("card-loss")
        await settle(pilot)
        await pilot.press("a", "x", "ctrl+s")
        await settle(pilot)
        await pilot.press("escape")
        app.screen.open_article("card-loss")
        await settle(pilot)
        screen = app.screen
        assert screen.base_revision == 1
        assert sorted(d.action for d in screen.draft.decisions.values()) == ["accept", "reject"]
        assert screen.query_one("#draft").text == app.store.revision("card-loss", 1).spoken_text


@pilot_test
async def test_reviewer_cannot_approve_own_draft_but_a_second_user_can(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await write_and_submit(pilot)
        await pilot.press("escape", "f3")
        await settle(pilot)
        assert isinstance(app.screen, ReviewScreen)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ReviewDetailScreen)
        assert "另一位审核人" in str(app.screen.query_one("#review-bar").render())
        await pilot.press("a", "ctrl+s")
        await settle(pilot)
        assert any("四眼原则" in m for m in messages(app))  # the store's one-line refusal, no traceback
        assert app.store.article("card-loss").state == "in_review"
        app.user = "小李"
        await pilot.press("a", "ctrl+s")
        await settle(pilot)
        assert app.store.article("card-loss").state == "approved"
        assert app.store.article("card-loss").approved_by == "小李"
        assert isinstance(app.screen, ReviewScreen)
        assert app.catalog["card-loss"].status == "approved"


@pilot_test
async def test_request_changes_needs_a_comment_and_reaches_the_history(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await write_and_submit(pilot)
        app.user = "小李"
        await pilot.press("escape", "f3")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("r", "ctrl+s")  # empty comment: refused by the dialog
        assert any("理由" in m for m in messages(app))
        await pilot.press(*"口头挂失要说清楚", "ctrl+s")
        await settle(pilot)
        assert app.store.article("card-loss").state == "changes_requested"
        comments = [e.detail.get("comment") for e in app.store.history("card-loss")]
        assert "口头挂失要说清楚" in comments
        # the editor opening the draft again reads why it came back
        app.user = "小王"
        await pilot.press("escape", "escape", "f2")
        await settle(pilot)
        app.screen.open_article("card-loss")
        await settle(pilot)
        assert isinstance(app.screen, ArticleScreen)
        assert "小李 退回修改 r1：口头挂失要说清楚" in str(app.screen.query_one("#article-bar").render())
        assert any("口头挂失要说清楚" in m for m in messages(app))


@pilot_test
async def test_a_second_user_typed_right_after_f9_and_a_comment_typed_right_after_r_arrive_whole(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await write_and_submit(pilot)
        await pilot.press("escape", "f3")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ReviewDetailScreen)
        await type_fast(pilot, ["f9", *"李四", "enter"])  # the old name is selected: typing replaces it
        await settle(pilot)
        assert app.user == "李四"
        await type_fast(pilot, ["r", *"要说清楚a", "ctrl+s"])  # a would approve, if it reached the screen
        await settle(pilot)
        assert app.store.article("card-loss").state == "changes_requested"
        comments = [e.detail.get("comment") for e in app.store.history("card-loss")]
        assert "要说清楚a" in comments


@pilot_test
async def test_the_last_characters_typed_before_ctrl_s_are_saved(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.screen.open_article("card-loss")
        await settle(pilot)
        screen = app.screen
        await pilot.press("d", "ctrl+home")
        await type_fast(pilot, [*"您好，", "ctrl+s"])
        await settle(pilot)
        saved = app.store.revision("card-loss").spoken_text
        assert saved.startswith("您好，") and saved == screen.query_one("#draft").text
        assert "未保存" not in str(screen.query_one("#article-bar").render())


@pilot_test
async def test_agent_finds_the_approved_answer_from_the_callers_words(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await write_and_submit(pilot)
        app.store.approve("card-loss", user="小李")
        await pilot.press("escape", "f4")
        await settle(pilot)
        assert isinstance(app.screen, AgentScreen)
        await pilot.press(*"卡丢了怎么办")
        await settle(pilot)
        first = app.screen._results[0]
        assert (first.id, first.status, first.spoken) == ("card-loss", "approved", True)
        answer = app.screen.query_one("#agent-answer-body").plain
        assert "您可致电" in answer and "```" not in answer
        assert "本行工作人员不会" in app.screen.query_one("#agent-verbatim-body").plain
        await pilot.press("ctrl+y")
        assert app.clipboard.startswith("您可致电95588")
        await pilot.press("escape", *"zzqqxx")  # nothing answers this
        await settle(pilot)
        assert app.screen._results == []
        assert app.screen.query_one("#agent-answer").border_title == "答案"


@pilot_test
async def test_two_editors_saving_over_the_same_revision_get_a_conflict_not_a_loss(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.screen.open_article("card-loss")
        await settle(pilot)
        # Someone else saves first, from the command line.
        app.store.save("card-loss", "别人的版本。", base_revision=None, user="小张")
        await pilot.press("a", "ctrl+s")
        await settle(pilot)
        assert any("保存冲突" in m for m in messages(app))
        revisions = app.store.revisions("card-loss")
        assert [(r.author, r.kind) for r in revisions] == [("小张", "draft"), ("小王", "conflict")]
        await pilot.press("ctrl+s")  # save again, on top of the winner
        await settle(pilot)
        assert app.store.article("card-loss").head_revision == 3
        assert app.store.revision("card-loss").spoken_text.startswith("您可致电")
