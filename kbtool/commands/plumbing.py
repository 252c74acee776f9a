"""Options and output shared by the command groups that work on the store."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable


def store_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--user", metavar="用户", help="以这个用户的身份操作（默认：$KBTOOL_USER 或操作系统用户）")
    p.add_argument("--db", metavar="文件", help="审核数据库（默认：$KBTOOL_DB，或知识库文件夹里的 .kbtool/kbtool.db）")
    p.add_argument("--kb", default="kb", metavar="目录", help="知识库文件夹（默认：./kb）")


def format_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--format", choices=("text", "json"), default="text", help="输出格式（默认：text）")


def print_json(data: object) -> None:
    json.dump(data, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


def integer(text: str) -> int:
    """``type=int`` for argparse, named so that a bad value reads "'x' 不是有效的整数"."""
    return int(text)


integer.__name__ = "整数"  # argparse names the type in its error by __name__


def number_in(low: float, high: float | None = None, kind: type = int) -> Callable[[str], float]:
    """An argparse ``type`` for a number in [low, high]: a bad value is one usage line naming
    the range, not a traceback deep in a service (or a silent ``[:-1]``)."""
    span = f"{low:g} 到 {high:g} 之间的" if high is not None else f"不小于 {low:g} 的"
    noun = "整数" if kind is int else "数"

    def parse(text: str) -> float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"必须是 {span}{noun}，现在是 {text!r}") from None
        if value < low or (high is not None and value > high):
            raise argparse.ArgumentTypeError(f"必须是 {span}{noun}，现在是 {text}")
        return value  # type: ignore[no-any-return]

    return parse
