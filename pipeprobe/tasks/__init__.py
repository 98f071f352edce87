"""Task adapters: the only modules that know transformers' API.

Each adapter module offers ``load(location, revision, target, local_only, gguf_file)``,
``run(loaded, inputs, params) -> list[plain result]`` and
``judge(expect, output) -> list[str]`` (what a person expected but did not get).
"""

from __future__ import annotations

from types import ModuleType

from pipeprobe.tasks import text_classification

ADAPTERS: dict[str, ModuleType] = {
    "text-classification": text_classification,
}


def adapter_for(task: str) -> ModuleType:
    try:
        return ADAPTERS[task]
    except KeyError:
        raise KeyError(f"no task adapter for {task!r}; known: {', '.join(sorted(ADAPTERS))}") from None
