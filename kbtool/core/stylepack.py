"""Style packs: rules as data, validated into typed objects.

A pack is parsed from already-read YAML documents (see ``kbtool.services.packs`` for the files);
every problem names file, line and rule.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

from kbtool.core.errors import InputProblem, KbInputError
from kbtool.core.yamlsrc import LineDict

LEVELS = ("error", "warning", "suggestion")
LEVEL_RANK = {level: i for i, level in enumerate(LEVELS)}
CATEGORIES = ("official", "boilerplate", "forbidden", "politeness", "structure")
BUILTINS = ("long_sentence",)
RULE_ID_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")

RULE_FIELDS = {
    "id", "level", "category", "message", "phrases", "pattern", "builtin", "replace",
    "fuzzy", "boundary", "safe", "repeat", "link", "examples", "helper", "scope",
}
PACK_FIELDS = {
    "name", "description", "extends", "disable", "settings", "protected", "masking",
    "rules", "categories",
}
RULE_FILE_FIELDS = {"rules"}
SETTINGS_FIELDS = {"sentence_max_chars", "speaking_rate", "fuzzy_min_score", "read_digits"}
DEFAULT_FUZZY_SCORE = 80.0


@dataclass(frozen=True)
class Example:
    """An inline test: ``before`` must be flagged (and become ``after``), ``clean`` must not."""

    line: int
    before: str | None = None
    after: str | None = None
    clean: str | None = None


@dataclass(frozen=True)
class Rule:
    id: str
    level: str
    category: str
    message: str
    phrases: tuple[str, ...] = ()
    pattern: str | None = None
    builtin: str | None = None
    replace: tuple[str, ...] = ()
    fuzzy: bool = False
    min_score: float = DEFAULT_FUZZY_SCORE
    boundary: bool | str = True  # True: both ends on word boundaries; "start"/"end": that end only
    safe: bool = False
    repeat: tuple[int, int] | None = None
    link: str | None = None
    examples: tuple[Example, ...] = ()
    scope: str = "word"  # "sentence": covers a sentence or block and may contain word findings
    helper: str | None = None  # a structure helper (kbtool.core.speakable) that makes suggestions
    source: str = ""
    line: int = 0
    regex: re.Pattern[str] | None = field(default=None, compare=False, repr=False)

    @property
    def kind(self) -> str:
        if self.builtin:
            return self.builtin
        if self.repeat:
            return "repetition"
        return "pattern" if self.pattern else "phrase"


@dataclass(frozen=True)
class Settings:
    sentence_max_chars: int = 30
    speaking_rate: int = 200  # characters per minute: PSC "medium" reading pace, see README
    fuzzy_min_score: float = DEFAULT_FUZZY_SCORE
    read_digits: int = 0  # digit runs at least this long are suggested digit by digit; 0 = never


@dataclass(frozen=True)
class PackSource:
    """One pack definition as written (before ``extends`` is resolved)."""

    path: str
    name: str
    description: str = ""
    extends: tuple[str, ...] = ()
    extends_line: int | None = None  # where ``extends`` is written, for errors about a parent
    disable: tuple[str, ...] = ()
    settings: dict[str, Any] = field(default_factory=dict)
    protected: tuple[str, ...] = ()
    masking: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    rules: tuple[Rule, ...] = ()


@dataclass(frozen=True)
class Pack:
    """A resolved pack: its own rules layered on everything it extends."""

    name: str
    description: str
    rules: tuple[Rule, ...]
    protected: tuple[str, ...] = ()
    masking: tuple[re.Pattern[str], ...] = ()
    settings: Settings = Settings()
    sources: tuple[str, ...] = ()

    def rule(self, rule_id: str) -> Rule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)


def _problem(path: str, line: int | None, message: str, rule: str | None = None) -> KbInputError:
    return KbInputError(InputProblem(path, line, message, rule))


def _str_list(value: Any, what: str, path: str, line: int, rule: str | None = None) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, (str, int)) and not isinstance(value, bool):
        value = [value]
    if not isinstance(value, list):
        raise _problem(path, line, f"'{what}' 必须是字符串列表", rule)
    out = []
    for item in value:
        if isinstance(item, bool) or not isinstance(item, (str, int)) or not str(item).strip():
            raise _problem(path, line, f"'{what}' 里只能是非空的字符串，现在有 {item!r}", rule)
        out.append(str(item))
    return tuple(out)


_GROUP_REF = re.compile(r"\\(?:g<([^>]+)>|(\d+))")


def _check_template(template: str, regex: re.Pattern[str] | None, path: str, line: int, rule: str) -> None:
    for m in _GROUP_REF.finditer(template):
        if regex is None:
            raise _problem(path, line, f"替换 {template!r} 引用了捕获组，但这条规则没有 pattern", rule)
        name, number = m.group(1), m.group(2)
        if number is not None and int(number) > regex.groups:
            raise _problem(path, line, f"替换 {template!r} 引用了第 {number} 组，但 pattern 只有 {regex.groups} 组", rule)
        if name is not None and not name.isdigit() and name not in regex.groupindex:
            raise _problem(path, line, f"替换 {template!r} 引用了不存在的组 '{name}'", rule)
        if name is not None and name.isdigit() and int(name) > regex.groups:
            raise _problem(path, line, f"替换 {template!r} 引用了第 {name} 组，但 pattern 只有 {regex.groups} 组", rule)


def _examples(raw: Any, path: str, rule_id: str, line: int) -> tuple[Example, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise _problem(path, line, "'examples' 必须是列表", rule_id)
    out = []
    for item in raw:
        if not isinstance(item, LineDict):
            raise _problem(path, line, f"示例必须是含 before/after 或 clean 的映射，现在是 {item!r}", rule_id)
        unknown = set(map(str, item)) - {"before", "after", "clean"}
        if unknown:
            key = sorted(unknown)[0]
            raise _problem(path, item.line_of(key), f"未知的示例字段 '{key}'（可用：before、after、clean）", rule_id)
        for key in item:
            if not isinstance(item[key], str):
                raise _problem(path, item.line_of(key), f"示例的 '{key}' 必须是字符串", rule_id)
        if "after" in item and "before" not in item:
            raise _problem(path, item.line, "示例有 'after' 却没有 'before'", rule_id)
        if not item.keys() & {"before", "clean"}:
            raise _problem(path, item.line, "示例需要 'before' 或 'clean'", rule_id)
        out.append(Example(line=item.line, before=item.get("before"), after=item.get("after"), clean=item.get("clean")))
    return tuple(out)


def parse_rule(raw: Any, path: str, categories: tuple[str, ...] = CATEGORIES) -> Rule:
    """Validate one rule mapping."""
    if not isinstance(raw, LineDict):
        raise _problem(path, None, f"规则必须是映射，现在是 {type(raw).__name__}")
    line = raw.line
    rule_id = raw.get("id")
    if not isinstance(rule_id, str) or not RULE_ID_RE.match(rule_id):
        raise _problem(path, raw.line_of("id"), f"规则 id 必须是 'official.yuyi' 这样的小写 ASCII，现在是 {rule_id!r}")
    unknown = sorted(set(map(str, raw)) - RULE_FIELDS)
    if unknown:
        raise _problem(path, raw.line_of(unknown[0]), f"未知的字段 '{unknown[0]}'（可用：{', '.join(sorted(RULE_FIELDS))}）", rule_id)
    level = raw.get("level")
    if level not in LEVELS:
        raise _problem(path, raw.line_of("level"), f"level 必须是 {', '.join(LEVELS)} 之一，现在是 {level!r}", rule_id)
    category = raw.get("category")
    if category not in categories:
        raise _problem(path, raw.line_of("category"), f"category 必须是 {', '.join(categories)} 之一，现在是 {category!r}", rule_id)
    message = raw.get("message")
    if not isinstance(message, str) or not message.strip():
        raise _problem(path, raw.line_of("message"), "'message' 必须是非空的字符串", rule_id)
    phrases = _str_list(raw.get("phrases"), "phrases", path, raw.line_of("phrases"), rule_id)
    pattern = raw.get("pattern")
    builtin = raw.get("builtin")
    given = [k for k in ("phrases", "pattern", "builtin") if raw.get(k) not in (None, [], "")]
    if len(given) != 1:
        raise _problem(path, line, "规则必须有 'phrases'、'pattern'、'builtin' 三者之一，且只能有一个", rule_id)
    regex = None
    if pattern is not None:
        if not isinstance(pattern, str):
            raise _problem(path, raw.line_of("pattern"), "'pattern' 必须是字符串", rule_id)
        try:
            regex = re.compile(pattern)
        except re.error as exc:
            raise _problem(path, raw.line_of("pattern"), f"pattern {pattern!r} 不是有效的正则表达式：{exc}", rule_id) from None
        if regex.search("") is not None and regex.fullmatch("") is not None:
            raise _problem(path, raw.line_of("pattern"), f"pattern {pattern!r} 会匹配空字符串", rule_id)
    if builtin is not None and builtin not in BUILTINS:
        raise _problem(path, raw.line_of("builtin"), f"未知的 builtin {builtin!r}（可用：{', '.join(BUILTINS)}）", rule_id)
    replacements = tuple(
        "" if r == "" else r for r in _str_list_allow_empty(raw.get("replace"), path, raw.line_of("replace"), rule_id)
    )
    for template in replacements:
        _check_template(template, regex, path, raw.line_of("replace"), rule_id)
    fuzzy_raw = raw.get("fuzzy", False)
    min_score = DEFAULT_FUZZY_SCORE
    if isinstance(fuzzy_raw, LineDict):
        extra = set(map(str, fuzzy_raw)) - {"min_score"}
        if extra:
            raise _problem(path, raw.line_of("fuzzy"), f"未知的 fuzzy 设置 '{sorted(extra)[0]}'（可用：min_score）", rule_id)
        score = fuzzy_raw.get("min_score", DEFAULT_FUZZY_SCORE)
        if isinstance(score, bool) or not isinstance(score, (int, float)) or not 50 <= score <= 100:
            raise _problem(path, raw.line_of("fuzzy"), f"fuzzy 的 min_score 必须是 50 到 100 之间的数，现在是 {score!r}", rule_id)
        fuzzy, min_score = True, float(score)
    elif isinstance(fuzzy_raw, bool):
        fuzzy = fuzzy_raw
    else:
        raise _problem(path, raw.line_of("fuzzy"), "'fuzzy' 必须是 true、false 或 {min_score: N}", rule_id)
    if fuzzy and not phrases:
        raise _problem(path, raw.line_of("fuzzy"), "模糊匹配（fuzzy）需要 'phrases'", rule_id)
    if "safe" in raw and not isinstance(raw["safe"], bool):
        raise _problem(path, raw.line_of("safe"), "'safe' 必须是 true 或 false", rule_id)
    if "boundary" in raw and raw["boundary"] not in (True, False, "start", "end"):
        raise _problem(path, raw.line_of("boundary"), "'boundary' 必须是 true、false、start 或 end", rule_id)
    repeat = None
    if raw.get("repeat") is not None:
        rep = raw["repeat"]
        ok = isinstance(rep, LineDict) and set(rep) == {"max", "window"} and all(
            isinstance(rep[k], int) and not isinstance(rep[k], bool) and rep[k] >= 1 for k in rep
        )
        if not ok or rep["max"] >= rep["window"]:
            raise _problem(path, raw.line_of("repeat"), "'repeat' 必须是 {max: N, window: M}，且 1 <= N < M", rule_id)
        if not phrases:
            raise _problem(path, raw.line_of("repeat"), "重复规则（repeat）需要 'phrases'", rule_id)
        repeat = (rep["max"], rep["window"])
    link = raw.get("link")
    if link is not None and not isinstance(link, str):
        raise _problem(path, raw.line_of("link"), "'link' 必须是字符串", rule_id)
    helper = raw.get("helper")
    if helper is not None:
        from kbtool.core.speakable import HELPER_NAMES

        if helper not in HELPER_NAMES:
            raise _problem(path, raw.line_of("helper"), f"未知的 helper {helper!r}（可用：{', '.join(HELPER_NAMES)}）", rule_id)
    scope = raw.get("scope", "sentence" if builtin else "word")
    if scope not in ("word", "sentence"):
        raise _problem(path, raw.line_of("scope"), f"'scope' 必须是 word 或 sentence，现在是 {scope!r}", rule_id)
    if scope == "sentence" and phrases:
        raise _problem(path, raw.line_of("scope"), "'scope: sentence' 只用于 pattern 和 builtin 规则", rule_id)
    default_safe = bool(phrases) and len(replacements) == 1 and repeat is None
    return Rule(
        id=rule_id, level=level, category=category, message=message.strip(), phrases=phrases,
        pattern=pattern, builtin=builtin, replace=replacements, fuzzy=fuzzy, min_score=min_score,
        boundary=raw.get("boundary", True), repeat=repeat,
        # helper suggestions are the editor's to take or leave: never a safe (automatic) fix
        safe=raw.get("safe", default_safe) and not (helper and not replacements),
        link=link, examples=_examples(raw.get("examples"), path, rule_id, raw.line_of("examples")),
        helper=helper, scope=scope, source=path, line=line, regex=regex,
    )


def _str_list_allow_empty(value: Any, path: str, line: int, rule: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _problem(path, line, "'replace' 必须是字符串列表", rule)
    return tuple(value)


def parse_pack_source(data: Any, path: str, *, rule_file: bool = False, categories: tuple[str, ...] = ()) -> PackSource:
    """Validate one YAML document: a pack file (``rule_file=False``) or a file of rules only."""
    if data is None:
        data = LineDict()
        data.line, data.key_lines = 1, {}
    if not isinstance(data, LineDict):
        raise _problem(path, 1, "规则包文件必须是 YAML 映射（key: value）")
    allowed = RULE_FILE_FIELDS if rule_file else PACK_FIELDS
    unknown = sorted(set(map(str, data)) - allowed)
    if unknown:
        raise _problem(path, data.line_of(unknown[0]), f"未知的字段 '{unknown[0]}'（可用：{', '.join(sorted(allowed))}）")
    cats = CATEGORIES + tuple(c for c in categories if c not in CATEGORIES)
    cats += tuple(c for c in _str_list(data.get("categories"), "categories", path, data.line_of("categories")) if c not in cats)
    raw_rules = data.get("rules") or []
    if not isinstance(raw_rules, list):
        raise _problem(path, data.line_of("rules"), "'rules' 必须是列表")
    rules = tuple(parse_rule(r, path, cats) for r in raw_rules)
    settings = data.get("settings") or {}
    if not isinstance(settings, dict):
        raise _problem(path, data.line_of("settings"), "'settings' 必须是映射")
    for key, value in settings.items():
        if key not in SETTINGS_FIELDS:
            raise _problem(path, settings.line_of(key), f"未知的设置 '{key}'（可用：{', '.join(sorted(SETTINGS_FIELDS))}）")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
            raise _problem(path, settings.line_of(key), f"设置 '{key}' 必须是正数")
    masking = _str_list(data.get("masking"), "masking", path, data.line_of("masking"))
    for pattern in masking:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise _problem(path, data.line_of("masking"), f"masking 的 {pattern!r} 不是有效的正则表达式：{exc}") from None
    name = data.get("name", "")
    if not isinstance(name, str):
        raise _problem(path, data.line_of("name"), "'name' 必须是字符串")
    return PackSource(
        path=path,
        name=name,
        description=str(data.get("description") or ""),
        extends=_str_list(data.get("extends"), "extends", path, data.line_of("extends")),
        extends_line=data.key_lines.get("extends"),
        disable=_str_list(data.get("disable"), "disable", path, data.line_of("disable")),
        settings=dict(settings),
        protected=_str_list(data.get("protected"), "protected", path, data.line_of("protected")),
        masking=masking,
        categories=cats,
        rules=rules,
    )


def combine_sources(main: PackSource, rule_files: list[PackSource]) -> PackSource:
    """One pack made of a ``pack.yml`` and its sibling rule files; duplicate ids are errors."""
    rules = list(main.rules)
    for extra in rule_files:
        rules.extend(extra.rules)
    _check_duplicates(rules)
    return replace(main, rules=tuple(rules))


def _check_duplicates(rules: list[Rule]) -> None:
    seen: dict[str, Rule] = {}
    for rule in rules:
        if rule.id in seen:
            first = seen[rule.id]
            raise _problem(rule.source, rule.line, f"规则 id 重复（首次定义在 {first.source}:{first.line}）", rule.id)
        seen[rule.id] = rule


def layer(parents: list[Pack], child: PackSource) -> Pack:
    """Resolve ``extends``: parents' rules in order, then the child's; same id overrides."""
    rules: dict[str, Rule] = {}
    protected: list[str] = []
    masking: list[re.Pattern[str]] = []
    settings: dict[str, Any] = {}
    sources: list[str] = []
    for parent in parents:
        rules.update({r.id: r for r in parent.rules})
        protected.extend(p for p in parent.protected if p not in protected)
        masking.extend(m for m in parent.masking if m not in masking)
        settings.update(parent.settings.__dict__)
        sources.extend(s for s in parent.sources if s not in sources)
    for rule_id in child.disable:
        if rule_id not in rules:
            raise _problem(child.path, None, f"'disable' 里的规则 '{rule_id}' 不存在")
        del rules[rule_id]
    rules.update({r.id: r for r in child.rules})
    protected.extend(p for p in child.protected if p not in protected)
    masking.extend(re.compile(m) for m in child.masking if re.compile(m) not in masking)
    settings.update(child.settings)
    sources.append(child.path)
    return Pack(
        name=child.name or (parents[-1].name if parents else ""),
        description=child.description,
        rules=tuple(rules.values()),
        protected=tuple(protected),
        masking=tuple(masking),
        settings=Settings(**settings),
        sources=tuple(sources),
    )
