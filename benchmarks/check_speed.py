"""Throughput of `kbtool check` beside bare jieba.lcut on the same text, in the same run.

    python benchmarks/check_speed.py [--articles 10000] [--repeat 3]

Prints characters per second for: bare jieba.lcut (the reference), the full check pipeline
(read + decode + parse + detect + metrics, one file at a time), and their ratio; the same
check in one process per CPU (what `kbtool check` does from 200 files on); then the median
time to re-check one edited 2,000-character article (the editor's live highlighting).
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from _corpus import generate_kb, sample_sentences

from kbtool.core.detect import Detector
from kbtool.services.checking import check_paths
from kbtool.services.kb import iter_files, read_article
from kbtool.services.packs import load_pack


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    import jieba

    jieba.initialize()
    t0 = time.perf_counter()
    detector = Detector(load_pack())
    print(f"pack: {len(detector.rules)} rules; detector built in {time.perf_counter() - t0:.2f} s")

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "kb"
        total = generate_kb(root, args.articles)
        texts = [read_article(p).text for p in iter_files([root], [])]
        chars = sum(len(t) for t in texts)
        print(f"generated {args.articles} articles, {chars:,} characters")
        jobs = os.cpu_count() or 1
        jieba_times, check_times, parallel_times = [], [], []
        for _ in range(args.repeat):
            t = time.perf_counter()
            for text in texts:
                jieba.lcut(text)
            jieba_times.append(time.perf_counter() - t)
            t = time.perf_counter()
            run = check_paths([root], detector)
            check_times.append(time.perf_counter() - t)
            t = time.perf_counter()
            check_paths([root], detector, jobs=jobs)  # what `kbtool check` does by default
            parallel_times.append(time.perf_counter() - t)
        findings = sum(len(r.findings) for r in run.reports)
        j, c = statistics.median(jieba_times), statistics.median(check_times)
        print(f"jieba.lcut      : {chars / j:12,.0f} chars/s  (median of {args.repeat}: {j:.2f} s)")
        print(f"kbtool check    : {chars / c:12,.0f} chars/s  (median of {args.repeat}: {c:.2f} s, {findings:,} findings)")
        rounds = ", ".join(f"{ct / jt:.2f}" for ct, jt in zip(check_times, jieba_times, strict=True))
        print(f"ratio check/jieba time: {c / j:.2f}  (goal <= 1.0; both on one core; each round: {rounds})")
        p = statistics.median(parallel_times)
        print(f"kbtool check, {jobs} processes (the CLI default): {chars / p:,.0f} chars/s, ratio to one-core jieba {p / j:.2f}")
        del total

    sentences = sample_sentences()
    article = ""
    i = 0
    while len(article) < 2000:
        article += sentences[i % len(sentences)]
        i += 1
    article = article[:2000]
    times = []
    for k in range(50):
        edited = article[:1000] + ("本行" if k % 2 else "我们") + article[1000:]
        t = time.perf_counter()
        detector.check(edited)
        times.append(time.perf_counter() - t)
    print(f"re-check one 2,000-char article: median {statistics.median(times) * 1000:.1f} ms, "
          f"p95 {sorted(times)[int(len(times) * 0.95)] * 1000:.1f} ms (goal <= 30 ms)")


if __name__ == "__main__":
    main()
