"""Concurrent writers never lose an update (issue 17, item 3): two processes recording different targets
of the same baselines, started together, with a third sweeping temporaries meanwhile, end with both updates,
no corrupt file and no temporary left. scripts/concurrent_updates.py does the same through real pytest runs."""

from __future__ import annotations

import multiprocessing
from pathlib import Path
from typing import Any

import pytest

from pipeprobe.baselines import store

FILES = 40
ROUNDS = 3
STALE = {"label": "STALE"}


def record(probe: str, dtype: str, label: str) -> dict[str, Any]:
    return {"suite": "s", "probe": probe, "model": "m", "revision": "r", "input": f"text {probe}",
            "provenance": {"device": "cpu", "dtype": dtype}, "output": {"label": label, "text": "x" * 20_000}}


def writer(root: str, dtype: str, label: str, start: Any) -> None:
    """Record every baseline under ``root`` on the cpu/<dtype> target (a spawned process)."""
    start.wait()
    for index in range(FILES):
        probe = f"p{index:02d}"
        store.write(Path(root) / "s" / "m@r" / f"{probe}.json", record(probe, dtype, label),
                    [f"cpu/{dtype}"], root=Path(root))


def sweeper(root: str, start: Any, stop: Any) -> None:
    """Sweep temporaries over and over while the writers run (what a third process's update does)."""
    start.wait()
    while not stop.is_set():
        store.sweep(Path(root))


def stale_baselines(root: Path) -> list[Path]:
    """Every file with a stale reference and a stale bfloat16 entry: both writers must rewrite it."""
    paths = []
    for index in range(FILES):
        probe = f"p{index:02d}"
        path = root / "s" / "m@r" / f"{probe}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        stale = {**record(probe, "float32", "STALE"),
                 "targets": {"cpu/bfloat16": {"provenance": {"device": "cpu", "dtype": "bfloat16"}, "output": STALE}}}
        path.write_text(store.serialize(stale), encoding="utf-8")
        paths.append(path)
    return paths


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_two_targets_updated_at_once_both_kept(tmp_path: Path, round_: int) -> None:
    paths = stale_baselines(tmp_path)
    context = multiprocessing.get_context("spawn")
    start, stop = context.Barrier(3), context.Event()
    processes = [context.Process(target=writer, args=(str(tmp_path), "float32", f"F{round_}", start)),
                 context.Process(target=writer, args=(str(tmp_path), "bfloat16", f"B{round_}", start)),
                 context.Process(target=sweeper, args=(str(tmp_path), start, stop))]
    for process in processes:
        process.start()
    for process in processes[:2]:
        process.join(timeout=120)
    stop.set()
    processes[2].join(timeout=30)
    assert [process.exitcode for process in processes] == [0, 0, 0]

    lost, corrupt = [], []
    for path in paths:
        try:
            data = store.read(path)
        except store.BaselineError as error:
            corrupt.append(f"{path.name}: {error}")
            continue
        assert data is not None
        if data["output"]["label"] != f"F{round_}":
            lost.append(f"{path.name}: float32 reference not rewritten")
        if data.get("targets", {}).get("cpu/bfloat16", {}).get("output", {}).get("label") != f"B{round_}":
            lost.append(f"{path.name}: bfloat16 entry lost")
    leftovers = sorted(str(path) for path in tmp_path.rglob(".*.tmp"))
    assert (lost, corrupt, leftovers) == ([], [], [])
