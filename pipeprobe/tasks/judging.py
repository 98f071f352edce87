"""A field-by-field judge shared by adapters whose results are flat mappings.

Each ``expect`` key names an output field and how to check it:
``<field>_contains`` (a substring or list member), ``<field>_below`` / ``<field>_above``
(a number bound), ``<field>_len`` (a length), ``<field>_first`` (the first item),
otherwise the field must equal the value.
"""

from __future__ import annotations

from typing import Any

_SUFFIXES = ("_contains", "_below", "_above", "_len", "_first")


def judge_fields(expect: dict[str, Any], output: Any) -> list[str]:
    """What a person expected and did not get, one line per expectation."""
    if not isinstance(output, dict):
        return [f"expected a mapping of results, got {output!r}"]
    problems = []
    for key, wanted in expect.items():
        field, check = _split(key)
        if field not in output:
            problems.append(f"expected a {field!r} in the output, got only {sorted(output)}")
            continue
        value = output[field]
        if check == "_contains" and wanted not in value:
            problems.append(f"expected {field} to contain {wanted!r}, got {value!r}")
        elif check == "_below" and not value < wanted:
            problems.append(f"expected {field} below {wanted!r}, got {value!r}")
        elif check == "_above" and not value > wanted:
            problems.append(f"expected {field} above {wanted!r}, got {value!r}")
        elif check == "_len" and len(value) != wanted:
            problems.append(f"expected {field} of length {wanted}, got {len(value)}")
        elif check == "_first" and (not value or value[0] != wanted):
            problems.append(f"expected {field} to start with {wanted!r}, got {value!r}")
        elif check == "" and value != wanted:
            problems.append(f"expected {field} = {wanted!r}, got {value!r}")
    return problems


def _split(key: str) -> tuple[str, str]:
    for suffix in _SUFFIXES:
        if key.endswith(suffix) and len(key) > len(suffix):
            return key[: -len(suffix)], suffix
    return key, ""
