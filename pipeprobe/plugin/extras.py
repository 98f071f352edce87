"""Optional extras a suite needs: ``require_extra("audio")`` at a suite module's top skips the whole
module with one line naming the extra when its packages are missing (the core installs text models only)."""

from __future__ import annotations

import importlib.util

import pytest

# extra -> the modules it provides (import names), as pyproject.toml's [project.optional-dependencies]
EXTRAS: dict[str, tuple[str, ...]] = {
    "audio": ("soundfile", "librosa"),
    "vision": ("PIL",),
    "translation": ("sentencepiece",),
    "report": ("pytest_html", "matplotlib"),
    "parallel": ("xdist",),
    "carbon": ("codecarbon",),
}


def missing(extra: str) -> list[str]:
    """The modules of ``extra`` that can't be imported here (found without importing them)."""
    return [name for name in EXTRAS[extra] if importlib.util.find_spec(name) is None]


def require_extra(*extras: str) -> None:
    """Skip the calling suite module, in one line, unless every named extra is installed."""
    for extra in extras:
        if absent := missing(extra):
            pytest.skip(f"needs pipeprobe[{extra}] ({', '.join(absent)} missing): pip install 'pipeprobe[{extra}]'",
                        allow_module_level=True)
