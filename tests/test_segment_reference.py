"""rjieba serves the hot path only because it cuts the sample KB exactly as jieba does."""

from __future__ import annotations

from pathlib import Path

from kbtool.core.segment import Segmenter, cjk_runs, reference_tokenizer
from kbtool.core.text import normalize
from kbtool.services.kb import load_articles

ROOT = Path(__file__).resolve().parent.parent


def _cjk(ch: str) -> bool:
    return bool(cjk_runs(ch))


def _boundaries_near_chinese(line: str, tokens: list[str]) -> set[int]:
    """Word boundaries next to a Chinese character: the only ones detection relies on there.

    rjieba keeps ASCII runs such as 021-62888888 or 2024-01-26 whole where jieba splits them
    at the dashes; no rule boundary falls inside such a run, so those are left out.
    """
    out, pos = set(), 0
    for token in tokens:
        pos += len(token)
        if (pos < len(line) and _cjk(line[pos])) or (pos > 0 and _cjk(line[pos - 1])):
            out.add(pos)
    return out


def test_fast_segmenter_cuts_the_sample_kb_like_jieba(default_detector):
    words = default_detector.segmenter.words
    fast = Segmenter(words)
    reference = reference_tokenizer(words)
    articles = load_articles([ROOT / "kb"]).articles
    assert len(articles) >= 40
    lines = [line for art in articles for line in normalize(art.text).splitlines() if cjk_runs(line)]
    differing = [
        line for line in lines
        if _boundaries_near_chinese(line, fast.cut(line)) != _boundaries_near_chinese(line, reference.lcut(line))
    ]
    assert differing == [], f"{len(differing)} of {len(lines)} lines differ, e.g. {differing[:3]}"


def test_user_words_keep_phrases_whole_without_splitting_longer_words():
    seg = Segmenter(["主卡持卡人", "本行"])
    assert "主卡持卡人" in seg.cut("请主卡持卡人于本行业网点办理")
    assert "本行业" in seg.cut("请主卡持卡人于本行业网点办理")
