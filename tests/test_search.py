"""The search index: ranking by status, expiry, pinyin as a fallback, incremental refresh, CLI."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import sqlite3
from pathlib import Path

import pytest

from kbtool.cli import main
from kbtool.core.query import parse_synonyms
from kbtool.services.search import CANDIDATES, SearchIndex, make_snippet, plain_answer

ROOT = Path(__file__).resolve().parent.parent


@dataclasses.dataclass(frozen=True)
class Doc:
    id: str
    title: str
    source_text: str
    kind: str = "article"
    category: str = "银行卡"
    tags: tuple[str, ...] = ()
    questions: tuple[str, ...] = ()
    spoken_text: str | None = None
    status: str = "none"
    expired: bool = False
    verbatim: tuple[str, ...] = ()
    source_hash: str = ""
    path: str = ""


class FakeSource:
    def __init__(self, docs: list[Doc]) -> None:
        self.docs = {d.id: d for d in docs}
        self.gen = 1
        self.reads = 0

    def generation(self) -> int:
        return self.gen

    def answers(self, include_expired: bool = True) -> list[Doc]:
        self.reads += 1
        return [d for d in self.docs.values() if include_expired or not d.expired]

    def put(self, doc: Doc) -> None:
        self.docs[doc.id] = doc
        self.gen += 1

    def drop(self, doc_id: str) -> None:
        del self.docs[doc_id]
        self.gen += 1


FILLER = [
    Doc("filler-a", "营业时间说明", "网点营业时间为工作日九点到五点。"),
    Doc("filler-b", "短信服务说明", "短信服务按月收费，可以随时关闭。"),
]


def make_index(docs: list[Doc], synonyms: str | None = None) -> tuple[SearchIndex, FakeSource]:
    conn = sqlite3.connect(":memory:", isolation_level=None)
    source = FakeSource(docs)
    table = parse_synonyms(synonyms, "syn.yml") if synonyms else None
    index = SearchIndex(conn, source, table)
    index.refresh(today=dt.date(2026, 11, 22))
    return index, source


def ids(index: SearchIndex, query: str, **kw: object) -> list[str]:
    return list(index.search(query, **kw).shown)  # type: ignore[arg-type]


# -- ranking and labels -----------------------------------------------------------------------

def test_approved_spoken_answer_ranks_above_an_unspoken_one_and_is_what_is_shown() -> None:
    text = "借记卡挂失可以打电话办理口头挂失。"
    index, _ = make_index([
        Doc("unspoken", "借记卡挂失", text),
        Doc("spoken", "借记卡挂失", text, spoken_text="卡丢了您别急，我现在就帮您电话挂失。", status="approved"),
        *FILLER,
    ])
    results = index.search("挂失").results
    assert [r.id for r in results[:2]] == ["spoken", "unspoken"]
    assert results[0].spoken and results[0].answer.startswith("卡丢了您别急") and results[0].labels == ()
    assert not results[1].spoken and results[1].labels == ("未口语化",)


def test_a_draft_or_in_review_text_is_never_shown_to_agents() -> None:
    index, _ = make_index([
        Doc("draft", "借记卡挂失", "正式文本：挂失请致电。", spoken_text="草稿：挂失打电话就行", status="in_review"), *FILLER,
    ])
    result = index.search("挂失").results[0]
    assert not result.spoken and "草稿" not in result.answer and result.labels == ("未口语化",)


def test_stale_answer_is_labelled_and_still_shows_its_last_approved_wording() -> None:
    index, _ = make_index([
        Doc("stale", "借记卡挂失", "新的正式文本：挂失请致电。", spoken_text="旧口语版：挂失打电话就行", status="stale"), *FILLER,
    ])
    result = index.search("挂失").results[0]
    assert result.labels == ("口语版待更新",) and result.answer.startswith("旧口语版")


def test_expired_announcements_are_hidden_unless_asked_for() -> None:
    index, _ = make_index([
        Doc("spring-2024", "春节营业安排", "春节期间网点暂停营业。", kind="announcement", expired=True),
        Doc("spring-2027", "春节营业安排", "春节期间部分网点营业。", kind="announcement"),
        *FILLER,
    ])
    assert ids(index, "春节") == ["spring-2027"]
    shown = index.search("春节", include_expired=True).results
    assert {r.id for r in shown} == {"spring-2024", "spring-2027"}
    assert next(r for r in shown if r.id == "spring-2024").labels == ("未口语化", "已过期")
    assert shown[0].id == "spring-2027"  # an expired one ranks below the same text still valid


def test_verbatim_scripts_are_returned_apart_from_the_answer() -> None:
    body = "挂失要核实身份。\n\n```verbatim\n信息安全声明：本次通话将录音。\n```\n\n核实后即时生效。"
    index, _ = make_index([Doc("loss", "挂失", body, verbatim=("信息安全声明：本次通话将录音。",)), *FILLER])
    result = index.search("挂失").results[0]
    assert result.verbatim == ("信息安全声明：本次通话将录音。",)
    assert "信息安全声明" not in result.answer and "核实后即时生效" in result.answer


def test_traditional_characters_and_full_width_find_simplified_answers() -> None:
    index, _ = make_index([Doc("roam", "国际漫游开通", "出国前开通国际漫游。"), *FILLER])
    assert ids(index, "國際漫遊") == ["roam"]
    index, _ = make_index([Doc("atm", "ATM吞卡", "ATM吞卡后请联系网点。"), *FILLER])
    assert ids(index, "ＡＴＭ") == ["atm"]


# -- why a result matched ---------------------------------------------------------------------

def test_each_result_says_why_it_matched() -> None:
    index, _ = make_index(
        [Doc("atm", "自助设备吞卡处理", "设备吞卡的，请携带身份证件到网点领卡。", questions=("取款机把卡吃了",)), *FILLER],
        synonyms="synonyms:\n  - [吞卡, 卡被吞]\n",
    )
    why = {w.kind: w for w in index.search("我的卡被吞了").results[0].why}
    assert why["synonym"].matched == "吞卡" and why["synonym"].origin == "syn.yml:2"
    why = {w.kind for w in index.search("取款机把卡吃了").results[0].why}
    assert {"words", "question"} <= why
    why = {w.kind: w for w in index.search("自助设备吞卡处里").results[0].why}
    assert why["fuzzy_title"].matched == "自助设备吞卡处理"


def test_matched_words_are_highlighted_in_the_snippet() -> None:
    index, _ = make_index([Doc("loss", "借记卡", "卡片遗失的，请立即办理挂失，挂失即时生效。"), *FILLER])
    result = index.search("挂失").results[0]
    marked = [result.snippet[s:e] for s, e in result.highlights]
    assert marked == ["挂失", "挂失"]


def test_snippet_centres_on_the_matches_of_a_long_answer() -> None:
    text = "开头说明。" * 40 + "吞卡以后请到网点领取。" + "结尾说明。" * 40
    snippet, spans = make_snippet(text, {"吞卡"}, width=40)
    assert snippet.startswith("…") and snippet.endswith("…") and len(snippet) <= 42
    assert [snippet[s:e] for s, e in spans] == ["吞卡"]


def test_plain_answer_drops_markdown_marks_and_fenced_blocks() -> None:
    assert plain_answer("## 一、说明\n**注意**：挂失\n```verbatim\n照读\n```\n") == "一、说明\n注意：挂失"


# -- pinyin is a fallback ---------------------------------------------------------------------

def test_a_homophone_typo_finds_the_word_through_pinyin() -> None:
    index, _ = make_index([Doc("loss", "借记卡挂失", "挂失后卡片交易暂停。"), *FILLER])
    result = index.search("挂实").results[0]
    assert result.id == "loss" and [(w.kind, w.query, w.matched) for w in result.why] == [("pinyin", "挂实", "挂失")]


def test_heteronym_typo_is_found_through_any_reading() -> None:
    index, _ = make_index([Doc("repay", "信用卡还款", "到期还款日前全额还款免息。"), *FILLER])
    assert ids(index, "环款日") == ["repay"]  # 环 huan = 还 read huan, not hai


def test_pinyin_is_not_used_when_the_characters_match() -> None:
    index, _ = make_index([Doc("loss", "借记卡挂失", "挂失后卡片交易暂停。"), Doc("hook", "挂式空调", "挂式空调的安装。"), *FILLER])
    assert ids(index, "挂失") == ["loss"]
    assert ids(index, "挂式") == ["hook"]


def test_a_pinyin_match_never_outranks_a_character_match() -> None:
    # Two answers alike in every way but one: the first holds a word the caller typed, the second a
    # word the caller's typo sounds like. The characters win.
    index, _ = make_index([
        Doc("chars", "业务说明", "本业务须前往网点办理。"),
        Doc("sound", "业务说明", "本业务须前往网点挂失。"),
        *FILLER,
    ])
    results = index.search("挂实办理").results
    assert [r.id for r in results[:2]] == ["chars", "sound"]
    assert {w.kind for w in results[1].why} == {"pinyin"}



def test_asking_for_more_results_than_the_candidate_step_keeps_still_gets_them() -> None:
    # The word is in every title and no body, so one FTS5 table supplies every candidate.
    docs = [Doc(f"loss-{i:03d}", f"挂失说明{i}", f"第{i}号网点营业时间。") for i in range(3 * CANDIDATES)]
    index, _ = make_index([*docs, *FILLER])
    assert len(ids(index, "挂失", limit=5)) == 5
    assert len(ids(index, "挂失", limit=2 * CANDIDATES)) == 2 * CANDIDATES



def test_a_query_of_only_very_common_words_ranks_a_bounded_window_of_titles(monkeypatch: pytest.MonkeyPatch) -> None:
    # Every word over the budgets: titles alone are searched, and FTS5 ranks only the most
    # recently indexed SHORT_BUDGET of them, so the cost does not grow with the knowledge base.
    import kbtool.services.search as search

    monkeypatch.setattr(search, "SHORT_BUDGET", 3)
    monkeypatch.setattr(search, "LONG_BUDGET", 3)
    docs = [Doc(f"loss-{i}", "挂失" if i < 5 else f"挂失业务的其他说明{i}", f"挂失须知第{i}条。") for i in range(10)]
    index, _ = make_index(docs)
    assert set(ids(index, "挂失")) == {"loss-7", "loss-8", "loss-9"}


# -- incremental refresh ----------------------------------------------------------------------

def _terms(index: SearchIndex) -> list[tuple[str, int]]:
    return index.conn.execute("SELECT term, df FROM search_terms ORDER BY term").fetchall()


def test_refresh_reads_nothing_when_neither_the_store_nor_the_day_changed() -> None:
    index, source = make_index([Doc("loss", "挂失", "挂失说明。"), *FILLER])
    reads = source.reads
    report = index.refresh(today=dt.date(2026, 11, 22))
    assert report.skipped and source.reads == reads
    report = index.refresh(today=dt.date(2026, 11, 23))  # a new day: expiry may have changed
    assert not report.skipped and report.unchanged == 3 and source.reads == reads + 1


def test_refresh_updates_only_what_changed_and_matches_a_full_rebuild() -> None:
    index, source = make_index([Doc("loss", "挂失", "挂失说明。"), Doc("atm", "吞卡", "吞卡说明。"), *FILLER])
    source.put(Doc("loss", "挂失", "口头挂失五天内有效。"))
    source.put(Doc("new", "携号转网", "携号转网授权码。"))
    source.drop("atm")
    report = index.refresh(today=dt.date(2026, 11, 22))
    assert (report.added, report.updated, report.removed, report.unchanged) == (1, 1, 1, 2)
    assert ids(index, "口头") == ["loss"] and ids(index, "吞卡") == [] and ids(index, "授权码") == ["new"]
    fresh, _ = make_index(list(source.docs.values()))
    assert _terms(index) == _terms(fresh)
    assert index._meta()["len_body"] == fresh._meta()["len_body"]


def test_a_status_change_is_picked_up_by_refresh() -> None:
    index, source = make_index([Doc("loss", "挂失", "挂失说明。"), *FILLER])
    source.put(Doc("loss", "挂失", "挂失说明。", spoken_text="挂失您打电话就行。", status="approved"))
    index.refresh(today=dt.date(2026, 11, 22))
    result = index.search("挂失").results[0]
    assert result.status == "approved" and result.answer == "挂失您打电话就行。"


# -- command line -----------------------------------------------------------------------------

def test_first_search_in_a_fresh_checkout_creates_and_syncs_the_store(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "kb.db"
    code = main(["search", "挂失", "--kb", str(ROOT / "kb"), "--db", str(db), "--format", "json", "--limit", "3"])
    assert code == 0 and db.exists()
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 3 and all("挂失" in r["answer"] for r in rows)
    assert {"id", "title", "status", "score", "snippet", "why", "verbatim", "labels"} <= set(rows[0])
    assert rows == sorted(rows, key=lambda r: -r["score"])
    code = main(["search", "吞卡", "--kb", str(ROOT / "kb"), "--db", str(db), "--color", "never"])
    out = capsys.readouterr().out
    assert code == 0 and out.startswith("1. 自助设备吞卡处理指引")


def test_search_input_errors_are_one_line_messages(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["search", "吞卡", "--kb", str(tmp_path / "nope"), "--db", str(tmp_path / "x.db")]) == 2
    assert "知识库文件夹不存在" in capsys.readouterr().err
    assert main(["search", " ", "--kb", str(ROOT / "kb"), "--db", str(tmp_path / "x.db")]) == 2
    assert "查询为空" in capsys.readouterr().err
    bad = tmp_path / "kb"
    bad.mkdir()
    (bad / "synonyms.yml").write_text("synonyms:\n  - [挂失]\n", encoding="utf-8")
    assert main(["search", "挂失", "--kb", str(bad), "--db", str(tmp_path / "y.db")]) == 2
    assert f"{bad / 'synonyms.yml'}:2:" in capsys.readouterr().err


def test_an_index_of_another_layout_is_rebuilt_not_misread() -> None:
    index, source = make_index([Doc("loss", "挂失", "挂失说明。"), *FILLER])
    index.conn.execute("UPDATE search_meta SET value = 'old' WHERE key = 'version'")
    index.conn.execute("DROP TABLE search_terms")
    index.conn.execute("CREATE TABLE search_terms (term TEXT PRIMARY KEY, df INTEGER)")  # an older layout
    again = SearchIndex(index.conn, source)
    report = again.refresh(today=dt.date(2026, 11, 22))
    assert report.rebuilt and report.added == 3 and ids(again, "挂失") == ["loss"]


def test_an_approval_in_the_store_reaches_search_on_the_next_refresh(tmp_path: Path) -> None:
    from kbtool.services.search import open_index
    from kbtool.services.store import Store

    kb = tmp_path / "kb"
    kb.mkdir()
    (kb / "loss.md").write_text(
        "---\nid: loss\ntitle: 借记卡挂失须知\nkind: article\ncategory: 银行卡\n---\n客户须致电95588办理口头挂失。\n", encoding="utf-8"
    )
    store = Store.open(tmp_path / "kb.db", kb)
    try:
        store.sync(kb, user="ed")
        index = open_index(store, kb)
        index.refresh()
        assert index.search("挂失").results[0].status == "none"
        store.save("loss", "卡丢了您打95588，我们帮您先电话挂失。", base_revision=None, user="ed")
        store.submit("loss", user="ed")
        store.approve("loss", user="rev", override_facts="测试")
        assert not index.refresh().skipped
        result = index.search("挂失").results[0]
        assert result.status == "approved" and result.spoken and result.answer.startswith("卡丢了您打95588")
        assert index.refresh().skipped
    finally:
        store.close()


def test_a_word_glued_to_dialect_filler_finds_its_answer() -> None:
    # 咋销 is no word and the index lacks it: 咋 is stripped, and 销 reaches 销户 as a single character does.
    index, _ = make_index([
        Doc("cancel", "手机号码销户", "销户前请结清话费。"),
        Doc("number", "号码实名说明", "号码须实名登记。"),
        *FILLER,
    ])
    assert ids(index, "号码咋销")[0] == "cancel"


def test_a_typo_that_is_no_word_counts_more_than_a_pinyin_guess() -> None:
    # 解动 is in neither the index nor the dictionary: 解冻 is the only reading of it.
    index, _ = make_index([
        Doc("classes", "账户分类", "账户分为三类，开立须本人办理。"),
        Doc("thaw", "冻结与解冻", "账户冻结原因消除后，可办理解冻。"),
        *FILLER,
    ])
    assert ids(index, "账户解动")[0] == "thaw"
