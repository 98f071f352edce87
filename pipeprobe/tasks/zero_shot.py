"""Zero-shot classification: the ``zero-shot-classification`` pipeline (an NLI model), as the notes called it."""

from __future__ import annotations

from typing import Any

from pipeprobe.devices import Target
from pipeprobe.tasks.base import Example, TaskAdapter
from pipeprobe.tasks.common import load_pipeline

INPUT_KEYS = ("sequence", "candidate_labels")


class ZeroShotClassification(TaskAdapter):
    """Zero-shot classification (an NLI model)."""

    name = "zero-shot-classification"
    fields = ("labels", "scores")  # the keys of every result: an expect path elsewhere is refused when the file is read
    example = Example(
        input={'sequence': 'This is a course about the Transformers library',
               'candidate_labels': ['education', 'politics']},
        expect={'labels': {'len': 2}, 'scores.0': {'between': [0.0, 1.0]}},
    )

    def load(self, location: str, revision: str | None, target: Target, local_only: bool,
             gguf_file: str | None) -> Any:
        from transformers import AutoModelForSequenceClassification

        return load_pipeline("zero-shot-classification", AutoModelForSequenceClassification, location, revision, target,
                             local_only)

    def run(self, loaded: Any, inputs: list[dict[str, Any]], params: dict[str, Any],
            batch_size: int = 1) -> list[dict[str, Any]]:
        """One call per input (each has its own candidate labels); the whole ranking with every score.

        The pipeline's ``sequence`` echoes the input, which the baseline keeps as ``input``.
        """
        results = []
        for item in inputs:
            if not isinstance(item, dict) or set(item) != set(INPUT_KEYS):
                raise ValueError(f"a zero-shot input is a mapping with {' and '.join(INPUT_KEYS)}, not {item!r}")
            result = loaded(item["sequence"], candidate_labels=list(item["candidate_labels"]), **params)
            results.append({"labels": list(result["labels"]), "scores": [float(score) for score in result["scores"]]})
        return results

    def judge(self, expect: dict[str, Any], output: Any) -> list[str]:
        """The expectation language on ``{labels, scores}`` (``labels.0``: the top label); a miss shows the ranking."""
        problems = super().judge(expect, output)
        if not problems:
            return []
        ranking = ", ".join(f"{label} {score:.4f}"
                            for label, score in zip(output["labels"], output["scores"], strict=True))
        return [f"{problem} (ranking: {ranking})" for problem in problems]
