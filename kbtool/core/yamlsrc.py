"""YAML loading that remembers the line of every mapping and key, for error messages."""

from __future__ import annotations

from typing import Any

import yaml

from kbtool.core.errors import InputProblem, KbInputError


class LineDict(dict):  # type: ignore[type-arg]
    """A mapping from YAML that knows its own line and each key's line (1-based)."""

    line: int = 0
    key_lines: dict[str, int]

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


# libyaml's parser when PyYAML was built with it (the wheels are): ~10x faster front matter.
_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _LineLoader(_Base):  # type: ignore[misc, valid-type]
    pass


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    out = LineDict()
    out.line = node.start_mark.line + 1
    out.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            hash(key)
        except TypeError:
            raise yaml.constructor.ConstructorError(
                None, None, "映射的键不能是列表或映射", key_node.start_mark
            ) from None
        if key in out:
            raise yaml.constructor.ConstructorError(
                None, None, f"重复的键 {key!r}", key_node.start_mark
            )
        out[key] = loader.construct_object(value_node, deep=True)
        out.key_lines[str(key)] = key_node.start_mark.line + 1
    return out


def _construct_timestamp(loader: _LineLoader, node: yaml.ScalarNode) -> Any:
    # 2024-13-45 looks like a date to YAML and raises a bare ValueError from datetime
    try:
        return yaml.constructor.SafeConstructor.construct_yaml_timestamp(loader, node)
    except ValueError as exc:
        raise yaml.constructor.ConstructorError(
            None, None, f"日期无效：{node.value}（{_DATE_ERRORS.get(str(exc), str(exc))}）", node.start_mark
        ) from None


_DATE_ERRORS = {
    "month must be in 1..12": "月份必须在 1 到 12 之间",
    "day is out of range for month": "这个月没有这一天",
    "year 0 is out of range": "年份不能是 0",
}

_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_LineLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)

# PyYAML's own words for the mistakes people make by hand, said in the interface's language.
_PROBLEMS = (
    ("did not find expected ',' or ']'", "方括号列表没有闭合（缺少 ] 或逗号）"),
    ("did not find expected ',' or '}'", "花括号没有闭合（缺少 } 或逗号）"),
    ("mapping values are not allowed", "这里不能出现“键: 值”（值里有冒号时请加引号）"),
    ("found character '\\t' that cannot start any token", "不能用 Tab 缩进，请用空格"),
    ("found unexpected end of stream", "文件在引号或括号闭合之前就结束了"),
    ("could not find expected ':'", "缺少冒号“:”"),
    ("did not find expected key", "缩进不对：这里应当是一个“键:”"),
    ("did not find expected '-' indicator", "缩进不对：列表项应以“- ”开头并对齐"),
    ("found undefined alias", "引用了未定义的锚点（*别名）"),
    ("expected <block end>, but found", "缩进不对"),
    ("found unexpected ':'", "多了一个冒号（值里有冒号时请加引号）"),
    ("found unknown escape character", "引号里有无效的转义字符（\\ 后面的字母）"),
)


def _problem_text(problem: str) -> str:
    for english, chinese in _PROBLEMS:
        if problem.startswith(english):
            return chinese
    return problem


def load_yaml(text: str, path: str, line_offset: int = 0) -> Any:
    """Parse YAML; a syntax error becomes one ``path:line: message`` problem."""
    try:
        return yaml.load(text, Loader=_LineLoader)
    except yaml.YAMLError as exc:
        problem_mark = getattr(exc, "problem_mark", None)
        context_mark = getattr(exc, "context_mark", None)
        # an unclosed bracket or quote is noticed lines later: name the line where it opened
        mark = context_mark if context_mark is not None and (
            problem_mark is None or context_mark.line < problem_mark.line) else problem_mark
        line = mark.line + 1 + line_offset if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise KbInputError(InputProblem(path, line, f"YAML 格式错误：{_problem_text(problem)}")) from None


def shift_lines(data: Any, offset: int) -> None:
    """Move every recorded line by ``offset`` (for YAML embedded in a larger file)."""
    if isinstance(data, LineDict):
        data.line += offset
        data.key_lines = {k: v + offset for k, v in data.key_lines.items()}
        for value in data.values():
            shift_lines(value, offset)
    elif isinstance(data, list):
        for value in data:
            shift_lines(value, offset)
