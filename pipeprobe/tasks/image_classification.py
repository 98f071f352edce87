"""Image classification: the ``image-classification`` pipeline (in transformers 4.57 and 5.x alike).

The image is a local copy of what the notes classified (``media.media_path``), passed to the
pipeline by path so that it is read as the notes' URL was (EXIF-rotated, RGB). The image
processor is the PIL one both versions have (``use_fast=False``), as 4.55.2 used by default.
"""

from __future__ import annotations

from typing import Any

from pipeprobe.devices import Target
from pipeprobe.tasks.common import load_model, pretrained_kwargs
from pipeprobe.tasks.media import media_path


def load(location: str, revision: str | None, target: Target, local_only: bool, gguf_file: str | None) -> Any:
    from transformers import AutoImageProcessor, AutoModelForImageClassification, pipeline

    processor = AutoImageProcessor.from_pretrained(location, use_fast=False, **pretrained_kwargs(revision, local_only))
    model = load_model(AutoModelForImageClassification, location, revision, target, local_only)
    return pipeline("image-classification", model=model, image_processor=processor, device=model.device)


def run(classifier: Any, inputs: list[dict[str, Any]], params: dict[str, Any]) -> list[list[dict[str, Any]]]:
    """The top labels (5 by default) with their scores, for each image."""
    results = []
    for spec in inputs:
        ranking = classifier(str(media_path(spec)), **params)
        results.append([{"label": item["label"], "score": float(item["score"])} for item in ranking])
    return results


def judge(expect: dict[str, Any], output: list[dict[str, Any]]) -> list[str]:
    """``top_label_in``: labels a person accepts as the best guess."""
    accepted = expect["top_label_in"]
    top = output[0]["label"]
    return [] if top in accepted else [f"expected a top label among {accepted}, got {top!r} ({output[0]['score']:.4f})"]
