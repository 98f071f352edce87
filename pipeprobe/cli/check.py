"""``pipeprobe check``: validate every file of the project without loading a model.

Probe files, models.yaml, the model map and baselines go through the declared schema
(``pipeprobe.language.schema``); each probe's task, model and ``expect`` are checked, and every probe
file must be run by a suite module (and every suite module must have a probe file). One line
per fault naming file, probe and field; exit 1 on any fault, 0 when there is none.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from pipeprobe.config import ConfigError, ProjectConfig, find_project, suite_modules

MODEL_MAP_ENV = "PIPEPROBE_MODEL_MAP"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--project", type=Path, default=None, metavar="DIR",
                        help="the project folder (default: the nearest with [tool.pipeprobe], else here)")
    parser.add_argument("--model-map", default=None, metavar="PATH",
                        help="also check this model map (default: $PIPEPROBE_MODEL_MAP, if set)")


def main(args: argparse.Namespace) -> int:
    try:
        project = find_project(args.project)
    except ConfigError as error:
        print(error)
        return 1
    map_option = args.model_map or os.environ.get(MODEL_MAP_ENV)
    faults, counts = check_project(project, Path(map_option) if map_option else None)
    for line in faults:
        print(line)
    summary = ", ".join(f"{count} {name}" for name, count in counts.items())
    if faults:
        print(f"pipeprobe check: {len(faults)} fault(s) ({summary})", file=sys.stderr)
        return 1
    print(f"pipeprobe check: no faults ({summary})")
    return 0


def check_project(project: ProjectConfig, model_map: Path | None = None) -> tuple[list[str], dict[str, int]]:
    """Every fault of the project, one line each, and how many things were checked."""
    from pipeprobe.probes.catalogue import CatalogueError, load_suite, probe_files
    from pipeprobe.tasks import TaskError, register_user_tasks

    faults: list[str] = []
    counts = {"probe files": 0, "probes": 0, "models": 0, "baselines": 0}
    try:
        register_user_tasks(project.tasks, project.root)
    except TaskError as error:
        faults.append(f"{project.root / 'pyproject.toml'}: {error}")
    if not project.fixtures.is_dir():
        return [*faults, f"{project.fixtures}: no probe folder (set [tool.pipeprobe] fixtures)"], counts

    suites: dict[str, Path] = {}
    probes: list[Any] = []
    for path in probe_files(project.fixtures):
        counts["probe files"] += 1
        try:
            members = load_suite(path)
        except CatalogueError as error:
            faults.extend(error.lines)
            continue
        suite = members[0].suite
        if suite in suites:
            faults.append(f"{path}: suite: {suite!r} is defined by {suites[suite]} too")
        suites[suite] = path
        probes.extend(members)
    counts["probes"] = len(probes)

    pinned = _check_models(project.models_file, faults)
    counts["models"] = len(pinned)
    for probe in probes:
        if pinned is not None and probe.model not in pinned:
            faults.append(f"{probe.path}: probe {probe.id!r}: model: {probe.model!r} is not pinned in models.yaml")

    modules = suite_modules(project.suites)
    for suite, path in sorted(suites.items()):
        if suite not in modules:
            faults.append(f"{path}: suite {suite!r}: no suite module in {project.suites} runs it (SUITE = {suite!r})")
    for suite, paths in sorted(modules.items()):
        if suite not in suites:
            faults.append(f"{paths[0]}: SUITE {suite!r}: no probe file in {project.fixtures} defines it")

    if model_map is not None:
        _check_model_map(model_map, faults, pinned or {})
    counts["baselines"] = _check_baselines(project.snapshots, faults)
    return faults, counts


def _check_models(path: Path, faults: list[str]) -> dict[str, Any]:
    from pipeprobe.language.schema import ModelsFile, SchemaError, read_yaml, validate
    from pipeprobe.tasks import TaskError, loads_gguf

    if not path.is_file():
        faults.append(f"{path}: missing: models.yaml pins every model the probes name")
        return {}
    try:
        parsed = validate(ModelsFile, read_yaml(path, "models.yaml"), path, "models.yaml")
    except SchemaError as error:
        faults.extend(error.lines)
        return {}
    for model_id, entry in parsed.models.items():
        try:
            gguf = loads_gguf(entry.task)  # also: the task must be known
        except TaskError as error:
            faults.append(f"{path}: model {model_id!r}: task: {error}")
            continue
        if entry.gguf_file and not gguf:
            faults.append(f"{path}: model {model_id!r}: gguf_file: task {entry.task!r} does not load GGUF files")
    return dict(parsed.models)


def models_file_faults(path: Path) -> list[str]:
    """models.yaml's faults, one line each (the plugin stops on the first before any test runs)."""
    faults: list[str] = []
    if path.is_file():
        _check_models(path, faults)
    return faults


def _check_model_map(path: Path, faults: list[str], pinned: dict[str, Any] | None = None) -> None:
    """The map's syntax, then each mapped folder's files (pipeprobe.models.folder_check: no weight loads)."""
    from pipeprobe.language.schema import MapEntryTable, SchemaError, read_toml, validate
    from pipeprobe.models.folder_check import folder_faults

    try:
        document = read_toml(path, "model map")
    except SchemaError as error:
        faults.extend(error.lines)
        return
    models = document.get("models")
    if not isinstance(models, dict):
        faults.append(f"{path}: models: expected a [models] table of hub id = folder")
        return
    for model_id, entry in models.items():
        options: dict[str, Any] = {}
        if isinstance(entry, dict):
            try:
                table = validate(MapEntryTable, entry, path, "a model-map entry")
                entry, options = table.path, {"gguf_file": table.gguf_file, "tokenizer_only": table.tokenizer_only}
            except SchemaError as error:
                faults.extend(line.replace(f"{path}:", f"{path}: model {model_id!r}:", 1) for line in error.lines)
                continue
        if not isinstance(entry, str) or not entry:
            faults.append(f"{path}: model {model_id!r}: must be a folder path or a table with 'path' (got {entry!r})")
            continue
        folder = Path(entry).expanduser()
        folder = folder if folder.is_absolute() else path.parent / folder
        if not folder.is_dir():
            faults.append(f"{path}: model {model_id!r}: path: {folder} is not a folder")
            continue
        spec = (pinned or {}).get(model_id)
        for fault in folder_faults(folder, task=getattr(spec, "task", None), labels=getattr(spec, "labels", None),
                                   **options):
            faults.append(f"{path}: model {model_id!r}: {folder}: {fault}")


def _check_baselines(root: Path, faults: list[str]) -> int:
    """Every baseline through the store's one reader (strict JSON, schema, the tolerance rule)."""
    from pipeprobe.baselines import store

    count = 0
    for path, content in store.each(root):
        count += 1
        if isinstance(content, store.BaselineError):
            faults.append(f"{path}: {content}")
    return count
