"""Micro-batching: which probes run together in one adapter call, and with what batch size.

Probes of one model, task and parameters run in batches of ``--probe-batch-size`` (length-sorted,
so a batch pads little: PERFORMANCE.md measured unsorted padded batches slower than one call per
input; a batch also closes early before padding fills half of it). The notes' explicit ``batch:``
groups keep their recorded grouping and run as the notes ran them. Only adapters that declare
``batches = True`` are micro-batched; ``1`` restores one call per probe.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field

from pipeprobe.probes.catalogue import Probe

DEFAULT_BATCH_SIZE = 32
ProbeKey = tuple[str, str]


def group_key(probe: Probe) -> tuple[str, str, str]:
    """Probes with equal keys may share a batch: same model, same task, same parameters."""
    return probe.model, probe.task, json.dumps(probe.params, sort_keys=True, default=str)


def input_length(probe: Probe) -> int:
    """A padding proxy: a text's length in characters (a structured input's JSON length)."""
    value = probe.input
    return len(value) if isinstance(value, str) else len(json.dumps(value, ensure_ascii=False, default=str))


@dataclass
class BatchPlanner:
    """Splits the session's probes into micro-batches, once, on first use of each group.

    ``selected``: the probes this session runs (after ``-m``, ``-k``, ``--shard``); probes outside
    it are never run just to fill a batch. None means every probe.
    """

    probes: dict[str, list[Probe]]
    batch_size: int = DEFAULT_BATCH_SIZE
    selected: set[ProbeKey] | None = None
    _chunks: dict[ProbeKey, list[Probe]] = field(default_factory=dict)

    def select(self, probes: Iterable[Probe]) -> None:
        self.selected = {(probe.suite, probe.id) for probe in probes}
        self._chunks.clear()

    def members(self, probe: Probe, batches: bool) -> tuple[list[Probe], int]:
        """The probes to run in one call with ``probe``, and the batch size the adapter gets."""
        if probe.batch:
            return [other for other in self.probes[probe.suite] if other.batch == probe.batch], 1
        if not batches or self.batch_size <= 1:
            return [probe], 1
        key = (probe.suite, probe.id)
        if key not in self._chunks:
            self._plan(probe)
        return self._chunks[key], self.batch_size

    def _plan(self, probe: Probe) -> None:
        wanted = group_key(probe)
        group = [
            other
            for suite in self.probes.values()
            for other in suite
            if not other.batch
            and group_key(other) == wanted
            and (other.suite, other.id) not in self._chunks
            and (self.selected is None or (other.suite, other.id) in self.selected)
        ]
        if not any((other.suite, other.id) == (probe.suite, probe.id) for other in group):
            group.append(probe)
        group.sort(key=input_length)
        for chunk in padding_bounded(group, self.batch_size):
            for member in chunk:
                self._chunks[(member.suite, member.id)] = chunk


# A batch closes early when padding would fill more than this share of it (a long outlier gets its own batch).
MAX_PADDING = 0.5


def padding_bounded(probes: list[Probe], size: int) -> list[list[Probe]]:
    """Length-sorted ``probes`` in batches of at most ``size``, each padded to at most ``MAX_PADDING``."""
    chunks: list[list[Probe]] = []
    chunk: list[Probe] = []
    total = 0
    for probe in probes:
        length = max(1, input_length(probe))
        padded = (len(chunk) + 1) * length  # sorted: this probe is the longest so far
        if chunk and (len(chunk) >= size or padded - (total + length) > MAX_PADDING * padded):
            chunks.append(chunk)
            chunk, total = [], 0
        chunk.append(probe)
        total += length
    if chunk:
        chunks.append(chunk)
    return chunks
