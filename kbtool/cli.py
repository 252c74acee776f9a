"""The command line: a thin shell over the services. Diagnostics on stderr, data on stdout."""

from __future__ import annotations

import argparse
import json
import os
import sys
from enum import IntEnum
from pathlib import Path
from typing import NoReturn, TextIO

from kbtool import __version__
from kbtool.commands.plumbing import integer
from kbtool.commands.zh_argparse import ChineseArgumentParser
from kbtool.core.errors import InputProblem, KbInputError
from kbtool.core.stylepack import LEVELS


class ExitCode(IntEnum):
    OK = 0
    FINDINGS = 1
    USAGE = 2


LEVEL_STYLE = {"error": "bold red", "warning": "yellow", "suggestion": "cyan"}


def _console(stream: TextIO, color: str):  # type: ignore[no-untyped-def]
    from rich.console import Console

    force = {"always": True, "never": False}.get(color)
    use_color = force if force is not None else (stream.isatty() and "NO_COLOR" not in os.environ)
    return Console(file=stream, highlight=False, soft_wrap=True, no_color=not use_color,
                   force_terminal=use_color, color_system="standard" if use_color else None)


def _problem(problem: InputProblem | str) -> None:
    print(f"kbtool: {problem}", file=sys.stderr)


def _load_detector(style: str | None):  # type: ignore[no-untyped-def]
    from kbtool.core.detect import Detector
    from kbtool.services.packs import load_pack

    return Detector(load_pack(style))


def _default_paths(paths: list[str]) -> list[Path]:
    return [Path(p) for p in paths] if paths else [Path("kb")]


# -- check ------------------------------------------------------------------------------------

def cmd_check(args: argparse.Namespace) -> int:
    from kbtool.core.findings import at_or_above
    from kbtool.services.checking import check_paths

    detector = _load_detector(args.style)
    run = check_paths(_default_paths(args.paths), detector, jobs=max(1, args.jobs))
    for problem in run.problems:
        _problem(problem)
    findings = [f for r in run.reports for f in r.findings]
    failing = at_or_above(findings, args.fail_level)
    if args.format == "json":
        summary = {
            "files": len(run.reports),
            "findings": len(findings),
            "by_level": {lvl: sum(1 for f in findings if f.level == lvl) for lvl in LEVELS},
            "fail_level": args.fail_level,
            "problems": [{"path": p.path, "line": p.line, "message": p.message} for p in run.problems],
        }
        json.dump({"files": [r.to_dict() for r in run.reports], "summary": summary}, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    else:
        # Plain string building with ANSI codes: rich's markup parser cost ~0.3 ms a line, which
        # made printing slower than checking on a large KB.
        paint = _painter(sys.stdout, args.color)
        out = sys.stdout
        for report in run.reports:
            for f in report.findings:
                arrow = f" → {_clip(f.suggestions[0], 160) or '（删掉不说）'}" if f.suggestions else ""
                score = "" if f.score == 100 else f" (相似度 {f.score:g})"
                out.write(
                    f"{paint('bold', f'{report.article.path}:{f.line}:{f.column}')} "
                    f"{paint(LEVEL_STYLE[f.level], f.level)} {paint('dim', f.rule)} "
                    f"「{_clip(f.text)}」{f.message}{score}{paint('green', arrow)}\n"
                )
        n_err = sum(1 for f in findings if f.level == "error")
        n_warn = sum(1 for f in findings if f.level == "warning")
        n_sugg = len(findings) - n_err - n_warn
        safe = sum(1 for f in findings if f.safe)
        print(
            f"检查了 {len(run.reports)} 个文件：{n_err} 个错误，{n_warn} 个警告，{n_sugg} 条建议"
            f"（{safe} 处可安全自动修改：kbtool fix --write）",
            file=sys.stderr,
        )
    if run.problems:
        return ExitCode.USAGE
    return ExitCode.FINDINGS if failing else ExitCode.OK


_SGR = {"bold": "1", "dim": "2", "red": "31", "green": "32", "yellow": "33", "cyan": "36"}


def _painter(stream: TextIO, color: str):  # type: ignore[no-untyped-def]
    """``paint(style, text)``: ANSI-coloured on a terminal (or with --color always), plain otherwise."""
    force = {"always": True, "never": False}.get(color)
    if not (force if force is not None else (stream.isatty() and "NO_COLOR" not in os.environ)):
        return lambda style, text: text

    def paint(style: str, text: str) -> str:
        codes = ";".join(_SGR[s] for s in style.split())
        return f"\x1b[{codes}m{text}\x1b[0m" if text else text

    return paint


def _clip(text: str, most: int = 60) -> str:
    """A finding's text on one terminal line: a whole over-long sentence is cut in the middle."""
    if len(text) <= most:
        return text.replace("\n", "⏎")
    half = most // 2 - 1
    return f"{text[:half]}…{text[-half:]}".replace("\n", "⏎")


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


# -- styles -----------------------------------------------------------------------------------

def cmd_styles_list(args: argparse.Namespace) -> int:
    from kbtool.services.packs import load_pack

    pack = load_pack(args.style)
    rows = [
        {
            "id": r.id, "level": r.level, "category": r.category, "kind": r.kind,
            "phrases": list(r.phrases), "pattern": r.pattern, "replace": list(r.replace),
            "fuzzy": r.fuzzy, "safe": r.safe, "message": r.message, "source": f"{r.source}:{r.line}",
        }
        for r in pack.rules
    ]
    if args.format == "json":
        json.dump({"pack": pack.name, "sources": list(pack.sources), "protected": list(pack.protected), "rules": rows},
                  sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
        return ExitCode.OK
    console = _console(sys.stdout, args.color)
    for r in pack.rules:
        match = "、".join(r.phrases) if r.phrases else (r.pattern or r.builtin or "")
        repl = f" → {' / '.join(r.replace)}" if r.replace else ""
        console.print(f"[{LEVEL_STYLE[r.level]}]{r.level:<10}[/] {r.id:<36} {_escape(match)}{_escape(repl)}")
    print(f"{pack.name}: {len(pack.rules)} 条规则，{len(pack.protected)} 个保护词", file=sys.stderr)
    return ExitCode.OK


def cmd_styles_test(args: argparse.Namespace) -> int:
    from kbtool.core.examples import run_examples

    detector = _load_detector(args.style)
    count, failures = run_examples(detector)
    for failure in failures:
        print(failure)
    print(f"{len(detector.rules)} 条规则，{count} 个示例，{len(failures)} 个失败", file=sys.stderr)
    return ExitCode.FINDINGS if failures else ExitCode.OK


# -- parser -----------------------------------------------------------------------------------

class Parser(ChineseArgumentParser):
    """argparse in Chinese, with a usage error on one line (what is wrong, where to read the
    usage) instead of the whole usage block; sub-command parsers are of this class too."""

    def error(self, message: str) -> NoReturn:
        self.exit(ExitCode.USAGE, f"{self.prog}: {message}（用法：{self.prog} -h）\n")


def add_common_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--style", metavar="规则包", help="规则包名称或路径（默认：default）")
    p.add_argument("--color", choices=("auto", "always", "never"), default="auto",
                   help="彩色输出：auto 在终端里着色（默认），always 总是，never 从不")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="kbtool", description="把公文腔的知识库文章变成坐席能说出口的口语答案。")
    parser.add_argument("--version", action="version", version=f"kbtool {__version__}", help="显示版本号并退出")
    sub = parser.add_subparsers(dest="command", metavar="命令")

    common = add_common_options

    check = sub.add_parser("check", help="检查文章里的公文腔和禁用说法",
                           description="检查文章里的公文腔和禁用说法，每个问题一行：路径:行:列 级别 规则 说明 → 建议。")
    check.add_argument("paths", nargs="*", metavar="路径", help="文件或文件夹（默认：kb/）")
    common(check)
    check.add_argument("--format", choices=("text", "json"), default="text", help="输出格式（默认：text）")
    check.add_argument("--fail-level", choices=LEVELS, default="error", help="有这一级别或更严重的问题时退出码为 1（默认：error）")
    check.add_argument("--jobs", type=integer, default=os.cpu_count() or 1, metavar="N",
                       help="大知识库用几个进程检查（默认：每个 CPU 一个；200 个文件起才并行）")
    check.set_defaults(func=cmd_check)

    styles = sub.add_parser("styles", help="查看和测试规则包", description="查看和测试规则包。")
    styles_sub = styles.add_subparsers(dest="styles_command", required=True, metavar="子命令")
    s_list = styles_sub.add_parser("list", help="列出当前规则包的所有规则", description="列出当前规则包的所有规则。")
    common(s_list)
    s_list.add_argument("--format", choices=("text", "json"), default="text", help="输出格式（默认：text）")
    s_list.set_defaults(func=cmd_styles_list)
    s_test = styles_sub.add_parser("test", help="运行每条规则的示例", description="运行每条规则的示例，列出不符合的示例。")
    common(s_test)
    s_test.set_defaults(func=cmd_styles_test)

    from importlib import import_module

    from kbtool.commands import MODULES

    for name in MODULES:
        import_module(f"kbtool.commands.{name}").register(sub, common)
    return parser


def main(argv: list[str] | None = None) -> int:
    try:
        return _main(argv)
    except KeyboardInterrupt:  # Ctrl+C: stop quietly, as shells expect (128 + SIGINT)
        return 130


def _main(argv: list[str] | None) -> int:
    import sqlite3

    parser = build_parser()
    raw = sys.argv[1:] if argv is None else argv
    if raw and raw[0].startswith("-") and raw[0] not in ("-h", "--help", "--version"):
        # `kbtool --user 小王 --mode review`: options with no command are the app's
        argv = ["tui", *raw]
    args = parser.parse_args(argv)
    if args.command is None and argv is None and sys.stdin.isatty() and sys.stdout.isatty():
        args = parser.parse_args(["tui"])  # bare `kbtool` in a terminal opens the app on ./kb
    if not getattr(args, "func", None):
        parser.print_help()
        return ExitCode.OK
    try:
        return int(args.func(args))
    except KbInputError as exc:
        for problem in exc.problems:
            _problem(problem)
        return ExitCode.USAGE
    except BrokenPipeError:
        # the reader (head, less) went away: nothing more to say, and nothing to flush at exit
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115
        return ExitCode.OK
    except sqlite3.Error as exc:  # a store problem no service turned into a message
        _problem(f"数据库错误：{exc}")
        return ExitCode.USAGE
    except OSError as exc:  # a file that vanished or cannot be written while working
        where = f"{exc.filename}: " if exc.filename else ""
        _problem(f"{where}{exc.strerror or exc}")
        return ExitCode.USAGE
