"""What a reviewer looks at: the word-level diff, the fact check and the remaining findings.

Assembled here (not in the store) because it needs a Detector, which takes a while to build;
the store itself re-runs the fact check when approving, so a UI cannot skip it.
"""

from __future__ import annotations

from dataclasses import dataclass

from kbtool.core.article import parse_article
from kbtool.core.detect import Detector
from kbtool.core.diff import DiffOp, similarity, word_diff
from kbtool.core.findings import Finding
from kbtool.core.metrics import Metrics
from kbtool.core.report import check_article
from kbtool.services.store import ArticleInfo, FactCheck, HistoryEntry, Revision, Store, StoreError, fact_check


@dataclass(frozen=True)
class ReviewView:
    article: ArticleInfo
    revision: Revision              # the revision under review (the head)
    approved: Revision | None       # what agents see now, if anything
    diff: list[DiffOp]              # source -> spoken, over jieba tokens
    facts: FactCheck
    findings: list[Finding]         # what the style pack still flags in the spoken text
    metrics: Metrics
    history: list[HistoryEntry]

    @property
    def comments(self) -> list[HistoryEntry]:
        return [e for e in self.history if e.detail.get("comment")]

    def to_dict(self) -> dict[str, object]:
        return {
            "article": self.article.to_dict(),
            "revision": self.revision.to_dict(),
            "approved_revision": self.approved.number if self.approved else None,
            "diff": [op.to_dict() for op in self.diff],
            "similarity": round(similarity(self.diff), 3),
            "facts": self.facts.to_dict(),
            "findings": [f.to_dict() for f in self.findings],
            "metrics": self.metrics.to_dict(),
            "history": [e.to_dict() for e in self.history],
        }


def check_spoken(detector: Detector, article_id: str, text: str) -> tuple[list[Finding], Metrics]:
    """Findings in a spoken text, skipping verbatim scripts, code and URLs like the source check."""
    # parsed as a plain-text file: no front matter, but fences and verbatim blocks are found
    spoken = parse_article(text, f"{article_id}.txt")
    report = check_article(detector, spoken)
    return report.findings, report.metrics


def build_review(store: Store, article_id: str, detector: Detector, revision: int | None = None) -> ReviewView:
    article = store.article(article_id)
    if article.head_revision is None and revision is None:
        raise StoreError(article_id, "还没有口语稿，没有可审核的内容")
    rev = store.revision(article_id, revision)
    approved = store.revision(article_id, article.approved_revision) if article.approved_revision else None
    findings, metrics = check_spoken(detector, article_id, rev.spoken_text)
    return ReviewView(
        article=article,
        revision=rev,
        approved=approved,
        diff=word_diff(article.source_text, rev.spoken_text, detector.segmenter.tokenize),
        facts=fact_check(article.source_text, rev.spoken_text),
        findings=findings,
        metrics=metrics,
        history=store.history(article_id),
    )
