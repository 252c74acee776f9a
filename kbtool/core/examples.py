"""Running a pack's inline examples (like prh ``specs``): before/after and clean."""

from __future__ import annotations

from dataclasses import dataclass

from kbtool.core.detect import Detector
from kbtool.core.fixes import apply_edits, first_suggestion_edits
from kbtool.core.stylepack import Rule


@dataclass(frozen=True)
class ExampleFailure:
    rule: Rule
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.rule.source}:{self.line}: [{self.rule.id}] {self.message}"


def run_examples(detector: Detector, rules: list[Rule] | None = None) -> tuple[int, list[ExampleFailure]]:
    """Run every example of ``rules`` (default: all); returns (examples run, failures)."""
    failures: list[ExampleFailure] = []
    count = 0
    for rule in rules if rules is not None else list(detector.rules):
        for ex in rule.examples:
            count += 1
            if ex.before is not None:
                found = [f for f in detector.check(ex.before) if f.rule == rule.id]
                if not found:
                    failures.append(ExampleFailure(rule, ex.line, f"没有标出：{ex.before!r}"))
                elif ex.after is not None:
                    got = apply_edits(ex.before, first_suggestion_edits(found))
                    if got != ex.after:
                        failures.append(ExampleFailure(rule, ex.line, f"应改为 {ex.after!r}，实际是 {got!r}"))
            if ex.clean is not None:
                found = [f for f in detector.check(ex.clean) if f.rule == rule.id]
                if found:
                    spans = "、".join(repr(f.text) for f in found)
                    failures.append(ExampleFailure(rule, ex.line, f"干净示例被标出了 {spans}：{ex.clean!r}"))
    return count, failures
