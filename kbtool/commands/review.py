"""The review workflow on the command line: sync, drafts, review decisions, history, export.

Every command takes --user (default: the operating-system user), --db and --kb; the rules
(roles, four eyes, locking) live in the store, so these are thin wrappers. Data goes to stdout
(``--format json`` where a command prints data), messages to stderr.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kbtool.commands.plumbing import format_option, integer, print_json, store_options
from kbtool.core.errors import InputProblem, KbInputError

EXPORT_FORMATS = ("md", "json", "csv")


# -- plumbing ---------------------------------------------------------------------------------





def _open(args: argparse.Namespace, sync: bool = True):  # type: ignore[no-untyped-def]
    """The store for ``args``, brought up to date with kb/ first (a stat per file when unchanged)."""
    from kbtool.services.store import Store

    store = Store.open(Path(args.db) if args.db else None, kb_dir=Path(args.kb))
    if sync and Path(args.kb).is_dir() and store.needs_sync():
        report = store.sync(user=args.user)
        if report.changes or report.problems:
            note = f"已同步知识库：新增 {len(report.new)}，修改 {len(report.changed)}，删除 {len(report.deleted)}"
            if report.problems:
                note += f"；{len(report.problems)} 个文件无法读取（kbtool sync 查看）"
            print(note, file=sys.stderr)
    return store




def _read_text(path: str) -> str:
    if path == "-":
        return sys.stdin.read()
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise KbInputError(InputProblem(path, None, f"无法读取：{exc.strerror}")) from None
    from kbtool.core.article import decode

    text, _ = decode(data, path)
    return text


def _read_json(path: str) -> object:
    try:
        return json.loads(_read_text(path))
    except json.JSONDecodeError as exc:
        raise KbInputError(InputProblem(path, exc.lineno, f"不是合法的 JSON：{exc.msg}（第 {exc.colno} 列）")) from None


def _local(at: str) -> str:
    """A stored UTC timestamp as local time to the second, for people."""
    import datetime as dt

    try:
        return dt.datetime.fromisoformat(at).astimezone().strftime("%Y-%m-%d %H:%M:%S")
    except ValueError:
        return at[:19]


def _pad(text: str, width: int) -> str:
    """``text`` left-aligned in ``width`` terminal columns (a Chinese character takes two)."""
    from kbtool.commands.zh_argparse import cells

    return text + " " * max(0, width - cells(text))


def _action_name(action: str) -> str:
    from kbtool.services.store import ACTION_NAMES

    return ACTION_NAMES.get(action, action)


def _done(message: str) -> int:
    print(message, file=sys.stderr)
    return 0


# -- sync -------------------------------------------------------------------------------------

def cmd_sync(args: argparse.Namespace) -> int:
    with _open(args, sync=False) as store:
        report = store.sync(user=args.user)
    if args.format == "json":
        print_json(report.to_dict())
    else:
        for problem in report.problems:
            print(f"kbtool: {problem}", file=sys.stderr)
        for label, ids in (("新增", report.new), ("修改", report.changed), ("删除", report.deleted),
                           ("恢复", report.restored), ("口语版已过时", report.stale), ("公告已过期", report.expired)):
            if ids:
                print(f"{label}（{len(ids)}）：{'、'.join(ids)}")
        print(f"同步完成：新增 {len(report.new)}，修改 {len(report.changed)}，删除 {len(report.deleted)}，"
              f"未变 {report.unchanged}，{len(report.problems)} 个问题", file=sys.stderr)
    return 2 if report.problems else 0


# -- drafts -----------------------------------------------------------------------------------

def cmd_draft_save(args: argparse.Namespace) -> int:
    from kbtool.services.store import ConflictError, current_user

    text = _read_text(args.file)
    decisions = _read_json(args.decisions) if args.decisions else None
    with _open(args) as store:
        if args.base is not None and args.base < 1:
            raise KbInputError(InputProblem(args.id, None, "--base 必须是修订号（r1 起）"))
        base = args.base if args.base is not None else store.default_base(args.id, current_user(args.user))
        try:
            rev = store.save(args.id, text, base_revision=base, decisions=decisions, user=args.user)
        except ConflictError as exc:
            if args.base is not None:
                raise
            hint = f"；确认要在 r{exc.head.number} 上改，请看过后用 --base {exc.head.number} 再保存"
            raise ConflictError(args.id, exc.base, exc.head, exc.copy, hint) from None
    return _done(f"{args.id}: 已保存为 r{rev.number}（{rev.author}）")


def cmd_draft_show(args: argparse.Namespace) -> int:
    with _open(args) as store:
        rev = store.revision(args.id, args.revision)
    if args.format == "json":
        print_json(rev.to_dict())
    else:
        sys.stdout.write(rev.spoken_text if rev.spoken_text.endswith("\n") else rev.spoken_text + "\n")
        kind = "（冲突副本）" if rev.kind == "conflict" else ""
        print(f"{args.id} r{rev.number}{kind}：{rev.author}，{_local(rev.created_at)}", file=sys.stderr)
    return 0


def cmd_draft_list(args: argparse.Namespace) -> int:
    with _open(args) as store:
        revisions = store.revisions(args.id)
        head = store.article(args.id).head_revision
    if args.format == "json":
        print_json([{k: v for k, v in r.to_dict().items() if k != "spoken_text"} | {"head": r.number == head} for r in revisions])
        return 0
    for r in revisions:
        mark = "*" if r.number == head else " "
        kind = " 冲突副本" if r.kind == "conflict" else ""
        base = f" 基于 r{r.base}" if r.base else ""
        print(f"{mark} r{r.number:<4} {_local(r.created_at)}  {r.author}{base}{kind}  {r.spoken_text[:30]!r}")
    return 0


def cmd_submit(args: argparse.Namespace) -> int:
    with _open(args) as store:
        rev = store.submit(args.id, user=args.user, comment=args.comment)
    return _done(f"{args.id}: r{rev.number} 已提交审核")


# -- review -----------------------------------------------------------------------------------

def cmd_approve(args: argparse.Namespace) -> int:
    with _open(args) as store:
        rev = store.approve(args.id, user=args.user, revision=args.revision, comment=args.comment,
                            override_facts=args.override_facts)
        art = store.article(args.id)
    return _done(f"{args.id}: r{rev.number} 审核通过（{art.approved_by}），复核日期 {art.review_by}")


def cmd_request_changes(args: argparse.Namespace) -> int:
    with _open(args) as store:
        rev = store.request_changes(args.id, args.comment, user=args.user, revision=args.revision)
    return _done(f"{args.id}: r{rev.number} 已退回修改")


def cmd_reject(args: argparse.Namespace) -> int:
    with _open(args) as store:
        rev = store.reject(args.id, args.comment, user=args.user, revision=args.revision)
    return _done(f"{args.id}: r{rev.number} 已驳回")


def cmd_archive(args: argparse.Namespace) -> int:
    with _open(args) as store:
        store.archive(args.id, user=args.user, comment=args.comment)
    return _done(f"{args.id}: 已归档，坐席不再看到")


def cmd_review_list(args: argparse.Namespace) -> int:
    with _open(args) as store:
        items = store.articles(states=("in_review",))
        rows = []
        for art in items:
            rev = store.revision(art.id, art.head_revision)
            rows.append({**art.to_dict(), "author": rev.author, "submitted_revision": rev.number})
    if args.format == "json":
        print_json(rows)
        return 0
    for row in rows:
        stale = " [原版已过时]" if row["stale"] else ""
        print(f"{row['id']:<36} r{row['submitted_revision']:<4} {_pad(row['author'], 12)} {row['title']}{stale}")
    print(f"待审核 {len(rows)} 篇", file=sys.stderr)
    return 0


REASON_NAMES = {"changes_requested": "退回修改", "rejected": "已驳回", "stale": "源文已改", "overdue": "到期复核",
                "flagged": "坐席标记"}


def cmd_review_queue(args: argparse.Namespace) -> int:
    with _open(args) as store:
        queue = store.editor_queue()
    if args.format == "json":
        print_json([{**art.to_dict(), "reasons": reasons} for art, reasons in queue])
        return 0
    for art, reasons in queue:
        print(f"{art.id:<36} {_pad('、'.join(REASON_NAMES[r] for r in reasons), 20)} {art.title}")
    print(f"编辑待办 {len(queue)} 篇", file=sys.stderr)
    return 0


def cmd_review_show(args: argparse.Namespace) -> int:
    from kbtool.cli import _console, _escape, _load_detector
    from kbtool.core.diff import similarity
    from kbtool.services.querylog import QueryLog
    from kbtool.services.review import build_review

    with _open(args) as store:
        view = build_review(store, args.id, _load_detector(args.style), args.revision)
        with QueryLog(store) as qlog:  # questions this revision adds from the search log (issue 9)
            questions = qlog.question_changes(args.id, view.revision.number)
    if args.format == "json":
        print_json({**view.to_dict(), "questions": questions.to_dict()})
        return 0
    console = _console(sys.stdout, args.color)
    art, rev = view.article, view.revision
    console.print(f"[bold]{_escape(art.id)}[/bold] {_escape(art.title)}  状态：{_state_name(art.state)}"
                  f"{'  [red]原口语版已过时[/red]' if art.stale else ''}")
    console.print(f"待审 r{rev.number}，作者 {_escape(rev.author)}，{_local(rev.created_at)}"
                  f"{'（源文在此稿之后又改过）' if rev.source_hash != art.source_hash else ''}")
    console.print(f"\n[bold]差异[/bold]（按词，保留 {similarity(view.diff):.0%}）：")
    parts = []
    for op in view.diff:
        if op.tag == "equal":
            parts.append(_escape(op.b_text))
            continue
        if op.a_text:
            parts.append(f"[red strike][-{_escape(op.a_text)}-][/red strike]")
        if op.b_text:
            parts.append(f"[green]{{+{_escape(op.b_text)}+}}[/green]")
    console.print("".join(parts))
    if questions.added or questions.removed:
        changes = [f"[green]{{+{_escape(q)}+}}[/green]" for q in questions.added]
        changes += [f"[red strike][-{_escape(q)}-][/red strike]" for q in questions.removed]
        console.print("\n[bold]问法[/bold]：" + "  ".join(changes))
    facts = view.facts
    if not facts.available:
        console.print("\n[bold]事实核对[/bold]：[yellow]不可用[/yellow]（未安装 kbtool.core.facts）")
    elif facts.ok:
        console.print("\n[bold]事实核对[/bold]：[green]通过[/green]")
    else:
        console.print(f"\n[bold]事实核对[/bold]：[red]未通过（{len(facts.problems)} 处）[/red]，通过前须修改或写明理由 --override-facts")
        for problem in facts.problems:
            console.print(f"  - {_escape(problem)}")
    console.print(f"\n[bold]剩余问题[/bold]：{len(view.findings)} 处；可读度 {view.metrics.readiness}，"
                  f"朗读约 {view.metrics.read_aloud_seconds:g} 秒")
    for f in view.findings:
        arrow = f" → {f.suggestions[0]}" if f.suggestions else ""
        console.print(f"  {f.line}:{f.column} {f.level} [dim]{f.rule}[/dim] 「{_escape(f.text)}」{_escape(f.message)}{_escape(arrow)}")
    if view.comments:
        console.print("\n[bold]意见[/bold]：")
        for e in view.comments:
            console.print(f"  {_local(e.at)} {_escape(e.user)} {_action_name(e.action)} r{e.revision}：{_escape(str(e.detail['comment']))}")
    return 0


def _state_name(state: str) -> str:
    from kbtool.services.store import STATE_NAMES

    return STATE_NAMES.get(state, state)


# -- flags ------------------------------------------------------------------------------------

def cmd_flag(args: argparse.Namespace) -> int:
    with _open(args) as store:
        flag_id = store.flag(args.id, args.reason, user=args.user)
    return _done(f"{args.id}: 已标记（#{flag_id}），编辑会在待办中看到")


def cmd_flags_list(args: argparse.Namespace) -> int:
    with _open(args) as store:
        flags = store.flags(args.id, include_resolved=args.all)
    if args.format == "json":
        print_json([f.to_dict() for f in flags])
        return 0
    for f in flags:
        done = f"  已处理：{f.resolved_by}，{f.resolution}" if f.resolved_at else ""
        print(f"#{f.id:<4} {f.article_id:<36} {_pad(f.flagged_by, 12)} {f.reason}{done}")
    return 0


def cmd_flags_resolve(args: argparse.Namespace) -> int:
    with _open(args) as store:
        flag = store.resolve_flag(args.flag_id, args.comment, user=args.user)
    return _done(f"#{flag.id}（{flag.article_id}）已处理")


# -- history ----------------------------------------------------------------------------------

def cmd_history(args: argparse.Namespace) -> int:
    with _open(args) as store:
        entries = store.history(args.id)
        problems = store.verify_history() if args.verify else []
    if args.format == "json":
        print_json([e.to_dict() for e in entries])
    else:
        for e in entries:
            rev = f" r{e.revision}" if e.revision is not None else ""
            art = f" {e.article_id}" if args.id is None and e.article_id else ""
            detail = "，".join(f"{k}={v}" for k, v in e.detail.items())
            hashes = f" 源 {e.source_hash[:10]}" if e.source_hash else ""
            hashes += f" 稿 {e.text_hash[:10]}" if e.text_hash else ""
            print(f"{_local(e.at)} {_pad(e.user, 12)} {_pad(_action_name(e.action), 18)}{art}{rev}{hashes}  {detail}".rstrip())
    for problem in problems:
        print(f"kbtool: {problem}", file=sys.stderr)
    if args.verify and not problems:
        print("历史记录完整：哈希链校验通过", file=sys.stderr)
    return 1 if problems else 0


# -- export -----------------------------------------------------------------------------------

EXPORT_FIELDS = ("id", "title", "kind", "category", "source_hash", "revision", "author", "approver", "approved_at",
                 "review_by", "stale", "expired", "text_hash", "spoken_text")


def _markdown(row: dict[str, Any]) -> str:
    lines = ["---"]
    for key in EXPORT_FIELDS:
        if key != "spoken_text":
            lines.append(f"{key}: {json.dumps(row[key], ensure_ascii=False)}")
    lines += ["---", str(row["spoken_text"]).rstrip("\n")]
    for script in row["verbatim"]:
        if script not in str(row["spoken_text"]):  # the editor may have kept it in the text already
            lines += ["", "```verbatim", script, "```"]
    return "\n".join(lines) + "\n"


def _csv(rows: list[dict[str, Any]]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=[*EXPORT_FIELDS, "verbatim"], extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({**row, "verbatim": "\n".join(row["verbatim"])})
    return buf.getvalue()


def cmd_export(args: argparse.Namespace) -> int:
    with _open(args) as store:
        rows = store.approved_answers(include_expired=args.include_expired)
    fmt = args.format
    if args.dir is None:
        if fmt == "json":
            print_json(rows)
        elif fmt == "csv":
            sys.stdout.write(_csv(rows))
        else:
            sys.stdout.write("\n".join(_markdown(r) for r in rows))
    else:
        out = Path(args.dir)
        try:
            out.mkdir(parents=True, exist_ok=True)
            if fmt == "md":
                for row in rows:
                    (out / f"{row['id']}.md").write_text(_markdown(row), encoding="utf-8")
            elif fmt == "json":
                (out / "answers.json").write_text(json.dumps(rows, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
            else:
                (out / "answers.csv").write_text(_csv(rows), encoding="utf-8")
        except OSError as exc:
            raise KbInputError(InputProblem(str(out), None, f"无法写入：{exc.strerror}")) from None
    stale = sum(1 for r in rows if r["stale"])
    where = f"到 {args.dir}" if args.dir else ""
    return _done(f"导出{where} {len(rows)} 篇已审核口语答案（{stale} 篇源文已改、待重审）")


# -- styles stats -----------------------------------------------------------------------------

def cmd_styles_stats(args: argparse.Namespace) -> int:
    with _open(args) as store:
        stats = store.rule_stats()
    if args.format == "json":
        print_json([s.to_dict() for s in stats])
        return 0
    print(_pad("规则", 36) + "".join(" " + _pad("", 6 - 2 * len(label)) + label for label in ("采纳率", "采纳", "手改", "驳回", "未定")))
    for s in stats:
        rate = "—" if s.acceptance is None else f"{s.acceptance:.0%}"
        print(f"{s.rule:<36} {rate:>6} {s.accepted:>6} {s.edited:>6} {s.rejected:>6} {s.undecided:>6}")
    print(f"{len(stats)} 条规则有编辑决定记录（按采纳率从低到高：最常被驳回的在前）", file=sys.stderr)
    return 0


def _attach_styles_stats(sub: Any, common: Callable[[argparse.ArgumentParser], None]) -> None:
    """``kbtool styles stats``: the styles group is built in cli.py, so find its sub-command
    action and add to it (unless someone already did)."""
    styles = sub.choices.get("styles")
    if styles is None:
        return
    actions = [a for a in styles._actions if isinstance(a, argparse._SubParsersAction)]
    if not actions or "stats" in actions[0].choices:
        return
    p = actions[0].add_parser("stats", help="编辑采纳或推翻每条规则建议的次数（来自保存的草稿）",
                              description="每条规则的建议被编辑采纳、手改、驳回的次数（来自保存的草稿），最常被驳回的在前。")
    store_options(p)
    common(p)
    format_option(p)
    p.set_defaults(func=cmd_styles_stats)


# -- parser -----------------------------------------------------------------------------------

def register(sub: Any, common: Callable[[argparse.ArgumentParser], None]) -> None:
    def command(parser: Any, name: str, func: Callable[[argparse.Namespace], int], help_text: str,
                fmt: bool = False) -> argparse.ArgumentParser:
        p = parser.add_parser(name, help=help_text, description=help_text + "。")
        store_options(p)
        common(p)
        if fmt:
            format_option(p)
        p.set_defaults(func=func)
        return p

    def with_id(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
        p.add_argument("id", metavar="ID", help="文章 ID")
        return p

    command(sub, "sync", cmd_sync, "把 kb/ 导入审核数据库（新增、修改、删除；标出已过时的审核结果）", fmt=True)

    draft = sub.add_parser("draft", help="口语草稿：保存、查看、列出修订、提交",
                           description="口语草稿：保存、查看、列出修订、提交审核。")
    draft_sub = draft.add_subparsers(dest="draft_command", required=True, metavar="子命令")
    p = with_id(command(draft_sub, "save", cmd_draft_save, "把文件（'-' 为标准输入）保存为新的修订"))
    p.add_argument("file", metavar="文件", help="口语草稿文件，'-' 为标准输入")
    p.add_argument("--base", type=integer, metavar="修订号",
                   help="你修改时依据的修订（默认：当前修订）；依据的修订已被别人更新时，保存为冲突副本")
    p.add_argument("--decisions", metavar="文件", help="编辑对每个问题所做决定的 JSON（kbtool.core.draft）")
    p = with_id(command(draft_sub, "show", cmd_draft_show, "显示某个修订的文本（默认：当前修订）", fmt=True))
    p.add_argument("--revision", type=integer, metavar="修订号", help="修订号（默认：当前修订）")
    with_id(command(draft_sub, "list", cmd_draft_list, "列出所有修订，包括冲突副本", fmt=True))
    for parent, name in ((draft_sub, "submit"), (sub, "submit")):
        p = with_id(command(parent, name, cmd_submit, "把当前修订提交审核"))
        p.add_argument("--comment", metavar="意见", help="给审核人的说明")

    review = sub.add_parser("review", help="审核：待审列表、差异/事实核对/问题、审核决定",
                            description="审核：待审列表、编辑待办、差异/事实核对/剩余问题、审核决定。")
    review_sub = review.add_subparsers(dest="review_command", required=True, metavar="子命令")
    command(review_sub, "list", cmd_review_list, "等待审核的修订", fmt=True)
    command(review_sub, "queue", cmd_review_queue, "编辑待办：退回修改、源文已改、到期复核、坐席标记", fmt=True)
    p = with_id(command(review_sub, "show", cmd_review_show, "按词的差异、事实核对和剩余问题", fmt=True))
    p.add_argument("--revision", type=integer, metavar="修订号", help="修订号（默认：待审的修订）")
    for parent in (sub, review_sub):
        p = with_id(command(parent, "approve", cmd_approve, "审核通过待审的修订（不能是自己写的）"))
        p.add_argument("--comment", metavar="意见", help="审核意见")
        p.add_argument("--override-facts", metavar="理由", help="事实核对未通过时仍然通过审核，并写明理由")
        p.add_argument("--revision", type=integer, metavar="修订号", help="待审的修订不是这一个时拒绝操作")
        for name, func, help_text in (("request-changes", cmd_request_changes, "把修订退回给编辑修改"),
                                      ("reject", cmd_reject, "驳回修订")):
            p = with_id(command(parent, name, func, help_text))
            p.add_argument("--comment", required=True, metavar="意见", help="审核意见（必填）")
            p.add_argument("--revision", type=integer, metavar="修订号", help="待审的修订不是这一个时拒绝操作")

    p = with_id(command(sub, "archive", cmd_archive, "撤下文章的答案，坐席不再看到"))
    p.add_argument("--comment", metavar="意见", help="归档原因")

    p = with_id(command(sub, "flag", cmd_flag, "报告答案有误或已过时（坐席用）"))
    p.add_argument("reason", metavar="原因", help="哪里不对")
    flags = sub.add_parser("flags", help="坐席标记：列出、处理", description="坐席标记：列出、处理。")
    flags_sub = flags.add_subparsers(dest="flags_command", required=True, metavar="子命令")
    p = command(flags_sub, "list", cmd_flags_list, "未处理的标记", fmt=True)
    p.add_argument("id", nargs="?", metavar="ID", help="只看这篇文章")
    p.add_argument("--all", action="store_true", help="也列出已处理的")
    p = command(flags_sub, "resolve", cmd_flags_resolve, "处理标记并写明做了什么")
    p.add_argument("flag_id", type=integer, metavar="标记编号", help="kbtool flags list 列出的编号（#后面的数字）")
    p.add_argument("--comment", required=True, metavar="意见", help="做了什么（必填）")

    p = command(sub, "history", cmd_history, "一篇文章（或全部）的审计记录", fmt=True)
    p.add_argument("id", nargs="?", metavar="ID", help="文章 ID（默认：整个数据库）")
    p.add_argument("--verify", action="store_true", help="校验哈希链：有记录被改过时退出码为 1")

    p = command(sub, "export", cmd_export, "导出已审核的口语版本，写成文件或输出到标准输出")
    p.add_argument("dir", nargs="?", metavar="目录", help="写到这个目录（md：每篇答案一个文件），而不是标准输出")
    p.add_argument("--format", choices=EXPORT_FORMATS, default="md", help="导出格式（默认：md）")
    p.add_argument("--include-expired", action=argparse.BooleanOptionalAction, default=True,
                   help="包括已过期的公告（默认：包括）")

    _attach_styles_stats(sub, common)
