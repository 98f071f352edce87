"""Runs probes: loads each model once, runs each batch of the notes once, keeps results."""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from pipeprobe import __version__
from pipeprobe.catalogue import Probe
from pipeprobe.devices import Target
from pipeprobe.models import ModelCache, ModelSpec
from pipeprobe.tasks import ADAPTERS, adapter_for


@functools.cache
def _installed_versions() -> tuple[tuple[str, str], ...]:
    found = [("pipeprobe", __version__)]
    for name in ("transformers", "torch", "tokenizers"):
        try:
            found.append((name, version(name)))
        except PackageNotFoundError:
            found.append((name, "absent"))
    return tuple(found)


def library_versions() -> dict[str, str]:
    """Versions of the libraries whose change the probes are meant to catch (looked up once)."""
    return dict(_installed_versions())


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

    @classmethod
    def create(
        cls, target: Target, registry: dict[str, ModelSpec], probes: dict[str, list[Probe]], model_map: Any
    ) -> ProbeRunner:
        loaders = {task: module.load for task, module in ADAPTERS.items()}
        return cls(target=target, registry=registry, probes=probes, cache=ModelCache(model_map, loaders))

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
        spec = self.spec_for(probe)
        record = self.cache.record_for(spec, self.target, probe.task)
        return {
            "source": f"pipeprobe run, model from {record.source if record else 'unknown'}",
            # the commit that loaded (lock file, full pin or HF cache), when known; a model map has none
            **({"commit": record.commit} if record and record.commit else {}),
            **library_versions(),
            "device": self.target.device,
            "dtype": self.target.dtype,
            "date": datetime.now(UTC).date().isoformat(),
        }

    def _run_batch(self, probe: Probe) -> None:
        members = [probe]
        if probe.batch:
            members = [other for other in self.probes[probe.suite] if other.batch == probe.batch]
        loaded = self.cache.get(self.spec_for(probe), self.target, probe.task)
        started = time.perf_counter()
        values = adapter_for(probe.task).run(loaded, [member.input for member in members], probe.params)
        seconds = time.perf_counter() - started
        for member, value in zip(members, values, strict=True):
            self._results[(member.suite, member.id)] = ProbeOutput(value=value, seconds=seconds)
