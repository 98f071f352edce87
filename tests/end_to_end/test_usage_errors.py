"""Bad input gets one clear line, never a traceback: probe files, devices, maps, snapshots."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeprobe.devices import DeviceError, resolve_target
from pipeprobe.models import ModelMap, ModelMapError
from pipeprobe.probes.catalogue import CatalogueError, load_suite
from tests import twins
from tests.conftest import run, run_inprocess

GOOD = """
suite: demo
task: text-classification
marker: sentiment
model: m/x
probes:
  - id: one
    source: {section: S, test: T}
    lang: en
    input: hi
    expect: {label: POSITIVE}
"""


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("suite: [unclosed", "not a readable YAML probe file"),
        ("- just a list", "must be a mapping"),
        (GOOD.replace("    expect: {label: POSITIVE}\n", ""), "probe 'one': expect: missing (required)"),
        (GOOD.replace("lang: en", "lang: English"), "lang: must be an ISO 639 language code"),
        (GOOD + "    verdict: maybe\n", "probe 'one': verdict: Input should be 'right', 'wrong', 'aprovado' or"),
        (GOOD + "    colour: blue\n", "probe 'one': colour: unknown key"),
        (GOOD + GOOD.split("probes:\n", 1)[1], "probe id 'one' appears twice"),
        ("!!python/object/apply:os.system ['true']", "not a readable YAML probe file"),
        ("markers: beyond_notes\n" + GOOD, "markers: Input should be a valid list"),
        (GOOD.replace("id: one", "id: ../../x"), "id: must be a slug"),
        (GOOD + "    recorded: 'no'\n", "recorded: Input should be a valid boolean"),
        (GOOD.replace("task: text-classification", "task: text-sorting"), "unknown task 'text-sorting'"),
        (GOOD.replace("{label: POSITIVE}", "{label: {near: POSITIVE}}"), "expect label: {'near': 'POSITIVE'} must be"),
    ],
)
def test_a_malformed_probe_file_is_named_with_what_is_wrong(tmp_path, text, message):
    path = tmp_path / "demo.yaml"
    path.write_text(text)
    with pytest.raises(CatalogueError) as caught:
        load_suite(path)
    assert message in str(caught.value)
    assert str(path) in str(caught.value)
    assert "\n" not in str(caught.value)


def test_a_file_may_add_markers_to_every_probe(tmp_path):
    path = tmp_path / "demo.yaml"
    path.write_text("markers: [beyond_notes]\n" + GOOD)
    (probe,) = load_suite(path)
    assert probe.markers == ("sentiment", "lang_en", "beyond_notes", "text_classification")


@pytest.mark.parametrize(
    ("device", "dtype", "message"),
    [
        ("nonsense", "float32", "unknown --device 'nonsense'"),
        ("cuda", "float32", "sees no CUDA device"),
        ("cuda:3", "float32", "sees no CUDA device"),
        ("cpu", "float8", "unknown --dtype 'float8'"),
    ],
)
def test_unusable_devices_and_dtypes_are_refused(device, dtype, message):
    with pytest.raises(DeviceError, match=message):
        resolve_target(device, dtype)


def test_auto_falls_back_to_cpu_here():
    assert resolve_target("auto", "float32").device == "cpu"


def test_model_map_paths_are_relative_to_the_map_and_bad_maps_are_refused(tmp_path):
    path = tmp_path / "maps" / "map.toml"
    path.parent.mkdir()
    path.write_text('[models]\n"a/b" = "../models/b"\n"c/d" = { path = "/abs/d", gguf_file = "d.gguf" }\n')
    model_map = ModelMap.load(path)
    assert model_map.entries["a/b"].path == (tmp_path / "models" / "b").resolve()
    assert model_map.entries["c/d"].gguf_file == "d.gguf"
    path.write_text("[models\n")
    with pytest.raises(ModelMapError, match="not valid TOML"):
        ModelMap.load(path)
    path.write_text("models = 3\n")
    with pytest.raises(ModelMapError, match=r"expected a \[models\] table"):
        ModelMap.load(path)
    with pytest.raises(ModelMapError, match="cannot read it"):
        ModelMap.load(tmp_path / "absent.toml")


def test_usage_errors_exit_4_with_one_line(project):
    for args, message in [
        (("--device", "nonsense"), "ERROR: unknown --device 'nonsense': use cpu, auto, cuda, cuda:N or mps"),
        (("--device", "cuda"), "ERROR: --device cuda asked for CUDA, but torch * sees no CUDA device on this machine"),
        (("--model-map=absent.toml",), "ERROR: model map absent.toml: cannot read it*"),
    ]:
        result = run(project, "--co", *args)
        assert result.ret == pytest.ExitCode.USAGE_ERROR
        result.stderr.fnmatch_lines([message])
        assert "Traceback" not in result.stderr.str() + result.stdout.str()

    sentiment = project.path / "fixtures" / "sentiment.yaml"
    sentiment.write_text("markers: [nightly_only]\n" + sentiment.read_text())
    declared = run(project, "--co", "-q", "-m", "nightly_only and lang_en")  # a file's marker is registered
    assert declared.ret == pytest.ExitCode.OK
    assert "sentiment" in declared.stdout.str() and "minilm" not in declared.stdout.str()
    unregistered = run(project, "--co", "-m", "nightly_onyl")
    assert unregistered.ret == pytest.ExitCode.USAGE_ERROR
    unregistered.stderr.fnmatch_lines(["ERROR: -m 'nightly_onyl': no probe file, task or plugin declares marker(s) *"])

    (project.path / "fixtures" / "sentiment.yaml").write_text("suite: [unclosed")
    broken = run(project, "--co")
    assert broken.ret == pytest.ExitCode.USAGE_ERROR
    broken.stderr.fnmatch_lines(["ERROR: *sentiment.yaml: not a readable YAML probe file*"])


def test_a_corrupt_baseline_fails_its_probe_with_a_clear_message(project, sst2_twin):
    mapping = twins.write_model_map(project.path / "map.toml", {twins.SST2_ID: sst2_twin})
    folder = project.path / "snapshots/sentiment/distilbert--distilbert-base-uncased-finetuned-sst-2-english@714eb0f"
    (folder / "teste-01.json").write_text('{"output": {"label": "POS')
    (folder / "teste-02.json").unlink()
    selected = ("-m", "sentiment", "-k", "baseline and (teste-01 or teste-02)", f"--model-map={mapping}")
    result = run_inprocess(project, *selected)
    result.assert_outcomes(failed=2, deselected=None)
    result.stdout.fnmatch_lines(["*baseline file *teste-01.json is corrupt: not valid JSON*"])
    result.stdout.fnmatch_lines(["*no baseline file *teste-02.json: run with --snapshot-update to record one"])

    only_teste_01 = ("-m", "sentiment", "-k", "baseline and teste-01", f"--model-map={mapping}")
    updated = run_inprocess(project, *only_teste_01, "--snapshot-update")
    updated.assert_outcomes(passed=1, deselected=None)
    assert json.loads((folder / "teste-01.json").read_text())["probe"] == "teste-01"
    assert not list(Path(folder).glob(".*.tmp"))
