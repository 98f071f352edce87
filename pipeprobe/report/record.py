"""The ProbeRecord: everything a report shows about one probe, computed once when its tests run.

It travels on each of the probe's test reports as one user property (``PROPERTY``), so it
reaches the xdist controller too; ``attach`` and ``from_report`` are the only places that
write and read that property. Reports (drift document, terminal, pytest-html) read records;
they never judge an output or compare a baseline themselves.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from pipeprobe.behaviour.rates import summary as rate_summary

PROPERTY = "pipeprobe_record"


@dataclass
class Unavailable:
    """A model the probe needed and could not have: its key, why, and how to supply it."""

    model: str
    reason: str
    how: str


@dataclass
class ProbeRecord:
    """One probe of one run: what it is, what it gave, how that compares, where it came from.

    ``comparison``: ``report.comparison.compare_probe``'s result (status, baseline_status, delta,
    allowed, ratio, tolerance, differences, provenance_differences). ``expectation``: "met",
    "missed" or None (not run, or not judgeable), with ``expectation_problems`` saying why.
    """

    suite: str
    probe: str
    task: str
    lang: str | None
    model: str
    revision: str
    markers: list[str] = field(default_factory=list)
    verdict: str | None = None
    known_weakness: bool = False
    source: str = ""
    input: Any = None
    expect: Any = None
    note: str = ""
    doubtful: str | None = None
    baseline_file: str = ""
    baseline: dict[str, Any] | None = None  # {output, revision, provenance} of the baseline file, read before the run
    has_output: bool = False
    output: Any = None
    expectation: str | None = None
    expectation_problems: list[str] = field(default_factory=list)
    comparison: dict[str, Any] = field(default_factory=dict)
    provenance: dict[str, Any] = field(default_factory=dict)  # this run's, as a baseline would record it
    inference_s: float | None = None
    load_s: float | None = None
    load: str | None = None  # what loading the model did (LoadRecord.describe())
    unavailable: Unavailable | None = None
    not_run: str | None = None  # why the probe did not run, when not for a missing model

    @property
    def key(self) -> tuple[str, str]:
        return (self.suite, self.probe)

    @property
    def status(self) -> str:
        return self.comparison.get("status", "")

    @property
    def baseline_status(self) -> str:
        return self.comparison.get("baseline_status", "")

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, default=str)

    @classmethod
    def from_json(cls, text: str) -> ProbeRecord:
        data = json.loads(text)
        known = {item.name for item in fields(cls)}
        data = {key: value for key, value in data.items() if key in known}
        if data.get("unavailable") is not None:
            data["unavailable"] = Unavailable(**data["unavailable"])
        return cls(**data)

    def entry(self) -> dict[str, Any]:
        """The probe's row of a drift report (``pipeprobe-drift/1``)."""
        data = asdict(self)
        comparison = data.pop("comparison")
        data.pop("expectation_problems")
        data.pop("provenance")
        data["marker"] = self.markers[0] if self.markers else None
        rate = rate_summary(self.output) if self.has_output else None  # a metamorphic fail rate, a stochastic pass rate
        return {**data, **comparison, **({"rate": rate} if rate else {})}


def attach(user_properties: list[tuple[str, Any]], record: ProbeRecord) -> None:
    """Put ``record`` on a test's user properties, replacing an earlier one."""
    user_properties[:] = [(name, value) for name, value in user_properties if name != PROPERTY]
    user_properties.append((PROPERTY, record.to_json()))


def from_report(report: Any) -> ProbeRecord | None:
    """The record a test report carries (None if it is no probe's test)."""
    for name, value in getattr(report, "user_properties", ()):
        if name == PROPERTY:
            return ProbeRecord.from_json(value)
    return None


def test_kind(report: Any) -> str:
    """Which of a probe's tests made ``report``: "expectation" or "baseline"."""
    name = report.nodeid.rsplit("::", 1)[-1].split("[", 1)[0]
    return "expectation" if name.startswith("test_expectation") else "baseline"


def outcome_of(report: Any) -> str:
    """passed, failed, skipped, error, xfailed or xpassed."""
    if hasattr(report, "wasxfail"):
        return "xpassed" if report.passed else "xfailed" if report.skipped else "failed"
    if report.when != "call" and report.failed:
        return "error"
    return report.outcome
