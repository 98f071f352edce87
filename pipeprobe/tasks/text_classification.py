"""Sentiment analysis: the ``text-classification`` pipeline, as the notes called it."""

from __future__ import annotations

from typing import Any

from pipeprobe.devices import Target
from pipeprobe.tasks.base import Example, TaskAdapter
from pipeprobe.tasks.common import check_input_lengths, load_pipeline


class TextClassification(TaskAdapter):
    """Text classification (sentiment analysis)."""

    name = "text-classification"
    batches = True  # micro-batched: ``batch_size`` goes to the pipeline (pipeprobe.execution.batching)
    fields = ("label", "score")  # the keys of every result: an expect path elsewhere is refused when the file is read
    example = Example(
        input='I love this product!',
        expect={'score': {'between': [0.0, 1.0]}, 'label': {'matches': '.'}},
    )

    def load(self, location: str, revision: str | None, target: Target, local_only: bool,
             gguf_file: str | None) -> Any:
        from transformers import AutoModelForSequenceClassification

        return load_pipeline("text-classification", AutoModelForSequenceClassification, location, revision, target,
                             local_only)

    def run(self, loaded: Any, inputs: list[str], params: dict[str, Any],
            batch_size: int = 1) -> list[dict[str, Any]]:
        """One call for the whole batch, as the notes ran it; one {label, score} per input.

        ``batch_size`` 1 (the pipeline's default, the notes' way) runs each input alone; more pads them together.
        """
        if not params.get("truncation"):  # an input over the model's limit is named, not a tensor error
            check_input_lengths(loaded.tokenizer, loaded.model, inputs)
        results = loaded(list(inputs), batch_size=max(1, batch_size), **params)
        return [{"label": result["label"], "score": float(result["score"])} for result in results]

    def judge(self, expect: dict[str, Any], output: Any) -> list[str]:
        """The expectation language on ``{label, score}``; a miss shows the score."""
        return [f"{problem} (score {output['score']:.6f})" for problem in super().judge(expect, output)]
