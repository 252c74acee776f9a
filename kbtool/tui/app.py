"""The kbtool app: one window, four modes (编辑 / 审核 / 查询 / 规则), all from the keyboard.

Start-up order matters: the first screen is composed from nothing but the options, then
thread workers load the knowledge base, compile the pack (the segmenter's dictionary load is
the slow part), check every article, open the review store and the search index. Each posts a
message; the handlers here own the results and publish ``data_changed`` so visible screens
redraw. Screens also re-read the app's state when they are shown again.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual import on, work
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.signal import Signal
from textual.worker import Worker, WorkerState, get_current_worker

from kbtool.tui.commands import KbCommands
from kbtool.tui.messages import (
    CatalogReady,
    DetectorReady,
    EntryChanged,
    Failed,
    LogReady,
    Progress,
    ReportsReady,
    SearchReady,
)

if TYPE_CHECKING:
    from kbtool.core.detect import Detector
    from kbtool.core.stylepack import Pack
    from kbtool.tui.services import Entry, SearchLogWriter, Summary

REPORT_BATCH = 200
# The longest the pack waits for the article list to be drawn before it starts compiling.
DETECTOR_DELAY = 1.5


@dataclass
class TuiOptions:
    """What the command line chose. ``user`` None means the store's default identity."""

    kb_dir: Path = Path("kb")
    style: str | None = None
    db: Path | None = None
    user: str | None = None
    # Only the tests and the benchmark turn these off, to look at one part on its own.
    open_store: bool = True
    cache_dir: Path | None = None  # None: the user's cache folder ($KBTOOL_CACHE_DIR overrides)


@dataclass
class Tasks:
    """Long work in progress, shown by the progress line of the current screen."""

    running: dict[str, tuple[str, int, int]] = field(default_factory=dict)


def _lazy(target: str) -> Callable[[], Screen]:
    """A mode factory that imports its screen on first use, off the start-up path."""

    def make() -> Screen:
        from importlib import import_module

        module_name, _, class_name = target.partition(":")
        return getattr(import_module(module_name), class_name)()

    return make


class KbApp(App[None]):
    """The whole application. State lives here; screens read it and call the services."""

    CSS_PATH = Path(__file__).parent / "app.tcss"  # absolute: subclasses may live anywhere
    TITLE = "kbtool"
    ENABLE_COMMAND_PALETTE = True
    COMMAND_PALETTE_BINDING = "ctrl+p"
    COMMANDS = App.COMMANDS | {KbCommands}
    MODES: ClassVar[dict[str, str | Callable[[], Screen]]] = {
        "editor": _lazy("kbtool.tui.screens.editor:ArticleListScreen"),
        "review": _lazy("kbtool.tui.screens.review:ReviewScreen"),
        "agent": _lazy("kbtool.tui.screens.agent:AgentScreen"),
        "rules": _lazy("kbtool.tui.screens.rules:RulesScreen"),
    }
    MODE_LABEL: ClassVar[dict[str, str]] = {"editor": "编辑", "review": "审核", "agent": "查询", "rules": "规则"}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f1", "help", "帮助", id="app.help"),
        # The modes are listed on the top line (ModeBar), so they stay out of the footer.
        Binding("f2", "mode('editor')", "编辑", id="app.mode.editor", show=False),
        Binding("f3", "mode('review')", "审核", id="app.mode.review", show=False),
        Binding("f4", "mode('agent')", "查询", id="app.mode.agent", show=False),
        Binding("f5", "mode('rules')", "规则", id="app.mode.rules", show=False),
        Binding("ctrl+p", "command_palette", "命令", id="app.palette", show=False, priority=True),
        Binding("f9", "switch_user", "切换用户", id="app.user", show=False, priority=True,
                tooltip="以另一位用户身份操作（例如第二位审核人）"),
        Binding("ctrl+q", "quit", "退出", id="app.quit", priority=True, show=False),
    ]

    def __init__(self, options: TuiOptions | None = None, start_mode: str = "editor") -> None:
        super().__init__()
        self.options = options or TuiOptions()
        self.start_mode = start_mode
        self.timings: dict[str, float] = {"start": time.perf_counter()}
        self.pack: Pack | None = None
        self.detector: Detector | None = None
        self.catalog: dict[str, Entry] = {}
        self.catalog_ready = False
        self.load_problems: list[Any] = []
        self.summaries: dict[str, Summary] = {}
        self.reports_done = False
        self.store: Any = None
        self.search_index: Any = None
        self.query_log: Any = None                      # QueryLog: suggestions, accept, dismiss
        self.search_log: SearchLogWriter | None = None  # the agent's searches, written off the UI thread
        self.user: str = self.options.user or ""
        self.tasks = Tasks()
        self.data_changed: Signal[str] = Signal(self, "data-changed")
        self._detector_started = False

    def on_mount(self) -> None:
        self.switch_mode(self.start_mode)
        self.load_catalog()  # mostly SQLite and file stats: it leaves the UI thread alone
        self.call_after_refresh(self._first_screen_shown)

    def _first_screen_shown(self) -> None:
        self.milestone("first_screen")
        # Compiling the pack is pure Python (YAML, dictionary load) and holds the GIL: it starts
        # once the article list is on screen (or after a short wait), so it cannot delay that.
        if self.start_mode == "editor":
            self.set_timer(DETECTOR_DELAY, self._start_detector)
        else:
            self._start_detector()  # other modes have no list to draw first

    def _start_detector(self) -> None:
        if self.detector is None and not self._detector_started:
            self._detector_started = True
            self.load_detector()

    def milestone(self, name: str) -> None:
        """Record when a stage of start-up is reached (read by the start-up benchmark)."""
        self.timings.setdefault(name, time.perf_counter())
        if name == "list_shown":
            self._start_detector()

    # -- workers: plain calls into the services, results posted as messages --------------------

    @work(thread=True, exclusive=True, exit_on_error=False, group="catalog")
    def load_catalog(self) -> None:
        """The article list: from the review store (synced first), else from the files."""
        from kbtool.tui import services

        kb = self.options.kb_dir
        if not kb.is_dir():
            self.post_message(Failed("catalog", f"{kb}：找不到知识库文件夹（用 --kb 指定）"))
            self.post_message(CatalogReady([]))
            return
        if self.options.open_store:
            self.post_message(Progress("catalog", "同步审核库", 0, 0))
            try:
                store, note, problems = services.open_store(self.options.db, kb, self.options.user)
            except services.Unavailable as exc:
                self.post_message(Failed("store", f"{exc}；改为直接读取知识库文件", severity="warning"))
            else:
                self.post_message(CatalogReady(services.catalog(store), problems, store, note))
                return
        self.post_message(Progress("catalog", "读取知识库文件", 0, 0))
        entries, problems = services.load_files(kb)
        self.post_message(CatalogReady(entries, problems))

    @work(thread=True, exclusive=True, exit_on_error=False, group="detector")
    def load_detector(self) -> None:
        from kbtool.core.errors import KbInputError

        self.post_message(Progress("detector", "加载规则包与分词词典", 0, 0))
        try:
            from kbtool.core.detect import Detector
            from kbtool.services.packs import load_pack

            pack = load_pack(self.options.style)
            detector = Detector(pack)
            detector.segmenter.cut("预热")  # the dictionary loads on first use: pay for it here
        except KbInputError as exc:
            self.post_message(Failed("detector", "规则包无法使用：" + "；".join(str(p) for p in exc.problems)))
            return
        self.post_message(DetectorReady(pack, detector))

    @work(thread=True, exclusive=True, exit_on_error=False, group="check")
    def check_all(self, detector: Detector, entries: list[Entry], store: Any) -> None:
        """A summary per article for the list: from the cache when the article is unchanged."""
        from kbtool.tui import services

        worker = get_current_worker()
        cache_path = services.summary_cache_path(store, self.options.cache_dir)
        signature = services.checks_signature(detector.pack)
        cached = services.load_summaries(cache_path, signature)
        kept: dict[str, tuple[str, services.Summary]] = {}
        batch: dict[str, services.Summary] = {}
        total = len(entries)
        fresh = 0
        for i, entry in enumerate(entries, 1):
            if worker.is_cancelled:
                return
            hit = cached.get(entry.id)
            if hit is not None and hit[0] == entry.source_hash:
                summary = hit[1]
            else:
                report = services.check_entry(detector, entry)
                if report is None:
                    continue
                summary = services.summarize(report)
                fresh += 1
            kept[entry.id] = (entry.source_hash, summary)
            batch[entry.id] = summary
            if len(batch) >= REPORT_BATCH and fresh:
                self.post_message(ReportsReady(batch))
                self.post_message(Progress("check", "检查文章", i, total))
                batch = {}
        self.post_message(ReportsReady(batch, final=True))
        if fresh:
            services.save_summaries(cache_path, signature, kept)

    @work(thread=True, exclusive=True, exit_on_error=False, group="search")
    def open_search(self) -> None:
        from kbtool.tui import services

        self.post_message(Progress("search", "建立检索索引", 0, 0))
        try:
            index = services.open_search(self.options.db, self.options.kb_dir, self.options.style)
        except services.Unavailable as exc:
            self.post_message(Failed("search", str(exc), severity="warning"))
            return
        self.post_message(SearchReady(index))

    @work(thread=True, exclusive=True, exit_on_error=False, group="querylog")
    def open_log(self, store: Any) -> None:
        from kbtool.tui import services

        try:
            log = services.open_query_log(store, self.options.style)
        except services.Unavailable as exc:
            self.post_message(Failed("querylog", str(exc), severity="warning"))
            return
        self.post_message(LogReady(log))

    # -- handlers own the state -------------------------------------------------------------------

    def on_progress(self, message: Progress) -> None:
        self.tasks.running[message.task] = (message.label, message.done, message.total)
        self.data_changed.publish("progress")

    def _finish(self, task: str) -> None:
        self.tasks.running.pop(task, None)

    def on_catalog_ready(self, message: CatalogReady) -> None:
        self._finish("catalog")
        self.catalog = {e.id: e for e in message.entries}
        self.load_problems = list(message.problems)
        self.catalog_ready = True
        if message.store is not None:
            self.store = message.store
        if not self.user:
            from kbtool.tui import services

            self.user = services.user_name(None)
        if message.problems:
            first = message.problems[0]
            more = f"（另有 {len(message.problems) - 1} 个）" if len(message.problems) > 1 else ""
            self.notify(f"{first}{more}", title="有文件读不了", severity="warning", timeout=8)
        if message.note:
            self.notify(message.note, timeout=5)
        self.milestone("catalog_ready")
        self.data_changed.publish("catalog")
        if not self.catalog:
            self._start_detector()  # no list to wait for
        self._start_checks()
        self._start_search()
        if self.store is not None and self.query_log is None:
            self.open_log(self.store)

    def on_detector_ready(self, message: DetectorReady) -> None:
        self._finish("detector")
        self.pack, self.detector = message.pack, message.detector
        self.milestone("detector_ready")
        self.data_changed.publish("detector")
        self._start_checks()
        self._start_search()

    def _start_checks(self) -> None:
        if self.detector is not None and self.catalog_ready:
            self.summaries = {}
            self.reports_done = False
            self.check_all(self.detector, list(self.catalog.values()), self.store)

    def _start_search(self) -> None:
        if self.store is not None and self.pack is not None and self.search_index is None:
            self.open_search()

    def on_reports_ready(self, message: ReportsReady) -> None:
        self.summaries.update(message.reports)
        if message.final:
            self._finish("check")
            self.reports_done = True
            self.milestone("reports_done")
        self.data_changed.publish("reports")

    def on_entry_changed(self, message: EntryChanged) -> None:
        self.catalog[message.entry.id] = message.entry
        self.data_changed.publish("status")

    def on_search_ready(self, message: SearchReady) -> None:
        self._finish("search")
        self.search_index = message.index
        self.milestone("search_ready")
        self.data_changed.publish("search")

    def on_log_ready(self, message: LogReady) -> None:
        from kbtool.tui import services

        self.query_log = message.log

        def failed(error: str) -> None:  # called on the writer's thread: post_message is thread-safe
            self.post_message(Failed("searchlog", f"查询记录写不进审核库（查询不受影响）：{error}", severity="warning"))

        self.search_log = services.SearchLogWriter(message.log, self.user or None, on_error=failed)
        self.data_changed.publish("querylog")

    def on_unmount(self) -> None:
        if self.search_log is not None:
            self.search_log.close()  # writes the search the agent was on

    def on_failed(self, message: Failed) -> None:
        self._finish(message.task)
        title = "出错了" if message.severity == "error" else "暂不可用"
        self.notify(message.message, title=title, severity=message.severity, timeout=10)  # type: ignore[arg-type]
        self.data_changed.publish("failed")

    @on(Worker.StateChanged)
    def _worker_failed(self, event: Worker.StateChanged) -> None:
        """A bug in a worker becomes one notification, not a crash (exit_on_error=False)."""
        if event.state == WorkerState.ERROR:
            error = event.worker.error
            self._finish(event.worker.group)
            self.notify(f"{type(error).__name__}: {error}", title=f"后台任务失败（{event.worker.group}）",
                        severity="error", timeout=10)
            self.data_changed.publish("failed")

    # -- actions ------------------------------------------------------------------------------

    def reload(self) -> None:
        """Read the knowledge base again (re-sync, re-check) after files changed on disk."""
        self.catalog_ready = False
        self.load_catalog()

    def action_mode(self, mode: str) -> None:
        if self.current_mode != mode:
            self.switch_mode(mode)

    def action_help(self) -> None:
        from kbtool.tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    async def ask(self, dialog: Any, callback: Callable[[Any], None]) -> None:
        """Open a dialog with a text box; what is typed right after the key that opened it lands there.

        A pushed screen is composed on its own task and focuses its box later; keys that came
        in between went to a screen with nothing focused and were lost. Called from an action
        (which the app awaits before it routes the next key), this waits until the dialog is
        mounted and its box has the focus.
        """
        await self.push_screen(dialog, callback)
        dialog.focus_entry()

    async def action_switch_user(self) -> None:
        from kbtool.tui.screens.dialogs import TextPrompt

        def chosen(name: str | None) -> None:
            if name:
                self.user = name.strip()
                if self.search_log is not None:
                    self.search_log.set_user(self.user)
                self.notify(f"当前用户：{self.user}", timeout=3)
                self.data_changed.publish("user")

        await self.ask(TextPrompt("切换用户", "用户名（审核时需要另一位用户）", self.user), chosen)

    async def action_command_palette(self) -> None:
        """The palette, in Chinese; what is typed right after Ctrl+P lands in its search box."""
        from textual.command import CommandInput, CommandPalette

        if self.use_command_palette and not CommandPalette.is_open(self):
            palette = CommandPalette(placeholder="搜索命令、文章标题，或输入来电人的话…", id="--command-palette")
            await self.push_screen(palette)  # mounted: its box has the focus before the next key
            palette.set_focus(palette.query_one(CommandInput))

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """Every key binding of kbtool active on ``screen`` plus the app's own commands, in Chinese.

        Only bindings with an id (all of kbtool's have one): the text boxes' own editing keys
        (Textual's, in English: "Delete all to the left") are no commands to look up.
        """
        seen: set[str] = set()
        for key, active in screen.active_bindings.items():
            binding = active.binding
            if not binding.id or not binding.description or binding.action in seen or not active.enabled:
                continue
            seen.add(binding.action)
            node = active.node

            def run(action: str = binding.action, node: Any = node) -> None:
                self.call_later(self.run_action, action, node)

            key_name = self.get_key_display(binding) if binding.key else key
            yield SystemCommand(f"{binding.description}（{key_name}）", binding.tooltip or binding.description, run)
        yield SystemCommand("主题", "更换配色主题", self.action_change_theme)
        yield SystemCommand("截图", "把当前屏幕存为 SVG", lambda: self.set_timer(0.1, self.deliver_screenshot))
        yield SystemCommand("退出", "退出 kbtool", self.action_quit)

    # -- helpers for screens ----------------------------------------------------------------------

    def progress_text(self) -> str:
        parts = []
        for label, done, total in self.tasks.running.values():
            parts.append(f"{label} {done}/{total}" if total else f"{label}…")
        return " · ".join(parts)


def run(options: TuiOptions) -> int:
    KbApp(options).run()
    return 0
