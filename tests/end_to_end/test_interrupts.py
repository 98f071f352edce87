"""Interrupted updates: ``--snapshot-update`` killed at random moments (SIGINT and SIGKILL).

After every kill each baseline still parses and is either its old or its new version (no
stray diffs), nothing else in the project changed, and the next complete update leaves no
temporary file behind. CI kills 20 updates; by hand, 200 (or any number):

    OMP_NUM_THREADS=1 python -m tests.end_to_end.test_interrupts --kills 200

Each update runs in a child forked from a process that has already imported torch and
transformers (so a kill costs the update, not an interpreter start), and is killed after a
random delay drawn over the length of a whole update.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from pipeprobe.baselines.store import parse as parse_snapshot
from tests import twins
from tests.bad_inputs import BASELINES, HEADER, PROBE, make_project

PROBES = 24
HANG_S = 120.0


def probe_file(count: int = PROBES) -> str:
    """``count`` probes of differing lengths (so an update spends its time across many writes)."""
    words = ["great", "course", "waited", "terrible", "boring", "life", "love", "hate"]
    return HEADER + "".join(
        PROBE.format(id=f"p{index:03d}", input=json.dumps(" ".join(words[: 1 + index % len(words)]) + f" {index}"))
        for index in range(count)
    )


def _update(project: Path, twin: Path, kill_after: float | None, sig: int) -> tuple[str, float]:
    """Run ``pytest -k baseline --snapshot-update`` in a forked child, killed after ``kill_after`` s (None: never)."""
    twins.write_model_map(project / "map.toml", {twins.SST2_ID: twin})
    started = time.monotonic()
    pid = os.fork()
    if pid == 0:  # the child: run pytest here, never return into the parent's code
        code = 70
        try:
            os.chdir(project)
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)
            os.dup2(devnull, 2)
            code = int(pytest.main(["-p", "no:cacheprovider", "-q", "-k", "baseline", "--model-map=map.toml",
                                    "--snapshot-update", "-W", "ignore"]))
        finally:
            os._exit(code)
    if kill_after is not None:
        deadline = started + kill_after
        while time.monotonic() < deadline:
            done, _ = os.waitpid(pid, os.WNOHANG)
            if done:
                return "finished", time.monotonic() - started
            time.sleep(0.002)
        os.kill(pid, sig)
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() - started > HANG_S:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            return "hung", time.monotonic() - started
        time.sleep(0.01)
    if kill_after is None and os.waitstatus_to_exitcode(status) != 0:
        return f"failed ({os.waitstatus_to_exitcode(status)})", time.monotonic() - started
    return "killed" if kill_after is not None else "finished", time.monotonic() - started


def _normal(path: Path) -> dict | None:
    """A baseline's content as compared (its date aside), or None when it does not parse."""
    try:
        data = parse_snapshot(path.read_bytes().decode("utf-8"))
    except (ValueError, OSError):
        return None
    data.get("provenance", {}).pop("date", None)
    return data


def _others(root: Path) -> dict[str, bytes]:
    """Every file of the project outside its baselines and model map."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and "snapshots" not in p.parts and p.name != "map.toml"}


def campaign(root: Path, kills: int, seed: int = 9, log: bool = False) -> dict[str, int]:
    """Set up a project in ``root``, kill ``kills`` updates, and count what went wrong."""
    rng = random.Random(seed)
    root.mkdir(parents=True, exist_ok=True)
    make_project(root, probes=probe_file())
    twin_a = twins.build_sst2_twin(root.parent / f"{root.name}-twin-a")
    twin_b = twins.shift_classifier_bias(twin_a, root.parent / f"{root.name}-twin-b", "POSITIVE", 0.5)
    folder = root / BASELINES
    versions: dict[str, list[dict]] = {}
    durations = []
    for twin in (twin_a, twin_b):  # both complete versions of every baseline
        outcome, seconds = _update(root, twin, None, 0)
        assert outcome == "finished", outcome
        durations.append(seconds)
        for path in folder.glob("*.json"):
            versions.setdefault(path.name, []).append(_normal(path))
    names = sorted(versions)
    assert len(names) == PROBES and all(a != b for a, b in versions.values())
    others = _others(root)
    full = min(durations)  # kill moments are drawn over the fastest whole update seen so far
    counts = {"kills": 0, "finished": 0, "corrupt": 0, "missing": 0, "stray_diffs": 0, "leftovers_after_kill": 0,
              "hung": 0, "leftovers": 0}
    index = 0
    while counts["kills"] < kills and index < 2 * kills:  # until ``kills`` updates were killed while running
        sig = signal.SIGINT if index % 2 == 0 else signal.SIGKILL
        twin = twin_a if index % 2 == 0 else twin_b
        outcome, seconds = _update(root, twin, rng.uniform(0.0, full), sig)
        counts["kills" if outcome == "killed" else "hung" if outcome == "hung" else "finished"] += 1
        if outcome == "finished":
            full = min(full, seconds)
        present = sorted(path.name for path in folder.glob("*.json"))
        counts["missing"] += len(set(names) - set(present))
        for name in present:
            content = _normal(folder / name)
            if content is None:
                counts["corrupt"] += 1
            elif content not in versions[name]:
                counts["stray_diffs"] += 1
        counts["leftovers_after_kill"] += len(list(folder.glob(".*.tmp")))
        if _others(root) != others or set(present) - set(names):
            counts["stray_diffs"] += 1
        if log:
            print(f"{index + 1:4d} {signal.Signals(sig).name:7s} {outcome:8s} {json.dumps(counts)}", flush=True)
        index += 1
    outcome, _ = _update(root, twin_a, None, 0)  # the next complete update: every baseline new, no leftovers
    assert outcome == "finished", outcome
    counts["leftovers"] = len([path for path in root.rglob("*.tmp")])
    counts["stray_diffs"] += sum(_normal(folder / name) != versions[name][0] for name in names)
    return counts


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_killed_updates_leave_whole_baselines_and_no_temporary_files(tmp_path):
    # The campaign forks, so it runs in a fresh interpreter with one OpenMP thread: a child forked
    # from a process whose thread pool already runs (this one, after other tests) can deadlock.
    env = {**os.environ, "OMP_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false"}
    env.pop("PYTEST_XDIST_WORKER", None)
    done = subprocess.run(
        [sys.executable, "-m", "tests.end_to_end.test_interrupts", "--kills", "20", "--folder", str(tmp_path)],
        cwd=Path(__file__).resolve().parents[2], env=env, capture_output=True, text=True, timeout=1200,
    )
    counts = json.loads(done.stdout.strip().splitlines()[-1])
    assert counts["kills"] == 20 and counts["hung"] == 0, counts
    assert {key: counts[key] for key in ("corrupt", "missing", "stray_diffs", "leftovers")} == {
        "corrupt": 0, "missing": 0, "stray_diffs": 0, "leftovers": 0}, counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=200)
    parser.add_argument("--seed", type=int, default=9)
    parser.add_argument("--folder", type=Path, default=None, help="work here (default: a temporary folder)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        started = time.monotonic()
        counts = campaign((args.folder or Path(scratch)) / "project", args.kills, args.seed, log=True)
    print(json.dumps({**counts, "seconds": round(time.monotonic() - started, 1)}))
    bad = counts["corrupt"] + counts["missing"] + counts["stray_diffs"] + counts["leftovers"] + counts["hung"]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
