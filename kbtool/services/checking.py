"""Checking files and folders with a pack: the service behind ``kbtool check``."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from kbtool.core.detect import Detector
from kbtool.core.errors import InputProblem
from kbtool.core.report import ArticleReport, check_article
from kbtool.services.kb import iter_articles


@dataclass
class CheckRun:
    reports: list[ArticleReport] = field(default_factory=list)
    problems: list[InputProblem] = field(default_factory=list)


def check_paths(paths: Iterable[Path], detector: Detector) -> CheckRun:
    """Check every article under ``paths``, streaming one file at a time."""
    run = CheckRun()
    run.reports.extend(check_article(detector, article) for article in iter_articles(paths, run.problems))
    return run
