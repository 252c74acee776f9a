"""审核: the queue of drafts in review, and one draft with its word-level diff, fact check,
remaining findings and history; approve, request changes or reject.

Every rule (four eyes, roles, fact check before approval) is the store's: this screen only
asks, and shows the store's one-line answer when it says no.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import DataTable, Static

from kbtool.services.store import ACTION_NAMES
from kbtool.tui.format import LEVEL_TEXT, clip, finding_line, mmss
from kbtool.tui.messages import EntryChanged, ReviewDone, ReviewLoaded, ReviewQueueLoaded, StoreRefused
from kbtool.tui.screens.base import KbScreen
from kbtool.tui.widgets.wrapped import WrappedText

DELETED = "strike #e5534b"
INSERTED = "bold #57ab5a"
VIEWS = ("diff", "spoken", "source")
VIEW_LABEL = {"diff": "逐词差异", "spoken": "口语稿", "source": "原文"}


def diff_text(ops: list[Any]) -> Text:
    """Source → spoken over words: deletions struck through in red, insertions in green."""
    out = Text()
    for op in ops:
        if op.tag == "equal":
            out.append(op.b_text)
            continue
        if op.a_text:
            out.append(op.a_text, style=DELETED)
        if op.b_text:
            out.append(op.b_text, style=INSERTED)
    return out


def questions_text(changes: Any) -> Text:
    """The questions a revision adds (green) or drops (struck red), as a line above the text."""
    out = Text()
    if changes is None or not (changes.added or changes.removed):
        return out
    out.append("问法：", style="bold")
    for q in changes.added:
        out.append(f"＋{q}", style=INSERTED)
        out.append(" ")
    for q in changes.removed:
        out.append(f"－{q}", style=DELETED)
        out.append(" ")
    out.rstrip()
    out.append("\n\n")
    return out


def local_time(at: str) -> str:
    """A stored UTC timestamp as local month-day hour:minute."""
    return dt.datetime.fromisoformat(at).astimezone().strftime("%m-%d %H:%M")


def history_text(entries: list[Any], width: int) -> Text:
    out = Text()
    for e in entries:
        when = local_time(e.at)
        rev = f" r{e.revision}" if e.revision else ""
        out.append(f"{when} ", style="dim")
        out.append(f"{e.user} ")
        out.append(ACTION_NAMES.get(e.action, e.action), style="bold" if e.action in ("approve", "request_changes", "reject") else "")
        out.append(f"{rev}\n", style="dim")
        comment = e.detail.get("comment") or e.detail.get("reason")
        if comment:
            out.append(f"  「{clip(str(comment), max(8, width - 6))}」\n", style="italic")
    return out


class ReviewScreen(KbScreen):
    """The queue. Enter opens a draft for review."""

    TITLE = "审核"
    MODE = "review"
    BINDINGS: ClassVar[list[BindingType]] = [
        # priority: the table's own (hidden) Enter would otherwise hide this one from the footer
        Binding("enter", "open", "打开", id="review.open", key_display="回车", priority=True),
        Binding("ctrl+r", "reload", "刷新", id="review.reload"),
    ]

    def body(self) -> ComposeResult:
        with Vertical(id="review-box"):
            yield DataTable(id="review-table", cursor_type="row", zebra_stripes=True)
            yield Static(id="review-empty")

    def on_mount(self) -> None:
        super().on_mount()
        self._queue: list[Any] = []
        table = self.query_one(DataTable)
        table.add_column("修订", key="rev", width=4)
        table.add_column("作者", key="author", width=8)
        table.add_column("分类", key="cat", width=8)
        table.add_column("标题", key="title")
        self.set_focus(table)
        self.refresh_data("mount")

    def refresh_data(self, kind: str) -> None:
        if kind in ("mount", "resume", "catalog", "status", "user"):
            self.load_queue()

    def load_queue(self) -> None:
        empty = self.query_one("#review-empty", Static)
        if self.kb.store is None:
            empty.update("审核库还在打开…" if not self.kb.catalog_ready else "审核库没有打开：无法审核。")
            return
        self.fetch_queue(self.kb.store)

    @work(thread=True, exclusive=True, exit_on_error=False, group="review-queue")
    def fetch_queue(self, store: Any) -> None:
        from kbtool.tui import services

        self.post_message(ReviewQueueLoaded(services.review_queue(store)))

    def on_review_queue_loaded(self, message: ReviewQueueLoaded) -> None:
        self._queue = message.queue
        table = self.query_one(DataTable)
        table.clear()
        width = max(10, table.size.width - 30)
        for entry, revision in self._queue:
            author = revision.author if revision else ""
            mine = author == self.kb.user
            table.add_row(f"r{revision.number}" if revision else "", Text(clip(author, 8), style="dim" if mine else ""),
                          clip(entry.category, 8), clip(entry.title, width), key=entry.id)
        self.query_one("#review-box").border_title = f"待审核 {len(self._queue)}"
        empty = self.query_one("#review-empty", Static)
        empty.update("" if self._queue else "没有待审核的口语稿。")
        empty.display = not self._queue
        table.display = bool(self._queue)  # the message sits at the top, not under an empty table
        if self._queue and self.focused is None:
            self.set_focus(table)

    @on(DataTable.RowSelected, "#review-table")
    def _selected(self, event: DataTable.RowSelected) -> None:
        self.open_review(str(event.row_key.value))

    def action_open(self) -> None:
        table = self.query_one(DataTable)
        if table.row_count:
            self.open_review(str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value))

    def action_reload(self) -> None:
        self.load_queue()

    def open_review(self, article_id: str) -> None:
        if self.kb.store is None:
            self.notify("审核库没有打开", severity="error", timeout=5)
            return
        self.app.push_screen(ReviewDetailScreen(article_id))


class ReviewDetailScreen(KbScreen):
    TITLE = "审核详情"
    MODE = "review"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "approve", "通过", id="review.approve", priority=True),
        Binding("r", "request_changes", "退回", id="review.request", tooltip="退回修改（必须写意见）", priority=True),
        Binding("x", "reject", "驳回", id="review.reject", priority=True),
        Binding("v", "cycle_view", "切换视图", id="review.view", tooltip="逐词差异 / 口语稿 / 原文"),
        Binding("escape", "back", "返回", id="review.back"),
    ]
    ENTRY_ACTIONS = frozenset({"approve", "request_changes", "reject"})  # each asks for a comment

    def __init__(self, article_id: str) -> None:
        super().__init__()
        self.article_id = article_id
        self.view: Any = None
        self.question_changes: Any = None
        self.shown = "diff"

    def body(self) -> ComposeResult:
        with Horizontal(id="review-main"):
            with VerticalScroll(id="review-text"):
                yield WrappedText("正在载入…", id="review-text-body")
            with Vertical(id="review-side"):
                with VerticalScroll(id="review-facts"):
                    yield WrappedText(id="review-facts-body")
                with VerticalScroll(id="review-findings"):
                    yield Static(id="review-findings-body")
                with VerticalScroll(id="review-history"):
                    yield Static(id="review-history-body")
        yield Static(id="review-bar")

    def on_mount(self) -> None:
        entry = self.kb.catalog.get(self.article_id)
        self.title = f"审核：{entry.title}" if entry else f"审核：{self.article_id}"
        super().on_mount()
        self.query_one("#review-facts").border_title = "事实核对"
        self.query_one("#review-findings").border_title = "剩余问题"
        self.query_one("#review-history").border_title = "历史"
        self.load()

    def refresh_data(self, kind: str) -> None:
        if kind == "detector" and self.view is None:
            self.load()

    def load(self) -> None:
        if self.kb.detector is None:
            self.query_one("#review-text-body", WrappedText).set_text("规则包加载中，马上就好…")
            return
        self.fetch(self.kb.store, self.kb.detector)

    @work(thread=True, exclusive=True, exit_on_error=False, group="review-load")
    def fetch(self, store: Any, detector: Any) -> None:
        from kbtool.core.errors import KbInputError
        from kbtool.tui import services

        try:
            view = services.build_review(store, detector, self.article_id)
            questions = services.question_changes(self.kb.query_log, store, self.article_id, view.revision.number)
            self.post_message(ReviewLoaded(view, questions=questions))
        except KbInputError as exc:
            self.post_message(ReviewLoaded(None, str(exc.problems[0])))

    def on_review_loaded(self, message: ReviewLoaded) -> None:
        if message.view is None:
            self.query_one("#review-text-body", WrappedText).set_text(Text(message.error, style="bold red"))
            self.notify(message.error, title="无法审核", severity="error", timeout=8)
            return
        self.view = message.view
        self.question_changes = message.questions
        self._paint()

    def _paint(self) -> None:
        view = self.view
        rev = view.revision
        body = self.query_one("#review-text-body", WrappedText)
        if self.shown == "diff":
            body.set_text(questions_text(self.question_changes) + diff_text(view.diff))
        elif self.shown == "spoken":
            body.set_text(questions_text(self.question_changes) + Text(rev.spoken_text))
        else:
            body.set_text(Text(view.article.source_text))
        box = self.query_one("#review-text")
        box.border_title = f"{VIEW_LABEL[self.shown]} · r{rev.number} · 作者 {rev.author}"
        box.border_subtitle = "v 切换视图"
        facts = Text()
        if not view.facts.available:
            facts.append("没有安装事实核对", style="dim")
        elif view.facts.ok:
            facts.append("✓ 数字、日期、金额、否定都保留了", style="green")
        else:
            facts.append(f"✗ {len(view.facts.problems)} 处不一致：\n", style="bold red")
            for problem in view.facts.problems:
                facts.append(f"· {problem}\n")
        self.query_one("#review-facts-body", WrappedText).set_text(facts)
        side_width = max(16, self.query_one("#review-side").size.width - 4)
        findings = Text()
        words = [f for f in view.findings if f.scope == "word"]
        for f in view.findings:
            findings.append_text(finding_line(f, side_width))
            findings.append("\n")
        if not view.findings:
            findings.append("没有剩余问题", style="green")
        self.query_one("#review-findings").border_title = f"剩余问题 {len(words)}"
        self.query_one("#review-findings-body", Static).update(findings)
        self.query_one("#review-history-body", Static).update(history_text(view.history, side_width))
        bar = Text()
        bar.append(f"就绪 {view.metrics.readiness} · 朗读 {mmss(view.metrics.read_aloud_seconds)}")
        from kbtool.core.diff import similarity

        bar.append(f" · 保留原词 {similarity(view.diff):.0%}")
        if view.article.state != "in_review":
            bar.append(f" · 当前状态：{view.article.state}", style=LEVEL_TEXT["warning"])
        if rev.author == self.kb.user:
            bar.append(" · 这是你写的稿：须由另一位审核人通过（F9 换用户）", style=LEVEL_TEXT["warning"])
        self.query_one("#review-bar", Static).update(bar)

    # -- actions ----------------------------------------------------------------------------------

    def action_cycle_view(self) -> None:
        self.shown = VIEWS[(VIEWS.index(self.shown) + 1) % len(VIEWS)]
        if self.view is not None:
            self._paint()

    def _ready(self) -> bool:
        if self.view is None:
            self.notify("还在载入", severity="warning", timeout=3)
            return False
        return True

    async def action_approve(self) -> None:
        if not self._ready():
            return
        from kbtool.tui.screens.dialogs import CommentPrompt

        facts = self.view.facts
        revision = self.view.revision.number
        if facts.available and not facts.ok:
            def override(reason: str | None) -> None:
                if reason:
                    self.decide("approve", revision, comment=None, override=reason)

            await self.kb.ask(CommentPrompt("事实核对没有通过", "确需通过，请写明理由（会记入历史）：", required=True), override)
            return

        def approve(comment: str | None) -> None:
            if comment is not None:
                self.decide("approve", revision, comment=comment or None)

        await self.kb.ask(CommentPrompt(f"通过 r{revision}", "意见（可以不写），Ctrl+S 确认通过：", required=False), approve)

    async def action_request_changes(self) -> None:
        await self._with_comment("request_changes", "退回修改", "请写明要改什么：")

    async def action_reject(self) -> None:
        await self._with_comment("reject", "驳回", "请写明驳回的理由：")

    async def _with_comment(self, action: str, title: str, prompt: str) -> None:
        if not self._ready():
            return
        from kbtool.tui.screens.dialogs import CommentPrompt

        revision = self.view.revision.number

        def done(comment: str | None) -> None:
            if comment:
                self.decide(action, revision, comment=comment)

        await self.kb.ask(CommentPrompt(title, prompt, required=True), done)

    @work(thread=True, exclusive=True, exit_on_error=False, group="store-write")
    def decide(self, action: str, revision: int, comment: str | None = None, override: str | None = None) -> None:
        from kbtool.core.errors import KbInputError
        from kbtool.tui import services

        store, user = self.kb.store, self.kb.user
        try:
            if action == "approve":
                store.approve(self.article_id, user=user, revision=revision, comment=comment, override_facts=override)
            elif action == "request_changes":
                store.request_changes(self.article_id, comment or "", user=user, revision=revision)
            else:
                store.reject(self.article_id, comment or "", user=user, revision=revision)
        except KbInputError as exc:
            self.post_message(StoreRefused(action, str(exc.problems[0])))
            return
        self.post_message(ReviewDone(action, revision, services.refresh_entry(store, self.article_id)))

    def on_review_done(self, message: ReviewDone) -> None:
        said = {"approve": "已通过", "request_changes": "已退回修改", "reject": "已驳回"}[message.action]
        self.app.post_message(EntryChanged(message.entry))
        self.notify(f"r{message.revision} {said}", title="审核完成", timeout=4)
        self.dismiss()

    def on_store_refused(self, message: StoreRefused) -> None:
        self.notify(message.message, title="没有办成", severity="error", timeout=12)

    def action_back(self) -> None:
        self.dismiss()
