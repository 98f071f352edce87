"""Task adapters: the only code that knows a model library's API, and the one registry of tasks.

The adapter protocol (``TaskAdapter``) is what every adapter offers, built-in or the user's:

- ``load(location, revision, target, local_only, gguf_file) -> loaded``: load the model once
  (``location`` is a hub id or a local folder, ``revision`` the pinned commit or None,
  ``target`` a ``pipeprobe.execution.devices.Target`` with ``device``/``dtype``/``torch_dtype()``,
  ``local_only`` forbids network, ``gguf_file`` the models.yaml GGUF file or None).
- ``run(loaded, inputs, params) -> list``: one plain, JSON-able result per input, in order
  (``params`` is the probe's merged ``params`` mapping). With ``batches = True`` the runner
  may hand it many probes' inputs at once and passes ``batch_size=N`` as a keyword.
- ``judge(expect, output) -> list[str]``: what a person expected but did not get, one line
  each (empty: the expectation holds). ``pipeprobe.probes.expect.judge(expect, output, checks)``
  implements the expectation language; call it.
- ``batches: bool``: whether ``run`` takes ``batch_size`` (micro-batching); default False.
- Optional: ``checks``, a mapping of named-check key to ``(wanted, output) -> str | None``
  (judgements that are not field checks, such as rankings; ``pipeprobe check`` accepts these
  keys), ``gguf = True`` when ``load`` honours ``gguf_file``, and ``loads_like = "<task>"`` when
  ``load`` loads exactly what that task's adapter loads (one model load then serves both tasks),
  and ``fields``, the top-level keys of every result (an ``expect`` path that starts elsewhere is
  refused when the probe file is read, not when the probe runs).

A module, an instance or a class (instantiated without arguments) can be the adapter.
A project names its own in ``[tool.pipeprobe.tasks]``: ``my-task = "package.module:Name"``.
Adapters are imported when a probe needs them, so start-up imports no model library.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from pipeprobe.execution.devices import Target


@runtime_checkable
class TaskAdapter(Protocol):
    """What pipeprobe needs of an adapter (see the module docstring)."""

    batches: bool

    def load(self, location: str, revision: str | None, target: Target, local_only: bool, gguf_file: str | None) -> Any:
        ...

    def run(self, loaded: Any, inputs: list[Any], params: dict[str, Any]) -> list[Any]:
        ...

    def judge(self, expect: dict[str, Any], output: Any) -> list[str]:
        ...


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


_BUILTIN = (
    ("text-classification", "text_classification", "text classification (sentiment analysis)"),
    ("zero-shot-classification", "zero_shot", "zero-shot classification (an NLI model)"),
    ("text-generation", "text_generation", "text generation (causal language models, GGUF too)"),
    ("feature-extraction", "embeddings", "sentence embeddings (mean pooling)"),
    ("fill-mask", "fill_mask", "masked-token prediction"),
    ("token-classification", "token_classification", "token classification (NER, part of speech)"),
    ("question-answering", "question_answering", "extractive question answering"),
    ("summarization", "summarization", "summarization"),
    ("translation", "translation", "translation"),
    ("image-classification", "image_classification", "image classification"),
    ("automatic-speech-recognition", "speech_recognition", "automatic speech recognition"),
    ("tokenizer", "tokenizer", "tokenizers, below the pipeline"),
    ("model-outputs", "model_outputs", "model outputs: shapes, logits, configs, batching"),
    ("lm-classification", "lm_classifier", "a causal LM as a zero-shot classifier (label log-probabilities)"),
)
BUILTIN_TASKS: dict[str, TaskInfo] = {
    name: TaskInfo(name=name, target=f"pipeprobe.tasks.{module}", description=description)
    for name, module, description in _BUILTIN
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


def adapter_for(task: str) -> Any:
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
    if isinstance(adapter, type):
        adapter = adapter()
    missing = [name for name in ("load", "run", "judge") if not callable(getattr(adapter, name, None))]
    if missing:
        raise TaskError(f"task {info.name!r}: adapter {info.target!r} lacks {', '.join(missing)} (see TaskAdapter)")
    return adapter


def named_checks(task: str) -> Mapping[str, Any]:
    """The adapter's named checks (``checks``), empty when it declares none."""
    return getattr(adapter_for(task), "checks", None) or {}


def output_fields(task: str) -> tuple[str, ...]:
    """The top-level keys every result of the task has (``fields``); empty when the adapter doesn't say."""
    return tuple(getattr(adapter_for(task), "fields", None) or ())


def loads_gguf(task: str) -> bool:
    """Whether the task's adapter honours models.yaml's ``gguf_file``."""
    return bool(getattr(adapter_for(task), "gguf", False))


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
