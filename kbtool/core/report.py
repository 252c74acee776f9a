"""Checking one article: findings plus metrics, the unit every interface shows."""

from __future__ import annotations

import re
from dataclasses import dataclass

from kbtool.core.article import Article
from kbtool.core.detect import Detector, mask
from kbtool.core.findings import Finding
from kbtool.core.metrics import Metrics, measure


@dataclass(frozen=True)
class ArticleReport:
    article: Article
    findings: list[Finding]
    metrics: Metrics

    def to_dict(self) -> dict[str, object]:
        return {
            "path": self.article.path,
            "id": self.article.id,
            "findings": [f.to_dict() for f in self.findings],
            "metrics": self.metrics.to_dict(),
        }


def check_text(detector: Detector, text: str) -> tuple[list[Finding], Metrics]:
    """Findings and metrics of free text (a draft, a sentence typed in the TUI)."""
    scan = detector.scan(text)
    return scan.findings, measure(text, scan.findings, detector.pack.settings, scan.sentence_lengths)


def check_article(detector: Detector, article: Article) -> ArticleReport:
    masked = mask(article.text, article.skip)
    scan = detector.scan(masked)
    findings = [f for f in scan.findings if not _caller_words_in_agent_text(masked, f)]
    if masked != article.text:
        findings = [_restore_text(f, article.text) for f in findings]
    return ArticleReport(article, findings, measure(masked, findings, detector.pack.settings, scan.sentence_lengths))


_TOLD = re.compile(r"告知|告诉|提醒|说明|解释|回复|答复|引导")


def _caller_words_in_agent_text(text: str, finding: Finding) -> bool:
    """A finding that would turn words into 您 inside an instruction to the agent
    (坐席须核实来电人系持卡人本人): there 持卡人 is right, the agent is not talking to the caller.
    What the agent is told to say (坐席应告知客户：…) is the caller's again."""
    if finding.scope != "word" or not finding.suggestions or "您" in finding.text:
        return False
    if not all("您" in s for s in finding.suggestions):
        return False
    start = max(text.rfind(ch, 0, finding.start) for ch in "。！？!?\n") + 1
    before = text[start:finding.start]
    at = before.find("坐席")
    return at >= 0 and not _TOLD.search(before, at)


def _restore_text(finding: Finding, text: str) -> Finding:
    original = text[finding.start:finding.end]
    if original == finding.text:
        return finding
    from dataclasses import replace

    return replace(finding, text=original)
