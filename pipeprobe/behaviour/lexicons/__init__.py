"""Built-in lexicons (English, Portuguese) for case templates and perturbations: package data, read once."""

from __future__ import annotations

import functools
from importlib import resources

LANGS = ("en", "pt")


class LexiconError(ValueError):
    """An unknown lexicon or language; one line."""


@functools.cache
def builtin(lang: str) -> dict[str, tuple[str, ...]]:
    """The built-in lexicons of ``lang`` (``en`` or ``pt``): name -> distinct words, in file order."""
    import yaml

    if lang not in LANGS:
        raise LexiconError(f"no built-in lexicons for language {lang!r} (have: {', '.join(LANGS)})")
    text = resources.files(__name__).joinpath(f"{lang}.yaml").read_text(encoding="utf-8")
    return {name: tuple(dict.fromkeys(str(word) for word in words)) for name, words in yaml.safe_load(text).items()}


def words(name: str, lang: str) -> tuple[str, ...]:
    """One built-in lexicon; LexiconError naming the known ones."""
    found = builtin(lang)
    if name not in found:
        raise LexiconError(f"no built-in lexicon {name!r} for {lang} (have: {', '.join(found)})")
    return found[name]
