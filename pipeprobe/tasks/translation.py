"""Translation, as 4.x's ``pipeline("translation", model=...)`` did it (removed in transformers 5)."""

from __future__ import annotations

from typing import Any

from pipeprobe.devices import Target
from pipeprobe.tasks import text2text
from pipeprobe.tasks.base import Example, TaskAdapter
from pipeprobe.tasks.judging import judge_fields

batches = False  # run() takes no batch_size: one call per input (pipeprobe.tasks.TaskAdapter)


def load(
    location: str, revision: str | None, target: Target, local_only: bool, gguf_file: str | None
) -> text2text.Seq2Seq:
    return text2text.load(location, revision, target, local_only, "translation")


def run(loaded: text2text.Seq2Seq, inputs: list[str], params: dict[str, Any]) -> list[dict[str, str]]:
    return [{"translation_text": text} for text in text2text.generate(loaded, inputs, params)]


def judge(expect: dict[str, Any], output: dict[str, str]) -> list[str]:
    """The expectation language on ``{translation_text}``."""
    return judge_fields(expect, output)


class Translation(TaskAdapter):
    """Translation."""

    name = "translation"
    description = 'translation'
    batches = batches
    example = Example(
        input='Hello, how are you?',
        expect={'translation_text': {'matches': '\\w'}},
    )

    def load(self, location: str, revision: str | None, target: Target, local_only: bool,
             gguf_file: str | None) -> Any:
        return load(location, revision, target, local_only, gguf_file)

    def run(self, loaded: Any, inputs: list[Any], params: dict[str, Any], batch_size: int = 1) -> list[Any]:
        return run(loaded, inputs, params)

    def judge(self, expect: dict[str, Any], output: Any) -> list[str]:
        return judge(expect, output)
