"""Expectation operators on generated text (what promptfoo users write daily), for ``pipeprobe.language.expect``:

- ``{is_json: true}``: the value is a JSON text (or already a JSON value); ``false``: it is not JSON text.
- ``{json_schema: {...}}``: the value (a JSON text, or a value) is valid against the JSON Schema (``jsonschema``).
- ``{similar: {to: TEXT, model: ID, above: X}}``: cosine similarity of the two texts' embeddings, from an
  encoder pinned in models.yaml (loaded once, by the session's model cache: ``set_embedder``), is above X.
- ``{levenshtein: {to: TEXT, max: N}}`` (edit distance at most N) or ``{levenshtein: {to: TEXT, above: R}}``
  (normalised similarity above R), by ``rapidfuzz``.
- ``{rouge: {to: TEXT, above: X, type: rougeL}}``: ROUGE F-measure (``rouge-score``; rouge1, rouge2, rougeL).

Each checks its operand when the probe file is read and says a miss in one line.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

OPERATORS = ("is_json", "json_schema", "similar", "levenshtein", "rouge")
ROUGE_TYPES = ("rouge1", "rouge2", "rougeL", "rougeLsum")

# (model id, text, reference) -> cosine similarity of their embeddings; set by the plugin (session's model cache)
Embedder = Callable[[str, str, str], float]
_embedders: list[Embedder] = []


class TextOpError(ValueError):
    """An operand that is not usable (found when the probe file is read)."""


def set_embedder(embedder: Embedder | None) -> None:
    """Where ``similar`` gets embeddings (the plugin sets it once per session; None clears it)."""
    _embedders[:] = [embedder] if embedder is not None else []


def _library(op: str, module: str) -> Any:
    """The library an operator uses; a one-line error naming the extra that installs it."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise TextOpError(f"{op} needs {module.split('.')[0]}: pip install 'pipeprobe[text]'") from None


def check(op: str, value: Any) -> None:
    """TextOpError (one line) when ``value`` is not a usable operand of ``op``."""
    if op == "is_json" and not isinstance(value, bool):
        raise TextOpError("is_json takes true or false")
    if op == "json_schema":
        jsonschema = _library(op, "jsonschema")
        if not isinstance(value, dict | bool):
            raise TextOpError("json_schema takes a JSON Schema (a mapping)")
        try:
            jsonschema.validators.validator_for(value).check_schema(value)
        except jsonschema.SchemaError as error:
            raise TextOpError(f"json_schema is not a valid JSON Schema: {error.message}") from None
    if op in ("similar", "levenshtein", "rouge"):
        _check_reference(op, value)
    if op in ("levenshtein", "rouge"):
        _library(op, {"levenshtein": "rapidfuzz", "rouge": "rouge_score"}[op])


def _check_reference(op: str, value: Any) -> None:
    allowed = {"similar": {"to", "model", "above"}, "levenshtein": {"to", "max", "above"},
               "rouge": {"to", "above", "type"}}[op]
    if not isinstance(value, dict) or not isinstance(value.get("to"), str):
        raise TextOpError(f"{op} takes {{to: TEXT, ...}} ({', '.join(sorted(allowed))})")
    unknown = sorted(set(value) - allowed)
    if unknown:
        raise TextOpError(f"{op} takes no {', '.join(unknown)} (it takes {', '.join(sorted(allowed))})")
    if op == "similar" and not isinstance(value.get("model"), str):
        raise TextOpError("similar needs model: an encoder's id pinned in models.yaml")
    if op == "levenshtein" and ("max" in value) == ("above" in value):
        raise TextOpError("levenshtein takes one of max (an edit distance) or above (a similarity 0-1)")
    if op == "levenshtein" and "max" in value and not (isinstance(value["max"], int) and value["max"] >= 0):
        raise TextOpError("levenshtein max must be a whole number >= 0")
    if op == "rouge" and value.get("type", "rougeL") not in ROUGE_TYPES:
        raise TextOpError(f"rouge type must be one of {', '.join(ROUGE_TYPES)}")
    if "above" in value:
        bound = value["above"]
        if isinstance(bound, bool) or not isinstance(bound, int | float) or not math.isfinite(bound):
            raise TextOpError(f"{op} above must be a number")
    elif op != "levenshtein":
        raise TextOpError(f"{op} needs above: the lowest score that passes")


def measure(op: str, value: Any, got: Any) -> tuple[bool, str]:
    """(holds, the miss in words) for ``got``; ValueError (a misfit) when the operator can't apply to it."""
    if op == "is_json":
        parsed = _json_value(got)
        return parsed is not _NOT_JSON if value else parsed is _NOT_JSON, (
            "is not JSON text" if value else "is JSON text")
    if op == "json_schema":
        from jsonschema import validators

        parsed = _json_value(got)
        if parsed is _NOT_JSON:
            return False, "is not JSON text, so not valid against the schema"
        errors = sorted(validators.validator_for(value)(value).iter_errors(parsed), key=lambda e: list(e.path))
        if not errors:
            return True, ""
        where = "/".join(str(step) for step in errors[0].path) or "(root)"
        return False, f"is not valid against the JSON Schema: {errors[0].message} at {where}"
    text = _text(op, got)
    reference = value["to"]
    if op == "similar":
        score = similarity(value["model"], text, reference)
        return score > value["above"], f"has similarity {score:.3f} to {reference!r}, not above {value['above']:g}"
    if op == "levenshtein":
        from rapidfuzz.distance import Levenshtein

        if "max" in value:
            distance = Levenshtein.distance(text, reference)
            return distance <= value["max"], f"is {distance} edits from {reference!r}, more than {value['max']}"
        score = Levenshtein.normalized_similarity(text, reference)
        return score > value["above"], f"has edit similarity {score:.3f} to {reference!r}, not above {value['above']:g}"
    from rouge_score import rouge_scorer

    kind = value.get("type", "rougeL")
    score = rouge_scorer.RougeScorer([kind], use_stemmer=False).score(reference, text)[kind].fmeasure
    return score > value["above"], f"has {kind} {score:.3f} against {reference!r}, not above {value['above']:g}"


def similarity(model: str, text: str, reference: str) -> float:
    """Cosine similarity of two texts' embeddings by ``model`` (the session's embedder)."""
    if not _embedders:
        raise ValueError("similar needs an encoder: run it through pipeprobe's pytest plugin (it loads the model)")
    return float(_embedders[0](model, text, reference))


_NOT_JSON = object()


def _json_value(got: Any) -> Any:
    if not isinstance(got, str):
        return got if isinstance(got, dict | list | int | float | bool) or got is None else _NOT_JSON
    try:
        return json.loads(got)
    except (json.JSONDecodeError, RecursionError):
        return _NOT_JSON


def _text(op: str, got: Any) -> str:
    if not isinstance(got, str):
        raise ValueError(f"{op} needs a text, but the output is {type(got).__name__}")
    return got
