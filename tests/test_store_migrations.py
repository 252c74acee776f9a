"""Schema migrations: from an empty file and from the previous release's store."""

from __future__ import annotations

import datetime as dt
import shutil
import sqlite3
from pathlib import Path

import pytest

from kbtool.services import store as store_mod
from kbtool.services.store import SCHEMA_VERSION, Store, StoreError

V1 = Path(__file__).resolve().parent / "data" / "store_v1"


def _tables(conn: sqlite3.Connection) -> set[str]:
    return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def _load_v1(tmp_path: Path) -> tuple[Path, Path]:
    kb = tmp_path / "kb"
    shutil.copytree(V1 / "kb", kb)
    db = tmp_path / "old.db"
    conn = sqlite3.connect(db)
    conn.executescript((V1 / "store.sql").read_text(encoding="utf-8"))
    conn.close()
    return db, kb


def test_empty_file_is_migrated_to_the_latest_schema(tmp_path: Path) -> None:
    (tmp_path / "kb").mkdir()
    db = tmp_path / "new.db"
    db.touch()
    with Store.open(db, kb_dir=tmp_path / "kb") as store:
        assert store.schema_version() == SCHEMA_VERSION
        assert {"meta", "articles", "revisions", "audit", "files", "flags"} <= _tables(store.conn)
        assert store.generation() == 0
        assert [e.action for e in store.history()] == ["migrate"]
        assert store.history()[0].detail == {"from": 0, "to": SCHEMA_VERSION}
    # opening again does not migrate again
    with Store.open(db, kb_dir=tmp_path / "kb") as store:
        assert len(store.history()) == 1


def test_fixture_really_is_schema_version_1(tmp_path: Path) -> None:
    db, _ = _load_v1(tmp_path)
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0] == "1"
    assert "flags" not in _tables(conn)
    assert SCHEMA_VERSION > 1  # otherwise this file tests nothing


def test_v1_store_migrates_keeping_every_revision_approval_and_history_entry(tmp_path: Path) -> None:
    db, kb = _load_v1(tmp_path)
    raw = sqlite3.connect(db)
    counts = {t: raw.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in ("articles", "revisions", "audit")}
    approved_at = raw.execute("SELECT approved_at FROM articles WHERE id = 'card-lost'").fetchone()[0]
    raw.close()
    with Store.open(db, kb_dir=kb) as store:
        assert store.schema_version() == SCHEMA_VERSION
        for table, n in counts.items():
            extra = 1 if table == "audit" else 0  # the migration itself is logged
            assert store.conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] == n + extra
        card = store.article("card-lost")
        assert (card.state, card.approved_by, card.approved_revision) == ("approved", "bob", 1)
        # new column filled from the old data: due one default interval after approval
        due = dt.date.fromisoformat(approved_at[:10]) + dt.timedelta(days=store_mod.DEFAULT_REVIEW_DAYS)
        assert card.review_by == due.isoformat()
        assert [(r.number, r.kind, r.author) for r in store.revisions("card-lost")] == [
            (1, "draft", "alice"), (2, "conflict", "carol")]
        assert store.history()[-1].action == "migrate"
        assert store.verify_history() == []
        # the knowledge base it was synced from is unchanged: nothing to do
        report = store.sync(user="alice")
        assert report.changes == 0 and report.expired == ["spring-hours"]
        docs = {d.id: d for d in store.answers()}
        assert docs["card-lost"].status == "approved" and docs["password-reset"].status == "in_review"
        # and the new version's features work on old data
        store.approve("password-reset", user="bob")
        store.flag("card-lost", "号码变了？", user="carl")
        assert store.article("card-lost").open_flags == 1
        assert store.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_store_from_a_newer_kbtool_is_refused_clearly(tmp_path: Path) -> None:
    (tmp_path / "kb").mkdir()
    db = tmp_path / "s.db"
    Store.open(db, kb_dir=tmp_path / "kb").close()
    conn = sqlite3.connect(db)
    conn.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match=r"版本 99 .*升级 kbtool"):
        Store.open(db, kb_dir=tmp_path / "kb")


def test_a_file_that_is_not_a_database_is_a_one_line_error(tmp_path: Path) -> None:
    (tmp_path / "kb").mkdir()
    db = tmp_path / "s.db"
    db.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="数据库无法使用") as err:
        Store.open(db, kb_dir=tmp_path / "kb")
    assert "\n" not in str(err.value)
