"""Generated knowledge bases for benchmarks: sample-KB sentences reshuffled into new articles."""

from __future__ import annotations

import random
from pathlib import Path

from kbtool.core.text import sentence_spans
from kbtool.services.kb import load_articles

ROOT = Path(__file__).resolve().parent.parent


def sample_sentences() -> list[str]:
    sentences = []
    for art in load_articles([ROOT / "kb"]).articles:
        body = art.body
        sentences += [body[s:e] for s, e in sentence_spans(body) if "`" not in body[s:e] and "---" not in body[s:e]]
    return sentences


def generate_kb(target: Path, n: int, chars: int = 800, seed: int = 7) -> int:
    """Write ``n`` articles of about ``chars`` characters; returns the total body characters."""
    rng = random.Random(seed)
    sentences = sample_sentences()
    target.mkdir(parents=True, exist_ok=True)
    total = 0
    for i in range(n):
        parts: list[str] = []
        size = 0
        while size < chars:
            s = rng.choice(sentences)
            parts.append(s)
            size += len(s)
        body = "".join(parts)
        total += len(body)
        sub = target / f"{i // 1000:03d}"
        sub.mkdir(exist_ok=True)
        (sub / f"gen-{i:06d}.md").write_text(
            f"---\nid: gen-{i:06d}\ntitle: 生成文章{i}\nkind: article\ncategory: 生成\n---\n{body}\n", encoding="utf-8"
        )
    return total
