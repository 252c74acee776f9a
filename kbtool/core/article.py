"""Articles and announcements: decoding, front matter, and the regions that are never checked."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field

from kbtool.core.errors import InputProblem, KbInputError
from kbtool.core.yamlsrc import LineDict, load_yaml, shift_lines

KINDS = ("article", "announcement")
ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
FIELDS = {
    "id", "title", "kind", "category", "tags", "updated",
    "valid_from", "valid_until", "questions",
}


@dataclass(frozen=True)
class Article:
    """One knowledge-base file, decoded, with its metadata and the spans never checked."""

    path: str
    id: str
    title: str
    kind: str
    category: str
    text: str
    body_start: int = 0
    tags: tuple[str, ...] = ()
    updated: dt.date | None = None
    valid_from: dt.date | None = None
    valid_until: dt.date | None = None
    questions: tuple[str, ...] = ()
    skip: tuple[tuple[int, int], ...] = ()
    verbatim: tuple[tuple[int, int], ...] = ()
    encoding: str = "utf-8"
    meta_lines: dict[str, int] = field(default_factory=dict, compare=False, repr=False)
    sidecar_text: str = field(default="", repr=False)  # the .yml beside a .txt export, if any

    @property
    def body(self) -> str:
        return self.text[self.body_start:]

    @property
    def content_hash(self) -> str:
        # A .txt export's metadata file is part of the article: editing it is a change.
        data = self.text if not self.sidecar_text else f"{self.text}\x00{self.sidecar_text}"
        return hashlib.sha256(data.encode("utf-8")).hexdigest()

    @property
    def verbatim_texts(self) -> list[str]:
        return [self.text[s:e] for s, e in self.verbatim]

    def is_expired(self, today: dt.date) -> bool:
        return self.valid_until is not None and self.valid_until < today


def decode(data: bytes, path: str) -> tuple[str, str]:
    """Bytes to text: UTF-8 (BOM stripped), UTF-16 with BOM, else GB18030 (covers GBK)."""
    if data.startswith(b"\xef\xbb\xbf"):
        candidates = ["utf-8-sig"]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        candidates = ["utf-16"]
    else:
        if b"\x00" in data:
            raise KbInputError(InputProblem(path, None, "是二进制文件（含 NUL 字节），不是文本"))
        candidates = ["utf-8", "gb18030"]
    for encoding in candidates:
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError as exc:
            last = exc
    line = data[: last.start].count(b"\n") + 1
    raise KbInputError(
        InputProblem(path, line, f"无法按 {' 或 '.join(candidates)} 解码（偏移 {last.start} 处的字节无效）")
    )


_FENCE = re.compile(r"^(?P<indent>[ \t]{0,3})(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>[^\n`]*?)[ \t]*\r?$", re.M)
_INLINE_CODE = re.compile(r"`[^`\n]+`")
_COMMENT = re.compile(r"<!--.*?-->", re.S)
_URL = re.compile(r"https?://[^\s)）>\]]+")


def _line_at(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _scan_body(text: str, start: int, path: str) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """Spans to skip (code, comments, URLs, verbatim blocks) and verbatim contents."""
    skip: list[tuple[int, int]] = []
    verbatim: list[tuple[int, int]] = []
    pos = start
    while True:
        m = _FENCE.search(text, pos)
        if not m:
            break
        fence = m.group("fence")
        info = m.group("info").strip().split()[:1]
        closing = re.compile(rf"^[ \t]{{0,3}}{re.escape(fence[0])}{{{len(fence)},}}[ \t]*\r?$", re.M)
        end_m = closing.search(text, m.end() + 1)
        if not end_m:
            kind = "照读块" if info == ["verbatim"] else "代码块"
            raise KbInputError(
                InputProblem(path, _line_at(text, m.start()), f"这里开始的{kind}（{fence}）没有结束")
            )
        skip.append((m.start(), end_m.end()))
        if info == ["verbatim"]:
            content_start = min(m.end() + 1, end_m.start())
            content_end = max(content_start, end_m.start() - 1)
            if text[content_end - 1:content_end] == "\r":
                content_end -= 1
            verbatim.append((content_start, content_end))
        pos = end_m.end()
    for pattern in (_INLINE_CODE, _COMMENT, _URL):
        for m in pattern.finditer(text, start):
            if not any(s <= m.start() < e for s, e in skip):
                skip.append(m.span())
    skip.sort()
    return skip, verbatim


def _as_date(value: object, key: str, meta: LineDict, path: str) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise KbInputError(InputProblem(path, meta.line_of(key), f"'{key}' 必须是 2024-03-16 这样的日期，现在是 {value!r}"))


def _as_str_list(value: object, key: str, meta: LineDict, path: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, (str, int)) for v in value):
        raise KbInputError(InputProblem(path, meta.line_of(key), f"'{key}' 必须是字符串列表"))
    items = tuple(str(v).strip() for v in value)
    if any(not v for v in items):
        raise KbInputError(InputProblem(path, meta.line_of(key), f"'{key}' 里有空的条目"))
    return items


def _as_str(meta: LineDict, key: str, path: str, required: bool) -> str:
    value = meta.get(key)
    if value is None:
        if required:
            raise KbInputError(InputProblem(path, meta.line, f"YAML 头缺少 '{key}'"))
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and key in ("id", "category"):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        raise KbInputError(InputProblem(path, meta.line_of(key), f"'{key}' 必须是非空的字符串"))
    return value.strip()


def _front_matter(text: str, path: str) -> tuple[LineDict | None, int]:
    """The front-matter mapping and the offset where the body starts."""
    first = text.split("\n", 1)[0].rstrip("\r")
    if first.strip() != "---":
        return None, 0
    m = re.compile(r"^(?:---|\.\.\.)[ \t]*\r?$", re.M).search(text, len(first) + 1)
    if not m:
        raise KbInputError(InputProblem(path, 1, "以 '---' 开始的 YAML 头没有结束（缺少第二个 '---'）"))
    raw = text[len(first) + 1:m.start()]
    meta = load_yaml(raw, path, line_offset=1)
    if meta is None:
        meta = LineDict()
        meta.line, meta.key_lines = 1, {}
    if not isinstance(meta, LineDict):
        raise KbInputError(InputProblem(path, 2, "YAML 头必须是键值映射（key: value）"))
    shift_lines(meta, 1)
    body_start = m.end() + 1 if m.end() < len(text) else m.end()
    return meta, min(body_start, len(text))


def sidecar_path(path: str) -> str | None:
    """Where a plain-text article keeps its metadata: ``name.yml`` beside ``name.txt``."""
    return path[:-4] + ".yml" if path.lower().endswith(".txt") else None


def parse_article(data: bytes | str, path: str, default_id: str | None = None,
                  sidecar: bytes | str | None = None) -> Article:
    """Parse one file's bytes (or already decoded text) into an Article, or raise KbInputError.

    A ``.txt`` export has no front matter: the file name is its id and its first line its title,
    unless ``sidecar`` (the text of ``name.yml``, see :func:`sidecar_path`) supplies front-matter
    fields such as ``questions`` - teams often cannot edit the exported text itself.
    """
    if isinstance(data, bytes):
        text, encoding = decode(data, path)
    else:
        text, encoding = data, "utf-8"
    stem = default_id or path.replace("\\", "/").rsplit("/", 1)[-1].rsplit(".", 1)[0]
    if path.lower().endswith(".txt"):
        title = next((ln.strip() for ln in text.splitlines() if ln.strip()), stem)
        if sidecar is None:
            skip, verbatim = _scan_body(text, 0, path)
            return Article(path=path, id=stem, title=title, kind="article", category="",
                           text=text, skip=tuple(skip), verbatim=tuple(verbatim), encoding=encoding)
        meta_path = sidecar_path(path) or path
        raw = decode(sidecar, meta_path)[0] if isinstance(sidecar, bytes) else sidecar
        meta = load_yaml(raw, meta_path)
        if meta is None:
            meta = LineDict()
            meta.line, meta.key_lines = 1, {}
        if not isinstance(meta, LineDict):
            raise KbInputError(InputProblem(meta_path, 1, "元数据必须是 YAML 键值映射（key: value）"))
        for key, value in (("id", stem), ("title", title), ("kind", "article")):
            meta.setdefault(key, value)
        return dataclasses.replace(_from_meta(meta, text, 0, meta_path, encoding, article_path=path), sidecar_text=raw)
    meta, body_start = _front_matter(text, path)
    if meta is None:
        raise KbInputError(InputProblem(path, 1, "缺少 YAML 头（Markdown 文章以 '---' 开头）"))
    return _from_meta(meta, text, body_start, path, encoding)


def _from_meta(meta: LineDict, text: str, body_start: int, path: str, encoding: str,
               article_path: str | None = None) -> Article:
    """Validate front-matter fields (problems name ``path``, where they were written)."""
    unknown = sorted(set(map(str, meta)) - FIELDS)
    if unknown:
        key = unknown[0]
        raise KbInputError(
            InputProblem(path, meta.line_of(key), f"未知的 YAML 头字段 '{key}'（可用：{', '.join(sorted(FIELDS))}）")
        )
    art_id = _as_str(meta, "id", path, required=True)
    if not ID_RE.match(art_id):
        raise KbInputError(InputProblem(path, meta.line_of("id"), f"id {art_id!r} 只能由 ASCII 字母、数字、'-'、'_' 或 '.' 组成"))
    kind = _as_str(meta, "kind", path, required=True)
    if kind not in KINDS:
        raise KbInputError(InputProblem(path, meta.line_of("kind"), f"kind 必须是 {', '.join(KINDS)} 之一，现在是 {kind!r}"))
    valid_from = _as_date(meta.get("valid_from"), "valid_from", meta, path)
    valid_until = _as_date(meta.get("valid_until"), "valid_until", meta, path)
    if kind == "article" and (valid_from or valid_until):
        key = "valid_from" if valid_from else "valid_until"
        raise KbInputError(InputProblem(path, meta.line_of(key), f"'{key}' 只用于公告（kind: announcement）"))
    if kind == "announcement" and valid_from is None:
        raise KbInputError(InputProblem(path, meta.line, "公告必须有 'valid_from'"))
    if valid_from and valid_until and valid_until < valid_from:
        raise KbInputError(InputProblem(path, meta.line_of("valid_until"), "'valid_until' 早于 'valid_from'"))
    skip, verbatim = _scan_body(text, body_start, article_path or path)
    if body_start:
        skip.insert(0, (0, body_start))
    return Article(
        path=article_path or path,
        id=art_id,
        title=_as_str(meta, "title", path, required=True),
        kind=kind,
        category=_as_str(meta, "category", path, required=article_path is None),
        text=text,
        body_start=body_start,
        tags=_as_str_list(meta.get("tags"), "tags", meta, path),
        updated=_as_date(meta.get("updated"), "updated", meta, path),
        valid_from=valid_from,
        valid_until=valid_until,
        questions=_as_str_list(meta.get("questions"), "questions", meta, path),
        skip=tuple(skip),
        verbatim=tuple(verbatim),
        encoding=encoding,
        meta_lines=dict(meta.key_lines),
    )
