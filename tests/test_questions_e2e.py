"""The learning loop end to end: agents' searches -> suggestions -> an editor accepts them ->
a reviewer approves -> the next search is better.

Simulated agent sessions (tests/data/agent_sessions.yml) are run through the real search with
the search log listening; every search is followed by the agent opening the answer. The editor
accepts the suggestions searched more than once and dismisses one-offs; the reviewer approves.
recall@1 on held-back paraphrases of the same questions (never logged) is reported before and
after, and the search labelled set (tests/data/search_queries.yml) must not get worse.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
import yaml
from rapidfuzz import fuzz

from kbtool.core.masking import MASK
from kbtool.core.text import normalize_key
from kbtool.services.kb import load_articles
from kbtool.services.packs import load_pack
from kbtool.services.querylog import LearnedAnswers, QueryLog, SearchLogger
from kbtool.services.search import SearchIndex, synonyms_for
from kbtool.services.store import Store
from tests.store_kit import FixedDay

ROOT = Path(__file__).resolve().parent.parent
KB = ROOT / "kb"
SESSIONS = ROOT / "tests" / "data" / "agent_sessions.yml"
LABELLED = ROOT / "tests" / "data" / "search_queries.yml"
AGENTS = [f"agent{i:02d}" for i in range(1, 9)]


@pytest.fixture(scope="module")
def sessions() -> dict:  # type: ignore[type-arg]
    return yaml.safe_load(SESSIONS.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def articles():  # type: ignore[no-untyped-def]
    return {a.id: a for a in load_articles([KB]).articles}


def test_sessions_are_fresh_wordings_with_enough_searches(sessions, articles) -> None:  # type: ignore[no-untyped-def]
    labelled = yaml.safe_load(LABELLED.read_text(encoding="utf-8"))["queries"]
    taken = [(normalize_key(q), f"question of {a.id}") for a in articles.values() for q in a.questions]
    taken += [(normalize_key(item["q"]), "search_queries.yml") for item in labelled]
    logged: set[str] = set()
    opened = 0
    for intent in sessions["intents"]:
        assert intent["id"] in articles, intent["id"]
        assert not articles[intent["id"]].is_expired(sessions["day"])
        for text in [*intent["searches"], *intent["held_out"]]:
            key = normalize_key(text)
            for other, where in taken:
                assert fuzz.ratio(key, other) < 75, f"{text!r} nearly copies a {where}"
        logged.update(normalize_key(t) for t in intent["searches"])
        opened += len(intent["searches"])
    assert opened >= 200
    for intent in sessions["intents"]:
        for text in intent["held_out"]:
            assert normalize_key(text) not in logged, f"held-out {text!r} is also a logged search"


def _recall(index: SearchIndex, items: list[tuple[str, set[str], bool]]) -> tuple[float, float, float, int]:
    hits1 = hits5 = 0
    rr = 0.0
    for query, ids, everything in items:
        shown = list(index.search(query, limit=10, include_expired=everything).shown)
        rank = next((i + 1 for i, art in enumerate(shown) if art in ids), None)
        hits1 += rank == 1
        hits5 += bool(rank and rank <= 5)
        rr += 1 / rank if rank else 0.0
    n = len(items)
    return hits1 / n, hits5 / n, rr / n, n


def test_accepted_suggestions_lift_recall_on_held_out_paraphrases(tmp_path, sessions, articles, capsys) -> None:  # type: ignore[no-untyped-def]
    day = sessions["day"]
    store = Store.open(tmp_path / "kb.db", KB)
    store.sync(KB, user="sync")
    # Every answer approved first (spoken = source), so the only change the loop makes is questions:
    # an accepted suggestion must not win merely by turning an answer "approved".
    for art_id in sorted(articles):
        store.save(art_id, store.article(art_id).source_text, base_revision=None, user="ed")
        store.submit(art_id, user="ed")
        store.approve(art_id, user="rev", override_facts="基线：口语稿与原文相同")
    pack = load_pack()
    source = LearnedAnswers(store, FixedDay(store, day, {a.id: a.valid_until for a in articles.values()}))
    index = SearchIndex(store.conn, source, synonyms_for(KB, pack))
    index.refresh(today=day)
    held_out = [(q, {i["id"]}, False) for i in sessions["intents"] for q in i["held_out"]]
    labelled = [(item["q"], set(item["ids"]), bool(item.get("all")))
                for item in yaml.safe_load(LABELLED.read_text(encoding="utf-8"))["queries"]]
    before = _recall(index, held_out)
    labelled_before = _recall(index, labelled)

    # -- agents search, in mixed order, spread over agents --------------------------------------
    log = QueryLog(store, masking=pack.masking)
    logger = SearchLogger(log, source="tui")
    index.listeners.append(logger)
    events = [(q, i["id"]) for i in sessions["intents"] for q in i["searches"]]
    events += [(n["q"], n["id"]) for n in sessions["noise"]]
    events += [(q, None) for q in sessions["gaps"]]
    rng = random.Random(9)
    rng.shuffle(events)
    for n, (query, opened) in enumerate(events):
        logger.user = AGENTS[n % len(AGENTS)]
        index.search(query, limit=5)
        assert logger.last_id is not None and logger.error is None
        if opened:
            log.opened(logger.last_id, opened, user=logger.user)
    assert log.count() == len(events)

    # -- the editor decides, the reviewer approves ------------------------------------------------
    report = log.suggestions()
    intents = {i["id"] for i in sessions["intents"]}
    accepted: list[str] = []
    for item in report.suggestions:
        if item.searches >= 2:
            log.accept(item.id, user="ed")
            accepted.append(item.article_id or "")
        else:
            log.dismiss(item.id, user="ed")
    for art_id in sorted(set(accepted)):
        store.submit(art_id, user="ed")
        store.approve(art_id, user="rev", override_facts="只改了问法")
    index.refresh(today=day)
    after = _recall(index, held_out)
    labelled_after = _recall(index, labelled)

    with capsys.disabled():
        print(f"\nquestions loop: {len(events)} searches logged, {len(report.suggestions)} suggestions "
              f"({len(accepted)} accepted for {len(set(accepted))} answers), {len(report.gaps)} gaps")
        print(f"  held-out paraphrases n={before[3]}: recall@1 {before[0]:.3f} -> {after[0]:.3f}  "
              f"recall@5 {before[1]:.3f} -> {after[1]:.3f}  MRR {before[2]:.3f} -> {after[2]:.3f}")
        print(f"  search labelled set  n={labelled_before[3]}: recall@1 {labelled_before[0]:.3f} -> {labelled_after[0]:.3f}  "
              f"recall@5 {labelled_before[1]:.3f} -> {labelled_after[1]:.3f}  MRR {labelled_before[2]:.3f} -> {labelled_after[2]:.3f}")

    # what the editor saw: the intents' wordings, not the one-off noise, and the gaps with counts
    assert set(accepted) <= intents
    assert len(set(accepted)) >= 2 / 3 * len(intents)
    assert not any(MASK in s.question for s in report.suggestions)
    assert report.gaps and report.gaps[0].searches >= 2
    gap_words = {t for g in report.gaps for t, _ in g.wordings}
    assert gap_words == set(sessions["gaps"])
    # the loop pays off, and costs the labelled set nothing
    assert after[0] > before[0]
    assert after[1] >= before[1]
    assert labelled_after[1] >= labelled_before[1]
    assert labelled_after[2] >= labelled_before[2] - 0.005
    # dismissed one-offs stay dismissed, accepted ones are covered now
    assert log.suggestions().suggestions == []
    log.close()
    store.close()
