"""Labels, styles and width-correct text helpers shared by the screens (no Textual here).

Every width is counted in terminal cells with ``rich.cells.cell_len``: a Chinese character is
two cells, so ``len()`` would misalign every column that mixes Chinese and ASCII.
"""

from __future__ import annotations

from rich.cells import cell_len, set_cell_size
from rich.style import Style
from rich.text import Text

LEVEL_LABEL = {"error": "错误", "warning": "警告", "suggestion": "建议"}
LEVEL_ICON = {"error": "✖", "warning": "▲", "suggestion": "●"}
# Backgrounds readable on both dark and light themes; the current finding is reversed on top.
LEVEL_MARK = {
    "error": Style.parse("bold #ffffff on #a4262c"),
    "warning": Style.parse("#1a1a1a on #e0a526"),
    "suggestion": Style.parse("underline #3a96dd"),
}
LEVEL_TEXT = {"error": Style.parse("bold #e5534b"), "warning": Style.parse("#e0a526"), "suggestion": Style.parse("#3a96dd")}
CURRENT_MARK = Style(reverse=True, bold=True)
KIND_LABEL = {"article": "文章", "announcement": "公告"}
CATEGORY_LABEL = {
    "official": "公文腔", "boilerplate": "公告套话", "forbidden": "服务禁语", "politeness": "礼貌用语", "structure": "口播结构",
}
STATUS_LABEL = {
    "": "—",
    "none": "未起草",
    "draft": "草稿",
    "in_review": "审核中",
    "changes_requested": "退回修改",
    "rejected": "已驳回",
    "approved": "已通过",
    "archived": "已归档",
    "stale": "原文已变",
}
HELPER_LABEL = {
    "split_sentence": "长句可以拆开说",
    "menu_path": "菜单路径说成先…再…",
    "numbered_list": "列表说成第一、第二",
    "parentheses": "括号里的话改成口语",
    "date": "日期换成口语说法",
    "time": "时间换成口语说法",
    "amount": "金额换成口语说法",
    "percent": "百分数换成口语说法",
    "account_class": "账户类别换成口语说法",
    "digits": "号码逐位读",
    "speakable_forms": "数字日期换成口语说法",
}


def item_message(rule: str, message: str) -> str:
    """A finding's message, or what a structure helper offers (helpers carry no message)."""
    if message:
        return message
    if rule.startswith("helper."):
        return HELPER_LABEL.get(rule[len("helper."):], "可以说得更口语")
    return ""


def status_label(status: str | None) -> str:
    return STATUS_LABEL.get(status or "", status or "—")


def fit(text: str, width: int) -> str:
    """``text`` cut to ``width`` cells (with an ellipsis when cut) and padded to exactly that."""
    if width <= 0:
        return ""
    text = text.replace("\n", " ")
    if cell_len(text) > width:
        text = set_cell_size(text, max(0, width - 1)) + "…"
    return set_cell_size(text, width)


def clip(text: str, width: int) -> str:
    """Like ``fit`` without the padding."""
    text = text.replace("\n", " ")
    if cell_len(text) <= width:
        return text
    return set_cell_size(text, max(0, width - 1)).rstrip() + "…"


def mmss(seconds: float) -> str:
    seconds = round(seconds)
    return f"{seconds // 60}:{seconds % 60:02d}"


def marked(text: str, spans: list[tuple[int, int, Style]]) -> Text:
    """``text`` with each (start, end, style) span stylized; offsets are string offsets."""
    out = Text(text)
    for start, end, style in spans:
        out.stylize(style, start, end)
    return out


def finding_line(finding: object, width: int, decision: str = "", chosen: str | None = None) -> Text:
    """One row of a findings list: icon, level, the flagged words, and what they become: the
    words the editor chose (``chosen``) once decided, else the first suggestion."""
    level = finding.level  # type: ignore[attr-defined]
    sugg = finding.suggestions  # type: ignore[attr-defined]
    arrow = ""
    if chosen is not None:
        arrow = " → " + (chosen or "（删去）")
    elif sugg:
        arrow = " → " + (sugg[0] if sugg[0] else "（删去）")
    head = f"{LEVEL_ICON[level]} {decision}" if decision else f"{LEVEL_ICON[level]} "
    body = clip(f"「{finding.text}」{arrow}", max(4, width - cell_len(head)))  # type: ignore[attr-defined]
    line = Text(head, style=LEVEL_TEXT[level])
    line.append(body)
    return line


# -- wrapping Chinese ---------------------------------------------------------------------------
# Rich and Textual wrap at spaces: a run of Chinese has none, so "1. 坐席须核实……" breaks after
# "1." and leaves the number alone on its line. Chinese may break between any two characters,
# except before closing punctuation (and not after opening punctuation).

_NO_BREAK_BEFORE = set("，。、；：！？）》」』”’】〕…—,.;:!?)]}%")
_NO_BREAK_AFTER = set("（《「『“‘【〔([{")


def _is_wide(ch: str) -> bool:
    return cell_len(ch) == 2


def wrap_offsets(line: str, width: int) -> list[int]:
    """Where to break one line (no newlines) so each piece fits ``width`` cells."""
    if width <= 0 or cell_len(line) <= width:
        return []
    breaks: list[int] = []
    start, used, last_ok = 0, 0, -1
    for i, ch in enumerate(line):
        if i > start:
            prev = line[i - 1]
            if (_is_wide(prev) or _is_wide(ch) or prev == " ") and ch not in _NO_BREAK_BEFORE and prev not in _NO_BREAK_AFTER:
                last_ok = i
        w = cell_len(ch)
        if used + w > width and i > start:
            cut = last_ok if last_ok > start else i
            breaks.append(cut)
            start, used, last_ok = cut, cell_len(line[cut:i]), -1
        used += w
    return breaks


def wrap_text(text: Text, width: int) -> Text:
    """``text`` with line breaks put where Chinese may break, keeping its styles."""
    out = Text(end="")
    lines = text.split("\n", allow_blank=True)
    for n, line in enumerate(lines):
        pieces = line.divide(wrap_offsets(line.plain, width))
        for k, piece in enumerate(pieces):
            piece.rstrip()
            out.append_text(piece)
            if k < len(pieces) - 1:
                out.append("\n")
        if n < len(lines) - 1:
            out.append("\n")
    return out
