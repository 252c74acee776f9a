"""``kbtool tui`` (the terminal app) and ``kbtool serve`` (the same app in a browser)."""

from __future__ import annotations

import argparse
import shlex
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kbtool.commands.plumbing import number_in
from kbtool.core.errors import InputProblem, KbInputError


def _add_app_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--kb", default="kb", metavar="目录", help="知识库文件夹（默认：./kb）")
    p.add_argument("--db", metavar="文件", help="审核数据库（默认：知识库文件夹里的 .kbtool/kbtool.db）")
    p.add_argument("--user", metavar="用户", help="以这个用户的身份操作（默认：操作系统用户）")
    p.add_argument("--mode", choices=("editor", "review", "agent", "rules"), default="editor",
                   help="先打开哪个界面：editor 编辑（默认），review 审核，agent 坐席查询，rules 规则")


def register(sub: Any, common: Callable[[argparse.ArgumentParser], None]) -> None:
    tui = sub.add_parser("tui", help="打开终端界面（编辑、审核、坐席）",
                         description="打开终端界面：编辑改写口语版本，审核人审核，坐席查询答案。")
    _add_app_options(tui)
    common(tui)
    tui.set_defaults(func=cmd_tui)

    serve = sub.add_parser("serve", help="在浏览器里使用同一个界面（textual-serve）",
                           description="启动网页服务，在浏览器里使用同一个终端界面（textual-serve）。")
    _add_app_options(serve)
    common(serve)
    serve.add_argument("--host", default="localhost", metavar="地址", help="监听地址（默认：localhost）")
    serve.add_argument("--port", type=number_in(1, 65535), default=8000, metavar="端口", help="端口（默认：8000）")
    serve.set_defaults(func=cmd_serve)


def _validate(args: argparse.Namespace) -> Path:
    """Fail before the screen opens on what the command line alone can tell is wrong."""
    kb = Path(args.kb)
    if not kb.is_dir():
        raise KbInputError(InputProblem(str(kb), None, "找不到知识库文件夹（用 --kb 指定，例如 kbtool tui --kb kb）"))
    if args.style:
        from kbtool.services.packs import resolve

        resolve(args.style)
    return kb


def cmd_tui(args: argparse.Namespace) -> int:
    from kbtool.tui.app import KbApp, TuiOptions

    kb = _validate(args)
    options = TuiOptions(kb_dir=kb, style=args.style, db=Path(args.db) if args.db else None, user=args.user)
    KbApp(options, start_mode=args.mode).run()
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from textual_serve.server import Server

    kb = _validate(args)
    command = [sys.executable, "-m", "kbtool", "tui", "--kb", str(kb.resolve()), "--mode", args.mode]
    for flag, value in (("--style", args.style), ("--db", args.db), ("--user", args.user)):
        if value:
            command += [flag, str(Path(value).resolve()) if flag == "--db" else value]
    print(f"kbtool: 在浏览器打开 http://{args.host}:{args.port}", file=sys.stderr)
    Server(shlex.join(command), host=args.host, port=args.port, title="kbtool").serve()
    return 0
