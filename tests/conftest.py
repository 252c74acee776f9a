from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def default_pack():
    from kbtool.services.packs import load_pack

    return load_pack(str(ROOT / "styles" / "default"))


@pytest.fixture(scope="session")
def default_detector(default_pack):
    from kbtool.core.detect import Detector

    return Detector(default_pack)


@pytest.fixture
def write(tmp_path: Path):
    """Write text (or bytes) to a file under tmp_path and return its path."""

    def _write(name: str, content: str | bytes) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return path

    return _write
