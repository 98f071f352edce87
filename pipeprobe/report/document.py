"""The drift document (``drift.json``, format ``pipeprobe-drift/1``) and the run-to-run comparison.

A drift report lists every probe with a status, its largest delta, the tolerance it was
held to, and what differs between the baseline's provenance and this run's (model
revision, transformers, torch, device, dtype), so a person can tell a library upgrade
from a model change. A pytest run's rows come from its ProbeRecords (``collector``);
``compare_reports`` plays one run's outputs as the other's baselines.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pipeprobe import strict_json
from pipeprobe.baselines.statuses import FAILING, STATUSES, rank
from pipeprobe.baselines.verdict import compare_probe
from pipeprobe.tolerance import tier_for

FORMAT = "pipeprobe-drift/1"


def summarize(probes: list[dict[str, Any]]) -> dict[str, int]:
    counts = {status: 0 for status in STATUSES}
    for probe in probes:
        counts[probe["status"]] = counts.get(probe["status"], 0) + 1
    return counts


def failing(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The probes that moved beyond tolerance (drifted, or a label/ranking changed)."""
    return [probe for probe in report["probes"] if probe["baseline_status"] in FAILING]


def build_report(probes: list[dict[str, Any]], run: dict[str, Any], against: str) -> dict[str, Any]:
    """The drift document: what needs a decision first (worst first), what did not run last."""
    probes = sorted(probes, key=lambda p: (rank(p["status"]), -(p.get("ratio") or 0.0), p["suite"], p["probe"]))
    document = {"format": FORMAT, "run": run, "against": against, "summary": summarize(probes), "probes": probes}
    from pipeprobe.report.capabilities import document_section  # tests of many cases: CheckList's table

    if (capabilities := document_section(probes)) is not None:
        document["capabilities"] = capabilities
    return document


def load_report(path: Path) -> dict[str, Any]:
    """A drift.json, or ValueError naming the file and what is wrong with it."""
    try:  # strict: no NaN/Infinity, no duplicate keys, nesting bounded (a 10^5-deep file is one line)
        data = strict_json.read(Path(path))
    except strict_json.StrictJSONError as error:
        raise ValueError(f"{path}: {error}") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ValueError(f"{path}: not a pipeprobe drift report (expected \"format\": \"{FORMAT}\")")
    if not isinstance(data.get("probes"), list) or not isinstance(data.get("run"), dict):
        raise ValueError(f"{path}: drift report without 'run' and 'probes'")
    for index, probe in enumerate(data["probes"]):
        if not isinstance(probe, dict) or not {"suite", "probe"} <= probe.keys():
            raise ValueError(f"{path}: probe #{index + 1} has no 'suite' and 'probe'")
        if not all(isinstance(probe[key], str) and probe[key] for key in ("suite", "probe")):
            raise ValueError(f"{path}: probe #{index + 1}: 'suite' and 'probe' must be names (text), "
                             f"not {probe['suite']!r:.40} and {probe['probe']!r:.40}")
        problem = _entry_problem(probe)
        if problem:
            raise ValueError(f"{path}: probe #{index + 1} ({probe['suite']}/{probe['probe']}) {problem}")
    return data


def _entry_problem(probe: dict[str, Any]) -> str | None:
    """What makes a drift.json probe entry unusable (a status we don't know, a delta that is no number)."""
    for key in ("status", "baseline_status"):
        if key == "status" and key not in probe:
            return "has no 'status'"
        if key in probe and probe[key] not in STATUSES:
            return f"has an unknown {key!r} {probe[key]!r}; known: {', '.join(STATUSES)}"
    for key in ("delta", "allowed", "ratio"):
        value = probe.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
            return f"has a non-numeric {key!r} {value!r}"
    return None


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
            **found.as_dict(),
        })
    return build_report(probes, run_after, against=f"run {before_name} ({describe_run(run_before)})")


_META_KEYS = (
    "suite", "probe", "task", "lang", "model", "revision", "verdict", "known_weakness", "source",
    "input", "expect", "note", "doubtful",
)


def _short(run: dict[str, Any]) -> dict[str, Any]:
    return {key: run.get(key) for key in ("transformers", "torch", "device", "dtype", "date") if key in run}


def describe_run(run: dict[str, Any]) -> str:
    return ", ".join(f"{key} {run[key]}" for key in ("transformers", "torch", "device", "dtype") if key in run)


def provenance_summary(report: dict[str, Any]) -> dict[tuple[str, str, str], int]:
    """How many probes see each (key, baseline value, run value) provenance difference."""
    counts: dict[tuple[str, str, str], int] = {}
    for probe in report["probes"]:
        for key, change in (probe.get("provenance_differences") or {}).items():
            triple = (key, str(change["baseline"]), str(change["run"]))
            counts[triple] = counts.get(triple, 0) + 1
    return dict(sorted(counts.items()))
