"""The session's model cache: each (task, model, revision, device, dtype) loaded at most once."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pipeprobe.devices import Target
from pipeprobe.models.model_map import ModelMap
from pipeprobe.models.registry import ModelSpec
from pipeprobe.models.resolution import Loader, ModelLoad, ModelUnavailable, resolve_and_load


@dataclass
class ModelCache:
    """Each (model, revision, device, dtype) is loaded at most once per session."""

    model_map: ModelMap
    loaders: dict[str, Loader]
    records: list[ModelLoad] = field(default_factory=list)
    _loaded: dict[tuple[str, ...], Any] = field(default_factory=dict)
    _failed: dict[tuple[str, ...], ModelUnavailable] = field(default_factory=dict)
    # task -> the task whose load it shares (an adapter's ``loads_like``): one model load serves both
    load_kind: Callable[[str], str] = lambda task: task

    def get(self, spec: ModelSpec, target: Target, task: str) -> Any:
        """The model loaded by ``task``'s adapter (a tokenizer alone, a pipeline, ...)."""
        task = self.load_kind(task)
        key = (task, spec.id, spec.revision, target.device, target.dtype)
        if key in self._loaded:
            return self._loaded[key]
        if key in self._failed:
            raise self._failed[key]
        try:
            loaded, record = resolve_and_load(spec, target, self.model_map, self.loaders[task], task)
        except ModelUnavailable as error:
            self._failed[key] = error
            self.records.append(ModelLoad(spec=spec, target=target, task=task, error=str(error)))
            raise
        self._loaded[key] = loaded
        self.records.append(record)
        return loaded

    def record_for(self, spec: ModelSpec, target: Target, task: str) -> ModelLoad | None:
        task = self.load_kind(task)
        for record in self.records:
            if record.spec == spec and record.target == target and record.task == task:
                return record
        return None
