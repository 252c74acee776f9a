"""Load test of the review store: writers and readers in separate processes on one store.

    /tmp/venv/bin/python benchmarks/store_load.py [--articles 5000] [--seconds 30] [--writers 4] [--readers 20]

Builds a knowledge base of generated articles, syncs it, then for ``--seconds`` runs writer
processes (save on top of the head they just read, some submits and approvals; racing saves end
in conflict copies) and reader processes (an article and its current revision, its history, and
as a search index does, a full answers() reload when the generation moved). Each writer logs
every save the store acknowledged; afterwards every one of them must be in the store with the
same text hash, revision numbers must have no gaps, the head must be the newest draft, every
revision must have its history entry, the hash chain must hold and SQLite's integrity check must
pass. Prints ops/s and median/p95 latencies.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing as mp
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _corpus import generate_kb

from kbtool.services.store import ConflictError, Store, StoreError

HOT = 50  # writers pick from a small hot set half of the time, so saves really race
REFRESH = 5.0  # seconds between a reader's full reloads of answers() (a search index refreshing)


def _pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def writer(index: int, db: str, kb: str, ids: list[str], until: float, out: str) -> None:
    rng = random.Random(index)
    user = f"writer{index}"
    store = Store.open(Path(db), kb_dir=Path(kb))
    acked: list[dict[str, object]] = []
    lat: dict[str, list[float]] = {"save": [], "submit": [], "approve": []}
    counts = {"save": 0, "conflict": 0, "submit": 0, "approve": 0, "refused": 0}
    seq = 0
    mine: list[str] = []
    while time.time() < until:
        art_id = rng.choice(ids[:HOT]) if rng.random() < 0.5 else rng.choice(ids)
        roll = rng.random()
        t0 = time.perf_counter()
        try:
            if roll < 0.8:
                seq += 1
                head = store.article(art_id).head_revision
                text = f"{user} 第{seq}稿：" + "卡丢了请尽快打客服电话挂失，挂失后带身份证去网点补卡。" * rng.randint(2, 12)
                try:
                    rev = store.save(art_id, text, base_revision=head, user=user, decisions={"seq": seq})
                    counts["save"] += 1
                    acked.append({"id": art_id, "number": rev.number, "kind": "draft", "hash": rev.text_hash})
                    mine = [*mine[-19:], art_id]
                except ConflictError as exc:
                    counts["conflict"] += 1
                    acked.append({"id": art_id, "number": exc.copy.number, "kind": "conflict", "hash": exc.copy.text_hash})
                lat["save"].append(time.perf_counter() - t0)
            elif roll < 0.9:
                # an editor submits one of their own recent drafts
                store.submit(rng.choice(mine) if mine else art_id, user=user)
                counts["submit"] += 1
                lat["submit"].append(time.perf_counter() - t0)
            else:
                # a reviewer takes something from the review queue
                queue = store.articles(states=("in_review",))
                # generated drafts do not keep the source's facts: the override is part of the load
                store.approve(rng.choice(queue).id if queue else art_id, user=user, override_facts="压力测试")
                counts["approve"] += 1
                lat["approve"].append(time.perf_counter() - t0)
        except StoreError:
            counts["refused"] += 1  # wrong state, own revision: the rules at work, not a failure
    store.close()
    Path(out).write_text(json.dumps({"acked": acked, "counts": counts, "lat": lat}), encoding="utf-8")


def reader(index: int, db: str, kb: str, ids: list[str], until: float, out: str) -> None:
    rng = random.Random(1000 + index)
    store = Store.open(Path(db), kb_dir=Path(kb))
    lat: dict[str, list[float]] = {"read": [], "history": [], "generation": [], "answers": []}
    seen, refreshed = -1, 0.0
    while time.time() < until:
        art_id = rng.choice(ids[:HOT]) if rng.random() < 0.5 else rng.choice(ids)
        roll = rng.random()
        t0 = time.perf_counter()
        if roll < 0.94:
            art = store.article(art_id)
            if art.head_revision is not None:
                rev = store.revision(art_id, art.head_revision)
                if hashlib.sha256(rev.spoken_text.encode()).hexdigest() != rev.text_hash:
                    raise SystemExit(f"corrupted revision read: {art_id} r{rev.number}")
            lat["read"].append(time.perf_counter() - t0)
        elif roll < 0.99:
            store.history(art_id)
            lat["history"].append(time.perf_counter() - t0)
        else:
            # what a search index does: watch the generation, reload every answer when it moved
            # (at most every REFRESH seconds, as an index would batch refreshes)
            generation = store.generation()
            lat["generation"].append(time.perf_counter() - t0)
            if generation != seen and time.time() - refreshed >= REFRESH:
                t0 = time.perf_counter()
                store.answers()
                lat["answers"].append(time.perf_counter() - t0)
                seen, refreshed = generation, time.time()
    store.close()
    Path(out).write_text(json.dumps({"lat": lat}), encoding="utf-8")


def verify(db: Path, kb: Path, acked: list[dict[str, object]]) -> list[str]:
    problems: list[str] = []
    with Store.open(db, kb_dir=kb) as store:
        conn = store.conn
        if conn.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            problems.append("integrity_check failed")
        rows = conn.execute("SELECT article_id, number, kind, spoken_text, text_hash FROM revisions").fetchall()
        stored = {(a, n): (k, h) for a, n, k, _, h in rows}
        for a, n, _, text, h in rows:
            if hashlib.sha256(text.encode()).hexdigest() != h:
                problems.append(f"corrupted text: {a} r{n}")
        for item in acked:
            key = (item["id"], item["number"])
            if stored.get(key) != (item["kind"], item["hash"]):  # type: ignore[comparison-overlap]
                problems.append(f"lost or altered: {key} {item['kind']}")
        by_article: dict[str, list[int]] = {}
        for a, n in stored:
            by_article.setdefault(a, []).append(n)
        for a, numbers in by_article.items():
            if sorted(numbers) != list(range(1, len(numbers) + 1)):
                problems.append(f"gap in revision numbers of {a}")
        for a, head in conn.execute("SELECT id, head_revision FROM articles WHERE head_revision IS NOT NULL"):
            newest = max(n for n in by_article[a] if stored[(a, n)][0] == "draft")
            if head != newest:
                problems.append(f"{a}: head r{head} is not the newest draft r{newest}")
        logged = {(a, r, h) for a, r, h in conn.execute(
            "SELECT article_id, revision, text_hash FROM audit WHERE action IN ('save', 'conflict')")}
        if logged != {(a, n, h) for (a, n), (_, h) in stored.items()}:
            problems.append("revisions and their history entries differ")
        problems += store.verify_history()
        if len(acked) != len(stored):
            problems.append(f"{len(stored)} revisions stored but {len(acked)} acknowledged")
    return problems


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--articles", type=int, default=5000)
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--writers", type=int, default=4)
    ap.add_argument("--readers", type=int, default=20)
    ap.add_argument("--dir", help="work here instead of a temporary folder (kept afterwards)")
    ap.add_argument("--no-writer-queue", action="store_true",
                    help="leave write contention to SQLite's busy handler alone (for comparison)")
    args = ap.parse_args()
    if args.no_writer_queue:
        import os

        os.environ["KBTOOL_NO_WRITER_QUEUE"] = "1"  # inherited by the worker processes

    work = Path(args.dir) if args.dir else Path(tempfile.mkdtemp(prefix="kbtool-store-load-"))
    kb, db = work / "kb", work / "store.db"
    t0 = time.perf_counter()
    generate_kb(kb, args.articles)
    t_gen = time.perf_counter() - t0
    t0 = time.perf_counter()
    with Store.open(db, kb_dir=kb) as store:
        report = store.sync(user="loader")
        t_sync = time.perf_counter() - t0
        t0 = time.perf_counter()
        store.needs_sync()
        t_check = time.perf_counter() - t0
        t0 = time.perf_counter()
        store.sync(user="loader")
        t_resync = time.perf_counter() - t0
        ids = [d.id for d in store.answers()]
    print(f"store: {len(report.new)} articles in {db} (generated in {t_gen:.1f} s); "
          f"first sync {t_sync:.2f} s, needs_sync {t_check * 1000:.1f} ms, no-op sync {t_resync * 1000:.0f} ms")

    ctx = mp.get_context("spawn")  # fresh interpreters, like separate users' processes
    start = time.time() + 3.0  # let every process import and open first
    until = start + args.seconds
    procs = []
    for i in range(args.writers):
        procs.append(ctx.Process(target=_delayed, args=(writer, start, i, str(db), str(kb), ids, until, str(work / f"w{i}.json"))))
    for i in range(args.readers):
        procs.append(ctx.Process(target=_delayed, args=(reader, start, i, str(db), str(kb), ids, until, str(work / f"r{i}.json"))))
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    failed = [p.exitcode for p in procs if p.exitcode != 0]
    if failed:
        print(f"FAILED: {len(failed)} processes exited with {failed}")
        return 1

    acked: list[dict[str, object]] = []
    counts: dict[str, int] = {}
    lat: dict[str, list[float]] = {}
    for i in range(args.writers):
        data = json.loads((work / f"w{i}.json").read_text(encoding="utf-8"))
        acked += data["acked"]
        for k, v in data["counts"].items():
            counts[k] = counts.get(k, 0) + v
        for k, v in data["lat"].items():
            lat.setdefault(k, []).extend(v)
    for i in range(args.readers):
        for k, v in json.loads((work / f"r{i}.json").read_text(encoding="utf-8"))["lat"].items():
            lat.setdefault(k, []).extend(v)
    secs = args.seconds
    writes = counts["save"] + counts["conflict"] + counts["submit"] + counts["approve"]
    for k in ("read", "history", "generation", "answers"):
        lat.setdefault(k, [])
    reads = sum(len(lat[k]) for k in ("read", "history", "generation", "answers"))
    print(f"{args.writers} writers: {writes / secs:.1f} writes/s ({counts['save']} saves, {counts['conflict']} conflict copies, "
          f"{counts['submit']} submits, {counts['approve']} approvals, {counts['refused']} refused by the rules)")
    print(f"{args.readers} readers: {reads / secs:.1f} reads/s ({len(lat['read'])} article+revision, "
          f"{len(lat['history'])} history, {len(lat['generation'])} generation checks, "
          f"{len(lat['answers'])} full answers() reloads)")
    for name in ("save", "submit", "approve", "read", "history", "generation", "answers"):
        values = lat.get(name, [])
        if values:
            print(f"  {name:<8} median {statistics.median(values) * 1000:7.1f} ms   p95 {_pct(values, 0.95) * 1000:7.1f} ms"
                  f"   n={len(values)}")
    problems = verify(db, kb, acked)
    print(f"verified {len(acked)} acknowledged revisions: {len(problems)} lost or corrupted")
    for problem in problems[:20]:
        print("  " + problem)
    print(f"work folder: {work}")
    return 1 if problems else 0


def _delayed(func, start: float, *args: object) -> None:  # type: ignore[no-untyped-def]
    time.sleep(max(0.0, start - time.time()))
    func(*args)


if __name__ == "__main__":
    sys.exit(main())
