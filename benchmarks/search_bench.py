"""Agent search over generated stores: index build time, memory, and query latency.

    /tmp/venv/bin/python benchmarks/search_bench.py [--sizes 10000 100000] [--queries 400]

Each size gets a fresh SQLite file (WAL, as the store opens it) indexed from generated answers
(``AnswerDoc``s handed straight to the index, not files synced through the store: this measures
search, benchmarks/store_load.py measures the store). Goals (issue 6, 2-core machine): p95 query
latency at most 20 ms at 10,000 answers and 100 ms at 100,000.

Generated answers: sentences of the sample KB reshuffled (~800 characters, the register of real
articles, so common words like 办理/客户 sit in nearly every answer: the hard case for a
candidate step), plus per-answer topic names drawn Zipf-like from ~40,000 invented two- and
three-character names (products, places) so the vocabulary grows with the KB as a real one does.
30% have an approved spoken version, 5% are stale, 10% are announcements, a third of them expired.

Queries: the labelled caller queries (tests/data/search_queries.yml: colloquial, typos, traditional,
very short) and the same number built from generated topics (``<topic>怎么办理``, ``<topic>挂实``).
Reported: median (p50) and p95 over all queries after a warm-up, plus the slowest query; both
wall-clock and CPU time of the process (the CPU figure is what the search costs when other
processes compete for this machine's two cores). The sample KB's own answers are mixed into each
generated store, and recall@5 of the labelled queries is reported against them: the candidate step
drops common words, and this shows what that costs among thousands of look-alike answers.

Memory is the peak resident set size (``getrusage`` ru_maxrss) of a process, so it counts what
tracemalloc would miss: SQLite's page cache, jieba's dictionary, the C side of rapidfuzz. Each size
runs in two fresh processes, so no figure carries the peak of an earlier phase or size: the build
(it holds every generated answer, as a refresh holds the store's answers) and the searches (a
process that opens the built index and only searches: what an agent's session costs).
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import json
import os
import random
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _corpus import sample_sentences

from kbtool.services.kb import load_articles
from kbtool.services.search import SearchIndex, load_synonyms, pack_synonyms
from kbtool.services.store import AnswerDoc

ROOT = Path(__file__).resolve().parent.parent
NAME_CHARS = (
    "瑞丰嘉禾安华泰康宁兴隆盛鑫源通达信诚汇金银宝福禄寿喜乐悦享优惠"
    "星月阳光海天山河湖城港湾桥东西南北中新旧春夏秋冬云雨雪风雷龙凤虎鹤松竹梅兰"
)
CATEGORIES = ["银行卡", "信用卡", "转账", "理财", "贷款", "账户", "宽带", "套餐", "流量", "漫游", "号码", "话费"]
SUFFIXES = ["办理须知", "业务说明", "收费标准", "处理指引", "常见问题", "服务规则", "开通方法", "调整公告"]
QUESTION_TEMPLATES = ["{t}怎么办理", "{t}要收费吗", "{t}在哪里办", "{t}多久能到账", "我想了解一下{t}"]


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def make_topics(rng: random.Random, count: int = 40000) -> list[str]:
    names: set[str] = set()
    while len(names) < count:
        size = 2 if rng.random() < 0.7 else 3
        names.add("".join(rng.choice(NAME_CHARS) for _ in range(size)))
    return sorted(names)


def zipf_pick(rng: random.Random, items: list[str]) -> str:
    # Rank r with probability ~ 1/r: a few topics everywhere, most rare.
    n = len(items)
    r = int(n ** rng.random())
    return items[min(n - 1, max(0, r - 1))]


def generate(n: int, seed: int = 11) -> tuple[list[AnswerDoc], list[str]]:
    rng = random.Random(seed)
    sentences = sample_sentences()
    topics = make_topics(rng)
    docs: list[AnswerDoc] = []
    used_topics: list[str] = []
    for i in range(n):
        topic = zipf_pick(rng, topics)
        other = zipf_pick(rng, topics)
        category = rng.choice(CATEGORIES)
        parts, size = [], 0
        while size < 800:
            s = rng.choice(sentences)
            if rng.random() < 0.15:
                s = f"{topic}{s}" if rng.random() < 0.5 else f"{s}{other}"
            parts.append(s)
            size += len(s)
        body = "\n".join(parts)
        roll = rng.random()
        status = "approved" if roll < 0.30 else "stale" if roll < 0.35 else "none"
        spoken = "".join(rng.choice(sentences) for _ in range(3)) if status in ("approved", "stale") else None
        kind = "announcement" if rng.random() < 0.10 else "article"
        docs.append(AnswerDoc(
            id=f"gen-{i:06d}", title=f"{topic}{category}{rng.choice(SUFFIXES)}", kind=kind, category=category,
            tags=(topic, category), questions=tuple(t.format(t=topic) for t in rng.sample(QUESTION_TEMPLATES, 3)),
            source_text=body, spoken_text=spoken, status=status, expired=kind == "announcement" and rng.random() < 0.33,
            verbatim=(), source_hash=f"{i}", path=f"gen/{i}.md",
        ))
        used_topics.append(topic)
    return docs, used_topics


class Source:
    def __init__(self, docs: list[AnswerDoc]) -> None:
        self.docs = docs
        self.gen = 1

    def generation(self) -> int:
        return self.gen

    def answers(self, include_expired: bool = True) -> list[AnswerDoc]:
        return self.docs


def sample_answers(day: object) -> list[AnswerDoc]:
    """The sample KB as the store would hand it over (no spoken versions yet)."""
    out = []
    for art in load_articles([ROOT / "kb"]).articles:
        out.append(AnswerDoc(
            id=art.id, title=art.title, kind=art.kind, category=art.category, tags=art.tags, questions=art.questions,
            source_text=art.body, spoken_text=None, status="none", expired=art.is_expired(day),  # type: ignore[arg-type]
            verbatim=tuple(art.verbatim_texts), source_hash=art.content_hash, path=art.path,
        ))
    return out


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rss_mb() -> float:
    """Resident set size now."""
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def open_db(db: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(str(db), isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    return conn


def build(n: int, workdir: Path) -> dict[str, object]:
    """Generate, index, refresh (nothing changed, then 10 answers changed); write the query list."""
    labelled = yaml.safe_load((ROOT / "tests/data/search_queries.yml").read_text(encoding="utf-8"))
    t0 = time.perf_counter()
    docs, topics = generate(n)
    docs += sample_answers(labelled["day"])
    gen_s = time.perf_counter() - t0
    chars = sum(len(d.source_text) for d in docs)
    db = workdir / f"search-{n}.db"
    conn = open_db(db)
    source = Source(docs)
    synonyms = load_synonyms(ROOT / "kb") + pack_synonyms(conn)
    rss_before = peak_rss_mb()
    index = SearchIndex(conn, source, synonyms)
    t0, c0 = time.perf_counter(), time.process_time()
    report = index.refresh()
    build_s, build_cpu = time.perf_counter() - t0, time.process_time() - c0
    rss_build = peak_rss_mb()
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # the build is one transaction: all of it sits in the WAL
    size_mb = sum(p.stat().st_size for p in workdir.glob(f"search-{n}.db*")) / 1e6

    t0 = time.perf_counter()
    skipped = index.refresh()
    noop_ms = (time.perf_counter() - t0) * 1000
    rng = random.Random(5)
    for i in rng.sample(range(n), 10):
        d = docs[i]
        docs[i] = dataclasses.replace(d, source_text=d.source_text + "新增一句：口头挂失五天内有效。", source_hash=f"{d.source_hash}+")
    source.gen += 1
    t0 = time.perf_counter()
    incr = index.refresh()
    incr_s = time.perf_counter() - t0
    assert skipped.skipped and incr.updated == 10, (skipped, incr)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()

    caller_queries = [item["q"] for item in labelled["queries"]]
    generated = []
    for _ in range(len(caller_queries)):
        topic = rng.choice(topics)
        generated.append(rng.choice([f"{topic}怎么办理", f"{topic}挂实了", f"{topic}收费", f"{topic}", f"我想问{topic}的手续费"]))
    return {
        "n": n, "sample": len(docs) - n, "chars": chars, "gen_s": gen_s, "build_s": build_s, "build_cpu": build_cpu,
        "added": report.added, "rss_docs": rss_before, "rss_build": rss_build, "size_mb": size_mb,
        "noop_ms": noop_ms, "incr_ms": incr_s * 1000, "db": str(db), "generation": source.gen,
        "queries": caller_queries + generated,
    }


class Opened:
    """The built index as a search process sees it: no answers in memory, nothing to refresh."""

    def __init__(self, generation: int) -> None:
        self.gen = generation

    def generation(self) -> int:
        return self.gen

    def answers(self, include_expired: bool = True) -> list[AnswerDoc]:
        raise AssertionError("a search process does not refresh here")


def query(built: dict[str, object], n_queries: int) -> dict[str, object]:
    """Open the built index in this fresh process and time the searches."""
    labelled = yaml.safe_load((ROOT / "tests/data/search_queries.yml").read_text(encoding="utf-8"))
    rss_start = rss_mb()
    conn = open_db(Path(str(built["db"])))
    synonyms = load_synonyms(ROOT / "kb") + pack_synonyms(conn)
    index = SearchIndex(conn, Opened(int(built["generation"])), synonyms)  # type: ignore[arg-type]
    hits = 0
    for item in labelled["queries"]:
        shown = index.search(item["q"], limit=5, include_expired=bool(item.get("all"))).shown
        hits += any(i in item["ids"] for i in shown)
    recall5 = hits / len(labelled["queries"])
    base: list[str] = list(built["queries"])  # type: ignore[call-overload]
    queries = base * (1 + n_queries // len(base))
    random.Random(5).shuffle(queries)
    queries = queries[:n_queries]
    for q in queries[:20]:  # warm-up: page cache, lazy imports (pypinyin)
        index.search(q)
    wall: list[tuple[float, str]] = []
    cpu: list[float] = []
    gc.collect()
    for q in queries:
        t0, c0 = time.perf_counter(), time.process_time()
        index.search(q, limit=10)
        cpu.append((time.process_time() - c0) * 1000)
        wall.append(((time.perf_counter() - t0) * 1000, q))
    conn.close()
    return {"wall": wall, "cpu": cpu, "recall5": recall5, "rss_start": rss_start, "rss_peak": peak_rss_mb()}


def child(phase: str, args: list[str]) -> dict[str, object]:
    """Run one phase in a fresh interpreter (its own peak RSS); it prints its figures as JSON."""
    out = subprocess.run([sys.executable, __file__, "--phase", phase, *args], check=True, stdout=subprocess.PIPE, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def bench(n: int, n_queries: int, workdir: Path) -> None:
    load_start = os.getloadavg()
    b = child("build", ["--sizes", str(n), "--workdir", str(workdir)])
    spec = workdir / f"built-{n}.json"
    spec.write_text(json.dumps(b, ensure_ascii=False), encoding="utf-8")
    r = child("query", ["--built", str(spec), "--queries", str(n_queries)])
    lat = [t for t, _ in r["wall"]]  # type: ignore[attr-defined]
    cpu: list[float] = r["cpu"]  # type: ignore[assignment]
    slowest = max(r["wall"])  # type: ignore[call-overload]
    chars, build_s = float(b["chars"]), float(b["build_s"])  # type: ignore[arg-type]
    print(f"\n== {n:,} generated answers + {b['sample']} sample ones ({chars / 1e6:.1f}M characters;"
          f" generated in {b['gen_s']:.1f} s)")
    print(f"index build      {build_s:8.1f} s   wall ({b['build_cpu']:.1f} s CPU; {b['added']:,} answers,"
          f" {chars / build_s / 1e6:.2f}M chars/s)")
    print(f"memory, build    {b['rss_build']:8.0f} MB  peak RSS of the build process"
          f" ({b['rss_docs']:.0f} MB before indexing: the generated answers and libraries)")
    print(f"memory, search   {r['rss_peak']:8.0f} MB  peak RSS of a process that opens the index and runs the queries"
          f" ({r['rss_start']:.0f} MB at its start)")
    print(f"database on disk {b['size_mb']:8.0f} MB")
    print(f"refresh, nothing changed    {b['noop_ms']:6.2f} ms")
    print(f"refresh, 10 answers changed {b['incr_ms']:6.0f} ms")
    print(f"query latency, {len(lat)} queries   wall: p50 {statistics.median(lat):.1f} ms  p95 {_pct(lat, 0.95):.1f} ms"
          f"   cpu: p50 {statistics.median(cpu):.1f} ms  p95 {_pct(cpu, 0.95):.1f} ms")
    print(f"slowest (wall)   {slowest[0]:.1f} ms  {slowest[1]!r}")
    print(f"labelled caller queries among them: recall@5 {r['recall5']:.3f}")
    print(f"load average at start {' '.join(f'{x:.1f}' for x in load_start)}, now"
          f" {' '.join(f'{x:.1f}' for x in os.getloadavg())} (2 cores)", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10000, 100000])
    parser.add_argument("--queries", type=int, default=400)
    parser.add_argument("--phase", choices=["build", "query"], help=argparse.SUPPRESS)
    parser.add_argument("--workdir", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--built", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase == "build":
        print(json.dumps(build(args.sizes[0], args.workdir), ensure_ascii=False))
        return
    if args.phase == "query":
        built = json.loads(args.built.read_text(encoding="utf-8"))
        print(json.dumps(query(built, args.queries), ensure_ascii=False))
        return
    with tempfile.TemporaryDirectory(prefix="kbtool-search-bench-") as tmp:
        for n in args.sizes:
            bench(n, args.queries, Path(tmp))
            for p in Path(tmp).glob(f"search-{n}.db*"):
                p.unlink()  # 100,000 answers take ~0.7 GB


if __name__ == "__main__":
    main()
