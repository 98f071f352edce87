"""Loading helpers shared by the task adapters (safe defaults in one place)."""

from __future__ import annotations

from typing import Any

from pipeprobe.devices import Target


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
