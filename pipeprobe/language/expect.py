"""The expectation language: what a person expects of a probe's output, for every task.

An ``expect`` key is a path into the output: dict keys and list indices, dot-separated
(``scores.0``, ``entities.2.word``; a negative index counts from the end). Its value is
either a bare value (the output there must equal it) or one operator mapping:

``{approx: X, abs: A, rel: R}`` (within A, or R relative to X; default rel 1e-6),
``{above: X}``, ``{below: X}``, ``{between: [A, B]}`` (inclusive), ``{equals: V}``
(also for a whole mapping), ``{contains: V}`` (substring, list member or mapping key),
``{below: tier}`` / ``{approx: X, abs: tier}``: the bound is this run's tolerance tier (``TIER``,
bound by ``bind_tier`` when the run's device and dtype are known), for numerical-equality claims
that must hold in float32 and loosen with half precision, ``{matches: REGEX}`` (a search on a
string, Python's syntax, run by the ``regex`` module with a time bound: a pattern that backtracks
catastrophically fails its probe in one line instead of hanging), ``{one_of: [...]}``, ``{len: N}``.

A key the adapter declares as a named check (a judgement that is not a field check, such
as a ranking) goes to that check instead of being read as a path.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import regex

from pipeprobe.language.limits import MATCH_TIMEOUT_S, MAX_MATCH_INPUT_CHARS, MAX_PATTERN_CHARS

TIER = "tier"  # a bound that is the run's tolerance tier (its abs; rel for ``rel``)
OPERATORS = (
    "approx", "above", "below", "between", "equals", "contains", "matches", "one_of", "len",
    # issue 18: negation, and text operators (pipeprobe.language.text_ops)
    "not", "is_json", "json_schema", "similar", "levenshtein", "rouge",
)
_TEXT_OPERATORS = ("is_json", "json_schema", "similar", "levenshtein", "rouge")
_APPROX_OPTIONS = ("abs", "rel")
_DEFAULT_REL = 1e-6

# A named check: (wanted, output) -> a failure line, or None when it holds.
Check = Callable[[Any, Any], "str | None"]


class ExpectError(ValueError):
    """An ``expect`` entry that is not in the language (found when the probe file is read)."""


class ExpectMisfit(ValueError):
    """A path or operator that does not fit the output the model gave (not a wrong answer)."""


@dataclass(frozen=True)
class Expectation:
    """One parsed ``expect`` entry."""

    key: str
    path: tuple[str, ...]
    op: str
    value: Any
    abs: float | None = None
    rel: float | None = None

    def describe(self) -> str:
        """The expected value as a person reads it, tolerance included."""
        if self.op == "approx":
            return f"approx {self.value!r} ({_tolerance_words(self)})"
        if self.op == "equals":
            return repr(self.value)
        if self.op == "not":
            return f"not {self.value.describe()}"
        if self.op == "all":
            return " and ".join(item.describe() for item in self.value)
        return f"{self.op.replace('_', ' ')} {self.value!r}"


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _tolerance_words(expectation: Expectation) -> str:
    parts = []
    if expectation.abs is not None:
        parts.append(f"abs {expectation.abs:g}")
    if expectation.rel is not None or expectation.abs is None:
        parts.append(f"rel {expectation.rel if expectation.rel is not None else _DEFAULT_REL:g}")
    return "tolerance " + ", ".join(parts)


def parse(key: Any, wanted: Any) -> Expectation:
    """Read one ``expect`` entry; ExpectError (one line) when it is not in the language."""
    if isinstance(key, int) and not isinstance(key, bool):  # YAML reads `0:` as a number: a list index
        key = str(key)
    if not isinstance(key, str) or not key:
        raise ExpectError(f"expect key {key!r} must be a non-empty string path such as 'scores.0'")
    path = tuple(key.split("."))
    if any(not part for part in path):
        raise ExpectError(f"expect key {key!r}: empty step in the path (dot-separated keys and indices)")
    if _holds_nan(wanted):
        raise ExpectError(f"expect {key}: holds NaN (.nan), which equals nothing, not even NaN: it could never pass")
    if _is_operator_list(wanted):  # several operators on one path: all must hold
        return Expectation(key=key, path=path, op="all", value=tuple(parse(key, item) for item in wanted))
    if not isinstance(wanted, dict):
        return Expectation(key=key, path=path, op="equals", value=wanted)
    if set(wanted) == {"not"}:  # {not: {operator...}} or {not: value}
        return Expectation(key=key, path=path, op="not", value=parse(key, wanted["not"]))
    operators = [name for name in wanted if name in OPERATORS]
    if len(operators) != 1:
        raise ExpectError(
            f"expect {key}: {wanted!r} must be one operator mapping ({', '.join(OPERATORS)}); "
            "compare a whole mapping with {equals: {...}}"
        )
    op = operators[0]
    extra = sorted(str(name) for name in wanted if name != op and not (op == "approx" and name in _APPROX_OPTIONS))
    if extra:
        raise ExpectError(f"expect {key}: {op} takes no {', '.join(extra)} (approx alone takes abs and rel)")
    value = wanted[op]
    expectation = Expectation(key=key, path=path, op=op, value=value, abs=wanted.get("abs"), rel=wanted.get("rel"))
    _check_operand(expectation)
    return expectation


def bind_tier(expect: Mapping[str, Any], abs_bound: float, rel_bound: float) -> dict[str, Any]:
    """``expect`` with every ``tier`` bound replaced by this run's tier (``abs_bound``; ``rel_bound`` for rel)."""
    def bound(name: str, value: Any) -> Any:
        if value != TIER:
            return value
        return rel_bound if name == "rel" else abs_bound

    return {key: {name: bound(name, value) for name, value in wanted.items()} if isinstance(wanted, dict) else wanted
            for key, wanted in expect.items()}


def mentions_tier(expect: Mapping[str, Any]) -> bool:
    return any(isinstance(wanted, dict) and TIER in wanted.values() for wanted in expect.values())


def _holds_nan(value: Any) -> bool:
    if isinstance(value, float):
        return value != value
    if isinstance(value, dict):
        return any(_holds_nan(item) for item in value.values())
    return isinstance(value, list | tuple) and any(_holds_nan(item) for item in value)


def _is_operator_list(wanted: Any) -> bool:
    """A list of operator mappings (``[{above: 0.5}, {below: 0.9}]``), not a list value to equal."""
    return isinstance(wanted, list) and bool(wanted) and all(
        isinstance(item, dict) and len(item) >= 1 and any(name in OPERATORS for name in item) for item in wanted
    )


def _check_operand(e: Expectation) -> None:
    where = f"expect {e.key}: {e.op}"
    if e.op in _TEXT_OPERATORS:
        from pipeprobe.language.text_ops import TextOpError, check

        try:
            check(e.op, e.value)
        except TextOpError as error:
            raise ExpectError(f"expect {e.key}: {error}") from None
    if e.op in ("above", "below") and e.value == TIER or e.op == "approx" and TIER in (e.abs, e.rel):
        return  # bound to a number when the run's target is known (bind_tier)
    if e.op in ("approx", "above", "below") and not _finite(e.value):
        raise ExpectError(f"{where} needs a finite number, not {e.value!r}")
    if e.op == "approx":
        for name, bound in (("abs", e.abs), ("rel", e.rel)):
            if bound is not None and not (_finite(bound) and bound >= 0):
                raise ExpectError(f"{where}: {name} must be a finite number >= 0, not {bound!r}")
    if e.op == "between":
        if not (isinstance(e.value, list) and len(e.value) == 2 and all(_finite(v) for v in e.value)):
            raise ExpectError(f"{where} needs [low, high] (two finite numbers), not {e.value!r}")
        if e.value[0] > e.value[1]:
            raise ExpectError(f"{where}: low {e.value[0]!r} is above high {e.value[1]!r}")
    if e.op == "matches":
        if not isinstance(e.value, str):
            raise ExpectError(f"{where} needs a regular expression (a string), not {e.value!r}")
        if len(e.value) > MAX_PATTERN_CHARS:
            raise ExpectError(f"{where}: the pattern is {len(e.value):,} characters, over the limit of "
                              f"{MAX_PATTERN_CHARS:,}")
        try:
            regex.compile(e.value)
        except regex.error as error:
            raise ExpectError(f"{where}: {e.value!r} is not a regular expression: {error}") from None
    if e.op == "one_of" and not isinstance(e.value, list):
        raise ExpectError(f"{where} needs a list of accepted values, not {e.value!r}")
    if e.op == "len" and not (isinstance(e.value, int) and not isinstance(e.value, bool) and e.value >= 0):
        raise ExpectError(f"{where} needs a whole number >= 0, not {e.value!r}")


def _search(e: Expectation, text: str) -> bool:
    """``matches``: a search bounded in time and input size; ExpectMisfit (one line) past either bound."""
    if len(text) > MAX_MATCH_INPUT_CHARS:
        raise ExpectMisfit(f"path {e.key}: matches on {len(text):,} characters, over the limit of "
                           f"{MAX_MATCH_INPUT_CHARS:,}")
    try:
        return regex.search(e.value, text, timeout=MATCH_TIMEOUT_S) is not None
    except TimeoutError:
        raise ExpectMisfit(
            f"path {e.key}: matches {e.value!r} gave no answer within {MATCH_TIMEOUT_S:g} s on {len(text):,} "
            "characters (catastrophic backtracking: nested quantifiers such as (a+)+); simplify the pattern"
        ) from None


def _finite(value: Any) -> bool:
    return _is_number(value) and math.isfinite(value)


def validate(
    expect: Any, named_checks: Mapping[str, Any] | None = None, fields: tuple[str, ...] = ()
) -> list[str]:
    """Every fault of an ``expect`` mapping, one line each (empty when it is well formed).

    ``fields``: the top-level keys the task's results have, when its adapter declares them; a path
    that starts with another key (a typo such as ``labl``) is a fault here, before any model loads.
    """
    if not isinstance(expect, dict):
        return [f"expect must be a mapping of paths to expected values, not {type(expect).__name__}"]
    problems = []
    for key, wanted in expect.items():
        if named_checks and key in named_checks:
            continue
        try:
            parse(key, wanted)
        except ExpectError as error:
            problems.append(str(error))
            continue
        first = str(key).split(".", 1)[0]
        if fields and first not in fields:
            known = ", ".join([*fields, *(named_checks or {})])
            problems.append(f"expect path {key}: this task's output has no {first!r} (it has: {known})")
    return problems


def resolve(output: Any, path: tuple[str, ...]) -> Any:
    """The value at ``path`` in ``output``; ExpectMisfit (one line) when the path doesn't fit."""
    value = output
    for depth, step in enumerate(path):
        here = ".".join(path[:depth]) or "the output"
        if isinstance(value, dict):
            if step not in value:
                keys = ", ".join(map(str, value)) or "none"
                raise ExpectMisfit(f"path {'.'.join(path)}: {here} has no key {step!r} (keys: {keys})")
            value = value[step]
        elif isinstance(value, list):
            try:
                index = int(step)
            except ValueError:
                raise ExpectMisfit(
                    f"path {'.'.join(path)}: {here} is a list, so {step!r} must be an index"
                ) from None
            if not -len(value) <= index < len(value):
                raise ExpectMisfit(f"path {'.'.join(path)}: {here} has {len(value)} item(s), no index {index}")
            value = value[index]
        else:
            raise ExpectMisfit(
                f"path {'.'.join(path)}: {here} is {_kind(value)} {_short(value)}, which has no {step!r}"
            )
    return value


def holds(e: Expectation, got: Any) -> bool:
    """Whether the value at the path meets the expectation; ExpectMisfit when the operator can't apply."""
    if e.op == "equals":
        return _equal(got, e.value)
    if e.op == "not":
        return not holds(e.value, got)
    if e.op == "all":
        return all(holds(item, got) for item in e.value)
    if e.op in _TEXT_OPERATORS:
        from pipeprobe.language.text_ops import measure

        try:
            return measure(e.op, e.value, got)[0]
        except ValueError as error:
            raise ExpectMisfit(f"path {e.key}: {error}") from None
    if e.op == "one_of":
        return any(_equal(got, option) for option in e.value)
    if e.op in ("approx", "above", "below", "between"):
        if not _is_number(got):
            raise ExpectMisfit(f"path {e.key}: {e.op} needs a number, but the output is {_kind(got)} {_short(got)}")
        if e.op == "approx":
            return abs(got - e.value) <= _allowed(e)
        if e.op == "above":
            return got > e.value
        if e.op == "below":
            return got < e.value
        return e.value[0] <= got <= e.value[1]
    if e.op == "contains":
        if isinstance(got, str):
            if not isinstance(e.value, str):
                raise ExpectMisfit(f"path {e.key}: contains on a string needs a string, not {e.value!r}")
            return e.value in got
        if isinstance(got, list | dict):
            return any(_equal(item, e.value) for item in got)
        raise ExpectMisfit(f"path {e.key}: contains needs a string, list or mapping, not {_kind(got)} {_short(got)}")
    if e.op == "matches":
        if not isinstance(got, str):
            raise ExpectMisfit(f"path {e.key}: matches needs a string, but the output is {_kind(got)} {_short(got)}")
        return _search(e, got)
    if e.op == "len":
        if not isinstance(got, str | list | dict):
            raise ExpectMisfit(f"path {e.key}: len needs a string, list or mapping, not {_kind(got)} {_short(got)}")
        return len(got) == e.value
    raise ExpectMisfit(f"path {e.key}: unknown operator {e.op!r}")  # parse() lets none through


def _allowed(e: Expectation) -> float:
    bounds = []
    if e.abs is not None:
        bounds.append(e.abs)
    if e.rel is not None or e.abs is None:
        bounds.append((e.rel if e.rel is not None else _DEFAULT_REL) * abs(e.value))
    return max(bounds)


def failure(e: Expectation, got: Any) -> str:
    """The line a person reads when the expectation does not hold."""
    if e.op == "all":  # the first operator that does not hold
        return next(failure(item, got) for item in e.value if not holds(item, got))
    if e.op in _TEXT_OPERATORS:
        from pipeprobe.language.text_ops import measure

        return f"{e.key}: {_short(got, 120)} {measure(e.op, e.value, got)[1]}"
    line = f"{e.key}: expected {e.describe()}, got {_short(got, 200)}"
    if e.op == "approx":
        line += f" (off by {abs(got - e.value):.6g})"
    if e.op == "len":
        line = f"{e.key}: expected length {e.value}, got length {len(got)}: {_short(got, 200)}"
    return line


def judge(expect: Mapping[str, Any], output: Any, checks: Mapping[str, Check] | None = None) -> list[str]:
    """What a person expected and did not get, one line each; ExpectMisfit when an entry can't apply."""
    problems = []
    for key, wanted in expect.items():
        if checks and key in checks:
            problem = checks[key](wanted, output)
        else:
            try:
                e = parse(key, wanted)
            except ExpectError as error:
                raise ExpectMisfit(str(error)) from None
            got = resolve(output, e.path)
            problem = None if holds(e, got) else failure(e, got)
        if problem:
            problems.append(problem)
    return problems


def _equal(got: Any, wanted: Any) -> bool:
    """Equality that tells booleans from numbers (``true`` is not ``1``)."""
    if isinstance(got, bool) != isinstance(wanted, bool):
        return False
    if isinstance(got, list) and isinstance(wanted, list):
        return len(got) == len(wanted) and all(_equal(a, b) for a, b in zip(got, wanted, strict=True))
    if isinstance(got, dict) and isinstance(wanted, dict):  # YAML's {0: x} matches JSON's {"0": x}
        got_by_name = {str(key): item for key, item in got.items()}
        wanted_by_name = {str(key): item for key, item in wanted.items()}
        return got_by_name.keys() == wanted_by_name.keys() and all(
            _equal(got_by_name[key], item) for key, item in wanted_by_name.items()
        )
    return got == wanted


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    kinds = {bool: "a boolean", int: "a number", float: "a number", str: "a string", list: "a list", dict: "a mapping"}
    return kinds.get(type(value), f"a {type(value).__name__}")


def _short(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
