"""The declared schema: one line per fault for probe files, models.yaml and [tool.pipeprobe]."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from pipeprobe.cli.check import models_file_faults
from pipeprobe.config import ConfigError, load_config
from pipeprobe.probes.catalogue import CatalogueError, load_suite
from pipeprobe.tasks import TaskError, adapter_for, register_user_tasks

PROBE = "suite: demo\ntask: text-classification\nmodel: m/x\nprobes:\n  - {id: one, input: hi, expect: {label: A}}\n"


def test_a_team_probe_needs_only_id_input_and_expect(tmp_path):
    path = tmp_path / "demo.yaml"
    path.write_text(PROBE.replace("{id: one,", "{id: one, lang: sw, verdict: reprovado,"))
    (probe,) = load_suite(path)
    assert probe.marker == "demo" and probe.verdict == "wrong" and probe.known_weakness
    assert probe.markers == ("demo", "lang_sw", "text_classification")
    assert probe.source.describe() == "" and probe.describe() == "demo/one"


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"suite: d\xe9mo\n", "is not UTF-8 text (byte 0xe9 at offset 8)"),
        (
            b'a: &a ["x","x","x","x","x","x","x","x","x","x"]\n'
            + b"".join(
                f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},"
                f"*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)}]\n".encode()
                for i in range(8)
            ),
            "expands past 1,000,000 values (YAML aliases?); refused",
        ),
        (PROBE.replace("{label: A}", "[label]").encode(), "expect: Input should be a valid dictionary"),
        (PROBE.replace("input: hi,", "input: hi, params: [1],").encode(), "probe 'one': params: Input should be"),
        (PROBE.replace("id: one", "id: .hidden").encode(), "id: must be a slug"),
        (PROBE.replace("id: one", "id: [1, 2]").encode(), "probe #1: id: Input should be a valid string"),
        (PROBE.replace("id: one", "id: 7").encode(), "probe #1: id: Input should be a valid string (got 7)"),
        (PROBE.replace("suite: demo", "suite: /tmp/x").encode(), "suite: must be a slug"),
    ],
)
def test_bad_probe_files_are_one_line(tmp_path, data, words):
    path = tmp_path / "demo.yaml"
    path.write_bytes(data)
    with pytest.raises(CatalogueError) as caught:
        load_suite(path)
    assert words in str(caught.value) and str(path) in str(caught.value)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("models:\n  a/b: {task: fill-mask}\n", "model 'a/b': revision: missing (required)"),
        ("models:\n  a/b: {revision: main, task: fill-mask, gguf_file: x.gguf}\n",
         "model 'a/b': gguf_file: task 'fill-mask' does not load GGUF files"),
        ("models:\n  a/b: {revision: main, task: sorting}\n", "model 'a/b': task: unknown task 'sorting'"),
        ("models:\n  a/b: {revision: main, task: fill-mask, colour: red}\n", "model 'a/b': colour: unknown key"),
        ("models: [unclosed\n", "not a readable YAML models.yaml"),
    ],
)
def test_models_yaml_faults_are_one_line_each(tmp_path, text, words):
    path = tmp_path / "models.yaml"
    path.write_text(text)
    (fault,) = models_file_faults(path)
    assert fault.startswith(f"{path}: ") and words in fault


def test_a_gguf_file_is_fine_where_the_task_loads_gguf(tmp_path):
    path = tmp_path / "models.yaml"
    path.write_text("models:\n  a/b: {revision: main, task: text-generation, gguf_file: x.gguf}\n")
    assert models_file_faults(path) == []


@pytest.mark.parametrize(
    ("table", "words"),
    [
        ("[tool.pipeprobe]\ncolour = 1\n", "colour: unknown key"),
        ('[tool.pipeprobe]\nfixtures = "../elsewhere"\n', "fixtures = '../elsewhere' leaves the project folder"),
        ("[tool.pipeprobe]\nfixtures = 3\n", "fixtures: Input should be a valid string"),
        ("[tool.pipeprobe\n", "not valid TOML"),
    ],
)
def test_a_bad_pipeprobe_table_is_one_line(tmp_path, table, words):
    (tmp_path / "pyproject.toml").write_text(table)
    with pytest.raises(ConfigError, match="pyproject.toml") as caught:
        load_config(tmp_path)
    assert words in str(caught.value)


def test_without_the_table_a_project_is_not_a_pipeprobe_project(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.pytest.ini_options]\ntestpaths = ["tests"]\n')
    assert not load_config(tmp_path).enabled
    (tmp_path / "pyproject.toml").write_text("[tool.pipeprobe]\n")
    project = load_config(tmp_path)
    assert project.enabled and project.fixtures == tmp_path.resolve() / "fixtures"


def test_a_user_task_that_cannot_be_imported_is_named(tmp_path):
    try:
        register_user_tasks({"echo": "nowhere_module:Echo"}, tmp_path)
        with pytest.raises(TaskError, match=r"task 'echo': can't import adapter 'nowhere_module:Echo'"):
            adapter_for("echo")
        with pytest.raises(TaskError, match="write 'package.module:Name'"):
            register_user_tasks({"echo": "no colon"}, tmp_path)
        with pytest.raises(TaskError, match="a built-in task has that name"):
            register_user_tasks({"fill-mask": "a.b:C"}, tmp_path)
    finally:
        register_user_tasks({}, None)


def test_pipeprobe_schema_prints_the_probe_file_json_schema():
    done = subprocess.run([sys.executable, "-m", "pipeprobe.cli", "schema"], capture_output=True, text=True, check=True)
    schema = json.loads(done.stdout)
    assert schema["title"] == "pipeprobe probe file"
    assert set(schema["required"]) == {"suite", "task", "model"}  # and probes, tests or both (the catalogue checks)
    assert set(schema["$defs"]["ProbeEntry"]["required"]) == {"id", "input", "expect"}
    assert Path(sys.executable).exists()


def test_every_built_in_adapter_implements_the_declared_protocol():
    from pipeprobe.tasks import BUILTIN_TASKS, TaskAdapter, task_markers

    for task in BUILTIN_TASKS:
        adapter = adapter_for(task)
        assert isinstance(adapter, TaskAdapter), task
        assert isinstance(adapter.batches, bool), task
    assert task_markers()["feature_extraction"].startswith("sentence embeddings")


def test_check_names_each_bad_model_map_entry_once(tmp_path):
    from pipeprobe.cli.check import _check_model_map

    (tmp_path / "model").mkdir()
    path = tmp_path / "map.toml"
    path.write_text('[models]\n"a/b" = 3\n"c/d" = {path = "model", colour = 1}\n"e/f" = "model"\n"g/h" = "absent"\n')
    faults: list[str] = []
    _check_model_map(path, faults)
    empty = tmp_path / "model"  # a folder that is there holds nothing a model needs: each file named once
    assert faults == [
        f"{path}: model 'a/b': must be a folder path or a table with 'path' (got 3)",
        f"{path}: model 'c/d': colour: unknown key",
        f"{path}: model 'e/f': {empty}: no tokenizer files (one of tokenizer.json, vocab.txt, vocab.json, "
        "tokenizer.model, spiece.model, sentencepiece.bpe.model, source.spm)",
        f"{path}: model 'e/f': {empty}: no config.json",
        f"{path}: model 'e/f': {empty}: no PyTorch weight file (model.safetensors, pytorch_model.bin, "
        "or a sharded index)",
        f"{path}: model 'g/h': path: {tmp_path / 'absent'} is not a folder",
    ]


def test_every_built_in_task_is_one_class_and_init_can_write_it(tmp_path):
    from pipeprobe.cli.main import main as cli
    from pipeprobe.tasks import BUILTIN_TASKS, TaskAdapter

    for task in BUILTIN_TASKS:
        adapter = adapter_for(task)
        assert isinstance(adapter, TaskAdapter) and type(adapter) is not TaskAdapter and adapter.name == task
        assert adapter.example is not None, task
        assert cli(["init", str(tmp_path / task), "--task", task, "--model", "my-org/my-model"]) == 0, task
