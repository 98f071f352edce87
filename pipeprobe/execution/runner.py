"""Runs probes: loads each model once, runs each batch of the notes once, keeps results."""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeprobe.baselines.provenance import probe_provenance
from pipeprobe.behaviour import members as behaviour
from pipeprobe.devices import Target
from pipeprobe.execution.batching import BatchPlanner
from pipeprobe.models import ModelCache, ModelSpec
from pipeprobe.probes.catalogue import Probe
from pipeprobe.tasks import ADAPTERS, adapter_for
from pipeprobe.tasks.common import InputTooLong, ProbeInputError, chunked
from pipeprobe.tasks.media import located


def _load_with(task: str, *arguments: Any) -> Any:
    return adapter_for(task).load(*arguments)


def _load_kind(task: str) -> str:
    """The task whose model load ``task`` shares (its adapter's ``loads_like``), so one load serves both."""
    return adapter_for(task).loads_like or task


@dataclass(frozen=True)
class ProbeOutput:
    """A probe's plain result, with how long its batch took to run."""

    value: Any
    seconds: float


@dataclass
class ProbeRunner:
    """The session's probes, models and results for one target (device, dtype)."""

    target: Target
    registry: dict[str, ModelSpec]
    probes: dict[str, list[Probe]]
    cache: ModelCache
    _results: dict[tuple[str, str], ProbeOutput] = field(default_factory=dict)
    planner: BatchPlanner | None = None  # micro-batching (pipeprobe.execution.batching); set up in __post_init__

    def __post_init__(self) -> None:
        if self.planner is None:
            self.planner = BatchPlanner(self.probes)

    @classmethod
    def create(
        cls, target: Target, registry: dict[str, ModelSpec], probes: dict[str, list[Probe]], model_map: Any
    ) -> ProbeRunner:
        # each adapter is imported when its first model loads, not at start-up
        loaders = {task: functools.partial(_load_with, task) for task in ADAPTERS}
        cache = ModelCache(model_map, loaders, load_kind=_load_kind)
        return cls(target=target, registry=registry, probes=probes, cache=cache)

    def spec_for(self, probe: Probe) -> ModelSpec:
        try:
            return self.registry[probe.model]
        except KeyError:
            raise KeyError(
                f"probe {probe.suite}/{probe.id} names model {probe.model!r}, which fixtures/models.yaml does not pin"
            ) from None

    def output(self, probe: Probe) -> ProbeOutput:
        """Run the probe's batch (once) and return this probe's part of it."""
        key = (probe.suite, probe.id)
        if key not in self._results:
            self._run_batch(probe)
        return self._results[key]

    def provenance(self, probe: Probe) -> dict[str, Any]:
        """What a baseline of this probe records about this run (``provenance.probe_provenance``)."""
        record = self.cache.record_for(self.spec_for(probe), self.target, probe.task)
        return probe_provenance(self.target, record.source if record else None, record.commit if record else None,
                                probe=probe, fingerprint=record.fingerprint if record else None,
                                root=probe.path.parent if probe.path else None)  # git finds the project from there

    def _run_batch(self, probe: Probe) -> None:
        declared = behaviour.of(probe)
        if declared is not None and declared.cases is not None:
            self._run_case_test(probe, declared.cases)
            return
        adapter = adapter_for(probe.task)
        members, batch_size = self.planner.members(probe, adapter.batches)
        loaded = self.cache.get(self.spec_for(probe), self.target, probe.task)
        started = time.perf_counter()
        inputs = [member.input for member in members]

        def call(batch: list[Any], params: dict[str, Any]) -> list[Any]:
            if adapter.media:  # a media input's file is looked for beside the probe file, in its media/ folder
                batch = [located(item, media_folder(probe)) for item in batch]
            return adapter.outputs(loaded, batch, params, batch_size=batch_size)

        expanded = any(member.behaviour for member in members)
        try:
            # variants (metamorphic) run in the same call as their originals; repeats (stochastic) in one call each
            values = behaviour.run_members(members, probe.params, call) if expanded else call(inputs, probe.params)
        except InputTooLong as error:  # name the member at fault, not a tensor-size error for every member
            raise _input_error(probe, probe if expanded else members[error.index], error) from None
        seconds = time.perf_counter() - started
        for member, value in zip(members, values, strict=True):
            self._results[(member.suite, member.id)] = ProbeOutput(value=value, seconds=seconds)


    def _run_case_test(self, probe: Probe, test: Any) -> None:
        """A test of many cases: its texts (each once) in micro-batches of ``--probe-batch-size``, with progress."""
        from pipeprobe.behaviour import checklist
        from pipeprobe.execution.progress import Progress

        adapter = adapter_for(probe.task)
        loaded = self.cache.get(self.spec_for(probe), self.target, probe.task)
        texts = [text for case in test.cases
                 for text in ([case.text, *(v for _, v in case.variants)] if test.type != "MFT" else [case.text])]
        distinct = list(dict.fromkeys(texts))
        size = max(1, self.planner.batch_size)
        started = time.perf_counter()
        outputs: dict[str, Any] = {}
        progress = Progress(f"{probe.suite}/{probe.id}", len(distinct))
        for batch in chunked(distinct, size):
            try:
                values = adapter.outputs(loaded, batch, probe.params, batch_size=size)
            except InputTooLong as error:
                raise ProbeInputError(f"test {probe.suite}/{probe.id}: case {batch[error.index]!r}: {error}") from None
            outputs.update(zip(batch, values, strict=True))
            progress.advance(len(batch))
        progress.done()
        try:
            value = checklist.result(test, [outputs[text] for text in texts])
        except ValueError as error:  # an output without label scores, a neutral band on a many-class model
            raise ProbeInputError(f"test {probe.suite}/{probe.id}: {error}") from None
        self._results[(probe.suite, probe.id)] = ProbeOutput(value=value, seconds=time.perf_counter() - started)


def _input_error(probe: Probe, bad: Probe, error: InputTooLong) -> ProbeInputError:
    """One line for ``probe``: its own input is at fault, or the batch member ``bad``'s is."""
    if bad is probe:
        return ProbeInputError(f"probe {probe.suite}/{probe.id}: {error}")
    return ProbeInputError(
        f"probe {probe.suite}/{probe.id} did not run: its batch holds {bad.suite}/{bad.id}, whose {error}"
    )


def media_folder(probe: Probe) -> Path:
    """Where a probe's media files are: ``media/`` beside its probe file."""
    return (probe.path.parent if probe.path else Path("fixtures")) / "media"
