"""Speech recognition: the ``automatic-speech-recognition`` pipeline (in transformers 4.57 and 5.x).

The audio is a local copy of what the notes transcribed (``media.media_path``), decoded with
soundfile to float32 mono and handed to the pipeline as ``{"raw", "sampling_rate"}``: the notes'
URL input went through ffmpeg instead, which gives the same samples for a lossless file at the
model's sampling rate (the pipeline resamples any other rate, which needs torchaudio).
"""

from __future__ import annotations

from typing import Any

from pipeprobe.devices import Target
from pipeprobe.tasks.common import load_model, pretrained_kwargs
from pipeprobe.tasks.media import media_path


def load(location: str, revision: str | None, target: Target, local_only: bool, gguf_file: str | None) -> Any:
    from transformers import AutoFeatureExtractor, AutoModelForSpeechSeq2Seq, AutoTokenizer, pipeline

    kwargs = pretrained_kwargs(revision, local_only)
    model = load_model(AutoModelForSpeechSeq2Seq, location, revision, target, local_only)
    return pipeline(
        "automatic-speech-recognition", model=model, tokenizer=AutoTokenizer.from_pretrained(location, **kwargs),
        feature_extractor=AutoFeatureExtractor.from_pretrained(location, **kwargs), device=model.device,
    )


def read_audio(spec: dict[str, Any]) -> dict[str, Any]:
    """The media file as ``{"raw": float32 mono samples, "sampling_rate": rate}``."""
    import soundfile

    samples, rate = soundfile.read(str(media_path(spec)), dtype="float32", always_2d=True)
    return {"raw": samples.mean(axis=1), "sampling_rate": int(rate)}


def run(transcriber: Any, inputs: list[dict[str, Any]], params: dict[str, Any]) -> list[dict[str, str]]:
    return [{"text": transcriber(read_audio(spec), **params)["text"]} for spec in inputs]


def judge(expect: dict[str, Any], output: dict[str, str]) -> list[str]:
    """``text``: the words a person hears (surrounding spaces aside)."""
    got = output["text"].strip()
    return [] if got == expect["text"].strip() else [f"expected {expect['text'].strip()!r}, got {got!r}"]
