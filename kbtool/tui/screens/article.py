"""The article editor: source with findings, the findings with their suggestions, the spoken
draft re-checked as you type, and a bar with readiness, read-aloud time and the fact check.

Each finding of the source keeps an anchor in the draft (its span, carried across every edit);
accepting a suggestion replaces the text at the anchor, so free edits elsewhere in the draft
are never overwritten. An anchor the editor has typed over is gone: the decision is then made
by hand in the draft.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from rich.style import Style
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.timer import Timer
from textual.widgets import OptionList, Static, TextArea
from textual.widgets.option_list import Option

from kbtool.tui.format import CURRENT_MARK, LEVEL_LABEL, LEVEL_MARK, LEVEL_TEXT, finding_line, mmss
from kbtool.tui.messages import TextChecked
from kbtool.tui.screens.base import KbScreen
from kbtool.tui.spans import line_starts, shift_spans, to_location
from kbtool.tui.widgets.marked_text import MarkedTextArea

CHECK_DEBOUNCE = 0.3
DECIDED_MARK = {"accept": Style.parse("strike #7f8c8d"), "edit": Style.parse("strike #7f8c8d"), "reject": Style.parse("dim")}
VERBATIM_MARK = Style.parse("italic #5f9f7f")  # compliance scripts: read as written, never changed
DECISION_ICON = {"accept": "✓", "edit": "✎", "reject": "✗"}


@dataclass(frozen=True)
class Decision:
    """What the editor chose for one finding: accept (a suggestion), edit (own words), reject."""

    kind: str
    replacement: str | None = None


class ArticleScreen(KbScreen):
    TITLE = "编辑文章"
    MODE = "editor"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "move(1)", "下一处", id="article.next"),
        Binding("p", "move(-1)", "上一处", id="article.prev"),
        Binding("a", "accept(0)", "采纳", id="article.accept"),
        *[Binding(str(k), f"accept({k - 1})", f"采纳第{k}个替换", id=f"article.accept{k}", show=False) for k in range(1, 10)],
        Binding("x", "reject", "不改", id="article.reject"),
        Binding("e", "edit", "改写", id="article.edit"),
        Binding("u", "undo", "撤销", id="article.undo"),
        Binding("d", "focus_draft", "写稿", id="article.draft"),
        Binding("ctrl+s", "save", "保存", id="article.save", priority=True),
        Binding("ctrl+t", "submit", "提交", id="article.submit", priority=True, tooltip="提交审核"),
        Binding("escape", "back", "返回", id="article.back"),
    ]

    def __init__(self, article_id: str) -> None:
        super().__init__()
        self.article_id = article_id

    def body(self) -> ComposeResult:
        with Horizontal(id="article-main"):
            with Vertical(id="article-left"):
                yield MarkedTextArea(id="source", read_only=True, show_cursor=False)
                yield MarkedTextArea(id="draft")
            with Vertical(id="article-right"):
                yield OptionList(id="findings")
                with VerticalScroll(id="finding-detail"):
                    yield Static(id="finding-detail-text")
        yield Static(id="article-bar")

    # -- set-up -------------------------------------------------------------------------------

    def on_resize(self) -> None:
        if self.is_mounted and hasattr(self, "findings"):
            self._fill_findings()

    def on_mount(self) -> None:
        self.article = self.kb.articles[self.article_id]
        self.title = f"编辑：{self.article.title}"
        super().on_mount()
        self.findings: list[Any] = []
        self.decisions: dict[int, Decision] = {}
        self.anchors: list[tuple[int, int, int]] = []  # (start, end, finding index) in the draft
        self._anchor_text = ""
        self._draft_check: TextChecked | None = None
        self._saved_text = ""
        self._debounce: Timer | None = None
        self._confirm_leave = False
        self.query_one("#source").border_title = "原文"
        self.query_one("#draft").border_title = "口语稿（d 进入，Esc 离开）"
        self.query_one("#findings").border_title = "问题"
        self._load()

    def _load(self) -> None:
        article = self.article
        body = article.body
        self.query_one("#source", MarkedTextArea).load_text(body)
        report = self.kb.reports.get(article.id)
        base = article.body_start
        self.findings = [] if report is None else [
            f for f in report.findings if f.start >= base
        ]
        self._base = base
        draft_text, self.decisions = self._initial_draft(body)
        draft = self.query_one("#draft", MarkedTextArea)
        draft.load_text(draft_text)
        self._saved_text = draft_text
        self._anchor_text = draft_text
        if draft_text == body:
            self.anchors = [(f.start - base, f.end - base, i) for i, f in enumerate(self.findings) if f.scope == "word"]
        else:
            self.anchors = []
        self._fill_findings()
        self.call_after_refresh(self._fill_findings)  # again once the list knows its width
        self._paint_source()
        self._schedule_check(0)
        if report is None:
            self.query_one("#finding-detail-text", Static).update("这篇文章还在检查中…")

    def _initial_draft(self, body: str) -> tuple[str, dict[int, Decision]]:
        """The draft to start from: the stored one when there is one, else the source."""
        return body, {}

    def refresh_data(self, kind: str) -> None:
        unchanged = self.query_one("#draft", MarkedTextArea).text == self._saved_text
        if kind == "reports" and not self.findings and self.article_id in self.kb.reports and unchanged:
            self._load()
        if kind in ("detector", "store"):
            self._schedule_check(0)

    # -- painting -------------------------------------------------------------------------------

    def _current(self) -> int | None:
        return self.query_one("#findings", OptionList).highlighted

    def _fill_findings(self) -> None:
        options = self.query_one("#findings", OptionList)
        keep = options.highlighted
        options.clear_options()
        width = max(12, options.scrollable_content_region.width - 1)
        for i, f in enumerate(self.findings):
            decision = self.decisions.get(i)
            icon = DECISION_ICON[decision.kind] if decision else ""
            options.add_option(Option(finding_line(f, width, icon), id=str(i)))
        if self.findings:
            options.highlighted = min(keep or 0, len(self.findings) - 1)
        options.border_title = f"问题 {len(self.decisions)}/{len(self.findings)} 已处理"
        if not self.findings and self.article_id in self.kb.reports:
            self.query_one("#finding-detail-text", Static).update(Text("原文没有发现问题。可以直接写口语稿。", style="green"))

    def _paint_source(self) -> None:
        current = self._current()
        marks = []
        for i, f in enumerate(self.findings):
            decision = self.decisions.get(i)
            style = DECIDED_MARK[decision.kind] if decision else LEVEL_MARK[f.level]
            if i == current:
                style = style + CURRENT_MARK
            marks.append((f.start - self._base, f.end - self._base, style))
        # Sentence findings cover whole sentences: paint them first so word marks sit on top.
        order = sorted(range(len(marks)), key=lambda i: self.findings[i].scope != "sentence")
        verbatim = [(s - self._base, e - self._base, VERBATIM_MARK) for s, e in self.article.verbatim]
        self.query_one("#source", MarkedTextArea).set_marks(verbatim + [marks[i] for i in order])

    def _show_detail(self) -> None:
        index = self._current()
        detail = self.query_one("#finding-detail-text", Static)
        if index is None or index >= len(self.findings):
            return
        f = self.findings[index]
        text = Text()
        text.append(f"{LEVEL_LABEL[f.level]}", style=LEVEL_TEXT[f.level])
        text.append(f"「{f.text}」\n", style="bold")
        text.append(f"{f.message}\n")
        if f.score < 100:
            text.append(f"（近似匹配，相似度 {f.score:g}）\n", style="dim")
        for k, s in enumerate(f.suggestions[:9], 1):
            text.append(f" {k} ", style="reverse")
            text.append(f" {s or '（删去）'}\n")
        decision = self.decisions.get(index)
        if decision is not None:
            said = {"accept": "已采纳", "edit": "已改写为", "reject": "不改"}[decision.kind]
            text.append(f"{DECISION_ICON[decision.kind]} {said}", style="green")
            if decision.kind != "reject":
                text.append(f"「{decision.replacement}」", style="green")
            text.append("（u 撤销）\n", style="dim")
        elif f.scope == "sentence":
            text.append("整句问题：在口语稿里改写这句，或按 x 标记为不改。\n", style="dim")
        elif not self._anchor_of(index):
            text.append("这处在口语稿里已经改过了。\n", style="dim")
        else:
            keys = "a/1-9 采纳" if len(f.suggestions) > 1 else "a 采纳"
            text.append(f"{keys} · x 不改 · e 改写\n", style="dim")
        text.append(f.rule, style="dim")
        detail.update(text)
        f_start = f.start - self._base
        source = self.query_one("#source", MarkedTextArea)
        source.move_cursor(to_location(line_starts(source.text), f_start), center=True)

    @on(OptionList.OptionHighlighted, "#findings")
    def _highlighted(self) -> None:
        self._paint_source()
        self._show_detail()

    # -- anchors: where each source finding sits in the draft now ------------------------------

    def _sync_anchors(self, text: str) -> None:
        if text != self._anchor_text:
            self.anchors = shift_spans(self.anchors, self._anchor_text, text)
            self._anchor_text = text

    def _anchor_of(self, index: int) -> tuple[int, int] | None:
        for start, end, i in self.anchors:
            if i == index:
                return start, end
        return None

    def _replace_in_draft(self, index: int, replacement: str) -> bool:
        """Put ``replacement`` where finding ``index`` sits in the draft; False if it is gone."""
        draft = self.query_one("#draft", MarkedTextArea)
        text = draft.text
        self._sync_anchors(text)
        span = self._anchor_of(index)
        if span is None:
            return False
        start, end = span
        new_text = text[:start] + replacement + text[end:]
        others = [(s, e, i) for s, e, i in self.anchors if i != index]
        moved = shift_spans(others, text, new_text)
        self.anchors = [*moved, (start, start + len(replacement), index)]
        self._anchor_text = new_text
        starts = line_starts(text)
        draft.replace(replacement, to_location(starts, start), to_location(starts, end))
        return True

    # -- decisions ------------------------------------------------------------------------------

    def _target(self) -> tuple[int, Any] | None:
        index = self._current()
        if index is None or index >= len(self.findings):
            self.notify("没有选中的问题", severity="warning", timeout=3)
            return None
        return index, self.findings[index]

    def action_move(self, step: int) -> None:
        if not self.findings:
            return
        options = self.query_one("#findings", OptionList)
        options.highlighted = ((options.highlighted or 0) + step) % len(self.findings)
        options.focus()

    def _advance(self) -> None:
        """After a decision: on to the next undecided finding, wrapping round."""
        options = self.query_one("#findings", OptionList)
        current = options.highlighted or 0
        order = [(current + k) % len(self.findings) for k in range(1, len(self.findings) + 1)]
        target = next((i for i in order if i not in self.decisions), None)
        if target is not None:
            options.highlighted = target

    def action_accept(self, choice: int) -> None:
        target = self._target()
        if target is None:
            return
        index, f = target
        if f.scope == "sentence" or not f.suggestions:
            self.notify("这条没有现成的替换：在口语稿里改写，或按 x 不改", severity="warning", timeout=4)
            return
        if choice >= len(f.suggestions):
            self.notify(f"只有 {len(f.suggestions)} 个替换可选", severity="warning", timeout=3)
            return
        self._decide(index, Decision("accept", f.suggestions[choice]))

    def action_edit(self) -> None:
        target = self._target()
        if target is None:
            return
        index, f = target
        from kbtool.tui.screens.dialogs import TextPrompt

        def done(value: str | None) -> None:
            if value is not None:
                self._decide(index, Decision("edit", value))

        current = self.decisions.get(index)
        start = (current.replacement if current and current.replacement is not None
                 else (f.suggestions[0] if f.suggestions else f.text))
        self.app.push_screen(TextPrompt(f"改写「{f.text}」", "在口语稿里换成：", start, allow_empty=True), done)

    def action_reject(self) -> None:
        target = self._target()
        if target is not None:
            self._decide(target[0], Decision("reject"))

    def action_undo(self) -> None:
        target = self._target()
        if target is None:
            return
        index, f = target
        decision = self.decisions.get(index)
        if decision is None:
            self.notify("这一处还没有处理", timeout=3)
            return
        if decision.kind != "reject" and not self._replace_in_draft(index, f.text):
            self.notify("口语稿里这处已经手动改过，撤销不了，请直接在稿里改", severity="warning", timeout=5)
            return
        del self.decisions[index]
        self._after_decision(index)

    def _decide(self, index: int, decision: Decision) -> None:
        f = self.findings[index]
        previous = self.decisions.get(index)
        if decision.kind != "reject" or (previous and previous.kind != "reject"):
            replacement = decision.replacement if decision.kind != "reject" else f.text
            if not self._replace_in_draft(index, replacement or ""):
                self.notify(f"口语稿里找不到「{f.text}」（已手动改过），请直接在稿里改", severity="warning", timeout=5)
                return
        self.decisions[index] = decision
        self._after_decision(index)
        self._advance()

    def _after_decision(self, index: int) -> None:
        options = self.query_one("#findings", OptionList)
        width = max(12, options.scrollable_content_region.width - 1)
        decision = self.decisions.get(index)
        options.replace_option_prompt_at_index(
            index, finding_line(self.findings[index], width, DECISION_ICON[decision.kind] if decision else "")
        )
        options.border_title = f"问题 {len(self.decisions)}/{len(self.findings)} 已处理"
        self._paint_source()
        self._show_detail()

    # -- the draft: re-checked after a pause in typing, off the UI thread -------------------------

    @on(TextArea.Changed, "#draft")
    def _draft_changed(self) -> None:
        draft = self.query_one("#draft", MarkedTextArea)
        draft.keep_marks_on_edit()
        self._sync_anchors(draft.text)
        self._confirm_leave = False
        self._schedule_check(CHECK_DEBOUNCE)
        self._paint_bar()

    def _schedule_check(self, delay: float) -> None:
        if self._debounce is not None:
            self._debounce.stop()
        self._debounce = self.set_timer(delay, self._start_check) if delay else None
        if not delay:
            self._start_check()

    def _start_check(self) -> None:
        detector = self.kb.detector
        if detector is None:
            self._paint_bar()
            return
        self.check_draft(detector, self.query_one("#draft", MarkedTextArea).text, self.article.body)

    @work(thread=True, exclusive=True, exit_on_error=False, group="draft-check")
    def check_draft(self, detector: Any, text: str, source: str) -> None:
        from kbtool.tui import services

        findings, metrics, facts, note = services.check_draft(detector, text, source)
        self.post_message(TextChecked("draft", text, findings, metrics, facts=facts, note=note))

    def on_text_checked(self, message: TextChecked) -> None:
        if message.purpose != "draft":
            return
        self._draft_check = message
        draft = self.query_one("#draft", MarkedTextArea)
        draft.set_marks([(f.start, f.end, LEVEL_MARK[f.level]) for f in message.findings], text=message.text)
        self._paint_bar()

    def _paint_bar(self) -> None:
        bar = Text()
        report = self.kb.reports.get(self.article_id)
        check = self._draft_check
        before = report.metrics if report else None
        after = check.metrics if check else None
        if before is not None:
            bar.append("就绪 ")
            bar.append(str(before.readiness), style="bold")
            if after is not None:
                bar.append(" → ")
                bar.append(str(after.readiness), style="bold green" if after.readiness >= before.readiness else "bold red")
            bar.append(" · 朗读 ")
            bar.append(mmss(before.read_aloud_seconds))
            if after is not None:
                bar.append(f" → {mmss(after.read_aloud_seconds)}")
        elif self.kb.detector is None:
            bar.append("规则包加载中…", style="dim")
        if check is not None:
            bar.append(f" · 稿中问题 {len(check.findings)}")
            if check.note:
                bar.append(f" · {check.note}", style="bold red")
            bar.append(" · ")
            bar.append_text(_facts_text(check.facts))
        draft = self.query_one("#draft", MarkedTextArea)
        if draft.text != self._saved_text:
            bar.append(" · 未保存", style="bold yellow")
        self.query_one("#article-bar", Static).update(bar)

    # -- saving and submitting ---------------------------------------------------------------------

    def action_focus_draft(self) -> None:
        self.query_one("#draft", MarkedTextArea).focus()

    def action_save(self) -> None:
        self.notify("审核库还没有接入：草稿暂时无法保存", severity="warning", timeout=5)

    def action_submit(self) -> None:
        self.notify("审核库还没有接入：暂时无法提交审核", severity="warning", timeout=5)

    def action_back(self) -> None:
        draft = self.query_one("#draft", MarkedTextArea)
        if draft.has_focus:
            self.query_one("#findings", OptionList).focus()
            return
        if draft.text != self._saved_text and not self._confirm_leave:
            self._confirm_leave = True
            self.notify("口语稿有未保存的修改：Ctrl+S 保存，再按一次 Esc 放弃修改并返回", severity="warning", timeout=6)
            return
        self.dismiss()


def _facts_text(facts: Any) -> Text:
    """The fact-check verdict in a few cells: kept, or how many facts are lost or changed."""
    if facts is None:
        return Text("事实核对 —", style="dim")
    problems = list(getattr(facts, "problems", facts if isinstance(facts, list) else []))
    if not problems:
        return Text("事实核对 ✓", style="green")
    return Text(f"事实核对 ✗{len(problems)}", style="bold red")
