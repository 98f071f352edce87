"""Task adapters: the only code that knows a model library's API, and the one registry of tasks.

Every adapter is a ``pipeprobe.tasks.base.TaskAdapter`` (see there for what a task declares); a
built-in task is its subclass in ``pipeprobe/tasks/<module>.py`` plus one line in ``_BUILTIN`` below.
A project names its own in ``[tool.pipeprobe.tasks]``: ``my-task = "package.module:Name"`` (a
TaskAdapter subclass; an older module or object with load/run/judge is wrapped). Adapters are
imported when a probe needs them, so start-up imports no model library.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeprobe.tasks.base import Example, ObjectAdapter, TaskAdapter

__all__ = ["BUILTIN_TASKS", "Example", "TaskAdapter", "TaskError", "TaskInfo", "adapter_for", "known_tasks",
           "loads_gguf", "named_checks", "output_fields", "register_user_tasks", "task_info", "task_markers"]


class TaskError(ValueError):
    """An unknown task, or a user adapter that can't be imported or lacks the protocol; one line."""


@dataclass(frozen=True)
class TaskInfo:
    """A task pipeprobe can run: its name, where its adapter lives, and its marker."""

    name: str
    target: str  # "package.module" or "package.module:Name"
    description: str
    builtin: bool = True

    @property
    def marker(self) -> str:
        """The marker every probe of this task carries (``text-classification`` -> ``text_classification``)."""
        return self.name.replace("-", "_").replace(".", "_")


_BUILTIN = (  # task, its class, what it is
    ("text-classification", "text_classification:TextClassification", "text classification (sentiment analysis)"),
    ("zero-shot-classification", "zero_shot:ZeroShotClassification", "zero-shot classification (an NLI model)"),
    ("text-generation", "text_generation:TextGeneration", "text generation (causal language models, GGUF too)"),
    ("feature-extraction", "embeddings:FeatureExtraction", "sentence embeddings (mean pooling)"),
    ("fill-mask", "fill_mask:FillMask", "masked-token prediction"),
    ("token-classification", "token_classification:TokenClassification", "token classification (NER, part of speech)"),
    ("question-answering", "question_answering:QuestionAnswering", "extractive question answering"),
    ("summarization", "summarization:Summarization", "summarization"),
    ("translation", "translation:Translation", "translation"),
    ("image-classification", "image_classification:ImageClassification", "image classification"),
    ("automatic-speech-recognition", "speech_recognition:SpeechRecognition", "automatic speech recognition"),
    ("tokenizer", "tokenizer:Tokenizer", "tokenizers, below the pipeline"),
    ("model-outputs", "model_outputs:ModelOutputs", "model outputs: shapes, logits, configs, batching"),
    ("lm-classification", "lm_classifier:LmClassification",
     "a causal LM as a zero-shot classifier (label log-probabilities)"),
)
BUILTIN_TASKS: dict[str, TaskInfo] = {
    name: TaskInfo(name=name, target=f"pipeprobe.tasks.{target}", description=description)
    for name, target, description in _BUILTIN
}

_user_tasks: dict[str, TaskInfo] = {}
_user_root: Path | None = None
_loaded: dict[str, Any] = {}


def register_user_tasks(tasks: Mapping[str, str], root: Path | None = None) -> None:
    """Make a project's ``[tool.pipeprobe.tasks]`` known (replacing any earlier project's)."""
    global _user_root
    for name in [name for name in _loaded if name not in BUILTIN_TASKS]:
        del _loaded[name]
    _user_tasks.clear()
    _user_root = root
    for name, target in tasks.items():
        if name in BUILTIN_TASKS:
            raise TaskError(f"[tool.pipeprobe.tasks] {name}: a built-in task has that name; choose another")
        module, _, attribute = target.partition(":")
        if not module or not attribute or not all(part.isidentifier() for part in [*module.split("."), attribute]):
            raise TaskError(f"[tool.pipeprobe.tasks] {name} = {target!r}: write 'package.module:Name'")
        _user_tasks[name] = TaskInfo(name=name, target=target, description=f"{name} (adapter {target})", builtin=False)


def known_tasks() -> dict[str, TaskInfo]:
    """Every task: the built-in ones and the project's own."""
    return {**BUILTIN_TASKS, **_user_tasks}


def task_info(task: str) -> TaskInfo:
    try:
        return known_tasks()[task]
    except KeyError:
        raise TaskError(
            f"unknown task {task!r}; known: {', '.join(sorted(known_tasks()))} "
            "(a project adds its own in [tool.pipeprobe.tasks])"
        ) from None


def task_markers() -> dict[str, str]:
    """Marker name -> description, one per known task."""
    return {info.marker: f"{info.description} probes" for info in known_tasks().values()}


def adapter_for(task: str) -> TaskAdapter:
    """The task's adapter (imported on first use); TaskError naming the task when it can't be had."""
    if task not in _loaded:
        _loaded[task] = _import(task_info(task))
    return _loaded[task]


def _import(info: TaskInfo) -> Any:
    module_name, _, attribute = info.target.partition(":")
    if not info.builtin and _user_root is not None and str(_user_root) not in sys.path:
        sys.path.insert(0, str(_user_root))
    try:
        module = importlib.import_module(module_name)
        adapter = getattr(module, attribute) if attribute else module
    except (ImportError, AttributeError) as error:
        raise TaskError(f"task {info.name!r}: can't import adapter {info.target!r}: {error}") from None
    except Exception as error:  # noqa: BLE001 - a project's own module may raise anything (SyntaxError too)
        if info.builtin:
            raise
        where = f" (line {error.lineno})" if isinstance(error, SyntaxError) and error.lineno else ""
        raise TaskError(f"task {info.name!r}: importing adapter {info.target!r} raised "
                        f"{type(error).__name__}{where}: {error}") from None
    if isinstance(adapter, type) and issubclass(adapter, TaskAdapter):
        try:
            return adapter()
        except Exception as error:  # noqa: BLE001 - a project's own class: its constructor may raise anything
            raise TaskError(f"task {info.name!r}: adapter {info.target!r} can't be made with no arguments "
                            f"({type(error).__name__}: {error})") from None
    if isinstance(adapter, TaskAdapter):
        return adapter
    if isinstance(adapter, type):
        try:
            adapter = adapter()
        except Exception as error:  # noqa: BLE001 - a project's own class: its constructor may raise anything
            raise TaskError(f"task {info.name!r}: adapter {info.target!r} can't be made with no arguments "
                            f"({type(error).__name__}: {error})") from None
    missing = [name for name in ("load", "run", "judge") if not callable(getattr(adapter, name, None))]
    if missing:
        raise TaskError(f"task {info.name!r}: adapter {info.target!r} lacks {', '.join(missing)} (see TaskAdapter)")
    return ObjectAdapter(info.name, info.target, adapter)


def named_checks(task: str) -> Mapping[str, Any]:
    """The adapter's named checks (``checks``), empty when it declares none."""
    return adapter_for(task).checks


def output_fields(task: str) -> tuple[str, ...]:
    """The top-level keys every result of the task has (``fields``); empty when the adapter doesn't say."""
    return tuple(adapter_for(task).fields)


def loads_gguf(task: str) -> bool:
    """Whether the task's adapter honours models.yaml's ``gguf_file``."""
    return adapter_for(task).gguf


class _Adapters(Mapping[str, Any]):
    """``ADAPTERS[task]``: the adapter, imported on first use (kept for older callers)."""

    def __getitem__(self, task: str) -> Any:
        try:
            return adapter_for(task)
        except TaskError:
            raise KeyError(task) from None

    def __iter__(self) -> Iterator[str]:
        return iter(known_tasks())

    def __len__(self) -> int:
        return len(known_tasks())


ADAPTERS: Mapping[str, Any] = _Adapters()
