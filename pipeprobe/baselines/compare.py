"""Tolerance-aware comparison of plain (JSON-ready) model outputs.

Strings, ints, bools, list lengths and dict keys compare exactly; floats compare
within a tolerance tier chosen by (device, dtype), ``math.isclose``-style.

Rankings compare as key -> score pairs, because equal scores (ties) don't fix an order:
a ``{"labels": [...], "scores": [...]}`` mapping (zero-shot), or a list of scored items
named by ``token`` or ``label`` (fill-mask, image classification top-k). The members
must match and every score must be within tolerance; the order counts only between
members whose baseline scores differ by more than the tolerance. A top-k cut that falls
on a tie may swap the last member for another one of the same score.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from pipeprobe.tolerance import LOOSEST, Tolerance


@dataclass(frozen=True)
class Difference:
    """One place where the output departs from the baseline."""

    path: str
    baseline: Any
    output: Any
    delta: float | None = None

    def describe(self, tolerance: Tolerance) -> str:
        where = self.path or "(whole output)"
        if self.delta is None:
            return f"{where}: baseline {self.baseline!r}, output {self.output!r}"
        return (
            f"{where}: baseline {self.baseline!r}, output {self.output!r}, "
            f"delta {self.delta:.3g} beyond tolerance {tolerance.describe()}"
        )


def largest_delta(baseline: Any, output: Any) -> float:
    """The largest absolute difference between matching floats (0.0 if none)."""
    deltas = [0.0]
    _walk(baseline, output, "", None, deltas=deltas, differences=[])
    return max(deltas)


def differences(baseline: Any, output: Any, tolerance: Tolerance) -> list[Difference]:
    """Every difference between ``baseline`` and ``output`` that ``tolerance`` rejects."""
    found: list[Difference] = []
    _walk(baseline, output, "", tolerance, deltas=[], differences=found)
    return found


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _walk(
    baseline: Any,
    output: Any,
    path: str,
    tolerance: Tolerance | None,
    *,
    deltas: list[float],
    differences: list[Difference],
) -> None:
    if isinstance(baseline, float) or isinstance(output, float):
        if not (_is_number(baseline) and _is_number(output)):
            differences.append(Difference(path, baseline, output))
            return
        delta = abs(float(output) - float(baseline))
        deltas.append(delta)
        if tolerance is not None and not tolerance.allows(float(baseline), float(output)):
            differences.append(Difference(path, baseline, output, delta))
        return
    if _walk_rate(baseline, output, path, tolerance, deltas=deltas, differences=differences):
        return
    if _walk_case_rate(baseline, output, path, tolerance, deltas=deltas, differences=differences):
        return
    if _walk_ranking(baseline, output, path, tolerance, deltas=deltas, differences=differences):
        return
    if isinstance(baseline, dict) and isinstance(output, dict):
        for key in sorted(baseline.keys() | output.keys(), key=str):
            sub = f"{path}.{key}" if path else str(key)
            if key == "why" and "holds" in baseline and "holds" in output:
                # a metamorphic variant's ``why`` is report text that quotes its scores: ``holds``
                # and the scores themselves are compared (within the tier), the sentence is not
                continue
            if key not in output or key not in baseline:
                differences.append(Difference(sub, baseline.get(key), output.get(key)))
            else:
                _walk(baseline[key], output[key], sub, tolerance,
                      deltas=deltas, differences=differences)
        return
    if isinstance(baseline, list) and isinstance(output, list):
        if len(baseline) != len(output):
            differences.append(
                Difference(f"{path} (length)", len(baseline), len(output))
            )
            return
        for index, (left, right) in enumerate(zip(baseline, output, strict=True)):
            _walk(left, right, f"{path}[{index}]", tolerance,
                  deltas=deltas, differences=differences)
        return
    if baseline != output or type(baseline) is not type(output):
        differences.append(Difference(path, baseline, output))


# Rates (issue 12) ---------------------------------------------------------------------------------------------------
def _walk_rate(
    baseline: Any,
    output: Any,
    path: str,
    tolerance: Tolerance | None,
    *,
    deltas: list[float],
    differences: list[Difference],
) -> bool:
    """Compare two stochastic results (True: ``pipeprobe.behaviour.stochastic``), else leave them to the plain walk.

    Not a float tolerance, so no tier or baseline bound is loosened: a pass rate over N repeats
    moves in steps of 1/N, and it is compared as a rate, within its own binomial bound (3
    standard errors of the baseline's rate; the tier if looser). ``repeats`` must be equal. The
    samples (sampled texts, which differ by device) are report detail and are not compared.
    """
    from pipeprobe.behaviour import stochastic

    if not (stochastic.is_rate(baseline) and stochastic.is_rate(output)):
        return False
    where = f"{path}.pass_rate" if path else "pass_rate"
    try:
        delta = abs(float(output["pass_rate"]) - float(baseline["pass_rate"]))
    except (TypeError, ValueError):
        differences.append(Difference(where, baseline.get("pass_rate"), output.get("pass_rate")))
        return True
    deltas.append(delta)
    floor = tolerance.abs if tolerance is not None else 0.0
    for name, before, after in stochastic.rate_problems(baseline, output, floor):
        sub = f"{path}.{name}" if path else name
        differences.append(Difference(sub, before, after, delta if name == "pass_rate" else None))
    return True


def _walk_case_rate(
    baseline: Any,
    output: Any,
    path: str,
    tolerance: Tolerance | None,
    *,
    deltas: list[float],
    differences: list[Difference],
) -> bool:
    """Compare two results of a test of many cases (True: ``pipeprobe.behaviour.checklist``).

    The rule and the number of cases must be equal; the fail rate may move by the baseline's binomial
    tolerance (3 standard errors over its cases; the tier if looser). Cases whose prediction flipped are
    listed on the record (``case_test.flipped``), not failed one by one: the rate is the test's result.
    """
    from pipeprobe.behaviour import checklist

    if not (checklist.is_result(baseline) and checklist.is_result(output)):
        return False
    prefix = f"{path}." if path else ""
    changed = [key for key in ("type", "threshold", "direction", "tolerance", "of", "neutral_band", "cases")
               if baseline.get(key) != output.get(key)]
    differences += [Difference(prefix + key, baseline.get(key), output.get(key)) for key in changed]
    if changed:
        return True
    before, after = float(baseline["fail_rate"]), float(output["fail_rate"])
    deltas.append(abs(after - before))
    allowed = max(checklist.binomial_tolerance(before, int(baseline["cases"])), tolerance.abs if tolerance else 0.0)
    if abs(after - before) > allowed + 1e-12:
        differences.append(Difference(prefix + "fail_rate", before, after, abs(after - before)))
    return True


# Rankings ---------------------------------------------------------------------------------------------------------
RANKING_ITEM_KEYS = ("token", "label")


@dataclass(frozen=True)
class _Member:
    """One ranked member: its name, its score, and the rest of its item (compared as usual)."""

    key: Any
    score: float
    rest: dict[str, Any]


def _label_ranking(value: Any) -> list[_Member] | None:
    """A ``{"labels": [...], "scores": [...]}`` mapping's members, or None if it is not one."""
    if not isinstance(value, dict):
        return None
    labels, scores = value.get("labels"), value.get("scores")
    if not (isinstance(labels, list) and isinstance(scores, list) and len(labels) == len(scores) and labels):
        return None
    if not all(isinstance(label, str) for label in labels) or len(set(labels)) != len(labels):
        return None
    if not all(isinstance(score, float) for score in scores):
        return None
    return [_Member(label, score, {}) for label, score in zip(labels, scores, strict=True)]


def _item_ranking(value: Any) -> tuple[str, list[_Member]] | None:
    """A list of scored items named by ``token`` or ``label`` (no spans): its key name and members."""
    if not (isinstance(value, list) and value and all(isinstance(item, dict) for item in value)):
        return None
    if not all(isinstance(item.get("score"), float) and "start" not in item for item in value):
        return None
    for name in RANKING_ITEM_KEYS:
        keys = [item.get(name) for item in value]
        named = all(isinstance(key, (str, int)) and not isinstance(key, bool) for key in keys)
        if named and len(set(keys)) == len(keys):
            members = [
                _Member(item[name], item["score"], {k: v for k, v in item.items() if k not in (name, "score")})
                for item in value
            ]
            return name, members
    return None


def _walk_ranking(
    baseline: Any,
    output: Any,
    path: str,
    tolerance: Tolerance | None,
    *,
    deltas: list[float],
    differences: list[Difference],
) -> bool:
    """Compare two rankings (True), or leave values that are not both rankings to the plain walk (False)."""
    left, right = _label_ranking(baseline), _label_ranking(output)
    if left is not None and right is not None:
        _compare_members(left, right, f"{path}.scores" if path else "scores", tolerance, deltas, differences)
        for key in sorted((baseline.keys() | output.keys()) - {"labels", "scores"}, key=str):
            sub = f"{path}.{key}" if path else str(key)
            if key not in output or key not in baseline:
                differences.append(Difference(sub, baseline.get(key), output.get(key)))
            else:
                _walk(baseline[key], output[key], sub, tolerance, deltas=deltas, differences=differences)
        return True
    items_left, items_right = _item_ranking(baseline), _item_ranking(output)
    if items_left is not None and items_right is not None and items_left[0] == items_right[0]:
        _compare_members(
            items_left[1], items_right[1], path, tolerance, deltas, differences, name=items_left[0], top_k=True
        )
        return True
    return False


def _compare_members(
    baseline: list[_Member],
    output: list[_Member],
    path: str,
    tolerance: Tolerance | None,
    deltas: list[float],
    differences: list[Difference],
    name: str | None = None,
    top_k: bool = False,
) -> None:
    """Members matched by key; a top-k list (not a full ranking) may swap members tied at its cut."""

    def where(key: Any) -> str:
        return f"{path}[{name}={key!r}]" if name else f"{path}[{key!r}]"

    found = {member.key: member for member in output}
    expected = {member.key: member for member in baseline}
    for member in baseline:
        other = found.get(member.key)
        if other is None:
            continue
        score_path = f"{where(member.key)}.score" if name else where(member.key)
        _walk(member.score, other.score, score_path, tolerance, deltas=deltas, differences=differences)
        _walk(member.rest, other.rest, where(member.key), tolerance, deltas=deltas, differences=differences)
    if tolerance is None:
        return
    missing = [member for member in baseline if member.key not in found]
    extra = [member for member in output if member.key not in expected]
    swapped_at_cut = top_k and len(missing) == len(extra) and all(
        _tied_at_cut(gone, baseline, tolerance) and _tied_at_cut(new, output, tolerance)
        and tolerance.allows(gone.score, new.score)
        for gone, new in zip(missing, extra, strict=True)
    )
    if (missing or extra) and not swapped_at_cut:
        differences.append(Difference(
            f"{path} (members)" if path else "(members)",
            [member.key for member in baseline], [member.key for member in output],
        ))
    position = {member.key: index for index, member in enumerate(output)}
    shared = [member for member in baseline if member.key in found]
    for index, first in enumerate(shared):
        for second in shared[index + 1:]:
            inverted = position[first.key] > position[second.key]
            if inverted and not tolerance.allows(first.score, second.score):
                differences.append(Difference(
                    f"{path} (order)" if path else "(order)",
                    [member.key for member in baseline], [member.key for member in output],
                ))
                return


def _tied_at_cut(member: _Member, ranking: list[_Member], tolerance: Tolerance) -> bool:
    """The member scores (within tolerance) as low as the ranking's last one: a top-k cut may fall either side."""
    return tolerance.allows(min(other.score for other in ranking), member.score)


def own_tolerance(value: Any) -> Tolerance:
    """A baseline's own ``tolerance: {abs, rel, why}``, or ValueError: it may loosen its tier only so far.

    Finite numbers from 0 to the loosest tier's bounds, and a ``why`` (the notes printed the values rounded).
    """
    if not isinstance(value, dict):
        raise ValueError("'tolerance' must be a mapping {abs, rel, why}")
    unknown = sorted(set(value) - {"abs", "rel", "why"})
    if unknown:
        raise ValueError(f"'tolerance' has unknown key(s) {', '.join(map(str, unknown))}; allowed: abs, rel, why")
    if not isinstance(value.get("why"), str) or not value["why"].strip():
        raise ValueError("'tolerance' needs a 'why' (what makes this baseline less precise than its tier)")
    bounds = {}
    for name, loosest in (("abs", LOOSEST.abs), ("rel", LOOSEST.rel)):
        number = value.get(name, 0.0)
        if isinstance(number, bool) or not isinstance(number, (int, float)) or not math.isfinite(number):
            raise ValueError(f"'tolerance.{name}' must be a finite number, not {number!r}")
        if not 0 <= number <= loosest:
            raise ValueError(f"'tolerance.{name}' {number:g} is outside 0..{loosest:g} (the loosest tier)")
        bounds[name] = float(number)
    return Tolerance(abs=bounds["abs"], rel=bounds["rel"], tier=f"baseline's own: {value['why']}")


def tolerance_between(current: Tolerance, baseline: dict[str, Any]) -> Tolerance:
    """This run's tier, loosened by the baseline's own bound (``own_tolerance``) where it has one.

    ``current`` comes from this run's device and dtype; a baseline's provenance never picks
    the tier (editing it to cuda/float16 must not make a wrong score pass). A baseline may
    carry ``tolerance: {abs, rel, why}`` when its values are less precise than its tier (the
    notes printed some logits to 4 decimals); a re-recorded baseline drops it.
    """
    if "tolerance" in baseline:
        current = current.loosest(own_tolerance(baseline["tolerance"]))
    return current
