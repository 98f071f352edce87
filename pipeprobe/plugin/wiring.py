"""Wires the records and the reports into a pytest run (called from ``plugin.pytest_configure``).

The Recorder builds each probe's record when its tests run; the reports registered here
(terminal, ``--drift-report``, pytest-html) read those records from the test reports.
"""

from __future__ import annotations

from typing import Any

import pytest

from pipeprobe.baselines.extension import snapshot_root
from pipeprobe.config import for_pytest
from pipeprobe.execution.recorder import Recorder
from pipeprobe.plugin.drift_collector import DriftCollector, model_map_source
from pipeprobe.plugin.terminal import TerminalReport, failure_lines
from pipeprobe.probes.catalogue import Probe

RECORDER_KEY = pytest.StashKey[Recorder]()


class _Records:
    """Reads each collected probe's baseline file before any test can rewrite it, and explains a
    failed baseline from the probe's record (compared once), key line first."""

    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        for item in items:
            probe = getattr(getattr(item, "callspec", None), "params", {}).get("probe")
            if isinstance(probe, Probe):
                self.recorder.remember_baseline(probe)

    @pytest.hookimpl(tryfirst=True)
    def pytest_assertrepr_compare(self, op: str, left: Any, right: Any) -> list[str] | None:
        if op != "==" or type(left).__name__ != "SnapshotAssertion" or not isinstance(right, dict):
            return None
        record = self.recorder.record_of(str(right.get("suite")), str(right.get("probe")))
        return failure_lines(record) if record is not None else None


def configure(config: pytest.Config, runner: Any) -> None:
    """Register the recorder and the reports of this run."""
    recorder = Recorder(runner=runner, snapshot_root=snapshot_root(config), rootpath=config.rootpath)
    config.stash[RECORDER_KEY] = recorder
    config.pluginmanager.register(_Records(recorder), "pipeprobe-records")
    models_yaml = for_pytest(config).models_file
    config.pluginmanager.register(TerminalReport(config, runner.target, models_yaml), "pipeprobe-terminal")
    directory = config.getoption("drift_report", None)
    if directory:
        config.pluginmanager.register(DriftCollector(config, runner, directory), "pipeprobe-drift")
    if config.pluginmanager.hasplugin("html"):
        from pipeprobe.plugin.html_report import HtmlReport

        config.pluginmanager.register(HtmlReport(config, runner, model_map_source(runner)), "pipeprobe-html")


def recorder_of(config: pytest.Config) -> Recorder:
    return config.stash[RECORDER_KEY]
