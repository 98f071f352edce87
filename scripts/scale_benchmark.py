"""How the cost per probe grows with the run: a scratch project of N MiniLM similarity probes.

    python scripts/scale_benchmark.py                     # 800 and 3,200 probes, batched and at batch size 1
    python scripts/scale_benchmark.py --sizes 800 --repeats 3
    python scripts/scale_benchmark.py --tree /path/to/an/older/checkout   # the same runs on another version

Each run is a fresh ``pytest`` process on one thread (OMP_NUM_THREADS=1, so a busy machine does not
skew it) against the offline pack's real MiniLM (``pipeprobe pack install``). It prints wall time,
time per probe, and the batched vs ``--probe-batch-size=1`` ratio, in wall and in CPU seconds (what a
busy machine skews least); ``--out`` keeps them as JSON. ``scripts/batching_ceiling.py`` measures the most
batching can buy here: the model's forward passes alone.
The per-test overhead is (wall at N - wall at a small N) / (N - small N) minus the model's own share,
so compare it between versions on the same machine, never across machines.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODEL = "sentence-transformers/all-MiniLM-L6-v2"
WORDS = ("man woman child dog cat horse bread music market river city song film book train sea sun rain "
         "eating riding reading singing running walking carrying buying watching playing").split()
SUITE_MODULE = '''try:
    from pipeprobe.plugin.probes import assert_expected
except ImportError:  # an older layout
    from pipeprobe.plugin import assert_expected

SUITE = "sim"


def test_expectation(probe, probe_output):
    assert_expected(probe, probe_output)
'''


def sentence(generator: random.Random) -> str:
    return "A " + " ".join(generator.choice(WORDS) for _ in range(generator.randint(3, 12))) + "."


def write_project(folder: Path, probes: int, pack_map: Path) -> None:
    """pyproject, models.yaml, N similarity probes and a thin suite module."""
    generator = random.Random(probes)
    (folder / "fixtures").mkdir(parents=True)
    (folder / "suites").mkdir()
    (folder / "pyproject.toml").write_text('[tool.pytest.ini_options]\ntestpaths = ["suites"]\n\n[tool.pipeprobe]\n')
    (folder / "fixtures/models.yaml").write_text(f'models:\n  "{MODEL}":\n    revision: main\n'
                                                 "    task: feature-extraction\n")
    entries = []
    for index in range(probes):
        item = {"query": sentence(generator), "candidates": [sentence(generator) for _ in range(3)]}
        entries.append({"id": f"sim-{index:05d}", "source": {"section": "scale", "test": str(index)}, "lang": "en",
                        "input": item, "params": {"check": "similarity"}, "expect": {"scores": {"len": 3}}})
    document = {"suite": "sim", "task": "feature-extraction", "marker": "embeddings", "model": MODEL,
                "probes": entries}
    (folder / "fixtures/sim.yaml").write_text(json.dumps(document))  # JSON is YAML
    (folder / "suites/test_sim.py").write_text(SUITE_MODULE)
    (folder / "map.toml").write_text(f'[models]\n"{MODEL}" = "{minilm_folder(pack_map)}"\n')


def minilm_folder(pack_map: Path) -> Path:
    """MiniLM's folder, as the pack's model map names it (read by pipeprobe's own model-map reader)."""
    from pipeprobe.models import ModelMap

    return ModelMap.load(pack_map).entries[MODEL].path


def run(folder: Path, tree: Path | None, batch_size: int | None) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one pytest process: CPU time is what a busy machine skews least."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1", "TRANSFORMERS_VERBOSITY": "error"}
    args = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--model-map=map.toml", "-x"]
    if tree is not None:  # another checkout: its package first on the path, its own entry module
        env["PYTHONPATH"] = str(tree)
        env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
        entry = "pipeprobe.plugin.entry" if (tree / "pipeprobe/plugin/entry.py").exists() else "pipeprobe.entry"
        args += ["-p", entry, "-p", "syrupy"]
    if batch_size is not None:
        args.append(f"--probe-batch-size={batch_size}")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(args, cwd=folder, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"pytest failed in {folder} (exit {done.returncode}):\n"
                         f"{done.stdout[-3000:]}{done.stderr[-2000:]}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def measured(runs: list[tuple[float, float]], size: int) -> dict[str, float]:
    """The median wall and CPU seconds of ``runs``, and wall time per probe."""
    wall, cpu = statistics.median(run[0] for run in runs), statistics.median(run[1] for run in runs)
    return {"wall_s": wall, "cpu_s": cpu, "per_probe_ms": wall / size * 1e3}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[50, 800, 3200])
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--unbatched-at", type=int, default=800, help="also run this size at --probe-batch-size=1")
    parser.add_argument("--tree", type=Path, default=None, help="an older checkout to measure instead")
    parser.add_argument("--map", type=Path, default=ROOT / "models" / "pack.toml")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="pipeprobe-scale-") as scratch:
        for size in args.sizes:
            folder = Path(scratch) / f"n{size}"
            write_project(folder, size, args.map.resolve())
            results[f"{size}"] = measured([run(folder, args.tree, None) for _ in range(args.repeats)], size)
            if size == args.unbatched_at:
                results[f"{size} batch-size 1"] = measured([run(folder, args.tree, 1) for _ in range(args.repeats)],
                                                           size)
            print(f"{size} probes: " + json.dumps(results[f'{size}']), flush=True)
    sizes = sorted(args.sizes)
    for small, large in zip(sizes, sizes[1:], strict=False):  # the cost of one more probe, start-up taken out
        results[f"marginal {small}->{large}"] = {
            f"{kind}_ms_per_probe": (results[str(large)][f"{kind}_s"] - results[str(small)][f"{kind}_s"])
            / (large - small) * 1e3 for kind in ("wall", "cpu")}
    if str(args.unbatched_at) in results and f"{args.unbatched_at} batch-size 1" in results:
        one, batched = results[f"{args.unbatched_at} batch-size 1"], results[str(args.unbatched_at)]
        results["batched_speedup"] = {"at": args.unbatched_at, "ratio": one["wall_s"] / batched["wall_s"],
                                      "cpu_ratio": one["cpu_s"] / batched["cpu_s"]}
    print(json.dumps(results, indent=2))
    if args.out:
        args.out.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
