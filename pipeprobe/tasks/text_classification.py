"""Sentiment analysis: the ``text-classification`` pipeline, as the notes called it."""

from __future__ import annotations

from typing import Any

from pipeprobe.devices import Target
from pipeprobe.tasks.common import load_model, pretrained_kwargs


def load(location: str, revision: str | None, target: Target, local_only: bool, gguf_file: str | None) -> Any:
    from transformers import AutoModelForSequenceClassification, AutoTokenizer, pipeline

    tokenizer = AutoTokenizer.from_pretrained(location, **pretrained_kwargs(revision, local_only))
    model = load_model(AutoModelForSequenceClassification, location, revision, target, local_only)
    return pipeline("text-classification", model=model, tokenizer=tokenizer, device=model.device)


def run(classifier: Any, inputs: list[str], params: dict[str, Any]) -> list[dict[str, Any]]:
    """One call for the whole batch, as the notes ran it; one {label, score} per input."""
    results = classifier(list(inputs), **params)
    return [{"label": result["label"], "score": float(result["score"])} for result in results]


def judge(expect: dict[str, Any], output: dict[str, Any]) -> list[str]:
    if output["label"] != expect["label"]:
        return [f"expected label {expect['label']}, got {output['label']} (score {output['score']:.6f})"]
    return []
