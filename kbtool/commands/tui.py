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
    p.add_argument("--kb", default="kb", metavar="DIR", help="knowledge-base folder (default: ./kb)")
    p.add_argument("--db", metavar="FILE", help="review store database (default: next to the knowledge base)")
    p.add_argument("--user", help="act as this user (default: the operating-system user)")
    p.add_argument("--mode", choices=("editor", "review", "agent", "rules"), default="editor", help="screen to open first")


def register(sub: Any, common: Callable[[argparse.ArgumentParser], None]) -> None:
    tui = sub.add_parser("tui", help="open the terminal app (editors, reviewers, agents)")
    _add_app_options(tui)
    common(tui)
    tui.set_defaults(func=cmd_tui)

    serve = sub.add_parser("serve", help="serve the app to a web browser (textual-serve)")
    _add_app_options(serve)
    common(serve)
    serve.add_argument("--host", default="localhost", help="address to listen on (default: localhost)")
    serve.add_argument("--port", type=number_in(1, 65535), default=8000, help="port (default: 8000)")
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
