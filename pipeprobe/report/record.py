"""The ProbeRecord: everything a report shows about one probe, computed once when its tests run.

It travels on each of the probe's test reports as one user property (``PROPERTY``): as the object
itself inside a process, and as JSON only where a report crosses from an xdist worker to the
controller (``encode_for_transport`` / ``decode_after_transport``: one encode, one decode).
``attach`` and ``from_report`` are the only places that write and read that property. Reports
(drift document, terminal, pytest-html) read records; they never judge an output or compare a
baseline themselves: the record carries the probe's one BaselineVerdict.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from pipeprobe.baselines.verdict import BaselineVerdict
from pipeprobe.behaviour.rates import summary as rate_summary
from pipeprobe.tolerance import CPU_FLOAT32

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

    ``baseline_verdict``: the baseline comparison, judged once (``baselines.verdict.judge``). ``expectation``: "met",
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
    baseline_verdict: BaselineVerdict = field(default_factory=lambda: BaselineVerdict.pending(CPU_FLOAT32))
    provenance: dict[str, Any] = field(default_factory=dict)  # this run's, as a baseline would record it
    inference_s: float | None = None
    load_s: float | None = None
    load: str | None = None  # what loading the model did (ModelLoad.describe())
    unavailable: Unavailable | None = None
    not_run: str | None = None  # why the probe did not run, when not for a missing model
    # issue 18 (a separate addition): a test of many cases' row of the capability table
    # (pipeprobe.behaviour.checklist.summary_row: capability, type, cases, failed, rate, gate, examples, flipped)
    case_test: dict[str, Any] | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.suite, self.probe)

    @property
    def status(self) -> str:
        return self.baseline_verdict.status

    @property
    def baseline_status(self) -> str:
        return self.baseline_verdict.baseline_status

    @property
    def comparison(self) -> dict[str, Any]:
        """The verdict as a drift report's fields."""
        return self.baseline_verdict.as_dict()

    def to_json(self) -> str:
        data = asdict(self)
        data["baseline_verdict"] = self.baseline_verdict.as_dict()
        return json.dumps(data, ensure_ascii=False, default=str)

    @classmethod
    def from_json(cls, text: str) -> ProbeRecord:
        data = json.loads(text)
        known = {item.name for item in fields(cls)}
        data = {key: value for key, value in data.items() if key in known}
        if data.get("unavailable") is not None:
            data["unavailable"] = Unavailable(**data["unavailable"])
        data["baseline_verdict"] = BaselineVerdict.from_dict(data.get("baseline_verdict") or {})
        return cls(**data)

    def entry(self) -> dict[str, Any]:
        """The probe's row of a drift report (``pipeprobe-drift/1``)."""
        data = asdict(self)
        data.pop("baseline_verdict")
        comparison = self.baseline_verdict.as_dict()
        data.pop("expectation_problems")
        data.pop("provenance")
        data["marker"] = self.markers[0] if self.markers else None
        rate = rate_summary(self.output) if self.has_output else None  # a metamorphic fail rate, a stochastic pass rate
        return {**data, **comparison, **({"rate": rate} if rate else {})}


def attach(user_properties: list[tuple[str, Any]], record: ProbeRecord) -> None:
    """Put ``record`` (the object) on a test's user properties, replacing an earlier one."""
    user_properties[:] = [(name, value) for name, value in user_properties if name != PROPERTY]
    user_properties.append((PROPERTY, record))


def from_report(report: Any) -> ProbeRecord | None:
    """The record a test report carries (None if it is no probe's test)."""
    for name, value in getattr(report, "user_properties", ()):
        if name == PROPERTY:
            return value if isinstance(value, ProbeRecord) else None
    return None


def encode_for_transport(data: dict[str, Any]) -> None:
    """A worker's serialised report (pytest's ``_report_to_json`` dict), before it crosses to the xdist
    controller: the record as JSON, once (the worker's own report object keeps the record)."""
    properties = data.get("user_properties")
    if properties:
        data["user_properties"] = [
            (name, value.to_json() if name == PROPERTY and isinstance(value, ProbeRecord) else value)
            for name, value in properties
        ]


def decode_after_transport(report: Any) -> None:
    """On the controller, as a worker's report arrives: the record as an object again, once."""
    properties = getattr(report, "user_properties", None)
    if properties:
        properties[:] = [(name, ProbeRecord.from_json(value) if name == PROPERTY and isinstance(value, str)
                          else value) for name, value in properties]


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
