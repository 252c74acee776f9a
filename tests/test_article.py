from __future__ import annotations

import pytest

from kbtool.core.article import parse_article
from kbtool.core.errors import KbInputError
from kbtool.services.kb import load_articles

ARTICLE = """---
id: card-lost
title: 借记卡挂失
kind: article
category: 银行卡
tags: [挂失]
updated: 2024-03-16
questions: [卡丢了怎么办, 卡丢了咋挂失]
---
凡持卡人遗失借记卡，须及时办理挂失。

```verbatim
本行工作人员不会要求您提供短信验证码。
```
"""


def test_front_matter_fields_are_read():
    art = parse_article(ARTICLE.encode(), "kb/card-lost.md")
    assert (art.id, art.title, art.kind, art.category) == ("card-lost", "借记卡挂失", "article", "银行卡")
    assert art.tags == ("挂失",)
    assert art.updated.isoformat() == "2024-03-16"
    assert art.questions == ("卡丢了怎么办", "卡丢了咋挂失")
    assert art.body.startswith("凡持卡人")


def test_verbatim_block_content_is_recorded_and_skipped():
    art = parse_article(ARTICLE.encode(), "kb/card-lost.md")
    assert art.verbatim_texts == ["本行工作人员不会要求您提供短信验证码。"]
    start, end = art.verbatim[0]
    assert any(s <= start and end <= e for s, e in art.skip)


def test_utf8_bom_is_excluded_from_offsets():
    art = parse_article(b"\xef\xbb\xbf" + ARTICLE.encode(), "a.md")
    assert art.text == ARTICLE and art.encoding == "utf-8-sig"


def test_gbk_export_with_crlf_decodes():
    data = ARTICLE.replace("\n", "\r\n").encode("gbk")
    art = parse_article(data, "a.md")
    assert art.encoding == "gb18030"
    assert art.id == "card-lost"
    assert art.verbatim_texts == ["本行工作人员不会要求您提供短信验证码。"]


def test_txt_file_uses_file_name_as_id_and_first_line_as_title():
    art = parse_article("信用卡还款说明\n\n持卡人须于到期还款日前还款。".encode(), "kb/credit-repay.txt")
    assert (art.id, art.title, art.kind) == ("credit-repay", "信用卡还款说明", "article")



def test_txt_metadata_file_supplies_questions_and_keeps_name_and_first_line_as_defaults():
    side = "category: 现金业务\nquestions: [取大额现金要预约吗, 取五万要提前说吗]\n"
    art = parse_article("大额取现须知\n\n须提前预约。".encode(), "kb/cash.txt", sidecar=side.encode())
    assert (art.id, art.title, art.category, art.path) == ("cash", "大额取现须知", "现金业务", "kb/cash.txt")
    assert art.questions == ("取大额现金要预约吗", "取五万要提前说吗")
    assert art.body == "大额取现须知\n\n须提前预约。"


def test_txt_metadata_file_problems_name_the_metadata_file_and_line():
    with pytest.raises(KbInputError) as info:
        parse_article(b"title line\nbody", "kb/cash.txt", sidecar=b"category: x\nquestion: [a]\n")
    assert str(info.value.problems[0]).startswith("kb/cash.yml:2:")
    assert "question" in str(info.value.problems[0])

def _error(data: bytes | str, path: str = "kb/x.md") -> str:
    with pytest.raises(KbInputError) as info:
        parse_article(data.encode() if isinstance(data, str) else data, path)
    assert len(info.value.problems) == 1
    return str(info.value.problems[0])


def test_unknown_front_matter_field_names_file_and_line():
    msg = _error(ARTICLE.replace("tags: [挂失]", "tagz: [挂失]"))
    assert msg.startswith("kb/x.md:6:") and "tagz" in msg


def test_malformed_yaml_names_the_line_where_the_bracket_opened_in_chinese():
    msg = _error(ARTICLE.replace("title: 借记卡挂失", "title: [借记卡挂失"))
    assert msg == "kb/x.md:3: YAML 格式错误：方括号列表没有闭合（缺少 ] 或逗号）"


@pytest.mark.parametrize(("value", "why"), [("2024-13-45", "月份"), ("2024-02-30", "这个月没有这一天")])
def test_an_impossible_date_is_one_line_not_a_traceback(value, why):
    msg = _error(ARTICLE.replace("updated: 2024-03-16", f"updated: {value}"))
    assert msg.startswith("kb/x.md:7: ") and value in msg and why in msg


def test_wrong_kind_is_rejected_with_its_line():
    assert _error(ARTICLE.replace("kind: article", "kind: faq")).startswith("kb/x.md:4:")


def test_announcement_without_valid_from_is_rejected():
    assert "valid_from" in _error(ARTICLE.replace("kind: article", "kind: announcement"))


def test_unclosed_verbatim_block_is_an_error_at_its_opening_line():
    msg = _error(ARTICLE.replace("```\n", "", 1).rsplit("```", 1)[0] + "```verbatim\n未闭合")
    assert "照读块（```）没有结束" in msg


def test_missing_front_matter_is_an_error():
    assert _error("只有正文。") == "kb/x.md:1: 缺少 YAML 头（Markdown 文章以 '---' 开头）"


def test_undecodable_bytes_and_binary_files_are_errors():
    assert "是二进制文件" in _error(b"\x00\x01\x02")
    assert "无法按 utf-8 或 gb18030 解码" in _error(b"---\nid: x\n\x81\xff\xfe")


def test_one_bad_file_does_not_stop_the_others(write, tmp_path):
    write("good.md", ARTICLE)
    write("bad.md", ARTICLE.replace("kind: article", "kind: nonsense"))
    write("dup.md", ARTICLE.replace("凡持卡人", "持卡人"))
    result = load_articles([tmp_path])
    assert sorted(a.path.rsplit("/", 1)[-1] for a in result.articles) == ["dup.md", "good.md"]
    messages = [str(p) for p in result.problems]
    assert any("bad.md:4:" in m for m in messages)
    assert any("文章 id 'card-lost' 重复" in m for m in messages)
