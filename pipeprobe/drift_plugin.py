"""Carries each probe's data to the pytest controller, and writes ``--drift-report DIR``.

At collection (on each xdist worker, or the single process) every probe test gets a
``pipeprobe_probe`` user property: the probe, its model@revision, the tolerance tier of
this run and the baseline file as it was before any test ran. The fixtures add the
output and timings. Report user properties travel from xdist workers to the controller,
which merges them per probe and writes the report at the end of the session.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pipeprobe import drift, snapshots
from pipeprobe.compare import tier_for

PROBE_PROPERTY = "pipeprobe_probe"
OUTPUT_PROPERTY = "pipeprobe_output"
INFERENCE_PROPERTY = "pipeprobe_inference_s"
LOAD_PROPERTY = "pipeprobe_load_s"
TERMINAL_LINES = 30


def wants_probe_data(config: pytest.Config) -> bool:
    """Only runs that write a drift or HTML report carry the per-probe data."""
    return bool(config.getoption("drift_report", None) or getattr(config.option, "htmlpath", None))


def probe_meta(item: pytest.Item, runner: Any, snapshot_root: Path, rootpath: Path) -> dict[str, Any] | None:
    """What the drift report needs to know about the probe behind ``item`` (None if none)."""
    from pipeprobe.catalogue import Probe

    probe = getattr(getattr(item, "callspec", None), "params", {}).get("probe")
    if not isinstance(probe, Probe):
        return None
    spec = runner.spec_for(probe)
    location = snapshots.baseline_location(snapshot_root, probe.suite, spec.slug, probe.id)
    try:
        shown = str(location.relative_to(rootpath))
    except ValueError:
        shown = str(location)
    name = getattr(item, "originalname", item.name)
    return {
        "suite": probe.suite, "probe": probe.id, "task": probe.task, "marker": probe.marker,
        "lang": probe.lang, "model": spec.id, "revision": spec.revision, "verdict": probe.verdict,
        "known_weakness": probe.known_weakness, "source": probe.source.describe(), "input": probe.input,
        "expect": probe.expect, "note": probe.note, "doubtful": probe.doubtful,
        "test": "expectation" if name.startswith("test_expectation") else "baseline",
        "tolerance": drift.tolerance_dict(tier_for(runner.target.device, runner.target.dtype)),
        "baseline_file": shown,
        "baseline": drift.read_baseline(location),
    }


def model_map_source(runner: Any) -> str | None:
    source = runner.cache.model_map.source
    return str(source) if source else None


def properties(report: pytest.TestReport) -> dict[str, Any]:
    """The pipeprobe user properties of a report, decoded (empty if it is no probe's)."""
    found = dict(report.user_properties)
    if PROBE_PROPERTY not in found:
        return {}
    decoded = {"meta": json.loads(found[PROBE_PROPERTY])}
    if OUTPUT_PROPERTY in found:
        decoded["output"] = json.loads(found[OUTPUT_PROPERTY])
    for name in (INFERENCE_PROPERTY, LOAD_PROPERTY):
        if name in found:
            decoded[name] = float(found[name])
    return decoded


def outcome_of(report: pytest.TestReport) -> str:
    if hasattr(report, "wasxfail"):
        return "xpassed" if report.passed else "xfailed" if report.skipped else "failed"
    if report.when != "call" and report.failed:
        return "error"
    return report.outcome


class DriftCollector:
    """Registered on every process; the controller (or single process) gathers and writes."""

    def __init__(self, config: pytest.Config, runner: Any) -> None:
        self.config = config
        self.runner = runner
        self.directory = config.getoption("drift_report", None)
        self.entries: dict[tuple[str, str], dict[str, Any]] = {}
        self.written: dict[str, Path] = {}
        self.report: dict[str, Any] | None = None

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, config: pytest.Config, items: list[pytest.Item]) -> None:
        for item in items:
            meta = probe_meta(item, self.runner, snapshots.snapshot_root(config), config.rootpath)
            if meta is not None:
                item.user_properties.append((PROBE_PROPERTY, json.dumps(meta, ensure_ascii=False, default=str)))

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        data = properties(report)
        if not data:
            return
        meta = data["meta"]
        entry = self.entries.setdefault((meta["suite"], meta["probe"]), {"meta": meta, "outcomes": {}})
        for name in ("output", INFERENCE_PROPERTY, LOAD_PROPERTY):
            if name in data:
                entry[name] = data[name]
        if report.when == "call" or (report.when == "setup" and not report.passed):
            entry["outcomes"][meta["test"]] = outcome_of(report)

    def build(self) -> dict[str, Any]:
        run = drift.run_provenance(self.runner.target, model_map_source(self.runner))
        probes = [
            drift.probe_entry(
                entry["meta"], entry.get("output"), "output" in entry, run,
                outcomes=entry["outcomes"],
                inference_s=entry.get(INFERENCE_PROPERTY), load_s=entry.get(LOAD_PROPERTY),
            )
            for entry in self.entries.values()
        ]
        probes += self._orphans()
        against = f"baselines in {self.config.getini('pipeprobe_snapshots')}/"
        return drift.build_report(probes, run, against)

    def _orphans(self) -> list[dict[str, Any]]:
        """Baseline files, beside the ones that ran, of probes the catalogue no longer has."""
        known = {(probe.suite, probe.id) for suite in self.runner.probes.values() for probe in suite}
        folders = {
            (entry["meta"]["suite"], self.config.rootpath / Path(entry["meta"]["baseline_file"]).parent)
            for entry in self.entries.values()
        }
        found = []
        for suite, folder in sorted(folders):
            for path in sorted(folder.glob("*.json")):
                if (suite, path.stem) in known:
                    continue
                record = drift.read_baseline(path) or {}
                found.append({
                    "suite": suite, "probe": path.stem,
                    "model": record.get("model"), "revision": record.get("revision"),
                    "input": record.get("input"), "has_output": False, "output": None, "expectation": None,
                    "baseline_file": str(path.relative_to(self.config.rootpath)),
                    "baseline": {key: record.get(key) for key in ("output", "revision", "provenance")},
                    **drift.compare_probe(baseline=record, run=None, tolerance=tier_for("cpu", "float32")),
                })
        return found

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if hasattr(self.config, "workerinput") or not self.directory or not self.entries:
            return
        self.report = self.build()
        self.written = drift.write_report(self.report, Path(self.directory))

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if not self.report:
            return
        counts = ", ".join(f"{n} {status}" for status, n in self.report["summary"].items() if n)
        terminalreporter.section("pipeprobe drift")
        terminalreporter.line(counts)
        beyond = drift.failing(self.report)
        for probe in beyond[:TERMINAL_LINES]:
            terminalreporter.line(f"{probe['baseline_status']}: {probe['suite']}/{probe['probe']}")
        if len(beyond) > TERMINAL_LINES:
            terminalreporter.line(f"... and {len(beyond) - TERMINAL_LINES} more beyond tolerance")
        terminalreporter.line(f"drift report: {self.written['html']} ({self.written['json'].name}, "
                              f"{self.written['png'].name})")
