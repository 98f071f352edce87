"""The most micro-batching can buy on this machine: MiniLM's forward passes alone, per probe vs batched.

    python scripts/batching_ceiling.py [--probes 800] [--threads 1 2] [--batch-size 32]

The scale benchmark's similarity probes (the same seeded sentences: a query and three candidates each)
embedded two ways, with no pytest and no pipeprobe around them: one padded call per probe (its 4
texts, what ``--probe-batch-size=1`` runs) and the whole set length-sorted in calls of ``batch-size``
texts (what a micro-batch runs). Both compute the same tokens; batching saves only the per-call
overhead and the padding. The ratio is the ceiling for the whole run's batched/unbatched ratio, which
also pays start-up, the model load and pytest's per-test work in both modes.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
from scale_benchmark import minilm_folder, sentence  # noqa: E402  (one project generator for both)


def texts_of(probes: int) -> list[list[str]]:
    generator = random.Random(probes)  # the seed scale_benchmark.write_project uses
    return [[sentence(generator) for _ in range(4)] for _ in range(probes)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--probes", type=int, default=800)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--map", type=Path, default=ROOT / "models" / "pack.toml")
    args = parser.parse_args()
    import torch
    from transformers import AutoModel, AutoTokenizer

    folder = minilm_folder(args.map)
    tokenizer, model = AutoTokenizer.from_pretrained(folder), AutoModel.from_pretrained(folder).eval()
    probes = texts_of(args.probes)
    flat = [text for probe in probes for text in probe]
    order = sorted(flat, key=len)

    def embed(texts: list[str]) -> None:
        batch = tokenizer(texts, padding=True, return_tensors="pt")
        with torch.no_grad():
            model(**batch)

    results = {}
    for threads in args.threads:
        torch.set_num_threads(threads)
        embed(flat[:8])  # warm
        start = time.perf_counter()
        for probe in probes:
            embed(probe)
        per_probe = time.perf_counter() - start
        start = time.perf_counter()
        for offset in range(0, len(order), args.batch_size):
            embed(order[offset:offset + args.batch_size])
        batched = time.perf_counter() - start
        results[f"{threads} thread(s)"] = {"per_probe_s": round(per_probe, 2), "batched_s": round(batched, 2),
                                           "ratio": round(per_probe / batched, 2), "calls": [len(probes), -(
                                               -len(flat) // args.batch_size)]}
        print(f"{threads} thread(s): {len(probes)} calls of 4 texts {per_probe:.2f} s, "
              f"{results[f'{threads} thread(s)']['calls'][1]} length-sorted calls of {args.batch_size} texts "
              f"{batched:.2f} s: {per_probe / batched:.2f}x", flush=True)
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
