"""Tokenizers alone (no model weights), as the notes used them below the pipeline.

``params.op`` picks the call; ``params.call`` holds the keyword arguments the notes passed:

- ``encode`` (default): ``tokenizer(input, **call)``: every field it returns (input_ids,
  token_type_ids, attention_mask) as plain lists (tensors as nested lists of their shape);
  an input that is a mapping ``{text, text_pair}`` is a sentence pair.
- ``tokenize``: ``{"tokens"}``; ``tokenize_ids``: ``{"tokens", "ids"}``
  (``convert_tokens_to_ids``, no special tokens).
- ``decode``: the input is a list of ids: ``{"text"}``.
- ``encode_decode``: ``{"input_ids", "text"}``, the encoded ids decoded back (all of them,
  or the one at ``params.index``).

``params.fields`` keeps only the fields the notes printed.
"""

from __future__ import annotations

from typing import Any

from pipeprobe.devices import Target
from pipeprobe.models.gguf_cache import local_source
from pipeprobe.tasks.base import Example, TaskAdapter
from pipeprobe.tasks.common import pretrained_kwargs


def _one(tokenizer: Any, item: Any, params: dict[str, Any]) -> dict[str, Any]:
    op, call = params.get("op", "encode"), dict(params.get("call") or {})
    if op == "encode":
        return _encode(tokenizer, item, call)
    if op == "tokenize":
        return {"tokens": tokenizer.tokenize(item)}
    if op == "tokenize_ids":
        tokens = tokenizer.tokenize(item)
        return {"tokens": tokens, "ids": [int(i) for i in tokenizer.convert_tokens_to_ids(tokens)]}
    if op == "decode":
        return {"text": tokenizer.decode(list(item))}
    if op == "encode_decode":
        ids = _encode(tokenizer, item, call)["input_ids"]
        chosen = ids[int(params["index"])] if "index" in params else ids
        return {"input_ids": ids, "text": tokenizer.decode(chosen)}
    raise ValueError(f"unknown tokenizer op {op!r}")


def _encode(tokenizer: Any, item: Any, call: dict[str, Any]) -> dict[str, Any]:
    """Tensors come back as nested lists of the same shape (a single text gives one row)."""
    if isinstance(item, dict):
        encoded = tokenizer(item["text"], item.get("text_pair"), **call)
    else:
        encoded = tokenizer(item, **call)
    return {name: _plain(values) for name, values in encoded.items()}


def _plain(values: Any) -> Any:
    if hasattr(values, "tolist"):
        values = values.tolist()
    if isinstance(values, (list, tuple)):
        return [_plain(value) for value in values]
    return int(values)


class Tokenizer(TaskAdapter):
    """Tokenizers, below the pipeline."""

    name = "tokenizer"
    gguf = True  # load() honours models.yaml's gguf_file
    example = Example(
        input='Hello world!',
        expect={'input_ids': {'len': 1}, 'attention_mask': {'len': 1}},
    )

    def load(self, location: str, revision: str | None, target: Target, local_only: bool,
             gguf_file: str | None) -> Any:
        from transformers import AutoTokenizer

        location, revision = local_source(location, revision, local_only, gguf_file)
        return AutoTokenizer.from_pretrained(location, **pretrained_kwargs(revision, local_only))

    def run(self, loaded: Any, inputs: list[Any], params: dict[str, Any],
            batch_size: int = 1) -> list[dict[str, Any]]:
        results = [_one(loaded, item, params) for item in inputs]
        fields = params.get("fields")
        if fields:
            results = [{name: result[name] for name in fields if name in result} for result in results]
        return results
