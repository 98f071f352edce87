"""Provenance, built in one place: what a baseline records, what a run reports, and how two differ, in words.

A probe's provenance fingerprints everything that can move its output: the model's files
(weights, tokenizer, config: ``models.fingerprints``), its chat template and attention
implementation, the probe's own definition, every library that computes an output, the
thread count and the target. ``describe_differences`` names what differs, so a drift
says "model weights changed (digest 3f2a… → 9c41…)" or "probe changed: params.system".
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import os
import platform
import subprocess
import sys
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from pipeprobe import __version__
from pipeprobe.devices import Target

# every library that can move an output; "kernels" is recorded only when installed
LIBRARIES = ("transformers", "torch", "tokenizers", "safetensors", "accelerate", "huggingface_hub", "numpy",
             "sentencepiece", "kernels")
OPTIONAL_LIBRARIES = frozenset({"kernels"})
MODEL_KEYS = ("weights", "tokenizer", "config", "chat_template", "attn_implementation")
PROBE_KEY = "probe"  # the digest of the probe's definition; PROBE_PARTS_KEY holds one short digest per part
PROBE_PARTS_KEY = "probe_parts"
# the keys that tell two runs apart: the model (revision, commit, files), the probe, the libraries, the target
DIFFERENCE_KEYS = ("revision", "commit", *MODEL_KEYS, PROBE_KEY, *LIBRARIES, "threads", "device", "dtype")
_SHORT = 12


@functools.cache
def _installed_versions() -> tuple[tuple[str, str], ...]:
    found = [("pipeprobe", __version__)]
    for name in LIBRARIES:
        try:
            found.append((name, version(name)))
        except PackageNotFoundError:
            if name not in OPTIONAL_LIBRARIES:
                found.append((name, "absent"))
    return tuple(found)


def library_versions() -> dict[str, str]:
    """Versions of the libraries whose change the probes are meant to catch (looked up once)."""
    return dict(_installed_versions())


def thread_count() -> int:
    """torch's intra-op threads when torch is loaded (never imported for this), else the CPUs we may use."""
    torch = sys.modules.get("torch")
    if torch is not None:
        return int(torch.get_num_threads())
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


@functools.cache
def cpu_name() -> str:
    """The CPU's model name (Linux: /proc/cpuinfo), else what ``platform`` says."""
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace").splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def accelerator(device: str) -> dict[str, str]:
    """GPU driver and CUDA/ROCm versions, for a run on a GPU (nothing for the CPU)."""
    if not device.startswith("cuda"):
        return {}
    torch = sys.modules.get("torch")
    found: dict[str, str] = {}
    if torch is not None:
        if getattr(torch.version, "hip", None):
            found["rocm"] = str(torch.version.hip)
        elif getattr(torch.version, "cuda", None):
            found["cuda"] = str(torch.version.cuda)
    driver = _gpu_driver()
    if driver:
        found["driver"] = driver
    return found


@functools.cache
def _gpu_driver() -> str | None:
    for command in (["nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader"],
                    ["rocm-smi", "--showdriverversion", "--csv"]):
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=10, check=False)
        except (OSError, subprocess.SubprocessError):
            continue
        lines = [line.strip() for line in done.stdout.splitlines() if line.strip()]
        if done.returncode == 0 and lines:
            return lines[-1].split(",")[-1].strip()
    return None


@functools.cache
def project_commit(root: str) -> dict[str, Any]:
    """``{"project_commit": sha, "project_dirty": bool}`` of the git checkout at ``root`` (nothing outside git)."""
    try:
        head = subprocess.run(["git", "-C", root, "rev-parse", "HEAD"], capture_output=True, text=True,
                              timeout=10, check=False)
        if head.returncode != 0:
            return {}
        status = subprocess.run(["git", "-C", root, "status", "--porcelain", "--untracked-files=no"],
                                capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.SubprocessError):
        return {}
    return {"project_commit": head.stdout.strip(), "project_dirty": bool(status.stdout.strip())}


def _canonical(value: Any) -> str:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = dataclasses.asdict(value)
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


def _digest(value: Any) -> str:
    return hashlib.sha256(_canonical(value).encode("utf-8")).hexdigest()


def probe_parts(probe: Any) -> dict[str, str]:
    """One short digest per part of a probe's definition that can move its output.

    ``params`` is split by key (``params.system``, ``params.template``, ``params.seed``, ...), so a
    difference names the very setting that was edited.
    """
    parts: dict[str, Any] = {
        "task": probe.task, "model": probe.model, "input": probe.input, "expect": probe.expect,
        "behaviour": probe.behaviour, "batch": probe.batch,
    }
    for key, value in (probe.params or {}).items():
        parts[f"params.{key}"] = value
    return {name: _digest(value)[:_SHORT] for name, value in sorted(parts.items()) if value is not None}


def probe_definition(probe: Any) -> dict[str, Any]:
    """``{"probe": digest, "probe_parts": {...}}``: the probe's definition as a baseline records it."""
    parts = probe_parts(probe)
    return {PROBE_KEY: _digest(parts), PROBE_PARTS_KEY: parts}


def probe_provenance(
    target: Target, source: str | None, commit: str | None, *,
    probe: Any = None, fingerprint: dict[str, str] | None = None, root: Path | None = None,
) -> dict[str, Any]:
    """What a baseline records about the run that made it: model source, commit and fingerprint, the
    probe's definition and the project's commit, libraries, threads, target, date.

    ``probe``, ``fingerprint`` (a ModelLoad's) and ``root`` (the project) are optional so that
    older callers keep working; without them the baseline records what it did before.
    """
    provenance: dict[str, Any] = {
        "source": f"pipeprobe run, model from {source or 'unknown'}",
        # the commit that loaded (lock file, full pin or HF cache), when known; a model map has none
        **({"commit": commit} if commit else {}),
        **(fingerprint or {}),
    }
    if probe is not None:
        provenance.update(probe_definition(probe))
    if root is not None:
        provenance.update(project_commit(str(root)))
    return {
        **provenance,
        **library_versions(),
        "threads": thread_count(),
        "device": target.device,
        "dtype": target.dtype,
        "date": datetime.now(UTC).date().isoformat(),
    }


def run_provenance(target: Target, model_map: str | None = None, root: Path | None = None) -> dict[str, Any]:
    """This run as a whole: libraries, Python, threads, CPU, device (its name, driver, CUDA), dtype, model map."""
    from pipeprobe.devices import device_name

    return {
        **library_versions(),
        "python": platform.python_version(),
        "threads": thread_count(),
        "cpu": cpu_name(),
        "device": target.device,
        "device_name": device_name(target.device),
        **accelerator(target.device),
        "dtype": target.dtype,
        "model_map": model_map or "none",
        **(project_commit(str(root)) if root is not None else {}),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def provenance_differences(baseline: dict[str, Any], run: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """``{key: {"baseline": ..., "run": ...}}`` for the DIFFERENCE_KEYS on which both sides say something else.

    A probe difference also lists the ``parts`` of its definition that differ (``params.system``).
    """
    found = differing(baseline, run, DIFFERENCE_KEYS, ("baseline", "run"))
    if PROBE_KEY in found:
        found[PROBE_KEY]["parts"] = changed_parts(baseline.get(PROBE_PARTS_KEY), run.get(PROBE_PARTS_KEY))
    return found


def changed_parts(before: Any, after: Any) -> list[str]:
    """The names of the probe parts whose digests differ (added or removed parts too)."""
    if not isinstance(before, dict) or not isinstance(after, dict):
        return []
    return sorted(name for name in before.keys() | after.keys() if before.get(name) != after.get(name))


def differing(
    first: dict[str, Any], second: dict[str, Any], keys: tuple[str, ...], names: tuple[str, str]
) -> dict[str, dict[str, Any]]:
    """``{key: {names[0]: ..., names[1]: ...}}`` for the ``keys`` both sides give and give differently."""
    found = {}
    for key in keys:
        before, after = first.get(key), second.get(key)
        if before is not None and after is not None and str(before) != str(after):
            found[key] = {names[0]: before, names[1]: after}
    return found


_WORDS = {
    "weights": "model weights changed",
    "tokenizer": "tokenizer files changed",
    "config": "model config changed",
    "chat_template": "chat template changed",
}
# what kind of cause a key is (the order in which ``describe_differences`` names them)
CAUSE_KINDS = {
    "probe": (PROBE_KEY,),
    "model": ("revision", "commit", *MODEL_KEYS),
    "library": LIBRARIES,
    "target": ("device", "dtype", "threads"),
}


def _short(value: Any) -> str:
    text = str(value)
    return text[:4] + "…" if len(text) == 64 else text


def describe_difference(key: str, change: dict[str, Any], names: tuple[str, str] = ("baseline", "run")) -> str:
    """One difference in words: "model weights changed (digest 3f2a… → 9c41…)", "probe changed: params.system"."""
    before, after = change.get(names[0]), change.get(names[1])
    if key == PROBE_KEY:
        parts = change.get("parts") or []
        return "probe changed: " + (", ".join(parts) if parts else f"definition (digest {_short(before)} → "
                                                                    f"{_short(after)})")
    if key in _WORDS:
        return f"{_WORDS[key]} (digest {_short(before)} → {_short(after)})"
    if key == "attn_implementation":
        return f"attention implementation {before} → {after}"
    if key in ("revision", "commit"):
        return f"model {key} {before} → {after}"
    if key == "threads":
        return f"thread count {before} → {after}"
    return f"{key} {before} → {after}"


def describe_differences(differences: dict[str, dict[str, Any]]) -> list[str]:
    """Every difference in words, the probe's own first, then the model, libraries, target."""
    order = [key for keys in CAUSE_KINDS.values() for key in keys]
    keys = sorted(differences, key=lambda key: order.index(key) if key in order else len(order))
    return [describe_difference(key, differences[key]) for key in keys]


def cause_kind(key: str) -> str:
    """Which kind of cause a differing key is: probe, model, library, target (else "other")."""
    return next((kind for kind, keys in CAUSE_KINDS.items() if key in keys), "other")
