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

from pipeprobe.baselines.provenance import describe_differences
from pipeprobe.baselines.statuses import CHANGED, DRIFTED
from pipeprobe.behaviour.rates import summary as rate_summary
from pipeprobe.report.capabilities import text_lines
from pipeprobe.report.record import ProbeRecord, Unavailable, from_report, test_kind

SHOWN_DIFFERENCES = 2
MAX_LINES, MAX_CHARS = 8, 600  # pytest truncates an explanation past 8 lines or 640 characters without -vv


def skip_line(unavailable: Unavailable) -> str:
    """The one short line a skipped probe of a missing model shows (the models section gives the reason)."""
    return f"model {unavailable.model} unavailable (why: the pipeprobe models section)"


def short_failure(record: ProbeRecord, kind: str, message: str) -> str:
    """A failure's one-line message for pytest's short summary, without the exception's dotted type name or
    the probe's name (the test id has both), so ``FAILED test_id - ...`` says what failed at 80 columns."""
    comparison = record.comparison
    status = comparison.get("baseline_status")
    if kind == "baseline" and status in (CHANGED, DRIFTED):
        if status == DRIFTED and comparison.get("delta") is not None and comparison.get("allowed") is not None:
            return f"drifted: delta {comparison['delta']:.3g} > {comparison['allowed']:.3g} allowed"
        first = (comparison.get("differences") or [""])[0]
        return _short(f"{status}: {first}", 120)
    line = (message or "").strip().splitlines()[0] if (message or "").strip() else ""
    line = re.sub(r"^(?:[A-Za-z_]\w*\.)*[A-Z]\w*: ", "", line)  # the exception's (dotted) type
    line = line.removeprefix("assert ").removeprefix(f"{record.suite}/{record.probe}").lstrip(" :-")
    return _short(line or message, 120)


def quiet_libraries() -> None:
    """Keep transformers' progress bars ("Loading weights") and advisory log lines (a sacremoses hint) out of
    the captured output; PIPEPROBE_LIBRARY_LOGS=1 keeps them. Set before transformers is imported where
    possible (the variables are read then), and on its logger when it already is."""
    import os
    import sys

    if os.environ.get("PIPEPROBE_LIBRARY_LOGS") == "1":
        return
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")
    if "transformers" in sys.modules:
        from transformers.utils import logging as transformers_logging

        transformers_logging.set_verbosity_error()
        transformers_logging.disable_progress_bar()


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
    moved = "; ".join(describe_differences(comparison.get("provenance_differences") or {}))
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
        self.errored: set[str] = set()  # probes that failed before giving one (a model that didn't load, a bad input)
        quiet_libraries()

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo) -> Any:
        report = yield
        crash = getattr(report.longrepr, "reprcrash", None)
        if report.failed and crash is not None and (failed := from_report(report)) is not None:
            crash.message = short_failure(failed, test_kind(report), crash.message)
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
        elif report.failed and record.unavailable is None:
            self.errored.add(f"{record.suite}/{record.probe}")
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
            terminalreporter.write_sep("!", f"0 of {len(self.seen)} probes ran: {self._not_run_words()}",
                                       yellow=not self.errored, red=bool(self.errored), bold=True)
        return result

    def _not_run_words(self) -> str:
        """Why nothing ran: probes skipped because their model is absent apart from probes that errored."""
        absent = len(set().union(*self.skipped.values())) if self.skipped else 0
        parts = [f"{absent} skipped (model absent)"] if absent else []
        if self.errored:
            parts.append(f"{len(self.errored)} errored (model broken or input refused)")
        other = len(self.seen) - absent - len(self.errored)
        if other > 0:
            parts.append(f"{other} skipped")
        return ", ".join(parts) or "every selected probe skipped"

    def _section(self, terminalreporter: Any) -> None:
        from pipeprobe.devices import device_name

        terminalreporter.section("pipeprobe models")
        terminalreporter.line(f"device {self.target.device} ({device_name(self.target.device)}), "
                              f"dtype {self.target.dtype}")
        for line in sorted(self.loads):
            terminalreporter.line(f"loaded {line}")
        for model in sorted(self.unavailable):
            probes = len(self.skipped[model])
            terminalreporter.line(f"{model}: unavailable, its {probes} probe{'s' if probes != 1 else ''} skipped: "
                                  f"{self.unavailable[model].reason}")
        if self.unavailable:
            terminalreporter.line(f"to run them: {next(iter(self.unavailable.values())).how}")


class RateSummary:
    """A pytest plugin: the terminal section 'pipeprobe rates', one line per metamorphic or
    stochastic probe that ran (read from the reports' output property, so xdist workers count)."""

    def __init__(self) -> None:
        self.lines: dict[str, str] = {}

    def pytest_runtest_logreport(self, report: Any) -> None:
        record = from_report(report)
        if record is None or not record.has_output:
            return
        try:
            line = rate_summary(record.output)
        except ValueError:
            return
        if line:
            self.lines[f"{record.suite}/{record.probe}"] = line

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if not self.lines:
            return
        terminalreporter.section("pipeprobe rates")
        for probe, line in sorted(self.lines.items()):
            terminalreporter.line(f"{probe}: {line}")


TERMINAL_LINES = 20


class BaselineTargets:
    """The section 'pipeprobe baselines': which target's recorded values each probe was compared with, and
    the probes ``pipeprobe calibrate`` found fragile."""

    def __init__(self) -> None:
        self.compared: dict[str, int] = {}
        self.fragile: dict[str, str] = {}

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when != "call":
            return
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


class CapabilityTable:
    """The section 'pipeprobe capabilities': CheckList's table for the tests of many cases that ran."""

    def __init__(self) -> None:
        self.rows: dict[str, dict[str, Any]] = {}

    def pytest_runtest_logreport(self, report: Any) -> None:
        record = from_report(report)
        if record is not None and getattr(record, "case_test", None):
            self.rows[f"{record.suite}/{record.probe}"] = record.case_test

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if not self.rows:
            return
        terminalreporter.section("pipeprobe capabilities (tests of many cases)")
        for line in text_lines(list(self.rows.values())):
            terminalreporter.line(line)
