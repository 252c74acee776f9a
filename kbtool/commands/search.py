"""``kbtool search``: the agent's search, from the caller's own words.

    kbtool search QUERY [--limit N] [--format json] [--all] [--opened ID]

The first search in a repository just works: the store is created and synced from kb/ when it
is missing or out of date, and the search index is refreshed when the store changed (both are
near-instant when nothing did).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kbtool.commands.plumbing import number_in

DEFAULT_LIMIT = 5
MAX_LIMIT = 1000  # more than an agent reads; SQLite's LIMIT overflows on huge numbers


def _listeners(store: Any, args: argparse.Namespace) -> list[Callable[[Any], None]]:
    """Who hears about each search (``SearchResponse``: query, shown ids, results): the search
    log (masked query, ids shown, ``--opened ID``)."""
    from kbtool.services.querylog import QueryLog, SearchLogger, masking_patterns

    if args.opened:
        store.article(args.opened)  # an unknown id is a one-line error before searching
    log = QueryLog(store, masking_patterns(args.style))
    return [SearchLogger(log, user=args.user, source="cli", opened=args.opened, action="copy" if args.copied else "open")]


def _logged(listeners: list[Callable[[Any], None]]) -> None:
    """Say where the search went in the log (stderr), and close the log."""
    from kbtool.services.querylog import SearchLogger

    for logger in listeners:
        if not isinstance(logger, SearchLogger):
            continue
        logger.log.close()
        if logger.error:
            print(f"kbtool: 查询日志未记录：{logger.error}", file=sys.stderr)
        elif logger.last_id is not None and logger.opened:
            print(f"已记录：查询 {logger.last_id} → {logger.opened}", file=sys.stderr)
        elif logger.last_id is not None:
            print(f"查询编号 {logger.last_id}（打开答案后记录：kbtool opened {logger.last_id} ID）", file=sys.stderr)


def cmd_search(args: argparse.Namespace) -> int:
    from kbtool.core.errors import InputProblem, KbInputError
    from kbtool.services.search import open_index
    from kbtool.services.store import Store

    query = " ".join(args.query).strip()
    if not query:
        raise KbInputError(InputProblem("search", None, "查询为空：请输入来电人说的话"))
    kb_dir = Path(args.kb)
    if not kb_dir.is_dir():
        raise KbInputError(InputProblem(str(kb_dir), None, "知识库文件夹不存在（用 --kb 指定）"))
    store = Store.open(Path(args.db) if args.db else None, kb_dir)
    try:
        if store.needs_sync(kb_dir):
            report = store.sync(kb_dir)
            for problem in report.problems:
                print(f"kbtool: {problem}", file=sys.stderr)
        listeners = _listeners(store, args)
        index = open_index(store, kb_dir, args.style, listeners)
        index.refresh()
        response = index.search(query, limit=args.limit, include_expired=args.all)
        _logged(listeners)
    finally:
        store.close()
    if args.format == "json":
        json.dump([r.to_dict() for r in response.results], sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    else:
        _print_text(response, args.color)
    return 0


def _print_text(response: Any, color: str) -> None:
    from kbtool.cli import _console, _escape

    console = _console(sys.stdout, color)
    if not response.results:
        print(f"没有找到与「{response.query}」相关的答案", file=sys.stderr)
        return
    for rank, r in enumerate(response.results, 1):
        labels = "".join(f" [yellow]【{_escape(label)}】[/yellow]" for label in r.labels)
        console.print(f"[bold]{rank}. {_escape(r.title)}[/bold]{labels} [dim]{r.id} · {r.score:.2f}[/dim]")
        console.print("   " + _highlighted(r.snippet, r.highlights, _escape))
        for script in r.verbatim:
            console.print(f"   [magenta]须照读：[/magenta]{_escape(script)}")
        console.print("   [dim]命中：" + _escape("；".join(w.describe() for w in r.why)) + "[/dim]")
    print(f"共 {len(response.results)} 条（{response.elapsed_ms:.0f} 毫秒）", file=sys.stderr)


def _highlighted(text: str, spans: tuple[tuple[int, int], ...], escape: Callable[[str], str]) -> str:
    out, pos = [], 0
    for start, end in spans:
        out.append(escape(text[pos:start]))
        out.append(f"[bold green]{escape(text[start:end])}[/bold green]")
        pos = end
    out.append(escape(text[pos:]))
    return "".join(out)


def register(sub: Any, common: Callable[[argparse.ArgumentParser], None]) -> None:
    p = sub.add_parser("search", help="用来电人自己的话查找已审核的口语答案",
                       description="用来电人自己的话查找已审核的口语答案（坐席查询）。")
    p.add_argument("query", nargs="+", metavar="查询", help="来电人说的话（几个词之间用空格连接）")
    p.add_argument("--limit", type=number_in(1, MAX_LIMIT), default=DEFAULT_LIMIT, metavar="N",
                   help=f"显示几条结果，1-{MAX_LIMIT}（默认 {DEFAULT_LIMIT}）")
    p.add_argument("--format", choices=("text", "json"), default="text", help="输出格式（默认：text）")
    p.add_argument("--all", action="store_true", help="也包括已过期的公告")
    p.add_argument("--opened", metavar="ID", help="坐席从这次查询打开的答案（记入查询日志）")
    p.add_argument("--copied", action="store_true", help="与 --opened 一起用：答案是复制的，不是打开的")
    p.add_argument("--user", metavar="坐席", help="查询日志里的坐席名（默认：$KBTOOL_USER 或操作系统用户）")
    p.add_argument("--kb", default="kb", metavar="目录", help="知识库文件夹（默认：./kb）")
    p.add_argument("--db", metavar="文件", help="审核数据库（默认：$KBTOOL_DB，或知识库文件夹里的 .kbtool/kbtool.db）")
    common(p)
    p.set_defaults(func=cmd_search)
