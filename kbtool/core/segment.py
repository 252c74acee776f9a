"""Word segmentation with jieba-compatible tokenizers.

The hot path uses rjieba (a binding of jieba-rs, ~20x faster); jieba itself stays the
reference and a test proves both cut the sample knowledge base the same way. Both get the
same user words with the same frequency, so they share one dictionary.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from functools import lru_cache
from itertools import accumulate

import rjieba

# Frequency for user words that are not in jieba's dictionary. jieba's own suggest_freq gives
# 1 for most long phrases, which is too weak to survive real context (请主卡持卡人于 came out as
# 请主/卡持卡/人于); 100 is enough for a multi-character phrase to beat its parts without
# pulling short words out of longer ones.
USER_WORD_FREQ = 100
# Short phrases are not added: a frequent 本行 would cut 本行业 into 本行/业.
MIN_USER_WORD_LEN = 3

_CJK_RUN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")


def user_words(words: Iterable[str], has_word: object | None = None) -> list[str]:
    """The subset of ``words`` worth adding to the dictionary, sorted for determinism."""
    out = set()
    for word in words:
        word = word.strip()
        if len(word) >= MIN_USER_WORD_LEN and (has_word is None or not has_word(word)):  # type: ignore[operator]
            out.add(word)
    return sorted(out)


class Segmenter:
    """A tokenizer with the pack's phrases and protected terms as user words."""

    def __init__(self, words: Iterable[str] = ()) -> None:
        self._jieba = rjieba.Jieba()
        self.words = user_words(words, self._jieba.has_word)
        for word in self.words:
            self._jieba.add_word(word, USER_WORD_FREQ, None)
        self._lock = threading.Lock()

    def has_word(self, word: str) -> bool:
        """Whether the dictionary (with the user words) holds ``word``."""
        with self._lock:
            return bool(self._jieba.has_word(word))

    def tokenize(self, text: str) -> list[tuple[str, int, int]]:
        with self._lock:
            return self._jieba.tokenize(text)

    def cut(self, text: str) -> list[str]:
        with self._lock:
            return self._jieba.cut(text)

    def cut_for_search(self, text: str) -> list[str]:
        with self._lock:
            return self._jieba.cut_for_search(text)

    def boundaries(self, text: str) -> bytearray:
        """``b[i] == 1`` when a word starts at ``i`` (and at ``len(text)``)."""
        bounds = bytearray(len(text) + 1)
        bounds[0] = 1
        # word ends from the cut words' lengths: cheaper than tokenize's (word, start, end) tuples
        for end in accumulate(map(len, self.cut(text))):
            bounds[end] = 1
        bounds[len(text)] = 1
        return bounds


@lru_cache(maxsize=8)
def segmenter_for(words: frozenset[str]) -> Segmenter:
    return Segmenter(words)


def reference_tokenizer(words: Iterable[str]):  # type: ignore[no-untyped-def]
    """jieba itself with the same user words: the reference the fast path is tested against."""
    import jieba

    tok = jieba.Tokenizer()
    tok.initialize()
    fast = rjieba.Jieba()
    for word in user_words(words, fast.has_word):
        tok.add_word(word, USER_WORD_FREQ)
    return tok


def cjk_runs(text: str) -> list[str]:
    return _CJK_RUN.findall(text)
