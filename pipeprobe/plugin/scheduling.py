"""How a run is spread: micro-batches, CI shards, and pytest-xdist workers (one model per worker).

Under ``-n N`` (``--dist load``, the default, or ``loadscope``/``loadgroup``) every probe of a
model goes to one worker, models heaviest first by ``fixtures/durations.json``, so each model
loads once in the whole run. Tests that are no probe are spread one by one, as ``--dist load``
does. With ``--device cuda`` (or ``auto``) and several visible GPUs, worker K runs on GPU
K mod count; provenance records the device each probe ran on.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pipeprobe.config import suite_declared_in
from pipeprobe.execution.batching import DEFAULT_BATCH_SIZE
from pipeprobe.plugin import shards
from pipeprobe.probes.catalogue import Probe

TAKEN_OVER = ("load", "loadscope", "loadgroup")  # --dist modes the model-aware scheduler replaces


def addoption(group: Any) -> None:
    group.addoption(
        "--probe-batch-size", type=int, default=DEFAULT_BATCH_SIZE, metavar="N",
        help=f"run up to N probes of one model, task and parameters in one padded call (default {DEFAULT_BATCH_SIZE}; "
             "1: one call per probe). The notes' batch: groups keep their grouping.",
    )
    group.addoption(
        "--shard", default=None, metavar="I/N",
        help="run shard I of N: every model's probes in exactly one shard, balanced by fixtures/durations.json",
    )
    group.addoption(
        "--store-durations", action="store_true",
        help="record each model's load and run seconds in fixtures/durations.json (balances --shard and -n)",
    )


def plugins(config: pytest.Config, runner: Any) -> list[tuple[Any, str]]:
    """The scheduling plugins of this run, named (``wiring.configure`` registers them)."""
    size = config.getoption("probe_batch_size")
    if size < 1:
        raise pytest.UsageError(f"--probe-batch-size={size}: must be 1 (one call per probe) or more")
    runner.planner.batch_size = size
    durations = shards.read_durations(shards.durations_path(config))
    _pin_worker_gpu(config, runner)
    found: list[tuple[Any, str]] = [(ModelScheduler(config, runner, durations), "pipeprobe-scheduling")]
    if config.getoption("shard"):
        shard = shards.Shard.parse(config.getoption("shard"))
        found.append((shards.ShardSelector(shard, runner.probes, durations), "pipeprobe-shard"))
    if config.getoption("store_durations"):
        found.append((shards.DurationRecorder(shards.durations_path(config)), "pipeprobe-durations"))
    return found


def worker_index(config: pytest.Config) -> int | None:
    """This xdist worker's number (gw3 -> 3), or None outside a worker."""
    workerinput = getattr(config, "workerinput", None)
    if not workerinput:
        return None
    worker = str(workerinput.get("workerid", ""))
    return int(worker[2:]) if worker.startswith("gw") and worker[2:].isdigit() else None


def worker_device(device: str, worker: int | None, gpus: int) -> str:
    """The device a worker uses: with several GPUs, worker K takes cuda:(K mod count); else ``device``."""
    if worker is None or gpus < 2 or not device.startswith("cuda"):
        return device
    return f"cuda:{worker % gpus}"


def _pin_worker_gpu(config: pytest.Config, runner: Any) -> None:
    option = str(config.getoption("device"))
    worker = worker_index(config)
    target = getattr(runner, "target", None)
    if worker is None or option not in ("cuda", "auto") or target is None or not target.device.startswith("cuda"):
        return
    import torch  # only on a CUDA worker, which loads models anyway

    device = worker_device(target.device, worker, torch.cuda.device_count())
    if device != target.device:
        runner.target = type(target)(device=device, dtype=target.dtype)


class ModelScheduler:
    """The plugin: hands the selection to the batch planner, tags items, makes the xdist scheduler."""

    def __init__(self, config: pytest.Config, runner: Any, durations: dict[str, dict[str, float]]) -> None:
        self.config = config
        self.runner = runner
        self.durations = durations

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        # runs after -m/-k and --shard deselection (trylast, registered before): batches hold only what runs
        shards.tag_items(items)

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        selected = [probe for item in session.items if (probe := shards.item_probe(item)) is not None]
        self.runner.planner.select(selected)

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_make_scheduler(self, config: pytest.Config, log: Any) -> Any:
        if config.getvalue("dist") not in TAKEN_OVER:
            return None
        weights = shards.model_weights(
            [probe for suite in self.runner.probes.values() for probe in suite], self.durations
        )
        return make_scheduler(config, log, ModelScopes(config.rootpath, self.runner.probes), weights)


class ModelScopes:
    """Maps an xdist node id to its probe's model, read from the controller's catalogue.

    The controller collects nothing, so the suite module's ``SUITE`` is read from its source (no import).
    """

    def __init__(self, root: Path, probes: dict[str, list[Probe]]) -> None:
        self.root = root
        self.models = {(suite, probe.id): probe.model for suite, members in probes.items() for probe in members}

    def model_of(self, nodeid: str) -> str | None:
        path, _, rest = nodeid.partition("::")
        if not rest.endswith("]") or "[" not in rest:
            return None
        suite = suite_declared_in(self.root / path)
        return self.models.get((suite, rest[rest.index("[") + 1:-1])) if suite else None


def make_scheduler(config: pytest.Config, log: Any, scopes: ModelScopes, weights: dict[str, float]) -> Any:
    """An xdist LoadScopeScheduling whose scope is the model, heaviest models queued first."""
    from xdist.scheduler import LoadScopeScheduling

    class ModelScheduling(LoadScopeScheduling):
        _ordered = False

        def _split_scope(self, nodeid: str) -> str:
            model = scopes.model_of(nodeid)
            return f"model:{model}" if model is not None else nodeid

        def _assign_work_unit(self, node: Any) -> None:
            if not self._ordered:  # the first hand-out: queue the heaviest models first (LPT)
                self._ordered = True
                ordered = sorted(self.workqueue.items(), key=lambda item: -_weight(item[0]))
                self.workqueue.clear()
                self.workqueue.update(ordered)
            super()._assign_work_unit(node)

    def _weight(scope: str) -> float:
        if scope.startswith("model:"):
            return weights.get(scope.removeprefix("model:"), shards.DEFAULT_LOAD_S)
        return 0.0

    return ModelScheduling(config, log)
