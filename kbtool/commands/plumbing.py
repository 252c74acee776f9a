"""Options and output shared by the command groups that work on the store."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable


def store_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--user", help="act as this user (default: $KBTOOL_USER or the operating-system user)")
    p.add_argument("--db", metavar="FILE", help="store database (default: $KBTOOL_DB or KB/.kbtool/kbtool.db)")
    p.add_argument("--kb", default="kb", metavar="DIR", help="knowledge-base folder (default: ./kb)")


def format_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--format", choices=("text", "json"), default="text")


def print_json(data: object) -> None:
    json.dump(data, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


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
