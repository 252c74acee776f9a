"""How much a full rewrite helps: read-aloud time and readiness before/after, per sample article.

A full rewrite takes the first suggestion of every finding plus every structure helper (what
``kbtool rewrite ID`` prints). Agent-only instructions stay as written by default, as in the
command; ``--agent-too`` rewrites them as well.

    python benchmarks/rewrite_report.py [KB_DIR] [--agent-too] [--no-helpers] [--today 2026-06-01] [--style NAME]

Prints medians (and the per-article table with --verbose).
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kbtool.cli import _load_detector  # noqa: E402
from kbtool.commands.rewrite import build_draft  # noqa: E402
from kbtool.services.kb import load_articles  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kb", nargs="?", default=str(ROOT / "kb"))
    parser.add_argument("--agent-too", action="store_true")
    parser.add_argument("--no-helpers", action="store_true", help="only the pack's own suggestions")
    parser.add_argument("--today", default=None, help="reference date (default: today)")
    parser.add_argument("--style", default=None)
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    today = dt.date.fromisoformat(args.today) if args.today else dt.date.today()
    detector = _load_detector(args.style)
    load = load_articles([Path(args.kb)])
    rows = []
    for article in load.articles:
        started = time.perf_counter()
        _, rendered, _, cmp, facts = build_draft(detector, article, today, helpers=not args.no_helpers, agent_too=args.agent_too)
        elapsed = time.perf_counter() - started
        rows.append((article.id, cmp, facts, elapsed, len(rendered.applied)))
        if args.verbose:
            b, a = cmp.before, cmp.after
            print(f"{article.id:<44} readiness {b.readiness:>3} → {a.readiness:<3} "
                  f"time {b.read_aloud_seconds:>6} → {a.read_aloud_seconds:<6}s ({-cmp.time_saved_share:+.1%}) "
                  f"findings {cmp.findings_before:>3} → {cmp.findings_after:<3} facts lost/changed {len(facts.problems())}")
    if not rows:
        print("no articles found", file=sys.stderr)
        return 2

    def med(values):  # type: ignore[no-untyped-def]
        return statistics.median(values)

    n = len(rows)
    print(f"articles: {n} ({args.kb}; agent text {'rewritten' if args.agent_too else 'left as written'}; "
          f"{'no structure helpers' if args.no_helpers else 'with structure helpers'}; "
          f"speaking rate {detector.pack.settings.speaking_rate} chars/min)")
    print(f"median readiness:            {med([r[1].before.readiness for r in rows]):.0f} → {med([r[1].after.readiness for r in rows]):.0f}"
          f"  (median gain {med([r[1].readiness_gain for r in rows]):+.0f})")
    print(f"median read-aloud time:      {med([r[1].before.read_aloud_seconds for r in rows]):.1f} s → "
          f"{med([r[1].after.read_aloud_seconds for r in rows]):.1f} s  (median change {-med([r[1].time_saved_share for r in rows]):+.1%})")
    print(f"median word-level findings:  {med([r[1].findings_before for r in rows]):.0f} → {med([r[1].findings_after for r in rows]):.0f}")
    print(f"median long-sentence share:  {med([r[1].before.long_sentence_share for r in rows]):.2f} → "
          f"{med([r[1].after.long_sentence_share for r in rows]):.2f}")
    print(f"median suggestions applied:  {med([r[4] for r in rows]):.0f}")
    lost = sum(len(r[2].problems()) for r in rows)
    total = sum(len(r[2].checks) for r in rows)
    print(f"fact check of the drafts:    {total - lost}/{total} facts kept ({lost} lost or changed)")
    print(f"median time per article:     {med([r[3] for r in rows]) * 1000:.0f} ms (rewrite + two checks + fact check)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
