"""``[tool.pipeprobe] require_models = true``: a run in which no probe ran because every model is
absent fails (exit 1) with one line, instead of a green run that checked nothing (a CI job that
forgot ``--model-map``). ``--require-models`` goes further: each absent model fails its probes."""

from __future__ import annotations

from typing import Any

import pytest

from pipeprobe.report.record import from_report


class RequireModels:
    def __init__(self) -> None:
        self.ran: set[str] = set()
        self.absent: dict[str, set[str]] = {}  # model -> probes skipped because it can't be had
        self.message: str | None = None

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        record = from_report(report)
        if record is None:
            return
        probe = f"{record.suite}/{record.probe}"
        if record.has_output:
            self.ran.add(probe)
        if record.unavailable is not None:
            self.absent.setdefault(record.unavailable.model, set()).add(probe)

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if hasattr(session.config, "workerinput"):  # an xdist worker: the controller sees every report
            return
        if self.ran or not self.absent or exitstatus != pytest.ExitCode.OK:
            return
        probes = len(set().union(*self.absent.values()))
        models = ", ".join(sorted(self.absent))
        self.message = (f"require_models = true: no probe ran; all {probes} skipped because their model is absent "
                        f"({models}): pass --model-map=PATH or run `pipeprobe models fetch`")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.message:
            terminalreporter.write_line(f"ERROR: {self.message}", red=True, bold=True)
