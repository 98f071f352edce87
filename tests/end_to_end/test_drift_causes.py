"""Drift that names its cause: four injected causes on the SST-2 twin, each named by `pipeprobe explain`
(and by the drift report's provenance differences), and a run with nothing changed that names nothing."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import transformers

from pipeprobe.baselines import statuses
from pipeprobe.baselines.provenance import describe_differences, probe_parts, provenance_differences
from pipeprobe.cli import explain
from pipeprobe.cli.main import main as pipeprobe
from pipeprobe.devices import resolve_target
from pipeprobe.models import fingerprints
from pipeprobe.report import document
from tests import twins
from tests.conftest import PROJECT, run_inprocess
from tests.perturb import build_sensitive_sst2_twin, copy_sentiment_project

SNAPSHOTS = Path("snapshots/sentiment/distilbert--distilbert-base-uncased-finetuned-sst-2-english@714eb0f")
EDITED = "teste-01"
OTHER_VERSION = "4.56.0"  # never the installed transformers (CI runs the tests on 5.x and 4.57.6)


@pytest.fixture(autouse=True)
def own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PIPEPROBE_CACHE", str(tmp_path / "cache"))


@pytest.fixture(scope="module")
def twin_source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_sensitive_sst2_twin(tmp_path_factory.mktemp("twins") / "sensitive")


@pytest.fixture
def recorded(pytester: pytest.Pytester, twin_source: Path, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """The sentiment project with its twin in a model-map folder and baselines recorded from it."""
    copy_sentiment_project(pytester.path, PROJECT)
    shutil.copytree(twin_source, pytester.path / "twin")
    twins.write_model_map(pytester.path / "map.toml", {twins.SST2_ID: pytester.path / "twin"})
    run_inprocess(pytester, "-m", "sentiment", "--model-map=map.toml", "--snapshot-update")
    monkeypatch.chdir(pytester.path)
    return pytester


def drift_run(project: pytest.Pytester, name: str = "after") -> dict:
    run_inprocess(project, "-m", "sentiment", "--model-map=map.toml", f"--drift-report={name}")
    return document.load_report(project.path / name / "drift.json")


def explained(project: pytest.Pytester, capsys: pytest.CaptureFixture, name: str = "after") -> dict[str, str]:
    """`pipeprobe explain` on the run's drift.json: {probe: verdict line}, as printed and as written."""
    capsys.readouterr()
    assert pipeprobe(["explain", f"{name}/drift.json", "--no-envs"]) == 0
    printed = capsys.readouterr().out
    report = document.load_report(project.path / name / "drift.json")
    lines = {probe["probe"]: probe["explanation"] for probe in report["probes"] if "explanation" in probe}
    for probe, line in lines.items():
        assert f"sentiment/{probe}: {line}" in printed
    assert all(line in (project.path / name / "drift.html").read_text() for line in list(lines.values())[:3])
    return lines


def baseline_of(project: pytest.Pytester, probe: str) -> dict:
    return json.loads((project.path / SNAPSHOTS / f"{probe}.json").read_text())


def test_baselines_record_the_fingerprints_and_the_probe_definition(recorded):
    provenance = baseline_of(recorded, EDITED)["provenance"]
    assert set(fingerprints.GROUPS) <= provenance.keys()
    assert len(provenance["weights"]) == 64
    assert provenance["probe_parts"].keys() >= {"input", "expect", "model", "task"}
    for library in ("transformers", "torch", "tokenizers", "safetensors", "huggingface_hub", "numpy"):
        assert provenance[library] not in (None, "")
    assert provenance["threads"] >= 1


def test_nothing_changed_names_nothing(recorded, capsys):
    report = drift_run(recorded)
    assert not document.failing(report)
    assert all(not probe["provenance_differences"] for probe in report["probes"] if probe["has_output"])
    capsys.readouterr()
    assert pipeprobe(["explain", "after/drift.json", "--no-envs"]) == 0
    assert "nothing drifted or changed: nothing to explain" in capsys.readouterr().out


def test_the_drift_report_records_the_projects_git_commit(recorded):
    import subprocess

    git = ["git", "-C", str(recorded.path), "-c", "user.name=t", "-c", "user.email=t@t", "-c", "commit.gpgsign=false"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "fixtures"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "probes"], check=True)
    head = subprocess.run([*git, "rev-parse", "HEAD"], check=True, capture_output=True, text=True).stdout.strip()
    run = drift_run(recorded)["run"]
    assert run["project_commit"] == head and run["project_dirty"] is False


def test_retrained_weights_in_the_map_folder_are_named(recorded, capsys):
    before = baseline_of(recorded, EDITED)["provenance"]
    build_sensitive_sst2_twin(recorded.path / "twin", seed=1)  # retrained: same folder, same revision
    report = drift_run(recorded)
    assert document.failing(report)
    lines = explained(recorded, capsys)
    assert lines and all(line.startswith("cause: the model changed: model weights changed (digest "
                                         f"{before['weights'][:4]}…") for line in lines.values())
    assert all("tokenizer" not in line for line in lines.values())


def test_an_edited_probe_param_is_named_as_the_probe_changing(recorded, capsys):
    probes = recorded.path / "fixtures/sentiment.yaml"
    text = probes.read_text()
    anchor = "  - id: teste-01\n"
    probes.write_text(text.replace(anchor, anchor + "    params: {function_to_apply: sigmoid}\n", 1))
    report = drift_run(recorded)
    assert {probe["probe"] for probe in document.failing(report)} == {EDITED}
    lines = explained(recorded, capsys)
    assert lines == {EDITED: "cause: probe changed: params.function_to_apply (re-record its baseline)"}


def test_a_changed_tokenizer_file_is_named(recorded, capsys):
    folder = recorded.path / "twin"
    tokenizer = json.loads((folder / "tokenizer.json").read_text())
    vocab = tokenizer["model"]["vocab"]
    vocab["."], vocab[","] = vocab[","], vocab["."]  # a retrained vocabulary: "." gets another id
    (folder / "tokenizer.json").write_text(json.dumps(tokenizer))
    report = drift_run(recorded)
    assert EDITED in {probe["probe"] for probe in document.failing(report)}
    lines = explained(recorded, capsys)
    assert lines[EDITED].startswith("cause: the model changed: tokenizer files changed (digest ")
    assert "weights" not in lines[EDITED]


def test_a_library_version_is_confirmed_or_ruled_out(recorded):
    """The verdict logic for a library: the isolated environment's re-run is stood in for here (pipeprobe
    explain builds it for real; see docs/guides/drift-and-explain.md for the by-hand demonstration)."""
    path = recorded.path / SNAPSHOTS / f"{EDITED}.json"
    record = json.loads(path.read_text())
    then = dict(record["output"])
    record["provenance"]["transformers"] = OTHER_VERSION
    record["output"]["score"] = then["score"] - 0.01 if then["score"] > 0.5 else then["score"] + 0.01
    path.write_text(json.dumps(record, indent=2))
    session = explain.Session.open(recorded.path, "map.toml")
    target = resolve_target("cpu", "float32")
    asked = []

    def old_library_gives_the_baseline(pins: dict[str, str]) -> dict:
        asked.append(pins)
        return record["output"]

    verdict = explain.explain_probe(session, "sentiment", EDITED, target, old_library_gives_the_baseline)
    assert asked == [{"transformers": OTHER_VERSION}]
    assert verdict.cause == "library"
    assert verdict.line == (f"cause: transformers {OTHER_VERSION} → {transformers.__version__}: with "
                            f"{OTHER_VERSION} the output equals the baseline within tier (cpu/float32)")
    assert f"transformers {OTHER_VERSION} → {transformers.__version__}" in verdict.differences

    verdict = explain.explain_probe(session, "sentiment", EDITED, target, lambda pins: then)
    assert verdict.cause is None
    assert f"transformers {transformers.__version__} → {OTHER_VERSION} ruled out" in verdict.line

    # what the pin brought along (its requirements, as pip resolved them) is named with it
    class BringsOldTokenizers:
        versions = {"transformers": OTHER_VERSION, "tokenizers": "0.0.1"}

        def __call__(self, pins: dict[str, str]) -> dict:
            return record["output"]

    verdict = explain.explain_probe(session, "sentiment", EDITED, target, BringsOldTokenizers())
    assert verdict.cause == "library"
    assert f"with {OTHER_VERSION} (and tokenizers 0.0.1, which it requires) the output equals" in verdict.line


def test_differences_in_words_and_the_probe_changed_status():
    digest, other = "3f2a" + "0" * 60, "9c41" + "1" * 60
    before = {"weights": digest, "probe": "a", "probe_parts": {"params.system": "x", "input": "y"}, "threads": 2}
    after = {"weights": other, "probe": "b", "probe_parts": {"params.system": "z", "input": "y"}, "threads": 2}
    found = provenance_differences(before, after)
    words = ["probe changed: params.system", "model weights changed (digest 3f2a… → 9c41…)"]
    assert describe_differences(found) == words
    assert statuses.separate_probe_change(statuses.DRIFTED, found) == statuses.PROBE_CHANGED
    assert statuses.separate_probe_change(statuses.DRIFTED, {"weights": found["weights"]}) == statuses.DRIFTED
    assert statuses.separate_probe_change(statuses.UNCHANGED, found) == statuses.UNCHANGED


def test_probe_parts_name_each_param():
    from pipeprobe.probes.catalogue import load_suite

    probe = load_suite(PROJECT / "fixtures/smollm2_intents.yaml")[0]
    assert {f"params.{key}" for key in probe.params} <= probe_parts(probe).keys()


def test_file_digests_are_cached_by_size_and_mtime(tmp_path):
    path = tmp_path / "model.safetensors"
    path.write_bytes(b"weights")
    first = fingerprints.file_digest(path)
    assert json.loads(fingerprints.cache_file().read_text())[str(path.resolve())][2] == first
    path.write_bytes(b"retrained")
    assert fingerprints.file_digest(path) != first
