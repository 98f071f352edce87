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
from pipeprobe.tasks.media import read_audio


def _check_words(words: str, output: dict[str, str]) -> str | None:
    """Named check ``words``: the words a person hears, surrounding spaces aside (Whisper adds one)."""
    got = output["text"].strip()
    return None if got == words.strip() else f"words: expected {words.strip()!r}, got {got!r}"


class SpeechRecognition(TaskAdapter):
    """Automatic speech recognition: the expectation language on ``{text}``, plus the named check ``words``."""

    name = "automatic-speech-recognition"
    media = True
    checks = {"words": _check_words}
    example = Example(
        input={'file': 'example.flac'},
        expect={'text': {'matches': '\\w'}},
    )

    def load(self, location: str, revision: str | None, target: Target, local_only: bool,
             gguf_file: str | None) -> Any:
        from transformers import AutoFeatureExtractor, AutoModelForSpeechSeq2Seq, AutoTokenizer, pipeline

        kwargs = pretrained_kwargs(revision, local_only)
        model = load_model(AutoModelForSpeechSeq2Seq, location, revision, target, local_only)
        return pipeline(
            "automatic-speech-recognition", model=model, tokenizer=AutoTokenizer.from_pretrained(location, **kwargs),
            feature_extractor=AutoFeatureExtractor.from_pretrained(location, **kwargs), device=model.device,
        )

    def run(self, loaded: Any, inputs: list[dict[str, Any]], params: dict[str, Any],
            batch_size: int = 1) -> list[dict[str, str]]:
        rate = getattr(loaded.feature_extractor, "sampling_rate", None)
        return [{"text": loaded(read_audio(spec, rate), **params)["text"]} for spec in inputs]
