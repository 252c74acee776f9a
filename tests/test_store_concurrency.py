"""Several processes on one store: racing saves, a kill -9 in the middle of saving, racing opens."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from store_kit import make_kb

from kbtool.services.store import Store

PY = sys.executable

# Each worker sleeps until a shared start time, so the saves really happen at the same moment.
SAVE_ONCE = """
import json, sys, time
from pathlib import Path
from kbtool.services.store import Store, ConflictError
db, kb, user, text, base, start = sys.argv[1:7]
store = Store.open(Path(db), kb_dir=Path(kb))
time.sleep(max(0.0, float(start) - time.time()))
try:
    rev = store.save("card", text, base_revision=int(base), user=user)
    print(json.dumps({"ok": rev.number}))
except ConflictError as exc:
    print(json.dumps({"conflict": exc.copy.number, "message": str(exc)}))
"""

SAVE_FOREVER = """
import sys
from pathlib import Path
from kbtool.services.store import Store, ConflictError
db, kb = sys.argv[1:3]
store = Store.open(Path(db), kb_dir=Path(kb))
base = store.article("card").head_revision
i = 0
while True:
    i += 1
    # large texts make each save take a while, so the kill lands inside one
    text = f"第{i}版：" + "卡丢了请尽快挂失。" * 20000
    try:
        base = store.save("card", text, base_revision=base, user="alice", decisions={"i": i}).number
    except ConflictError:
        base = store.article("card").head_revision
    print(base, flush=True)
"""

OPEN_ONLY = """
import sys, time
from pathlib import Path
from kbtool.services.store import Store
db, kb, start = sys.argv[1:4]
time.sleep(max(0.0, float(start) - time.time()))
Store.open(Path(db), kb_dir=Path(kb)).close()
print("ok")
"""


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("KBTOOL_DB", None)
    return env


def _prepared(tmp_path: Path) -> tuple[Path, Path]:
    kb = make_kb(tmp_path)
    db = tmp_path / "store.db"
    with Store.open(db, kb_dir=kb) as store:
        store.sync(user="alice")
        store.save("card", "第一版", base_revision=None, user="alice")
    return db, kb


def test_two_processes_saving_over_the_same_base_one_conflicts_and_both_texts_are_kept(tmp_path: Path) -> None:
    db, kb = _prepared(tmp_path)
    start = str(time.time() + 2.0)
    procs = [
        subprocess.Popen([PY, "-c", SAVE_ONCE, str(db), str(kb), user, f"{user} 的第二版", "1", start],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env())
        for user in ("alice", "erin")
    ]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        results.append(json.loads(out))
    assert sorted(next(iter(r)) for r in results) == ["conflict", "ok"]
    conflict = next(r for r in results if "conflict" in r)
    assert "保存冲突" in conflict["message"] and "没有丢失" in conflict["message"]
    with Store.open(db, kb_dir=kb) as store:
        revisions = store.revisions("card")
        assert sorted(r.spoken_text for r in revisions[1:]) == ["alice 的第二版", "erin 的第二版"]
        assert sorted(r.kind for r in revisions[1:]) == ["conflict", "draft"]
        head = store.revision("card")
        assert head.number == next(r["ok"] for r in results if "ok" in r)
        assert [e.action for e in store.history("card")][-2:] == ["save", "conflict"]


def _check_consistent(db: Path, kb: Path) -> list[int]:
    with Store.open(db, kb_dir=kb) as store:
        conn = store.conn
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        revisions = store.revisions("card")
        numbers = [r.number for r in revisions]
        assert numbers == list(range(1, len(numbers) + 1))  # no gaps, no duplicates
        for rev in revisions:  # no torn text
            assert rev.text_hash == hashlib.sha256(rev.spoken_text.encode()).hexdigest()
        head = store.article("card").head_revision
        assert head == max(r.number for r in revisions if r.kind == "draft")
        # every revision was committed together with its history entry, and only those
        logged = {(e.revision, e.text_hash) for e in store.history("card") if e.action in ("save", "conflict")}
        assert logged == {(r.number, r.text_hash) for r in revisions}
        assert store.verify_history() == []
        return numbers


def test_kill_9_in_the_middle_of_saving_leaves_a_consistent_store_that_lost_no_committed_save(tmp_path: Path) -> None:
    db, kb = _prepared(tmp_path)
    for delay in (0.0, 0.013, 0.037):
        proc = subprocess.Popen([PY, "-c", SAVE_FOREVER, str(db), str(kb)], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=_env())
        assert proc.stdout is not None
        acknowledged = [int(proc.stdout.readline()) for _ in range(3)]  # it is saving in a loop now
        time.sleep(delay)
        os.kill(proc.pid, signal.SIGKILL)
        rest, _ = proc.communicate(timeout=30)
        acknowledged += [int(x) for x in rest.split()]
        assert proc.returncode == -signal.SIGKILL
        numbers = _check_consistent(db, kb)
        assert max(acknowledged) in numbers  # a save that returned is never lost
    # and the store is still fully usable
    with Store.open(db, kb_dir=kb) as store:
        head = store.article("card").head_revision
        store.save("card", "杀不死的", base_revision=head, user="alice")


def test_many_processes_opening_a_fresh_store_at_once_migrate_it_exactly_once(tmp_path: Path) -> None:
    kb = make_kb(tmp_path)
    db = tmp_path / "fresh.db"
    start = str(time.time() + 2.0)
    procs = [subprocess.Popen([PY, "-c", OPEN_ONLY, str(db), str(kb), start], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, env=_env()) for _ in range(6)]
    for proc in procs:
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0 and out.strip() == "ok", err
    with Store.open(db, kb_dir=kb) as store:
        assert [e.action for e in store.history()] == ["migrate"]
