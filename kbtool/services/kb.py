"""Reading knowledge-base files from disk; every unreadable file is one problem, never a crash."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from kbtool.core.article import Article, parse_article, sidecar_path
from kbtool.core.errors import InputProblem, KbInputError

ARTICLE_SUFFIXES = (".md", ".markdown", ".txt")


@dataclass
class KbLoad:
    articles: list[Article] = field(default_factory=list)
    problems: list[InputProblem] = field(default_factory=list)


def _is_article_file(path: Path, root: Path) -> bool:
    hidden = any(part.startswith(".") for part in path.relative_to(root).parts)
    return path.is_file() and path.suffix.lower() in ARTICLE_SUFFIXES and not hidden


def _walk(root: Path, problems: list[InputProblem]) -> list[Path]:
    """Article files under ``root``; a folder that cannot be listed is a problem (``rglob``
    would skip it without a word)."""
    found: list[Path] = []
    locked: list[InputProblem] = []

    def unreadable(exc: OSError) -> None:
        locked.append(InputProblem(exc.filename or str(root), None, f"无法读取文件夹：{exc.strerror}"))

    for folder, dirs, names in os.walk(root, onerror=unreadable):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        found.extend(Path(folder, n) for n in names)
    problems.extend(sorted(locked, key=lambda p: p.path))  # in path order, like the files
    return [p for p in sorted(found) if _is_article_file(p, root)]


def iter_files(paths: Iterable[Path], problems: list[InputProblem]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(_walk(path, problems))
        elif path.is_file():
            files.append(path)
        else:
            problems.append(InputProblem(str(path), None, "文件或文件夹不存在"))
    return files


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise KbInputError(InputProblem(str(path), None, f"无法读取：{exc.strerror}")) from None


def read_article(path: Path) -> Article:
    """One article file, with the metadata file of a ``.txt`` export when there is one."""
    data = _read(path)
    side = sidecar_path(str(path))
    sidecar = _read(Path(side)) if side and os.path.isfile(side) else None
    return parse_article(data, str(path), sidecar=sidecar)


def iter_articles(paths: Iterable[Path], problems: list[InputProblem]) -> Iterator[Article]:
    """Every readable article under ``paths``, one at a time; the others become ``problems``."""
    for file in iter_files(paths, problems):
        try:
            yield read_article(file)
        except KbInputError as exc:
            problems.extend(exc.problems)


def duplicate_id(article: Article, first: Article) -> InputProblem:
    """The problem line for ``article`` reusing the id ``first`` already has."""
    return duplicate_id_at(article.path, article.meta_lines.get("id"), article.id, first.path)


def duplicate_id_at(path: str, line: int | None, article_id: str, first_path: str) -> InputProblem:
    return InputProblem(path, line, f"文章 id '{article_id}' 重复（{first_path} 也用了）")


def load_articles(paths: Iterable[Path]) -> KbLoad:
    """Parse every article under ``paths``; problems are collected, the rest still load."""
    result = KbLoad()
    seen: dict[str, Article] = {}
    for article in iter_articles(paths, result.problems):
        if article.id in seen:
            result.problems.append(duplicate_id(article, seen[article.id]))
        else:
            seen[article.id] = article
        result.articles.append(article)
    return result
