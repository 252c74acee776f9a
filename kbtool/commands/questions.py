"""Questions on the command line: suggestions learned from agents' searches, duplicates, and
``kbtool opened`` to tell the log which answer a search led to.

    kbtool questions suggest [--format json]     questions to add (from opened answers) and gaps
    kbtool questions accept SUGGESTION_ID        add it to the article's questions (a new draft)
    kbtool questions dismiss SUGGESTION_ID       never suggest it (or near duplicates) again
    kbtool questions dupes [--format json]       the same question under two answers, or nearly
    kbtool questions changes ID                  questions a draft adds, for the reviewer
    kbtool questions log [--limit N]             what the log holds (masked), to check privacy
    kbtool opened QUERY_ID ID [--copied]         the agent opened answer ID after search QUERY_ID
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kbtool.commands.plumbing import format_option, integer, number_in, print_json, store_options


def _open(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    """Store (synced when kb/ changed) and query log for ``args``."""
    from kbtool.services.querylog import QueryLog
    from kbtool.services.store import Store

    store = Store.open(Path(args.db) if args.db else None, kb_dir=Path(args.kb))
    try:
        if Path(args.kb).is_dir() and store.needs_sync():
            store.sync(user=args.user)
        return store, QueryLog.open(store, style=getattr(args, "style", None))
    except BaseException:
        store.close()
        raise


# -- suggest ----------------------------------------------------------------------------------

def cmd_suggest(args: argparse.Namespace) -> int:
    from kbtool.core.masking import MASK

    store, log = _open(args)
    with store, log:
        report = log.suggestions(min_count=args.min_count)
    if args.limit:
        report.suggestions = report.suggestions[:args.limit]
        report.gaps = report.gaps[:args.limit]
    if args.format == "json":
        print_json(report.to_dict())
        return 0
    if report.suggestions:
        print("建议补充的问法（坐席这样搜、打开了这篇答案，但答案的问法里没有）：")
        for s in report.suggestions:
            others = [t for t, _ in s.wordings if t != s.question][:3]
            also = f"  另有：{' / '.join(others)}" if others else ""
            masked = "  （含遮盖的号码：接受时用 --as 写成不带号码的问法）" if MASK in s.question else ""
            print(f"  {s.id}  {s.searches:>4} 次  「{s.question}」 → {s.article_id}（{s.title}）{also}{masked}")
    if report.gaps:
        print("知识库缺口（搜了但没有打开任何答案）：")
        for g in report.gaps:
            others = [t for t, _ in g.wordings if t != g.question][:3]
            also = f"  另有：{' / '.join(others)}" if others else ""
            print(f"  {g.id}  {g.searches:>4} 次  「{g.question}」{also}")
    print(f"共 {report.searches} 条查询记录：{len(report.suggestions)} 条问法建议，{len(report.gaps)} 个缺口"
          "（kbtool questions accept 编号 / dismiss 编号）", file=sys.stderr)
    return 0


def cmd_accept(args: argparse.Namespace) -> int:
    store, log = _open(args)
    with store, log:
        if args.article:
            done = log.accept_for(args.suggestion_id, args.article, user=args.user, question=args.as_text)
            article_id = args.article
        else:
            done = log.accept(args.suggestion_id, user=args.user, question=args.as_text)
            article_id = done.suggestion.article_id
    note = "（这篇还没有口语稿：草稿从原文开始，请改成口语后再提交审核）" if done.started_from_source else ""
    print(f"{article_id}: 已把问法「{done.question}」加入草稿 r{done.revision}{note}；"
          f"提交审核后生效（kbtool draft submit {article_id}）", file=sys.stderr)
    return 0


def cmd_dismiss(args: argparse.Namespace) -> int:
    store, log = _open(args)
    with store, log:
        item = log.dismiss(args.suggestion_id, user=args.user)
    print(f"{item.id}: 已忽略「{item.question}」，以后不再建议（包括相近的说法）", file=sys.stderr)
    return 0


def cmd_changes(args: argparse.Namespace) -> int:
    store, log = _open(args)
    with store, log:
        changes = log.question_changes(args.id, args.revision)
    if args.format == "json":
        print_json(changes.to_dict())
        return 0
    rev = f"r{changes.revision}" if changes.revision else "（无草稿）"
    print(f"{args.id} {rev} 的问法：")
    for q in changes.source:
        print(f"    {q}")
    for q in changes.proposed:
        print(f"  {'+' if q in changes.added else ' '} {q}")
    for q in changes.removed:
        print(f"  - {q}")
    return 0


def cmd_log(args: argparse.Namespace) -> int:
    store, log = _open(args)
    with store, log:
        rows = log.searches(args.limit)
    if args.format == "json":
        print_json(rows)
        return 0
    for r in rows:
        opened = "、".join(f"{o['id']}{'（复制）' if o['action'] == 'copy' else ''}" for o in r["opened"]) or "-"  # type: ignore[index]
        print(f"{r['id']:>6}  {str(r['at'])[:19]}  {r['user']}  「{r['query']}」 → {opened}")
    return 0


# -- dupes ------------------------------------------------------------------------------------

def cmd_dupes(args: argparse.Namespace) -> int:
    from kbtool.core import questions as qcore
    from kbtool.services.kb import load_articles

    kb = Path(args.kb)
    loaded = load_articles([kb])
    for problem in loaded.problems:
        print(f"kbtool: {problem}", file=sys.stderr)
    learned = _learned(args) if not args.files_only else {}
    sites = qcore.sites_of(loaded.articles, learned)
    exact = qcore.duplicate_questions(sites)
    near = qcore.near_duplicate_questions(sites, args.min_score) if not args.exact_only else []
    if args.format == "json":
        print_json({"duplicates": [d.to_dict() for d in exact], "near": [d.to_dict() for d in near]})
    else:
        for d in [*exact, *near]:
            for site in d.sites:
                print(f"{site.where()}: {site.article_id}「{site.question}」")
            print(f"  {'重复' if d.exact else '相近'}：{d.message()}")
        print(f"{len(loaded.articles)} 篇文章，{len(sites)} 个问法：{len(exact)} 个重复，{len(near)} 组相近", file=sys.stderr)
    if loaded.problems:
        return 2
    return 1 if exact else 0


def _learned(args: argparse.Namespace) -> dict[str, tuple[str, ...]]:
    """Approved questions from the store, when there is one (dupes also works on bare files)."""
    from kbtool.services.store import default_db_path

    db = Path(args.db) if args.db else default_db_path(Path(args.kb))
    if not db.exists():
        return {}
    store, log = _open(args)
    with store, log:
        return log.learned_questions()


# -- opened -----------------------------------------------------------------------------------

def cmd_opened(args: argparse.Namespace) -> int:
    store, log = _open(args)
    with store, log:
        log.opened(args.query_id, args.id, action="copy" if args.copied else "open", user=args.user)
    print(f"已记录：查询 {args.query_id} → {args.id}", file=sys.stderr)
    return 0


# -- parser -----------------------------------------------------------------------------------

def register(sub: Any, common: Callable[[argparse.ArgumentParser], None]) -> None:
    q = sub.add_parser("questions", help="来电人的问法：从查询中学到的建议、重复的问法",
                       description="来电人的问法（标准问/相似问）：从坐席查询中学到的建议、知识库缺口、重复的问法。")
    q_sub = q.add_subparsers(dest="questions_command", required=True, metavar="子命令")

    p = q_sub.add_parser("suggest", help="建议补充的问法（从打开了答案的查询中学到）和知识库缺口",
                         description="建议补充的问法：坐席这样搜、打开了某篇答案，但答案的问法里没有；以及知识库缺口：搜了但没有打开任何答案。")
    store_options(p)
    format_option(p)
    common(p)
    p.add_argument("--min-count", type=number_in(1), default=1, metavar="N", help="只看至少被搜过 N 次的说法")
    p.add_argument("--limit", type=number_in(0), default=0, metavar="N", help="最多显示 N 条建议和 N 个缺口（0：全部）")
    p.set_defaults(func=cmd_suggest)

    p = q_sub.add_parser("accept", help="把建议的问法加入它的文章（存为新的草稿修订）",
                         description="把建议的问法加入它的文章，存为新的草稿修订；提交审核、通过后生效。")
    p.add_argument("suggestion_id", metavar="建议编号", help="kbtool questions suggest 列出的编号")
    p.add_argument("--as", dest="as_text", metavar="文本", help="加入这个说法，而不是建议的说法")
    p.add_argument("--article", metavar="ID", help="加入这篇文章（缺口必须指定）")
    store_options(p)
    common(p)
    p.set_defaults(func=cmd_accept)

    p = q_sub.add_parser("dismiss", help="忽略这个说法，以后不再建议（包括相近的说法）",
                         description="忽略这个说法，以后不再建议（包括相近的说法）。")
    p.add_argument("suggestion_id", metavar="建议编号", help="kbtool questions suggest 列出的编号")
    store_options(p)
    common(p)
    p.set_defaults(func=cmd_dismiss)

    p = q_sub.add_parser("dupes", help="出现在两篇答案下的相同或相近问法",
                         description="找出出现在两篇答案下的相同问法（重复）或几乎相同的问法（相近）。")
    store_options(p)
    format_option(p)
    common(p)
    p.add_argument("--exact-only", action="store_true", help="只看规范化后完全相同的问法")
    p.add_argument("--files-only", action="store_true", help="只看 kb/ 文件里的问法（不含审核数据库里已通过的）")
    p.add_argument("--min-score", type=number_in(0, 100, float), default=86.0, metavar="S",
                   help="算作相近的相似度，0-100（默认 86）")
    p.set_defaults(func=cmd_dupes)

    p = q_sub.add_parser("changes", help="草稿增加或删除的问法（审核人要批准的）",
                         description="草稿增加或删除的问法（审核人要批准的）。")
    p.add_argument("id", metavar="ID", help="文章 ID")
    p.add_argument("--revision", type=integer, metavar="修订号", help="修订号（默认：最新的修订）")
    store_options(p)
    format_option(p)
    common(p)
    p.set_defaults(func=cmd_changes)

    p = q_sub.add_parser("log", help="查询日志，最新的在前（查询内容已脱敏保存）",
                         description="查询日志，最新的在前；查询内容是脱敏后保存的，可用来检查隐私。")
    p.add_argument("--limit", type=number_in(1), default=50, metavar="N", help="最多显示 N 条（默认 50）")
    store_options(p)
    format_option(p)
    common(p)
    p.set_defaults(func=cmd_log)

    p = sub.add_parser("opened", help="记录坐席在某次查询后打开了哪篇答案（查询编号来自 kbtool search）",
                       description="记录坐席在查询编号那次查询之后打开了答案 ID（查询编号由 kbtool search 给出）。")
    p.add_argument("query_id", type=integer, metavar="查询编号", help="kbtool search 给出的查询编号")
    p.add_argument("id", metavar="ID", help="打开的答案（文章 ID）")
    p.add_argument("--copied", action="store_true", help="答案是复制的，不是打开的")
    store_options(p)
    common(p)
    p.set_defaults(func=cmd_opened)
