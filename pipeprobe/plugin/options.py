"""pipeprobe's command-line options and ini keys, added in every pytest run (so: light imports).

The entry point (``pipeprobe.plugin.entry``) calls ``add_options``; the probe plugin itself
(``pipeprobe.plugin.probes``) is registered only in a project with ``[tool.pipeprobe]``.
"""

from __future__ import annotations

import pytest


def add_options(parser: pytest.Parser) -> None:
    """Every option and ini key of pipeprobe (each helper module adds its own)."""
    from pipeprobe.plugin import carbon, scheduling

    group = parser.getgroup("pipeprobe", "pipeprobe: probes of transformers models")
    group.addoption("--device", default="cpu", help="cpu (default), auto, cuda, cuda:N or mps")
    group.addoption("--dtype", default="float32", help="float32 (default), float16 or bfloat16")
    group.addoption(
        "--model-map", default=None, metavar="PATH",
        help="TOML map of hub ids to local folders (default: $PIPEPROBE_MODEL_MAP)",
    )
    group.addoption(
        "--threads", type=_thread_count, default=None, metavar="N",
        help="torch's intra-op threads (default: the cores this process may use, shared among xdist workers)",
    )
    group.addoption(
        "--require-models", action="store_true",
        help="a model that can't be had is an error, not a skip (nightly CI)",
    )
    group.addoption(
        "--drift-report", default=None, metavar="DIR",
        help="write drift.json, drift.html and drift.png (each probe's delta against its tolerance) into DIR",
    )
    scheduling.addoption(group)  # --probe-batch-size, --shard, --store-durations
    carbon.addoption(group)  # --carbon, --carbon-country (pipeprobe.plugin.carbon)
    parser.addini("pipeprobe_fixtures", "folder of probe files and models.yaml", default="fixtures")
    parser.addini("pipeprobe_snapshots", "folder of baseline snapshots", default="snapshots")


def _thread_count(value: str) -> int:
    """``--threads``: a whole number from 1 to 1024 (argparse turns the ValueError into one usage line)."""
    count = int(value)
    if not 1 <= count <= 1024:
        raise ValueError(value)
    return count
