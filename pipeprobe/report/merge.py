"""``pipeprobe drift merge``: join the drift reports of a run's shards (``--shard=I/N``) into one.

Shards run disjoint models, so each probe ran in one shard; a probe that produced an output
in two reports means they are not shards of one run (the same shard twice, say), and the
merge refuses. The shards must have run under the same libraries, dtype and device type:
a merged report that mixes them would read a library change as drift.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pipeprobe.report.document import build_report, load_report

# provenance that must agree between shards (the device only by type: shard 2 may have run on cuda:1)
SAME_RUN_KEYS = ("pipeprobe", "transformers", "torch", "tokenizers", "dtype")


def _device_type(run: dict[str, Any]) -> str:
    return str(run.get("device", "")).split(":", 1)[0]


def merge_reports(reports: list[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    """One drift document from ``(name, report)`` pairs; ValueError (one line) when they don't fit together."""
    if not reports:
        raise ValueError("give the drift.json of every shard")
    first_name, first = reports[0]
    for name, report in reports[1:]:
        for key in SAME_RUN_KEYS:
            if report["run"].get(key) != first["run"].get(key):
                raise ValueError(
                    f"{name} ran with {key} {report['run'].get(key)!r}, {first_name} with {first['run'].get(key)!r}: "
                    "not shards of one run"
                )
        if _device_type(report["run"]) != _device_type(first["run"]):
            raise ValueError(f"{name} ran on {report['run'].get('device')}, {first_name} on "
                             f"{first['run'].get('device')}: not shards of one run")
    chosen: dict[tuple[str, str], tuple[str, dict[str, Any]]] = {}
    for name, report in reports:
        for probe in report["probes"]:
            key = (probe["suite"], probe["probe"])
            earlier = chosen.get(key)
            if earlier is None or (probe.get("has_output") and not earlier[1].get("has_output")):
                chosen[key] = (name, probe)
            elif probe.get("has_output") and earlier[1].get("has_output"):
                raise ValueError(f"probe {key[0]}/{key[1]} ran in both {earlier[0]} and {name}: not shards of one run")
    run = {**first["run"], "shards": [name for name, _ in reports]}
    devices = sorted({str(report["run"].get("device")) for _, report in reports})
    if len(devices) > 1:
        run["devices"] = devices  # "device" stays the first shard's: the tolerance tier reads it
    againsts = list(dict.fromkeys(str(report.get("against", "")) for _, report in reports))
    return build_report([probe for _, probe in chosen.values()], run, "; ".join(againsts))


def merge_files(paths: list[Path]) -> dict[str, Any]:
    """Load and merge drift.json files; ValueError naming the file for any that is not a drift report."""
    return merge_reports([(str(path), load_report(path)) for path in paths])


def command(paths: list[Path], out: Path | None, fail_on_drift: bool) -> int:
    """``pipeprobe drift merge A.json B.json ... [--out DIR] [--fail-on-drift]``: print, and write, the merged report.

    Exit status as ``pipeprobe drift``: 0; 1 with ``--fail-on-drift`` when a probe drifted; 2 (one line) for bad input.
    """
    import sys

    from pipeprobe.report.document import failing
    from pipeprobe.report.markdown import markdown_table
    from pipeprobe.report.render import write_report

    if len(paths) < 2:
        print("pipeprobe drift merge: give the drift.json of every shard (two or more)", file=sys.stderr)
        return 2
    try:
        report = merge_files(paths)
    except ValueError as error:
        print(f"pipeprobe drift merge: {error}", file=sys.stderr)
        return 2
    sys.stdout.write(markdown_table(report))
    if out is not None:
        written = write_report(report, out)
        print(f"\nwritten: {', '.join(str(path) for path in written.values())}")
    return 1 if fail_on_drift and failing(report) else 0
