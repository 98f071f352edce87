"""Task adapters: the only modules that know transformers' API.

Each adapter module offers ``load(location, revision, target, local_only, gguf_file)``,
``run(loaded, inputs, params) -> list[plain result]`` and
``judge(expect, output) -> list[str]`` (what a person expected but did not get).
"""

from __future__ import annotations

from types import ModuleType

from pipeprobe.tasks import embeddings as _embeddings
from pipeprobe.tasks import fill_mask as _fill_mask
from pipeprobe.tasks import image_classification as _image_classification
from pipeprobe.tasks import model_outputs as _model_outputs
from pipeprobe.tasks import question_answering as _question_answering
from pipeprobe.tasks import speech_recognition as _speech_recognition
from pipeprobe.tasks import summarization as _summarization
from pipeprobe.tasks import text_classification
from pipeprobe.tasks import text_generation as _text_generation
from pipeprobe.tasks import token_classification as _token_classification
from pipeprobe.tasks import tokenizer as _tokenizer
from pipeprobe.tasks import translation as _translation
from pipeprobe.tasks import zero_shot as _zero_shot

ADAPTERS: dict[str, ModuleType] = {
    "text-classification": text_classification,
    "text-generation": _text_generation,
    "feature-extraction": _embeddings,
    "tokenizer": _tokenizer,
    "zero-shot-classification": _zero_shot,
    "fill-mask": _fill_mask,
    "token-classification": _token_classification,
    "model-outputs": _model_outputs,
    "question-answering": _question_answering,
    "summarization": _summarization,
    "translation": _translation,
    "image-classification": _image_classification,
    "automatic-speech-recognition": _speech_recognition,
}


def adapter_for(task: str) -> ModuleType:
    try:
        return ADAPTERS[task]
    except KeyError:
        raise KeyError(f"no task adapter for {task!r}; known: {', '.join(sorted(ADAPTERS))}") from None
