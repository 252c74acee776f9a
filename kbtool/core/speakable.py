"""Structure helpers: turn written structure into something an agent can say.

Each helper takes the text of one span (a sentence, a menu path, a list block, a date …) and
returns spoken alternatives, best first, or ``()`` when it has nothing better to offer. The
editor takes or leaves them; nothing here is ever applied automatically (none is a safe fix).

Helpers are reached two ways:

* a style-pack rule with ``helper: <name>`` and no ``replace`` gets its finding's suggestions
  from the helper (``run_helper``), so a pack decides where they fire;
* ``scan(text, ctx)`` finds every span any helper can improve, for a full draft when the pack
  has no such rules.

Decisions worth knowing (also in docs): a date keeps its year unless the year is the current one
(``HelperContext.today``), because dropping another year changes the fact; times get the part of
day (凌晨/早上/上午/中午/下午/晚上) and a range's end repeats it only when it changes; digits are read
one by one (with 幺 for 1, as telephone numbers are said) only when the pack sets
``read_digits`` (the shortest digit run to read that way).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import cn2an

from kbtool.core.text import in_script_of, is_traditional, sentence_spans, to_simplified

CJK = r"\u3400-\u9fff\uf900-\ufaff"
_CJK_RE = re.compile(f"[{CJK}]")


@dataclass(frozen=True)
class HelperContext:
    """What helpers may depend on besides the span: pack settings and the reference date."""

    sentence_max_chars: int = 30
    today: dt.date | None = None
    read_digits: int = 0  # 0: off; else digit runs at least this long are read one by one
    protected: tuple[str, ...] = ()
    # Where the span sits, when a rule matched only part of a construct (a list marker, a menu
    # path after its first item): helpers may read around it but rewrite only the span.
    source: str = ""
    start: int = 0
    end: int = 0
    # Is the text around the span traditional? None: helpers look for themselves (the checker
    # knows already, from its normalised copy, and saves them a conversion per finding).
    traditional: bool | None = None

    def at(self, source: str, start: int, end: int, traditional: bool | None = None) -> HelperContext:
        # Called once per helper finding: the plain constructor is several times cheaper than
        # dataclasses.replace.
        return type(self)(self.sentence_max_chars, self.today, self.read_digits, self.protected, source, start, end,
                          traditional)

    @property
    def year(self) -> int:
        return (self.today or dt.date.today()).year

    @classmethod
    def from_settings(cls, settings: object, protected: Iterable[str] = (), today: dt.date | None = None) -> HelperContext:
        return cls(
            sentence_max_chars=int(getattr(settings, "sentence_max_chars", 30)),
            today=today,
            read_digits=int(getattr(settings, "read_digits", 0) or 0),
            protected=tuple(protected),
        )


@dataclass(frozen=True)
class Suggestion:
    """A span ``scan`` found that a helper can say better."""

    helper: str
    start: int
    end: int
    text: str
    replacements: tuple[str, ...]
    scope: str = "word"  # "sentence" for whole-sentence rewrites (splits, lists)


# -- numbers ------------------------------------------------------------------------------------

def cn_number(value: str | int | float) -> str:
    """Arabic to Chinese reading (``2`` → 二, ``0.5`` → 零点五)."""
    return cn2an.an2cn(str(value))


def _count_word(n: int) -> str:
    """The number before a measure word: 两 rather than 二."""
    return "两" if n == 2 else cn_number(n)


_DIGIT_READING = dict(zip("0123456789", "零幺二三四五六七八九", strict=True))


def digits_one_by_one(digits: str) -> str:
    """``10086`` → 幺零零八六 (telephone style: 1 is 幺 so it is not heard as 七)."""
    return "".join(_DIGIT_READING.get(ch, ch) for ch in digits)


# -- sentence splitting -------------------------------------------------------------------------

_CUT_PUNCT = "，,；;"
_OPEN = "“「『（(《\"‘"
_CLOSE = "”」』）)》\"’"
# Where the clause before a cut starts (see _natural_cut): after the last of these.
_CLAUSE_STOPS = "，,；;。：:"
# Every character the cut-point scan reacts to (all of them unspeakable).
_SPLIT_MARKS = frozenset(_OPEN + _CLOSE + _CUT_PUNCT + _CLAUSE_STOPS)
_UNSPEAKABLE_CHAR = re.compile(f"[^{CJK}A-Za-z0-9]")


def _cut_points(text: str) -> tuple[list[int], list[int], int]:
    """Where a sentence may end, and what the split needs to know about its lengths.

    Returns the indices of clause punctuation outside quotes and brackets with speakable text
    on both sides and a natural cut (see ``_natural_cut``), the number of speakable characters
    before each of them, and the speakable length of the whole text.
    """
    # One pass over the unspeakable characters: the marks are among them, and the count of
    # those before a mark gives the speakable length before it.
    gaps = [m.start() for m in _UNSPEAKABLE_CHAR.finditer(text)]
    n = len(text)
    total = n - len(gaps)
    points: list[int] = []
    before: list[int] = []
    depth = 0
    quote = False
    clause_start = 0
    for k, i in enumerate(gaps):
        ch = text[i]
        if ch not in _SPLIT_MARKS:
            continue
        if ch == '"':
            quote = not quote
            continue
        if ch in _OPEN:
            depth += 1
        elif ch in _CLOSE:
            depth = max(0, depth - 1)
        elif ch in _CUT_PUNCT and depth == 0 and not quote:
            spoken_before = i - k
            if 0 < spoken_before < total and _natural_cut(text, clause_start, i):
                points.append(i)
                before.append(spoken_before)
        if ch in _CLAUSE_STOPS:
            clause_start = i + 1
    return points, before, total


# A clause opening with one of these leans on the next one (根据…，挂失分为…): no full stop after it.
# (Both are used with match(text, pos[, endpos]), which anchors them at pos.)
_LEANS_FORWARD = re.compile(
    r"[\s（(]*(?:\d{1,2}[.、．]\s*|[一二三四五六七八九十]{1,2}、\s*|[（(][一二三四五六七八九十\d]{1,2}[)）]\s*)?"
    # a subject may come first: 客户如不再需要…，可…
    r"(?:(?:个人)?(?:客户|用户|您|持卡人|机主|申请人|本人))?"
    r"(?:根据|按照|依据|依照|为了|为|对于|关于|如果|如|若|假如|因为|因|由于|凡|当|除|经|自|在)"
)
# A clause opening with one of these continues the previous one (…办理，或…): no full stop before it.
# A clause ending like these sets up the next one (除…外, 自…起, …时, …期间, …后, …的话):
# 本公司办理入网手续时，须登记… must not become 本公司办理入网手续时。须登记…
_SETS_UP = re.compile(
    r"(?:除(?:了|去)?[^，,；;。]{1,20}(?:之外|以外|外)|(?<![一对不])起"
    r"|(?<![\d小])时|时候|(?<!的)期间|之前|以前|(?<=[日号月年点天])前|(?:范围|期限|期间|时间|时限|年|月|天|日|小时)内|之后|以后|(?<![\d最然])后|的话)\s*$"
)
_SETS_UP_REACH = 32
# A clause ending in a noun after 的 (…的业务, …的客户) followed by an instruction about it.
_TOPIC = re.compile(r"的[\u4e00-\u9fff]{1,2}\s*$")
_COMMENT = re.compile(r"\s*(?:请|须|需|应|可|均|都|一律|要|得)")
_CONTINUES = re.compile(
    r"\s*(?:或者|或|及|以及|和|与|并且|并|且|而且|而|则|才|即|也就是|包括|比如|例如|等|的|由(?!于|此)"
    r"|以(?=[\u4e00-\u9fff]{2})(?!下|上|及|前|后|内|外|往|来)"
    # what was said (…账户，“不注销会影响征信”，…) and who is meant most (…，尤其是老人)
    r"|[“「『\"]|尤其|特别是|其中)"
)


def _natural_cut(text: str, clause_start: int, cut: int) -> bool:
    """A full stop at ``cut``, after the clause starting at ``clause_start``, reads naturally."""
    if _LEANS_FORWARD.match(text, clause_start, cut) or _CONTINUES.match(text, cut + 1):
        return False
    if len(text[clause_start:cut].strip()) < 4:
        return False  # 近期，本行发现…: a short lead-in is no sentence of its own
    # (its longest ending, 除了…之外, is 25 characters: no need to scan a long clause from the start)
    if _SETS_UP.search(text, max(clause_start, cut - _SETS_UP_REACH), cut):
        return False
    if _TOPIC.search(text, clause_start, cut) and _COMMENT.match(text, cut + 1):
        return False  # 须本人办理的业务，请去营业厅办理: the topic, then what to do with it
    j = cut - 1
    while j >= clause_start and text[j].isspace():
        j -= 1
    return not (j >= clause_start and text[j] == "的")


def _apply_cuts(text: str, cuts: Iterable[int]) -> str:
    chars = list(text)
    for c in cuts:
        chars[c] = "。"
    return "".join(chars)


def split_sentence(text: str, ctx: HelperContext) -> tuple[str, ...]:
    """A sentence too long for one breath, cut at clause boundaries near the middle.

    First suggestion: cut until every piece fits (where the punctuation allows); second: one
    cut nearest the middle. Commas and semicolons become full stops; colons are left alone
    (they introduce what follows), as is anything inside quotes or brackets.
    """
    limit = ctx.sentence_max_chars
    # judged on the simplified form (same length): 根據…， leans forward as 根据…， does
    points, before, total = _cut_points(text if ctx.traditional is False else to_simplified(text))
    if total <= limit or not points:
        return ()
    # Every span tried starts at 0 or just after a cut and ends at a cut or the end, and cut
    # characters are not speakable: the speakable length before each point is all we need.

    def best(i: int, j: int, base: int, top: int) -> int | None:
        """Index of the cut among ``points[i:j]`` nearest the middle of the span (ties: earlier)."""
        if i >= j:
            return None
        span = top - base
        return min(range(i, j), key=lambda k: (abs(2 * (before[k] - base) - span), k))

    cuts: list[int] = []

    def split(i: int, j: int, base: int, top: int) -> None:
        k = best(i, j, base, top) if top - base > limit else None
        if k is None:
            return
        split(i, k, base, before[k])
        cuts.append(points[k])
        # the next piece starts after the cut character: a point right there cannot cut it
        nxt = k + 1
        if nxt < j and points[nxt] == points[k] + 1:
            nxt += 1
        split(nxt, j, before[k], top)

    split(0, len(points), 0, total)
    out = []
    if cuts:
        out.append(_apply_cuts(text, cuts))
    one = best(0, len(points), 0, total)
    if one is not None and [points[one]] != cuts:
        out.append(_apply_cuts(text, [points[one]]))
    return tuple(out)


# -- menu paths ---------------------------------------------------------------------------------

# (traditional forms too: the helper reads the source as written)
_MENU_VERBS = ("依次点击|依次选择|依次进入|点击|点选|选择|进入|打开|点开|找到|登录|登陆|登入"
               "|依次點擊|依次選擇|依次進入|點擊|點選|選擇|進入|打開|點開")
# one space may sit inside an item before a Latin word or number: 10086 APP, 手机银行 APP
_ITEM = rf"[“\"「『]?(?:(?!{_MENU_VERBS})[{CJK}A-Za-z0-9/]|(?<=[{CJK}A-Za-z0-9]) (?=[A-Za-z0-9])){{1,12}}[”\"」』]?"
_SEP = r"\s*(?:->|→|>|＞|»|-|－|—{1,2})\s*"
# ``登录-帮助-…``: a verb followed by a separator is a step of its own (先登录，再点帮助…)
MENU_RE = re.compile(rf"(?:(?P<verb>{_MENU_VERBS})(?P<alone>{_SEP})?)?(?P<items>{_ITEM}(?:{_SEP}{_ITEM})+)")
_SEP_RE = re.compile(_SEP)
_NOT_MENU_ITEM = re.compile(r"^(?:周[一二三四五六日天]|星期.|礼拜.|\d+[年月日号点时分]?|[A-Za-z]?\d+[A-Za-z]?)$")
# (verb for the first step, verb for the rest): 打开APP>办理 opens the app, then taps 办理
_VERBS = {"选择": ("选", "选"), "点选": ("选", "选"), "依次选择": ("选", "选"), "进入": ("进", "点"), "依次进入": ("进", "进"),
          "打开": ("打开", "点"), "找到": ("找到", "点"), "登录": ("登录", "点"), "登陆": ("登录", "点"),
          "登入": ("登入", "点")}


def _menu_items(span: str) -> tuple[tuple[str, str], list[str]] | None:
    m = MENU_RE.fullmatch(span.strip())
    if not m:
        return None
    items = _balance_quotes([s.strip() for s in _SEP_RE.split(m.group("items"))])
    if len(items) < 2 or any(not s for s in items):
        return None
    if any(_NOT_MENU_ITEM.match(s.strip("“”\"「」『』")) for s in items) or not any(_CJK_RE.search(s) for s in items):
        return None
    if m.group("alone"):
        items = ["", *items]  # the verb alone is the first step
    return _VERBS.get(to_simplified(m.group("verb") or ""), ("点", "点")), items


_QUOTE_PAIRS = {"“": "”", "「": "」", "『": "』"}


def _balance_quotes(items: list[str]) -> list[str]:
    """“我的-套餐变更” quotes the whole path: each step gets its own pair (点“我的”，再点“套餐变更”)."""
    if not items:
        return items
    first, last = items[0], items[-1]
    for left, right in _QUOTE_PAIRS.items():
        if first.startswith(left) and not first.endswith(right) and last.endswith(right) and not last.startswith(left):
            inner = [first[1:], *items[1:-1], last[:-1]]
            return [s if s.startswith(left) else f"{left}{s}{right}" for s in inner]
    return items


def menu_path(text: str, ctx: HelperContext) -> tuple[str, ...]:
    """``我的-设置-安全中心`` → 先点我的，再点设置，最后点安全中心 (text around the path stays)."""
    if ctx.source and _MENU_TAIL.match(text.strip()):
        return _menu_continuation(text, ctx)
    for m in MENU_RE.finditer(text):
        parsed = _menu_items(m.group())
        if parsed is not None:
            head, tail = text[:m.start()], text[m.end():]
            (first, verb), items = parsed
            k = items[0].rfind("点")
            if 0 <= k < len(items[0]) - 1:
                # 登录后点我的-设置: the path starts after 点, which is the verb
                head += (m.group("verb") or "") + items[0][:k]
                items = [items[0][k + 1:], *items[1:]]
                first = verb = "点"
            return tuple(head + option + tail for option in _menu_options((first, verb), items))
    return ()


_MENU_TAIL = re.compile(rf"^(?:{_SEP}{_ITEM})+$")
_MENU_HEAD = re.compile(rf"(?P<verb>{_MENU_VERBS}|点)?(?P<item>{_ITEM})$")


def _menu_continuation(text: str, ctx: HelperContext) -> tuple[str, ...]:
    """A rule that matched ``-设置-安全中心`` after ``点我的``: the first step stays as written,
    the span becomes ``，再点设置，最后点安全中心``."""
    head = _MENU_HEAD.search(ctx.source[max(0, ctx.start - 16):ctx.start])
    if not head:
        return ()
    parsed = _menu_items(head.group("item") + text.strip())
    if parsed is None:
        return ()
    (_, verb), items = parsed
    item = head.group("item")
    # 选择“账户服务>信息维护”: the first step stays as written, so its quote is closed here
    close = next((r for q, r in _QUOTE_PAIRS.items() if item.startswith(q) and r not in item), "")
    steps = [f"再{verb}{items[1]}"]
    steps += [f"然后{verb}{item}" for item in items[2:-1]]
    if len(items) > 2:
        steps.append(f"最后{verb}{items[-1]}")
    return (close + "，" + "，".join(steps),)


def _menu_options(verbs: tuple[str, str], items: list[str]) -> tuple[str, ...]:
    (first, verb) = verbs
    steps = [f"先{first}{items[0]}", f"再{verb}{items[1]}"]
    for item in items[2:-1]:
        steps.append(f"然后{verb}{item}")
    if len(items) > 2:
        steps.append(f"最后{verb}{items[-1]}")
    if first != verb:
        return ("，".join(steps), f"先{first}{items[0]}，再依次{verb}{'、'.join(items[1:])}")
    return ("，".join(steps), f"依次{verb}{'、'.join(items)}")


# -- numbered lists -----------------------------------------------------------------------------

# 1. / 1、 / （1） / ① / （一） / 一、 — consecutive lines so marked are a list
_CN_ORDINALS = "一二三四五六七八九十"
_LIST_MARK = (
    rf"(?:(?P<n>\d{{1,2}})[.、．)）]|[（(](?P<p>\d{{1,2}})[)）]|(?P<c>[①-⑩])"
    rf"|[（(](?P<h>[{_CN_ORDINALS}])[)）]|(?P<k>[{_CN_ORDINALS}])、)"
)
_LIST_LINE = re.compile(rf"^[ \t]*{_LIST_MARK}[ \t]*(?P<body>\S.*)$")
LIST_BLOCK_RE = re.compile(rf"(?:^[ \t]*{re.sub(r'[?]P<[a-z]>', '?:', _LIST_MARK)}[ \t]*\S[^\n]*(?:\n|$)){{2,}}", re.M)
_INLINE_ITEM = re.compile(r"(?:[（(](?P<p>\d{1,2})[)）]|(?P<c>[①-⑩]))")


def _item_number(m: re.Match[str]) -> int:
    groups = m.groupdict()
    if groups.get("c"):
        return ord(groups["c"]) - ord("①") + 1
    if groups.get("h") or groups.get("k"):
        return _CN_ORDINALS.index(groups.get("h") or groups["k"]) + 1
    return int(groups.get("n") or groups["p"])


def _join_items(items: list[str], sep: str, head: str | None = None) -> str:
    n = len(items)
    parts = []
    for i, body in enumerate(items, 1):
        body = body.strip().rstrip("；;，,. ")
        quoted = body.endswith(("”", "」", "』"))
        body = body if quoted else body.rstrip("。")
        end = ("" if quoted else "。") if i == n else "；"
        parts.append(f"第{cn_number(i)}，{body}{end}")
    lead = f"有{_count_word(n)}点：" if head is None else head
    return lead + sep + sep.join(parts)


# a marker alone (what a list rule matched); Chinese numerals mark sections more often than items
_MARKER = re.compile(r"^[ \t]*(?:(?P<n>\d{1,2})[.、．)）]|[（(](?P<p>\d{1,2})[)）]|(?P<c>[①-⑩]))[ \t]*$")


def _marker_ordinal(text: str, ctx: HelperContext) -> tuple[str, ...]:
    """A rule that matched only the marker ``2.`` of a list line: ``第二，`` (the first item also
    announces how many there are: ``有三点：第一，``)."""
    m = _MARKER.match(text)
    if not m or not ctx.source:
        return ()
    n = _item_number(m)
    line_start = ctx.source.rfind("\n", 0, ctx.start) + 1
    lines = ctx.source[line_start:].split("\n")
    count = n
    for line in lines[1:]:
        nxt = _LIST_LINE.match(line)
        if not nxt or _item_number(nxt) != count + 1:
            break
        count += 1
    ordinal = f"第{cn_number(n)}，"
    if n == 1 and count >= 2:
        return (f"有{_count_word(count)}点：{ordinal}", ordinal)
    return (ordinal,)


def numbered_list(text: str, ctx: HelperContext) -> tuple[str, ...]:
    """Numbered lines (1. 2. 3.) or inline （1）…（2）… → 有三点：第一…；第二…；第三…。"""
    if _MARKER.match(text):
        return _marker_ordinal(text, ctx)
    lines = text.rstrip("\n").split("\n")
    matches = [_LIST_LINE.match(line) for line in lines]
    if len(lines) >= 2 and all(matches):
        numbers = [_item_number(m) for m in matches if m]
        if numbers != list(range(1, len(numbers) + 1)):
            return ()
        bodies = [m.group("body") for m in matches if m]
        trail = "\n" if text.endswith("\n") else ""
        return (_join_items(bodies, "\n") + trail, _join_items(bodies, "") + trail)
    marks = list(_INLINE_ITEM.finditer(text))
    if len(marks) < 2:
        return ()
    numbers = [_item_number(m) for m in marks]
    if numbers != list(range(1, len(numbers) + 1)):
        return ()
    head = text[: marks[0].start()]
    bodies = [text[m.end(): (marks[k + 1].start() if k + 1 < len(marks) else len(text))] for k, m in enumerate(marks)]
    head = head.rstrip("：:，, ")
    return (_join_items(bodies, "", f"{head}：" if head else None),)


# -- parentheses --------------------------------------------------------------------------------

PAREN_RE = re.compile(rf"(?<!\])[（(](?P<body>[^（）()\n]*[{CJK}][^（）()\n]*)[）)]")
_PAREN_LEADS = (
    (re.compile(r"^(?:以下简称|下称|简称)"), None),
    (re.compile(r"^(?:不含|不包括|不包含)"), "不包括"),
    (re.compile(r"^(?:含|包含|包括)"), "包括"),
    (re.compile(r"^(?:如|例如|比如|譬如)[：:]?"), "比如"),
    (re.compile(r"^(?:即|也就是|亦即)[：:]?"), "也就是"),
    (re.compile(r"^(?:注|备注)[：:]"), "要注意"),
    (re.compile(r"^(?:详见|参见|具体见|见)"), "具体可以看"),
)


_ATTACHED = tuple("的了着过地得时后前者")  # particles that bind to the words before the bracket


def parentheses(text: str, ctx: HelperContext) -> tuple[str, ...]:
    """（含社保联名卡） → ，包括社保联名卡，  — a bracket cannot be heard, a clause can."""
    m = PAREN_RE.fullmatch(text)
    if not m:
        return ()
    body = m.group("body").strip()
    if re.fullmatch(r"[一二三四五六七八九十\d]+", body):
        return ()  # （一）: a section number, not an aside
    after = ctx.source[ctx.end:ctx.end + 1]
    if after in _ATTACHED:
        return ()  # 留存（俗称“吞卡”）的: a clause here would read “，俗称吞卡，的”
    if after and after in "起至止到":
        # 2月12日（正月初七）起 → 2月12号，正月初七起: a date's other name takes the 起 along
        if re.search(r"[日号点分\d]$", ctx.source[max(0, ctx.start - 1):ctx.start]):
            return (f"，{body}",)
        return ()
    for lead, spoken in _PAREN_LEADS:
        hit = lead.match(body)
        if hit:
            rest = body[hit.end():].strip("：: ")
            if spoken is None:
                return ("",)  # “以下简称…” means nothing to a caller
            if not rest:
                return ()  # a bare （含） qualifies the number before it: see ``bound``
            return (f"，{spoken}{rest}，", f"，{body}，")
    return (f"，{body}，", f"，也就是{body}，")


# -- inclusive and exclusive bounds: 1万元（含）以下 ------------------------------------------------

_BOUND_QTY = r"(?:\d{4}年)?\d{1,2}月\d{1,2}[日号]|[\d.,]*\d[万千百亿]?[^\s\d（()）。，；、]{0,4}?"
BOUND_RE = re.compile(
    rf"(?P<pre>在)?(?P<q>{_BOUND_QTY})?[（(](?P<inc>不含|不包含|不包括|含|包含|包括)(?:本数|当日|当天)?[）)]"
    r"(?P<dir>以下|以上|以内|之内|之前|以前|之后|以后)"
)
_BELOW = ("以下", "以内", "之内")


def bound(text: str, ctx: HelperContext) -> tuple[str, ...]:
    """1万元（含）以下 → 1万元及以下; 在1万元（不含）以上 → 超过1万元.

    A bracketed （含） cannot be heard, and dropping it is no option: whether the bound itself
    counts is a fact. An inclusive bound keeps the number where it is (so the amount and date
    helpers still apply to it); an exclusive one is said as 超过/不到, or spelled out for dates.
    """
    m = BOUND_RE.fullmatch(text)
    if not m:
        return ()
    pre, qty, direction = m.group("pre") or "", m.group("q") or "", m.group("dir")
    if not m.group("inc").startswith("不"):
        return (f"{pre}{qty}及{direction}",)
    if not qty:
        return ()
    if DATE_RE.fullmatch(qty):
        qty = (date(qty, ctx) or (qty,))[0]
    if direction == "以上":
        return (f"超过{qty}",)
    if direction in _BELOW:
        return (f"不到{qty}",)
    return (f"{pre}{qty}{direction}，不包括{qty}",)


# -- dates, times, amounts, percentages, classes, digits ----------------------------------------

DATE_RE = re.compile(
    r"(?<!\d)(?:(?P<y>\d{4})年(?P<m>\d{1,2})月(?P<d>\d{1,2})[日号]|(?P<m2>\d{1,2})月(?P<d2>\d{1,2})日"
    r"|(?P<iy>\d{4})[-/.](?P<im>\d{1,2})[-/.](?P<id>\d{1,2})(?!\d))"
)


def date(text: str, ctx: HelperContext) -> tuple[str, ...]:
    """2024年3月16日 → 2024年3月16号; the current year's dates drop the year (3月16号)."""
    m = DATE_RE.fullmatch(text)
    if not m:
        return ()
    year = m.group("y") or m.group("iy")
    month = int(m.group("m") or m.group("m2") or m.group("im"))
    day = int(m.group("d") or m.group("d2") or m.group("id"))
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return ()
    short = f"{month}月{day}号"
    if year is None:
        return (short,)
    full = f"{int(year)}年{short}"
    # another year's date keeps its year: without it the caller hears a different date
    return (short, full) if int(year) == ctx.year else (full,)


_PERIOD_WORDS = "凌晨|早上|早晨|上午|中午|下午|傍晚|晚上|夜里|夜间"
_CLOCK = r"(?P<{0}h>[01]?\d|2[0-4])[:：](?P<{0}m>[0-5]\d)"
TIME_RE = re.compile(
    rf"(?<![\d:：])(?P<p1>{_PERIOD_WORDS})?{_CLOCK.format('a')}"
    rf"(?:\s*(?P<sep>至|到|-|－|—|~|～)\s*(?P<p2>{_PERIOD_WORDS})?{_CLOCK.format('b')})?(?![\d:：])"
)
# (name, first minute, last minute inclusive when used as a range end)
_PERIODS = (("凌晨", 0, 360), ("早上", 360, 540), ("上午", 540, 720), ("中午", 720, 780),
            ("下午", 780, 1080), ("晚上", 1080, 1440))


def _period(minutes: int) -> tuple[str, int, int]:
    for name, lo, hi in _PERIODS:
        if lo <= minutes < hi:
            return name, lo, hi
    return _PERIODS[-1]


def _clock(minutes: int) -> str:
    hour, minute = divmod(minutes, 60)
    if hour > 12:
        hour -= 12
    tail = "" if minute == 0 else ("半" if minute == 30 else f"{minute}分")
    return f"{hour}点{tail}"


def spoken_time(minutes: int, given_period: str | None = None) -> str:
    return f"{given_period or _period(minutes)[0]}{_clock(minutes)}"


def time(text: str, ctx: HelperContext) -> tuple[str, ...]:
    """9:00至16:00 → 上午9点到下午4点; 00:00至06:00 → 凌晨0点到6点; 16:00 → 下午4点."""
    m = TIME_RE.fullmatch(text)
    if not m:
        return ()
    start = int(m.group("ah")) * 60 + int(m.group("am"))
    if start > 1440:
        return ()
    first = spoken_time(start, m.group("p1"))
    if m.group("bh") is None:
        return (first,)
    end = int(m.group("bh")) * 60 + int(m.group("bm"))
    if end > 1440:
        return ()
    _, lo, hi = _period(start)
    if m.group("p2"):
        second = spoken_time(end, m.group("p2"))
    elif lo <= end <= hi and end >= start:
        second = _clock(end)
    else:
        second = spoken_time(end)
    return (f"{first}到{second}",)


AMOUNT_RE = re.compile(
    r"(?P<pre>¥|￥|RMB\s?|人民币\s?)?(?<![\d.,])(?P<int>\d{1,3}(?:,\d{3})+|\d+)(?:\.(?P<dec>\d+))?\s*(?P<mul>万|亿)?"
    r"(?P<unit>元|块)?(?![\d%％])"
)


def amount(text: str, ctx: HelperContext) -> tuple[str, ...]:
    """¥10,000.00 → 1万元 (or 1万块): no separators, no ¥, no .00, big round sums in 万."""
    m = AMOUNT_RE.fullmatch(text.strip())
    if not m or not (m.group("pre") or m.group("unit")):
        return ()
    digits = m.group("int").replace(",", "")
    dec = (m.group("dec") or "").rstrip("0")
    mul = m.group("mul") or ""
    value = f"{int(digits)}{'.' + dec if dec else ''}"
    if not mul and not dec and int(digits) >= 10000 and int(digits) % 1000 == 0:
        wan = int(digits) / 10000
        value, mul = (f"{wan:g}", "万")
    spoken = f"{value}{mul}元"
    out = (spoken, f"{value}{mul}块")
    return () if out[0] == text else out


PERCENT_RE = re.compile(r"(?<![\d.])(?P<v>\d+(?:\.\d+)?)\s*(?P<u>[%％‰])")


def percent(text: str, ctx: HelperContext) -> tuple[str, ...]:
    """1% → 百分之一, 0.05% → 万分之五, 0.5% → 千分之五, 3‰ → 千分之三."""
    m = PERCENT_RE.fullmatch(text.strip())
    if not m:
        return ()
    raw = m.group("v")
    if m.group("u") == "‰":
        return (f"千分之{cn_number(_trim(raw))}",)
    plain = f"百分之{cn_number(_trim(raw))}"
    value = float(raw)
    for scale, name in ((10, "千分之"), (100, "万分之")):
        scaled = round(value * scale, 6)
        if value < 1 and scaled == int(scaled) and scaled >= 1:
            return (f"{name}{cn_number(int(scaled))}", plain)
    return (plain,)


def _trim(number: str) -> str:
    return number.rstrip("0").rstrip(".") if "." in number else number


CLASS_RE = re.compile(r"(?<![A-Za-z])(?P<c>III|II|I|Ⅰ|Ⅱ|Ⅲ)(?=类)")
_CLASS_VALUE = {"I": 1, "II": 2, "III": 3, "Ⅰ": 1, "Ⅱ": 2, "Ⅲ": 3}


def account_class(text: str, ctx: HelperContext) -> tuple[str, ...]:
    """II类 → 二类: Roman numerals are misread aloud (“爱爱类”)."""
    out = CLASS_RE.sub(lambda m: cn_number(_CLASS_VALUE[m.group("c")]), text)
    return (out,) if out != text else ()


DIGITS_RE = re.compile(r"(?<![\d.,:：%])\d{3,4}(?:[- ]\d{3,4}){1,3}(?![\d%])|(?<![\d.,:：%])\d{3,}(?![\d.,:：%年月日号元块万亿])")


def digits(text: str, ctx: HelperContext) -> tuple[str, ...]:
    """95588 → 九五五八八, 400-820-8820 → 四零零，八二零，八八二零 (only where the pack asks)."""
    groups = re.split(r"[- ]", text.strip())
    if not all(g.isdigit() for g in groups) or sum(map(len, groups)) < max(ctx.read_digits, 3):
        return ()
    return ("，".join(digits_one_by_one(g) for g in groups),)


def speakable_forms(text: str, ctx: HelperContext) -> tuple[str, ...]:
    """Every date, time, amount, percentage and class in the span in its spoken form."""
    out = text
    for sug in reversed(_form_suggestions(text, ctx)):
        out = out[: sug.start] + sug.replacements[0] + out[sug.end:]
    return (out,) if out != text else ()


HELPERS: dict[str, Callable[[str, HelperContext], tuple[str, ...]]] = {
    "split_sentence": split_sentence,
    "menu_path": menu_path,
    "numbered_list": numbered_list,
    "parentheses": parentheses,
    "bound": bound,
    "date": date,
    "time": time,
    "amount": amount,
    "percent": percent,
    "account_class": account_class,
    "digits": digits,
    "speakable_forms": speakable_forms,
}
HELPER_NAMES: tuple[str, ...] = tuple(HELPERS)


def run_helper(name: str, text: str, ctx: HelperContext | None = None) -> tuple[str, ...]:
    """Suggestions of helper ``name`` for ``text``; never the text itself, never duplicates."""
    ctx = ctx or HelperContext()
    out: list[str] = []
    for s in HELPERS[name](text, ctx):
        if s != text and s not in out:
            out.append(s)
    if out:
        traditional = ctx.traditional
        if traditional is None:
            traditional = is_traditional(ctx.source[max(0, ctx.start - 12):ctx.end + 12] if ctx.source else text)
        if traditional:  # what a helper adds (有三点, 再点, 号) in the source's script
            out = [s for s in dict.fromkeys(in_script_of(text, s) for s in out) if s != text]
    return tuple(out)


# -- scanning a whole text ----------------------------------------------------------------------

_CN_NUMERALS = set("零〇一二两三四五六七八九十百千万亿")
_FORM_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("date", DATE_RE),
    ("time", TIME_RE),
    ("percent", PERCENT_RE),
    ("amount", AMOUNT_RE),
    ("account_class", re.compile(r"(?<![A-Za-z])(?:III|II|I|Ⅰ|Ⅱ|Ⅲ)类")),
)


def _overlaps(start: int, end: int, spans: Iterable[tuple[int, int]]) -> bool:
    return any(s < end and start < e for s, e in spans)


def _protected_spans(text: str, protected: Iterable[str]) -> list[tuple[int, int]]:
    spans = []
    for term in protected:
        pos = text.find(term)
        while pos != -1:
            spans.append((pos, pos + len(term)))
            pos = text.find(term, pos + 1)
    return spans


def _form_suggestions(text: str, ctx: HelperContext, blocked: list[tuple[int, int]] | None = None) -> list[Suggestion]:
    blocked = list(blocked or [])
    out: list[Suggestion] = []
    taken: list[tuple[int, int]] = []
    for name, pattern in _FORM_PATTERNS:
        for m in pattern.finditer(text):
            start, end = m.span()
            if start == end or _overlaps(start, end, taken) or _overlaps(start, end, blocked):
                continue
            if name == "amount" and not (m.group("pre") or m.group("unit")):
                continue  # a bare number is no amount (it may be a telephone number)
            reps = run_helper(name, text[start:end], ctx.at(text, start, end))
            if reps and text[end:end + 1] in _CN_NUMERALS:
                # 百分之五十 + 一次性 would be heard as 百分之五十一: keep them apart
                reps = tuple(r + "，" if r[-1:] in _CN_NUMERALS else r for r in reps)
            if reps:
                out.append(Suggestion(name, start, end, text[start:end], reps))
            taken.append((start, end))  # a date's digits are no amount, even unchanged
    if ctx.read_digits:
        for m in DIGITS_RE.finditer(text):
            start, end = m.span()
            if _overlaps(start, end, taken) or _overlaps(start, end, blocked):
                continue
            reps = run_helper("digits", m.group(), ctx.at(text, start, end))
            if reps:
                out.append(Suggestion("digits", start, end, m.group(), reps))
    out.sort(key=lambda s: s.start)
    return out


def scan(text: str, ctx: HelperContext | None = None, skip: Iterable[tuple[int, int]] = ()) -> list[Suggestion]:
    """Every span of ``text`` a helper can improve, outside ``skip`` and protected terms.

    Word-scope suggestions never overlap each other; sentence-scope ones (splits, lists) may
    contain word-scope ones, as a long sentence contains its words.
    """
    ctx = ctx or HelperContext()
    skip = list(skip)
    blocked = skip + _protected_spans(text, ctx.protected)
    words: list[Suggestion] = []
    taken: list[tuple[int, int]] = []

    def add(helper: str, start: int, end: int, scope: str = "word") -> None:
        if _overlaps(start, end, skip) or (scope == "word" and (_overlaps(start, end, taken) or _overlaps(start, end, blocked))):
            return
        reps = run_helper(helper, text[start:end], ctx.at(text, start, end))
        if reps:
            words.append(Suggestion(helper, start, end, text[start:end], reps, scope))
            if scope == "word":
                taken.append((start, end))

    for m in LIST_BLOCK_RE.finditer(text):
        end = m.end() - (1 if text[m.end() - 1:m.end()] == "\n" else 0)
        add("numbered_list", m.start(), end, "sentence")
    for m in MENU_RE.finditer(text):
        add("menu_path", *m.span())
    for m in BOUND_RE.finditer(text):
        if m.group("inc").startswith("不"):
            add("bound", *m.span())
        else:  # the number stays as written: its own form suggestion may still apply
            add("bound", m.start("inc") - 1, m.end())
    for m in PAREN_RE.finditer(text):
        add("parentheses", *m.span())
    for sug in _form_suggestions(text, ctx, blocked + taken):
        words.append(sug)
        taken.append((sug.start, sug.end))
    for start, end in sentence_spans(text):
        body_end = end
        while body_end > start and text[body_end - 1] in "。！？!?；;\n ":
            body_end -= 1
        if _LIST_LINE.match(text[start:body_end]):
            continue  # a list item: the list helper handles it
        add("split_sentence", start, body_end, "sentence")
    words.sort(key=lambda s: (s.start, -s.end))
    return words
