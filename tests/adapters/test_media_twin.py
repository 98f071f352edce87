"""Image classification and speech recognition ("9º" and "10º Transformer") end to end against tiny random
twins (ViT, Whisper) and synthetic media written where the notes' photo and recording would be."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeprobe.tasks import media
from tests import twins
from tests.conftest import run_inprocess

PROJECT = Path(__file__).resolve().parents[2]
VIT_SLUG = "google--vit-base-patch16-224@3f49326"
WHISPER_SLUG = "openai--whisper-small@main"
CAT_URL = "https://huggingface.co/datasets/huggingface/documentation-images/resolve/main/pipeline-cat-chonk.jpeg"
MLK_URL = "https://huggingface.co/datasets/Narsil/asr_dummy/resolve/main/mlk.flac"
SELECT = "image_classification or speech_recognition"


def test_present_media_are_recorded_and_matched_and_a_missing_one_skips_naming_file_and_url(project, tmp_path):
    mapping = twins.write_model_map(tmp_path / "map.toml", {
        twins.VIT_ID: twins.build_vit_twin(tmp_path / "vit"),
        twins.WHISPER_SMALL_ID: twins.build_whisper_twin(tmp_path / "whisper-small"),
        twins.WHISPER_LARGE_ID: twins.build_whisper_twin(tmp_path / "whisper-large", num_mel_bins=128),
    })
    twins.write_synthetic_jpeg(project.path / "fixtures/media/piscina-mergulhador.jpg")
    twins.write_synthetic_flac(project.path / "fixtures/media/mlk.flac")

    update = run_inprocess(project, "-m", SELECT, f"--model-map={mapping}", "--snapshot-update", "-rs")
    update.stdout.fnmatch_lines([f"*media file pipeline-cat-chonk.jpeg is not in *fixtures/media: download {CAT_URL}*"])
    outcomes = update.parseoutcomes()
    assert outcomes.get("skipped") == 2 and not {"error", "errors"} & set(outcomes), update.stdout.str()
    update.stdout.fnmatch_lines(["*loaded openai/whisper-large-v3@main on cpu/float32 (automatic-speech-recognition)*"])

    pool = json.loads((project.path / "snapshots/image_classification" / VIT_SLUG / "teste-01.json").read_text())
    assert "model map" in pool["provenance"]["source"]
    labels = twins.imagenet_labels().values()
    assert len(pool["output"]) == 5 and all(item["label"] in labels for item in pool["output"])
    scores = [item["score"] for item in pool["output"]]
    assert all(isinstance(score, float) for score in scores) and scores == sorted(scores, reverse=True)
    speech = json.loads((project.path / "snapshots/speech_recognition" / WHISPER_SLUG / "teste-01.json").read_text())
    assert "model map" in speech["provenance"]["source"] and speech["output"]["text"].strip()
    assert (project.path / "snapshots/speech_recognition/openai--whisper-large-v3@main/base.json").is_file()

    again = run_inprocess(project, "-m", SELECT, "-k", "baseline", f"--model-map={mapping}")
    outcomes = again.parseoutcomes()
    assert outcomes.get("passed") == 3 and outcomes.get("skipped") == 1 and "failed" not in outcomes, outcomes


def test_notes_baselines_hold_the_recorded_rankings_and_transcription():
    folder = PROJECT / "snapshots/image_classification" / VIT_SLUG
    base = json.loads((folder / "base.json").read_text())
    pool = json.loads((folder / "teste-01.json").read_text())
    assert base["output"][0] == {"label": "lynx, catamount", "score": 0.43349984288215637}
    assert [item["label"] for item in pool["output"]][-2:] == ["maillot, tank suit", "maillot"]
    assert base["input"]["url"] == CAT_URL and base["provenance"]["transformers"] == "4.55.2"
    speech = json.loads((PROJECT / "snapshots/speech_recognition" / WHISPER_SLUG / "teste-01.json").read_text())
    assert speech["output"]["text"].startswith(" I have a dream") and speech["input"]["url"] == MLK_URL


def test_media_path_names_the_missing_file_and_where_it_comes_from(tmp_path):
    with pytest.raises(media.MediaUnavailable, match="did not include it .a pool.; put such a file at"):
        media.media_path(media.located({"file": "pool.jpg", "description": "a pool"}, tmp_path))
    with pytest.raises(media.MediaUnavailable, match=f"download {MLK_URL} to"):
        media.media_path(media.located({"file": "mlk.flac", "url": MLK_URL}, tmp_path))
    (tmp_path / "pool.jpg").write_bytes(b"")
    assert media.media_path(media.located({"file": "pool.jpg"}, tmp_path)) == tmp_path / "pool.jpg"
