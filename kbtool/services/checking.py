"""Checking files and folders with a pack: the service behind ``kbtool check``."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from kbtool.core.detect import Detector
from kbtool.core.errors import InputProblem, KbInputError
from kbtool.core.report import ArticleReport, check_article
from kbtool.services.kb import iter_files, read_article


@dataclass
class CheckRun:
    reports: list[ArticleReport] = field(default_factory=list)
    problems: list[InputProblem] = field(default_factory=list)


def check_paths(paths: Iterable[Path], detector: Detector) -> CheckRun:
    """Check every article under ``paths``, streaming one file at a time."""
    run = CheckRun()
    for file in iter_files(paths, run.problems):
        try:
            article = read_article(file)
        except KbInputError as exc:
            run.problems.extend(exc.problems)
            continue
        run.reports.append(check_article(detector, article))
    return run
