"""``similar`` expectations' embeddings: an encoder pinned in models.yaml, loaded once by the session's model cache."""

from __future__ import annotations

from typing import Any


def embedder_for(runner: Any) -> Any:
    """(model id, text, reference) -> cosine similarity, through the feature-extraction adapter's ``similarity``."""

    def similarity(model: str, text: str, reference: str) -> float:
        from pipeprobe.models.resolution import ModelUnavailable
        from pipeprobe.tasks import adapter_for

        spec = runner.registry.get(model)
        if spec is None:
            raise ValueError(f"similar: model {model!r} is not pinned in fixtures/models.yaml")
        try:
            encoder = runner.cache.get(spec, runner.target, "feature-extraction")
        except ModelUnavailable as error:
            raise ValueError(f"similar: {error}") from None
        item = {"query": text, "candidates": [reference]}
        [result] = adapter_for("feature-extraction").run(encoder, [item], {"check": "similarity"})
        return float(result["scores"][0])

    return similarity
