"""The one strict JSON reader: every JSON file pipeprobe reads (baselines, drift reports, durations) goes through it.

Strict means: no NaN or Infinity, no duplicate keys (json would keep the last one silently), and
nesting no deeper than ``MAX_DEPTH`` (checked before parsing, so a file nested 10^5 deep is one
line, not a RecursionError).
"""

from __future__ import annotations

import json
import re
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
