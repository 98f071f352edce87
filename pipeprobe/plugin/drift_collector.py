"""``--drift-report DIR``: gathers the ProbeRecords of a run (also from xdist workers) and writes the report.

Each probe test's report carries its probe's record (``report.record``); the controller (or
the single process) keeps one per probe, with each test's outcome, and at the end of the
session writes drift.json, drift.html and drift.png.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pipeprobe.baselines import store
from pipeprobe.baselines.provenance import run_provenance
from pipeprobe.baselines.verdict import compare_probe
from pipeprobe.plugin.project import for_pytest
from pipeprobe.report.document import build_report, failing
from pipeprobe.report.record import ProbeRecord, from_report, outcome_of, test_kind
from pipeprobe.report.render import write_report
from pipeprobe.tolerance import tier_for

TERMINAL_LINES = 30


def model_map_source(runner: Any) -> str | None:
    source = runner.cache.model_map.source
    return str(source) if source else None


class DriftCollector:
    """Registered on every process; the controller (or single process) gathers and writes."""

    def __init__(self, config: pytest.Config, runner: Any, directory: str) -> None:
        self.config = config
        self.runner = runner
        self.directory = directory
        self.entries: dict[tuple[str, str], dict[str, Any]] = {}
        self.written: dict[str, Path] = {}
        self.report: dict[str, Any] | None = None

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        record = from_report(report)
        if record is None:
            return
        entry = self.entries.setdefault(record.key, {"record": record, "outcomes": {}})
        if record.has_output or not entry["record"].has_output:
            entry["record"] = record
        if report.when == "call" or (report.when == "setup" and not report.passed):
            entry["outcomes"][test_kind(report)] = outcome_of(report)

    def build(self) -> dict[str, Any]:
        run = run_provenance(self.runner.target, model_map_source(self.runner), root=self.config.rootpath)
        probes = [{**entry["record"].entry(), "outcomes": entry["outcomes"]} for entry in self.entries.values()]
        probes += self._orphans()
        against = f"baselines in {for_pytest(self.config).snapshots.name}/"
        return build_report(probes, run, against)

    def _orphans(self) -> list[dict[str, Any]]:
        """Baseline files, beside the ones that ran, of probes the catalogue no longer has."""
        known = {(probe.suite, probe.id) for suite in self.runner.probes.values() for probe in suite}
        records: list[ProbeRecord] = [entry["record"] for entry in self.entries.values()]
        folders = {(record.suite, self.config.rootpath / Path(record.baseline_file).parent) for record in records}
        found = []
        for suite, folder in sorted(folders):
            for path in sorted(folder.glob("*.json")):
                if (suite, path.stem) in known:
                    continue
                baseline = store.read_or_corrupt(path) or {}
                found.append({
                    "suite": suite, "probe": path.stem,
                    "model": baseline.get("model"), "revision": baseline.get("revision"),
                    "input": baseline.get("input"), "has_output": False, "output": None, "expectation": None,
                    "baseline_file": str(path.relative_to(self.config.rootpath)),
                    "baseline": {key: baseline.get(key) for key in ("output", "revision", "provenance")},
                    **compare_probe(baseline=baseline, run=None, tolerance=tier_for("cpu", "float32")).as_dict(),
                })
        return found

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if hasattr(self.config, "workerinput") or not self.entries:
            return
        self.report = self.build()
        self.written = write_report(self.report, Path(self.directory))

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if not self.report:
            return
        counts = ", ".join(f"{n} {status}" for status, n in self.report["summary"].items() if n)
        terminalreporter.section("pipeprobe drift")
        terminalreporter.line(counts)
        beyond = failing(self.report)
        for probe in beyond[:TERMINAL_LINES]:
            terminalreporter.line(f"{probe['baseline_status']}: {probe['suite']}/{probe['probe']}")
        if len(beyond) > TERMINAL_LINES:
            terminalreporter.line(f"... and {len(beyond) - TERMINAL_LINES} more beyond tolerance")
        others = ", ".join(path.name for kind, path in self.written.items() if kind != "html")  # no png: no matplotlib
        terminalreporter.line(f"drift report: {self.written['html']} ({others})")
