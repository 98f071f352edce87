"""Fill-mask: the ``fill-mask`` pipeline, as the notes called it (the mask written as the model spells it)."""

from __future__ import annotations

from typing import Any

from pipeprobe.devices import Target
from pipeprobe.tasks.common import load_model, pretrained_kwargs


def load(location: str, revision: str | None, target: Target, local_only: bool, gguf_file: str | None) -> Any:
    from transformers import AutoModelForMaskedLM, AutoTokenizer, pipeline

    tokenizer = AutoTokenizer.from_pretrained(location, **pretrained_kwargs(revision, local_only))
    model = load_model(AutoModelForMaskedLM, location, revision, target, local_only)
    return pipeline("fill-mask", model=model, tokenizer=tokenizer, device=model.device)


def run(unmasker: Any, inputs: list[str], params: dict[str, Any]) -> list[list[dict[str, Any]]]:
    """One call per input; each prediction as {score, token, token_str, sequence}, best first."""
    results = []
    for text in inputs:
        predictions = unmasker(text, **params)
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


def judge(expect: dict[str, Any], output: list[dict[str, Any]]) -> list[str]:
    """``count`` distinct predictions (the ``top_k`` asked for), best first."""
    problems = []
    if len(output) != expect["count"]:
        problems.append(f"expected {expect['count']} predictions, got {len(output)}")
    tokens = [prediction["token"] for prediction in output]
    if len(set(tokens)) != len(tokens):
        problems.append(f"the same token predicted twice: {tokens}")
    scores = [prediction["score"] for prediction in output]
    if scores != sorted(scores, reverse=True):
        problems.append(f"predictions not ranked best first: scores {scores}")
    return problems
