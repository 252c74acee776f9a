"""kbtool fix: only safe fixes, idempotent, protected terms and verbatim blocks untouched,
files written back in their own encoding, BOM and line ends."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kbtool.cli import main
from kbtool.core.article import parse_article
from kbtool.core.detect import Detector
from kbtool.core.draft import safe_fix
from kbtool.services.packs import load_pack

PACK = """\
name: fixtest
protected: [长期挂失, "95588"]
rules:
  - id: official.yuyi
    level: warning
    category: official
    message: 予以是公文腔
    phrases: [予以]
    replace: [给]
    examples: [{before: 予以办理, after: 给办理}]
  - id: official.benhang
    level: warning
    category: official
    message: 本行
    phrases: [本行]
    replace: [我们, 我行]
    examples: [{before: 本行规定, clean: 本行业}]
  - id: boilerplate.jingqing
    level: suggestion
    category: boilerplate
    message: 套话
    phrases: [敬请谅解]
    replace: [""]
    examples: [{before: 敬请谅解。}]
  - id: official.chi
    level: error
    category: official
    message: 持卡人
    phrases: [持卡人]
    replace: [您]
    examples: [{before: 持卡人本人}]
  - id: structure.date
    level: suggestion
    category: structure
    message: 日期
    pattern: '\\d{4}年\\d{1,2}月\\d{1,2}日'
    helper: date
    examples: [{before: 2024年3月16日}]
"""


@pytest.fixture(scope="module")
def detector(tmp_path_factory):
    path = tmp_path_factory.mktemp("pack") / "fixtest.yml"
    path.write_text(PACK, encoding="utf-8")
    return Detector(load_pack(str(path)))


def article(body: str, name: str = "a.md") -> str:
    return f"---\nid: a\ntitle: 标题\nkind: article\ncategory: 测试\n---\n{body}"


def fixed(detector, text: str, name: str = "a.md") -> str:
    return safe_fix(detector, parse_article(text, name)).text


def test_only_safe_fixes_are_applied(detector):
    text = article("本行将予以办理，持卡人请于2024年3月16日前办理。")
    out = fixed(detector, text)
    assert "给办理" in out and "您请" in out
    assert "本行" in out  # two alternatives: the editor chooses
    assert "2024年3月16日" in out  # helper suggestions are never automatic


def test_a_removed_phrase_leaves_no_doubled_punctuation(detector):
    out = fixed(detector, article("您好，敬请谅解，谢谢。\n敬请谅解。"))
    assert out.endswith("您好，谢谢。\n")


def test_verbatim_blocks_front_matter_and_protected_terms_are_untouched(detector):
    script = "本行予以办理长期挂失，敬请谅解。"
    text = article(f"予以办理长期挂失。\n\n```verbatim\n{script}\n```\n予以95588")
    out = fixed(detector, text)
    assert f"```verbatim\n{script}\n```" in out
    assert out.startswith("---\nid: a\ntitle: 标题\n")
    assert out.count("长期挂失") == 2 and "95588" in out


FRAGMENTS = ["予以", "本行", "持卡人", "敬请谅解", "长期挂失", "95588", "办理", "，", "。", "\n", " ", "您", "A", "以", "予"]
bodies = st.lists(st.sampled_from(FRAGMENTS), max_size=40).map("".join)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(bodies, bodies)
def test_fix_is_idempotent_and_never_touches_protected_terms_or_verbatim(detector, prose, script):
    script = script.replace("`", "") or "本行"
    text = article(f"{prose}\n\n```verbatim\n{script}\n```\n{prose}\n")
    once = fixed(detector, text)
    assert fixed(detector, once) == once
    assert f"```verbatim\n{script}\n```" in once
    for term in ("长期挂失", "95588"):
        assert once.count(term) == text.count(term)
    assert doubled_punctuation(once) <= doubled_punctuation(text)


def doubled_punctuation(text: str) -> int:
    return len(re.findall("(?=[，。][，。])", text))


def test_default_pack_fix_is_idempotent_on_the_sample_kb(default_detector):
    kb = Path(__file__).resolve().parent.parent / "kb"
    files = sorted(kb.rglob("*.md"))[:20]
    if not files:
        pytest.skip("no sample knowledge base")
    for file in files:
        art = parse_article(file.read_bytes(), str(file))
        once = safe_fix(default_detector, art).text
        again = safe_fix(default_detector, parse_article(once, str(file))).text
        assert again == once, file
        for start, end in art.verbatim:
            assert art.text[start:end] in once


# -- the command ---------------------------------------------------------------------------------

@pytest.fixture
def pack_file(tmp_path):
    path = tmp_path / "fixtest.yml"
    path.write_text(PACK, encoding="utf-8")
    return str(path)


def test_diff_changes_nothing_and_exits_1_when_there_is_something_to_fix(tmp_path, pack_file, capsys):
    path = tmp_path / "a.md"
    path.write_text(article("予以办理。"), encoding="utf-8")
    before = path.read_bytes()
    assert main(["fix", str(path), "--diff", "--style", pack_file, "--color", "never"]) == 1
    assert path.read_bytes() == before
    out = capsys.readouterr().out
    assert "-予以办理。" in out and "+给办理。" in out


def test_write_keeps_encoding_bom_and_line_ends_and_a_second_run_finds_nothing(tmp_path, pack_file):
    crlf = tmp_path / "crlf.md"
    crlf.write_bytes(b"\xef\xbb\xbf" + article("予以办理。\n第二行予以。\n").replace("\n", "\r\n").encode("utf-8"))
    gbk = tmp_path / "gbk.md"
    gbk.write_bytes(article("持卡人予以办理。\n").encode("gb18030"))
    assert main(["fix", str(tmp_path), "--write", "--style", pack_file]) == 0
    data = crlf.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    assert data.count(b"\r\n") == data.count(b"\n")
    assert "给办理。\r\n第二行给。" in data.decode("utf-8-sig")
    assert gbk.read_bytes() == article("您给办理。\n").encode("gb18030")
    assert main(["fix", str(tmp_path), "--diff", "--style", pack_file]) == 0


def test_write_exits_1_when_findings_at_the_fail_level_remain(tmp_path, pack_file):
    path = tmp_path / "a.md"
    path.write_text(article("本行规定。"), encoding="utf-8")
    assert main(["fix", str(path), "--write", "--style", pack_file, "--fail-level", "warning"]) == 1
    assert main(["fix", str(path), "--write", "--style", pack_file]) == 0


def test_a_broken_file_is_named_and_the_others_are_still_fixed(tmp_path, pack_file, capsys):
    (tmp_path / "bad.md").write_text("---\nid: [\n---\n", encoding="utf-8")
    good = tmp_path / "good.md"
    good.write_text(article("予以办理。"), encoding="utf-8")
    assert main(["fix", str(tmp_path), "--write", "--style", pack_file]) == 2
    assert "bad.md" in capsys.readouterr().err
    assert "给办理" in good.read_text(encoding="utf-8")


def test_fix_needs_diff_or_write(tmp_path, pack_file):
    with pytest.raises(SystemExit) as exc:
        main(["fix", str(tmp_path), "--style", pack_file])
    assert exc.value.code == 2
