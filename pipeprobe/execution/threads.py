"""How many intra-op threads torch gets: the cores this process may really use, shared among xdist workers.

torch's default is one thread per core the machine has, whatever else runs: on a busy or
containerised machine its threads spin against each other (issue 17: a pack run 5.6x slower
next to one busy process). The cores counted here are the affinity mask (``os.sched_getaffinity``)
capped by a cgroup v2 CPU quota (``cpu.max``), divided among the xdist workers; ``--threads N``
overrides. The policy is applied through ``OMP_NUM_THREADS`` before torch is imported, and with
``torch.set_num_threads`` where it already is.

The count alone does not make a busy machine fair: OpenMP's threads spin while they wait for each
other, so when another process holds a core, the thread that still runs burns its share waiting
for the one that is descheduled (measured on 2 cores next to 2 busy processes: 7.2x slower than
quiet; ``OMP_WAIT_POLICY=PASSIVE``: 2.5x, and no slower when quiet). So pipeprobe also asks for
passive waiting, unless the user chose a wait policy. OpenMP reads it when torch loads, so it only
takes effect where torch is not imported yet (a conftest that imports torch keeps OpenMP's default)."""

from __future__ import annotations

import math
import os
import sys
from pathlib import Path

CGROUP_CPU_MAX = Path("/sys/fs/cgroup/cpu.max")


def affinity_cores() -> int:
    """The cores the scheduler lets this process run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not Linux
        return max(1, os.cpu_count() or 1)


def quota_cores(cpu_max: Path = CGROUP_CPU_MAX) -> float | None:
    """The cgroup v2 CPU quota in cores (``cpu.max``: "<quota> <period>" or "max <period>"), or None."""
    try:
        quota, period = cpu_max.read_text(encoding="ascii").split()[:2]
    except (OSError, ValueError):
        return None
    if quota == "max":
        return None
    try:
        return max(int(quota) / int(period), 0.0) if int(period) > 0 else None
    except ValueError:
        return None


def available_cores(cpu_max: Path = CGROUP_CPU_MAX) -> int:
    """Whole cores this process may use: the affinity mask capped by the cgroup quota (rounded up)."""
    cores = affinity_cores()
    quota = quota_cores(cpu_max)
    return max(1, min(cores, math.ceil(quota))) if quota is not None else cores


def xdist_workers() -> int:
    """How many xdist workers share the machine (1 outside xdist)."""
    try:
        return max(1, int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1")))
    except ValueError:
        return 1


def policy_threads(override: int | None = None, cpu_max: Path = CGROUP_CPU_MAX) -> int:
    """The thread count: ``override`` when given, else the available cores divided among the workers."""
    if override is not None:
        return override
    return max(1, available_cores(cpu_max) // xdist_workers())


def apply(threads: int) -> None:
    """Give torch ``threads`` intra-op threads, now if it is imported, else when it is."""
    os.environ["OMP_NUM_THREADS"] = str(threads)
    os.environ["MKL_NUM_THREADS"] = str(threads)
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(threads)


def wait_passively() -> None:
    """Idle OpenMP threads sleep instead of spinning (unless the user set ``OMP_WAIT_POLICY``)."""
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
