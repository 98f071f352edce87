"""Drift: how each probe's output moved against its baseline, and why it might have.

A drift report (``drift.json``, format ``pipeprobe-drift/1``) lists every probe with a
status, its largest delta, the tolerance it was held to, and what differs between the
baseline's provenance and this run's (model revision, transformers, torch, device,
dtype), so a person can tell a library upgrade from a model change. The comparison
itself is ``compare.py``'s; the tolerance is ``snapshots.tolerance_between``'s.
"""

from __future__ import annotations

import json
import platform
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pipeprobe.compare import Tolerance, differences, largest_delta, tier_for
from pipeprobe.snapshots import parse_snapshot, tolerance_between

FORMAT = "pipeprobe-drift/1"
UNCHANGED = "unchanged"
WITHIN = "within tolerance"
DRIFTED = "drifted"
CHANGED = "label or ranking changed"
NEW = "new (no baseline)"
NOT_RUN = "baseline without a run"
WEAKNESS_PASSING = "known weakness now passing"
STATUSES = (CHANGED, DRIFTED, WEAKNESS_PASSING, NEW, NOT_RUN, WITHIN, UNCHANGED)
FAILING = (CHANGED, DRIFTED)
PROVENANCE_KEYS = ("revision", "commit", "transformers", "torch", "device", "dtype")
_ZERO = Tolerance(abs=0.0, rel=0.0, tier="exact")


def run_provenance(target: Any, model_map: str | None = None) -> dict[str, Any]:
    """This run's libraries, Python, device (and its name), dtype, model map and date."""
    from pipeprobe.devices import device_name
    from pipeprobe.runner import library_versions

    return {
        **library_versions(),
        "python": platform.python_version(),
        "device": target.device,
        "device_name": device_name(target.device),
        "dtype": target.dtype,
        "model_map": model_map or "none",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def tolerance_dict(tolerance: Tolerance) -> dict[str, Any]:
    return {"abs": tolerance.abs, "rel": tolerance.rel, "tier": tolerance.tier}


def tolerance_from(data: dict[str, Any]) -> Tolerance:
    return Tolerance(abs=float(data["abs"]), rel=float(data["rel"]), tier=str(data.get("tier", "custom")))


def provenance_differences(baseline: dict[str, Any], run: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """``{key: {"baseline": ..., "run": ...}}`` for the keys that tell runs apart."""
    found = {}
    for key in PROVENANCE_KEYS:
        before, after = baseline.get(key), run.get(key)
        if before is not None and after is not None and str(before) != str(after):
            found[key] = {"baseline": before, "run": after}
    return found


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
        status = NOT_RUN
    elif baseline is None:
        status = NEW
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


def summarize(probes: list[dict[str, Any]]) -> dict[str, int]:
    counts = {status: 0 for status in STATUSES}
    for probe in probes:
        counts[probe["status"]] += 1
    return counts


def failing(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The probes that moved beyond tolerance (drifted, or a label/ranking changed)."""
    return [probe for probe in report["probes"] if probe["baseline_status"] in FAILING]


def build_report(probes: list[dict[str, Any]], run: dict[str, Any], against: str) -> dict[str, Any]:
    order = {status: index for index, status in enumerate(STATUSES)}
    probes = sorted(probes, key=lambda p: (order[p["status"]], -(p.get("ratio") or 0.0), p["suite"], p["probe"]))
    return {"format": FORMAT, "run": run, "against": against, "summary": summarize(probes), "probes": probes}


def load_report(path: Path) -> dict[str, Any]:
    """A drift.json, or ValueError naming the file and what is wrong with it."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as error:
        raise ValueError(f"{path}: cannot read it ({error.strerror or error})") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ValueError(f"{path}: not valid JSON ({error})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ValueError(f"{path}: not a pipeprobe drift report (expected \"format\": \"{FORMAT}\")")
    if not isinstance(data.get("probes"), list) or not isinstance(data.get("run"), dict):
        raise ValueError(f"{path}: drift report without 'run' and 'probes'")
    for index, probe in enumerate(data["probes"]):
        if not isinstance(probe, dict) or not {"suite", "probe"} <= probe.keys():
            raise ValueError(f"{path}: probe #{index + 1} has no 'suite' and 'probe'")
    return data


def compare_reports(before: dict[str, Any], after: dict[str, Any], before_name: str) -> dict[str, Any]:
    """Compare two runs' outputs probe by probe: ``before`` plays the baseline."""
    run_before, run_after = before["run"], after["run"]
    older = {(p["suite"], p["probe"]): p for p in before["probes"] if p.get("has_output")}
    newer = {(p["suite"], p["probe"]): p for p in after["probes"] if p.get("has_output")}
    tolerance = tier_for(str(run_after.get("device", "cpu")), str(run_after.get("dtype", "float32")))
    probes = []
    for key in sorted(older.keys() | newer.keys()):
        old, new = older.get(key), newer.get(key)
        meta = {k: v for k, v in (new or old).items() if k in _META_KEYS}
        records = [
            None if side is None else {
                "input": side.get("input"), "output": side.get("output"),
                "revision": side.get("revision"), "provenance": run,
            }
            for side, run in ((old, run_before), (new, run_after))
        ]
        found = compare_probe(
            baseline=records[0], run=records[1], tolerance=tolerance,
            known_weakness=bool(meta.get("known_weakness")),
            expectation_met=(new or {}).get("expectation") == "met",
            weakness_passed_before=(old or {}).get("expectation") == "met",
        )
        probes.append({
            **meta, "has_output": new is not None,
            "output": (new or {}).get("output"), "expectation": (new or {}).get("expectation"),
            "baseline": None if old is None else {
                "output": old.get("output"), "revision": old.get("revision"), "provenance": _short(run_before),
            },
            **found,
        })
    return build_report(probes, run_after, against=f"run {before_name} ({_describe_run(run_before)})")


_META_KEYS = (
    "suite", "probe", "task", "lang", "model", "revision", "verdict", "known_weakness", "source",
    "input", "expect", "note", "doubtful",
)


def _short(run: dict[str, Any]) -> dict[str, Any]:
    return {key: run.get(key) for key in ("transformers", "torch", "device", "dtype", "date") if key in run}


def _describe_run(run: dict[str, Any]) -> str:
    return ", ".join(f"{key} {run[key]}" for key in ("transformers", "torch", "device", "dtype") if key in run)


def probe_entry(meta: dict[str, Any], output: Any, has_output: bool, run: dict[str, Any], **extra: Any) -> dict:
    """One probe of a pytest run, classified against the baseline file read at collection."""
    from pipeprobe.tasks import adapter_for

    baseline_record = meta.get("baseline")
    expectation = None
    if has_output:
        try:
            expectation = "missed" if adapter_for(meta["task"]).judge(meta["expect"], output) else "met"
        except Exception:  # noqa: BLE001 - an output the adapter can't judge is reported as unjudged
            expectation = None
    run_record = None
    if has_output:
        run_record = {
            "input": meta.get("input"), "output": output, "revision": meta.get("revision"),
            "provenance": {key: run.get(key) for key in ("transformers", "torch", "device", "dtype")},
        }
    found = compare_probe(
        baseline=baseline_record, run=run_record, tolerance=tolerance_from(meta["tolerance"]),
        known_weakness=bool(meta.get("known_weakness")), expectation_met=expectation == "met",
    )
    return {
        **{key: meta.get(key) for key in _META_KEYS},
        "baseline_file": meta.get("baseline_file"),
        "has_output": has_output, "output": output if has_output else None, "expectation": expectation,
        "baseline": None if baseline_record is None else {
            key: baseline_record.get(key) for key in ("output", "revision", "provenance")
        },
        **found, **extra,
    }


def read_baseline(path: Path) -> dict[str, Any] | None:
    """A baseline file's record for the drift report (None if absent; corrupt counts as absent)."""
    try:
        return parse_snapshot(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def write_report(report: dict[str, Any], directory: Path) -> dict[str, Path]:
    """Write drift.json, drift.png and drift.html into ``directory``; return their paths."""
    from pipeprobe.drift_render import write_chart, write_html

    directory.mkdir(parents=True, exist_ok=True)
    paths = {"json": directory / "drift.json", "png": directory / "drift.png", "html": directory / "drift.html"}
    paths["json"].write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    write_chart(report, paths["png"])
    write_html(report, paths["html"], paths["png"])
    return paths


def provenance_summary(report: dict[str, Any]) -> dict[tuple[str, str, str], int]:
    """How many probes see each (key, baseline value, run value) provenance difference."""
    counts: dict[tuple[str, str, str], int] = {}
    for probe in report["probes"]:
        for key, change in (probe.get("provenance_differences") or {}).items():
            triple = (key, str(change["baseline"]), str(change["run"]))
            counts[triple] = counts.get(triple, 0) + 1
    return dict(sorted(counts.items()))


def markdown_table(report: dict[str, Any], limit: int = 200) -> str:
    """The summary and every probe that is not unchanged, as a Markdown table."""
    counts = ", ".join(f"{count} {status}" for status, count in report["summary"].items() if count)
    lines = [
        f"**pipeprobe drift** against {report.get('against', 'baselines')}: {counts or 'no probes'}",
        "",
        f"run: {_describe_run(report['run'])}",
        "",
    ]
    moved = provenance_summary(report)
    if moved:
        lines += ["what differs from the baselines: " + "; ".join(
            f"{key} {before} → {after} ({count} probes)" for (key, before, after), count in moved.items()), ""]
    rows = [probe for probe in report["probes"] if probe["status"] != UNCHANGED]
    if not rows:
        return "\n".join(lines + ["every probe unchanged"]) + "\n"
    lines += [
        "| status | probe | model@revision | delta | tolerance | differs from baseline |",
        "|---|---|---|---|---|---|",
    ]
    for probe in rows[:limit]:
        delta = "" if probe.get("delta") is None else f"{probe['delta']:.3g}"
        allowed = "" if probe.get("allowed") is None else f"{probe['allowed']:.3g}"
        tier = (probe.get("tolerance") or {}).get("tier", "")
        moved = "; ".join(
            f"{key} {value['baseline']} → {value['run']}" for key, value in probe["provenance_differences"].items()
        )
        lines.append(
            f"| {probe['status']} | {probe['suite']}/{probe['probe']} | {probe.get('model')}@{probe.get('revision')} "
            f"| {delta} | {allowed} ({tier}) | {moved} |"
        )
    if len(rows) > limit:
        lines.append(f"| … | {len(rows) - limit} more | | | | |")
    return "\n".join(lines) + "\n"
