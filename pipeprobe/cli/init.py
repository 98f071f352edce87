"""``pipeprobe init DIR --model ID --task TASK [--suite NAME]``: a working project in this layout.

Writes ``pyproject.toml`` (with ``[tool.pipeprobe]``), ``fixtures/NAME.yaml`` (one example
probe that holds for any model of the task), ``fixtures/models.yaml`` (the model, pinned),
``suites/test_NAME.py``, ``snapshots/`` and ``model-map.toml.example`` (a commented template:
copy it to ``model-map.toml`` to test a model from a local folder). Refuses to overwrite.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import sys
from pathlib import Path
from typing import Any

import yaml

from pipeprobe import atomic
from pipeprobe.cli import init_files
from pipeprobe.paths import folder_problem
from pipeprobe.tasks import BUILTIN_TASKS, adapter_for


# task -> (params, input, expect): an example probe that holds for any model of the task, so
# the first run passes; the README shows how to pin real expectations next to it.
class InitError(ValueError):
    """Arguments ``init`` can't use; one line."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("directory", type=Path, help="the new project's folder (created; must not hold a project)")
    parser.add_argument("--model", required=True, help="the model's hub id (a model map can supply it locally)")
    parser.add_argument("--task", required=True, help=f"one of: {', '.join(BUILTIN_TASKS)}")
    parser.add_argument("--suite", default=None, help="the suite's name (default: from the model's name)")


def main(args: argparse.Namespace) -> int:
    try:
        written = write_project(args.directory, args.model, args.task, args.suite)
    except InitError as error:
        print(f"pipeprobe init: {error}", file=sys.stderr)
        return 2
    print(f"pipeprobe init: wrote {len(written)} files under {args.directory}:")
    for path in written:
        print(f"  {path.relative_to(args.directory)}")
    print("next: copy model-map.toml.example to model-map.toml if the model is in a local folder, then run "
          "`pytest --model-map=model-map.toml` (and `--snapshot-update` once to record baselines)")
    return 0


def default_suite(model: str) -> str:
    name = re.sub(r"[^a-z0-9_]+", "_", model.rsplit("/", 1)[-1].lower()).strip("_")
    return name or "probes"


def write_project(directory: Path, model: str, task: str, suite: str | None) -> list[Path]:
    """Write the project; the files written. InitError (nothing written) on bad arguments."""
    from pipeprobe.language.schema import MAX_SLUG_CHARS, SLUG_PATTERN, hub_id_problem

    if task not in BUILTIN_TASKS:
        raise InitError(f"--task {task!r}: choose one of {', '.join(BUILTIN_TASKS)}")
    if hub_id_problem(model):
        raise InitError(f"--model {model[:100]!r}: a hub id such as my-org/my-model (letters, digits, '.', '_', "
                        "'-'); a local folder goes in the model map")
    suite = suite or default_suite(model)
    if not re.match(SLUG_PATTERN, suite) or len(suite) > MAX_SLUG_CHARS:
        raise InitError(f"--suite {suite[:60]!r}{'...' if len(suite) > 60 else ''}: letters, digits, '.', '_', "
                        f"'-' (no leading dot), at most {MAX_SLUG_CHARS} characters")
    if problem := folder_problem(directory):
        raise InitError(problem)
    module = re.sub(r"[^A-Za-z0-9_]", "_", suite)
    files = {
        Path("pyproject.toml"): _pyproject(directory.name),
        Path("fixtures") / f"{suite}.yaml": _probe_file(suite, task, model),
        Path("fixtures") / "models.yaml": _models_file(model, task),
        Path("suites") / f"test_{module}.py": _suite_module(suite, model),
        Path("snapshots") / ".gitkeep": "",
        Path("model-map.toml.example"): _model_map_template(model),
        Path(".gitignore"): init_files.GITIGNORE,
        Path(".github") / "workflows" / "probes.yml": init_files.WORKFLOW,
        Path("README.md"): init_files.readme(directory.name, model, suite, module),
    }
    clashes = [str(directory / path) for path in files if (directory / path).exists()]
    if clashes:
        raise InitError(f"{clashes[0]} exists; init writes a new project and overwrites nothing")
    if directory.exists() and not directory.is_dir():
        raise InitError(f"{directory} is a file, not a folder")
    return _write_all(directory, files)


def _write_all(directory: Path, files: dict[Path, str]) -> list[Path]:
    """Write every file, or none: on an OSError what was written (and the folders made) is removed."""
    written: list[Path] = []
    made: list[Path] = []
    try:
        for relative, text in files.items():
            path = directory / relative
            for folder in reversed([path.parent, *path.parent.parents]):
                if not folder.exists():
                    folder.mkdir()
                    made.append(folder)
            atomic.write(path, text)
            written.append(path)
    except OSError as error:
        for path in written:
            path.unlink(missing_ok=True)
        for folder in reversed(made):
            with contextlib.suppress(OSError):
                folder.rmdir()
        where = error.filename or directory
        raise InitError(f"cannot write {where} ({error.strerror or error}); nothing was written") from None
    return written


def _pyproject(name: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.") or "probes"
    return f'''[project]
name = "{slug}"
version = "0.1.0"
requires-python = ">=3.11"
dependencies = ["pipeprobe[report,parallel]"]  # --html and -n 2; add audio, vision as needed

[tool.pytest.ini_options]
testpaths = ["suites"]
addopts = "-ra --strict-markers"
xfail_strict = true

# pipeprobe's settings; the table's presence turns the pytest plugin on
[tool.pipeprobe]
fixtures = "fixtures"    # probe files and models.yaml
snapshots = "snapshots"  # baselines (pytest --snapshot-update records them)
suites = "suites"        # suite test modules (SUITE = "<suite>")
{init_files.require_models_line()}

# A task pipeprobe doesn't ship: name your own adapter (load, run, judge; see pipeprobe.tasks)
# [tool.pipeprobe.tasks]
# my-task = "my_package.my_adapter:Adapter"
'''


def _probe_file(suite: str, task: str, model: str) -> str:
    example = adapter_for(task).example  # every built-in task declares the probe init writes
    params, example_input, expect = example.params, example.input, example.expect
    probe: dict[str, Any] = {"id": "example", "input": example_input}
    if params:
        probe["params"] = params
    probe["expect"] = expect
    document = {"suite": suite, "task": task, "model": model, "probes": [probe]}
    body = yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)
    return (
        "# yaml-language-server: $schema=../probe-file.schema.json\n"
        "# (editors validate against it once you run: pipeprobe schema -o probe-file.schema.json)\n"
        f"# Probes of {model}. Each probe: id, input, expect (source, lang, verdict are optional).\n"
        "# expect: a path into the output (scores.0, entities.2.word) -> a bare value (equals) or one\n"
        "# operator: {approx: X, abs: A}, {above: X}, {below: X}, {between: [A, B]}, {equals: V},\n"
        "# {contains: V}, {matches: REGEX}, {one_of: [...]}, {len: N}.\n"
        f"{body}"
    )


def _models_file(model: str, task: str) -> str:
    return (
        "# Every model the probes need, pinned to a revision (a hub commit, tag or branch).\n"
        "# A model a model map supplies from a local folder loads from there whatever the revision says;\n"
        "# pin a commit here before fetching it from the hub (`pipeprobe models fetch` locks what it gets).\n"
        + yaml.safe_dump({"models": {model: {"revision": "main", "task": task}}}, sort_keys=False)
    )


def _suite_module(suite: str, model: str) -> str:
    """The suite's test module. Nothing the user typed goes into it but the suite name, written with
    repr() (a validated slug besides): the model is named in the probe file, not in Python."""
    return f'''"""The {suite} probes: the data is fixtures/{suite}.yaml, the baselines are under snapshots/{suite}/."""

from pipeprobe.plugin.probes import assert_expected

SUITE = {suite!r}


def test_expectation(probe, probe_output):
    assert_expected(probe, probe_output)


def test_baseline(probe_result, baseline):
    assert baseline == probe_result
'''


def _model_map_template(model: str) -> str:
    return f'''# A model map: hub id -> local folder (relative paths are from this file).
# Copy this file to model-map.toml, point it at your model's folder (config.json, weights,
# tokenizer files), and run `pytest --model-map=model-map.toml`.
[models]
# {json.dumps(model)} = "/path/to/your/model"
# a GGUF file: {json.dumps(model)} = {{ path = "/path/to/folder", gguf_file = "model.Q4_K_M.gguf" }}
'''
