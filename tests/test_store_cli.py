"""The review commands end to end: two people take an article from draft to export."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from store_kit import CARD, TEAM, article, make_kb

from kbtool.cli import main


@pytest.fixture
def kb(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("KBTOOL_DB", raising=False)
    monkeypatch.delenv("KBTOOL_USER", raising=False)
    monkeypatch.chdir(tmp_path)
    return make_kb(tmp_path, roles=TEAM)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_two_people_take_an_article_from_sync_to_export(kb: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "sync", "--user", "alice", "--format", "json")
    assert code == 0 and json.loads(out)["new"] == ["card", "password"]
    (tmp_path / "spoken.txt").write_text("卡丢了请马上打95588挂失。\n", encoding="utf-8")
    code, _, err = run(capsys, "draft", "save", "card", "spoken.txt", "--user", "alice")
    assert code == 0 and "r1" in err
    assert run(capsys, "draft", "submit", "card", "--user", "alice")[0] == 0
    code, out, _ = run(capsys, "review", "list", "--format", "json", "--user", "bob")
    assert [(r["id"], r["author"]) for r in json.loads(out)] == [("card", "alice")]
    code, out, _ = run(capsys, "review", "show", "card", "--format", "json", "--user", "bob")
    view = json.loads(out)
    assert code == 0 and view["revision"]["number"] == 1
    assert "95588" in [op["a_text"] for op in view["diff"] if op["tag"] == "equal"]
    assert any("予以办理" in op["a_text"] and op["tag"] != "equal" for op in view["diff"])
    assert "facts" in view and isinstance(view["findings"], list)
    code, _, err = run(capsys, "review", "approve", "card", "--user", "alice")
    assert code == 2 and "四眼" in err and len(err.strip().splitlines()) == 1
    code, _, err = run(capsys, "approve", "card", "--user", "bob", "--comment", "好")
    assert code == 0 and "审核通过" in err
    code, out, _ = run(capsys, "export", "--format", "json", "--user", "carl")
    rows = json.loads(out)
    assert [(r["id"], r["author"], r["approver"], r["stale"]) for r in rows] == [("card", "alice", "bob", False)]
    assert rows[0]["spoken_text"] == "卡丢了请马上打95588挂失。\n" and len(rows[0]["source_hash"]) == 64
    assert run(capsys, "export", "exported", "--user", "carl")[0] == 0
    assert "卡丢了请马上打95588挂失" in (tmp_path / "exported" / "card.md").read_text(encoding="utf-8")
    code, out, _ = run(capsys, "history", "card", "--format", "json")
    assert [e["action"] for e in json.loads(out)] == ["sync.new", "save", "submit", "approve"]
    code, out, _ = run(capsys, "history", "card")  # people read the actions in Chinese; JSON keeps the ids
    assert [line.split()[3] for line in out.splitlines()] == ["导入", "保存", "提交审核", "审核通过"]
    code, _, err = run(capsys, "history", "--verify")
    assert code == 0 and "校验通过" in err


def test_source_change_shows_stale_in_export_and_csv(kb: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "s.txt").write_text("卡丢了请马上打95588挂失。", encoding="utf-8")
    run(capsys, "draft", "save", "card", "s.txt", "--user", "alice")
    run(capsys, "submit", "card", "--user", "alice")
    run(capsys, "approve", "card", "--user", "bob")
    (kb / "bank" / "card.md").write_text(article("card", CARD + "另请补办新卡。"), encoding="utf-8")
    code, out, _ = run(capsys, "sync", "--user", "alice")
    assert code == 0 and "card" in out and "过时" in out
    code, out, _ = run(capsys, "export", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["id"], r["stale"]) for r in rows] == [("card", "True")]
    code, out, _ = run(capsys, "review", "queue", "--format", "json", "--user", "alice")
    assert [(r["id"], r["reasons"]) for r in json.loads(out)] == [("card", ["stale"])]


def test_conflicting_save_from_the_command_line_keeps_the_text(kb: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "a.txt").write_text("甲的稿", encoding="utf-8")
    (tmp_path / "b.txt").write_text("乙的稿", encoding="utf-8")
    (tmp_path / "c.txt").write_text("丙的稿", encoding="utf-8")
    run(capsys, "draft", "save", "card", "a.txt", "--user", "alice")
    assert run(capsys, "draft", "save", "card", "b.txt", "--base", "1", "--user", "alice")[0] == 0
    code, _, err = run(capsys, "draft", "save", "card", "c.txt", "--base", "1", "--user", "erin")
    assert code == 2 and "保存冲突" in err and "r3" in err and len(err.strip().splitlines()) == 1
    code, out, _ = run(capsys, "draft", "show", "card", "--revision", "3")
    assert out.strip() == "丙的稿"
    code, out, _ = run(capsys, "draft", "list", "card", "--format", "json")
    assert [(r["number"], r["kind"], r["head"]) for r in json.loads(out)] == [
        (1, "draft", False), (2, "draft", True), (3, "conflict", False)]


def test_a_save_without_base_never_supersedes_another_editors_revision_unseen(kb: Path, tmp_path: Path,
                                                                             capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "a.txt").write_text("甲的稿", encoding="utf-8")
    (tmp_path / "e.txt").write_text("戊的稿", encoding="utf-8")
    assert run(capsys, "draft", "save", "card", "a.txt", "--user", "alice")[0] == 0
    code, _, err = run(capsys, "draft", "save", "card", "e.txt", "--user", "erin")
    assert code == 2 and "保存冲突" in err and "--base 1" in err and len(err.strip().splitlines()) == 1
    assert run(capsys, "draft", "save", "card", "e.txt", "--user", "erin", "--base", "1")[0] == 0  # r3, having looked
    assert run(capsys, "draft", "save", "card", "a.txt", "--user", "alice")[0] == 2  # alice's own base is r1
    code, out, _ = run(capsys, "draft", "list", "card", "--format", "json")
    assert [(r["number"], r["author"], r["kind"], r["head"]) for r in json.loads(out)] == [
        (1, "alice", "draft", False), (2, "erin", "conflict", False), (3, "erin", "draft", True), (4, "alice", "conflict", False)]
    assert run(capsys, "draft", "save", "card", "e.txt", "--user", "erin")[0] == 0  # on top of erin's own r3


@pytest.mark.parametrize("argv, message", [
    (["draft", "save", "card", "missing.txt", "--user", "alice"], "missing.txt: 无法读取"),
    (["draft", "save", "nope", "-", "--user", "alice"], "nope: 没有这篇文章"),
    (["submit", "card", "--user", "carl"], "坐席（只读）"),
    (["approve", "card", "--user", "bob"], "不在审核中"),
    (["history", "nope"], "nope: 没有这篇文章"),
    (["sync", "--kb", "nowhere"], "nowhere: 找不到知识库文件夹"),
])
def test_bad_input_is_one_line_and_non_zero(kb: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
                                            argv: list[str], message: str) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("text"))
    code, _, err = run(capsys, *argv)
    assert code == 2
    lines = [ln for ln in err.splitlines() if ln.startswith("kbtool:")]
    assert len(lines) == 1 and message in lines[0] and "Traceback" not in err


def test_agents_flag_answers_and_editors_resolve_them(kb: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "flag", "card", "客户说号码换了", "--user", "carl")
    assert code == 0 and "#1" in err
    code, out, _ = run(capsys, "flags", "list", "--format", "json")
    assert [(f["article_id"], f["flagged_by"]) for f in json.loads(out)] == [("card", "carl")]
    assert run(capsys, "flags", "resolve", "1", "--comment", "没换", "--user", "alice")[0] == 0
    assert json.loads(run(capsys, "flags", "list", "--format", "json")[1]) == []


def test_styles_stats_reports_acceptance_per_rule_from_saved_decisions(kb: Path, tmp_path: Path,
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    def blob(decisions: dict[str, str]) -> str:
        items = [{"key": f"{rule}@{i}-{i + 1}", "rule": rule, "start": i, "end": i + 1, "text": "x"}
                 for i, rule in enumerate(["official.yuyi", "official.yuyi", "official.jinxing"])]
        return json.dumps({"version": 1, "items": items,
                           "decisions": {items[int(k)]["key"]: {"action": v} for k, v in decisions.items()}})

    (tmp_path / "t.txt").write_text("口语稿", encoding="utf-8")
    (tmp_path / "d1.json").write_text(blob({"0": "accept", "1": "reject", "2": "reject"}), encoding="utf-8")
    (tmp_path / "d2.json").write_text(blob({"0": "edit"}), encoding="utf-8")
    run(capsys, "draft", "save", "card", "t.txt", "--decisions", "d1.json", "--user", "alice")
    run(capsys, "draft", "save", "password", "t.txt", "--decisions", "d2.json", "--user", "alice")
    code, out, _ = run(capsys, "styles", "stats", "--format", "json")
    stats = {s["rule"]: s for s in json.loads(out)}
    assert code == 0
    assert (stats["official.jinxing"]["rejected"], stats["official.jinxing"]["acceptance"]) == (1, 0.0)
    yuyi = stats["official.yuyi"]
    assert (yuyi["accepted"], yuyi["edited"], yuyi["rejected"], yuyi["undecided"]) == (1, 1, 1, 1)
    assert yuyi["acceptance"] == round(2 / 3, 3)
    assert json.loads(out)[0]["rule"] == "official.jinxing"  # most overruled first


def test_a_decisions_file_that_is_not_json_is_one_line_naming_file_and_line(kb: Path, tmp_path: Path,
                                                                              capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "spoken.txt").write_text("卡丢了请打95588。\n", encoding="utf-8")
    (tmp_path / "d.json").write_text('{"items":\n  [1,\n', encoding="utf-8")
    code, _, err = run(capsys, "draft", "save", "card", "spoken.txt", "--decisions", "d.json", "--user", "alice")
    assert code == 2 and "Traceback" not in err
    assert err.strip().splitlines() == [err.strip()] and err.startswith("kbtool: d.json:3: 不是合法的 JSON")
    assert json.loads(run(capsys, "draft", "list", "card", "--format", "json")[1]) == []


def test_a_base_revision_never_saved_is_refused_without_a_conflict_copy(kb: Path, tmp_path: Path,
                                                                         capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "spoken.txt").write_text("卡丢了请打95588。\n", encoding="utf-8")
    code, _, err = run(capsys, "draft", "save", "card", "spoken.txt", "--base", "3", "--user", "alice")
    assert code == 2 and "没有修订 r3（还没有任何修订）" in err and "None" not in err
    assert run(capsys, "draft", "save", "card", "spoken.txt", "--user", "alice")[0] == 0
    code, _, err = run(capsys, "draft", "save", "card", "spoken.txt", "--base", "99", "--user", "erin")
    assert code == 2 and "没有修订 r99（最新是 r1）" in err and "冲突" not in err
    code, out, _ = run(capsys, "draft", "list", "card", "--format", "json")
    assert [(r["number"], r["kind"]) for r in json.loads(out)] == [(1, "draft")]


def test_search_log_writes_on_a_read_only_store_are_one_line_not_a_traceback(kb: Path, capsys: pytest.CaptureFixture[str],
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    import sqlite3

    assert run(capsys, "search", "卡丢了", "--user", "carl")[0] == 0

    class ReadOnly:  # root ignores file modes, so open the log's connection read-only instead
        def __getattr__(self, name: str) -> object:
            return getattr(sqlite3, name)

        @staticmethod
        def connect(path: str, **kwargs: object) -> sqlite3.Connection:
            return sqlite3.connect(f"file:{path}?mode=ro", uri=True, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr("kbtool.services.querylog.sqlite3", ReadOnly())
    for argv in (["opened", "1", "card", "--user", "carl"], ["questions", "suggest"]):
        code, _, err = run(capsys, *argv)
        assert code == 2 and "Traceback" not in err
        assert len(err.strip().splitlines()) == 1 and "查询日志写入失败" in err and "readonly" in err


def test_an_unreadable_folder_is_a_sync_problem_and_its_articles_stay(kb: Path, capsys: pytest.CaptureFixture[str],
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    assert run(capsys, "sync")[0] == 0
    real = os.scandir

    def scandir(path: str = ".") -> object:  # root ignores file modes: refuse as a locked folder would
        if Path(path).name == "bank":
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)
    code, out, _ = run(capsys, "sync", "--format", "json")
    report = json.loads(out)
    assert code == 2 and report["deleted"] == [] and len(report["problems"]) == 1
    assert "bank" in str(report["problems"][0]) and "无法读取文件夹" in str(report["problems"][0])
    code, out, _ = run(capsys, "search", "挂失", "--format", "json")
    assert "card" in [r["id"] for r in json.loads(out)]
    monkeypatch.setattr(os, "scandir", real)
    code, out, _ = run(capsys, "sync", "--format", "json")
    assert code == 0 and json.loads(out)["deleted"] == [] and json.loads(out)["restored"] == []


def test_a_style_pack_extends_cycle_or_unknown_parent_is_named_by_commands_that_read_only_masking(
        kb: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "one.yml").write_text("name: one\nextends: [two]\n", encoding="utf-8")
    (tmp_path / "two.yml").write_text("name: two\nextends: [one]\n", encoding="utf-8")
    (tmp_path / "orphan.yml").write_text("name: orphan\nextends: [no-such-pack]\n", encoding="utf-8")
    code, _, err = run(capsys, "questions", "suggest", "--style", str(tmp_path / "one.yml"))
    assert code == 2 and err.strip() == f"kbtool: {tmp_path / 'two.yml'}:2: 'extends' 形成了循环：one.yml -> two.yml -> one.yml"
    code, _, err = run(capsys, "questions", "suggest", "--style", str(tmp_path / "orphan.yml"))
    assert code == 2 and err.strip() == f"kbtool: {tmp_path / 'orphan.yml'}:2: 'extends' 里的规则包 'no-such-pack' 不存在"


def test_a_broken_kbtool_yml_names_its_line(kb: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (kb / "kbtool.yml").write_text("roles:\n  editors: [alice\n", encoding="utf-8")
    (tmp_path / "spoken.txt").write_text("卡丢了请打95588。\n", encoding="utf-8")
    code, _, err = run(capsys, "draft", "save", "card", "spoken.txt", "--user", "alice")
    problems = [line for line in err.splitlines() if line.startswith("kbtool:")]
    assert code == 2 and len(problems) == 1
    assert problems[0].startswith(f"kbtool: {Path('kb') / 'kbtool.yml'}:3: 配置文件无法读取")


def test_a_very_long_search_query_is_analysed_only_up_to_the_cap(kb: Path, capsys: pytest.CaptureFixture[str],
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from kbtool.services import search

    seen: list[int] = []
    real = search.SearchIndex.understand

    def understand(self: object, query: str) -> object:
        seen.append(len(query))
        return real(self, query)  # type: ignore[arg-type]

    monkeypatch.setattr(search.SearchIndex, "understand", understand)
    code, out, _ = run(capsys, "search", "我的卡丢了怎么办" * 625, "--format", "json")
    assert code == 0 and seen == [search.MAX_QUERY_CHARS] and json.loads(out)[0]["id"] == "card"
