"""One probe against its baseline: status, largest delta, the tolerance it was held to, what moved.

The comparison of values is ``compare.py``'s; the tolerance is ``snapshots.tolerance_between``'s.
Used once per probe when its tests run (``ProbeRecord``) and by the run-to-run comparison.
"""

from __future__ import annotations

from typing import Any

from pipeprobe.baselines.compare import Tolerance, differences, largest_delta
from pipeprobe.baselines.extension import CORRUPT_FIELD, tolerance_between
from pipeprobe.baselines.provenance import provenance_differences
from pipeprobe.report.statuses import (
    CHANGED,
    CORRUPT,
    DRIFTED,
    NEW,
    NOT_RUN,
    NOT_RUN_NO_BASELINE,
    UNCHANGED,
    WEAKNESS_PASSING,
    WITHIN,
)

_ZERO = Tolerance(abs=0.0, rel=0.0, tier="exact")


def tolerance_dict(tolerance: Tolerance) -> dict[str, Any]:
    return {"abs": tolerance.abs, "rel": tolerance.rel, "tier": tolerance.tier}


def tolerance_from(data: dict[str, Any]) -> Tolerance:
    return Tolerance(abs=float(data["abs"]), rel=float(data["rel"]), tier=str(data.get("tier", "custom")))


def _worst_ratio(baseline: Any, output: Any, tolerance: Tolerance) -> tuple[float | None, float | None]:
    """The largest delta/allowed ratio among matching floats, and that float's allowed bound."""
    worst: tuple[float | None, float | None] = (None, None)
    for difference in differences(baseline, output, _ZERO):
        if difference.delta is None:
            continue
        scale = max(abs(float(difference.baseline)), abs(float(difference.output)))
        allowed = max(tolerance.rel * scale, tolerance.abs)
        ratio = difference.delta / allowed if allowed else float("inf")
        if worst[0] is None or ratio > worst[0]:
            worst = (ratio, allowed)
    if worst[0] is None:
        floats = _floats(baseline)
        if floats:
            return 0.0, max(tolerance.abs, tolerance.rel * max(abs(value) for value in floats))
    return worst


def _floats(value: Any) -> list[float]:
    if isinstance(value, float):
        return [value]
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list):
        return [found for item in value for found in _floats(item)]
    return []


def compare_probe(
    *,
    baseline: dict[str, Any] | None,
    run: dict[str, Any] | None,
    tolerance: Tolerance,
    known_weakness: bool = False,
    expectation_met: bool | None = None,
    weakness_passed_before: bool = False,
) -> dict[str, Any]:
    """Classify one probe. ``baseline``/``run``: ``{input, output, revision, provenance}``.

    ``status`` is the headline (a known weakness that now passes wins over the baseline
    comparison); ``baseline_status`` is the baseline comparison alone.
    """
    found: dict[str, Any] = {
        "delta": None, "allowed": None, "ratio": None, "differences": [], "provenance_differences": {},
    }
    if run is None:
        status = NOT_RUN if baseline is not None else NOT_RUN_NO_BASELINE
    elif baseline is None:
        status = NEW
    elif CORRUPT_FIELD in baseline:  # the file is there but is not a baseline: never "new (no baseline)"
        status = CORRUPT
        found["differences"] = [f"baseline file is corrupt: {baseline[CORRUPT_FIELD]}"]
    else:
        tolerance = tolerance_between(tolerance, baseline)
        found["provenance_differences"] = provenance_differences(
            {"revision": baseline.get("revision"), **(baseline.get("provenance") or {})},
            {"revision": run.get("revision"), **(run.get("provenance") or {})},
        )
        beyond = []
        for name in ("input", "output"):
            if name in baseline:
                beyond += [(name, item) for item in differences(baseline.get(name), run.get(name), tolerance)]
        found["differences"] = [f"{name}.{item.describe(tolerance)}" for name, item in beyond]
        found["delta"] = largest_delta(baseline.get("output"), run.get("output"))
        found["ratio"], found["allowed"] = _worst_ratio(baseline.get("output"), run.get("output"), tolerance)
        if any(item.delta is None for _, item in beyond):
            status = CHANGED
        elif beyond:
            status = DRIFTED
        elif baseline.get("output") == run.get("output") and baseline.get("input", run["input"]) == run["input"]:
            status = UNCHANGED
        else:
            status = WITHIN
    found["tolerance"] = tolerance_dict(tolerance)
    found["baseline_status"] = status
    if run is not None and known_weakness and expectation_met and not weakness_passed_before:
        status = WEAKNESS_PASSING
    found["status"] = status
    return found
