"""Loading helpers shared by the task adapters (safe defaults in one place)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pipeprobe.devices import Target


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


def load_model(auto_class: Any, location: str, revision: str | None, target: Target, local_only: bool) -> Any:
    """Load weights (safetensors preferred by transformers) onto the target, in eval mode."""
    model = auto_class.from_pretrained(
        location, dtype=target.torch_dtype(), **pretrained_kwargs(revision, local_only)
    )
    return model.to(target.device).eval()


def load_with_tokenizer(
    auto_class: Any, location: str, revision: str | None, target: Target, local_only: bool
) -> ModelWithTokenizer:
    """The tokenizer and the model (via ``load_model``) from one location."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(location, **pretrained_kwargs(revision, local_only))
    return ModelWithTokenizer(tokenizer=tokenizer, model=load_model(auto_class, location, revision, target, local_only))
