"""Wires the records and the reports into a pytest run (called from ``plugin.pytest_configure``).

The Recorder builds each probe's record when its tests run; the reports registered here
(terminal, ``--drift-report``, pytest-html) read those records from the test reports.
"""

from __future__ import annotations

from typing import Any

import pytest

from pipeprobe.execution.recorder import Recorder
from pipeprobe.plugin import carbon, scheduling
from pipeprobe.plugin.drift_collector import DriftCollector, model_map_source
from pipeprobe.plugin.project import MarkExpressionCheck, for_pytest
from pipeprobe.plugin.require_models import RequireModels
from pipeprobe.plugin.terminal import (
    BaselineTargets,
    CapabilityTable,
    RateSummary,
    TerminalReport,
    failure_lines,
)
from pipeprobe.probes.catalogue import Probe
from pipeprobe.report.record import decode_after_transport, encode_for_transport

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

    @pytest.hookimpl(wrapper=True)
    def pytest_report_to_serializable(self, config: pytest.Config, report: Any) -> Any:
        data = yield
        if isinstance(data, dict):
            encode_for_transport(data)
        return data

    @pytest.hookimpl(wrapper=True)
    def pytest_report_from_serializable(self, config: pytest.Config, data: Any) -> Any:
        report = yield
        decode_after_transport(report)
        return report

    @pytest.hookimpl(tryfirst=True)
    def pytest_assertrepr_compare(self, op: str, left: Any, right: Any) -> list[str] | None:
        if op != "==" or type(left).__name__ != "SnapshotAssertion" or not isinstance(right, dict):
            return None
        record = self.recorder.record_of(str(right.get("suite")), str(right.get("probe")))
        return failure_lines(record) if record is not None else None


def configure(config: pytest.Config, runner: Any, project: Any) -> None:
    """Register every plugin object of a run, here and only here (as pytest lists its own in
    ``default_plugins``). Those that aggregate (terminal sections, the drift and HTML reports) are
    registered only where they aggregate: on the xdist controller, or in a run without workers."""
    recorder = Recorder(runner=runner, snapshot_root=for_pytest(config).snapshots, rootpath=config.rootpath)
    config.stash[RECORDER_KEY] = recorder
    models_yaml = for_pytest(config).models_file
    found: list[tuple[Any, str]] = [
        (_Records(recorder), "pipeprobe-records"),  # baselines read at collection; records cross to the controller
        (TerminalReport(config, runner.target, models_yaml), "pipeprobe-terminal"),  # skips, failures, models
        (MarkExpressionCheck(), "pipeprobe-markexpr"),  # -m names only markers something declares
        *scheduling.plugins(config, runner),  # micro-batches, shards, xdist: one worker per model
        *carbon.plugins(config, runner),  # --carbon: energy and CO2eq per load and suite
    ]
    if project.require_models:  # an all-skipped run (every model absent) fails, one line
        found.append((RequireModels(), "pipeprobe-require-models"))
    if not hasattr(config, "workerinput"):  # what aggregates: the controller's
        found += [(BaselineTargets(), "pipeprobe-baseline-targets"), (RateSummary(), "pipeprobe-rates"),
                  (CapabilityTable(), "pipeprobe-capabilities")]
        if config.getoption("drift_report", None):
            found.append((DriftCollector(config, runner, config.getoption("drift_report")), "pipeprobe-drift"))
        if config.pluginmanager.hasplugin("html"):
            from pipeprobe.plugin.html_report import HtmlReport

            found.append((HtmlReport(config, runner, model_map_source(runner)), "pipeprobe-html"))
    for plugin, name in found:
        config.pluginmanager.register(plugin, name)


def recorder_of(config: pytest.Config) -> Recorder:
    return config.stash[RECORDER_KEY]
