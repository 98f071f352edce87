"""Models: the registry and its lock, the model map, one ordered resolution, the session cache.

``commands`` (``pipeprobe models``) and ``gguf_cache`` are imported by their users, not here.
"""

from pipeprobe.models.cache import ModelCache
from pipeprobe.models.lock import LockEntry, LockFileError, is_full_commit, lock_path_for, read_lock
from pipeprobe.models.model_map import MODEL_MAP_ENV, MapEntry, ModelMap, ModelMapError, model_map_path
from pipeprobe.models.registry import ModelSpec, load_registry
from pipeprobe.models.resolution import (
    HOW_TO_SUPPLY,
    TOKENIZER_TASKS,
    Candidate,
    Loader,
    Location,
    ModelLoad,
    ModelUnavailable,
    cached_snapshot,
    candidates,
    hub_offline,
    hub_unreachable_reason,
    loaded_commit,
    locate,
    resolve_and_load,
)

__all__ = [
    "HOW_TO_SUPPLY", "MODEL_MAP_ENV", "TOKENIZER_TASKS", "Candidate", "ModelLoad", "Loader", "Location",
    "LockEntry", "LockFileError", "MapEntry", "ModelCache", "ModelMap", "ModelMapError", "ModelSpec",
    "ModelUnavailable", "cached_snapshot", "candidates", "hub_offline", "hub_unreachable_reason",
    "is_full_commit", "load_registry", "loaded_commit", "locate", "lock_path_for", "model_map_path",
    "read_lock", "resolve_and_load",
]
