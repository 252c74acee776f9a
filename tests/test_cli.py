from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from kbtool.cli import main

ROOT = Path(__file__).resolve().parent.parent

PACK = """
name: t
rules:
  - id: official.benhang
    level: warning
    category: official
    message: 本行是公文腔
    phrases: [本行]
    replace: [我们]
    examples:
      - before: 本行将升级。
        after: 我们将升级。
      - clean: 本行业很大。
  - id: forbidden.bugui
    level: error
    category: forbidden
    message: 服务禁语
    phrases: [这不归我管]
    replace: [我帮您转给负责的同事]
"""

GOOD = "---\nid: a\ntitle: 标题\nkind: article\ncategory: 银行卡\n---\n本行将于明日升级。\n"


@pytest.fixture
def setup(write, tmp_path):
    pack = write("t.yml", PACK)
    write("kb/a.md", GOOD)
    return pack, tmp_path / "kb"


def run(args: list[str], capsys) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_check_prints_compiler_style_lines_and_exits_by_fail_level(setup, capsys):
    pack, kb = setup
    code, out, _ = run(["check", str(kb), "--style", str(pack)], capsys)
    assert code == 0  # a warning is below the default fail level (error)
    assert out.strip() == f"{kb}/a.md:7:1 warning official.benhang 「本行」本行是公文腔 → 我们"
    assert run(["check", str(kb), "--style", str(pack), "--fail-level", "warning"], capsys)[0] == 1


def test_check_text_lines_stay_one_line_for_an_overlong_match_and_json_keeps_it_whole(write, capsys):
    sentence = "本行" + "，".join(["客户可以通过网点柜台办理相关业务"] * 8) + "。"
    kb = str(write("kb/long.md", GOOD.replace("本行将于明日升级。", sentence)).parent)
    _, out, _ = run(["check", kb, "--color", "never"], capsys)
    long_line = next(line for line in out.splitlines() if "structure.long-sentence" in line)
    assert "…" in long_line and sentence[:-1] not in long_line
    _, out, _ = run(["check", kb, "--format", "json"], capsys)
    texts = [f["text"] for f in json.loads(out)["files"][0]["findings"]]
    assert sentence[:-1] in texts


def test_check_json_contract(setup, capsys):
    pack, kb = setup
    code, out, _ = run(["check", str(kb), "--style", str(pack), "--format", "json"], capsys)
    doc = json.loads(out)
    assert code == 0
    (file,) = doc["files"]
    (finding,) = file["findings"]
    assert {"rule", "level", "category", "start", "end", "line", "column", "text", "message", "suggestions", "score",
            "safe"} <= set(finding)
    at = GOOD.index("本行")
    assert (finding["start"], finding["end"], finding["text"], finding["suggestions"]) == (at, at + 2, "本行", ["我们"])
    assert {"characters", "sentences", "longest_sentence", "long_sentence_share", "read_aloud_seconds",
            "findings_per_100_chars", "readiness"} <= set(file["metrics"])
    assert doc["summary"]["findings"] == 1


def test_bad_file_gets_one_line_exit_2_and_the_others_are_still_checked(setup, write, capsys):
    pack, kb = setup
    write("kb/broken.md", "---\nid: b\ntitle: [oops\n---\n正文")
    write("kb/gbk.md", GOOD.replace("id: a", "id: g").encode("gbk"))
    code, out, err = run(["check", str(kb), "--style", str(pack), "--format", "json"], capsys)
    assert code == 2
    problems = [line for line in err.splitlines() if line.startswith("kbtool:")]
    assert len(problems) == 1 and "broken.md:" in problems[0] and "YAML 格式错误" in problems[0]
    assert sorted(Path(f["path"]).name for f in json.loads(out)["files"]) == ["a.md", "gbk.md"]


def test_one_id_in_two_files_is_a_problem_naming_both_and_both_are_still_checked(setup, write, capsys):
    pack, kb = setup
    write("kb/b.md", GOOD.replace("title: 标题", "title: 另一篇"))
    code, out, err = run(["check", str(kb), "--style", str(pack), "--format", "json"], capsys)
    assert code == 2
    assert [line for line in err.splitlines() if line.startswith("kbtool:")] == [
        f"kbtool: {kb / 'b.md'}:2: 文章 id 'a' 重复（{kb / 'a.md'} 也用了）"]
    assert len(json.loads(out)["files"]) == 2


def test_missing_path_and_missing_pack_are_usage_errors(setup, capsys):
    pack, kb = setup
    assert run(["check", str(kb / "nope.md"), "--style", str(pack)], capsys)[0] == 2
    code, _, err = run(["check", str(kb), "--style", "no-such-pack"], capsys)
    assert code == 2 and "kbtool: no-such-pack: 找不到规则包" in err


def test_styles_list_json_lists_every_rule(setup, capsys):
    pack, _ = setup
    code, out, _ = run(["styles", "list", "--style", str(pack), "--format", "json"], capsys)
    assert code == 0
    assert [r["id"] for r in json.loads(out)["rules"]] == ["official.benhang", "forbidden.bugui"]


def test_the_default_pack_passes_every_example_it_carries(capsys):
    from kbtool.services.packs import load_pack

    pack = load_pack(None)
    assert len(pack.rules) >= 200
    assert [r.id for r in pack.rules if not any(e.before for e in r.examples)] == []
    assert [r.id for r in pack.rules if r.replace and not any(e.before and e.after is not None for e in r.examples)] == []
    code, out, err = run(["styles", "test"], capsys)
    assert code == 0, out + err
    assert "0 个失败" in out + err


def test_styles_test_names_each_failing_example(write, capsys):
    bad = write("bad.yml", PACK.replace("after: 我们将升级。", "after: 咱们将升级。"))
    code, out, _ = run(["styles", "test", "--style", str(bad)], capsys)
    assert code == 1
    assert "[official.benhang] 应改为 '咱们将升级。'，实际是 '我们将升级。'" in out


def test_python_dash_m_runs_the_cli():
    proc = subprocess.run([sys.executable, "-m", "kbtool", "--version"], capture_output=True, text=True, check=False)
    assert proc.returncode == 0 and "kbtool" in proc.stdout


def test_built_wheel_bundles_the_default_pack_and_works_from_any_folder(tmp_path):
    wheel_dir = tmp_path / "wheel"
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheel_dir), str(ROOT)],
        capture_output=True, text=True, check=False,
    )
    if build.returncode != 0:
        pytest.skip(f"cannot build a wheel here: {build.stderr.strip()[-200:]}")
    (wheel,) = wheel_dir.glob("kbtool-*.whl")
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as zf:
        assert "kbtool/styles/default/pack.yml" in zf.namelist()
        zf.extractall(site)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "x.md").write_text(GOOD, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(site)}
    proc = subprocess.run(
        [sys.executable, "-c", "import sys; from kbtool.cli import main; sys.exit(main(['check', 'x.md', '--format', 'json']))"],
        cwd=elsewhere, env=env, capture_output=True, text=True, check=False,
    )
    assert proc.returncode in (0, 1), proc.stderr
    assert json.loads(proc.stdout)["files"][0]["path"] == "x.md"


def test_a_parallel_check_reports_exactly_what_one_process_does(write, tmp_path, monkeypatch):
    from kbtool.cli import _load_detector
    from kbtool.services import checking

    for n in range(6):
        write(f"kb/a{n}.md", GOOD.replace("id: a", f"id: a{n}").replace("明日", f"{n + 1}日"))
    write("kb/broken.md", "---\nid: b\ntitle: [oops\n---\n正文")
    write("kb/z.md", GOOD.replace("id: a", "id: z"))
    detector = _load_detector(None)
    one = checking.check_paths([tmp_path / "kb"], detector, jobs=1)
    monkeypatch.setattr(checking, "PARALLEL_FROM", 2)
    two = checking.check_paths([tmp_path / "kb"], detector, jobs=2)
    assert [r.article.path for r in two.reports] == [r.article.path for r in one.reports]
    assert [r.findings for r in two.reports] == [r.findings for r in one.reports]
    assert [str(p) for p in two.problems] == [str(p) for p in one.problems] and len(one.problems) == 1


@pytest.mark.parametrize("argv, named", [
    (["check", "--format", "xml"], "--format"),
    (["search", "挂失", "--limit", "abc"], "--limit"),
    (["search", "挂失", "--limit", "99999999999999999999"], "--limit"),
    (["search", "挂失", "--limit", "-1"], "--limit"),
    (["questions", "suggest", "--limit", "-1"], "--limit"),
    (["questions", "dupes", "--min-score", "500"], "--min-score"),
    (["serve", "--port", "99999"], "--port"),
    (["no-such-command"], "no-such-command"),
])
def test_a_usage_error_is_one_line_naming_the_option_and_exits_2(argv, named, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    err = capsys.readouterr().err
    assert exc.value.code == 2
    assert len(err.strip().splitlines()) == 1 and named in err and "-h" in err


def test_an_unreadable_folder_is_one_problem_and_the_other_files_are_still_checked(setup, write, monkeypatch, capsys):
    pack, kb = setup
    write("kb/locked/b.md", GOOD.replace("id: a", "id: b"))
    real = os.scandir

    def scandir(path="."):  # root ignores file modes, so refuse the way a locked folder would
        if Path(path).name == "locked":
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)
    code, out, err = run(["check", str(kb), "--style", str(pack), "--format", "json"], capsys)
    assert code == 2
    problems = [line for line in err.splitlines() if line.startswith("kbtool:")]
    assert problems == [f"kbtool: {kb / 'locked'}: 无法读取文件夹：Permission denied"]
    assert [Path(f["path"]).name for f in json.loads(out)["files"]] == ["a.md"]


CTRL_C_SCRIPT = """
import sys, time
from pathlib import Path
from kbtool.cli import main
from kbtool.services import checking

marker = Path(sys.argv[2])

def slow(detector, article):  # a slow check, so that Ctrl+C lands while the workers are busy
    marker.touch()
    time.sleep(0.05)
    return checking_real(detector, article)

checking_real = checking.check_article
checking.check_article = slow
checking.PARALLEL_FROM = 2
sys.exit(main(["check", sys.argv[1], "--jobs", "2", "--style", sys.argv[3]]))
"""


def test_ctrl_c_during_a_parallel_check_exits_130_without_a_traceback(setup, write, tmp_path):
    import signal
    import time

    pack, kb = setup
    for n in range(200):
        write(f"kb/many/a{n}.md", GOOD.replace("id: a", f"id: a{n}"))
    marker = tmp_path / "started"
    # a session of its own: the signal goes to the whole group, as a terminal's Ctrl+C does
    proc = subprocess.Popen([sys.executable, "-c", CTRL_C_SCRIPT, str(kb), str(marker), str(pack)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    try:
        for _ in range(600):
            if marker.exists() or proc.poll() is not None:
                break
            time.sleep(0.05)
        time.sleep(0.2)
        os.killpg(proc.pid, signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130
    assert b"Traceback" not in err and b"KeyboardInterrupt" not in err


# -- the command line speaks Chinese ----------------------------------------------------------

def _help(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        main([*argv, "--help"])
    assert exc.value.code == 0
    return capsys.readouterr().out


@pytest.mark.parametrize("argv", [[], ["check"], ["styles", "list"], ["draft", "save"], ["review", "approve"],
                                  ["search"], ["questions", "accept"], ["fix"], ["verify"], ["rewrite"], ["serve"]])
def test_help_is_chinese_and_fits_an_80_column_terminal(argv, capsys, monkeypatch):
    from kbtool.commands.zh_argparse import cells

    monkeypatch.setenv("COLUMNS", "80")
    out = _help(argv, capsys)
    assert out.startswith(f"用法：{' '.join(['kbtool', *argv])} [-h]")
    assert "\n选项：\n" in out and "显示本帮助并退出" in out
    for english in ("usage:", "options:", "positional arguments", "show this help", "default:"):
        assert english not in out
    assert max(cells(line) for line in out.splitlines()) <= 80


def test_the_help_column_is_aligned_after_a_chinese_metavar(capsys, monkeypatch):
    from kbtool.commands.zh_argparse import cells

    monkeypatch.setenv("COLUMNS", "100")
    out = _help(["verify"], capsys)
    lines = {line.split()[0]: line for line in out.splitlines() if line.startswith("  ") and "  " in line.strip()}
    column = {cells(line[: line.index(text)]) for line, text in (
        (lines["原文"], "原文章或文本文件"), (lines["--today"], "参照日期"), (lines["--all"], "也列出"))}
    assert len(column) == 1, out


@pytest.mark.parametrize("argv, message", [
    (["search"], "kbtool search: 缺少必需的参数：查询（用法：kbtool search -h）"),
    (["styles"], "kbtool styles: 缺少必需的参数：子命令（用法：kbtool styles -h）"),
    (["check", "--format", "xml"], "kbtool check: 参数 --format：无效的选择 'xml'（可选：'text', 'json'）（用法：kbtool check -h）"),
    (["fix"], "kbtool fix: 必须给出以下参数之一：--diff --write（用法：kbtool fix -h）"),
    (["fix", "--diff", "--write"], "kbtool fix: 参数 --write：不能与参数 --diff 同时使用（用法：kbtool fix -h）"),
    (["opened", "x", "a"], "kbtool opened: 参数 查询编号：'x' 不是有效的整数（用法：kbtool opened -h）"),
    (["check", "--jobs"], "kbtool check: 参数 --jobs：需要一个值（用法：kbtool check -h）"),
    (["check", "--nope"], "kbtool: 无法识别的参数：--nope（用法：kbtool -h）"),
])
def test_usage_errors_are_chinese(argv, message, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    assert capsys.readouterr().err == message + "\n"


def test_argparse_speaks_chinese_only_for_kbtool():
    import argparse

    from kbtool.cli import build_parser

    build_parser().format_help()
    other = argparse.ArgumentParser(prog="other")
    assert "usage: other" in other.format_help() and "show this help message and exit" in other.format_help()


def test_chinese_help_wraps_between_characters_but_not_before_closing_punctuation():
    from kbtool.commands.zh_argparse import cells, wrap

    lines = wrap("有这一级别或更严重的问题时退出码为 1（默认：error），用 --fail-level 指定", 20)
    assert all(cells(line) <= 20 for line in lines)
    assert "".join(lines).replace(" ", "") == "有这一级别或更严重的问题时退出码为1（默认：error），用--fail-level指定"
    assert not any(line[0] in "，。：）" for line in lines)
    assert wrap("--fail-level", 4) == ["--fail-level"]  # an option name is never split


def test_options_without_a_command_are_the_apps_as_the_readme_says(tmp_path, capsys):
    # `kbtool --user 小王` opens the app as 小王; here the folder is missing, so it stops first
    code, _, err = run(["--user", "小王", "--kb", str(tmp_path / "nowhere")], capsys)
    assert code == 2 and "找不到知识库文件夹" in err and "无效的选择" not in err
