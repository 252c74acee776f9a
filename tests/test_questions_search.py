"""Search over listed questions: a query close to an answer's question ranks that answer first and
says which question matched — on the sample knowledge base, for every question listed there."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import opencc
import pytest

from kbtool.services.kb import load_articles
from kbtool.services.packs import load_pack
from kbtool.services.querylog import LearnedAnswers
from kbtool.services.search import SearchIndex, synonyms_for
from kbtool.services.store import Store

ROOT = Path(__file__).resolve().parent.parent
KB = ROOT / "kb"
_S2T = opencc.OpenCC("s2t")


@pytest.fixture(scope="module")
def index(tmp_path_factory):  # type: ignore[no-untyped-def]
    store = Store.open(tmp_path_factory.mktemp("qsearch") / "kb.db", KB)
    store.sync(KB, user="test")
    idx = SearchIndex(store.conn, LearnedAnswers(store), synonyms_for(KB, load_pack()))
    idx.refresh()
    yield idx
    store.close()


def variants(question: str) -> list[str]:
    """The listed question as an agent might type it: with a lead-in and a question mark, and in
    traditional characters with full-width punctuation."""
    return [f"请问{question}？", _S2T.convert(question) + "？"]


def test_a_listed_question_typed_with_filler_or_in_traditional_finds_its_answer_first(index) -> None:  # type: ignore[no-untyped-def]
    today = dt.date.today()
    live = [a for a in load_articles([KB]).articles if not a.is_expired(today) and a.questions]
    tried = first = 0
    unnamed = []
    for art in live:
        for question in art.questions:
            for query in variants(question):
                response = index.search(query, limit=5)
                tried += 1
                first += response.shown[:1] == (art.id,)
                hit = next((r for r in response.results if r.id == art.id), None)
                if hit is None or not any(w.kind == "question" and w.matched == question for w in hit.why):
                    unnamed.append(f"{query} -> {art.id}: {response.shown}")
    assert tried >= 300
    assert first / tried >= 0.97, f"recall@1 {first / tried:.3f}"
    assert not unnamed, "result does not name the matched question:\n" + "\n".join(unnamed[:10])


def test_expired_announcements_are_found_by_their_questions_when_asked_for(index) -> None:  # type: ignore[no-untyped-def]
    today = dt.date.today()
    expired = [a for a in load_articles([KB]).articles if a.is_expired(today)]
    if not expired:
        pytest.skip("no expired announcement in the sample knowledge base today")
    for art in expired:
        for question in art.questions:
            assert art.id in index.search(question, limit=3, include_expired=True).shown
