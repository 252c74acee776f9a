"""The TUI's door to the review store and the search service (issues 5 and 6).

Screens call these small functions rather than the services' full APIs so the app keeps
working, with a clear notice, on a checkout where a service is missing or fails to open.
"""

from __future__ import annotations

from typing import Any


class Unavailable(Exception):
    """A service cannot be used; the message is shown to the user as is."""


def open_store(options: Any) -> tuple[Any, str]:
    try:
        from kbtool.services import store as store_mod  # noqa: F401
    except ImportError:
        raise Unavailable("审核库模块还没有安装：草稿保存、审核与查询暂不可用") from None
    raise Unavailable("审核库接口尚未接入")


def open_search(store: Any, options: Any) -> Any:
    try:
        from kbtool.services import search as search_mod  # noqa: F401
    except ImportError:
        raise Unavailable("检索模块还没有安装：查询界面暂不可用") from None
    raise Unavailable("检索接口尚未接入")


def status_of(store: Any, article_id: str) -> str:
    return ""


def check_draft(detector: Any, text: str, source: str) -> tuple[list[Any], Any, Any, str]:
    """Findings, metrics, fact check and a problem note for a spoken draft.

    The draft is read as a plain-text article so its verbatim blocks and code are skipped just
    as they are in the source; a broken fence is reported in the note and the text is checked
    whole.
    """
    from kbtool.core.article import parse_article
    from kbtool.core.errors import KbInputError
    from kbtool.core.report import check_article, check_text

    note = ""
    try:
        report = check_article(detector, parse_article(text, "口语稿.txt"))
        findings, metrics = report.findings, report.metrics
    except KbInputError as exc:
        problem = exc.problems[0]
        note = f"第{problem.line}行：{problem.message}" if problem.line else problem.message
        findings, metrics = check_text(detector, text)
    return findings, metrics, fact_check(source, text), note


def fact_check(source: str, spoken: str) -> Any:
    """Issue 4's fact check, when it is installed; None means "not available"."""
    return None
