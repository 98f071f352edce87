"""Per-target baselines: which recorded output a run compares with, and how an update writes.

A baseline file keeps its **reference** output at the top level (the target it was first
recorded on: cpu/float32 for the notes) and may add outputs per target under ``targets``::

    {"suite": ..., "provenance": {"device": "cpu", "dtype": "float32", ...}, "input": ..., "output": ...,
     "targets": {"cpu/bfloat16": {"provenance": {...}, "output": ...},
                 "cuda-sm90/float16": {"provenance": {...}, "output": ...}}}

A target key is ``<device kind>/<dtype>``; on CUDA the most specific key names the GPU's
compute capability (``cuda-sm90/float16``), and ``cuda/float16`` is looked up after it.
A run compares with its own target's entry when one exists, under this run's tier; else
with the reference, under this run's tier when the reference is this target, otherwise
under the cross-target tier (never tighter than accelerator/float32). It never reads
another target's entry. An update writes only the running target's entry; the reference
is rewritten only by a run on the reference's own target (other targets' entries kept).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pipeprobe.tolerance import ACCELERATOR_FLOAT32, LOOSEST, Tolerance

TARGETS_FIELD = "targets"
CALIBRATION_FIELD = "calibration"
# Fields a run rewrites when it records the reference; everything else in the file is kept.
_KEPT_ON_REFERENCE_UPDATE = (TARGETS_FIELD, CALIBRATION_FIELD)


def keys_for(device: str, dtype: str) -> list[str]:
    """This run's target keys, most specific first (CUDA: its compute capability, then plain ``cuda``)."""
    kind = device.split(":", 1)[0]
    if kind == "cuda":
        capability = _cuda_capability(device)
        generic = [f"cuda/{dtype}"]
        return ([f"cuda-sm{capability}/{dtype}"] if capability else []) + generic
    return [f"{kind}/{dtype}"]


def _cuda_capability(device: str) -> str | None:
    try:
        import torch

        major, minor = torch.cuda.get_device_capability(torch.device(device))
    except Exception:  # noqa: BLE001 - no CUDA here (tests, a report read elsewhere): the generic key only
        return None
    return f"{major}{minor}"


def reference_key(baseline: dict[str, Any]) -> str:
    """The target the reference output was recorded on (its provenance; cpu/float32 when it says nothing)."""
    provenance = baseline.get("provenance") or {}
    device = str(provenance.get("device") or "cpu").split(":", 1)[0]
    return f"{device}/{provenance.get('dtype') or 'float32'}"


def entries(baseline: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The per-target entries that carry an output (anything else under ``targets`` is ignored)."""
    found = baseline.get(TARGETS_FIELD)
    if not isinstance(found, dict):
        return {}
    return {str(key): value for key, value in found.items() if isinstance(value, dict) and "output" in value}


@dataclass(frozen=True)
class Selection:
    """The recorded values a run compares with, which target they are, and the tolerance."""

    values: dict[str, Any]
    key: str
    own: bool
    tolerance: Tolerance

    def describe(self) -> str:
        if self.own and self.key.startswith("reference "):
            return f"the reference ({self.key.removeprefix('reference ')}, this run's target)"
        if self.own:
            return f"this target's own baseline ({self.key})"
        return f"the reference ({self.key}; no {TARGETS_FIELD} entry for this target), cross-target tier"


def cross_target(tolerance: Tolerance, run_key: str, reference: str) -> Tolerance:
    """Another target's values: at least the accelerator/float32 tier, named as a cross-target comparison."""
    loosest = tolerance.loosest(ACCELERATOR_FLOAT32)
    return Tolerance(abs=loosest.abs, rel=loosest.rel, tier=f"cross-target {run_key} vs {reference}: {loosest.tier}")


def select(
    baseline: dict[str, Any],
    run_keys: list[str],
    run_tier: Tolerance,
    reference_tolerance: Callable[[Tolerance, dict[str, Any]], Tolerance],
) -> Selection:
    """What this run (``run_keys``, most specific first) compares with. ``reference_tolerance``: the
    project's rule for a reference's tolerance (``compare.tolerance_between``)."""
    own = entries(baseline)
    for key in run_keys:
        if key in own:
            entry = own[key]
            values = {"input": entry.get("input", baseline.get("input")), "output": entry["output"],
                      "revision": baseline.get("revision"), "provenance": entry.get("provenance") or {}}
            return Selection(values, key, True, calibrated(run_tier, baseline, key))
    reference = reference_key(baseline)
    tolerance = reference_tolerance(run_tier, baseline)
    if reference in run_keys:
        key = next((k for k in run_keys if k in (baseline.get(CALIBRATION_FIELD) or {})), reference)
        return Selection(baseline, f"reference {reference}", True, calibrated(tolerance, baseline, key))
    return Selection(baseline, reference, False, cross_target(tolerance, run_keys[0], reference))


def calibrated(tolerance: Tolerance, baseline: dict[str, Any], key: str) -> Tolerance:
    """A calibration's tolerance for this target: it may tighten; it widens only with a recorded why,
    and never past the loosest tier."""
    record = (baseline.get(CALIBRATION_FIELD) or {}).get(key) if isinstance(baseline.get(CALIBRATION_FIELD),
                                                                             dict) else None
    bound = record.get("tolerance") if isinstance(record, dict) else None
    if not isinstance(bound, dict):
        return tolerance
    try:
        abs_, rel = float(bound["abs"]), float(bound["rel"])
    except (KeyError, TypeError, ValueError):
        return tolerance
    if not (0.0 <= abs_ <= LOOSEST.abs and 0.0 <= rel <= LOOSEST.rel):
        return tolerance
    if abs_ <= tolerance.abs and rel <= tolerance.rel:
        return Tolerance(abs=abs_, rel=rel, tier=f"calibrated on {key} ({tolerance.tier} tightened)")
    why = bound.get("why")
    if isinstance(why, str) and why.strip():
        return Tolerance(abs=max(abs_, tolerance.abs), rel=max(rel, tolerance.rel),
                         tier=f"calibrated on {key}, widened: {why.strip()}")
    return tolerance


def calibration_for(baseline: dict[str, Any], run_keys: list[str]) -> dict[str, Any] | None:
    """``pipeprobe calibrate``'s measurement on this run's target: ``{target, noise, fragile}``, or None."""
    recorded = baseline.get(CALIBRATION_FIELD)
    if not isinstance(recorded, dict):
        return None
    for key in run_keys:
        entry = recorded.get(key)
        if isinstance(entry, dict):
            fragile = entry.get("fragile")
            return {"target": key, "noise": entry.get("noise"),
                    "fragile": [str(reason) for reason in fragile] if isinstance(fragile, list) else []}
    return None


def _drop_calibration(record: dict[str, Any], run_keys: list[str]) -> None:
    calibration = record.get(CALIBRATION_FIELD)
    if not isinstance(calibration, dict):
        return
    left = {key: value for key, value in calibration.items() if key not in run_keys}
    if left:
        record[CALIBRATION_FIELD] = left
    else:
        record.pop(CALIBRATION_FIELD)


def merged(existing: dict[str, Any] | None, new: dict[str, Any], run_keys: list[str]) -> dict[str, Any]:
    """What an update writes: the run's record as the reference when there is none yet, or when this
    run is on the reference's target (other targets' entries kept); otherwise the existing baseline with
    only this target's entry added or replaced (the reference as it was)."""
    if not isinstance(existing, dict) or "output" not in existing:
        return new
    existing = dict(existing)
    _drop_calibration(existing, run_keys)  # re-recorded here: this target's measured noise is stale
    if reference_key(existing) in run_keys:
        kept = {name: existing[name] for name in _KEPT_ON_REFERENCE_UPDATE if name in existing}
        return {**new, **kept}
    entry: dict[str, Any] = {"provenance": new.get("provenance") or {}, "output": new.get("output")}
    if new.get("input") != existing.get("input"):
        entry["input"] = new.get("input")
    own = dict(existing.get(TARGETS_FIELD) or {}) if isinstance(existing.get(TARGETS_FIELD), dict) else {}
    own[run_keys[0]] = entry
    existing[TARGETS_FIELD] = dict(sorted(own.items()))
    return existing


def describe_view(baseline_view: dict[str, Any] | None) -> list[str]:
    """Lines for a report: which recorded values the run was compared with, and calibrate's verdict."""
    if not baseline_view:
        return []
    lines = []
    if baseline_view.get("baseline_target"):
        lines.append(f"compared with {baseline_view['baseline_target']}")
    measured = baseline_view.get("baseline_calibration")
    if isinstance(measured, dict):
        noise = measured.get("noise")
        shown = f"{noise:.3g}" if isinstance(noise, (int, float)) else "?"
        if measured.get("fragile"):
            lines.append(f"FRAGILE on {measured.get('target')} (noise {shown}): " + "; ".join(measured["fragile"]))
        else:
            lines.append(f"calibrated on {measured.get('target')}: noise {shown}")
    return lines
