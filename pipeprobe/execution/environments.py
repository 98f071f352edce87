"""Isolated environments that differ from this one in a few pinned libraries (``pipeprobe explain``).

An environment is a venv layered on this interpreter's site-packages: its own site-packages
(the pinned libraries, and whatever they require that this one can't satisfy) come first, and
everything else (torch, pipeprobe) is this environment's. So one library changes at a time,
and nothing as large as torch is installed again. Environments are cached under the user's
cache folder by their pins; a built one is reused without the network, and pip installs
offline from local wheels with ``PIP_NO_INDEX=1 PIP_FIND_LINKS=<folder>``.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

BASE_PTH = "_pipeprobe_base.pth"
READY = "pipeprobe-env.json"


class IsolatedEnvError(RuntimeError):
    """An environment that could not be built; the message says which pins and why (pip's last lines)."""


def envs_root() -> Path:
    """``$PIPEPROBE_CACHE/envs``, else ``$XDG_CACHE_HOME/pipeprobe/envs``, else ``~/.cache/pipeprobe/envs``."""
    base = os.environ.get("PIPEPROBE_CACHE")
    root = Path(base) if base else Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "pipeprobe"
    return root / "envs"


def env_folder(pins: dict[str, str]) -> Path:
    key = json.dumps({"python": sys.version, "base": sys.prefix, "pins": sorted(pins.items())})
    return envs_root() / hashlib.sha256(key.encode()).hexdigest()[:16]


def python_of(folder: Path) -> Path:
    return folder / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def ensure(pins: dict[str, str], log: Path | None = None) -> Path:
    """The python of an environment with ``pins`` (``{"transformers": "4.57.6"}``), built once and cached."""
    folder = env_folder(pins)
    python = python_of(folder)
    if (folder / READY).is_file() and python.exists():
        return python
    venv.EnvBuilder(with_pip=False, clear=True, symlinks=os.name != "nt").create(folder)
    purelib = Path(sysconfig.get_paths(vars={"base": str(folder), "platbase": str(folder)})["purelib"])
    purelib.mkdir(parents=True, exist_ok=True)
    # this environment's packages after the new one's own: pip, torch and pipeprobe come from here
    bases = dict.fromkeys([sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]])
    (purelib / BASE_PTH).write_text("".join(f"import site; site.addsitedir({path!r})\n" for path in bases))
    requirements = [f"{name}=={version}" for name, version in sorted(pins.items())]
    command = [str(python), "-m", "pip", "install", "--disable-pip-version-check", "-q", *requirements]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if log is not None:
        log.write_text(done.stdout + done.stderr, encoding="utf-8")
    if done.returncode != 0:
        tail = " ".join((done.stderr or done.stdout).strip().splitlines()[-3:])
        raise IsolatedEnvError(f"pip could not install {' '.join(requirements)}: {tail}")
    (folder / READY).write_text(json.dumps({"pins": pins}), encoding="utf-8")
    return python


def installed_version(python: Path, name: str) -> str | None:
    """The version of ``name`` the environment's python imports (None when absent)."""
    code = (f"from importlib.metadata import version\ntry: print(version({name!r}))\n"
            "except Exception: print('')")
    done = subprocess.run([str(python), "-c", code], capture_output=True, text=True, check=False)
    return done.stdout.strip() or None
