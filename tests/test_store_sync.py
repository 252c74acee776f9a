"""Sync from kb/: new, changed, deleted files by content hash; stale approvals; expiry."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
from store_kit import CARD, PASSWORD, announcement, article, make_kb, open_store

from kbtool.services.store import Store, StoreError


def test_first_sync_imports_every_article_and_second_sync_changes_nothing(tmp_path: Path) -> None:
    kb = make_kb(tmp_path)
    store = open_store(tmp_path, kb)
    assert store.needs_sync()
    report = store.sync(user="alice")
    assert report.new == ["card", "password"]
    assert not report.problems
    assert not store.needs_sync()
    again = store.sync(user="alice")
    assert again.changes == 0 and again.unchanged == 2
    docs = {d.id: d for d in store.answers()}
    assert docs["card"].source_text.strip() == CARD
    assert docs["card"].status == "none" and docs["card"].spoken_text is None
    assert docs["card"].path == str(kb / "bank" / "card.md")


def test_default_location_is_inside_the_kb_and_env_overrides_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    kb = make_kb(tmp_path)
    monkeypatch.delenv("KBTOOL_DB", raising=False)
    with Store.open(kb_dir=kb) as store:
        assert store.db_path == kb / ".kbtool" / "kbtool.db"
        assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    monkeypatch.setenv("KBTOOL_DB", str(tmp_path / "elsewhere.db"))
    with Store.open(kb_dir=kb) as store:
        assert store.db_path == tmp_path / "elsewhere.db"
    assert (tmp_path / "elsewhere.db").exists()


def test_the_store_folder_inside_kb_is_not_taken_for_articles(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    kb = make_kb(tmp_path)
    monkeypatch.delenv("KBTOOL_DB", raising=False)
    with Store.open(kb_dir=kb) as store:
        store.sync()
        (kb / ".kbtool" / "notes.md").write_text("not an article", encoding="utf-8")
        assert not store.needs_sync()


def test_edit_is_detected_cheaply_and_reported_as_changed(tmp_path: Path) -> None:
    kb = make_kb(tmp_path)
    store = open_store(tmp_path, kb)
    store.sync()
    gen = store.generation()
    (kb / "bank" / "card.md").write_text(article("card", CARD + "挂失后请尽快补卡。"), encoding="utf-8")
    assert store.needs_sync()
    report = store.sync()
    assert report.changed == ["card"] and report.new == [] and report.unchanged == 1
    assert store.generation() > gen
    assert "补卡" in {d.id: d for d in store.answers()}["card"].source_text


def test_touching_a_file_without_changing_it_is_not_a_change(tmp_path: Path) -> None:
    kb = make_kb(tmp_path)
    store = open_store(tmp_path, kb)
    store.sync()
    gen = store.generation()
    path = kb / "bank" / "card.md"
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 5_000_000_000))
    assert store.needs_sync()
    report = store.sync()
    assert report.changes == 0 and store.generation() == gen


def test_deleted_file_hides_the_article_but_keeps_its_revisions_and_it_comes_back(tmp_path: Path) -> None:
    kb = make_kb(tmp_path)
    store = open_store(tmp_path, kb)
    store.sync()
    store.save("card", "卡丢了先打95588挂失。", base_revision=None, user="alice")
    text = (kb / "bank" / "card.md").read_text(encoding="utf-8")
    (kb / "bank" / "card.md").unlink()
    report = store.sync(user="alice")
    assert report.deleted == ["card"]
    assert [d.id for d in store.answers()] == ["password"]
    assert store.article("card").deleted
    assert store.revision("card").spoken_text == "卡丢了先打95588挂失。"
    with pytest.raises(StoreError, match="删除"):
        store.save("card", "再改一次", base_revision=1, user="alice")
    (kb / "moved").mkdir()
    (kb / "moved" / "card.md").write_text(text, encoding="utf-8")
    report = store.sync(user="alice")
    assert report.restored == ["card"]
    assert store.article("card").path == str(kb / "moved" / "card.md")
    assert [e.action for e in store.history("card")][-2:] == ["sync.delete", "sync.restore"]


def test_relative_and_absolute_kb_paths_are_the_same_knowledge_base(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    kb = make_kb(tmp_path)
    monkeypatch.chdir(tmp_path)
    store = Store.open(tmp_path / "s.db", kb_dir=Path("kb"))
    store.sync()
    other = Store.open(tmp_path / "s.db", kb_dir=kb.resolve())
    assert not other.needs_sync()
    assert other.sync().changes == 0


def test_broken_file_is_a_problem_and_the_rest_still_load(tmp_path: Path) -> None:
    kb = make_kb(tmp_path, {"a.md": article("a", "正文"), "b.md": "---\nid: b\ntitle: x\n---\n无种类\n"})
    store = open_store(tmp_path, kb)
    report = store.sync()
    assert report.new == ["a"]
    assert len(report.problems) == 1
    assert str(report.problems[0]).startswith(str(kb / "b.md"))
    assert "kind" in str(report.problems[0])
    # unchanged and still broken: still reported, still not imported
    report = store.sync()
    assert [str(p) for p in report.problems] and "kind" in str(report.problems[0])
    (kb / "b.md").write_text(article("b", "好了"), encoding="utf-8")
    assert store.sync().new == ["b"]


def test_duplicate_id_is_reported_with_both_files(tmp_path: Path) -> None:
    kb = make_kb(tmp_path, {"a.md": article("same", "一"), "b.md": article("same", "二")})
    store = open_store(tmp_path, kb)
    report = store.sync()
    assert report.new == ["same"]
    assert len(report.problems) == 1
    assert "文章 id 'same' 重复" in str(report.problems[0]) and "a.md" in str(report.problems[0])
    # the first copy goes away: the second takes its place on the next sync
    (kb / "a.md").unlink()
    report = store.sync()
    assert report.changed == ["same"] and not report.problems
    assert store.article("same").source_text.strip() == "二"


def test_expired_announcements_are_flagged_and_can_be_hidden(tmp_path: Path) -> None:
    past = (dt.date.today() - dt.timedelta(days=1)).isoformat()
    future = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    kb = make_kb(tmp_path, {
        "old.md": announcement("old", "春节营业时间调整。", past),
        "new.md": announcement("new", "国庆营业时间调整。", future),
        "card.md": article("card", CARD),
    })
    store = open_store(tmp_path, kb)
    report = store.sync()
    assert report.expired == ["old"]
    docs = {d.id: d for d in store.answers()}
    assert docs["old"].expired and not docs["new"].expired and not docs["card"].expired
    assert sorted(d.id for d in store.answers(include_expired=False)) == ["card", "new"]


def test_verbatim_scripts_are_kept_apart_and_in_the_source(tmp_path: Path) -> None:
    body = "请核对身份。\n\n```verbatim\n信息安全声明：本次通话将被录音。\n```\n"
    kb = make_kb(tmp_path, {"v.md": article("v", body)})
    store = open_store(tmp_path, kb)
    store.sync()
    doc = store.answers()[0]
    assert doc.verbatim == ("信息安全声明：本次通话将被录音。",)
    assert "```verbatim" in doc.source_text


def test_source_change_after_approval_makes_it_stale_until_reapproved(tmp_path: Path) -> None:
    kb = make_kb(tmp_path)
    store = open_store(tmp_path, kb)
    store.sync()
    store.save("card", "卡丢了先打95588挂失。", base_revision=None, user="alice")
    store.submit("card", user="alice")
    store.approve("card", user="bob")
    assert {d.id: d.status for d in store.answers()}["card"] == "approved"
    (kb / "bank" / "card.md").write_text(article("card", CARD.replace("95588", "95566")), encoding="utf-8")
    report = store.sync(user="alice")
    assert report.stale == ["card"]
    doc = {d.id: d for d in store.answers()}["card"]
    assert doc.status == "stale"
    assert doc.spoken_text == "卡丢了先打95588挂失。"  # agents still see it, flagged
    assert store.article("card").stale
    assert "stale" in [e.action for e in store.history("card")]
    # a second change does not report it stale again
    (kb / "bank" / "card.md").write_text(article("card", CARD.replace("95588", "95577")), encoding="utf-8")
    assert store.sync().stale == []
    rev = store.save("card", "卡丢了先打95577挂失。", base_revision=1, user="alice")
    store.submit("card", user="alice")
    store.approve("card", user="bob", revision=rev.number)
    doc = {d.id: d for d in store.answers()}["card"]
    assert doc.status == "approved" and doc.spoken_text == "卡丢了先打95577挂失。"


def test_password_untouched_by_other_articles_changes(tmp_path: Path) -> None:
    kb = make_kb(tmp_path)
    store = open_store(tmp_path, kb)
    store.sync()
    before = {d.id: d.source_hash for d in store.answers()}
    (kb / "bank" / "card.md").write_text(article("card", "新的内容。"), encoding="utf-8")
    store.sync()
    after = {d.id: d.source_hash for d in store.answers()}
    assert after["password"] == before["password"] and after["card"] != before["card"]
    assert {d.id: d for d in store.answers()}["password"].source_text.strip() == PASSWORD


def test_editing_a_txt_articles_metadata_file_is_a_change_of_that_article(tmp_path: Path) -> None:
    kb = make_kb(tmp_path)
    (kb / "cash.txt").write_text("大额取现须知\n\n须提前预约。", encoding="utf-8")
    store = open_store(tmp_path, kb)
    store.sync()
    assert {d.id: d for d in store.answers()}["cash"].questions == ()
    (kb / "cash.yml").write_text("questions: [取大额现金要预约吗]\n", encoding="utf-8")
    assert store.needs_sync()
    report = store.sync()
    assert report.changed == ["cash"]
    assert {d.id: d for d in store.answers()}["cash"].questions == ("取大额现金要预约吗",)
