"""Prove that concurrent `--snapshot-update` runs never lose an update (issue 17, item 3).

Each round two pytest processes start at once on the same 40 baselines of a scratch project (the
sst2 twin under a generated 40-probe suite): one updates the cpu/float32 reference, the other
(`--dtype bfloat16`) its own `targets` entry. Before each round every file is reset to a stale
reference *and* a stale bfloat16 entry, so both runs must rewrite every file. Afterwards:

- lost update: a file whose reference is still stale, or whose cpu/bfloat16 entry is missing or stale;
- corrupt file: `store.read` raises;
- leftover: a temporary file (`.<name>.*.tmp`) left in the snapshot folder.

    python scripts/concurrent_updates.py [--rounds 20] [--probes 40] [--out reports/concurrent_updates.json]

Needs no hub (the twin is built, or taken from the twin cache) and no pack.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SUITE = "concurrent"
MODEL = "distilbert/distilbert-base-uncased-finetuned-sst-2-english"
STALE = {"label": "STALE", "score": 0.5}
BF16 = "cpu/bfloat16"


def probe_file(count: int) -> str:
    """A suite of ``count`` sentiment probes with distinct inputs."""
    lines = [f"suite: {SUITE}", "task: text-classification", f"marker: {SUITE}", f"model: {MODEL}", "", "probes:"]
    for index in range(1, count + 1):
        lines += [f"  - id: p{index:02d}", f'    input: "sentence number {index} about a film I watched"',
                  "    expect: {label: POSITIVE}", ""]
    return "\n".join(lines)


def build_project(folder: Path, probes: int) -> Path:
    """A scratch project: the config, models.yaml, one generated suite and a model map to the sst2 twin."""
    from tests import twins

    (folder / "fixtures").mkdir(parents=True)
    (folder / "suites").mkdir()
    shutil.copy2(ROOT / "pyproject.toml", folder / "pyproject.toml")
    shutil.copy2(ROOT / "fixtures/models.yaml", folder / "fixtures/models.yaml")
    (folder / "fixtures" / f"{SUITE}.yaml").write_text(probe_file(probes), encoding="utf-8")
    module = (ROOT / "suites/test_sentiment.py").read_text(encoding="utf-8")
    (folder / "suites" / f"test_{SUITE}.py").write_text(
        module.replace('SUITE = "sentiment"', f'SUITE = "{SUITE}"'), encoding="utf-8")
    twin = twins.build_sst2_twin(folder / "twin")
    return twins.write_model_map(folder / "map.toml", {twins.SST2_ID: twin})


def pytest_command(model_map: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "pytest", "suites", "-q", "-p", "no:cacheprovider", "-p", "no:randomly",
            "-k", "baseline", f"--model-map={model_map}", "--snapshot-update", *extra]


def baseline_files(project: Path) -> list[Path]:
    return sorted((project / "snapshots" / SUITE).glob("*/*.json"))


def reset(files: list[Path]) -> None:
    """Every file back to a stale reference and a stale bfloat16 entry: both runs must rewrite it."""
    from pipeprobe.baselines import store

    for path in files:
        data = store.read(path) or {}
        data["output"] = dict(STALE)
        data["targets"] = {BF16: {"provenance": {"device": "cpu", "dtype": "bfloat16"}, "output": dict(STALE)}}
        path.write_text(store.serialize(data), encoding="utf-8")


def count(project: Path, files: list[Path]) -> dict[str, Any]:
    """Lost updates, corrupt files and leftover temporaries after a round."""
    from pipeprobe.baselines import store

    lost: list[str] = []
    corrupt: list[str] = []
    for path in files:
        try:
            data = store.read(path)
        except store.BaselineError as error:
            corrupt.append(f"{path.name}: {error}")
            continue
        if data is None or data.get("output") == STALE:
            lost.append(f"{path.name}: float32 reference not rewritten")
        entry = ((data or {}).get("targets") or {}).get(BF16)
        if not isinstance(entry, dict) or entry.get("output") == STALE:
            lost.append(f"{path.name}: bfloat16 entry {'stale' if entry else 'missing'}")
    leftovers = [str(path.relative_to(project)) for path in (project / "snapshots").rglob(".*.tmp")]
    return {"lost": lost, "corrupt": corrupt, "leftovers": leftovers}


def one_round(project: Path, model_map: Path, files: list[Path]) -> dict[str, Any]:
    reset(files)
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    start = time.perf_counter()
    runs = [subprocess.Popen(pytest_command(model_map, *extra), cwd=project, env=env, text=True,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            for extra in ((), ("--dtype", "bfloat16"))]
    outputs = [run.communicate()[0] for run in runs]
    result = count(project, files)
    result["exit_codes"] = [run.returncode for run in runs]
    result["seconds"] = round(time.perf_counter() - start, 1)
    if any(code != 0 for code in result["exit_codes"]):
        result["output_tails"] = [output[-1500:] for output in outputs]
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--probes", type=int, default=40)
    parser.add_argument("--out", type=Path, help="write the per-round results as JSON here")
    parser.add_argument("--keep", action="store_true", help="keep the scratch project")
    args = parser.parse_args()

    project = Path(tempfile.mkdtemp(prefix="pipeprobe-concurrent-"))
    try:
        model_map = build_project(project, args.probes)
        first = subprocess.run(pytest_command(model_map), cwd=project, capture_output=True, text=True)
        files = baseline_files(project)
        if first.returncode != 0 or len(files) != args.probes:
            print(f"recording the first baselines failed ({len(files)} files):\n{first.stdout[-2000:]}")
            return 2
        rounds = []
        for number in range(1, args.rounds + 1):
            result = one_round(project, model_map, files)
            rounds.append(result)
            print(f"round {number:2d}: lost {len(result['lost'])}, corrupt {len(result['corrupt'])}, "
                  f"leftovers {len(result['leftovers'])}, exits {result['exit_codes']}, {result['seconds']} s",
                  flush=True)
        totals = {key: sum(len(r[key]) for r in rounds) for key in ("lost", "corrupt", "leftovers")}
        bad_rounds = sum(1 for r in rounds if r["lost"] or r["corrupt"] or r["leftovers"] or any(r["exit_codes"]))
        print(f"{args.rounds} rounds x {len(files)} baselines: lost updates {totals['lost']}, corrupt files "
              f"{totals['corrupt']}, leftover temporaries {totals['leftovers']}; rounds with a fault: {bad_rounds}")
        if args.out:
            args.out.parent.mkdir(parents=True, exist_ok=True)
            args.out.write_text(json.dumps({"probes": len(files), "totals": totals, "bad_rounds": bad_rounds,
                                            "rounds": rounds}, indent=2) + "\n", encoding="utf-8")
        return 0 if bad_rounds == 0 else 1
    finally:
        if args.keep:
            print(f"project kept at {project}")
        else:
            shutil.rmtree(project, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
