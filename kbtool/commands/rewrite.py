"""From flagged article to spoken draft on the command line.

    kbtool fix [PATH...] --diff | --write     only the safe fixes (exact, single, context-free)
    kbtool verify ORIGINAL SPOKEN [--format json]   did every fact survive the rewrite?
    kbtool rewrite ID|PATH [--format json]    a suggested spoken draft with before/after metrics
                                              (``kbtool draft`` is the review store's: saved drafts)

Exit codes follow ruff and ``kbtool check``: 0 nothing to report, 1 something to report (a fix
to make with --diff, findings left at --fail-level after --write, a fact lost or changed), 2 bad
input or usage.
"""

from __future__ import annotations

import argparse
import datetime as dt
import difflib
import os
import sys
import tempfile
from pathlib import Path

from kbtool.commands.plumbing import print_json
from kbtool.core.errors import InputProblem, KbInputError
from kbtool.core.stylepack import LEVELS

OK, FOUND, USAGE = 0, 1, 2


def _today(value: str | None) -> dt.date:
    if not value:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise KbInputError(InputProblem("--today", None, f"不是 2026-03-16 这样的日期：{value!r}")) from None


def _console(color: str):  # type: ignore[no-untyped-def]
    from kbtool.cli import _console as console

    return console(sys.stdout, color)


# -- fix ----------------------------------------------------------------------------------------

def encode_like(text: str, original: bytes, encoding: str) -> bytes:
    """Encode ``text`` the way ``original`` was: same encoding, same BOM (line ends are kept
    in the text itself, which fixes never touch)."""
    if encoding == "utf-16":
        if original.startswith(b"\xfe\xff"):
            return b"\xfe\xff" + text.encode("utf-16-be")
        return b"\xff\xfe" + text.encode("utf-16-le")
    return text.encode(encoding)


def _write_atomically(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, path.stat().st_mode & 0o7777)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def cmd_fix(args: argparse.Namespace) -> int:
    from kbtool.cli import _load_detector
    from kbtool.core.article import parse_article
    from kbtool.core.draft import safe_fix
    from kbtool.core.findings import at_or_above
    from kbtool.core.report import check_article
    from kbtool.services.kb import iter_files

    detector = _load_detector(args.style)
    problems: list[InputProblem] = []
    paths = [Path(p) for p in args.paths] if args.paths else [Path("kb")]
    changed_files = fixes = 0
    remaining = 0
    console = _console(args.color) if args.diff else None
    for file in iter_files(paths, problems):
        try:
            data = file.read_bytes()
            article = parse_article(data, str(file))
        except OSError as exc:
            problems.append(InputProblem(str(file), None, f"无法读取：{exc.strerror}"))
            continue
        except KbInputError as exc:
            problems.extend(exc.problems)
            continue
        result = safe_fix(detector, article)
        if result.text != article.text:
            changed_files += 1
            fixes += result.applied
            if args.diff:
                _print_diff(console, str(file), article.text, result.text)
            else:
                try:
                    _write_atomically(file, encode_like(result.text, data, article.encoding))
                except OSError as exc:
                    problems.append(InputProblem(str(file), None, f"无法写入：{exc.strerror}"))
                    continue
        if args.write:
            after = parse_article(result.text, str(file))
            remaining += len(at_or_above(check_article(detector, after).findings, args.fail_level))
    for problem in problems:
        print(f"kbtool: {problem}", file=sys.stderr)
    if args.diff:
        print(f"可安全自动修改：{changed_files} 个文件，{fixes} 处（kbtool fix --write 写入）", file=sys.stderr)
    else:
        print(f"已修改 {changed_files} 个文件，{fixes} 处；剩余 {remaining} 条 {args.fail_level} 及以上的问题需人工处理", file=sys.stderr)
    if problems:
        return USAGE
    if args.diff:
        return FOUND if changed_files else OK
    return FOUND if remaining else OK


def _print_diff(console, path: str, before: str, after: str) -> None:  # type: ignore[no-untyped-def]
    from rich.markup import escape

    lines = difflib.unified_diff(
        before.splitlines(keepends=True), after.splitlines(keepends=True),
        path if os.path.isabs(path) else f"a/{path}", path if os.path.isabs(path) else f"b/{path}",
    )
    for line in lines:
        text = line.rstrip("\r\n")
        if line[:3] in ("+++", "---"):
            style = "bold"
        else:
            style = {"+": "green", "-": "red", "@": "cyan"}.get(line[:1], "")
        console.print(f"[{style}]{escape(text)}[/]" if style else escape(text))


# -- verify -------------------------------------------------------------------------------------

def _read_text(spec: str) -> tuple[str, str, int]:
    """(full text, body, body offset) of a file or '-' (stdin); articles give their body."""
    from kbtool.core.article import decode, parse_article

    if spec == "-":
        text = sys.stdin.read()
        path = "<stdin>"
    else:
        path = spec
        try:
            data = Path(spec).read_bytes()
        except FileNotFoundError:
            raise KbInputError(InputProblem(spec, None, "文件不存在")) from None
        except OSError as exc:
            raise KbInputError(InputProblem(spec, None, f"无法读取：{exc.strerror}")) from None
        text, _ = decode(data, spec)
    if text.lstrip("\ufeff").startswith("---"):
        article = parse_article(text, path if path.endswith((".md", ".markdown")) else path + ".md")
        return article.text, article.body, article.body_start
    return text, text, 0


def _line_col(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


_STATUS = {"kept": "保留", "missing": "缺失", "changed": "改变", "added": "多出"}


def cmd_verify(args: argparse.Namespace) -> int:
    from kbtool.core.draft import split_audience
    from kbtool.core.facts import KIND_LABELS, verify
    from kbtool.services.packs import load_pack

    pack = load_pack(args.style)
    o_full, o_body, o_off = _read_text(args.original)
    s_full, s_body, s_off = _read_text(args.spoken)
    only = None
    if args.caller_only:
        only = [(s.start, s.end) for s in split_audience(o_body) if s.kind == "caller"]
    result = verify(o_body, s_body, pack.protected, _today(args.today), only=only)
    if args.format == "json":
        data = result.to_dict()
        for item, check in zip(data["facts"], result.checks, strict=True):  # type: ignore[call-overload]
            if check.status == "added":  # said only in the spoken text: no place in the original
                item["line"] = item["column"] = None
            else:
                item["line"], item["column"] = _line_col(o_full, o_off + check.fact.start)
            if check.spoken is not None:
                item["spoken"]["line"], item["spoken"]["column"] = _line_col(s_full, s_off + check.spoken.start)
        print_json({"original": args.original, "spoken": args.spoken, **data})
    else:
        from rich.markup import escape

        console = _console(args.color)
        for check in result.checks:
            if check.status == "kept" and not args.all:
                continue
            style = {"kept": "green", "missing": "bold red", "changed": "yellow", "added": "yellow"}[check.status]
            if check.status == "added":
                s_line, s_col = _line_col(s_full, s_off + check.fact.start)
                console.print(f"[bold]{args.spoken}:{s_line}:{s_col}[/bold] [{style}]{_STATUS['added']}[/] "
                              f"{KIND_LABELS.get(check.fact.kind, check.fact.kind)}「{escape(check.fact.text)}」"
                              f"（原文没有这个{KIND_LABELS.get(check.fact.kind, check.fact.kind)}）")
                continue
            line, col = _line_col(o_full, o_off + check.fact.start)
            became = ""
            if check.spoken is not None:
                s_line, s_col = _line_col(s_full, s_off + check.spoken.start)
                became = f" → 「{escape(check.spoken.text)}」({args.spoken}:{s_line}:{s_col})"
            console.print(
                f"[bold]{args.original}:{line}:{col}[/bold] [{style}]{_STATUS[check.status]}[/] "
                f"{KIND_LABELS.get(check.fact.kind, check.fact.kind)}「{escape(check.fact.text)}」{became}"
            )
        counts = result.to_dict()["summary"]
        print(
            f"{len(result.checks)} 个事实：保留 {counts['kept']}，缺失 {counts['missing']}，改变 {counts['changed']}"  # type: ignore[index]
            f"，多出 {counts['added']}",  # type: ignore[index]
            file=sys.stderr,
        )
    return OK if result.ok else FOUND


# -- draft --------------------------------------------------------------------------------------

def _find_article(spec: str, kb: list[str]):  # type: ignore[no-untyped-def]
    from kbtool.services.kb import load_articles, read_article

    path = Path(spec)
    if path.is_file():
        return read_article(path)
    load = load_articles([Path(k) for k in kb])
    for article in load.articles:
        if article.id == spec:
            return article
    where = "、".join(kb)
    raise KbInputError(InputProblem(spec, None, f"没有这个 ID 或路径的文章（查找了：{where}）"))


def build_draft(detector, article, today: dt.date, helpers: bool = True, agent_too: bool = False):  # type: ignore[no-untyped-def]
    """The suggested draft (every first suggestion and helper), its text, metrics and facts.

    Agent-only text (坐席应…) is left as written unless ``agent_too``."""
    from kbtool.core.article import parse_article
    from kbtool.core.draft import split_audience, suggest_draft
    from kbtool.core.facts import verify
    from kbtool.core.metrics import compare
    from kbtool.core.report import check_article

    draft = suggest_draft(detector, article, today=today, helpers=helpers)
    # what only the agent reads (坐席应…) stays as written: the caller never hears it
    agent = [] if agent_too else [(s.start, s.end) for s in split_audience(article.text) if s.kind == "agent"]
    for item in draft.items:
        if item.suggestions and not any(a <= item.start and item.end <= b for a, b in agent):
            draft.accept(item.key)
    rendered = draft.render()
    before = check_article(detector, article)
    after_article = parse_article(rendered.text, article.path)
    after = check_article(detector, after_article)
    comparison = compare(before.metrics, after.metrics, before.findings, after.findings)
    facts = verify(article.body, after_article.body, detector.pack.protected, today)
    return draft, rendered, after_article, comparison, facts


def cmd_rewrite(args: argparse.Namespace) -> int:
    from kbtool.cli import _load_detector
    from kbtool.core.draft import split_audience
    from kbtool.core.facts import KIND_LABELS

    detector = _load_detector(args.style)
    article = _find_article(args.article, args.kb)
    today = _today(args.today)
    draft, rendered, after_article, comparison, facts = build_draft(detector, article, today, helpers=not args.no_helpers)
    body = after_article.body
    segments = split_audience(body)
    if args.format == "json":
        print_json({
            "id": article.id,
            "path": article.path,
            "source_hash": article.content_hash,
            "draft": body,
            "audience": [{"kind": s.kind, "start": s.start, "end": s.end} for s in segments],
            "applied": list(rendered.applied),
            "conflicts": list(rendered.conflicts),
            "metrics": comparison.to_dict(),
            "facts": facts.to_dict(),
            "decisions": draft.to_dict(),
        })
        return OK if facts.ok else FOUND
    from rich.markup import escape

    console = _console(args.color)
    for seg in segments:
        text = escape(body[seg.start:seg.end])
        console.print(text if seg.kind == "caller" else f"[dim]{text}[/dim]", end="")
    if not body.endswith("\n"):
        console.print()
    b, a = comparison.before, comparison.after
    print("", file=sys.stderr)
    print(
        f"口语化草稿：{article.id}（采纳 {len(rendered.applied)} 条建议，{len(rendered.conflicts)} 条与其他建议重叠未采纳；"
        "灰色为坐席提示，不对客户说）",
        file=sys.stderr,
    )
    print(f"  可读性评分   {b.readiness:>5} → {a.readiness:<5}（{comparison.readiness_gain:+d}）", file=sys.stderr)
    print(
        f"  朗读时长     {b.read_aloud_seconds:>5} → {a.read_aloud_seconds:<5} 秒（{-comparison.time_saved_share:+.0%}）",
        file=sys.stderr,
    )
    print(f"  剩余问题     {comparison.findings_before:>5} → {comparison.findings_after:<5}", file=sys.stderr)
    print(f"  过长句占比   {b.long_sentence_share:>5} → {a.long_sentence_share:<5}", file=sys.stderr)
    problems = facts.problems()
    print(f"  事实核对     {len(facts.checks)} 个事实，{len(problems)} 个缺失、改变或多出", file=sys.stderr)
    for check in problems:
        print(f"    {_STATUS[check.status]} {KIND_LABELS.get(check.fact.kind, check.fact.kind)}「{check.fact.text}」", file=sys.stderr)
    return OK if facts.ok else FOUND


# -- registration -------------------------------------------------------------------------------

def register(sub, common) -> None:  # type: ignore[no-untyped-def]
    fix = sub.add_parser("fix", help="只做可安全自动修改的替换（精确、唯一、不看上下文）",
                         description="只做可安全自动修改的替换（精确、唯一、不看上下文）；其余问题留给编辑处理。")
    fix.add_argument("paths", nargs="*", metavar="路径", help="文件或文件夹（默认：kb/）")
    mode = fix.add_mutually_exclusive_group(required=True)
    mode.add_argument("--diff", action="store_true", help="以统一差异格式显示修改，不改文件")
    mode.add_argument("--write", action="store_true", help="写入修改（保留编码、BOM 和换行符）")
    fix.add_argument("--fail-level", choices=LEVELS, default="error",
                     help="与 --write 一起用：还剩这一级别或更严重的问题时退出码为 1（默认：error）")
    common(fix)
    fix.set_defaults(func=cmd_fix)

    ver = sub.add_parser("verify", help="核对原文的每个事实在口语版本里都还在",
                         description="核对原文的每个事实（金额、日期、号码、否定、保护词等）在口语版本里都还在、没有改变。")
    ver.add_argument("original", metavar="原文", help="原文章或文本文件")
    ver.add_argument("spoken", metavar="口语版本", help="口语版本（文件，或 - 表示标准输入）")
    ver.add_argument("--format", choices=("text", "json"), default="text", help="输出格式（默认：text）")
    ver.add_argument("--all", action="store_true", help="也列出保留下来的事实")
    ver.add_argument("--caller-only", action="store_true", help="只核对来电人听到的内容（不含给坐席的提示）")
    ver.add_argument("--today", metavar="日期", help="参照日期（口语里的日期只有在同一年时才能省略年份）")
    common(ver)
    ver.set_defaults(func=cmd_verify)

    dr = sub.add_parser("rewrite", help="输出文章的口语草稿建议，以及改写前后的指标",
                        description="输出文章的口语草稿建议（采纳每条建议的第一个改法），以及改写前后的指标和事实核对。")
    dr.add_argument("article", metavar="文章", help="文章 ID 或路径")
    dr.add_argument("--kb", nargs="*", default=["kb"], metavar="目录", help="在哪里按 ID 查找文章（默认：kb/）")
    dr.add_argument("--format", choices=("text", "json"), default="text", help="输出格式（默认：text）")
    dr.add_argument("--no-helpers", action="store_true", help="只用规则包自己的建议，不用结构改写助手")
    dr.add_argument("--today", metavar="日期", help="日期的参照日期（默认：今天）")
    common(dr)
    dr.set_defaults(func=cmd_rewrite)
