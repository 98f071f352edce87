"""Speech recognition: the ``automatic-speech-recognition`` pipeline (in transformers 4.57 and 5.x).

The audio is a local copy of what the notes transcribed (``media.media_path``), decoded with
soundfile to float32 mono and resampled with librosa to the model's sampling rate
(``media.read_audio``), then handed to the pipeline as ``{"raw", "sampling_rate"}``: the notes'
URL input went through ffmpeg instead, which gives the same samples for a lossless file at the
model's rate; a recording at any other rate works without torchaudio.
"""

from __future__ import annotations

from typing import Any

from pipeprobe.devices import Target
from pipeprobe.tasks.base import Example, TaskAdapter
from pipeprobe.tasks.common import load_model, pretrained_kwargs
from pipeprobe.tasks.judging import judge_fields
from pipeprobe.tasks.media import read_audio

batches = False  # run() takes no batch_size: one call per input (pipeprobe.tasks.TaskAdapter)


def load(location: str, revision: str | None, target: Target, local_only: bool, gguf_file: str | None) -> Any:
    from transformers import AutoFeatureExtractor, AutoModelForSpeechSeq2Seq, AutoTokenizer, pipeline

    kwargs = pretrained_kwargs(revision, local_only)
    model = load_model(AutoModelForSpeechSeq2Seq, location, revision, target, local_only)
    return pipeline(
        "automatic-speech-recognition", model=model, tokenizer=AutoTokenizer.from_pretrained(location, **kwargs),
        feature_extractor=AutoFeatureExtractor.from_pretrained(location, **kwargs), device=model.device,
    )


def run(transcriber: Any, inputs: list[dict[str, Any]], params: dict[str, Any]) -> list[dict[str, str]]:
    rate = getattr(transcriber.feature_extractor, "sampling_rate", None)
    return [{"text": transcriber(read_audio(spec, rate), **params)["text"]} for spec in inputs]


def _check_words(words: str, output: dict[str, str]) -> str | None:
    """Named check ``words``: the words a person hears, surrounding spaces aside (Whisper adds one)."""
    got = output["text"].strip()
    return None if got == words.strip() else f"words: expected {words.strip()!r}, got {got!r}"


checks = {"words": _check_words}


def judge(expect: dict[str, Any], output: dict[str, str]) -> list[str]:
    """The expectation language on ``{text}``, plus ``words``."""
    return judge_fields(expect, output, checks)


class SpeechRecognition(TaskAdapter):
    """Automatic speech recognition."""

    name = "automatic-speech-recognition"
    media = True
    description = 'automatic speech recognition'
    batches = batches
    checks = checks
    example = Example(
        input={'file': 'example.flac'},
        expect={'text': {'matches': '\\w'}},
    )

    def load(self, location: str, revision: str | None, target: Target, local_only: bool,
             gguf_file: str | None) -> Any:
        return load(location, revision, target, local_only, gguf_file)

    def run(self, loaded: Any, inputs: list[Any], params: dict[str, Any], batch_size: int = 1) -> list[Any]:
        return run(loaded, inputs, params)

    def judge(self, expect: dict[str, Any], output: Any) -> list[str]:
        return judge(expect, output)
