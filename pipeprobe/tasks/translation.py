"""Translation, as 4.x's ``pipeline("translation", model=...)`` did it (removed in transformers 5)."""

from __future__ import annotations

from typing import Any

from pipeprobe.devices import Target
from pipeprobe.tasks import text2text
from pipeprobe.tasks.base import Example, TaskAdapter


class Translation(TaskAdapter):
    """Translation: the expectation language on ``{translation_text}``."""

    name = "translation"
    example = Example(
        input='Hello, how are you?',
        expect={'translation_text': {'matches': '\\w'}},
    )

    def load(self, location: str, revision: str | None, target: Target, local_only: bool,
             gguf_file: str | None) -> text2text.Seq2Seq:
        return text2text.load(location, revision, target, local_only, "translation")

    def run(self, loaded: text2text.Seq2Seq, inputs: list[str], params: dict[str, Any],
            batch_size: int = 1) -> list[dict[str, str]]:
        return [{"translation_text": text} for text in text2text.generate(loaded, inputs, params)]
