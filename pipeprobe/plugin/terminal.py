"""The terminal: one skip line per unavailable model, and the "pipeprobe models" section above the totals.

Both tests of a probe whose model can't be had skip from one place with one reason: their
skip is reported at the model's line of models.yaml, so pytest's ``-rs`` summary folds every
skip of that model into one line. The models section is printed after pytest's short test
summary, right above the final counts, where a reader looks.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from pipeprobe.report.record import ProbeRecord, Unavailable, from_report
from pipeprobe.report.statuses import CHANGED, DRIFTED

SHOWN_DIFFERENCES = 2
MAX_LINES, MAX_CHARS = 8, 600  # pytest truncates an explanation past 8 lines or 640 characters without -vv


def skip_line(unavailable: Unavailable) -> str:
    """The one line a skipped probe of a missing model shows."""
    return f"model {unavailable.model} unavailable: {unavailable.reason}; {unavailable.how}"


def failure_lines(record: ProbeRecord) -> list[str] | None:
    """A drifted or changed baseline's explanation, key line first, within what pytest shows without
    ``-vv`` (8 lines, 640 characters). None for any other failure (a missing or corrupt baseline):
    the snapshot extension's own message explains those.
    """
    comparison = record.comparison
    status = comparison.get("baseline_status")
    if status not in (CHANGED, DRIFTED):
        return None
    tolerance = comparison.get("tolerance") or {}
    differences = comparison.get("differences") or []
    name = f"{record.suite}/{record.probe}"
    moved = "; ".join(f"{key} {change['baseline']} -> {change['run']}"
                      for key, change in (comparison.get("provenance_differences") or {}).items())
    # (priority, line) in display order; the lowest priorities go first when over the budget
    lines = [
        (0, f"{name} {status}: {len(differences)} value{'s' if len(differences) != 1 else ''} beyond tolerance "
            f"abs {tolerance.get('abs', 0):g} / rel {tolerance.get('rel', 0):g} ({tolerance.get('tier', '')})"),
        (2, f"probe {name} on {record.model}@{record.revision}"),
        (3, "baseline: " + _json((record.baseline or {}).get("output"))),
        (3, "output:   " + _json(record.output)),
        *((1 if index == 0 else 4, _short(line, 200)) for index, line in enumerate(differences[:SHOWN_DIFFERENCES])),
    ]
    if len(differences) > SHOWN_DIFFERENCES:
        lines.append((4, f"... and {len(differences) - SHOWN_DIFFERENCES} more (the HTML and drift reports list all)"))
    lines.append((5, f"baseline file {record.baseline_file}" + (f"; what differs: {moved}" if moved else "")))
    while len(lines) > MAX_LINES or sum(len(line) for _, line in lines) > MAX_CHARS:
        lines.remove(max(lines, key=lambda item: item[0]))
    return [line for _, line in lines]


def _json(value: object, limit: int = 110) -> str:
    return _short(json.dumps(value, ensure_ascii=False), limit)


def _short(line: str, limit: int = 150) -> str:
    return line if len(line) <= limit else line[: limit - 1] + "…"


def model_line(models_yaml: Path, model_id: str) -> int:
    """The 1-based line where models.yaml pins ``model_id`` (1 if not found)."""
    try:
        lines = models_yaml.read_text(encoding="utf-8").splitlines()
    except OSError:
        return 1
    pattern = re.compile(rf"^\s*['\"]?{re.escape(model_id)}['\"]?\s*:")
    return next((number for number, line in enumerate(lines, 1) if pattern.match(line)), 1)


class TerminalReport:
    """What each model load did (also on xdist workers' reports), shown once at the end."""

    def __init__(self, config: pytest.Config, target: Any, models_yaml: Path) -> None:
        self.config = config
        self.target = target
        self.models_yaml = models_yaml
        self.loads: set[str] = set()
        self.unavailable: dict[str, Unavailable] = {}
        self.skipped: dict[str, set[str]] = {}
        self.seen: set[str] = set()  # probes whose tests reported (run or skipped)
        self.ran: set[str] = set()  # probes that gave an output

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo) -> Any:
        report = yield
        if report.skipped and report.when == "setup" and isinstance(report.longrepr, tuple):
            record = from_report(report)
            if record is not None and record.unavailable is not None:
                model_id = record.unavailable.model.rsplit("@", 1)[0]
                report.longrepr = (str(self.models_yaml), model_line(self.models_yaml, model_id),
                                   f"Skipped: {skip_line(record.unavailable)}")
        return report

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        record = from_report(report)
        if record is None:
            return
        self.seen.add(f"{record.suite}/{record.probe}")
        if record.has_output:
            self.ran.add(f"{record.suite}/{record.probe}")
        if record.has_output and record.load:
            self.loads.add(record.load)
        if record.unavailable is not None:
            self.unavailable[record.unavailable.model] = record.unavailable
            self.skipped.setdefault(record.unavailable.model, set()).add(f"{record.suite}/{record.probe}")

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_terminal_summary(self, terminalreporter: Any) -> Any:
        result = yield  # pytest's own summaries (failures, short test summary) come first
        if self.loads or self.unavailable:
            self._section(terminalreporter)
        if self.seen and not self.ran:  # a green run with nothing run must not read as a pass
            terminalreporter.write_sep("!", f"0 of {len(self.seen)} probes ran: every selected probe skipped",
                                       yellow=True, bold=True)
        return result

    def _section(self, terminalreporter: Any) -> None:
        from pipeprobe.execution.devices import device_name

        terminalreporter.section("pipeprobe models")
        terminalreporter.line(f"device {self.target.device} ({device_name(self.target.device)}), "
                              f"dtype {self.target.dtype}")
        for line in sorted(self.loads):
            terminalreporter.line(f"loaded {line}")
        for model in sorted(self.unavailable):
            probes = len(self.skipped[model])
            terminalreporter.line(f"{model}: unavailable, its {probes} probe{'s' if probes != 1 else ''} skipped "
                                  "(--model-map entry, or `pipeprobe models fetch`)")
