"""Finding and reading style packs on disk; validation and layering live in the core."""

from __future__ import annotations

from pathlib import Path

from kbtool.core.article import decode
from kbtool.core.errors import InputProblem, KbInputError
from kbtool.core.stylepack import Pack, PackSource, combine_sources, layer, parse_pack_source
from kbtool.core.yamlsrc import load_yaml
from kbtool.resources import bundled_styles_dir

DEFAULT_PACK = "default"
PACK_FILE = "pack.yml"


def search_dirs(extra: list[Path] | None = None) -> list[Path]:
    dirs = list(extra or [])
    dirs += [Path.cwd() / "styles", bundled_styles_dir()]
    return dirs


def resolve(spec: str, base: Path | None = None, extra_dirs: list[Path] | None = None) -> Path:
    """A pack spec (path or name) to a file or directory."""
    as_path = Path(spec).expanduser()
    candidates = [as_path] if as_path.is_absolute() else []
    if not as_path.is_absolute():
        if base is not None:
            candidates.append(base / spec)
        candidates.append(Path.cwd() / spec)
        for d in search_dirs(extra_dirs):
            candidates.append(d / spec)
    for cand in candidates:
        for option in (cand, cand.with_name(cand.name + ".yml"), cand.with_name(cand.name + ".yaml")):
            if option.is_dir() and (option / PACK_FILE).is_file():
                return option
            if option.is_file():
                return option
    where = "、".join(str(d) for d in search_dirs(extra_dirs))
    raise KbInputError(InputProblem(spec, None, f"找不到规则包（在 {where} 里找过同名文件或含 {PACK_FILE} 的文件夹）"))


def _read_yaml(path: Path):  # type: ignore[no-untyped-def]
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise KbInputError(InputProblem(str(path), None, f"无法读取：{exc.strerror}")) from None
    text, _ = decode(data, str(path))
    return load_yaml(text, str(path))


def read_source(path: Path) -> PackSource:
    """One pack as written: a single file, or a folder of pack.yml plus rule files."""
    if path.is_dir():
        main = parse_pack_source(_read_yaml(path / PACK_FILE), str(path / PACK_FILE))
        others = sorted(p for p in path.iterdir() if p.suffix in (".yml", ".yaml") and p.name != PACK_FILE)
        rule_files = [parse_pack_source(_read_yaml(p), str(p), rule_file=True, categories=main.categories) for p in others]
        source = combine_sources(main, rule_files)
    else:
        source = combine_sources(parse_pack_source(_read_yaml(path), str(path)), [])
    if not source.name:
        source = PackSource(**{**source.__dict__, "name": path.stem if path.is_file() else path.name})
    return source


def load_pack(spec: str | None = None, extra_dirs: list[Path] | None = None) -> Pack:
    """Load a pack by name or path, resolving ``extends``; cycles are errors."""
    return _load(resolve(spec or DEFAULT_PACK, extra_dirs=extra_dirs), [], extra_dirs)


def _load(path: Path, stack: list[tuple[Path, PackSource]], extra_dirs: list[Path] | None) -> Pack:
    path = path.resolve()
    if path in [p for p, _ in stack]:
        chain = " -> ".join(p.name for p in [*(p for p, _ in stack), path])
        child = stack[-1][1]
        raise KbInputError(InputProblem(child.path, child.extends_line, f"'extends' 形成了循环：{chain}"))
    source = read_source(path)
    base = path if path.is_dir() else path.parent
    parents = []
    for parent_spec in source.extends:
        try:
            parent_path = resolve(parent_spec, base=base.parent if path.is_dir() else base, extra_dirs=extra_dirs)
        except KbInputError:
            raise KbInputError(InputProblem(source.path, source.extends_line,
                                            f"'extends' 里的规则包 '{parent_spec}' 不存在")) from None
        parents.append(_load(parent_path, [*stack, (path, source)], extra_dirs))
    return layer(parents, source)
