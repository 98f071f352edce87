"""``pipeprobe init DIR --model ID --task TASK [--suite NAME]``: a working project in this layout.

Writes ``pyproject.toml`` (with ``[tool.pipeprobe]``), ``fixtures/NAME.yaml`` (one example
probe that holds for any model of the task), ``fixtures/models.yaml`` (the model, pinned),
``suites/test_NAME.py``, ``snapshots/`` and ``model-map.toml.example`` (a commented template:
copy it to ``model-map.toml`` to test a model from a local folder). Refuses to overwrite.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any

import yaml

from pipeprobe.tasks import BUILTIN_TASKS

# task -> (params, input, expect): an example probe that holds for any model of the task, so
# the first run passes; the README shows how to pin real expectations next to it.
EXAMPLES: dict[str, tuple[dict[str, Any], Any, dict[str, Any]]] = {
    "feature-extraction": (
        {"check": "similarity"},
        {"query": "The weather is lovely today.", "candidates": ["It's so sunny outside!", "He drove to the stadium."]},
        {"scores": {"len": 2}, "scores.0": {"between": [-1.0, 1.0]}, "order": {"len": 2}},
    ),
    "text-classification": ({}, "I love this product!", {"score": {"between": [0.0, 1.0]}, "label": {"matches": "."}}),
    "zero-shot-classification": (
        {},
        {"sequence": "This is a course about the Transformers library", "candidate_labels": ["education", "politics"]},
        {"labels": {"len": 2}, "scores.0": {"between": [0.0, 1.0]}},
    ),
    "text-generation": (
        {"max_new_tokens": 5},
        "The capital of France is",
        {"generated_text": {"contains": "The capital of France is"}},
    ),
    "fill-mask": ({"top_k": 3}, "Paris is the [MASK] of France.", {"count": 3}),
    "token-classification": ({}, "My name is Clara and I live in Berkeley.", {"0.score": {"between": [0.0, 1.0]}}),
    "question-answering": (
        {},
        {"question": "Where do I work?", "context": "My name is Sylvain and I work at Hugging Face in Brooklyn."},
        {"answer_within": "My name is Sylvain and I work at Hugging Face in Brooklyn."},
    ),
    "summarization": ({}, "A long text to summarise. " * 10, {"summary_text": {"matches": "\\w"}}),
    "translation": ({}, "Hello, how are you?", {"translation_text": {"matches": "\\w"}}),
    "image-classification": ({}, {"file": "example.jpg"}, {"0.score": {"between": [0.0, 1.0]}}),
    "automatic-speech-recognition": ({}, {"file": "example.flac"}, {"text": {"matches": "\\w"}}),
    "tokenizer": ({}, "Hello world!", {"input_ids": {"len": 1}, "attention_mask": {"len": 1}}),
    "model-outputs": ({}, ["Hello!", "Cool."], {"shape": {"len": 2}}),
}


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
    from pipeprobe.probes.schema import SLUG_PATTERN

    if task not in EXAMPLES:
        raise InitError(f"--task {task!r}: choose one of {', '.join(EXAMPLES)}")
    if not model.strip() or any(character.isspace() for character in model):
        raise InitError(f"--model {model!r}: a hub id such as my-org/my-model")
    suite = suite or default_suite(model)
    if not re.match(SLUG_PATTERN, suite):
        raise InitError(f"--suite {suite!r}: letters, digits, '.', '_', '-' (no leading dot)")
    module = re.sub(r"[^A-Za-z0-9_]", "_", suite)
    files = {
        Path("pyproject.toml"): _pyproject(directory.name),
        Path("fixtures") / f"{suite}.yaml": _probe_file(suite, task, model),
        Path("fixtures") / "models.yaml": _models_file(model, task),
        Path("suites") / f"test_{module}.py": _suite_module(suite, model),
        Path("snapshots") / ".gitkeep": "",
        Path("model-map.toml.example"): _model_map_template(model),
    }
    clashes = [str(directory / path) for path in files if (directory / path).exists()]
    if clashes:
        raise InitError(f"{clashes[0]} exists; init writes a new project and overwrites nothing")
    if directory.exists() and not directory.is_dir():
        raise InitError(f"{directory} is a file, not a folder")
    written = []
    for relative, text in files.items():
        path = directory / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def _pyproject(name: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.") or "probes"
    return f'''[project]
name = "{slug}"
version = "0.1.0"
requires-python = ">=3.11"
dependencies = ["pipeprobe"]

[tool.pytest.ini_options]
testpaths = ["suites"]
addopts = "-ra --strict-markers"
xfail_strict = true

# pipeprobe's settings; the table's presence turns the pytest plugin on
[tool.pipeprobe]
fixtures = "fixtures"    # probe files and models.yaml
snapshots = "snapshots"  # baselines (pytest --snapshot-update records them)
suites = "suites"        # suite test modules (SUITE = "<suite>")

# A task pipeprobe doesn't ship: name your own adapter (load, run, judge; see pipeprobe.tasks)
# [tool.pipeprobe.tasks]
# my-task = "my_package.my_adapter:Adapter"
'''


def _probe_file(suite: str, task: str, model: str) -> str:
    params, example_input, expect = EXAMPLES[task]
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
    return f'''"""Probes of {model}: the data is fixtures/{suite}.yaml, the baselines are under snapshots/{suite}/."""

from pipeprobe.plugin.probes import assert_expected

SUITE = "{suite}"


def test_expectation(probe, probe_output):
    assert_expected(probe, probe_output)


def test_baseline(probe_record, baseline):
    assert baseline == probe_record
'''


def _model_map_template(model: str) -> str:
    return f'''# A model map: hub id -> local folder (relative paths are from this file).
# Copy this file to model-map.toml, point it at your model's folder (config.json, weights,
# tokenizer files), and run `pytest --model-map=model-map.toml`.
[models]
# "{model}" = "/path/to/your/model"
# a GGUF file: "{model}" = {{ path = "/path/to/folder", gguf_file = "model.Q4_K_M.gguf" }}
'''
