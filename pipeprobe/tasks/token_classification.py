"""NER and POS: the ``token-classification`` pipeline with ``aggregation_strategy``.

The notes passed ``grouped_entities=True``, which transformers 5 removed; it meant
``aggregation_strategy="simple"`` (set in the probe file's params), which both 4.57 and 5.x take.
"""

from __future__ import annotations

import numbers
from typing import Any

from pipeprobe.devices import Target
from pipeprobe.tasks.base import Example, TaskAdapter
from pipeprobe.tasks.common import load_pipeline, run_pipeline


def plain(group: dict[str, Any]) -> dict[str, Any]:
    """numpy scalars (np.float32 scores, np.int64 offsets) as Python floats and ints."""
    result: dict[str, Any] = {}
    for key, value in group.items():
        if isinstance(value, numbers.Integral) and not isinstance(value, bool):
            result[key] = int(value)
        elif isinstance(value, numbers.Real):
            result[key] = float(value)
        else:
            result[key] = value
    return result


def _check_entities(entities: list[dict[str, Any]], output: list[dict[str, Any]]) -> str | None:
    """Named check ``entities``: the groups a person expects, in order, each {entity_group, word}
    (scores and offsets are the baseline's)."""
    wanted = [(group["entity_group"], group["word"]) for group in entities]
    got = [(group.get("entity_group", group.get("entity")), group["word"]) for group in output]
    return None if got == wanted else f"expected {_show(wanted)}, got {_show(got)}"


def _show(groups: list[tuple[str, str]]) -> str:
    return "[" + ", ".join(f"{tag} {word!r}" for tag, word in groups) + "]"


class TokenClassification(TaskAdapter):
    """Token classification (NER, part of speech): the expectation language on the list of groups
    (``0.word``), plus the named check ``entities``."""

    name = "token-classification"
    batches = True  # micro-batched: ``batch_size`` goes to the pipeline (pipeprobe.execution.batching)
    checks = {"entities": _check_entities}
    example = Example(
        input='My name is Clara and I live in Berkeley.',
        expect={'0.score': {'between': [0.0, 1.0]}},
    )

    def load(self, location: str, revision: str | None, target: Target, local_only: bool,
             gguf_file: str | None) -> Any:
        from transformers import AutoModelForTokenClassification

        return load_pipeline("token-classification", AutoModelForTokenClassification, location, revision, target,
                             local_only)

    def run(self, loaded: Any, inputs: list[str], params: dict[str, Any],
            batch_size: int = 1) -> list[list[dict[str, Any]]]:
        """One call per input (``batch_size`` > 1: one padded call per batch); each group (or token) with
        plain floats for scores and ints for offsets."""
        if "grouped_entities" in params:
            raise ValueError("grouped_entities was removed in transformers 5: use aggregation_strategy: simple")
        return [[plain(group) for group in groups] for groups in run_pipeline(loaded, inputs, params, batch_size)]
