"""Checking files and folders with a pack: the service behind ``kbtool check``."""

from __future__ import annotations

import multiprocessing
import signal
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from kbtool.core.detect import Detector
from kbtool.core.errors import InputProblem, KbInputError
from kbtool.core.questions import QuestionSite, duplicate_question_problems, sites_of
from kbtool.core.report import ArticleReport, check_article
from kbtool.services.kb import duplicate_id, iter_files, read_article

# Below this many files a second process costs more (start-up, sending reports back) than it saves.
PARALLEL_FROM = 200


@dataclass
class CheckRun:
    reports: list[ArticleReport] = field(default_factory=list)
    problems: list[InputProblem] = field(default_factory=list)


_detector: Detector | None = None  # a forked worker's copy of the parent's detector


def _check_file(file: Path) -> tuple[ArticleReport | None, list[InputProblem], list[QuestionSite]]:
    assert _detector is not None
    try:
        article = read_article(file)
    except KbInputError as exc:
        return None, list(exc.problems), []
    return check_article(_detector, article), [], sites_of([article], titles=False)


def _ignore_sigint() -> None:
    # Ctrl+C reaches every process of the terminal's group: workers leave it to the parent,
    # which stops the pool, instead of each printing a traceback and leaving the pool hanging.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def check_paths(paths: Iterable[Path], detector: Detector, jobs: int = 1) -> CheckRun:
    """Check every article under ``paths``, one file at a time, in ``jobs`` processes.

    Workers are forked, so each inherits the built detector instead of rebuilding it; reports
    and problems come back in file order, exactly as a single process gives them.
    """
    global _detector
    run = CheckRun()
    files = iter_files(paths, run.problems)
    parallel = jobs > 1 and len(files) >= PARALLEL_FROM and "fork" in multiprocessing.get_all_start_methods()
    _detector = detector
    try:
        if parallel:
            with multiprocessing.get_context("fork").Pool(jobs, initializer=_ignore_sigint) as pool:
                results = list(pool.imap(_check_file, files, chunksize=16))
        else:
            results = map(_check_file, files)  # type: ignore[assignment]
        sites: list[QuestionSite] = []
        for report, problems, questions in results:
            run.problems.extend(problems)
            sites.extend(questions)
            if report is not None:
                run.reports.append(report)
        # one id in two files, or one listed question under two answers: checked across files
        first: dict[str, ArticleReport] = {}
        for report in run.reports:
            art = report.article
            if art.id in first:
                run.problems.append(duplicate_id(art, first[art.id].article))
            else:
                first[art.id] = report
        run.problems.extend(duplicate_question_problems(sites))
    finally:
        _detector = None
    return run
