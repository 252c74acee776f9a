"""Cost of the search log and of `kbtool questions suggest`.

    python benchmarks/questions_bench.py [--searches 100000] [--repeat 3]

1. Logging overhead per search (goal: at most 1 ms): median and p95 of ``QueryLog.log_search``
   (mask with the default pack's patterns, normalise, insert) on a store over the sample kb/,
   and the median of a full search with and without the logging listener.
2. ``questions suggest`` over N logged searches (goal: at most 5 s for 100,000): the log is
   filled with wordings built from tests/data/agent_sessions.yml and the articles' questions —
   filler, small slips, masked numbers, repeats with a long tail — 70 % followed by the right
   answer opened, 5 % by a wrong one, 25 % by nothing (gaps); then the median of
   ``QueryLog.suggestions()`` in process, and of the whole command (`kbtool questions suggest
   --format json`, a fresh process) over the same database.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from kbtool.core.questions import core_key
from kbtool.services.kb import load_articles
from kbtool.services.querylog import QueryLog, SearchLogger, masking_patterns
from kbtool.services.search import open_index
from kbtool.services.store import Store, now_iso

ROOT = Path(__file__).resolve().parent.parent
KB = ROOT / "kb"
SESSIONS = ROOT / "tests" / "data" / "agent_sessions.yml"

LEAD = ["", "", "", "请问", "你好", "我想问一下", "那个", "客户说"]
TAIL = ["", "", "", "怎么办", "咋办", "吗", "呢", "啊", "怎么弄"]
INSERT = ["我的", "就是", "那个", "这个", "现在", "一直", "他们", "刚才", "又", "都"]
SLIP = {"卡": "咔", "还": "环", "费": "废", "号": "好", "失": "实", "码": "马", "账": "帐", "网": "往"}
GAPS = ["怎么开发票", "车贷怎么申请", "保险退保", "公积金怎么取", "存款利率多少", "保险箱怎么租", "金条怎么买",
        "手机屏幕碎了能修吗", "快递怎么寄", "社保卡怎么激活", "医保报销", "信用报告怎么打印", "基金怎么赎回"]


def _p95(values: list[float]) -> float:
    return sorted(values)[int(0.95 * (len(values) - 1))]


def wordings(rng: random.Random) -> tuple[list[tuple[str, str | None]], list[float]]:
    """(base wording, answer) pairs with Zipf-like weights: a few wordings very common, a long tail."""
    data = yaml.safe_load(SESSIONS.read_text(encoding="utf-8"))
    pairs: list[tuple[str, str | None]] = []
    for intent in data["intents"]:
        pairs += [(q, intent["id"]) for q in intent["searches"] + intent["held_out"]]
    for art in load_articles([KB]).articles:
        pairs += [(q, art.id) for q in art.questions]
    pairs += [(q, None) for q in GAPS + list(data["gaps"])]
    rng.shuffle(pairs)
    weights = [1.0 / (rank + 1) ** 0.8 for rank in range(len(pairs))]
    return pairs, weights


def variant(base: str, rng: random.Random) -> str:
    if rng.random() < 0.3 and len(base) > 3:  # a word slipped in: 我的 / 就是 / 那个 …
        at = rng.randrange(1, len(base))
        base = base[:at] + rng.choice(INSERT) + base[at:]
    text = rng.choice(LEAD) + base + rng.choice(TAIL)
    roll = rng.random()
    if roll < 0.15:  # a pinyin-input slip
        hits = [i for i, ch in enumerate(text) if ch in SLIP]
        if hits:
            i = rng.choice(hits)
            text = text[:i] + SLIP[text[i]] + text[i + 1:]
    elif roll < 0.20:  # the caller read out a number
        text = f"卡号{rng.randrange(10**15, 10**16)}{text}" if rng.random() < 0.5 else f"{text}手机{rng.randrange(13 * 10**9, 19 * 10**9)}"
    return text


def fill(log: QueryLog, n: int, rng: random.Random, answers: list[str]) -> None:
    """N logged searches, written in bulk with exactly the columns log_search writes (masked
    query and its core key): going through log_search would only make filling slower."""
    from kbtool.core.masking import mask

    pairs, weights = wordings(rng)
    rows, opens = [], []
    start = time.time() - 80 * 86400
    for i in range(n):
        base, answer = rng.choices(pairs, weights)[0]
        query = mask(variant(base, rng), log.masking)
        roll = rng.random()
        opened = None if answer is None or roll < 0.20 else (rng.choice(answers) if roll < 0.25 else answer)
        at = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(start + i * 80 * 86400 / n)) + ".000000+00:00"
        rows.append((i + 1, at, f"agent{i % 40:02d}", "tui", query, core_key(query), json.dumps([answer] if answer else [])))
        if opened:
            opens.append((i + 1, opened, "open", at, f"agent{i % 40:02d}"))
    with log._write() as conn:
        conn.executemany("INSERT INTO querylog_searches (id, at, user_name, source, query, query_core, shown)"
                         " VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
        conn.executemany("INSERT INTO querylog_opens (search_id, article_id, action, at, user_name) VALUES (?, ?, ?, ?, ?)", opens)


def bench_logging(tmp: Path, repeat: int) -> None:
    kb = tmp / "kb"
    shutil.copytree(KB, kb)
    store = Store.open(tmp / "log.db", kb)
    store.sync()
    log = QueryLog(store, masking_patterns())
    rng = random.Random(1)
    pairs, weights = wordings(rng)
    queries = [variant(rng.choices(pairs, weights)[0][0], rng) for _ in range(2000)]
    ids = [a.id for a in store.answers()]
    for q in queries[:50]:  # warm up caches (OpenCC, regexes)
        log.log_search(q, ids[:5])
    per_call = []
    for q in queries:
        t = time.perf_counter()
        log.log_search(q, ids[:5], opened=ids[0])
        per_call.append((time.perf_counter() - t) * 1000)
    print(f"log_search: {len(per_call)} calls, median {statistics.median(per_call):.3f} ms, mean {statistics.mean(per_call):.3f} ms,"
          f" p95 {_p95(per_call):.3f} ms (mask + normalise + insert, synchronous=NORMAL on its own connection;"
          f" load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)")

    plain = open_index(store, kb)
    plain.refresh()
    logged = open_index(store, kb, listeners=[SearchLogger(log, source="tui")])
    sample = queries[:300]
    with_log, without = [], []
    for _ in range(repeat):
        for q in sample:
            t = time.perf_counter()
            plain.search(q)
            without.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            logged.search(q)
            with_log.append((time.perf_counter() - t) * 1000)
    print(f"search: median {statistics.median(without):.2f} ms without the log, {statistics.median(with_log):.2f} ms with it"
          f" (difference {statistics.median(with_log) - statistics.median(without):+.2f} ms; {len(sample)} queries x {repeat})")
    log.close()
    store.close()


def bench_suggest(tmp: Path, n: int, repeat: int) -> None:
    kb = tmp / "kb"
    db = tmp / "suggest.db"
    store = Store.open(db, kb)
    store.sync()
    log = QueryLog(store, masking_patterns())
    answers = [a.id for a in store.answers()]
    t = time.perf_counter()
    fill(log, n, random.Random(2), answers)
    distinct = log.conn.execute("SELECT COUNT(DISTINCT query_core) FROM querylog_searches").fetchone()[0]
    print(f"filled {n:,} logged searches ({distinct:,} distinct wordings after normalisation) in {time.perf_counter() - t:.1f} s")
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        report = log.suggestions()
        times.append(time.perf_counter() - t)
    print(f"QueryLog.suggestions(): median {statistics.median(times):.2f} s (runs: {', '.join(f'{x:.2f}' for x in times)});"
          f" {len(report.suggestions)} suggestions, {len(report.gaps)} gaps;"
          f" top: 「{report.suggestions[0].question}」×{report.suggestions[0].searches} → {report.suggestions[0].article_id}")
    log.close()
    store.close()
    cli = []
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    for _ in range(repeat):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-m", "kbtool", "questions", "suggest", "--format", "json", "--kb", str(kb), "--db", str(db)],
                       check=True, stdout=subprocess.DEVNULL, env=env, cwd=ROOT)
        cli.append(time.perf_counter() - t)
    print(f"kbtool questions suggest --format json: median {statistics.median(cli):.2f} s wall, new process each time")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--searches", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"{now_iso()[:19]}  python {sys.version.split()[0]}  {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory() as tmp:
        bench_logging(Path(tmp), args.repeat)
        bench_suggest(Path(tmp), args.searches, args.repeat)


if __name__ == "__main__":
    main()
