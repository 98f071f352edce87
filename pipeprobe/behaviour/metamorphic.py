"""Metamorphic probes: variants of a probe's input, and what must hold between their outputs.

A probe declares how its variants are made and what is checked on each one:

- ``perturb: {typo: 3, casing: 2, ..., field: query}``: seeded perturbations of the input's text
  (``pipeprobe.behaviour.perturb``; ``field`` names the input field that holds the text when the input is a
  mapping; default ``text``, then ``query``). A list ``[typo, casing]`` means one of each.
- ``counterpart: {input: ..., lang: en}``: a fixed variant, the same input in another
  language (a cross-lingual pair).
- ``invariant: <path>`` (or a list of paths): the value there must stay as on the original (INV).
- ``direction: {<path>: up | down}``: the number there must move that way (DIR).
- ``max_fail_rate`` (default 0): the share of variants allowed to break it.

The original and every variant run in one adapter call (one batch). The result is
``{"original", "variants": [{"name", "input", "output", "holds", "why"?}], "fail_rate", "failed"}``:
the reports show the fail rate and which variants failed, with their outputs.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from pipeprobe.behaviour.perturb import KINDS, PerturbError, Variant, perturb, seed_for
from pipeprobe.language.limits import MAX_PERTURB_COUNT

DIRECTIONS = ("up", "down")


class MetamorphicError(ValueError):
    """A metamorphic declaration that can't be used; one line."""


@dataclass(frozen=True)
class Metamorphic:
    """A probe's parsed metamorphic declaration."""

    kinds: tuple[tuple[str, int], ...] = ()
    field: str | None = None
    counterpart: dict[str, Any] | None = None
    invariant: tuple[str, ...] = ()
    direction: tuple[tuple[str, str], ...] = ()
    max_fail_rate: float = 0.0

    def variants(self, probe_id: str, original: Any, lang: str) -> list[tuple[str, Any]]:
        """(name, input) of every variant, in a fixed order."""
        found: list[tuple[str, Any]] = []
        text = _text_of(original, self.field)
        for kind, count in self.kinds:
            for variant in perturb(text, kind, count, seed_for(probe_id), lang):
                found.append((variant.name, _with_text(original, self.field, variant)))
        if self.counterpart is not None:
            found.append((f"counterpart ({self.counterpart.get('lang', '?')})", self.counterpart["input"]))
        return found


def parse(entry: dict[str, Any], probe_id: str, original: Any, lang: str) -> Metamorphic | None:
    """The probe's metamorphic declaration (None if it has none); MetamorphicError on a fault."""
    if not any(key in entry for key in ("perturb", "counterpart", "invariant", "direction", "max_fail_rate")):
        return None
    kinds, field = _kinds(entry.get("perturb"))
    counterpart = entry.get("counterpart")
    if counterpart is not None and not (isinstance(counterpart, dict) and "input" in counterpart):
        raise MetamorphicError("counterpart must be a mapping with 'input' (and 'lang')")
    if not kinds and counterpart is None:
        raise MetamorphicError("invariant/direction need variants: add 'perturb' or 'counterpart'")
    invariant = entry.get("invariant", ())
    invariant = (invariant,) if isinstance(invariant, str) else tuple(invariant)
    if not all(isinstance(path, str) and path for path in invariant):
        raise MetamorphicError("invariant must be a path (or a list of paths) into the output")
    direction = entry.get("direction") or {}
    if not isinstance(direction, dict) or any(way not in DIRECTIONS for way in direction.values()):
        raise MetamorphicError("direction must map paths to up or down")
    if not invariant and not direction:
        raise MetamorphicError("a probe with variants needs 'invariant' or 'direction' (what must hold)")
    rate = entry.get("max_fail_rate", 0.0)
    if isinstance(rate, bool) or not isinstance(rate, int | float) or not 0 <= rate <= 1:
        raise MetamorphicError(f"max_fail_rate must be a number from 0 to 1, not {rate!r}")
    declared = Metamorphic(
        kinds=kinds, field=field, counterpart=dict(counterpart) if counterpart else None, invariant=invariant,
        direction=tuple((str(path), str(way)) for path, way in direction.items()), max_fail_rate=float(rate),
    )
    try:
        declared.variants(probe_id, original, lang)  # every kind must apply: found when the file is read
    except PerturbError as error:
        raise MetamorphicError(str(error)) from None
    return declared


def path_faults(declared: Metamorphic, fields: tuple[str, ...]) -> list[str]:
    """``invariant``/``direction`` paths whose first key the task's results never have (``fields``, where the
    adapter declares them): found when the file is read, as ``expect`` paths are, not as a failing run."""
    if not fields:
        return []
    named = [("invariant", path) for path in declared.invariant] + [("direction", p) for p, _ in declared.direction]
    return [f"{key} path {path}: this task's output has no {path.split('.', 1)[0]!r} (it has: {', '.join(fields)})"
            for key, path in named if path.split(".", 1)[0] not in fields]


def markers(declared: Metamorphic) -> tuple[str, ...]:
    found = []
    if declared.invariant:
        found.append("invariance")
    if declared.direction:
        found.append("directional")
    if declared.counterpart is not None:
        found.append("cross_lingual")
    return tuple(found)


def inputs(declared: Metamorphic, probe_id: str, original: Any, lang: str) -> list[Any]:
    """The original input, then every variant's: what the adapter runs, in one call."""
    return [original, *(value for _, value in declared.variants(probe_id, original, lang))]


def result(declared: Metamorphic, probe_id: str, original: Any, lang: str, outputs: list[Any]) -> dict[str, Any]:
    """The probe's output: the original's, each variant's with whether it holds, and the fail rate."""
    from pipeprobe.language.expect import ExpectMisfit

    base, rest = outputs[0], outputs[1:]
    variants = []
    for (name, value), output in zip(declared.variants(probe_id, original, lang), rest, strict=True):
        try:
            broken = _broken(declared, base, output)
        except ExpectMisfit as error:
            broken = [str(error)]
        entry: dict[str, Any] = {"name": name, "input": value, "output": output, "holds": not broken}
        if broken:
            entry["why"] = "; ".join(broken)
        variants.append(entry)
    failed = [entry["name"] for entry in variants if not entry["holds"]]
    return {
        "original": base,
        "variants": variants,
        "fail_rate": len(failed) / len(variants),
        "failed": failed,
    }


def gate(declared: Metamorphic, output: dict[str, Any]) -> list[str]:
    """The fail-rate gate, with each failing variant's input and what broke."""
    if output["fail_rate"] <= declared.max_fail_rate:
        return []
    shown = [
        f"{entry['name']} {entry['input']!r}: {entry['why']}" for entry in output["variants"] if not entry["holds"]
    ]
    return [
        f"{len(output['failed'])} of {len(output['variants'])} variants failed (fail rate "
        f"{output['fail_rate']:.2f} > max_fail_rate {declared.max_fail_rate:g}): " + " | ".join(shown)
    ]


def _broken(declared: Metamorphic, base: Any, output: Any) -> list[str]:
    from pipeprobe.language.expect import _equal, resolve

    problems = []
    for path in declared.invariant:
        steps = tuple(path.split("."))
        before, after = resolve(base, steps), resolve(output, steps)
        if not _equal(before, after):
            problems.append(f"{path} {before!r} -> {after!r} (must stay)")
    for path, way in declared.direction:
        steps = tuple(path.split("."))
        before, after = resolve(base, steps), resolve(output, steps)
        if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in (before, after)):
            problems.append(f"direction {path}: {before!r} -> {after!r} is not a number; a direction compares numbers")
            continue
        moved = after > before if way == "up" else after < before
        if not moved:
            problems.append(f"{path} {before!r} -> {after!r} (must go {way})")
    return problems


def _kinds(value: Any) -> tuple[tuple[tuple[str, int], ...], str | None]:
    if value is None:
        return (), None
    if isinstance(value, list):
        value = {kind: 1 for kind in value}
    if not isinstance(value, dict):
        raise MetamorphicError("perturb must be a list of kinds or a mapping of kind to count")
    value = dict(value)
    field = value.pop("field", None)
    unknown = sorted(str(kind) for kind in value if kind not in KINDS)
    if unknown:
        raise MetamorphicError(f"unknown perturbation(s) {', '.join(unknown)}; known: {', '.join(KINDS)}")
    for kind, count in value.items():
        if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_PERTURB_COUNT:
            raise MetamorphicError(
                f"perturb {kind}: the count must be a whole number from 1 to {MAX_PERTURB_COUNT}, not {count!r}"
            )
    return tuple(value.items()), field


def _text_of(original: Any, field: str | None) -> str:
    if isinstance(original, str):
        return original
    if isinstance(original, dict):
        for name in (field,) if field else ("text", "query"):
            if isinstance(original.get(name), str):
                return original[name]
    raise MetamorphicError(
        f"perturb needs a text input, or a mapping whose {field or 'text/query'} field is a text (set perturb.field)"
    )


def _with_text(original: Any, field: str | None, variant: Variant) -> Any:
    if isinstance(original, str):
        return variant.text
    changed = copy.deepcopy(original)
    name = field or ("text" if isinstance(original.get("text"), str) else "query")
    changed[name] = variant.text
    return changed
