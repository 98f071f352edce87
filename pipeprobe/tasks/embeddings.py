"""Sentence embeddings from an encoder (all-MiniLM-L6-v2): mean pooling over the attention mask.

What a probe checks is chosen by ``params.check``:

- ``embed`` (default): per sentence ``{"dim", "norm", "head"}``: the mean-pooled vector's
  size, its L2 norm before normalisation and its first ``head`` values (default 5).
- ``shape``: the inputs as one padded batch: ``{"last_hidden_state": [batch, tokens, hidden]}``.
- ``similarity``: input ``{query, candidates}``: cosine similarity of the normalised
  embeddings, ``{"scores", "order"}`` (candidate indices, most similar first).
- ``padding``: the inputs as one padded batch, with and without the attention mask, against
  each sentence alone: ``{"padded", "with_mask_max_diff", "without_mask_max_diff"}``.
- ``truncation``: input ``{text, repeat?, times?, suffix?}`` built into one long text;
  ``{"tokens", "last_hidden_state"}`` with ``truncation: true``, else ``{"tokens", "error"}``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pipeprobe.devices import Target
from pipeprobe.tasks.base import Example, TaskAdapter
from pipeprobe.tasks.common import ModelWithTokenizer as Encoder
from pipeprobe.tasks.common import chunked, load_with_tokenizer


@dataclass
class _Hidden:
    states: Any
    mask: Any

    @property
    def shape_list(self) -> list[int]:
        return [int(size) for size in self.states.shape]


def _hidden(encoder: Encoder, texts: list[str], use_mask: bool = True) -> tuple[_Hidden, Any]:
    import torch

    batch = encoder.tokenizer(texts, padding=True, return_tensors="pt").to(encoder.model.device)
    arguments = dict(batch)
    if not use_mask:
        arguments.pop("attention_mask")
    with torch.no_grad():
        states = encoder.model(**arguments).last_hidden_state.float()
    return _Hidden(states=states, mask=batch["attention_mask"]), batch


def _mean_pool(hidden: _Hidden) -> Any:
    weights = hidden.mask.unsqueeze(-1).to(hidden.states.dtype)
    return (hidden.states * weights).sum(dim=1) / weights.sum(dim=1).clamp(min=1e-9)


def _pooled(encoder: Encoder, texts: list[str]) -> Any:
    return _mean_pool(_hidden(encoder, texts)[0])


def _embed(encoder: Encoder, text: str, head: int) -> dict[str, Any]:
    return _embedding(_pooled(encoder, [text])[0], head)


def _embedding(vector: Any, head: int) -> dict[str, Any]:
    return {"dim": int(vector.shape[0]), "norm": float(vector.norm()), "head": [float(v) for v in vector[:head]]}


def _similarity(encoder: Encoder, item: dict[str, Any]) -> dict[str, Any]:
    import torch

    vectors = torch.nn.functional.normalize(_pooled(encoder, [item["query"], *item["candidates"]]), dim=-1)
    scores = [float(score) for score in vectors[1:] @ vectors[0]]
    return {"scores": scores, "order": sorted(range(len(scores)), key=lambda index: -scores[index])}


def _similarities(encoder: Encoder, items: list[dict[str, Any]], batch_size: int) -> list[dict[str, Any]]:
    """Every probe's query and candidates embedded together: the batch's texts, length-sorted, in
    padded calls of ``batch_size`` texts (one forward pass per call, not one per probe)."""
    import torch

    texts = [text for item in items for text in (item["query"], *item["candidates"])]
    vectors = torch.nn.functional.normalize(_pooled_sorted(encoder, texts, batch_size), dim=-1)
    results, start = [], 0
    for item in items:
        query, candidates = vectors[start], vectors[start + 1:start + 1 + len(item["candidates"])]
        start += 1 + len(item["candidates"])
        scores = [float(score) for score in candidates @ query]
        results.append({"scores": scores, "order": sorted(range(len(scores)), key=lambda index: -scores[index])})
    return results


def _pooled_sorted(encoder: Encoder, texts: list[str], batch_size: int) -> Any:
    """Mean-pooled vectors of ``texts`` in their order, computed in length-sorted chunks (little padding)."""
    import torch

    order = sorted(range(len(texts)), key=lambda index: len(texts[index]))
    pooled = [_pooled(encoder, [texts[index] for index in chunk]) for chunk in chunked(order, batch_size)]
    vectors = torch.empty((len(texts), pooled[0].shape[-1]), dtype=pooled[0].dtype)
    for chunk, block in zip(chunked(order, batch_size), pooled, strict=True):
        vectors[chunk] = block
    return vectors


def _padding(encoder: Encoder, texts: list[str]) -> dict[str, Any]:
    """How far each padded-batch embedding is from the sentence's own, with and without the mask."""
    alone = [_pooled(encoder, [text])[0] for text in texts]
    masked, batch = _hidden(encoder, texts)
    unmasked, _ = _hidden(encoder, texts, use_mask=False)
    unmasked.mask = masked.mask  # pool over the real tokens in both cases: only attention differs
    with_mask, without_mask = _mean_pool(masked), _mean_pool(unmasked)
    return {
        "padded": [int(count) for count in (batch["attention_mask"] == 0).sum(dim=1)],
        "with_mask_max_diff": max(float((with_mask[i] - alone[i]).abs().max()) for i in range(len(texts))),
        "without_mask_max_diff": max(float((without_mask[i] - alone[i]).abs().max()) for i in range(len(texts))),
    }


def _truncation(encoder: Encoder, item: dict[str, Any], truncation: bool) -> dict[str, Any]:
    import torch

    text = " ".join([item["text"], *[item.get("repeat", "")] * int(item.get("times", 0)), item.get("suffix", "")])
    batch = encoder.tokenizer(" ".join(text.split()), truncation=truncation, return_tensors="pt")
    tokens = int(batch["input_ids"].shape[1])
    try:
        with torch.no_grad():
            states = encoder.model(**batch.to(encoder.model.device)).last_hidden_state
    except (IndexError, RuntimeError) as error:
        return {"tokens": tokens, "error": type(error).__name__}
    return {"tokens": tokens, "last_hidden_state": [int(size) for size in states.shape]}


class FeatureExtraction(TaskAdapter):
    """Sentence embeddings (mean pooling)."""

    name = "feature-extraction"
    batches = True  # ``embed`` and ``similarity`` probes are micro-batched (padded, masked, length-sorted calls)
    gguf = True  # load() honours models.yaml's gguf_file
    example = Example(
        input={'query': 'The weather is lovely today.',
               'candidates': ["It's so sunny outside!", 'He drove to the stadium.']},
        expect={'scores': {'len': 2}, 'scores.0': {'between': [-1.0, 1.0]}, 'order': {'len': 2}},
        params={'check': 'similarity'},
    )

    def load(self, location: str, revision: str | None, target: Target, local_only: bool,
             gguf_file: str | None) -> Encoder:
        from transformers import AutoModel

        return load_with_tokenizer(AutoModel, location, revision, target, local_only, gguf_file)

    def run(self, loaded: Encoder, inputs: list[Any], params: dict[str, Any],
            batch_size: int = 1) -> list[dict[str, Any]]:
        check = params.get("check", "embed")
        if check == "embed":
            head = int(params.get("head", 5))
            if batch_size <= 1:
                return [_embed(loaded, text, head) for text in inputs]
            return [_embedding(vector, head) for chunk in chunked(list(inputs), batch_size)
                    for vector in _pooled(loaded, chunk)]
        if check == "shape":
            return [{"last_hidden_state": _hidden(loaded, list(item))[0].shape_list} for item in inputs]
        if check == "similarity":
            if batch_size <= 1:
                return [_similarity(loaded, item) for item in inputs]
            return _similarities(loaded, list(inputs), batch_size)
        if check == "padding":
            return [_padding(loaded, list(item)) for item in inputs]
        if check == "truncation":
            return [_truncation(loaded, item, bool(params.get("truncation", False))) for item in inputs]
        raise ValueError(f"unknown embeddings check {check!r}")
