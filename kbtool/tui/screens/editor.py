"""编辑: the article list (filter, sort) and the article editor it opens."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Static

from kbtool.tui.format import KIND_LABEL, LEVEL_TEXT, clip, status_label
from kbtool.tui.screens.base import KbScreen
from kbtool.tui.widgets.rowlist import Column, RowList

SORTS = (("readiness", "就绪度↑"), ("findings", "问题数↓"), ("title", "标题"))
KINDS = ("", "article", "announcement")
ALL = "全部"
# Fixed columns of the list; the title takes what is left of the width.
COLUMNS = (
    Column("就绪", 4, "right"), Column("问题", 4, "right"), Column("状态", 8), Column("类型", 4),
    Column("分类", 8), Column("标题", None),
)
# While every article is being checked, redraw the list at most this often.
REPORTS_REDRAW = 0.5


@dataclass(slots=True)
class Row:
    """What the list shows of one article (pure data, built from the app's state)."""

    id: str
    title: str
    kind: str
    category: str
    status: str
    readiness: int | None
    findings: int | None
    worst: str | None
    tags: tuple[str, ...]


def build_rows(app: Any) -> list[Row]:
    rows = []
    for entry in app.catalog.values():
        summary = app.summaries.get(entry.id)
        rows.append(Row(
            id=entry.id, title=entry.title, kind=entry.kind, category=entry.category, status=entry.status,
            readiness=summary.readiness if summary else None, findings=summary.findings if summary else None,
            worst=summary.worst if summary else None, tags=entry.tags,
        ))
    return rows


def to_simplified(text: str) -> str:
    # imported when first needed: OpenCC's tables would slow the first screen by ~0.1 s
    from kbtool.core.text import to_simplified as fold

    return fold(text)


def select_rows(rows: list[Row], text: str, kind: str, category: str, status: str, sort: str) -> list[Row]:
    """Filter and sort; unchecked articles (no report yet) go last in the score sorts."""
    # one script for comparing: 轉賬匯款 is the category 转账汇款, and 挂失 finds 掛失
    needle = to_simplified(text.strip().lower()) if text.strip() else ""
    out = [
        r for r in rows
        if (not kind or r.kind == kind)
        and (not category or to_simplified(r.category) == category)
        and (not status or status_label(r.status) == status)
        and (not needle or needle in to_simplified(f"{r.id} {r.title} {' '.join(r.tags)}".lower()))
    ]
    if sort == "readiness":
        out.sort(key=lambda r: (r.readiness is None, r.readiness or 0, r.title))
    elif sort == "findings":
        out.sort(key=lambda r: (r.findings is None, -(r.findings or 0), r.title))
    else:
        out.sort(key=lambda r: (r.title, r.id))
    return out


def row_cells(r: Row) -> list[str | Text]:
    ready = Text("…" if r.readiness is None else str(r.readiness))
    count = Text("" if r.findings is None else str(r.findings), style=LEVEL_TEXT[r.worst] if r.worst else "")
    return [ready, count, status_label(r.status), KIND_LABEL.get(r.kind, r.kind), r.category, r.title]


class ArticleListScreen(KbScreen):
    """Every article with its readiness; Enter opens the editor."""

    TITLE = "编辑"
    MODE = "editor"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "focus_filter", "筛选", id="list.filter", priority=True),
        Binding("k", "cycle('kind')", "类型", id="list.kind"),
        Binding("c", "cycle('category')", "分类", id="list.category"),
        Binding("s", "cycle('status')", "状态", id="list.status"),
        Binding("o", "cycle('sort')", "排序", id="list.sort"),
        Binding("ctrl+r", "reload", "重新载入", id="list.reload", show=False),
        Binding("escape", "focus_table", "回到列表", id="list.back"),
    ]
    ENTRY_ACTIONS = frozenset({"focus_filter"})
    LEAVE_ACTIONS = frozenset({"focus_table"})

    def __init__(self) -> None:
        super().__init__()
        self._redraw_pending = False

    def body(self) -> ComposeResult:
        with Vertical(id="list-box"):
            with Horizontal(id="list-bar"):
                yield Input(placeholder="筛选：标题、编号、标签（/）", id="list-filter")
                yield Static(id="list-state")
            yield RowList(COLUMNS, row_cells, id="list-table")
            yield Static(id="list-empty")

    def on_mount(self) -> None:
        super().on_mount()
        self.kind = ""
        self.category = ""
        self.status = ""
        self.sort = "readiness"
        self._rows: list[Row] = []
        self._shown: list[Row] = []
        self.set_focus(self.query_one(RowList))
        self.refresh_data("mount")

    def refresh_data(self, kind: str) -> None:
        if kind in ("progress", "detector", "search", "failed", "querylog"):
            if kind == "failed":
                self._update_state()
            return
        if kind == "reports" and not self.kb.reports_done:
            # Batches arrive every few milliseconds on a big knowledge base: redraw now and
            # then, not for each batch.
            if not self._redraw_pending:
                self._redraw_pending = True
                self.set_timer(REPORTS_REDRAW, self._redraw_reports)
            return
        self._rebuild(keep=kind != "reports")

    @property
    def busy(self) -> bool:
        return super().busy or self._redraw_pending

    def _redraw_reports(self) -> None:
        self._redraw_pending = False
        self._rebuild(keep=False)

    def _rebuild(self, keep: bool) -> None:
        had_reports = any(r.readiness is not None for r in self._rows)
        self._rows = build_rows(self.kb)
        # The first scores re-sort the list: start at the top then, not on the row that moved.
        self._fill(keep=keep or had_reports)
        if self._rows:
            self.call_after_refresh(self.kb.milestone, "list_shown")

    def _fill(self, keep: bool = True) -> None:
        table = self.query_one(RowList)
        current = table.current_key if keep else None
        self._shown = select_rows(self._rows, self.query_one("#list-filter", Input).value,
                                  self.kind, self.category, self.status, self.sort)
        table.set_rows([r.id for r in self._shown], self._shown, keep=current)
        self._update_state()

    def _update_state(self) -> None:
        app = self.kb
        sort_label = dict(SORTS)[self.sort]
        # Only the filters in use, so the line fits next to the filter box at 80 columns.
        chosen = [KIND_LABEL.get(self.kind, self.kind) if self.kind else "", clip(self.category, 8), self.status]
        shown = " · ".join(c for c in chosen if c) or ALL
        self.query_one("#list-state", Static).update(f"{shown} · {sort_label}")
        box = self.query_one("#list-box")
        box.border_title = f"文章 {len(self._shown)}/{len(self._rows)}"
        empty = self.query_one("#list-empty", Static)
        if not app.catalog and app.catalog_ready:
            empty.update(f"{app.options.kb_dir} 里没有文章。用 kbtool tui --kb 文件夹 打开别的知识库。")
        elif not app.catalog:
            empty.update("正在读取知识库…")
        elif not self._shown:
            empty.update("没有符合筛选条件的文章（按 k / c / s 切换条件，/ 改筛选词）")
        else:
            empty.update("")
        empty.display = not self._shown

    def current_id(self) -> str | None:
        return self.query_one(RowList).current_key

    # -- actions ----------------------------------------------------------------------------------

    def action_cycle(self, what: str) -> None:
        if what == "sort":
            keys = [k for k, _ in SORTS]
            self.sort = keys[(keys.index(self.sort) + 1) % len(keys)]
        elif what == "kind":
            self.kind = KINDS[(KINDS.index(self.kind) + 1) % len(KINDS)]
        elif what == "category":
            options = ["", *sorted({to_simplified(r.category) for r in self._rows})]
            self.category = options[(options.index(self.category) + 1) % len(options)] if self.category in options else ""
        elif what == "status":
            options = ["", *sorted({status_label(r.status) for r in self._rows})]
            self.status = options[(options.index(self.status) + 1) % len(options)] if self.status in options else ""
        self._fill()

    def action_focus_filter(self) -> None:
        self.set_focus(self.query_one("#list-filter", Input))

    def action_focus_table(self) -> None:
        self.set_focus(self.query_one(RowList))

    @on(Input.Changed, "#list-filter")
    def _filter(self) -> None:
        self._fill()

    @on(Input.Submitted, "#list-filter")
    def _filter_done(self) -> None:
        self.set_focus(self.query_one(RowList))

    @on(RowList.Selected, "#list-table")
    def _selected(self, event: RowList.Selected) -> None:
        self.open_article(event.key)

    def action_reload(self) -> None:
        self.kb.reload()

    def open_article(self, article_id: str) -> None:
        from kbtool.tui.screens.article import ArticleScreen

        if article_id not in self.kb.catalog:
            self.notify(f"没有编号为 {article_id} 的文章", severity="error", timeout=5)
            return
        self.app.push_screen(ArticleScreen(article_id))
