"""Where bundled data lives: inside the wheel, or at the repository root in a checkout."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def bundled_styles_dir() -> Path:
    inside = _PACKAGE / "styles"  # wheel: styles/ is force-included here
    if inside.is_dir():
        return inside
    return _PACKAGE.parent / "styles"  # source checkout / editable install
