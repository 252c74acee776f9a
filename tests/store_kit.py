"""Helpers shared by the store tests: a tiny knowledge base on disk and a store over it."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

from kbtool.services.store import Store


def article(art_id: str, body: str, *, title: str = "标题", kind: str = "article", extra: str = "") -> str:
    return f"---\nid: {art_id}\ntitle: {title}\nkind: {kind}\ncategory: 银行卡\n{extra}---\n{body}\n"


def announcement(art_id: str, body: str, valid_until: str) -> str:
    return article(art_id, body, kind="announcement", extra=f"valid_from: 2020-01-01\nvalid_until: {valid_until}\n")


CARD = "客户如发生借记卡遗失，应及时致电95588予以办理口头挂失。"
PASSWORD = "客户如遗忘密码，须携带本人有效身份证件前往网点办理密码重置业务。"


def make_kb(root: Path, files: dict[str, str] | None = None, roles: dict[str, list[str]] | None = None) -> Path:
    kb = root / "kb"
    kb.mkdir(parents=True, exist_ok=True)
    files = files if files is not None else {
        "bank/card.md": article("card", CARD),
        "bank/password.md": article("password", PASSWORD),
    }
    for name, text in files.items():
        path = kb / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    if roles is not None:
        set_roles(kb, roles)
    return kb


def set_roles(kb: Path, roles: dict[str, list[str]], extra: str = "") -> None:
    lines = ["roles:"]
    for key in ("editors", "reviewers", "agents"):
        lines.append(f"  {key}: [{', '.join(roles.get(key, []))}]")
    (kb / "kbtool.yml").write_text("\n".join(lines) + "\n" + extra, encoding="utf-8")


TEAM = {"editors": ["alice", "erin"], "reviewers": ["bob", "alice"], "agents": ["carl"]}


def open_store(tmp_path: Path, kb: Path) -> Store:
    return Store.open(tmp_path / "store.db", kb_dir=kb)


class FixedDay:
    """The store's answers with 'expired' computed for a fixed day, so labelled sets do not rot."""

    def __init__(self, store: Store, day: dt.date, valid_until: dict[str, dt.date | None]) -> None:
        self.store, self.day, self.valid_until = store, day, valid_until

    def generation(self) -> int:
        return self.store.generation()

    def answers(self, include_expired: bool = True):  # type: ignore[no-untyped-def]
        docs = []
        for doc in self.store.answers(include_expired=True):
            until = self.valid_until.get(doc.id)
            docs.append(dataclasses.replace(doc, expired=until is not None and until < self.day))
        return docs
