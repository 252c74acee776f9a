"""帮助: what each role does, and every key of every screen (read from the bindings)."""

from __future__ import annotations

from importlib import import_module
from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from kbtool.tui.widgets.wrapped import WrappedText

ROLES = (
    ("", "kbtool 把公文腔的知识库文章改成坐席说得出口的口语答案。任何界面：Ctrl+P 打开命令面板（所有操作和文章都能搜到），"
         "F9 切换用户，Ctrl+Q 退出。"),
    ("编辑 F2", "文章列表默认把就绪度最低的排在前面，回车打开。左上是原文，问题按级别标色；右边是问题清单和说明。"
                "n / p 在问题间移动，a 采纳建议（1-9 选第几个替换），x 不改，e 自己改写，u 撤销。"
                "d 进入下面的口语稿直接修改，稿子边写边检查，底栏显示就绪度、朗读时长和事实核对。Ctrl+S 保存，Ctrl+T 提交审核。"
                "q 看这篇答案的标准问、相似问，以及从坐席查询里学来的问法建议（带次数）：a 采纳（存成草稿，审核通过后生效），x 忽略。"),
    ("审核 F3", "待审队列，回车打开：左边是原文到口语稿的逐词差异（v 切换成口语稿或原文），右边是事实核对、剩余问题和历史。"
                "新加的问法在差异上方列出。a 通过（意见可写可不写），r 退回修改、x 驳回（都要写意见）。"
                "作者不能通过自己写的稿子：换一位用户（F9）来审。"),
    ("查询 F4", "直接输入来电人说的话，结果随打随出；↑↓ 选择。答案醒目显示，合规话术单独框出、照读；"
                "回车打开选中的答案，Ctrl+Y 复制答案，Ctrl+F 报告答案有误。"
                "查询和打开的答案自动记下（卡号、手机号等先遮盖），帮编辑补充问法。"),
    ("规则 F5", "浏览当前规则包的每条规则（/ 筛选）；按 t 输入一句话，立刻看哪些规则会标出来、改后是什么样。"),
)

SCREENS = (
    ("全局", "kbtool.tui.app:KbApp"),
    ("文章列表", "kbtool.tui.screens.editor:ArticleListScreen"),
    ("编辑文章", "kbtool.tui.screens.article:ArticleScreen"),
    ("审核", "kbtool.tui.screens.review:ReviewScreen"),
    ("审核详情", "kbtool.tui.screens.review:ReviewDetailScreen"),
    ("查询", "kbtool.tui.screens.agent:AgentScreen"),
    ("规则", "kbtool.tui.screens.rules:RulesScreen"),
)


def key_table() -> Table:
    table = Table(box=None, show_header=True, header_style="bold", padding=(0, 1))
    table.add_column("界面")
    table.add_column("按键")
    table.add_column("操作")
    table.add_column("编号", style="dim")
    for label, target in SCREENS:
        module_name, _, class_name = target.partition(":")
        try:
            cls = getattr(import_module(module_name), class_name)
        except (ImportError, AttributeError):
            continue
        first = True
        for binding in cls.BINDINGS:
            if not isinstance(binding, Binding) or not binding.description or binding.key.isdigit():
                continue
            table.add_row(label if first else "", binding.key_display or binding.key, binding.description, binding.id or "")
            first = False
    return table


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,f1,q", "close", "关闭", id="help.close"),
    ]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-box") as box:
            box.border_title = "帮助（Esc 关闭）"
            for title, text in ROLES:
                line = Text()
                if title:
                    line.append(f"【{title}】", style="bold")
                line.append(text)
                yield WrappedText(line, classes="help-role")
            yield Static(key_table(), id="help-keys")

    def action_close(self) -> None:
        self.dismiss()
