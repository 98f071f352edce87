"""The one strict JSON reader: every JSON file pipeprobe owns or a user edits goes through it (baselines, drift
reports, durations, the fingerprint cache, case data lines, codecarbon's energy-mix table).

Strict means: no NaN or Infinity, no duplicate keys (json would keep the last one silently), and
nesting no deeper than ``MAX_DEPTH`` (checked before parsing, so a file nested 10^5 deep is one
line, not a RecursionError). ``non_finite_path`` is the one check of a value about to be written:
where it holds a NaN or an infinity, which strict JSON can't.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

MAX_DEPTH = 64
_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"', re.S)
_BRACKETS = re.compile(r"[\[\]{}]")


class StrictJSONError(ValueError):
    """Why a text is not strict JSON; one line."""


def nesting_depth(text: str) -> int:
    """The deepest bracket nesting of a JSON text (strings skipped)."""
    depth = deepest = 0
    for bracket in _BRACKETS.findall(_STRINGS.sub('""', text)):
        depth += 1 if bracket in "[{" else -1
        deepest = max(deepest, depth)
    return deepest


def _refuse_constant(name: str) -> Any:
    raise StrictJSONError(f"holds {name}, which strict JSON does not allow")


def _refuse_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for key, value in pairs:
        if key in found:
            raise StrictJSONError(f"key {key!r} appears twice in one object")
        found[key] = value
    return found


def loads(text: str) -> Any:
    """The value of a strict JSON text, or StrictJSONError saying why it is not one."""
    if nesting_depth(text) > MAX_DEPTH:
        raise StrictJSONError(f"nested deeper than {MAX_DEPTH} levels")
    try:
        return json.loads(text, parse_constant=_refuse_constant, object_pairs_hook=_refuse_duplicates)
    except StrictJSONError:
        raise
    except (json.JSONDecodeError, RecursionError) as error:
        raise StrictJSONError(f"not valid JSON ({error})") from None


def read(path: Path) -> Any:
    """A strict JSON file's value; StrictJSONError (one line, without the path) when it can't be one."""
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        raise StrictJSONError(f"cannot read it ({error.strerror or error})") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise StrictJSONError(f"not UTF-8 text (byte {error.start})") from None
    return loads(text)


def dumps(value: Any, *, indent: int | None = 2) -> str:
    """Strict JSON text (ValueError on NaN or Infinity), UTF-8 characters kept, a final newline."""
    return json.dumps(value, indent=indent, ensure_ascii=False, allow_nan=False) + "\n"


def is_non_finite(value: Any) -> bool:
    """Whether ``value`` is a NaN or an infinity (a float strict JSON can't hold)."""
    return isinstance(value, float) and not math.isfinite(value)


def non_finite_places(value: Any, path: str = "output") -> Iterator[str]:
    """Each place where ``value`` holds a NaN or an infinity (``output.scores[2]``), in document order
    (``path=""``: a whole record's places, ``output.score``)."""
    if isinstance(value, dict):
        pairs: Iterator[tuple[Any, Any]] = iter(value.items())
        template = "{}.{}" if path else "{}{}"
    elif isinstance(value, (list, tuple)):
        pairs, template = enumerate(value), "{}[{}]"
    else:
        if is_non_finite(value):
            yield path
        return
    for key, item in pairs:  # leaves checked here: a long list of scores costs no call per number
        if isinstance(item, float):
            if not math.isfinite(item):
                yield template.format(path, key)
        elif isinstance(item, (dict, list, tuple)):
            yield from non_finite_places(item, template.format(path, key))


def non_finite_path(value: Any, path: str = "output") -> str | None:
    """The first place where ``value`` holds a NaN or an infinity, or None: strict JSON holds neither."""
    return next(non_finite_places(value, path), None)
