"""Options and output shared by the command groups that work on the store."""

from __future__ import annotations

import argparse
import json
import sys


def store_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--user", help="act as this user (default: $KBTOOL_USER or the operating-system user)")
    p.add_argument("--db", metavar="FILE", help="store database (default: $KBTOOL_DB or KB/.kbtool/kbtool.db)")
    p.add_argument("--kb", default="kb", metavar="DIR", help="knowledge-base folder (default: ./kb)")


def format_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--format", choices=("text", "json"), default="text")


def print_json(data: object) -> None:
    json.dump(data, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")
