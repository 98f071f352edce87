"""Fill-mask: the ``fill-mask`` pipeline, as the notes called it (the mask written as the model spells it)."""

from __future__ import annotations

from typing import Any

from pipeprobe.devices import Target
from pipeprobe.tasks.base import Example, TaskAdapter
from pipeprobe.tasks.common import load_pipeline, run_pipeline


def _check_count(count: int, output: list[dict[str, Any]]) -> str | None:
    """Named check ``count``: that many distinct predictions (the ``top_k`` asked for), best first."""
    problems = []
    if len(output) != count:
        problems.append(f"expected {count} predictions, got {len(output)}")
    tokens = [prediction["token"] for prediction in output]
    if len(set(tokens)) != len(tokens):
        problems.append(f"the same token predicted twice: {tokens}")
    scores = [prediction["score"] for prediction in output]
    if scores != sorted(scores, reverse=True):
        problems.append(f"predictions not ranked best first: scores {scores}")
    return "; ".join(problems) or None


class FillMask(TaskAdapter):
    """Masked-token prediction: the expectation language on the list of predictions (``0.token_str``),
    plus the named check ``count``."""

    name = "fill-mask"
    batches = True  # micro-batched: ``batch_size`` goes to the pipeline (pipeprobe.execution.batching)
    checks = {"count": _check_count}
    example = Example(
        input='Paris is the [MASK] of France.',
        expect={'count': 3},
        params={'top_k': 3},
    )

    def load(self, location: str, revision: str | None, target: Target, local_only: bool,
             gguf_file: str | None) -> Any:
        from transformers import AutoModelForMaskedLM

        return load_pipeline("fill-mask", AutoModelForMaskedLM, location, revision, target, local_only)

    def run(self, loaded: Any, inputs: list[str], params: dict[str, Any],
            batch_size: int = 1) -> list[list[dict[str, Any]]]:
        """One call per input (``batch_size`` > 1: one padded call per batch); each prediction as
        {score, token, token_str, sequence}, best first."""
        results = []
        for predictions in run_pipeline(loaded, inputs, params, batch_size):
            results.append([
                {
                    "score": float(prediction["score"]),
                    "token": int(prediction["token"]),
                    "token_str": str(prediction["token_str"]),
                    "sequence": str(prediction["sequence"]),
                }
                for prediction in predictions
            ])
        return results
