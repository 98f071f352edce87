"""Below the pipeline: tokenizer -> model -> logits, as the notes' Modulos 2, 3 and 5 did by hand.

One probe is one code block of the notes; ``params["op"]`` names what the block did:

- ``hidden-state-shape``: the base model's ``last_hidden_state.shape`` for a batch of texts
- ``logits-shape`` / ``logits``: the classification head's logits (and their softmax)
- ``id2label``: the head's label map
- ``config-defaults``: a configuration class built with no arguments (``BertConfig()``)
- ``tokenize-then-logits``: ``tokenize`` + ``convert_tokens_to_ids`` (no special tokens), as a
  batch of ``copies`` identical rows, through the model
- ``unbatched-ids``: the same ids as a 1-D tensor, which the model should refuse
- ``batch-vs-alone``: each sequence alone, then padded together (with or without a mask)
- ``long-sequence``: a text longer than the model's positions, untruncated and truncated
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from pipeprobe.devices import Target
from pipeprobe.tasks.base import Example, TaskAdapter
from pipeprobe.tasks.common import ModelWithTokenizer as Loaded
from pipeprobe.tasks.common import load_with_tokenizer, pretrained_kwargs
from pipeprobe.tolerance import CPU_FLOAT32, Tolerance

PAD = "<pad>"
ABSENT = "<absent>"


# Operations -------------------------------------------------------------------------------
def _encode(loaded: Loaded, texts: list[str], params: dict[str, Any]) -> dict[str, Any]:
    options = {key: params[key] for key in ("padding", "truncation", "max_length") if key in params}
    encoded = loaded.tokenizer(list(texts), return_tensors="pt", **options)
    return {key: value.to(loaded.device) for key, value in encoded.items()}


def hidden_state_shape(loaded: Loaded, texts: list[str], params: dict[str, Any]) -> dict[str, Any]:
    base = getattr(loaded.model, "base_model", loaded.model)
    output = base(**_model_inputs(base, _encode(loaded, texts, params)))
    return {"shape": list(output.last_hidden_state.shape)}


def logits_shape(loaded: Loaded, texts: list[str], params: dict[str, Any]) -> dict[str, Any]:
    return {"shape": list(_logits(loaded, **_encode(loaded, texts, params)).shape)}


def logits_and_probabilities(loaded: Loaded, texts: list[str], params: dict[str, Any]) -> dict[str, Any]:
    import torch

    logits = _logits(loaded, **_encode(loaded, texts, params))
    return {"logits": _rows(logits), "probabilities": _rows(torch.nn.functional.softmax(logits, dim=-1))}


def id2label(loaded: Loaded, value: Any, params: dict[str, Any]) -> dict[str, Any]:
    return {"id2label": {str(key): label for key, label in sorted(loaded.model.config.id2label.items())}}


def config_defaults(loaded: Loaded, class_name: str, params: dict[str, Any]) -> dict[str, Any]:
    """``<class_name>()``'s values for the keys the notes printed; a key the class lost is ``<absent>``."""
    import transformers

    config_class = getattr(transformers, class_name, None)
    base = transformers.PretrainedConfig
    if not (class_name.endswith("Config") and isinstance(config_class, type) and issubclass(config_class, base)):
        raise ValueError(f"{class_name!r} is not a transformers configuration class")
    values = config_class().to_dict()
    return {"config": {key: values.get(key, ABSENT) for key in params["keys"]}}


def tokenize_then_logits(loaded: Loaded, text: str, params: dict[str, Any]) -> dict[str, Any]:
    import torch

    ids = _token_ids(loaded, text)
    batch = torch.tensor([ids] * int(params.get("copies", 1)), device=loaded.device)
    return {"input_ids": batch.tolist(), "logits": _rows(_logits(loaded, input_ids=batch))}


def unbatched_ids(loaded: Loaded, text: str, params: dict[str, Any]) -> dict[str, Any]:
    """The notes' "Essa linha vai falhar": a 1-D tensor of ids, no batch dimension."""
    import torch

    ids = torch.tensor(_token_ids(loaded, text), device=loaded.device)
    try:
        logits = _logits(loaded, input_ids=ids)
    except Exception as error:  # noqa: BLE001 - which error it is, is the probe's output
        return {"error": type(error).__name__, "message": str(error)}
    return {"error": None, "logits": _rows(logits)}


def batch_vs_alone(loaded: Loaded, value: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    """Each sequence alone, then the padded batch; the padding warning the library logged, if any."""
    import torch

    tokenizer = loaded.tokenizer
    if "texts" in value:
        sequences = [tokenizer(text)["input_ids"] for text in value["texts"]]
        encoded = tokenizer(list(value["texts"]), padding=True, return_tensors="pt")
        batched, mask = encoded["input_ids"].tolist(), encoded["attention_mask"].tolist()
    else:
        sequences = value["sequences"]
        batched = [[tokenizer.pad_token_id if token == PAD else token for token in row] for row in value["batched"]]
        mask = value.get("attention_mask")
    alone = [_rows(_logits(loaded, input_ids=torch.tensor([ids], device=loaded.device)))[0] for ids in sequences]
    inputs = {"input_ids": torch.tensor(batched, device=loaded.device)}
    if mask is not None:
        inputs["attention_mask"] = torch.tensor(mask, device=loaded.device)
    with captured_warnings() as warnings:
        logits = _logits(loaded, **inputs)
    padding_warning = next((message for message in warnings if "attention_mask" in message), None)
    return {"sequence_logits": alone, "batched_logits": _rows(logits), "padding_warning": padding_warning}


def long_sequence(loaded: Loaded, value: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    """A text past the model's position limit: refused whole, accepted when truncated."""
    text = value["prefix"] + value["repeat"] * int(value["times"]) + value["suffix"]
    whole = loaded.tokenizer(text, return_tensors="pt").to(loaded.device)
    try:
        _logits(loaded, **whole)
        untruncated: dict[str, Any] = {"error": None}
    except Exception as error:  # noqa: BLE001 - which error it is, is the probe's output
        untruncated = {"error": type(error).__name__}
    truncated = loaded.tokenizer(text, truncation=True, return_tensors="pt").to(loaded.device)
    return {
        "tokens": int(whole["input_ids"].shape[1]),
        "untruncated": untruncated,
        "truncated": {
            "tokens": int(truncated["input_ids"].shape[1]),
            "logits_shape": list(_logits(loaded, **truncated).shape),
        },
    }


OPERATIONS: dict[str, Callable[[Loaded, Any, dict[str, Any]], dict[str, Any]]] = {
    "hidden-state-shape": hidden_state_shape,
    "logits-shape": logits_shape,
    "logits": logits_and_probabilities,
    "id2label": id2label,
    "config-defaults": config_defaults,
    "tokenize-then-logits": tokenize_then_logits,
    "unbatched-ids": unbatched_ids,
    "batch-vs-alone": batch_vs_alone,
    "long-sequence": long_sequence,
}


# Helpers ----------------------------------------------------------------------------------
def _token_ids(loaded: Loaded, text: str) -> list[int]:
    return loaded.tokenizer.convert_tokens_to_ids(loaded.tokenizer.tokenize(text))


def _model_inputs(model: Any, encoded: dict[str, Any]) -> dict[str, Any]:
    """Drop what the model's forward doesn't take (DistilBERT has no token_type_ids)."""
    import inspect

    accepted = inspect.signature(model.forward).parameters
    return {key: value for key, value in encoded.items() if key in accepted}


def _logits(loaded: Loaded, **inputs: Any) -> Any:
    return loaded.model(**_model_inputs(loaded.model, inputs)).logits.float()


def _rows(tensor: Any) -> list[list[float]]:
    return [[float(value) for value in row] for row in tensor.detach().cpu().tolist()]


@contextmanager
def captured_warnings() -> Iterator[list[str]]:
    """Messages transformers logs meanwhile; its log-once cache is cleared so a repeat is seen."""
    messages: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            messages.append(record.getMessage())

    clear = getattr(getattr(logging.Logger, "warning_once", None), "cache_clear", None)
    if clear is not None:
        clear()
    handler = Collect(level=logging.WARNING)
    library = logging.getLogger("transformers")
    level = library.level
    if library.getEffectiveLevel() > logging.WARNING:  # e.g. TRANSFORMERS_VERBOSITY=error
        library.setLevel(logging.WARNING)
    library.addHandler(handler)
    try:
        yield messages
    finally:
        library.removeHandler(handler)
        library.setLevel(level)


# Named checks -----------------------------------------------------------------------------
def _judge_argmax(wanted: list[int], output: dict[str, Any]) -> str | None:
    got = [max(range(len(row)), key=row.__getitem__) for row in output["logits"]]
    return None if got == wanted else f"expected the largest logit at {wanted}, got {got} (logits {output['logits']})"


def _judge_raises(wanted: bool, output: dict[str, Any]) -> str | None:
    raised = output.get("error") is not None
    if raised == wanted:
        return None
    return "expected the model to refuse the input, but it ran" if wanted else f"expected no error, got {output}"


def _within(wanted: Any, key: str) -> tuple[Any, Tolerance]:
    """A check's wanted value and tolerance: ``value``, or ``{key: value, within: tier}`` (this run's tier,
    bound to a number when the run's device and dtype are known); the cpu/float32 tier by default."""
    within = CPU_FLOAT32.abs
    if isinstance(wanted, dict):
        wanted, within = wanted.get(key), wanted.get("within", within)
    return wanted, Tolerance(abs=float(within), rel=float(within))


def _judge_rows_equal(wanted: Any, output: dict[str, Any]) -> str | None:
    wanted, tolerance = _within(wanted, "equal")
    rows = output["logits"]
    equal = all(_close(row, rows[0], tolerance) for row in rows)
    return None if equal == wanted else f"expected rows {'equal' if wanted else 'different'}, got {rows}"


def _judge_rows_match(wanted: Any, output: dict[str, Any]) -> str | None:
    """``[bool, ...]`` or ``{rows: [...], within: tier}``: a bfloat16 run judges padding and batching by its tier."""
    wanted, tolerance = _within(wanted, "rows")
    got = [_close(row, alone, tolerance)
           for row, alone in zip(output["batched_logits"], output["sequence_logits"], strict=True)]
    if got == wanted:
        return None
    return (
        f"expected batched rows matching the sequences alone {wanted}, got {got} "
        f"(batched {output['batched_logits']}, alone {output['sequence_logits']})"
    )


def _judge_long(wanted: dict[str, Any], output: dict[str, Any]) -> str | None:
    problems = []
    if "untruncated_raises" in wanted and (output["untruncated"]["error"] is not None) != wanted["untruncated_raises"]:
        problems.append(f"untruncated: expected an error {wanted['untruncated_raises']}, got {output['untruncated']}")
    if "truncated_tokens" in wanted and output["truncated"]["tokens"] != wanted["truncated_tokens"]:
        problems.append(f"truncated to {output['truncated']['tokens']} tokens, expected {wanted['truncated_tokens']}")
    return "; ".join(problems) or None


def _close(left: list[float], right: list[float], tolerance: Tolerance) -> bool:
    return all(tolerance.allows(b, a) for a, b in zip(left, right, strict=True))


# The task ---------------------------------------------------------------------------------
class ModelOutputs(TaskAdapter):
    """Model outputs: shapes, logits, configs, batching. Judged by the expectation language (``shape``,
    ``config.hidden_size``, ``id2label: {equals: ...}``) plus the named checks in ``checks``."""

    name = "model-outputs"
    # Named checks: judgements of the model's behaviour that are not one field's value.
    checks = {
        "argmax": _judge_argmax,
        "raises": _judge_raises,
        "rows_equal": _judge_rows_equal,
        "rows_match_sequences": _judge_rows_match,
        "long_sequence": _judge_long,
    }
    example = Example(
        input=['Hello!', 'Cool.'],
        expect={'shape': {'len': 2}},
    )

    def load(self, location: str, revision: str | None, target: Target, local_only: bool,
             gguf_file: str | None) -> Loaded:
        """The tokenizer and the model, with its sequence-classification head when it was trained with one."""
        from transformers import AutoConfig, AutoModel, AutoModelForSequenceClassification

        config = AutoConfig.from_pretrained(location, **pretrained_kwargs(revision, local_only))
        has_head = any(name.endswith("ForSequenceClassification") for name in config.architectures or [])
        auto_class = AutoModelForSequenceClassification if has_head else AutoModel
        return load_with_tokenizer(auto_class, location, revision, target, local_only)

    def run(self, loaded: Loaded, inputs: list[Any], params: dict[str, Any],
            batch_size: int = 1) -> list[dict[str, Any]]:
        import torch

        operation = OPERATIONS[params["op"]]
        with torch.no_grad():
            return [operation(loaded, value, params) for value in inputs]
