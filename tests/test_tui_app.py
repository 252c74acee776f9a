"""App-wide behaviour: the palette lists every action, start-up without a store, bad input,
the summary cache, and keeping Textual out of the parts that do not need it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from kbtool.tui.app import KbApp, TuiOptions
from kbtool.tui.commands import KbCommands
from tests.tui_kit import PACK, SIZE, make_app, pilot_test, settle


@pilot_test
async def test_the_palette_offers_every_binding_of_the_screen_and_the_app(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.screen.open_article("card-loss")
        await settle(pilot)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        for wanted in ("采纳（a）", "不改（x）", "保存（^s）", "提交（^t）", "帮助（f1）", "审核（f3）", "切换用户"):
            assert any(t.startswith(wanted) for t in titles), (wanted, titles)


@pilot_test
async def test_the_palette_finds_an_article_by_its_title_and_opens_it(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        provider = KbCommands(app.screen)
        hits = [hit async for hit in provider.search("借记卡挂失")]
        opener = next(h for h in hits if "借记卡挂失须知" in (h.text or ""))
        opener.command()
        await settle(pilot)
        assert type(app.screen).__name__ == "ArticleScreen"
        assert app.screen.article_id == "card-loss"


@pilot_test
async def test_a_missing_knowledge_base_is_a_message_not_a_traceback(tmp_path):
    app = KbApp(TuiOptions(kb_dir=tmp_path / "nothing", style=PACK, db=tmp_path / "x.db", user="小王",
                           cache_dir=tmp_path / "cache"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert any("找不到知识库文件夹" in n.message for n in app._notifications)
        assert "没有文章" in str(app.screen.query_one("#list-empty").render())


@pilot_test
async def test_a_broken_style_pack_is_reported_and_the_list_still_works(tmp_path):
    bad = tmp_path / "bad.yml"
    bad.write_text("rules:\n  - id: x\n    level: loud\n", encoding="utf-8")
    app = make_app(tmp_path)
    app.options.style = str(bad)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert any("规则包无法使用" in n.message and "bad.yml" in n.message for n in app._notifications)
        assert app.screen.query_one("#list-table").row_count == 3


@pilot_test
async def test_unchanged_articles_are_not_checked_again_on_the_next_start(tmp_path, monkeypatch):
    from kbtool.tui import services

    # The real signature hashes kbtool/core's files: another engineer saving one mid-test
    # would (rightly) void the cache. Pinned here; the signature has its own test below.
    monkeypatch.setattr(services, "checks_signature", lambda pack: "pinned")
    first = make_app(tmp_path)
    async with first.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert first.reports_done and len(first.summaries) == 3
    calls: list[str] = []
    check = services.check_entry
    monkeypatch.setattr(services, "check_entry", lambda detector, entry: calls.append(entry.id) or check(detector, entry))
    options = first.options
    (options.kb_dir / "telecom" / "plan-change.md").write_text(
        "---\nid: plan-change\ntitle: 套餐变更办理说明\nkind: article\ncategory: 套餐\n---\n持卡人可以改套餐。\n", encoding="utf-8")
    second = KbApp(options)
    async with second.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert calls == ["plan-change"]  # only the changed article
        assert second.summaries["card-loss"] == first.summaries["card-loss"]
        assert second.summaries["plan-change"].findings == 1


def test_the_tui_door_and_the_cli_do_not_import_textual():
    code = (
        "import sys; import kbtool.tui.services, kbtool.tui.format, kbtool.tui.spans; "
        "from kbtool.cli import build_parser; build_parser(); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'textual'))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).parent.parent)
    assert out.stdout.strip() == "[]"


def test_the_summary_cache_lives_in_the_cache_folder_one_file_per_store(tmp_path, monkeypatch):
    from types import SimpleNamespace

    from kbtool.tui import services

    monkeypatch.setenv("KBTOOL_CACHE_DIR", str(tmp_path / "env-cache"))
    first = services.summary_cache_path(SimpleNamespace(db_path=tmp_path / "a" / "kb.db"))
    second = services.summary_cache_path(SimpleNamespace(db_path=tmp_path / "b" / "kb.db"))
    assert first.parent == second.parent == tmp_path / "env-cache"
    assert first != second
    chosen = services.summary_cache_path(SimpleNamespace(db_path=tmp_path / "a" / "kb.db"), tmp_path / "opt")
    assert chosen.parent == tmp_path / "opt"  # the explicit option beats the environment
    assert services.summary_cache_path(SimpleNamespace(db_path=None)) is None


def test_the_summary_cache_is_voided_when_the_pack_changes(tmp_path):
    from types import SimpleNamespace

    from kbtool.tui import services

    pack = tmp_path / "pack.yml"
    pack.write_text("rules: []\n", encoding="utf-8")
    before = services.checks_signature(SimpleNamespace(sources=[str(pack)]))
    pack.write_text("rules: []  # changed\n", encoding="utf-8")
    assert services.checks_signature(SimpleNamespace(sources=[str(pack)])) != before


@pilot_test
async def test_the_palette_lists_kbtool_commands_in_chinese_not_the_text_boxes_editing_keys(tmp_path):
    app = make_app(tmp_path, mode="agent")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert type(app.focused).__name__ == "Input"  # the query box, with Textual's own editing keys
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert not [t for t in titles if t.isascii() or "selected text" in t], titles
        assert sum(t.startswith("切换用户") for t in titles) == 1
        assert any(t.startswith("复制答案") for t in titles)


@pilot_test
async def test_keys_typed_right_after_ctrl_p_land_in_the_palette(tmp_path):
    from textual.command import CommandInput, CommandPalette

    from tests.tui_kit import type_fast

    app = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await type_fast(pilot, ["ctrl+p", *"挂失"])
        await settle(pilot)
        assert isinstance(app.screen, CommandPalette)
        assert app.screen.query_one(CommandInput).value == "挂失"
        assert "搜索命令" in app.screen.query_one(CommandInput).placeholder


@pilot_test
async def test_the_top_line_keeps_the_user_in_sight_at_80_columns(tmp_path):
    from kbtool.tui.widgets.modebar import ModeBar

    app = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.screen.open_article("card-loss")  # a title of its own on the top line
        await settle(pilot)
        bar = app.screen.query_one(ModeBar)
        line = bar.render()
        assert line.plain.rstrip().endswith("用户 小王")
        assert "编辑：借记卡挂失须知" in line.plain
        assert line.cell_len <= bar.size.width
