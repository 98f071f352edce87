"""``pipeprobe history``: each probe's delta across successive runs' drift reports.

    pipeprobe history night1/drift.json night2/drift.json ...        # Markdown on stdout
    pipeprobe history runs/*/drift.json --out reports/history        # also history.json/.html/.png

Runs are taken in the order given (oldest first). For every probe it shows the status and
delta of each run, the run where it drifted or changed (``began``: where its current
streak beyond tolerance began; ``first_failing``: the first such run at all), and what
differed in that run's provenance from the run before (libraries, device, dtype, model map,
the probe's model revision). "New since last run" lists the probes beyond tolerance in the
last run that were not in the run before it. Reads drift reports (``pipeprobe-drift/1``)
as data: nothing here imports a model, torch or the plugin.

Exit status: 0, or 2 (one line on stderr) for a file that is not a drift report.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pipeprobe.baselines.provenance import differing
from pipeprobe.report import document

FORMAT = "pipeprobe-history/1"
DRIFTED = "drifted"
CHANGED = "label or ranking changed"
FAILING = (DRIFTED, CHANGED)
QUIET = ("unchanged", "within tolerance")
RUN_KEYS = ("pipeprobe", "transformers", "torch", "tokenizers", "python", "device", "device_name", "dtype",
            "model_map", "shard")
PROBE_KEYS = ("revision", "commit")
SYMBOLS = {
    "unchanged": "=", "within tolerance": "~", DRIFTED: "D", CHANGED: "C", "new (no baseline)": "N",
    "known weakness now passing": "W",
}


def load_report(path: Path) -> dict[str, Any]:
    """A drift.json, or ValueError naming the file and what is wrong (the one strict reader, ``document``)."""
    return document.load_report(path)


def _status(probe: dict[str, Any]) -> str:
    """The baseline comparison alone (a known weakness now passing still counts its delta)."""
    return str(probe.get("baseline_status") or probe.get("status") or "unknown")


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _point(probe: dict[str, Any]) -> dict[str, Any]:
    # the commit that loaded in this run: its provenance, else the run side of a commit difference, else the baseline's
    provenance = {
        **((probe.get("baseline") or {}).get("provenance") or {}),
        **{key: change.get("run") for key, change in (probe.get("provenance_differences") or {}).items()
           if isinstance(change, dict)},
        **(probe.get("provenance") if isinstance(probe.get("provenance"), dict) else {}),
    }
    return {
        "status": _status(probe),
        "shown_status": str(probe.get("status") or _status(probe)),
        "delta": _number(probe.get("delta")),
        "ratio": _number(probe.get("ratio")),
        "allowed": _number(probe.get("allowed")),
        "revision": probe.get("revision"),
        "commit": provenance.get("commit"),
        "has_output": bool(probe.get("has_output", probe.get("output") is not None)),
        "output": probe.get("output"),
        "baseline_target": probe.get("baseline_target") or (probe.get("baseline") or {}).get("baseline_target"),
    }


def _differences(before: dict[str, Any], after: dict[str, Any], keys: tuple[str, ...]) -> dict[str, dict]:
    return differing(before, after, keys, ("before", "after"))


def build_history(reports: list[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    """The history document of ``[(name, drift report), ...]``, oldest first."""
    runs = []
    for index, (name, report) in enumerate(reports, start=1):
        run = report["run"]
        previous = reports[index - 2][1]["run"] if index > 1 else None
        runs.append({
            "index": index, "file": name, "date": run.get("date"),
            "run": {key: run[key] for key in RUN_KEYS if key in run},
            "changed": _differences(previous, run, RUN_KEYS) if previous is not None else {},
            "summary": report.get("summary") or {},
        })
    keys: dict[tuple[str, str], None] = {}
    for _, report in reports:
        for probe in report["probes"]:
            keys.setdefault((probe["suite"], probe["probe"]), None)
    probes = [_probe_history(key, reports, runs) for key in sorted(keys)]
    last, before_last = len(runs), len(runs) - 1
    new_since = [
        f"{p['suite']}/{p['probe']}" for p in probes
        if _failing_at(p, last) and before_last >= 1 and not _failing_at(p, before_last)
    ]
    return {
        "format": FORMAT,
        "runs": runs,
        "probes": probes,
        "beyond_tolerance_now": [f"{p['suite']}/{p['probe']}" for p in probes if _failing_at(p, last)],
        "new_since_last_run": new_since,
    }


def _failing_at(probe: dict[str, Any], run: int) -> bool:
    point = probe["points"][run - 1] if run >= 1 else None
    return point is not None and point["status"] in FAILING


def _probe_history(key: tuple[str, str], reports: list[tuple[str, dict]], runs: list[dict]) -> dict[str, Any]:
    points: list[dict[str, Any] | None] = []
    meta: dict[str, Any] = {}
    for _, report in reports:
        found = next((p for p in report["probes"] if (p["suite"], p["probe"]) == key), None)
        points.append(None if found is None else _point(found))
        if found is not None:
            meta = {name: found.get(name) for name in ("task", "model", "revision")}
    failing = [index for index, point in enumerate(points, start=1) if point and point["status"] in FAILING]
    began = None
    if failing and failing[-1] == len(points):
        began = failing[-1]
        while began - 1 in failing:
            began -= 1
    status_changes, output_changes = [], []
    previous: dict[str, Any] | None = None
    for index, point in enumerate(points, start=1):
        if point is None:
            continue
        if previous is not None:
            if point["status"] != previous["status"]:
                status_changes.append(index)
            if point["has_output"] and previous["has_output"] and point["output"] != previous["output"]:
                output_changes.append(index)
        previous = point
    first = failing[0] if failing else None
    return {
        "suite": key[0], "probe": key[1], **meta,
        "points": [None if p is None else {k: v for k, v in p.items() if k != "output"} for p in points],
        "first_failing": first,
        "began": began,
        "status_changes": status_changes,
        "output_changes": output_changes,
        "provenance_then": _provenance_then(points, runs, began or first) if (began or first) else {},
    }


def _provenance_then(points: list[dict | None], runs: list[dict], index: int) -> dict[str, Any]:
    """What differed at run ``index`` from the run before: the run's provenance and the probe's model."""
    found = dict(runs[index - 1]["changed"])
    earlier = next((p for p in reversed(points[: index - 1]) if p is not None), None)
    now = points[index - 1]
    if earlier is not None and now is not None:
        found.update(_differences(earlier, now, PROBE_KEYS))
        if earlier.get("baseline_target") != now.get("baseline_target") and now.get("baseline_target"):
            found["baseline_target"] = {"before": earlier.get("baseline_target"), "after": now["baseline_target"]}
    return found


def describe_changes(changes: dict[str, dict]) -> str:
    return "; ".join(f"{key} {value['before']} → {value['after']}" for key, value in changes.items())


def _cell(point: dict[str, Any] | None) -> str:
    if point is None:
        return "–"
    symbol = SYMBOLS.get(point["status"], "?")
    if point["delta"] is None:
        return symbol
    return f"{symbol} {point['delta']:.2g}"


def markdown(history: dict[str, Any], limit: int = 200) -> str:
    """Runs, the probes that were ever beyond tolerance (or changed status), and what is new."""
    runs = history["runs"]
    lines = [f"**pipeprobe history** over {len(runs)} runs (oldest first)", ""]
    lines += ["| run | date | file | what changed from the run before |", "|---|---|---|---|"]
    for run in runs:
        lines.append(f"| {run['index']} | {run.get('date') or ''} | {run['file']} | "
                     f"{describe_changes(run['changed']) or ('(first run)' if run['index'] == 1 else 'nothing')} |")
    lines.append("")
    new = history["new_since_last_run"]
    lines.append(f"**new since the run before** (beyond tolerance in run {len(runs)}, not in run {len(runs) - 1}): "
                 + (", ".join(new) if new else "none"))
    now = history["beyond_tolerance_now"]
    lines += [f"**beyond tolerance in the last run**: {len(now)}", ""]
    moved = [p for p in history["probes"] if p["first_failing"] or p["status_changes"]]
    if not moved:
        return "\n".join(lines + ["every probe kept its status in every run"]) + "\n"
    header = " | ".join(f"run {run['index']}" for run in runs)
    lines += [
        f"| probe | began | first beyond tolerance | {header} | provenance changed then |",
        "|---|---|---|" + "---|" * len(runs) + "---|",
    ]
    for probe in moved[:limit]:
        began = f"run {probe['began']}" if probe["began"] else ""
        first = f"run {probe['first_failing']}" if probe["first_failing"] else ""
        cells = " | ".join(_cell(point) for point in probe["points"])
        lines.append(f"| {probe['suite']}/{probe['probe']} | {began} | {first} | {cells} | "
                     f"{describe_changes(probe['provenance_then'])} |")
    if len(moved) > limit:
        lines.append(f"| … | {len(moved) - limit} more | |" + " |" * len(runs) + " |")
    lines += ["", "cells: status (= unchanged, ~ within tolerance, D drifted, C label or ranking changed, "
                  "N new, – not in that run) and the largest delta against the baseline"]
    return "\n".join(lines) + "\n"
