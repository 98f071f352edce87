"""The terminal's "pipeprobe baselines" section: which target's recorded values each probe was compared
with (per-target baselines, ``pipeprobe.baselines.targets``) and the probes ``pipeprobe calibrate`` found fragile.

Reads the ProbeRecords on the test reports, so it works the same on the xdist controller.
"""

from __future__ import annotations

from typing import Any

import pytest

TERMINAL_LINES = 20


class BaselineTargets:
    def __init__(self) -> None:
        self.compared: dict[str, int] = {}
        self.fragile: dict[str, str] = {}

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when != "call":
            return
        from pipeprobe.report.record import from_report, test_kind

        record = from_report(report)
        if record is None or test_kind(report) != "baseline" or not record.baseline:
            return
        target = record.baseline.get("baseline_target")
        if target:
            self.compared[target] = self.compared.get(target, 0) + 1
        measured = record.baseline.get("baseline_calibration") or {}
        if measured.get("fragile"):
            self.fragile[f"{record.suite}/{record.probe}"] = "; ".join(measured["fragile"])

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if not (self.compared or self.fragile):
            return
        terminalreporter.section("pipeprobe baselines")
        for target, count in sorted(self.compared.items()):
            terminalreporter.line(f"{count} compared with {target}")
        for name, why in sorted(self.fragile.items())[:TERMINAL_LINES]:
            terminalreporter.line(f"FRAGILE {name} (pipeprobe calibrate): {why}")
        if len(self.fragile) > TERMINAL_LINES:
            terminalreporter.line(f"... and {len(self.fragile) - TERMINAL_LINES} more fragile probes")
