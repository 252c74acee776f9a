"""Masking: a caller's card, phone, account and ID numbers never survive into what is logged."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kbtool.core.masking import MASK, mask

ROOT = __import__("pathlib").Path(__file__).resolve().parent.parent

CARD = "6222021234567890123"
PHONE = "13800138000"
ID_NUMBER = "11010519491231002X"
ACCOUNT = "31001234567890"
PACK = (re.compile(r"\d{16,19}"),)

_FULL = str.maketrans("0123456789Xx", "０１２３４５６７８９ＸＸ")


def digits_of(text: str) -> str:
    return "".join(ch for ch in text.translate({c: c - 0xFEE0 for c in range(0xFF10, 0xFF1A)}) if ch.isdigit())


@pytest.mark.parametrize("number", [CARD, PHONE, ID_NUMBER, ACCOUNT, "0755-83198888", "123456"])
@pytest.mark.parametrize("spelling", ["plain", "full_width", "spaced", "dashed", "ideographic_space"])
def test_personal_numbers_are_masked_however_typed(number, spelling):
    if spelling == "full_width":
        typed = number.translate(_FULL)
    elif spelling == "spaced":
        typed = " ".join(number[i:i + 4] for i in range(0, len(number), 4))
    elif spelling == "dashed":
        typed = "-".join(number[i:i + 3] for i in range(0, len(number), 3))
    elif spelling == "ideographic_space":
        typed = "\u3000".join(number[i:i + 4] for i in range(0, len(number), 4))
    else:
        typed = number
    query = f"客户说{typed}这个号码有问题"
    out = mask(query, PACK)
    assert MASK in out
    assert out.startswith("客户说") and out.endswith("这个号码有问题")
    # not a single digit of the number is left, in any width
    assert digits_of(out) == ""


def test_id_number_check_letter_goes_with_it():
    assert mask(f"身份证{ID_NUMBER}过期了") == f"身份证{MASK}过期了"
    assert mask(f"身份证{ID_NUMBER.lower()}过期了") == f"身份证{MASK}过期了"


def test_mask_hides_the_length_of_what_it_hides():
    assert mask(f"卡号{CARD}") == mask(f"卡号{CARD[:16]}")


def test_short_numbers_after_a_personal_word_are_masked():
    assert mask("尾号1234的卡丢了") == f"尾号{MASK}的卡丢了"
    assert mask("密码是8888能改吗") == f"密码是{MASK}能改吗"
    assert mask("验证码：5521收不到") == f"验证码：{MASK}收不到"


def test_numbers_read_out_in_chinese_numerals_are_masked():
    assert mask("手机幺三八零零一三八零零零停机了") == f"手机{MASK}停机了"
    assert mask("密码是一二三四五六") == f"密码是{MASK}"


def test_email_addresses_are_masked():
    assert mask("发到zhang.san@example.com了吗") == f"发到{MASK}了吗"


@pytest.mark.parametrize("query", [
    "转账限额50000元", "打95588没人接", "密码输错3次被锁了", "2点以后能办吗", "利率3.5是多少",
    "取款三次密码错了", "一类卡和二类卡有什么区别", "10086怎么转人工", "5G套餐",
])
def test_numbers_that_are_the_question_itself_are_kept(query):
    assert mask(query, PACK) == query


def test_pack_patterns_are_applied():
    plate = (re.compile(r"[京沪粤][A-Z][A-Z0-9]{5}"),)
    assert mask("车牌沪A12B34扣费不对", plate) == f"车牌{MASK}扣费不对"
    assert mask("车牌沪A12B34扣费不对") == "车牌沪A12B34扣费不对"  # only because the pack says so


def test_pack_patterns_also_see_through_separators_and_full_width():
    # a pattern no built-in rule covers: 5-digit member numbers, typed in groups and full width
    member = (re.compile(r"(?<!\d)\d{5}(?!\d)"),)
    assert mask("会员号12-345积分", member) == f"会员号{MASK}积分"
    assert mask("会员号１２ ３４５积分", member) == f"会员号{MASK}积分"
    assert mask("会员号12-345积分") == "会员号12-345积分"


@settings(max_examples=200, deadline=None)
@given(
    digits=st.text(alphabet="0123456789", min_size=11, max_size=19),
    seps=st.lists(st.sampled_from(["", " ", "-", "\u3000", "－", "．"]), min_size=19, max_size=19),
    full=st.booleans(),
    before=st.sampled_from(["", "客户", "卡号", "我的", "A"]),
    after=st.sampled_from(["", "怎么办", "被吞了", "X"]),
)
def test_no_digit_of_a_long_number_survives(digits, seps, full, before, after):
    typed = "".join(d + (seps[i] if i < len(digits) - 1 else "") for i, d in enumerate(digits))
    if full:
        typed = typed.translate(_FULL)
    out = mask(before + typed + after, PACK)
    assert digits_of(out) == ""


def test_masking_patterns_read_from_pack_files_equal_the_loaded_pack(default_pack):
    from kbtool.services.querylog import masking_patterns

    assert masking_patterns(str(ROOT / "styles" / "default")) == default_pack.masking
    assert default_pack.masking  # the default pack does mask
