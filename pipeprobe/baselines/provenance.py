"""Provenance, built in one place: what a baseline records, what a run reports, and how two differ."""

from __future__ import annotations

import functools
import platform
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from pipeprobe import __version__
from pipeprobe.execution.devices import Target

# the keys that tell two runs apart (a model revision or commit, a library, the target)
DIFFERENCE_KEYS = ("revision", "commit", "transformers", "torch", "device", "dtype")


@functools.cache
def _installed_versions() -> tuple[tuple[str, str], ...]:
    found = [("pipeprobe", __version__)]
    for name in ("transformers", "torch", "tokenizers"):
        try:
            found.append((name, version(name)))
        except PackageNotFoundError:
            found.append((name, "absent"))
    return tuple(found)


def library_versions() -> dict[str, str]:
    """Versions of the libraries whose change the probes are meant to catch (looked up once)."""
    return dict(_installed_versions())


def probe_provenance(target: Target, source: str | None, commit: str | None) -> dict[str, Any]:
    """What a baseline records about the run that made it: model source and commit, libraries, target, date."""
    return {
        "source": f"pipeprobe run, model from {source or 'unknown'}",
        # the commit that loaded (lock file, full pin or HF cache), when known; a model map has none
        **({"commit": commit} if commit else {}),
        **library_versions(),
        "device": target.device,
        "dtype": target.dtype,
        "date": datetime.now(UTC).date().isoformat(),
    }


def run_provenance(target: Target, model_map: str | None = None) -> dict[str, Any]:
    """This run as a whole: libraries, Python, device (and its name), dtype, model map and time."""
    from pipeprobe.execution.devices import device_name

    return {
        **library_versions(),
        "python": platform.python_version(),
        "device": target.device,
        "device_name": device_name(target.device),
        "dtype": target.dtype,
        "model_map": model_map or "none",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def provenance_differences(baseline: dict[str, Any], run: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """``{key: {"baseline": ..., "run": ...}}`` for the DIFFERENCE_KEYS on which both sides say something else."""
    return differing(baseline, run, DIFFERENCE_KEYS, ("baseline", "run"))


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
