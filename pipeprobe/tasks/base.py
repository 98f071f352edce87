"""The base class every task adapter is: it owns the flow, a task fills in what is its own.

A task (built-in or a project's own, named in ``[tool.pipeprobe.tasks]``) subclasses ``TaskAdapter``:

- ``load(location, revision, target, local_only, gguf_file) -> loaded``: the model, once per session
  (``location`` a hub id or a local folder, ``revision`` the pinned commit or None, ``target`` a
  ``pipeprobe.devices.Target``, ``local_only`` forbids network, ``gguf_file`` or None).
- ``run(loaded, inputs, params, batch_size=1) -> list``: one plain, JSON-ready result per input, in
  order. ``batch_size`` is more than 1 only where the class says ``batches = True``.
- ``judge(expect, output) -> list[str]``: the expectation language (``pipeprobe.language.expect``) with the
  class's named ``checks``; override only to add context to a miss.
- Declared, not guessed: ``fields`` (the top-level keys of every result: an ``expect`` path elsewhere is
  refused when the probe file is read), ``checks``, ``batches``, ``gguf`` (``load`` honours models.yaml's
  ``gguf_file``), ``media`` (inputs name media files), ``loads_like`` (another task whose load this one
  shares), and ``example``: the probe ``pipeprobe init`` writes for the task.

``outputs`` is the one way a caller runs an adapter: it passes ``batch_size`` where the task batches
and checks what ``run`` returned (one JSON-ready result per input), naming the adapter when it did not.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, ClassVar

from pipeprobe.language.expect import Check, judge
from pipeprobe.tasks.common import ProbeInputError


class AdapterFault(ProbeInputError):
    """An adapter's ``run()`` returned something pipeprobe can't use; one line naming the adapter."""


@dataclass(frozen=True)
class Example:
    """The probe ``pipeprobe init`` writes for a task: it runs on any model of that task."""

    input: Any
    expect: dict[str, Any]
    params: dict[str, Any] = field(default_factory=dict)


class TaskAdapter:
    """A task: how its model loads, how probes run (micro-batched where it can), how outputs are judged."""

    name: ClassVar[str] = ""
    batches: ClassVar[bool] = False
    gguf: ClassVar[bool] = False
    media: ClassVar[bool] = False  # inputs name files in the media folder (``tasks.media``)
    loads_like: ClassVar[str | None] = None
    fields: ClassVar[tuple[str, ...]] = ()
    checks: ClassVar[Mapping[str, Check]] = MappingProxyType({})
    example: ClassVar[Example | None] = None

    def load(self, location: str, revision: str | None, target: Any, local_only: bool, gguf_file: str | None) -> Any:
        raise NotImplementedError(f"{type(self).__name__}.load")

    def run(self, loaded: Any, inputs: list[Any], params: dict[str, Any], batch_size: int = 1) -> list[Any]:
        raise NotImplementedError(f"{type(self).__name__}.run")

    def judge(self, expect: dict[str, Any], output: Any) -> list[str]:
        return judge(expect, output, self.checks)

    def outputs(self, loaded: Any, inputs: list[Any], params: dict[str, Any], batch_size: int = 1) -> list[Any]:
        """``run``, with ``batch_size`` where the task batches, its results checked (AdapterFault naming it)."""
        values = self.run(loaded, inputs, params, batch_size=batch_size if self.batches else 1)
        return checked(self.label(), inputs, values)

    def label(self) -> str:
        """How messages name this adapter: its task and class."""
        return f"task {self.name!r}: adapter {type(self).__module__}:{type(self).__qualname__}"


def checked(who: str, inputs: Sequence[Any], values: Any) -> list[Any]:
    """``values`` as a list when it holds one JSON-ready result per input; AdapterFault otherwise."""
    if not isinstance(values, list | tuple):
        raise AdapterFault(f"{who}: run() returned {type(values).__name__}, not a list of {len(inputs)} result(s)")
    if len(values) != len(inputs):
        raise AdapterFault(f"{who}: run() returned {len(values)} result(s) for {len(inputs)} input(s); "
                           "it must return one per input, in order")
    for index, value in enumerate(values):
        try:
            json.dumps(value, allow_nan=True)
        except (TypeError, ValueError, RecursionError) as error:
            raise AdapterFault(f"{who}: run()'s result #{index + 1} is not plain JSON "
                               f"(dicts, lists, strings, numbers): {error}") from None
    return list(values)


class ObjectAdapter(TaskAdapter):
    """A project's adapter written before the base class (a module, or an object with load/run/judge):
    its attributes, read in this one place."""

    def __init__(self, name: str, target: str, adapter: Any) -> None:
        self.name, self._target, self._adapter = name, target, adapter  # type: ignore[misc]
        self.batches = bool(getattr(adapter, "batches", False))  # type: ignore[misc]
        self.gguf = bool(getattr(adapter, "gguf", False))  # type: ignore[misc]
        self.loads_like = getattr(adapter, "loads_like", None)  # type: ignore[misc]
        self.fields = tuple(getattr(adapter, "fields", None) or ())  # type: ignore[misc]
        self.checks = getattr(adapter, "checks", None) or {}  # type: ignore[misc]

    def load(self, location: str, revision: str | None, target: Any, local_only: bool, gguf_file: str | None) -> Any:
        return self._adapter.load(location, revision, target, local_only, gguf_file)

    def run(self, loaded: Any, inputs: list[Any], params: dict[str, Any], batch_size: int = 1) -> list[Any]:
        if self.batches:
            return self._adapter.run(loaded, inputs, params, batch_size=batch_size)
        return self._adapter.run(loaded, inputs, params)

    def judge(self, expect: dict[str, Any], output: Any) -> list[str]:
        return self._adapter.judge(expect, output)

    def label(self) -> str:
        return f"task {self.name!r}: adapter {self._target}"
