"""Checking one article: findings plus metrics, the unit every interface shows."""

from __future__ import annotations

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
    findings = scan.findings
    if masked != article.text:
        findings = [_restore_text(f, article.text) for f in findings]
    return ArticleReport(article, findings, measure(masked, findings, detector.pack.settings, scan.sentence_lengths))


def _restore_text(finding: Finding, text: str) -> Finding:
    original = text[finding.start:finding.end]
    if original == finding.text:
        return finding
    from dataclasses import replace

    return replace(finding, text=original)
