"""The fact check: does the spoken version still say every fact a caller relies on?

``extract_facts`` finds amounts, percentages, dates, times, durations, counts, telephone and
service numbers, codes, account classes, weekdays, protected terms and negated key actions, each
with a canonical value, so that written and spoken forms compare equal (3 = 三, 1万元 = 10000元 =
一万块, 16:00 = 下午4点, 2月10日 = 2月10号, 1% = 百分之一, 0.05% = 万分之五, 95588 = 九五五八八,
48小时 = 两天). ``verify`` extracts from both texts and reports every fact of the original as
kept, missing or changed (with the spoken fact it became), with positions in both texts.

Chinese numerals are read by cn2an; everything else here is pattern work on top of it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import re
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field

import cn2an

from kbtool.core.text import normalize

KINDS = ("amount", "percent", "date", "time", "duration", "count", "data", "phone", "code", "class",
         "weekday", "term", "negation", "liability")
# What each kind is called in the interface.
KIND_LABELS = {
    "amount": "金额", "percent": "比例", "date": "日期", "time": "时间", "duration": "时长", "count": "数量",
    "data": "流量/带宽", "phone": "号码", "code": "指令/代码", "class": "账户类别", "weekday": "星期", "term": "保护词",
    "negation": "否定", "liability": "责任归属",
}


@dataclass(frozen=True)
class Fact:
    kind: str
    value: tuple
    text: str
    start: int
    end: int
    number: float | None = None  # the number as written (5 in 5天), for spotting a changed unit
    bound: str | None = None  # "min" (5万元以上, 满18周岁, 15:00后) or "max" (不超过, 以内, 15:00前)

    def to_dict(self) -> dict[str, object]:
        return {"kind": self.kind, "text": self.text, "start": self.start, "end": self.end}


@dataclass(frozen=True)
class FactCheck:
    fact: Fact
    status: str  # kept | missing | changed | added (then ``fact`` is the spoken one)
    spoken: Fact | None = None  # where it was found, or what it became

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"status": self.status, **self.fact.to_dict()}
        out["spoken"] = self.spoken.to_dict() if self.spoken else None
        return out


@dataclass
class Verification:
    checks: list[FactCheck] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(c.status == "kept" for c in self.checks)

    def problems(self) -> list[FactCheck]:
        return [c for c in self.checks if c.status != "kept"]

    def to_dict(self) -> dict[str, object]:
        counts = {s: sum(1 for c in self.checks if c.status == s) for s in ("kept", "missing", "changed", "added")}
        return {"ok": self.ok, "summary": counts, "facts": [c.to_dict() for c in self.checks]}


# -- numbers ------------------------------------------------------------------------------------

CN_DIGITS = "零〇一二两三四五六七八九幺"
_NUM_AR = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
_NUM_CN = r"[零〇一二两三四五六七八九十百千万亿]+(?:点[零〇一二三四五六七八九]+)?"
NUM = rf"(?:{_NUM_AR}(?:万亿|[万亿千])?|{_NUM_CN})"
_DIGIT_VALUE = {**{c: str(i) for i, c in enumerate("零一二三四五六七八九")}, "〇": "0", "幺": "1", "两": "2"}


def parse_number(text: str) -> float | None:
    """``1,000.5`` / ``1.5万`` / ``三千五`` / ``两万`` → a number; None when it is not one."""
    text = text.replace(",", "").strip()
    if not text:
        return None
    if text == "半":
        return 0.5
    try:
        return float(text)
    except ValueError:
        pass
    if text[0] in "十百千万亿":
        text = "一" + text  # 百兆 is 一百兆
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            value = cn2an.cn2an(text, "smart")
        except (ValueError, KeyError, IndexError, TypeError):
            return None
    return float(value)


def digit_string(text: str) -> str | None:
    """``95588`` / ``九五五八八`` / ``幺零零八六`` / ``400-820-8820`` → the digits, else None."""
    out = []
    for ch in text:
        if ch.isdigit() and ch.isascii():
            out.append(ch)
        elif ch in _DIGIT_VALUE:
            out.append(_DIGIT_VALUE[ch])
        elif ch in "- 　，,、":
            continue
        else:
            return None
    return "".join(out) or None


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))


# -- patterns -----------------------------------------------------------------------------------

_CN_SMALL = r"[一二三四五六七八九十]{1,3}"
_YEAR = r"(?:\d{4}|[零〇一二三四五六七八九]{4})"
_MONTH = rf"(?:\d{{1,2}}|{_CN_SMALL})"
_DAY = r"(?:\d{1,2}|[一二三四五六七八九十]{1,4})"
DATE_RES = (
    re.compile(rf"(?:(?P<y>{_YEAR})年)?(?P<m>{_MONTH})月(?:份)?(?:(?P<d>{_DAY})[日号])?"),
    re.compile(r"(?<!\d)(?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})(?!\d)"),
    re.compile(rf"(?:每月|每个月|当月|次月|下月|下个月)(?P<d>{_DAY})[日号]"),
    re.compile(rf"(?P<d>{_DAY})号"),
    re.compile(r"(?P<y>(?:19|20)\d{2})年(?!\d)"),
)
_PERIOD = "凌晨|早上|早晨|清晨|上午|中午|下午|傍晚|晚上|夜里|夜间|半夜"
_PM = ("下午", "傍晚", "晚上", "夜里", "夜间")
_HOUR_CN = r"[零〇一二两三四五六七八九十]{1,3}"
TIME_COLON = re.compile(rf"(?P<p>{_PERIOD})?(?<![\d:])(?P<h>[01]?\d|2[0-4])[:：](?P<mi>[0-5]\d)(?![\d:])")
TIME_DIAN = re.compile(
    rf"(?P<p>{_PERIOD})?(?P<h>\d{{1,2}}|{_HOUR_CN})点(?:(?P<half>半)|(?P<mi>\d{{1,2}}|[零〇一二三四五六七八九十]{{1,3}})(?P<fen>分)?|(?P<z>整|钟))?"
)
_RANGE_SEP = re.compile(r"\s*(?:至|到|-|－|—|~|～)\s*")
PERCENT_RES = (
    (re.compile(rf"(?P<n>{_NUM_AR}|{_NUM_CN})\s*[%％]"), 0.01),
    (re.compile(rf"(?P<n>{_NUM_AR})\s*‰"), 0.001),
    (re.compile(rf"百分之(?P<n>{_NUM_CN}|{_NUM_AR})"), 0.01),
    (re.compile(rf"千分之(?P<n>{_NUM_CN}|{_NUM_AR})"), 0.001),
    (re.compile(rf"万分之(?P<n>{_NUM_CN}|{_NUM_AR})"), 0.0001),
)
# N分之M beyond 百/千/万分之 (二分之一, 三分之二), 一半, and discounts (8折 = 八折 = 80%, 八五折 = 85%).
FRACTION_RE = re.compile(rf"(?P<d>\d+|{_NUM_CN})分之(?P<n>{_NUM_AR}|{_NUM_CN})")
HALF_RE = re.compile(r"(?<![零〇一二两三四五六七八九十百千万\d])一半|半价")
DISCOUNT_RE = re.compile(r"(?<![\d.零〇一二两三四五六七八九十])(?P<n>\d(?:\.\d)?|[一二三四五六七八九]{1,2})折(?![扣合算旧叠返])")
_CURRENCY = {
    "元": "CNY", "块钱": "CNY", "块": "CNY", "圆": "CNY", "人民币": "CNY", "¥": "CNY", "￥": "CNY", "RMB": "CNY",
    "美元": "USD", "美金": "USD", "$": "USD", "港币": "HKD", "港元": "HKD", "HK$": "HKD", "欧元": "EUR", "日元": "JPY", "英镑": "GBP",
}
# unit -> (family, factor): equal families compare by value * factor
_DURATION = {
    "秒钟": ("s", 1), "秒": ("s", 1), "分钟": ("s", 60), "小时": ("s", 3600), "钟头": ("s", 3600),
    "天": ("s", 86400), "日": ("s", 86400), "自然日": ("s", 86400), "周": ("s", 604800), "星期": ("s", 604800),
    "礼拜": ("s", 604800), "月": ("month", 1), "年": ("month", 12), "工作日": ("workday", 1), "周岁": ("age", 1), "岁": ("age", 1),
}
_DATA = {"GB": 1024, "G": 1024, "MB": 1, "M": 1, "兆": 1, "KB": 1 / 1024, "TB": 1024 * 1024, "T": 1024 * 1024}
_COUNT = ("次", "笔", "张", "位", "项", "个", "条", "户", "人", "名", "台", "份", "种", "期", "倍", "家", "处", "部", "套",
          "页", "遍", "道", "类")
_WEAK_ONE = {"个", "种", "家", "位", "名", "条", "份", "处", "部", "套", "台", "人", "类", "道", "页"}
_UNITS = sorted([*_CURRENCY, *_DURATION, *_DATA, *_COUNT], key=len, reverse=True)
_UNIT_RE = "|".join(re.escape(u) for u in _UNITS if u not in ("¥", "￥", "$", "HK$", "RMB"))
QTY_RE = re.compile(
    rf"(?P<pre>HK\$|¥|￥|\$|RMB|人民币)?\s*(?<![\d.])(?P<a>{NUM}|半)"
    rf"(?:(?P<sep>至|到|-|－|~|～|—)(?P<b>{NUM}))?(?P<ge>个)?(?P<half>半)?\s*(?P<unit>{_UNIT_RE})?"
    # 一年半, 两天半, 三周半: the half follows a year, day or week (一个半月 puts it before)
    r"(?(half)|(?:(?<=[年天日周])(?P<half_after>半)(?![价年天日月周小钟个])))?"
    r"(?![A-Za-z])"
)
# Small change said the spoken way: 九毛九 (0.99元), 一块五毛 (1.5元), 两块五 (2.5元), 5角 (0.5元).
_JIAO_DIGIT = r"[\d一二两三四五六七八九]"
JIAO_RE = re.compile(
    rf"(?<![\d.零〇一二两三四五六七八九十百千万亿])(?:(?P<y>{NUM})(?:块|元)(?:钱)?)?(?P<j>{_JIAO_DIGIT})(?:毛|角)"
    rf"(?:(?P<f>{_JIAO_DIGIT})(?:分)?(?!钟|{_JIAO_DIGIT}))?(?:钱)?"
)
KUAI_TENTHS_RE = re.compile(
    rf"(?<![\d.零〇一二两三四五六七八九十百千万亿])(?P<y>{NUM})块(?P<j>[1-9一二三四五六七八九])"
    # 两块五一分钟: the price per one unit follows; 两块五天 is not 2.5 yuan
    r"(?:(?=一(?:分钟|秒|小时|天|个月|月|年|条|次|笔|张|个|GB|G|MB|M|兆))"
    r"|(?![\d零〇一二两三四五六七八九十百千万亿点毛角分块元个天次笔张位项条户人名台份种期倍家处部套页遍道类]))"
)
CLASS_RE = re.compile(r"(?<![A-Za-z])(?P<c>III|II|I|Ⅰ|Ⅱ|Ⅲ|一|二|三|1|2|3)\s*类(?:账户|户|卡)?")
_CLASS_VALUE = {"I": 1, "II": 2, "III": 3, "Ⅰ": 1, "Ⅱ": 2, "Ⅲ": 3, "一": 1, "二": 2, "三": 3, "1": 1, "2": 2, "3": 3}
WEEKDAY_RE = re.compile(r"(?:周|星期|礼拜)(?P<d>[一二三四五六日天1-7])")
WEEKEND_RE = re.compile(r"周末|双休日")  # said for 周六、周日: two weekday facts on one span
_WEEKDAY = {**{c: i for i, c in enumerate("一二三四五六", 1)}, "日": 7, "天": 7, **{str(i): i for i in range(1, 8)}}
# An area code before a 7- or 8-digit local number (0755-83198888) belongs to the number.
PHONE_RE = re.compile(r"(?<![\d.])(?:\d{3,4}[- ]\d{7,8}|\d{3,4}[- ]\d{3,4}(?:[- ]\d{3,4})?|\d{5,})(?![\d.%])")
PHONE_CONTEXT_RE = re.compile(r"(?:拨打|致电|热线|电话|号码|客服|回拨|打)\s*(?P<n>\d{3,4})(?!\d)")
# Read out digit by digit, a number is often written in groups: 四零零 六六九 五五六六.
CN_PHONE_RE = re.compile(r"[零〇一二三四五六七八九幺]{3,}(?:[ \-－—，、,][零〇一二三四五六七八九幺]{3,})*")
CODE_RE = re.compile(r"(?:发送|回复|编辑|输入)(?:短信|指令|代码)?\s*[“\"「]?(?P<c>[A-Za-z][A-Za-z0-9#*]{1,11}|[0-9#*]{1,4})(?![A-Za-z0-9])")

NEGATOR = (
    r"不会|不得|不要|不能|不可以|不可|不用|无需|无须|不需要|不需|不必|请勿|切勿|严禁|禁止|绝不|从不|决不|千万不要|千万别|"
    r"不予|不再|毋须|毋需|(?<![识区类级特分告性个差派辨鉴判离国组职])别(?![的人处家样])"
)
_KEY_VERBS = (
    r"收取|收|接受|影响|受理|办理|支持|提供|索要|索取|透露|泄露|询问|要求|退还|退|扣|开通|保留|承担|产生|计收|计|"
    r"冻结|停机|转账|点击|下载|告诉|参与|允许|减免|免除|恢复|变更|补发|"
    r"还款|还清|还|累计|计入|携带|带|到账|生效|使用|激活|享受|享有|包含|含|参加|发送|通知|退款|续费|缴|交|"
    r"上门|识别|认可|更换|换|补办|补|修改|改|领取|取|存|转入|转出|开具|开"
)
# 未 and 免 negate only an action or a charge: 未来, 未成年, 免费 are words of their own
_SHORT_ACTION_END = re.compile(r"将|则|会|可|的|并|且|或|后|前|时")
_UNPAID_SUM = re.compile(r"(?:金额|款额|余额|本金|本息|部分|额度)")
_CJK_CHAR = re.compile(r"[\u4e00-\u9fff]")
_NOT_YET = rf"未(?=按时|按期|及时|足额|全额|在|于|经|{_KEY_VERBS})"
_WAIVED = r"免(?=收|年费|息|除|手续费|服务费|工本费|月费|费用|扣)"
NEGATION_RE = re.compile(
    rf"(?P<neg>{NEGATOR}|不(?={_KEY_VERBS})|{_NOT_YET}|{_WAIVED})(?P<rest>[^，。；！？,;!?\n：:（()）]{{2,24}})"
)
SPOKEN_NEGATOR = re.compile(
    r"不|没|未(?!来|成年|必)|(?<![识区类级特分告性个差派辨鉴判离国组职])别|勿|毋|无需|无须|免|禁止|严禁|绝非|并非|非"
)
# Who bears a loss, a fee or a risk (损失由持卡人自行承担): rewording it into a vague warning
# (不然可能会给您造成损失) changes what the caller is told they must pay for.
_BEAR = r"(?P<verb>承担|负担|负责|支付|赔偿|赔付|担着)"
_NEGATED_BEARING = re.compile(r"不|无|免|勿|毋|没")
LIABILITY_RES = (
    re.compile(rf"(?P<what>损失|风险|责任|后果|费用|损害)[^，。；！？,;!?\n]{{0,10}}?(?:由|归)"
               rf"(?P<who>[^，。；！？,;!?\n]{{1,10}}?)(?:自行|自己|本人)?(?:全部|全额)?{_BEAR}"),
    re.compile(r"(?P<what>后果|风险|损失)(?P<verb>自负|自担)"),
    re.compile(rf"由(?P<who>[^，。；！？,;!?\n]{{1,8}}?)(?:来|去)?(?:自行|自己|本人)?(?:全部|全额)?{_BEAR}"),
    re.compile(rf"(?P<what>损失|风险|后果|费用|损害)[^，。；！？,;!?\n由归]{{0,4}}?(?:得|要|需|须|就)?"
               rf"(?P<who>您|你|客户|持卡人|用户|本人|我们|本行|我行|银行)(?:得|要|需|须|就)?(?:自行|自己)?{_BEAR}"),
    re.compile(rf"(?P<who>客户|持卡人|用户|您|你|机主|申请人|本人|本行|我行|银行|我们|本公司|我公司)"
               rf"[^，。；！？,;!?\n由归]{{0,6}}?(?:需|须|应|要|得|将|会)?(?:自行|自己)?{_BEAR}"
               r"(?=[^，。；！？,;!?\n]{0,10}?(?:损失|风险|责任|后果|费用|损害))"),
)
_CALLER = re.compile(r"客户|持卡人|用户|您|你|机主|申请人|本人|自己|自行")
_PROVIDER = re.compile(r"本行|我行|银行|我们|本公司|我公司|公司|运营商")


def _bearer(who: str) -> str:
    if _PROVIDER.search(who):
        return "provider"
    if not who or _CALLER.search(who):
        return "caller"
    return who


_STOP_CHARS = set("您你我们的了会向对将在把被给让其他该此这那任何进行和或及与也都再就、 ")
# Words said differently on the phone, folded before comparing what a negation is about.
_SYNONYMS = (
    ("索要", "要"), ("索取", "要"), ("要求", "要"), ("透露", "告诉"), ("泄露", "告诉"), ("告知", "告诉"),
    ("收取", "收"), ("计收", "收"), ("订购", "订"), ("办理", "办"), ("另行", "重新"), ("另外", "重新"), ("提供", "给"),
    ("点一下", "点击"), ("点开", "点击"), ("点击", "点"), ("扣收", "扣"), ("扣除", "扣"),
    ("退还", "退"), ("影响", "影响"), ("接受", "接受"), ("受理", "办"), ("开通", "开"), ("产生", "有"),
    ("携带", "带"), ("次日", "第二天"), ("当日", "当天"), ("至", "到"), ("使用", "用"),
)


# -- extraction ---------------------------------------------------------------------------------

def extract_facts(text: str, protected: Iterable[str] = (), today: dt.date | None = None) -> list[Fact]:
    """Every fact in ``text`` a caller relies on, sorted by position; spans never overlap
    (negations and protected terms aside, which sit over other facts)."""
    norm = normalize(text)
    facts: list[Fact] = []
    taken = bytearray(len(text) + 1)

    def free(s: int, e: int) -> bool:
        return not any(taken[s:e])

    def add(kind: str, value: tuple, s: int, e: int, number: float | None = None) -> None:
        facts.append(Fact(kind, value, text[s:e], s, e, number))
        taken[s:e] = b"\x01" * (e - s)

    for term in sorted({str(p) for p in protected if str(p).strip()}, key=len, reverse=True):
        key = normalize(term)
        digits = digit_string(key)
        if digits or CLASS_RE.fullmatch(key):
            continue  # numbers and classes are checked as such (九五五八八 keeps 95588)
        for m in re.finditer(re.escape(key), norm):
            if free(*m.span()):
                facts.append(Fact("term", (key,), text[m.start():m.end()], m.start(), m.end()))
    for pattern, scale in PERCENT_RES:
        for m in pattern.finditer(norm):
            value = parse_number(m.group("n"))
            if value is not None and free(*m.span()):
                add("percent", (round(value * scale, 12),), *m.span())
    _extract_ratios(norm, free, add)
    _extract_dates(norm, free, add)
    _extract_times(norm, free, add)
    for m in CLASS_RE.finditer(norm):
        if free(*m.span()):
            add("class", (_CLASS_VALUE[m.group("c")],), *m.span())
    _extract_small_change(norm, free, add)
    _extract_quantities(norm, free, add)
    for m in WEEKDAY_RE.finditer(norm):
        if free(*m.span()):
            add("weekday", (_WEEKDAY[m.group("d")],), *m.span())
    for m in WEEKEND_RE.finditer(norm):
        if free(*m.span()):
            add("weekday", (6,), *m.span())
            add("weekday", (7,), *m.span())
    for m in CODE_RE.finditer(norm):
        s, e = m.span("c")
        if free(s, e):
            add("code", (m.group("c").upper(),), s, e)
    for pattern in (PHONE_RE, CN_PHONE_RE):
        for m in pattern.finditer(norm):
            digits = digit_string(m.group())
            if digits and len(digits) >= (5 if pattern is PHONE_RE else 3) and free(*m.span()):
                add("phone", (digits,), *m.span())
    for m in PHONE_CONTEXT_RE.finditer(norm):
        if free(*m.span("n")):
            add("phone", (m.group("n"),), *m.span("n"))
    liable: list[tuple[int, int]] = []
    for pattern in LIABILITY_RES:
        for m in pattern.finditer(norm):
            if any(s < m.end() and m.start() < e for s, e in liable):
                continue  # one statement of who pays, however many patterns see it
            liable.append(m.span())
            who = m.groupdict().get("who") or ""
            if _NEGATED_BEARING.search(norm[m.start("who") if who else m.start():m.start("verb")]):
                continue  # 本行不承担…: a negation, checked as such
            facts.append(Fact("liability", (_bearer(who),), text[m.start():m.end()], m.start(), m.end()))
    pos = 0
    while (m := NEGATION_RE.search(norm, pos)) is not None:
        # a second negator ends the first one's action (未激活的信用卡不会产生年费: two facts)
        nxt = NEGATION_RE.search(norm, m.start("rest"), m.end())
        end = nxt.start() if nxt else m.end()
        pos = end
        if m.group("neg") in ("未", "免"):
            # a short action: 未按时还款将按日计息 is about repaying, the rest is what follows
            cut = _SHORT_ACTION_END.search(norm, m.start("rest") + 2, end)
            end = cut.start() if cut else min(end, m.start("rest") + 8)
            de = _RELATIVE_DE.search(norm, m.start("rest"), end + 1)
            if de and _CJK_CHAR.match(norm, de.end()):
                continue  # 未经授权的交易: a kind of thing, said many ways (您没做过的交易), not a rule
            if _UNPAID_SUM.search(norm, m.start("rest"), end):
                continue  # 未还金额: an amount, not an action
        key = _content_bigrams(norm[m.start("rest"):end])
        if key and end - m.start("rest") >= 2:
            facts.append(Fact("negation", (frozenset(key),), text[m.start():end], m.start(), end))
    facts = [_with_bound(f, norm) for f in facts]
    facts.sort(key=lambda f: (f.start, f.end))
    return facts


# Which side of a number a rule is on. 以上 → 以下 or 满18周岁 → 18岁以下 turns the rule around
# while every number stays the same.
_BOUNDED_KINDS = ("amount", "duration", "count", "data", "percent", "time", "date")
_MIN, _MAX = "min", "max"
_BOUND_BEFORE = re.compile(
    r"(?:(?P<neg>不能|不得|不可|不会|不要|不|未|没有|没|别|勿)?(?P<w>超过|超出|高于|大于|多于|低于|少于|小于|满|达到|不足|足)"
    # 至少能办五个: a modal and a verb may stand between the bound word and its number
    r"|(?P<fixed>至少|最少|最低|起码|最短|最多|最高|最长|至多|不到)(?:能|可以|可|要|得|会)?[办转取存交付用借贷开]?)(?:为|是)?\s*$"
)
# A negator that only builds a bound (不超过65周岁, 不到六个月) turns no rule around.
_BOUND_NEGATOR = re.compile(r"(?:不能|不得|不可|不会|不要|不|未|没有|没)(?=超过|超出|高于|大于|多于|低于|少于|小于|满|达到|足|到)")
_BOUND_AFTER = re.compile(
    r"\s*(?:[（(]含[)）])?\s*(?:及|或)?(?P<w>以上|之上|以下|之下|以内|之内|内|起|以后|之后|后|以前|之前|前)"
)
_DATE_NOTE = re.compile(r"\s*[（(][^（()）]{1,8}[)）]")  # 10月8日（星期四）起
_MIN_WORDS = {"超过", "超出", "高于", "大于", "多于", "满", "达到", "足", "至少", "最少", "最低", "起码", "最短",
              "以上", "之上", "起", "以后", "之后", "后"}
_CLAUSE_END = re.compile(r"[。；！？;!?\n]")


def _with_bound(fact: Fact, norm: str) -> Fact:
    if fact.kind not in _BOUNDED_KINDS:
        return fact
    bound = None
    after_at = fact.end
    if fact.kind in ("date", "time"):
        note = _DATE_NOTE.match(norm, after_at)
        after_at = note.end() if note else after_at
    else:
        m = _BOUND_BEFORE.search(norm, max(0, fact.start - 6), fact.start)
        if m and m.end() == fact.start:
            word = m.group("w") or m.group("fixed")
            bound = _MIN if word in _MIN_WORDS else _MAX
            if m.group("neg") and word != "不足":
                bound = _MAX if bound == _MIN else _MIN  # 不超过, 未满, 不低于
    m = _BOUND_AFTER.match(norm, after_at)
    if m and (fact.kind in ("duration", "date", "time") or m.group("w") not in ("后", "以后", "之后", "前", "以前", "之前")):
        after = _MIN if m.group("w") in _MIN_WORDS else _MAX
        bound = after if bound in (None, after) else None  # 满7日后; disagreeing words say nothing sure
    if bound is not None:
        # 5万以下的不用U盾 says 5万元以上须用U盾 the other way round: a negation later in the
        # sentence may turn the side over, so the side is left open
        stop = _CLAUSE_END.search(norm, fact.end)
        rest = norm[fact.end:stop.start() if stop else len(norm)]
        if SPOKEN_NEGATOR.search(_BOUND_NEGATOR.sub(lambda m: "_" * len(m.group()), rest)):
            bound = None
    return dataclasses.replace(fact, bound=bound) if bound else fact


def _extract_ratios(norm: str, free, add) -> None:  # type: ignore[no-untyped-def]
    for m in FRACTION_RE.finditer(norm):
        whole, part = parse_number(m.group("d")), parse_number(m.group("n"))
        if whole and part is not None and free(*m.span()):
            add("percent", (round(part / whole, 12),), *m.span())
    for m in HALF_RE.finditer(norm):
        if free(*m.span()):
            add("percent", (0.5,), *m.span())
    for m in DISCOUNT_RE.finditer(norm):
        raw = m.group("n")
        digits = raw if not raw[0].isdigit() else None
        value = float(raw) / 10 if digits is None else float("0." + (digit_string(digits) or "0"))
        if 0 < value < 1 and free(*m.span()):
            add("percent", (round(value, 12),), *m.span())


# Between the two ends of a date range: 至/到/-, perhaps after the start's bracketed weekday.
_DATE_RANGE_SEP = re.compile(r"(?:[（(][^）)]{1,6}[)）])?\s*(?:至|到|-|－|—|~|～)\s*")
# The end of a range may say only its day (2月16日至22日, 10月1号到7号).
_DATE_RANGE_END = re.compile(rf"(?P<d>{_DAY})[日号](?!\d)")


def _extract_dates(norm: str, free, add) -> None:  # type: ignore[no-untyped-def]
    found: list[list] = []  # [start, end, year, month, day]

    def open_(s: int, e: int) -> bool:
        return free(s, e) and not any(s < f[1] and f[0] < e for f in found)

    def collect(pattern: re.Pattern[str]) -> None:
        for m in pattern.finditer(norm):
            if not open_(*m.span()):
                continue
            groups = m.groupdict()
            year = _int(groups.get("y"), digits=True)
            month = _int(groups.get("m"))
            day = _int(groups.get("d"))
            if month is not None and not 1 <= month <= 12:
                continue
            if day is not None and not 1 <= day <= 31:
                continue
            # “3月” alone is a month only when no 个 precedes (3个月 is a duration)
            if pattern is DATE_RES[0] and day is None and groups.get("y") is None and norm[m.start() - 1:m.start()] == "个":
                continue
            found.append([m.start(), m.end(), year, month, day])

    for pattern in DATE_RES[:3]:
        collect(pattern)
    for f in list(found):  # a bare day ending a range is a date, not a duration (至22日)
        if f[4] is None:
            continue
        sep = _DATE_RANGE_SEP.match(norm, f[1])
        m = _DATE_RANGE_END.match(norm, sep.end()) if sep else None
        if m and open_(*m.span()) and 1 <= int(_int(m.group("d")) or 0) <= 31:
            found.append([m.start(), m.end(), None, None, _int(m.group("d"))])
    for pattern in DATE_RES[3:]:
        collect(pattern)
    found.sort()
    for first, second in itertools.pairwise(found):
        # the end of a range takes the month its start said once (10月1日至7日). Not the year:
        # a spoken end without one (2024年2月10号，正月初一到2月12号) is the same date as
        # a written end without one, and a wrong year shows at the range's start.
        if not _DATE_RANGE_SEP.fullmatch(norm[first[1]:second[0]]) or first[4] is None or second[4] is None:
            continue
        if second[3] is None and first[3] is not None and second[4] >= first[4]:
            second[3] = first[3]
    for start, end, year, month, day in found:
        add("date", (year, month, day), start, end)


def _int(text: str | None, digits: bool = False) -> int | None:
    if not text:
        return None
    if digits and not text.isdigit():
        text = digit_string(text) or ""
    value = parse_number(text)
    return int(value) if value is not None and value == int(value) else None


def _clock_values(period: str | None, hour: int, minute: int) -> frozenset[int]:
    """Minutes after midnight this clock time may mean (a bare 4点 may be 4:00 or 16:00)."""
    if period is None:
        values = {hour * 60 + minute}
        if hour < 12:
            values.add((hour + 12) * 60 + minute)
        if hour == 24:
            values.add(minute)
        if hour == 0:
            values.add(1440 + minute)
        return frozenset(values)
    if period in _PM or (period == "中午" and hour < 11):
        h = hour + 12 if hour < 12 else hour
        if period in ("夜里", "夜间", "晚上") and hour == 12:
            return frozenset({1440 + minute, minute})
        return frozenset({h * 60 + minute})
    if period == "半夜" and hour == 12:
        return frozenset({1440 + minute, minute})
    if period in ("凌晨", "半夜") and hour == 12:
        return frozenset({minute})
    return frozenset({hour * 60 + minute})


def _extract_times(norm: str, free, add) -> None:  # type: ignore[no-untyped-def]
    found: list[tuple[int, int, str | None, int, int, bool]] = []  # start, end, period, h, m, 24-hour
    for m in TIME_COLON.finditer(norm):
        found.append((m.start(), m.end(), m.group("p"), int(m.group("h")), int(m.group("mi")), True))
    for m in TIME_DIAN.finditer(norm):
        hour = _int(m.group("h"))
        if hour is None or hour > 24:
            continue
        chinese = not m.group("h").isdigit()
        # 十四点五 is a decimal: a Chinese hour needs a part of day, 半, 分, 整 or 钟
        clocky = m.group("p") or m.group("half") or m.group("fen") or m.group("z") or (m.group("mi") and not chinese)
        after = norm[m.end():m.end() + 1]
        in_range = bool(_RANGE_SEP.match(norm, m.end())) or bool(re.search(r"(?:至|到|-|~|～)\s*$", norm[max(0, m.start() - 2):m.start()]))
        if chinese and not clocky and not in_range:
            continue  # 有三点 is a count of points, not three o'clock
        if not clocky and after in "：:" and not in_range:
            continue
        minute = 30 if m.group("half") else (_int(m.group("mi")) or 0)
        if minute >= 60:
            continue
        found.append((m.start(), m.end(), m.group("p"), hour, minute, False))
    found.sort()
    previous: tuple[int, str | None, int] | None = None  # end, period, minutes
    for start, end, period, hour, minute, colon in found:
        if not free(start, end):
            continue
        values = _clock_values(period, hour, minute)
        if colon and period is None:
            # 8:30 on a 24-hour clock is the morning (20:30 is written so); only 几点 is ambiguous
            values = frozenset(v for v in values if v // 60 == hour or v // 60 in (0, 24))
        if period is None and previous and previous[1] and _RANGE_SEP.fullmatch(norm[previous[0]:start]):
            # “凌晨0点到6点”: the end of a range says its part of day once, at the start
            inherited = _clock_values(previous[1], hour, minute)
            if min(inherited) >= previous[2]:
                values = values | inherited
        add("time", (values,), start, end)
        previous = (end, period, min(values))


def _extract_small_change(norm: str, free, add) -> None:  # type: ignore[no-untyped-def]
    for pattern in (JIAO_RE, KUAI_TENTHS_RE):
        for m in pattern.finditer(norm):
            yuan = parse_number(m.group("y")) if m.group("y") else 0.0
            jiao = parse_number(digit_string(m.group("j")) or "")
            fen = parse_number(digit_string(m.group("f")) or "") if m.groupdict().get("f") else 0.0
            if yuan is None or jiao is None or fen is None or not free(*m.span()):
                continue
            value = round(yuan + jiao / 10 + fen / 100, 6)
            add("amount", ("CNY", value), *m.span(), value)


def _extract_quantities(norm: str, free, add) -> None:  # type: ignore[no-untyped-def]
    for m in QTY_RE.finditer(norm):
        unit = m.group("unit") or ("个" if m.group("ge") else None)
        pre = m.group("pre")
        if unit is None and pre is None:
            continue
        if unit is None:
            unit = pre
        if unit in ("个",) and m.group("ge") and m.group("unit") is None and m.group("half"):
            continue
        if norm[m.start() - 1:m.start()] == "第" or norm[m.start() - 1:m.start()].isdigit():
            continue  # 第二天 is an ordinal, not two days
        numbers = [(m.group("a"), m.span("a"))]
        if m.group("b"):
            numbers.append((m.group("b"), m.span("b")))
        for k, (raw, span) in enumerate(numbers):
            value = parse_number(raw)
            if value is None:
                continue
            if (m.group("half") or m.group("half_after")) and k == len(numbers) - 1:
                value += 0.5
            last = k == len(numbers) - 1
            s = m.start() if k == 0 else span[0]
            e = m.end() if last else span[1]
            if not free(s, e):
                continue
            fact = _quantity(unit, value, pre, raw)
            if fact is not None:
                add(fact[0], fact[1], s, e, value)


def _quantity(unit: str, value: float, pre: str | None, raw: str) -> tuple[str, tuple] | None:
    if unit in _CURRENCY:
        currency = _CURRENCY[pre] if pre and pre in _CURRENCY and unit in ("元", "块", "块钱", "圆") else _CURRENCY[unit]
        return "amount", (currency, value)
    if unit in _DURATION:
        family, factor = _DURATION[unit]
        return "duration", (family, value * factor)
    if unit in _DATA:
        return "data", (value * _DATA[unit],)
    if value == 1 and unit in _WEAK_ONE:
        return None  # 一个, 一种: an article, not a number
    if unit == "类":
        return None
    return "count", (value,)


def _canonical(text: str) -> str:
    for word, canon in _SYNONYMS:
        text = text.replace(word, canon)
    return text


def _content_bigrams(text: str) -> set[str]:
    chars = [ch for ch in _canonical(text) if ch not in _STOP_CHARS]
    if len(chars) == 1:
        return {chars[0]}  # 请勿点击 → 点: a one-word action is still a fact
    return {a + b for a, b in itertools.pairwise(chars) if not (a.isspace() or b.isspace())}


def _clause_keys(text: str) -> set[str]:
    """What a spoken clause can match a negation's key on: its bigrams and its single words."""
    return _content_bigrams(text) | {ch for ch in _canonical(text) if ch not in _STOP_CHARS}


# -- verification -------------------------------------------------------------------------------

def same_value(a: Fact, b: Fact, today: dt.date | None = None) -> bool:
    """Do two facts of one kind say the same thing (written vs spoken forms)?"""
    if a.kind != b.kind:
        return False
    if a.kind == "time":
        return bool(a.value[0] & b.value[0])
    if a.kind == "date":
        (y1, m1, d1), (y2, m2, d2) = a.value, b.value
        if (m1, d1) != (m2, d2):
            return False
        if y1 is None or y2 is None or y1 == y2:
            # a spoken date may drop the year only when it is the current one
            return y1 is None or y2 is not None or y1 == (today or dt.date.today()).year
        return False
    if a.kind in ("amount", "duration"):
        return a.value[0] == b.value[0] and _close(a.value[1], b.value[1])
    if a.kind in ("percent", "data", "count"):
        return _close(a.value[0], b.value[0])
    return a.value == b.value


def verify(
    original: str,
    spoken: str,
    protected: Iterable[str] = (),
    today: dt.date | None = None,
    only: Iterable[tuple[int, int]] | None = None,
) -> Verification:
    """Check every fact of ``original`` (inside ``only`` spans, when given) against ``spoken``."""
    protected = tuple(protected)
    o_facts = all_o_facts = extract_facts(original, protected, today)
    spans = list(only) if only is not None else None
    if spans is not None:
        o_facts = [f for f in o_facts if any(s <= f.start and f.end <= e for s, e in spans)]
    s_facts = extract_facts(spoken, protected, today)
    s_norm = normalize(spoken)
    result = Verification()
    used: set[int] = set()
    pending: list[Fact] = []
    for fact in o_facts:
        if fact.kind == "negation":
            result.checks.append(_check_negation(fact, spoken, s_norm))
            continue
        if fact.kind == "liability":
            said = [s for s in s_facts if s.kind == "liability"]
            same = next((s for s in said if s.value == fact.value), None)
            other = next((s for s in said if abs(s.start / max(1, len(spoken)) - fact.start / max(1, len(original))) < 0.2), None)
            if same is not None:
                result.checks.append(FactCheck(fact, "kept", same))
            else:
                result.checks.append(FactCheck(fact, "changed" if other else "missing", other))
            continue
        if fact.kind in ("term", "code"):
            pos = s_norm.upper().find(fact.value[0].upper())
            if pos >= 0:
                end = pos + len(fact.value[0])
                result.checks.append(FactCheck(fact, "kept", Fact(fact.kind, fact.value, spoken[pos:end], pos, end)))
            else:
                result.checks.append(FactCheck(fact, "missing"))
            continue
        equal = [k for k, s in enumerate(s_facts) if same_value(fact, s, today)]
        match = next((k for k in equal if not _opposite_bounds(fact, s_facts[k])), None)
        if match is None and equal:
            used.add(equal[0])  # the same number on the other side of the rule (以上 → 以下)
            result.checks.append(FactCheck(fact, "changed", s_facts[equal[0]]))
        elif match is None:
            pending.append(fact)
            result.checks.append(FactCheck(fact, "missing"))
        else:
            used.add(match)
            result.checks.append(FactCheck(fact, "kept", s_facts[match]))
    # a missing fact whose kind shows up unmatched in the spoken text nearby was changed
    free_spoken = [k for k, s in enumerate(s_facts) if k not in used and s.kind not in _CLAUSE_KINDS]
    for i, check in enumerate(result.checks):
        if check.status != "missing" or check.fact.kind in _CLAUSE_KINDS:
            continue
        fact = check.fact
        candidates = [k for k in free_spoken if _comparable(fact, s_facts[k]) and not _is_matched_elsewhere(s_facts[k], o_facts, today)]
        if not candidates:
            continue
        where = fact.start / max(1, len(original))
        best = min(candidates, key=lambda k: abs(s_facts[k].start / max(1, len(spoken)) - where))
        free_spoken.remove(best)
        result.checks[i] = FactCheck(fact, "changed", s_facts[best])
    o_norm = normalize(original)
    for i, check in enumerate(result.checks):
        if check.status == "missing" and check.fact.kind == "amount":
            bare = _bare_number(check.fact, s_norm, s_facts)
            if bare is not None:
                result.checks[i] = FactCheck(check.fact, "kept", Fact("amount", check.fact.value, spoken[bare[0]:bare[1]], *bare))
        elif check.status == "kept" and check.spoken is not None and check.fact.kind in _VALUE_KINDS:
            other = _misattached(check.fact, check.spoken, o_norm, s_norm, s_facts, today)
            if other is not None:
                result.checks[i] = FactCheck(check.fact, "changed", other)
    result.checks.extend(_added_negations(s_facts, original, o_norm, spans))
    _new_values(result, o_facts, all_o_facts, s_facts, len(original), len(spoken), today)
    return result


# Kinds whose appearance out of nowhere is a claim made to the caller: a number to ring, a sum,
# a rate, a day or an hour the original never gave.
_ADDED_KINDS = ("phone", "amount", "percent", "date", "time")


def _new_values(result: Verification, o_facts: list[Fact], all_o_facts: list[Fact], s_facts: list[Fact],
                o_len: int, s_len: int, today: dt.date | None) -> None:
    """Spoken facts whose value the original never states. One said where the original says
    the same value twice (致电95588… 致电95588 → 致电5588… 致电95588) is that copy changed; any
    other is reported as added: a new number or sum told to the caller is a claim to check."""
    referenced = {id(c.spoken) for c in result.checks if c.spoken is not None}
    for said in s_facts:
        if said.kind not in _ADDED_KINDS or id(said) in referenced:
            continue
        if any(same_value(o, said, today) for o in all_o_facts if o.kind == said.kind):
            continue
        short = [i for i, c in enumerate(result.checks)
                 if c.status == "kept" and _comparable(c.fact, said) and c.fact.kind not in _CLAUSE_KINDS
                 and sum(same_value(c.fact, o, today) for o in o_facts) > sum(same_value(c.fact, f, today) for f in s_facts)]
        if short:
            where = said.start / max(1, s_len)
            i = min(short, key=lambda i: abs(result.checks[i].fact.start / max(1, o_len) - where))
            result.checks[i] = FactCheck(result.checks[i].fact, "changed", said)
        else:
            result.checks.append(FactCheck(said, "added", said))


_VALUE_KINDS = ("amount", "percent", "count", "duration", "data")
_LABEL_TRIM = re.compile(r"(?:为|是|收取|收|计收|需|要|约|共计|合计|共|达|达到|：|:|\s)+$")
_LABEL_CUT = re.compile(r"[，。；！？,;!?\n、（）()“”\d]")
_PERIODS = (
    ("day", re.compile(r"每日|每天|单日|日累计|日限额|当日|当天|一天")),
    ("month", re.compile(r"每月|每个月|单月|月累计|月限额|一个月")),
    ("year", re.compile(r"每年|全年|年累计|年限额|一年")),
    ("payment", re.compile(r"每笔|单笔|每次|单次|一笔|一次")),
)


def _label(norm: str, start: int) -> str:
    """The words a number is the value of (手续费 in 手续费5元): up to four characters before it
    in its clause, without the verb or colon that joins them."""
    head = norm[max(0, start - 8):start]
    cut = max((m.end() for m in _LABEL_CUT.finditer(head)), default=0)
    return _LABEL_TRIM.sub("", head[cut:])[-4:]


def _period(norm: str, start: int) -> str | None:
    """每日 / 每月 / 每笔 … said just before a number: the period a limit or fee is counted over."""
    head = norm[max(0, start - 8):start]
    cut = max((m.end() for m in _CLAUSE_END.finditer(head)), default=0)
    found = [(m.end(), name) for name, pattern in _PERIODS for m in pattern.finditer(head, cut)]
    return max(found)[1] if found else None


def _misattached(fact: Fact, said: Fact, o_norm: str, s_norm: str, s_facts: list[Fact], today: dt.date | None) -> Fact | None:
    """The value was found, but said of something else: 手续费5元，年费10元 → 手续费10元，年费5元
    (each label now carries the other number), or 每日限额 → 每月最多 (another period)."""
    period = _period(o_norm, fact.start)
    if period:
        # the same value may be said several times (单笔5万元，日累计5万元): one said over the
        # same period, or over none named, keeps it
        said_over = [_period(s_norm, f.start) for f in s_facts if same_value(fact, f, today)]
        if said_over and all(p is not None and p != period for p in said_over):
            return said
    label = _label(o_norm, fact.start)
    if len(label) < 2 or o_norm.count(label) != 1 or s_norm.count(label) != 1:
        return None  # no label, or one that names several numbers: nothing sure to say
    at = s_norm.index(label) + len(label)
    after = [f for f in s_facts if f.kind in _VALUE_KINDS and at <= f.start <= at + 6]
    if not after or _CLAUSE_END.search(s_norm, at, after[0].start):
        return None
    nearest = min(after, key=lambda f: f.start)
    if nearest.start == said.start or same_value(fact, nearest, today) or not _comparable(fact, nearest):
        return None
    return nearest


_BARE_NUMBER = re.compile(rf"(?<![\d.零〇一二两三四五六七八九十百千万亿]){NUM}(?![\d.零〇一二两三四五六七八九十百千万亿])")


def _bare_number(fact: Fact, s_norm: str, s_facts: list[Fact]) -> tuple[int, int] | None:
    """An amount said without its unit (转账三万五, 最高五万) where the spoken text has no other
    fact: the caller hears the same number. Small numbers are left out (五 is not 5元)."""
    value = fact.value[1]
    if value < 100:
        return None
    for m in _BARE_NUMBER.finditer(s_norm):
        if any(f.start < m.end() and m.start() < f.end for f in s_facts):
            continue
        number = parse_number(m.group())
        if number is not None and _close(number, value):
            return m.span()
    return None


_MODAL = re.compile(r"(?:需要|需|须|必须|要|应当|应|会|将|可以|可|能|得)\s*(?:予以|给予|进行|为您)?$")


def _added_negations(s_facts: list[Fact], original: str, o_norm: str, only: list[tuple[int, int]] | None) -> list[FactCheck]:
    """A negation the spoken text adds to an obligation the original states (需携带身份证原件 →
    不需要带身份证原件). Only a clause with a modal before the action counts: 别逾期 said for
    逾期将收取违约金 warns, it does not reverse a rule."""
    out = []
    for said in s_facts:
        if said.kind != "negation":
            continue
        check = _check_negation(said, original, o_norm)
        if check.status != "changed" or check.spoken is None:
            continue
        clause = o_norm[check.spoken.start:check.spoken.end]
        chars = {ch for gram in said.value[0] for ch in gram}
        canon = _canonical(clause)
        first = next((i for i, ch in enumerate(canon) if ch in chars), None)
        if first is None or not _MODAL.search(canon[:first]):
            continue
        if only is not None and not any(s <= check.spoken.start and check.spoken.end <= e for s, e in only):
            continue
        out.append(FactCheck(check.spoken, "changed", said))
    return out


_CLAUSE_KINDS = ("term", "code", "negation", "liability")  # found by their own rules, not by value


def _opposite_bounds(a: Fact, b: Fact) -> bool:
    return a.bound is not None and b.bound is not None and a.bound != b.bound


def _comparable(a: Fact, b: Fact) -> bool:
    if a.kind == b.kind:
        return True
    numeric = {"amount", "count", "duration", "data"}
    # the same number with another kind of unit (5天 said as 5次): a changed unit
    return (a.kind in numeric and b.kind in numeric and a.number is not None and b.number is not None
            and _close(a.number, b.number))


def _is_matched_elsewhere(spoken_fact: Fact, o_facts: list[Fact], today: dt.date | None) -> bool:
    """A spoken fact that equals some original fact is that fact said again, not a change."""
    return any(same_value(o, spoken_fact, today) for o in o_facts if o.kind == spoken_fact.kind)


# 的 after a pronoun is possessive (不会冻结您的账户); after anything else it closes a modifier,
# so a negator before it belongs to that modifier (没激活的卡也会收年费), not to the verb after.
_RELATIVE_DE = re.compile(r"(?<![您你我们他她它其己])的")


_WAIVED_AFTER = re.compile(r"(?P<k>\w)(?:就|也|都|可以|能|会|全)?$")


def _negates(clause: str, key: frozenset[str]) -> bool:
    """Does a negator in ``clause`` bear on what ``key`` is about? The first key word after the
    negator must come before any 的 that closes a modifier the negator sits in."""
    chars = {ch for gram in key for ch in gram}
    canon = _canonical(clause)
    for m in SPOKEN_NEGATOR.finditer(canon):
        before = _WAIVED_AFTER.search(canon, 0, m.start()) if m.group() == "免" else None
        if before and before.group("k") in chars:
            return True  # 第二年的年费就免了: spoken Chinese names the fee first
        after = canon[m.end():]
        first = next((i for i, ch in enumerate(after) if ch in chars), None)
        if first is not None and not _RELATIVE_DE.search(after[:first]):
            return True
    return False


def _check_negation(fact: Fact, spoken: str, s_norm: str) -> FactCheck:
    """Kept when some spoken clause about the same thing is negated; changed when the only
    clauses about it are not (不会要求 → 会要求); missing when nothing talks about it."""
    key: frozenset[str] = fact.value[0]
    threshold = 0.4
    best: dict[bool, tuple[float, int, int]] = {}
    near: tuple[float, int, int] | None = None  # the clause sharing most of the key's words
    key_chars = {ch for gram in key for ch in gram}
    for m in re.finditer(r"[^，。；！？,;!?\n]+", s_norm):
        clause = m.group()
        keys = _clause_keys(clause)
        overlap = len(key & keys) / len(key)
        if overlap < threshold:
            # a long formal clause said shorter shares fewer word pairs than words
            chars = len(key_chars & keys) / len(key_chars)
            if chars >= 0.5 and len(key_chars & keys) >= 2 and (near is None or chars > near[0]):
                near = (chars, m.start(), m.end())
            continue
        negated = _negates(clause, key)
        if negated not in best or overlap > best[negated][0]:
            best[negated] = (overlap, m.start(), m.end())
    if not best and near is not None:
        best[_negates(s_norm[near[1]:near[2]], key)] = near
    if False in best and True in best and best[False][0] >= 1 > best[True][0]:
        # the whole action said without a negation (也会产生年费) outweighs a negated clause
        # that only shares part of it (第一年不收年费)
        del best[True]
    for negated, status in ((True, "kept"), (False, "changed")):
        if negated in best:
            _, start, end = best[negated]
            return FactCheck(fact, status, Fact("negation", fact.value, spoken[start:end], start, end))
    return FactCheck(fact, "missing")
