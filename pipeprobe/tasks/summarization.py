"""Summarization, as 4.x's ``pipeline("summarization")`` did it (removed in transformers 5)."""

from __future__ import annotations

from typing import Any

from pipeprobe.devices import Target
from pipeprobe.tasks import text2text
from pipeprobe.tasks.base import Example, TaskAdapter


def _check_mentions(phrases: list[str], output: dict[str, str]) -> str | None:
    """Named check ``mentions``: phrases a person expects the summary to keep (any case)."""
    summary = output["summary_text"]
    missing = [phrase for phrase in phrases if phrase.lower() not in summary.lower()]
    return f"expected the summary to mention {missing}, got {summary!r}" if missing else None


class Summarization(TaskAdapter):
    """Summarization: the expectation language on ``{summary_text}``, plus the named check ``mentions``."""

    name = "summarization"
    checks = {"mentions": _check_mentions}
    example = Example(
        input='A long text to summarise. ' * 10,
        expect={'summary_text': {'matches': '\\w'}},
    )

    def load(self, location: str, revision: str | None, target: Target, local_only: bool,
             gguf_file: str | None) -> text2text.Seq2Seq:
        return text2text.load(location, revision, target, local_only, "summarization")

    def run(self, loaded: text2text.Seq2Seq, inputs: list[str], params: dict[str, Any],
            batch_size: int = 1) -> list[dict[str, str]]:
        return [{"summary_text": text} for text in text2text.generate(loaded, inputs, params)]
