"""The article editor: source with findings, the findings with their suggestions, the spoken
draft re-checked as you type, and a bar with readiness, read-aloud time and the fact check.

The draft is ``kbtool.core.draft.Draft``: decisions per finding plus free edits, rendered with
grammatical seams. The text area always shows ``draft.text``; a decision re-renders the draft
and the text area takes only the changed stretch, and a keystroke in the text area becomes a
free edit of the draft (``edit_output``), so decisions and typing never overwrite each other.
"""

from __future__ import annotations

from typing import Any, ClassVar

from rich.style import Style
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import OptionList, Static, TextArea
from textual.widgets.option_list import Option

from kbtool.tui.format import CURRENT_MARK, LEVEL_LABEL, LEVEL_MARK, LEVEL_TEXT, STATUS_LABEL, finding_line, item_message, mmss
from kbtool.tui.keys import after_typed
from kbtool.tui.messages import (
    ArticleOpened,
    DraftStored,
    EntryChanged,
    QuestionDecided,
    QuestionsLoaded,
    StoreRefused,
    TextChecked,
)
from kbtool.tui.screens.base import KbScreen
from kbtool.tui.spans import changed_region, line_starts, to_location
from kbtool.tui.widgets.marked_text import MarkedTextArea
from kbtool.tui.widgets.questions import QuestionList

CHECK_DEBOUNCE = 0.3
DECIDED_MARK = {
    "accepted": Style.parse("strike #7f8c8d"),
    "edited": Style.parse("strike #7f8c8d"),
    "manual": Style.parse("strike #7f8c8d"),
    "rejected": Style.parse("dim"),
    "conflict": Style.parse("underline #e5534b"),
}
VERBATIM_MARK = Style.parse("italic #5f9f7f")  # compliance scripts: read as written, never changed
DRAFT_CURRENT = Style.parse("underline bold")
STATE_ICON = {"accepted": "✓", "edited": "✎", "manual": "✎", "rejected": "✗", "conflict": "⚠", "pending": ""}
STATE_SAID = {
    "accepted": "已采纳", "edited": "已改写为", "rejected": "不改", "manual": "已在口语稿里手动改过",
    "conflict": "与稿中的手动修改冲突，没有生效",
}


class ArticleScreen(KbScreen):
    TITLE = "编辑文章"
    MODE = "editor"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "move(1)", "下一处", id="article.next"),
        Binding("p", "move(-1)", "上一处", id="article.prev", show=False),
        Binding("a", "accept(0)", "采纳", id="article.accept"),
        *[Binding(str(k), f"accept({k - 1})", f"采纳第{k}个替换", id=f"article.accept{k}", show=False) for k in range(1, 10)],
        Binding("x", "reject", "不改", id="article.reject"),
        # e and u are named in the finding's detail box; the footer keeps room for the rest at 80 columns.
        Binding("e", "edit", "改写", id="article.edit", show=False, priority=True),
        Binding("u", "undo", "撤销", id="article.undo", show=False),
        Binding("d", "focus_draft", "写稿", id="article.draft", priority=True),
        Binding("q", "questions", "问法", id="article.questions", tooltip="答案的标准问、相似问和来自查询记录的问法建议"),
        Binding("ctrl+s", "save", "保存", id="article.save", priority=True),
        Binding("ctrl+t", "submit", "提交", id="article.submit", priority=True, tooltip="保存并提交审核"),
        Binding("escape", "back", "返回", id="article.back", show=False),
    ]
    ENTRY_ACTIONS = frozenset({"focus_draft", "edit"})

    def __init__(self, article_id: str) -> None:
        super().__init__()
        self.article_id = article_id
        self.opened: Any = None
        self.draft: Any = None
        self.items: list[Any] = []
        self.base_revision: int | None = None
        self._text = ""           # what the draft rendered to last: the text area shows exactly this
        self._saved_text = ""     # the text of the last save (or the starting text)
        self._draft_check: TextChecked | None = None
        self._debounce = self.debouncer(CHECK_DEBOUNCE)
        self._confirm_leave = False
        self._conflict_head: int | None = None
        self.questions: Any = None  # services.QuestionsView

    def body(self) -> ComposeResult:
        with Horizontal(id="article-main"):
            with Vertical(id="article-left"):
                yield MarkedTextArea(id="source", read_only=True, show_cursor=False)
                yield MarkedTextArea(id="draft", read_only=True)
            with Vertical(id="article-right"):
                yield OptionList(id="findings")
                with VerticalScroll(id="finding-detail"):
                    yield Static("正在打开…", id="finding-detail-text")
                yield QuestionList(id="questions")
        yield Static(id="article-bar")

    # -- opening -----------------------------------------------------------------------------------

    def on_mount(self) -> None:
        entry = self.kb.catalog[self.article_id]
        self.title = f"编辑：{entry.title}"
        super().on_mount()
        self.query_one("#source").border_title = "原文"
        self.query_one("#draft").border_title = "口语稿（d 进入，Esc 离开）"
        self.query_one("#findings").border_title = "问题"
        self.query_one("#questions").border_title = "问法（q 返回问题清单）"
        self._start_open()

    def _start_open(self) -> None:
        if self.kb.detector is None:
            self.query_one("#finding-detail-text", Static).update("规则包加载中，马上就好…")
            return
        self.open_article(self.kb.detector, self.kb.store, self.kb.catalog[self.article_id])

    @work(thread=True, exclusive=True, exit_on_error=False, group="article-open")
    def open_article(self, detector: Any, store: Any, entry: Any) -> None:
        from kbtool.core.errors import KbInputError
        from kbtool.tui import services

        try:
            self.post_message(ArticleOpened(services.open_for_editing(store, detector, entry)))
        except KbInputError as exc:
            self.post_message(ArticleOpened(None, "；".join(str(p) for p in exc.problems)))

    def on_article_opened(self, message: ArticleOpened) -> None:
        if message.opened is None:
            self.query_one("#finding-detail-text", Static).update(Text(f"打不开这篇文章：{message.error}", style="bold red"))
            self.notify(message.error, title="打不开文章", severity="error", timeout=8)
            return
        opened = self.opened = message.opened
        self.draft = opened.draft
        self.items = sorted(self.draft.items, key=lambda it: (it.start, -it.end))
        self.base_revision = opened.base_revision
        self.query_one("#source", MarkedTextArea).load_text(opened.body)
        draft_area = self.query_one("#draft", MarkedTextArea)
        self._text = self.draft.text
        draft_area.load_text(self._text)
        draft_area.read_only = False
        self._saved_text = self._text
        if opened.note:
            self.notify(opened.note, severity="warning", timeout=8)
        if opened.review:
            self.notify(opened.review, title="审核意见", severity="warning", timeout=20)
        self._fill_findings()
        self.call_after_refresh(self._fill_findings)  # again once the list knows its width
        self._show_current()
        self._schedule_check(0)
        self._load_questions()

    def refresh_data(self, kind: str) -> None:
        if kind == "detector" and self.opened is None:
            self._start_open()
        elif kind == "detector":
            self._schedule_check(0)
        elif kind == "querylog" and self.opened is not None:
            self._load_questions()

    # -- questions and the search log's suggestions (issue 9) --------------------------------------

    def _load_questions(self) -> None:
        if self.kb.query_log is not None:
            self.fetch_questions(self.kb.query_log)

    @work(thread=True, exclusive=True, exit_on_error=False, group="article-questions")
    def fetch_questions(self, log: Any) -> None:
        from kbtool.core.errors import KbInputError
        from kbtool.tui import services

        try:
            self.post_message(QuestionsLoaded(self.article_id, services.article_questions(log, self.article_id)))
        except KbInputError as exc:
            self.post_message(QuestionsLoaded(self.article_id, None, str(exc.problems[0])))

    def on_questions_loaded(self, message: QuestionsLoaded) -> None:
        if message.view is None:
            self.notify(message.error, title="问法读不出来", severity="warning", timeout=6)
            return
        self.questions = message.view
        self.query_one(QuestionList).show(message.view)
        self._paint_bar()

    def action_questions(self) -> None:
        """Show the questions instead of the findings (q again, or Esc, goes back)."""
        right = self.query_one("#article-right")
        showing = not right.has_class("-questions")
        right.set_class(showing, "-questions")
        if showing:
            if self.kb.query_log is None:
                self.notify("查询日志还没有打开：问法建议暂不可用", severity="warning", timeout=4)
            self.set_focus(self.query_one(QuestionList))
        else:
            self.set_focus(self.query_one("#findings", OptionList))

    @on(QuestionList.Decide)
    def _decide_question(self, event: QuestionList.Decide) -> None:
        if not self._can_store() or self.kb.query_log is None:
            return
        unsaved = self._text != self._saved_text or self.base_revision is None
        # Accepting adds a revision on top of the head: the editor's unsaved draft goes first,
        # so the question is added to it rather than to an older text.
        text = self._text if event.action == "accept" and unsaved else None
        base = self._save_base() if text is not None else self.base_revision
        self.decide_question(event.action, event.suggestion, text, base, self.draft.to_dict())

    @work(thread=True, exclusive=True, exit_on_error=False, group="store-write")
    def decide_question(self, action: str, suggestion: Any, text: str | None, base: int | None,
                        decisions: dict[str, Any]) -> None:
        from kbtool.core.errors import KbInputError
        from kbtool.tui import services

        store, log, user = self.kb.store, self.kb.query_log, self.kb.user
        try:
            if action == "dismiss":
                log.dismiss(suggestion.id, user=user)
                self.post_message(QuestionDecided("dismiss", suggestion.question))
            else:
                if text is not None:
                    number = services.save_draft(store, self.article_id, text, base, decisions, user).number
                    entry = services.refresh_entry(store, self.article_id)
                    self.post_message(DraftStored(self.article_id, number, text, entry))
                accepted = log.accept_for(suggestion.id, self.article_id, user=user)
                self.post_message(QuestionDecided("accept", accepted.question, accepted.revision,
                                                  entry=services.refresh_entry(store, self.article_id)))
        except KbInputError as exc:
            head = getattr(exc, "head", None)
            self.post_message(StoreRefused("save" if head is not None else action, str(exc.problems[0]),
                                           head.number if head is not None else None))

    def on_question_decided(self, message: QuestionDecided) -> None:
        self._load_questions()
        if message.action == "dismiss":
            self.notify(f"已忽略「{message.question}」：以后不再建议", title="问法", timeout=4)
            return
        self.base_revision = message.revision
        self.app.post_message(EntryChanged(message.entry))
        self.notify(f"已把「{message.question}」加进问法：草稿 r{message.revision}，提交审核通过后生效",
                    title="已采纳问法", timeout=5)
        self._paint_bar()

    def on_resize(self) -> None:
        if self.opened is not None:
            self._fill_findings()

    # -- state of each item -----------------------------------------------------------------------

    def _states(self) -> dict[str, str]:
        """pending | accepted | edited | rejected | conflict | manual (under a free edit)."""
        rendered = self.draft.render()
        edits = [(e.start, e.end) for e in self.draft.edits]
        states = {}
        for it in self.items:
            decision = self.draft.decisions.get(it.key)
            if decision is not None:
                state = {"accept": "accepted", "edit": "edited", "reject": "rejected"}[decision.action]
                if decision.action != "reject" and it.key in rendered.conflicts:
                    state = "conflict"
            elif any((s < it.end and it.start < e) or (s == e and it.start < s < it.end) for s, e in edits):
                state = "manual"
            else:
                state = "pending"
            states[it.key] = state
        return states

    def _current(self) -> int | None:
        index = self.query_one("#findings", OptionList).highlighted
        return index if index is not None and index < len(self.items) else None

    # -- painting ------------------------------------------------------------------------------------

    def _fill_findings(self) -> None:
        if self.opened is None:
            return
        options = self.query_one("#findings", OptionList)
        keep = options.highlighted
        states = self._states()
        width = max(12, options.scrollable_content_region.width - 1)
        options.clear_options()
        for i, it in enumerate(self.items):
            options.add_option(Option(finding_line(it, width, STATE_ICON[states[it.key]], self._chosen(it)), id=str(i)))
        if self.items:
            options.highlighted = min(keep or 0, len(self.items) - 1)
        self._title_counts(states)
        if not self.items:
            self.query_one("#finding-detail-text", Static).update(Text("原文没有发现问题。可以直接写口语稿。", style="green"))

    def _chosen(self, item: Any) -> str | None:
        """The words a decided finding became (the alternative taken, or the editor's own)."""
        decision = self.draft.decisions.get(item.key)
        if decision is None or decision.action == "reject":
            return None
        if decision.action == "edit":
            return decision.text
        return item.suggestions[decision.choice] if 0 <= decision.choice < len(item.suggestions) else None

    def _title_counts(self, states: dict[str, str]) -> None:
        done = sum(1 for s in states.values() if s != "pending")
        self.query_one("#findings", OptionList).border_title = f"问题 {done}/{len(self.items)} 已处理"

    def _refresh_rows(self) -> None:
        """Update each row's icon in place (keeps the list's scroll and highlight)."""
        options = self.query_one("#findings", OptionList)
        states = self._states()
        width = max(12, options.scrollable_content_region.width - 1)
        for i, it in enumerate(self.items):
            options.replace_option_prompt_at_index(i, finding_line(it, width, STATE_ICON[states[it.key]], self._chosen(it)))
        self._title_counts(states)
        self._paint_source(states)
        self._show_detail(states)

    def _paint_source(self, states: dict[str, str] | None = None) -> None:
        states = states or self._states()
        current = self._current()
        marks = [(s, e, VERBATIM_MARK) for s, e in self.opened.verbatim]
        # Sentence-wide items first so the word marks inside them sit on top.
        order = sorted(range(len(self.items)), key=lambda i: self.items[i].scope == "word")
        for i in order:
            it = self.items[i]
            state = states[it.key]
            style = DECIDED_MARK[state] if state != "pending" else LEVEL_MARK.get(it.level, LEVEL_MARK["suggestion"])
            if i == current:
                style = style + CURRENT_MARK
            marks.append((it.start, it.end, style))
        self.query_one("#source", MarkedTextArea).set_marks(marks)

    def _show_detail(self, states: dict[str, str] | None = None) -> None:
        index = self._current()
        if index is None:
            return
        states = states or self._states()
        it = self.items[index]
        state = states[it.key]
        text = Text()
        text.append(LEVEL_LABEL.get(it.level, "建议"), style=LEVEL_TEXT.get(it.level, ""))
        text.append(f"「{it.text if len(it.text) <= 24 else it.text[:23] + '…'}」\n", style="bold")
        text.append(item_message(it.rule, it.message) + "\n")
        for k, s in enumerate(it.suggestions[:9], 1):
            text.append(f" {k} ", style="reverse")
            text.append(f" {s or '（删去）'}\n")
        decision = self.draft.decisions.get(it.key)
        if state != "pending":
            text.append(f"{STATE_ICON[state]} {STATE_SAID[state]}", style="green" if state != "conflict" else "bold red")
            if state == "accepted" and decision is not None:
                text.append(f"「{it.suggestions[decision.choice] or '（删去）'}」", style="green")
            elif state == "edited" and decision is not None:
                text.append(f"「{decision.text}」", style="green")
            text.append("（u 撤销）\n" if state != "manual" else "\n", style="dim")
        elif it.suggestions:
            keys = "a/1-9 采纳" if len(it.suggestions) > 1 else "a 采纳"
            text.append(f"{keys} · x 不改 · e 改写\n", style="dim")
        else:
            text.append("没有现成的替换：e 改写，或 x 不改\n", style="dim")
        text.append(it.rule, style="dim")
        self.query_one("#finding-detail-text", Static).update(text)

    def _show_current(self) -> None:
        """Paint, describe and bring into view the current item, in the source and the draft."""
        if self.opened is None:
            return
        states = self._states()
        self._paint_source(states)
        self._show_detail(states)
        index = self._current()
        if index is None:
            return
        it = self.items[index]
        source = self.query_one("#source", MarkedTextArea)
        source.move_cursor(to_location(line_starts(source.text), it.start), center=True)
        draft = self.query_one("#draft", MarkedTextArea)
        if not draft.has_focus:
            at = self.draft.render().to_output(it.start)
            draft.move_cursor(to_location(line_starts(draft.text), min(at, len(draft.text))), center=True)
        self._paint_draft()

    @on(OptionList.OptionHighlighted, "#findings")
    def _highlighted(self) -> None:
        self._show_current()

    # -- decisions -------------------------------------------------------------------------------------

    def _target(self) -> Any:
        index = self._current()
        if self.opened is None or index is None:
            self.notify("没有选中的问题", severity="warning", timeout=3)
            return None
        return self.items[index]

    def action_move(self, step: int) -> None:
        if self.query_one("#article-right").has_class("-questions"):
            self.action_questions()  # back to the findings
        if not self.items:
            return
        options = self.query_one("#findings", OptionList)
        options.highlighted = ((options.highlighted or 0) + step) % len(self.items)
        self.set_focus(options)

    def _advance(self) -> None:
        """After a decision: on to the next undecided item, wrapping round."""
        states = self._states()
        options = self.query_one("#findings", OptionList)
        current = options.highlighted or 0
        order = [(current + k) % len(self.items) for k in range(1, len(self.items) + 1)]
        target = next((i for i in order if states[self.items[i].key] == "pending"), None)
        if target is not None:
            options.highlighted = target

    def action_accept(self, choice: int) -> None:
        it = self._target()
        if it is None:
            return
        if not it.suggestions:
            self.notify("这条没有现成的替换：按 e 自己改写，或按 x 不改", severity="warning", timeout=4)
            return
        if choice >= len(it.suggestions):
            self.notify(f"只有 {len(it.suggestions)} 个替换可选", severity="warning", timeout=3)
            return
        self._decide(it, lambda: self.draft.accept(it.key, choice))

    def action_reject(self) -> None:
        it = self._target()
        if it is not None:
            self._decide(it, lambda: self.draft.reject(it.key))

    async def action_edit(self) -> None:
        it = self._target()
        if it is None:
            return
        from kbtool.tui.screens.dialogs import TextPrompt

        def done(value: str | None) -> None:
            if value is not None:
                self._decide(it, lambda: self.draft.edit(it.key, value))

        decision = self.draft.decisions.get(it.key)
        if decision is not None and decision.action == "edit":
            start = decision.text
        elif decision is not None and decision.action == "accept":
            start = it.suggestions[decision.choice]
        else:
            start = it.suggestions[0] if it.suggestions else it.text
        await self.kb.ask(TextPrompt("改写", f"把「{it.text[:20]}」换成：", start, allow_empty=True), done)

    def action_undo(self) -> None:
        it = self._target()
        if it is None:
            return
        if it.key not in self.draft.decisions:
            state = self._states()[it.key]
            hint = "它在口语稿里是手动改的，请直接在稿里改回" if state == "manual" else "这一处还没有处理"
            self.notify(hint, timeout=4)
            return
        self.draft.undecide(it.key)
        self._after_change()

    def _decide(self, it: Any, apply: Any) -> None:
        previous = self.draft.decisions.get(it.key)
        apply()
        if it.key in self.draft.render().conflicts:
            # A free edit in the draft covers this spot: the decision could not show; undo it.
            if previous is None:
                self.draft.undecide(it.key)
            else:
                self.draft.decisions[it.key] = previous
            self.notify("这处在口语稿里已经手动改过，请直接在稿里改", severity="warning", timeout=5)
            return
        self._after_change()
        self._advance()

    def _after_change(self) -> None:
        """Show the re-rendered draft: the text area takes only the stretch that changed."""
        new = self.draft.text
        area = self.query_one("#draft", MarkedTextArea)
        old = area.text
        self._text = new
        if new != old:
            start, old_end, new_end = changed_region(old, new)
            starts = line_starts(old)
            area.replace(new[start:new_end], to_location(starts, start), to_location(starts, old_end))
        self._refresh_rows()

    # -- the draft: typing is a free edit, re-checked after a pause, off the UI thread ----------------

    @on(TextArea.Changed, "#draft")
    def _draft_changed(self) -> None:
        area = self.query_one("#draft", MarkedTextArea)
        area.keep_marks_on_edit()
        if self.opened is None:
            return
        typed = area.text
        if typed != self._text:  # the editor typed: record it in the draft
            start, old_end, new_end = changed_region(self._text, typed)
            self.draft.edit_output(start, old_end, typed[start:new_end])
            if self.draft.text != typed:  # never expected; keep what is on screen, whole
                self.draft.edit_output(0, len(self.draft.text), typed)
            self._text = typed
            self._refresh_rows()
        self._confirm_leave = False
        self._schedule_check(CHECK_DEBOUNCE)
        self._paint_bar()

    def _schedule_check(self, delay: float) -> None:
        self._debounce(self._start_check, delay)

    def _start_check(self) -> None:
        if self.kb.detector is None or self.opened is None:
            self._paint_bar()
            return
        self.check_draft(self.kb.detector, self._text, self.opened.body)

    @work(thread=True, exclusive=True, exit_on_error=False, group="draft-check")
    def check_draft(self, detector: Any, text: str, source: str) -> None:
        from kbtool.tui import services

        findings, metrics, facts, note = services.check_draft(detector, text, source)
        self.post_message(TextChecked("draft", text, findings, metrics, facts=facts, note=note))

    def on_text_checked(self, message: TextChecked) -> None:
        if message.purpose != "draft":
            return
        self._draft_check = message
        self._paint_draft()
        self._paint_bar()

    def _paint_draft(self) -> None:
        area = self.query_one("#draft", MarkedTextArea)
        check = self._draft_check
        marks: list[tuple[int, int, Style]] = []
        if check is not None:
            marks = [(f.start, f.end, LEVEL_MARK[f.level]) for f in check.findings if f.scope == "word"]
            area.set_marks(marks, text=check.text)
            marks = area.marks
        index = self._current()
        if index is not None and self.opened is not None:
            it = self.items[index]
            rendered = self.draft.render()
            pieces = [p for p in rendered.pieces if p.origin == it.key]
            if pieces:
                span = (pieces[0].out_start, pieces[-1].out_end)
            else:
                span = (rendered.to_output(it.start), rendered.to_output(it.end))
            if span[1] > span[0]:
                marks = [*marks, (span[0], span[1], DRAFT_CURRENT)]
        area.set_marks(marks)

    def _paint_bar(self) -> None:
        bar = Text()
        check = self._draft_check
        if self.opened is None:
            bar.append("规则包加载中…" if self.kb.detector is None else "正在打开…", style="dim")
            self.query_one("#article-bar", Static).update(bar)
            return
        before = self.opened.report.metrics
        after = check.metrics if check else None
        bar.append("就绪 ")
        bar.append(str(before.readiness), style="bold")
        if after is not None:
            bar.append("→")
            bar.append(str(after.readiness), style="bold green" if after.readiness >= before.readiness else "bold red")
        bar.append(f" · 朗读 {mmss(before.read_aloud_seconds)}")
        if after is not None:
            bar.append(f"→{mmss(after.read_aloud_seconds)}")
        if check is not None:
            remaining = [f for f in check.findings if f.scope == "word"]
            bar.append(f" · 稿中问题 {len(remaining)}")
            if check.note:
                bar.append(f" · {check.note}", style="bold red")
            bar.append(" · ")
            bar.append_text(facts_text(check.facts))
        if self.questions is not None:
            count = 1 + len(self.questions.similar) + len(self.questions.learned)
            bar.append(f" · 问法 {count}")
            if self.questions.suggestions:
                bar.append(f" 建议 {len(self.questions.suggestions)}（q）", style="bold #57ab5a")
        if self.opened.review:
            bar.append(f" · {self.opened.review}", style="bold #e0823d")
        if self._text != self._saved_text:
            bar.append(" · 未保存", style="bold yellow")
        elif self.base_revision is not None:
            entry = self.kb.catalog.get(self.article_id)
            status = getattr(entry, "status", "draft")
            state = "已保存" if status in ("draft", "none", "") else STATUS_LABEL.get(status, "已保存")
            bar.append(f" · {state} r{self.base_revision}", style="dim")
        else:
            bar.append(" · 尚未保存过", style="dim")
        self.query_one("#article-bar", Static).update(bar)

    # -- saving and submitting ---------------------------------------------------------------------------

    def action_focus_draft(self) -> None:
        self.set_focus(self.query_one("#draft", MarkedTextArea))

    def _can_store(self) -> bool:
        if self.opened is None:
            self.notify("文章还没有打开", severity="warning", timeout=3)
            return False
        if self.kb.store is None:
            self.notify("审核库没有打开：草稿无法保存", severity="error", timeout=6)
            return False
        return True

    def action_save(self) -> None:
        after_typed(self, self._save)  # the last characters typed before Ctrl+S are saved too

    def action_submit(self) -> None:
        after_typed(self, self._submit)

    def _save(self) -> None:
        self._draft_changed()  # take in what the draft box holds now (its Changed may still come)
        if not self._can_store():
            return
        if self._text == self._saved_text and self.base_revision is not None:
            self.notify("没有新的修改", timeout=3)
            return
        self.store_draft(self._text, self._save_base(), self.draft.to_dict(), submit=False)

    def _submit(self) -> None:
        self._draft_changed()
        if not self._can_store():
            return
        unsaved = self._text != self._saved_text or self.base_revision is None
        self.store_draft(self._text if unsaved else None, self._save_base(), self.draft.to_dict(), submit=True)

    def _save_base(self) -> int | None:
        """The base of the next save: after a conflict the editor chose to save over the winner."""
        if self._conflict_head is not None:
            base, self._conflict_head = self._conflict_head, None
            return base
        return self.base_revision

    @work(thread=True, exclusive=True, exit_on_error=False, group="store-write")
    def store_draft(self, text: str | None, base: int | None, decisions: dict[str, Any], submit: bool) -> None:
        from kbtool.core.errors import KbInputError
        from kbtool.tui import services

        store, user = self.kb.store, self.kb.user
        number = base
        try:
            if text is not None:
                number = services.save_draft(store, self.article_id, text, base, decisions, user).number
            if submit:
                number = services.submit(store, self.article_id, user).number
        except KbInputError as exc:
            head = getattr(exc, "head", None)
            copy = getattr(exc, "copy", None)
            self.post_message(StoreRefused("submit" if submit and text is None else "save", str(exc.problems[0]),
                                           head.number if head is not None else None,
                                           copy.number if copy is not None else None))
            return
        entry = services.refresh_entry(store, self.article_id)
        self.post_message(DraftStored(self.article_id, number or 0, text if text is not None else self._text, entry, submit))

    def on_draft_stored(self, message: DraftStored) -> None:
        self.base_revision = message.revision
        self._saved_text = message.text
        self.app.post_message(EntryChanged(message.entry))
        if message.submitted:
            self.notify(f"已保存并提交审核（r{message.revision}）", title="已提交", timeout=4)
        else:
            self.notify(f"已保存为 r{message.revision}", title="已保存", timeout=3)
        self._paint_bar()

    def on_store_refused(self, message: StoreRefused) -> None:
        if message.action in ("accept", "dismiss"):
            self._load_questions()  # e.g. another editor decided it first
        if message.head is not None:
            self._conflict_head = message.head
            self.notify(f"{message.message}。再按 Ctrl+S 以 r{message.head} 为基础保存你的版本（对方的 r{message.head} 仍在历史里）",
                        title="保存冲突", severity="error", timeout=15)
        else:
            title = {"submit": "提交失败", "accept": "没能采纳问法", "dismiss": "没能忽略问法"}.get(message.action, "保存失败")
            self.notify(message.message, title=title, severity="error", timeout=10)

    def action_back(self) -> None:
        draft = self.query_one("#draft", MarkedTextArea)
        if self.query_one("#article-right").has_class("-questions"):
            self.action_questions()
            return
        if draft.has_focus:
            self.set_focus(self.query_one("#findings", OptionList))
            return
        unsaved = self.opened is not None and self._text != self._saved_text
        if unsaved and not self._confirm_leave:
            self._confirm_leave = True
            self.notify("口语稿有未保存的修改：Ctrl+S 保存，再按一次 Esc 放弃修改并返回", severity="warning", timeout=6)
            return
        self.dismiss()


def facts_text(facts: Any) -> Text:
    """The fact-check verdict in a few cells: kept, or how many facts are lost or changed."""
    if facts is None:
        return Text("事实核对 —", style="dim")
    if facts.ok:
        return Text("事实核对 ✓", style="green")
    return Text(f"事实核对 ✗{len(facts.problems)}", style="bold red")
