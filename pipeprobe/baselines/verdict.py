"""One probe against its baseline, judged once: the BaselineVerdict every consumer reads.

``judge`` picks the recorded values this run compares with (``targets.select``: this target's own
entry or the reference, with the baseline's own and calibrated tolerance), compares input and output
(``compare.differences``) and classifies the probe. The test outcome (the syrupy extension's
``matches``), the terminal, the drift and HTML reports, shards and history all read that BaselineVerdict;
none of them compares again. ``compare_probe`` is the comparison itself, for values already chosen
(``judge`` after its selection; the run-to-run comparison of two drift reports).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from pipeprobe.baselines import targets
from pipeprobe.baselines.compare import differences, largest_delta, tolerance_between
from pipeprobe.baselines.provenance import provenance_differences
from pipeprobe.baselines.statuses import (
    CHANGED,
    CORRUPT,
    DRIFTED,
    NEW,
    NOT_RUN,
    NOT_RUN_NO_BASELINE,
    UNCHANGED,
    WEAKNESS_PASSING,
    WITHIN,
    separate_probe_change,
)
from pipeprobe.baselines.store import CORRUPT_FIELD
from pipeprobe.tolerance import Tolerance

COMPARED_FIELDS = ("input", "output")
CORRUPT_PREFIX = "baseline file is corrupt: "
HOLDING = (UNCHANGED, WITHIN)


@dataclass(frozen=True)
class BaselineVerdict:
    """A probe's baseline comparison. ``status`` is the headline (a known weakness now passing wins);
    ``baseline_status`` the comparison alone; ``holds`` is what the baseline test asserts."""

    status: str
    baseline_status: str
    tolerance: Tolerance
    differences: list[str] = field(default_factory=list)
    delta: float | None = None
    allowed: float | None = None
    ratio: float | None = None
    provenance_differences: dict[str, Any] = field(default_factory=dict)
    compared_with: str | None = None  # which recorded values: this target's own entry, or the reference
    own_target: bool = True  # False: compared with another target's reference (an update records this one's)

    @property
    def holds(self) -> bool:
        return self.baseline_status in HOLDING

    def as_dict(self) -> dict[str, Any]:
        """The verdict as a drift report's fields (``pipeprobe-drift/1``)."""
        data = asdict(self)
        data["tolerance"] = tolerance_dict(self.tolerance)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BaselineVerdict:
        known = {name: data[name] for name in cls.__dataclass_fields__ if name in data}
        known["tolerance"] = tolerance_from(data.get("tolerance") or {"abs": 0.0, "rel": 0.0})
        return cls(**known)

    @classmethod
    def pending(cls, tolerance: Tolerance) -> BaselineVerdict:
        """A probe not judged yet (its record before it ran)."""
        return cls(status="", baseline_status="", tolerance=tolerance)


def judge(
    baseline: dict[str, Any] | None,
    run: dict[str, Any] | None,
    run_keys: list[str],
    run_tier: Tolerance,
    *,
    known_weakness: bool = False,
    expectation_met: bool | None = None,
) -> tuple[BaselineVerdict, dict[str, Any] | None]:
    """A probe's verdict against its baseline file's content (``store.read_or_corrupt``), and the
    recorded values it was compared with (for reports). ``run_keys``: this run's target keys."""
    if baseline is None or CORRUPT_FIELD in baseline:
        return compare_probe(baseline=baseline, run=run, tolerance=run_tier, known_weakness=known_weakness,
                             expectation_met=expectation_met), baseline
    selection = targets.select(baseline, run_keys, run_tier, tolerance_between)
    verdict = compare_probe(baseline=selection.values, run=run, tolerance=selection.tolerance,
                            known_weakness=known_weakness, expectation_met=expectation_met,
                            compared_with=selection.describe(), own_target=selection.own)
    shown = {key: value for key, value in selection.values.items() if key not in (targets.TARGETS_FIELD,
                                                                                  targets.CALIBRATION_FIELD)}
    shown["baseline_target"] = selection.describe()
    shown["baseline_tolerance"] = tolerance_dict(selection.tolerance)
    measured = targets.calibration_for(baseline, run_keys)
    if measured is not None:  # pipeprobe calibrate's noise on this target, and why it is fragile
        shown["baseline_calibration"] = measured
    return verdict, shown


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
    compared_with: str | None = None,
    own_target: bool = True,
) -> BaselineVerdict:
    """Classify one probe against values already chosen, held to ``tolerance`` as given.
    ``baseline``/``run``: ``{input, output, revision, provenance}``."""
    found: dict[str, Any] = {"differences": [], "provenance_differences": {}}
    if run is None:
        status = NOT_RUN if baseline is not None else NOT_RUN_NO_BASELINE
    elif baseline is None:
        status = NEW
    elif CORRUPT_FIELD in baseline:  # the file is there but is not a baseline: never "new (no baseline)"
        status = CORRUPT
        found["differences"] = [f"{CORRUPT_PREFIX}{baseline[CORRUPT_FIELD]}"]
    else:
        found["provenance_differences"] = provenance_differences(
            {"revision": baseline.get("revision"), **(baseline.get("provenance") or {})},
            {"revision": run.get("revision"), **(run.get("provenance") or {})},
        )
        beyond = [(name, item) for name in COMPARED_FIELDS
                  for item in differences(baseline.get(name), run.get(name), tolerance)]
        found["differences"] = [f"{name}.{item.describe(tolerance)}" for name, item in beyond]
        found["delta"] = largest_delta(baseline.get("output"), run.get("output"))
        found["ratio"], found["allowed"] = _worst_ratio(baseline.get("output"), run.get("output"), tolerance)
        if any(item.delta is None for _, item in beyond):
            status = separate_probe_change(CHANGED, found["provenance_differences"])
        elif beyond:
            status = separate_probe_change(DRIFTED, found["provenance_differences"])
        elif baseline.get("output") == run.get("output") and baseline.get("input") == run.get("input"):
            status = UNCHANGED
        else:
            status = WITHIN
    headline = status
    if run is not None and known_weakness and expectation_met and not weakness_passed_before:
        headline = WEAKNESS_PASSING
    return BaselineVerdict(status=headline, baseline_status=status, tolerance=tolerance, compared_with=compared_with,
                   own_target=own_target, **found)
