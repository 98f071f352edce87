"""Loading helpers shared by the task adapters (safe defaults in one place)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pipeprobe.devices import Target
from pipeprobe.models.gguf_cache import local_source


@dataclass(frozen=True)
class ModelWithTokenizer:
    """A model and the tokenizer saved beside it: what adapters that drive the model by hand load."""

    tokenizer: Any
    model: Any

    @property
    def device(self) -> Any:
        return self.model.device


def pretrained_kwargs(revision: str | None, local_only: bool) -> dict[str, Any]:
    """Keyword arguments for every ``from_pretrained`` call: pinned, never remote code."""
    kwargs: dict[str, Any] = {"local_files_only": local_only, "trust_remote_code": False}
    if revision is not None:
        kwargs["revision"] = revision
    return kwargs


class ProbeInputError(ValueError):
    """A probe input the model can't take (too long, an unreadable media file): fails that probe, one line."""


class InputTooLong(ProbeInputError):
    """Batch member ``index`` is ``tokens`` long, over the model's ``limit``; the runner names the probe."""

    def __init__(self, index: int, tokens: int, limit: int) -> None:
        super().__init__(f"input is {tokens} tokens, over the model's maximum of {limit}")
        self.index, self.tokens, self.limit = index, tokens, limit


def max_input_tokens(tokenizer: Any, model: Any) -> int | None:
    """The most tokens one input may have: the model's position limit, or the tokenizer's (None: unbounded)."""
    limits = [getattr(getattr(model, "config", None), "max_position_embeddings", None),
              getattr(tokenizer, "model_max_length", None)]
    known = [int(limit) for limit in limits if isinstance(limit, int) and 0 < limit < 1_000_000]
    return min(known) if known else None


def check_input_lengths(tokenizer: Any, model: Any, texts: list[Any]) -> None:
    """InputTooLong for the first text over ``max_input_tokens`` (before the model sees a tensor it can't take)."""
    limit = max_input_tokens(tokenizer, model)
    if limit is None:
        return
    for index, text in enumerate(texts):
        if isinstance(text, str):
            tokens = len(tokenizer(text, verbose=False)["input_ids"])
            if tokens > limit:
                raise InputTooLong(index, tokens, limit)


class WrongModel(ValueError):
    """The folder loaded, but is not the model the task needs (another architecture or head)."""


def load_model(auto_class: Any, location: str, revision: str | None, target: Target, local_only: bool) -> Any:
    """Load weights (safetensors preferred by transformers) onto the target, in eval mode.

    WrongModel when the folder lacks weights of the model the task builds (transformers would
    initialise them at random: a plain encoder mapped as a classifier) or holds weights of
    another shape: the model is then not the model the probes pin.
    """
    from transformers.utils import logging as transformers_logging

    verbosity = transformers_logging.get_verbosity()
    transformers_logging.set_verbosity_error()  # its load report would print what check_loaded raises, as a table
    try:
        model, info = auto_class.from_pretrained(
            location, dtype=target.torch_dtype(), output_loading_info=True, **pretrained_kwargs(revision, local_only)
        )
    finally:
        transformers_logging.set_verbosity(verbosity)
    check_loaded(model, info, location)
    return model.to(target.device).eval()


def check_loaded(model: Any, info: dict[str, Any], location: str, shown: int = 4) -> None:
    """WrongModel naming the folder and what differs, when ``info`` reports newly initialised or reshaped weights."""
    missing = sorted(info.get("missing_keys") or [])
    mismatched = sorted(str(item[0] if isinstance(item, (tuple, list)) else item)
                        for item in info.get("mismatched_keys") or [])
    if not (missing or mismatched):
        return
    saved = ", ".join(getattr(model.config, "architectures", None) or []) or "an unnamed architecture"
    problems = []
    if missing:
        problems.append(f"lacks {len(missing)} of its weights ({', '.join(missing[:shown])}"
                        + (", ..." if len(missing) > shown else "") + "), which would be randomly initialised")
    if mismatched:
        problems.append(f"has {len(mismatched)} weight(s) of another shape ({', '.join(mismatched[:shown])}"
                        + (", ..." if len(mismatched) > shown else "") + ")")
    raise WrongModel(
        f"{location} is not the model this task needs: {type(model).__name__} {' and '.join(problems)}; "
        f"the folder was saved as {saved}"
    )


def load_with_tokenizer(
    auto_class: Any, location: str, revision: str | None, target: Target, local_only: bool,
    gguf_file: str | None = None,
) -> ModelWithTokenizer:
    """The tokenizer and the model (via ``load_model``) from one location (a GGUF's dequantised folder
    where ``gguf_file`` names one)."""
    from transformers import AutoTokenizer

    location, revision = local_source(location, revision, local_only, gguf_file)
    tokenizer = AutoTokenizer.from_pretrained(location, **pretrained_kwargs(revision, local_only))
    return ModelWithTokenizer(tokenizer=tokenizer, model=load_model(auto_class, location, revision, target, local_only))


def load_pipeline(
    task: str, auto_class: Any, location: str, revision: str | None, target: Target, local_only: bool
) -> Any:
    """transformers' ``pipeline(task)`` on the tokenizer and model of ``load_with_tokenizer``."""
    from transformers import pipeline

    loaded = load_with_tokenizer(auto_class, location, revision, target, local_only)
    return pipeline(task, model=loaded.model, tokenizer=loaded.tokenizer, device=loaded.model.device)


def run_pipeline(pipe: Any, inputs: list[Any], params: dict[str, Any], batch_size: int = 1) -> list[Any]:
    """The pipeline's result for each input, in order: inputs over the model's limit named first
    (unless ``truncation``); ``batch_size`` > 1 pads them together in batches, 1 runs each alone.

    Called one input at a time, on purpose: a fill-mask or token-classification pipeline given one
    string returns that string's list, not a list of lists.
    """
    if not params.get("truncation"):  # an input over the model's limit is named, not a tensor error
        check_input_lengths(pipe.tokenizer, pipe.model, inputs)
    if batch_size > 1 and len(inputs) > 1:
        return list(pipe(list(inputs), batch_size=batch_size, **params))
    return [pipe(text, **params) for text in inputs]


def chunked(items: list[Any], size: int) -> list[list[Any]]:
    """``items`` in consecutive pieces of at most ``size`` (``size`` < 1 counts as 1)."""
    size = max(1, size)
    return [items[start:start + size] for start in range(0, len(items), size)]
