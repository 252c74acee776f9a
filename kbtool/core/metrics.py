"""Per-article metrics and the spoken-readiness score."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from kbtool.core.findings import Finding
from kbtool.core.stylepack import Settings
from kbtool.core.text import sentence_spans, speakable_length

# Weights of one finding per level in the readiness score (see README).
LEVEL_WEIGHT = {"error": 3.0, "warning": 1.0, "suggestion": 0.3}


@dataclass(frozen=True)
class Metrics:
    characters: int
    sentences: int
    longest_sentence: int
    long_sentence_share: float
    read_aloud_seconds: float
    findings_per_100_chars: float
    readiness: int

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def readiness_score(characters: int, findings: list[Finding], long_share: float) -> int:
    """100 minus 10 points per weighted word-level finding per 100 characters, minus up to
    30 points for the share of sentences too long for one breath; clamped to 0..100."""
    if characters == 0:
        return 100
    weighted = sum(LEVEL_WEIGHT[f.level] for f in findings if f.scope == "word")
    density = 100.0 * weighted / characters
    return max(0, min(100, round(100 - 10 * density - 30 * long_share)))


def sentence_lengths(text: str) -> list[int]:
    """Speakable characters of each sentence of ``text`` that has any."""
    return [n for s, e in sentence_spans(text) if (n := speakable_length(text[s:e]))]


def measure(text: str, findings: list[Finding], settings: Settings, lengths: list[int] | None = None) -> Metrics:
    """Metrics over ``text`` (already masked: skipped regions blanked); ``lengths`` are its
    :func:`sentence_lengths` when already known (the detector finds them on its way)."""
    if lengths is None:
        lengths = sentence_lengths(text)
    characters = sum(lengths)
    long_share = (sum(1 for n in lengths if n > settings.sentence_max_chars) / len(lengths)) if lengths else 0.0
    word_findings = [f for f in findings if f.scope == "word"]
    return Metrics(
        characters=characters,
        sentences=len(lengths),
        longest_sentence=max(lengths, default=0),
        long_sentence_share=round(long_share, 3),
        read_aloud_seconds=round(characters * 60.0 / settings.speaking_rate, 1),
        findings_per_100_chars=round(100.0 * len(word_findings) / characters, 2) if characters else 0.0,
        readiness=readiness_score(characters, findings, long_share),
    )


@dataclass(frozen=True)
class Comparison:
    """A draft beside its original: metrics and remaining word-level findings of each."""

    before: Metrics
    after: Metrics
    findings_before: int
    findings_after: int

    @property
    def readiness_gain(self) -> int:
        return self.after.readiness - self.before.readiness

    @property
    def seconds_saved(self) -> float:
        return round(self.before.read_aloud_seconds - self.after.read_aloud_seconds, 1)

    @property
    def time_saved_share(self) -> float:
        """Share of the read-aloud time the draft saves (0.2 = a fifth shorter)."""
        if not self.before.read_aloud_seconds:
            return 0.0
        return round(self.seconds_saved / self.before.read_aloud_seconds, 3)

    def to_dict(self) -> dict[str, object]:
        return {
            "before": {**self.before.to_dict(), "findings": self.findings_before},
            "after": {**self.after.to_dict(), "findings": self.findings_after},
            "readiness_gain": self.readiness_gain,
            "seconds_saved": self.seconds_saved,
            "time_saved_share": self.time_saved_share,
        }


def compare(before: Metrics, after: Metrics, findings_before: list[Finding], findings_after: list[Finding]) -> Comparison:
    """Before/after view of a rewrite; findings are counted at word level, as readiness is."""
    return Comparison(
        before, after,
        sum(1 for f in findings_before if f.scope == "word"),
        sum(1 for f in findings_after if f.scope == "word"),
    )
