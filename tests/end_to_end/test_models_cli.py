"""``pipeprobe models list`` and ``pipeprobe models fetch``: where models resolve, fetching, clear errors."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from pipeprobe import models
from pipeprobe.cli import main as cli
from pipeprobe.models import resolution
from tests import twins

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
SST2 = "distilbert/distilbert-base-uncased-finetuned-sst-2-english"


@pytest.fixture(autouse=True)
def isolated_hub(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """An empty HF cache and a hub that is not tried: nothing here depends on the network."""
    from huggingface_hub import constants

    cache = tmp_path / "hf-cache"
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(cache))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.delenv(models.MODEL_MAP_ENV, raising=False)
    return cache


def pipeprobe(capsys: pytest.CaptureFixture, *args: str) -> tuple[int, str, str]:
    code = cli.main(["models", *args, "--fixtures", str(FIXTURES)])
    out, err = capsys.readouterr()
    return code, out, err


def block(out: str, model_id: str) -> str:
    """The lines ``models list`` prints for one model."""
    return next(chunk for chunk in out.split("\n\n") if chunk.startswith(f"{model_id} @ "))


def fake_cached_snapshot(cache: Path, model_id: str, ref: str, commit: str, file: str = "config.json") -> Path:
    repo = cache / f"models--{model_id.replace('/', '--')}"
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / ref).write_text(commit)
    snapshot = repo / "snapshots" / commit
    snapshot.mkdir(parents=True)
    (snapshot / file).write_text("{}")
    return snapshot


def test_list_shows_every_pinned_model_with_its_use_and_where_it_resolves(capsys, tmp_path, isolated_hub):
    folder = tmp_path / "minilm"
    folder.mkdir()
    mapping = tmp_path / "map.toml"
    mapping.write_text(
        "[models]\n"
        f'"{twins.MINILM_ID}" = "minilm"\n'
        f'"{SST2}" = {{ path = "minilm", tokenizer_only = true }}\n'
    )
    snapshot = fake_cached_snapshot(isolated_hub, "google-bert/bert-base-uncased", "main", "a" * 40)

    code, out, _ = pipeprobe(capsys, "list", f"--model-map={mapping}")
    assert code == 0
    registry = models.load_registry(FIXTURES / "models.yaml")
    for spec in registry.values():
        assert f"{spec.id} @ {spec.revision}" in out
    minilm = block(out, twins.MINILM_ID)
    markers = next(line for line in minilm.splitlines() if line.startswith("  markers:  "))
    assert "tasks:    feature-extraction" in minilm and {"beyond_notes", "embeddings"} <= set(markers[12:].split(", "))
    assert f"resolves (feature-extraction): model map: {folder}" in minilm
    sst2 = block(out, SST2)
    assert "resolves (tokenizer): model map: " in sst2 and "(tokenizer only)" in sst2
    assert "text-classification): unavailable: the model map supplies only its tokenizer" in sst2
    assert "and text-classification needs the model" in sst2  # the words loading says too: one resolution
    assert f"resolves (tokenizer): HF cache: {snapshot}" in block(out, "google-bert/bert-base-uncased")
    gpt2 = block(out, "openai-community/gpt2")
    assert "unavailable: not in the model map; not in the local HF cache; hub not tried (HF_HUB_OFFLINE is set)" in gpt2
    assert out.rstrip().splitlines()[-1].startswith(f"{len(registry)} models; resolutions: ")


def test_list_names_a_hub_that_does_not_answer_without_waiting(capsys, monkeypatch):
    monkeypatch.delenv("HF_HUB_OFFLINE")
    monkeypatch.setattr(resolution, "hub_unreachable_reason", lambda: "https://huggingface.co unreachable (DNS)")
    code, out, _ = pipeprobe(capsys, "list")
    assert code == 0
    assert "model map: none" in out
    unavailable = ("no model map given; not in the local HF cache; "
                   "hub not tried: https://huggingface.co unreachable (DNS)")
    assert f"unavailable: {unavailable}" in block(out, "openai-community/gpt2")


def test_fetch_without_the_hub_says_so_in_one_line_and_fails_fast(capsys, monkeypatch):
    started = time.perf_counter()
    code, out, err = pipeprobe(capsys, "fetch")
    assert (code, out) == (1, "")
    assert err.count("\n") == 1 and "HF_HUB_OFFLINE is set" in err

    monkeypatch.delenv("HF_HUB_OFFLINE")
    monkeypatch.setattr(resolution.socket, "create_connection", _refuse)
    resolution.hub_unreachable_reason.cache_clear()
    try:
        code, out, err = pipeprobe(capsys, "fetch", "-m", "tokenizer")
    finally:
        resolution.hub_unreachable_reason.cache_clear()
    assert code == 1 and err.count("\n") == 1
    assert "cannot reach the Hugging Face Hub" in err and "nothing fetched" in err
    assert time.perf_counter() - started < 5


def _refuse(*_args, **_kwargs):
    raise OSError(-2, "Name or service not known")


def test_fetch_downloads_each_selected_model_at_its_pinned_revision(capsys, monkeypatch, tmp_path):
    import huggingface_hub

    calls = []

    def fake_download(repo_id, revision, **kwargs):
        calls.append((repo_id, revision, kwargs))
        if repo_id == "google-bert/bert-base-cased":
            raise OSError("no such revision")
        return str(tmp_path / "0123456789abcdef")

    monkeypatch.delenv("HF_HUB_OFFLINE")
    monkeypatch.setattr("pipeprobe.cli.models.hub_unreachable_reason", lambda: None)
    monkeypatch.setattr(huggingface_hub, "snapshot_download", fake_download)
    code, out, err = pipeprobe(capsys, "fetch", "-m", "tokenizer or (text_generation and lang_en)")
    fetched = {repo_id: (revision, kwargs) for repo_id, revision, kwargs in calls}
    assert set(fetched) == {
        SST2, "google-bert/bert-base-cased", "google-bert/bert-base-uncased", twins.SMOLLM2_ID,
        "openai-community/gpt2", "HuggingFaceTB/SmolLM2-360M",
    }
    assert fetched["openai-community/gpt2"][0] == "607a30d"
    assert fetched[twins.SMOLLM2_ID][1]["allow_patterns"][0] == "SmolLM2-135M-Instruct.Q4_1.gguf"
    assert "*.gguf" in fetched[SST2][1]["ignore_patterns"]
    assert "openai-community/gpt2@607a30d -> commit 0123456789abcdef" in out
    assert code == 1 and "google-bert/bert-base-cased@main failed: OSError: no such revision" in err
    assert "fetched 5 of 6 models" in out


@pytest.mark.parametrize(("args", "message"), [
    (["fetch", "-m", "tokenizer and"], "bad -m expression 'tokenizer and'"),
    (["fetch", "-m", "no_such_marker"], "no probe matches -m 'no_such_marker'"),
    (["list", "--model-map=/nonexistent/map.toml"], "cannot read it"),
])
def test_bad_input_is_one_clear_line_and_exit_2(capsys, args, message):
    code, out, err = pipeprobe(capsys, *args)
    assert code == 2 and out == ""
    assert err.startswith("pipeprobe models: ") and message in err and "Traceback" not in err


def test_a_folder_without_models_yaml_is_refused(capsys, tmp_path):
    assert cli.main(["models", "list", "--fixtures", str(tmp_path)]) == 2
    assert "has no models.yaml" in capsys.readouterr().err
