"""argparse speaking Chinese: its own words ("usage:", "options", "the following arguments are
required", ...) translated, and help text wrapped and aligned by terminal cells, not characters
(a Chinese character takes two columns).

argparse looks its words up through the module-level ``argparse._`` (gettext) and
``argparse.ngettext`` when it builds a parser, formats help and reports an error; ``Parser``
points them at the table below only while it does so, so other argparse users in the same
process (pytest, for one) keep their English. A string missing from the table (a newer Python's
new wording) falls back to gettext, i.e. stays English rather than breaking.
"""

from __future__ import annotations

import argparse
import gettext
import re
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import Any

# argparse's own words (Python 3.11-3.13), msgid -> Chinese
ARGPARSE_ZH: dict[str, str] = {
    "usage: ": "用法：",
    "positional arguments": "位置参数",
    "options": "选项",
    "optional arguments": "选项",
    "subcommands": "子命令",
    "show this help message and exit": "显示本帮助并退出",
    "show program's version number and exit": "显示版本号并退出",
    "%(prog)s: error: %(message)s\n": "%(prog)s: 错误：%(message)s\n",
    "argument %(argument_name)s: %(message)s": "参数 %(argument_name)s：%(message)s",
    "the following arguments are required: %s": "缺少必需的参数：%s",
    "one of the arguments %s is required": "必须给出以下参数之一：%s",
    "not allowed with argument %s": "不能与参数 %s 同时使用",
    "unrecognized arguments: %s": "无法识别的参数：%s",
    "invalid choice: %(value)r (choose from %(choices)s)": "无效的选择 %(value)r（可选：%(choices)s）",
    "invalid %(type)s value: %(value)r": "%(value)r 不是有效的%(type)s",
    "expected one argument": "需要一个值",
    "expected at most one argument": "最多只能有一个值",
    "expected at least one argument": "至少需要一个值",
    "ambiguous option: %(option)s could match %(matches)s": "选项有歧义：%(option)s 可以是 %(matches)s",
    "unexpected option string: %s": "意外的选项：%s",
    "ignored explicit argument %r": "选项不接受值，却给了 %r",
    "unknown parser %(parser_name)r (choices: %(choices)s)": "未知的子命令 %(parser_name)r（可选：%(choices)s）",
    "can't open '%(filename)s': %(error)s": "无法打开 '%(filename)s'：%(error)s",
}
ARGPARSE_ZH_PLURAL: dict[str, str] = {
    "expected %s argument": "需要 %s 个值",
}


def _gettext(message: str) -> str:
    return ARGPARSE_ZH.get(message) or gettext.gettext(message)


def _ngettext(singular: str, plural: str, n: int) -> str:
    return ARGPARSE_ZH_PLURAL.get(singular) or gettext.ngettext(singular, plural, n)


@contextmanager
def chinese() -> Iterator[None]:
    """argparse's own words in Chinese while inside (re-entrant: a sub-command parser parses
    inside its parent's parse)."""
    saved = argparse._, argparse.ngettext  # type: ignore[attr-defined]
    argparse._, argparse.ngettext = _gettext, _ngettext  # type: ignore[attr-defined]
    try:
        yield
    finally:
        argparse._, argparse.ngettext = saved  # type: ignore[attr-defined]


def _in_chinese(method: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(method)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with chinese():
            return method(*args, **kwargs)

    return wrapper


# -- terminal cells ---------------------------------------------------------------------------

def cells(text: str) -> int:
    """Columns ``text`` takes on a terminal: wide and full-width characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


class _Cells(str):
    """A string whose ``len()`` is its width in cells, for argparse's indent arithmetic."""

    def __len__(self) -> int:
        return cells(self)


_NO_LINE_START = set("，。、；：？！）」』》〉”’%,.;:?!)/")  # closing punctuation stays with what it closes
_NO_LINE_END = set("（「『《〈“‘(")
_TOKEN = re.compile(r"\s+|[^\s\u1100-\uffff]+|.")  # spaces, a run of narrow characters, one wide character


def wrap(text: str, width: int) -> list[str]:
    """``text`` (whitespace collapsed) in lines of at most ``width`` cells: Chinese breaks between
    any two characters, except before closing or after opening punctuation; an ASCII word is
    never split (one longer than the line stands alone)."""
    units: list[str] = []
    glue_next = False
    for token in _TOKEN.findall(" ".join(text.split())):
        if token == " ":
            units.append(token)
            glue_next = False
        elif units and units[-1] != " " and (glue_next or token[0] in _NO_LINE_START):
            units[-1] += token
            glue_next = token[-1] in _NO_LINE_END
        else:
            units.append(token)
            glue_next = token[-1] in _NO_LINE_END
    lines: list[str] = []
    line = ""
    space = False
    for unit in units:
        if unit == " ":
            space = bool(line)
            continue
        piece = (" " if space else "") + unit
        if line and cells(line) + cells(piece) > width:
            lines.append(line)
            line = unit
        else:
            line += piece
        space = False
    if line:
        lines.append(line)
    return lines or [""]


class HelpFormatter(argparse.HelpFormatter):
    """argparse's formatter measuring in terminal cells: help wraps Chinese text at the right
    column, the help column stays aligned after a Chinese metavar, and section headings end in a
    full-width colon."""

    def _split_lines(self, text: str, width: int) -> list[str]:
        return wrap(text, width)

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        return "\n".join(indent + line for line in wrap(text, width - len(indent)))

    def add_argument(self, action: argparse.Action) -> None:
        super().add_argument(action)
        if action.help is not argparse.SUPPRESS:  # the help column is placed in cells, not characters
            invocations = [self._format_action_invocation(action)]
            invocations += [self._format_action_invocation(sub) for sub in self._iter_indented_subactions(action)]
            self._action_max_length = max(self._action_max_length, max(map(cells, invocations)) + self._current_indent)

    def _format_action(self, action: argparse.Action) -> str:
        # argparse's own, with the invocation padded by its width in cells
        help_position = min(self._action_max_length + 2, self._max_help_position)
        help_width = max(self._width - help_position, 11)
        action_width = help_position - self._current_indent - 2
        header = self._format_action_invocation(action)
        indent = " " * self._current_indent
        if not action.help:
            parts = [f"{indent}{header}\n"]
        elif cells(header) <= action_width:
            parts = [f"{indent}{header}{' ' * (action_width - cells(header))}  "]
            indent_first = 0
        else:
            parts = [f"{indent}{header}\n"]
            indent_first = help_position
        if action.help and action.help.strip():
            help_text = self._expand_help(action)
            if help_text:
                help_lines = self._split_lines(help_text, help_width)
                parts.append(f"{' ' * indent_first}{help_lines[0]}\n")
                parts += [f"{' ' * help_position}{line}\n" for line in help_lines[1:]]
        elif not parts[0].endswith("\n"):
            parts.append("\n")
        for subaction in self._iter_indented_subactions(action):
            parts.append(self._format_action(subaction))
        return self._join_parts(parts)

    def _format_usage(self, usage: Any, actions: Any, groups: Any, prefix: str | None) -> str:
        # argparse indents continuation lines by len(prefix) and wraps by len(): give the prefix
        # its width in cells, and narrow the wrap width until no line is wider than the terminal
        prefix = _Cells(argparse._("usage: ") if prefix is None else prefix)  # type: ignore[attr-defined]
        width = self._width
        try:
            while True:
                text: str = super()._format_usage(usage, actions, groups, prefix)
                over = max(map(cells, text.splitlines())) - width
                if over <= 0 or self._width - over < 40:
                    return text
                self._width -= over
        finally:
            self._width = width

    def format_help(self) -> str:
        return re.sub(r"(?m)^(\S.*[\u3000-\u9fff]):$", r"\1：", super().format_help())


class ChineseArgumentParser(argparse.ArgumentParser):
    """An ArgumentParser whose own words are Chinese (see the module docstring); its
    sub-command parsers are of the same class."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", HelpFormatter)
        with chinese():
            super().__init__(*args, **kwargs)

    parse_args = _in_chinese(argparse.ArgumentParser.parse_args)
    parse_known_args = _in_chinese(argparse.ArgumentParser.parse_known_args)
    format_usage = _in_chinese(argparse.ArgumentParser.format_usage)
    format_help = _in_chinese(argparse.ArgumentParser.format_help)
    add_subparsers = _in_chinese(argparse.ArgumentParser.add_subparsers)
