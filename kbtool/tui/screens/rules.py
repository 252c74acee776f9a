"""规则: browse the active pack's rules and try a sentence against them as you type."""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.widgets import DataTable, Input, Static

from kbtool.tui.format import CATEGORY_LABEL, LEVEL_LABEL, LEVEL_MARK, LEVEL_TEXT, clip, finding_line, marked
from kbtool.tui.messages import TextChecked
from kbtool.tui.screens.base import KbScreen

TRY_DEBOUNCE = 0.15


class RulesScreen(KbScreen):
    TITLE = "规则"
    MODE = "rules"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "focus_filter", "筛选", id="rules.filter", priority=True),
        Binding("t", "focus_try", "试一句", id="rules.try", priority=True),
        Binding("escape", "focus_table", "回到列表", id="rules.back"),
    ]
    ENTRY_ACTIONS = frozenset({"focus_filter", "focus_try"})
    LEAVE_ACTIONS = frozenset({"focus_table"})

    def body(self) -> ComposeResult:
        with Vertical(id="rules-top"):
            yield Input(placeholder="筛选规则：编号、词语或说明（/）", id="rules-filter")
            yield DataTable(id="rules-table", cursor_type="row", zebra_stripes=True)
        with VerticalScroll(id="rules-detail"):
            yield Static(id="rules-detail-text")
        yield Input(placeholder="试一句：输入一句话，立刻看哪些规则会标出来（t）", id="rules-try")
        yield Static(id="rules-result")

    def on_mount(self) -> None:
        super().on_mount()
        self._rules: list[Any] = []
        self._debounce = self.debouncer(TRY_DEBOUNCE)
        table = self.query_one(DataTable)
        table.add_column("级别", key="level", width=4)
        table.add_column("编号", key="id", width=24)
        table.add_column("匹配 → 替换", key="match")
        self.refresh_data("mount")
        self.set_focus(table)

    def refresh_data(self, kind: str) -> None:
        if kind not in ("mount", "resume", "detector"):
            return
        pack = self.kb.pack
        self._rules = list(pack.rules) if pack is not None else []
        self._fill()
        if pack is None:
            self.query_one("#rules-detail-text", Static).update("规则包加载中…")
        try_input = self.query_one("#rules-try", Input)
        if try_input.value:
            self._check(try_input.value)

    def _fill(self) -> None:
        table = self.query_one(DataTable)
        needle = self.query_one("#rules-filter", Input).value.strip().lower()
        table.clear()
        width = max(20, table.size.width - 34)
        for rule in self._rules:
            match = "、".join(rule.phrases) if rule.phrases else (rule.pattern or rule.builtin or "")
            repl = " / ".join(r or "（删去）" for r in rule.replace)
            hay = f"{rule.id} {match} {repl} {rule.message}".lower()
            if needle and needle not in hay:
                continue
            cell = clip(f"{match} → {repl}" if repl else match, width)
            table.add_row(Text(LEVEL_LABEL[rule.level], style=LEVEL_TEXT[rule.level]), clip(rule.id, 24), cell, key=rule.id)
        self.query_one("#rules-top").border_title = f"规则 {table.row_count}/{len(self._rules)}"
        if table.row_count:
            self._show_rule(self._rules_by_id().get(str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)))

    def _rules_by_id(self) -> dict[str, Any]:
        return {r.id: r for r in self._rules}

    @on(Input.Changed, "#rules-filter")
    def _filter_changed(self) -> None:
        self._fill()

    @on(Input.Submitted, "#rules-filter")
    def _filter_done(self) -> None:
        self.set_focus(self.query_one(DataTable))

    @on(DataTable.RowHighlighted, "#rules-table")
    def _row(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key is not None:
            self._show_rule(self._rules_by_id().get(str(event.row_key.value)))

    def _show_rule(self, rule: Any) -> None:
        if rule is None:
            return
        text = Text()
        text.append(f"{rule.id}", style="bold")
        text.append(f"  {LEVEL_LABEL[rule.level]}", style=LEVEL_TEXT[rule.level])
        text.append(f" · {CATEGORY_LABEL.get(rule.category, rule.category)}")
        text.append(" · 可安全自动修改" if rule.safe else "")
        text.append(f"\n{rule.message}\n")
        if rule.phrases:
            text.append("词语：" + "、".join(rule.phrases) + "\n")
        if rule.pattern:
            text.append(f"模式：{rule.pattern}\n")
        if rule.replace:
            text.append("改成：" + " / ".join(r or "（删去）" for r in rule.replace) + "\n")
        for ex in rule.examples[:3]:
            if ex.before:
                text.append("例：", style="dim")
                text.append(ex.before)
                if ex.after is not None:
                    text.append(f" → {ex.after}", style="green")
                text.append("\n")
            if ex.clean:
                text.append("不应标出：", style="dim")
                text.append(f"{ex.clean}\n")
        text.append(f"{rule.source}:{rule.line}", style="dim")
        self.query_one("#rules-detail-text", Static).update(text)

    # -- try a sentence ---------------------------------------------------------------------------

    @on(Input.Changed, "#rules-try")
    def _try_changed(self, event: Input.Changed) -> None:
        value = event.value
        self._debounce(lambda: self._check(value))

    def _check(self, text: str) -> None:
        result = self.query_one("#rules-result", Static)
        if not text.strip():
            result.update("")
            return
        if self.kb.detector is None:
            result.update("规则包加载中，稍后自动检查…")
            return
        self.check_sentence(self.kb.detector, text)

    @work(thread=True, exclusive=True, exit_on_error=False, group="rules-try")
    def check_sentence(self, detector: Any, text: str) -> None:
        from kbtool.core.fixes import apply_edits, first_suggestion_edits
        from kbtool.core.report import check_text

        findings, metrics = check_text(detector, text)
        fixed = apply_edits(text, first_suggestion_edits(findings))
        self.post_message(TextChecked("rules", text, findings, metrics, facts=fixed))

    def on_text_checked(self, message: TextChecked) -> None:
        if message.purpose != "rules" or message.text != self.query_one("#rules-try", Input).value:
            return  # an older sentence: a newer check is on its way
        out = marked(message.text, [(f.start, f.end, LEVEL_MARK[f.level]) for f in message.findings])
        if not message.findings:
            out.append("\n没有规则标出这句话。", style="green")
        width = max(20, self.size.width - 4)
        for f in message.findings:
            out.append("\n")
            out.append_text(finding_line(f, width))
            out.append(f"  {f.rule}", style="dim")
        if message.findings and message.facts != message.text:
            out.append("\n改后：", style="dim")
            out.append(str(message.facts), style="green")
        self.query_one("#rules-result", Static).update(out)

    # -- focus ------------------------------------------------------------------------------------

    def action_focus_filter(self) -> None:
        self.set_focus(self.query_one("#rules-filter", Input))

    def action_focus_try(self) -> None:
        self.set_focus(self.query_one("#rules-try", Input))

    def action_focus_table(self) -> None:
        self.set_focus(self.query_one(DataTable))
