"""Image classification: the ``image-classification`` pipeline (in transformers 4.57 and 5.x alike).

The image is a local copy of what the notes classified (``media.media_path``), read as the
pipeline reads the notes' URL (EXIF-rotated, RGB; ``media.read_image``, which names an unreadable file). The image
processor is the PIL one both versions have (``use_fast=False``), as 4.55.2 used by default.
"""

from __future__ import annotations

from typing import Any

from pipeprobe.devices import Target
from pipeprobe.tasks.base import Example, TaskAdapter
from pipeprobe.tasks.common import load_model, pretrained_kwargs
from pipeprobe.tasks.media import read_image


class ImageClassification(TaskAdapter):
    """Image classification: the expectation language on the ranking (``0.label: {one_of: [...]}``: an
    accepted best guess)."""

    name = "image-classification"
    media = True
    example = Example(
        input={'file': 'example.jpg'},
        expect={'0.score': {'between': [0.0, 1.0]}},
    )

    def load(self, location: str, revision: str | None, target: Target, local_only: bool,
             gguf_file: str | None) -> Any:
        from transformers import AutoImageProcessor, AutoModelForImageClassification, pipeline

        processor = AutoImageProcessor.from_pretrained(location, use_fast=False,
                                                       **pretrained_kwargs(revision, local_only))
        model = load_model(AutoModelForImageClassification, location, revision, target, local_only)
        return pipeline("image-classification", model=model, image_processor=processor, device=model.device)

    def run(self, loaded: Any, inputs: list[dict[str, Any]], params: dict[str, Any],
            batch_size: int = 1) -> list[list[dict[str, Any]]]:
        """The top labels (5 by default) with their scores, for each image."""
        results = []
        for spec in inputs:
            ranking = loaded(read_image(spec), **params)
            results.append([{"label": item["label"], "score": float(item["score"])} for item in ranking])
        return results
