"""Builds each probe's ProbeRecord once, when its tests run, from the runner's result.

The baseline is read once per probe (``store.read_or_corrupt``, at collection: ``--snapshot-update``
rewrites files during the run) and judged once (``verdict.judge``); the BaselineVerdict goes on the record,
and the baseline test, the terminal and every report read it from there.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeprobe.baselines import store, targets
from pipeprobe.baselines.verdict import BaselineVerdict, judge
from pipeprobe.models.resolution import HOW_TO_SUPPLY, ModelUnavailable
from pipeprobe.probes.catalogue import Probe
from pipeprobe.report.record import ProbeRecord, Unavailable
from pipeprobe.tolerance import tier_for


def judge_expectation(probe: Probe, output: Any) -> list[str]:
    """What the probe's adapter finds missing in ``output`` (the expectation language, plus the
    fail/pass-rate gates of behaviour probes); a pure function of the probe and its output."""
    from pipeprobe.behaviour import members as behaviour
    from pipeprobe.tasks import adapter_for

    return list(behaviour.judge(probe, output, adapter_for(probe.task)))


@dataclass
class Recorder:
    """The session's records, one per probe; ``runner`` is the session's ProbeRunner."""

    runner: Any
    snapshot_root: Path
    rootpath: Path
    _baselines: dict[tuple[str, str], tuple[str, dict[str, Any] | None]] = field(default_factory=dict)
    _records: dict[tuple[str, str], ProbeRecord] = field(default_factory=dict)

    def remember_baseline(self, probe: Probe) -> None:
        """Read the probe's baseline file now (at collection, before any test can rewrite it)."""
        key = (probe.suite, probe.id)
        if key in self._baselines:
            return
        location = store.location(self.snapshot_root, probe.suite, self.runner.spec_for(probe).slug, probe.id)
        try:
            shown = str(location.relative_to(self.rootpath))
        except ValueError:
            shown = str(location)
        self._baselines[key] = (shown, store.read_or_corrupt(location))

    def ran(self, probe: Probe, output: Any) -> ProbeRecord:
        """The record of a probe that gave ``output`` (a runner ProbeOutput); built once."""
        key = (probe.suite, probe.id)
        if key in self._records and self._records[key].has_output:
            return self._records[key]
        record = self._skeleton(probe)
        spec = self.runner.spec_for(probe)
        load = self.runner.cache.record_for(spec, self.runner.target, probe.task)
        record.has_output, record.output = True, output.value
        record.inference_s = round(output.seconds, 4)
        record.load_s = round(load.seconds, 4) if load else None
        record.load = load.describe() if load else spec.key
        record.provenance = self.runner.provenance(probe)  # what its baseline records: fingerprints included
        try:
            record.expectation_problems = judge_expectation(probe, output.value)
            record.expectation = "missed" if record.expectation_problems else "met"
        except Exception as error:  # noqa: BLE001 - an output the adapter can't judge is reported as unjudged
            record.expectation_problems = [f"not judged: {type(error).__name__}: {error}"]
        run = {"input": probe.input, "output": output.value, "revision": spec.revision,
               "provenance": record.provenance}
        self._judge(probe, record, run)
        self._records[key] = record
        return record

    def _judge(self, probe: Probe, record: ProbeRecord, run: dict[str, Any] | None) -> None:
        """The probe's one verdict, and the recorded values it was compared with, onto its record."""
        _, baseline = self._baselines[(probe.suite, probe.id)]
        target = self.runner.target
        record.baseline_verdict, shown = judge(
            baseline, run, targets.keys_for(target.device, target.dtype), self._tolerance(),
            known_weakness=probe.known_weakness, expectation_met=record.expectation == "met",
        )
        record.baseline = shown

    def verdict_of(self, suite: str, probe_id: str) -> BaselineVerdict | None:
        """The verdict of a probe that ran in this process (what its baseline test asserts)."""
        record = self._records.get((suite, probe_id))
        return record.baseline_verdict if record is not None and record.has_output else None

    def record_of(self, suite: str, probe_id: str) -> ProbeRecord | None:
        """The record built for a probe in this process, if any."""
        return self._records.get((suite, probe_id))

    def unavailable(self, probe: Probe, error: ModelUnavailable) -> ProbeRecord:
        """The record of a probe whose model could not be had."""
        spec = self.runner.spec_for(probe)
        record = self._not_run(probe)
        reason = getattr(error, "reason", "") or str(error)
        model = getattr(error, "model", "") or spec.key
        record.unavailable = Unavailable(model=model, reason=reason, how=HOW_TO_SUPPLY)
        return record

    def not_run(self, probe: Probe, why: str) -> ProbeRecord:
        """The record of a probe that did not run for another reason (a media file missing, ...)."""
        record = self._not_run(probe)
        record.not_run = why
        return record

    def _not_run(self, probe: Probe) -> ProbeRecord:
        record = self._skeleton(probe)
        self._judge(probe, record, None)
        self._records.setdefault((probe.suite, probe.id), record)
        return record

    def _tolerance(self) -> Any:
        return tier_for(self.runner.target.device, self.runner.target.dtype)

    def _skeleton(self, probe: Probe) -> ProbeRecord:
        self.remember_baseline(probe)
        shown, baseline = self._baselines[(probe.suite, probe.id)]
        spec = self.runner.spec_for(probe)
        return ProbeRecord(
            suite=probe.suite, probe=probe.id, task=probe.task, lang=probe.lang, model=spec.id,
            revision=spec.revision, markers=list(probe.markers), verdict=probe.verdict,
            known_weakness=probe.known_weakness, source=probe.source.describe(), input=probe.input,
            expect=probe.expect, note=probe.note or "", doubtful=probe.doubtful, baseline_file=shown,
            baseline=baseline, baseline_verdict=BaselineVerdict.pending(self._tolerance()),
        )
