#!/usr/bin/env bash
# The GPU path, end to end, on one CUDA machine (under 8 minutes on one GPU):
#   1. the offline pack's probes at cuda float32, float16 and bfloat16, each run compared with the CPU
#      references (cross-target tier: no cuda entry exists yet) and recording its per-target baselines
#      (`--snapshot-update` writes only this target's entry: `cuda-smXY/<dtype>`) in a scratch copy;
#   2. `-n 2` at cuda float32 with the per-GPU worker map (worker K on GPU K mod count), compared with
#      the entries step 1 recorded;
#   3. one table: per run, probes ran, each drift status, the worst delta/tolerance ratio, devices, seconds.
# The repository's own snapshots/ are never written. Needs: torch with CUDA, the project installed with
# the `pack` and `parallel` extras, and `pipeprobe pack install` run (models/pack.toml).
#
#   scripts/gpu_check.sh [OUT_DIR]     # default: a temporary folder; the drift reports stay there
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
out="${1:-$(mktemp -d)}"
per_run="${PIPEPROBE_GPU_RUN_TIMEOUT:-150}"  # seconds per pytest run: 4 runs stay under 8 minutes

if ! python -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)" 2>/dev/null; then
  echo "gpu_check: no CUDA device here (torch.cuda.is_available() is false); nothing run" >&2
  exit 2
fi
if [[ ! -f models/pack.toml ]]; then
  echo "gpu_check: models/pack.toml is missing: run \`pipeprobe pack install\` first" >&2
  exit 2
fi
if ! python -c "import xdist" 2>/dev/null; then
  echo "gpu_check: pytest-xdist is missing: pip install -e '.[parallel]'" >&2
  exit 2
fi

# A scratch copy of the project: its snapshots/ receives the per-target entries.
project="$out/project"
mkdir -p "$project"
cp -r pyproject.toml conftest.py fixtures suites snapshots "$project/"
map="$root/models/pack.toml"

run() {  # run NAME PYTEST_ARGS...: one pytest run in the scratch project; its drift report in $out/NAME
  local name="$1" start rc
  shift
  start=$(date +%s)
  set +e
  (cd "$project" && timeout "$per_run" python -m pytest -q -p no:cacheprovider "--model-map=$map" \
      "--drift-report=$out/$name" "$@" > "$out/$name.log" 2>&1)
  rc=$?
  set -e
  echo "$name $rc $(( $(date +%s) - start ))" >> "$out/runs.txt"
  echo "gpu_check: $name exit $rc ($(( $(date +%s) - start )) s; log $out/$name.log)"
}

: > "$out/runs.txt"
for dtype in float32 float16 bfloat16; do
  run "cuda-$dtype" --device cuda --dtype "$dtype" --snapshot-update
done
run "cuda-float32-n2" --device cuda --dtype float32 -n 2

python - "$out" <<'PY'
import json
import re
import sys
from pathlib import Path

out = Path(sys.argv[1])
statuses = ("unchanged", "within tolerance", "drifted", "label or ranking changed", "new (no baseline)")
header = ["run", "exit", "s", "ran", *statuses, "worst ratio", "devices"]
rows = []
for line in (out / "runs.txt").read_text().splitlines():
    name, code, seconds = line.split()
    path = out / name / "drift.json"
    if not path.is_file():
        rows.append([name, code, seconds, "no drift report", *[""] * (len(header) - 4)])
        continue
    report = json.loads(path.read_text())
    ran = [p for p in report["probes"] if p.get("has_output")]
    counts = [sum(1 for p in ran if p.get("baseline_status") == s) for s in statuses]
    ratio = max((p.get("ratio") or 0.0 for p in ran), default=0.0)
    # where each model loaded (the worker map's choice under -n 2), from the probes' load lines
    devices = sorted({m.group(1) for p in ran if (m := re.search(r" on (\S+)/", p.get("load") or ""))}) or ["?"]
    rows.append([name, code, seconds, str(len(ran)), *map(str, counts), f"{ratio:.3g}", " ".join(devices)])
widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
for row in [header, ["-" * w for w in widths], *rows]:
    print(" | ".join(str(cell).ljust(width) for cell, width in zip(row, widths)))
print(f"\nfloat32/float16/bfloat16 rows: against the CPU references (cross-target tier), recording cuda entries;"
      f"\n-n 2 row: against the entries just recorded. Reports: {out}/<run>/drift.html")
PY
