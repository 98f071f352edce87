"""What transformers 4.x's summarization and translation pipelines did, with the model classes.

transformers 5 removed both pipelines; this one code path (tokenizer, ``generate``, decode)
runs on 4.57 and 5.x and reproduces the 4.57 pipelines (the notes ran 4.55.2):

- generation settings: the pipeline's defaults (``max_new_tokens=256``, ``num_beams=4``), then
  every setting the model's generation config changes from the library default where the
  pipeline kept that default, ``max_new_tokens`` dropped when the model sets ``max_length``,
  then the model config's ``task_specific_params`` for the task, and the tokenizer's pad token;
- input: the model's ``prefix`` (if any) + text, not truncated, not padded;
- output: ``decode(skip_special_tokens=True, clean_up_tokenization_spaces=False)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pipeprobe.devices import Target
from pipeprobe.tasks.common import load_model, pretrained_kwargs

PIPELINE_DEFAULTS = {"max_new_tokens": 256, "num_beams": 4}


@dataclass(frozen=True)
class Seq2Seq:
    """A sequence-to-sequence model with its tokenizer, and the pipeline's generation settings."""

    tokenizer: Any
    model: Any
    generation_config: Any
    prefix: str


def load(location: str, revision: str | None, target: Target, local_only: bool, task: str) -> Seq2Seq:
    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(location, **pretrained_kwargs(revision, local_only))
    model = load_model(AutoModelForSeq2SeqLM, location, revision, target, local_only)
    task = pipeline_task(model.config, task)
    return Seq2Seq(tokenizer, model, pipeline_generation_config(model, tokenizer, task), _prefix(model.config, task))


def pipeline_task(config: Any, task: str) -> str:
    """4.x's ``pipeline("translation")`` took the config's first ``translation_xx_to_yy`` key."""
    params = getattr(config, "task_specific_params", None) or {}
    if task == "translation":
        return next((key for key in params if key.startswith("translation")), task)
    return task


def pipeline_generation_config(model: Any, tokenizer: Any, task: str) -> Any:
    """The generation settings the 4.57 pipeline for ``task`` would use with this model."""
    from transformers import GenerationConfig

    config = GenerationConfig(**PIPELINE_DEFAULTS)
    library = GenerationConfig()
    for key, value in model.generation_config.to_dict().items():
        if key.startswith("_") or key == "transformers_version":
            continue
        default = getattr(library, key, None)
        if getattr(config, key, None) == default and value != default:
            setattr(config, key, value)
    if config.max_new_tokens == PIPELINE_DEFAULTS["max_new_tokens"] and config.max_length not in (None, 20):
        config.max_new_tokens = None
    task_params = dict((getattr(model.config, "task_specific_params", None) or {}).get(task) or {})
    task_params.pop("prefix", None)
    config.update(**task_params)
    if tokenizer.pad_token_id is not None and config.pad_token_id is None:
        config.pad_token_id = tokenizer.pad_token_id
    return config


def _prefix(config: Any, task: str) -> str:
    task_params = (getattr(config, "task_specific_params", None) or {}).get(task) or {}
    return task_params.get("prefix") or getattr(config, "prefix", None) or ""


def generate(loaded: Seq2Seq, texts: list[str], params: dict[str, Any]) -> list[str]:
    """One generation per text, as the pipeline ran them (one at a time, unpadded)."""
    import torch

    results = []
    for text in texts:
        inputs = loaded.tokenizer(loaded.prefix + text, return_tensors="pt").to(loaded.model.device)
        with torch.no_grad():
            output_ids = loaded.model.generate(**inputs, generation_config=loaded.generation_config, **params)
        results.append(
            loaded.tokenizer.decode(output_ids[0], skip_special_tokens=True, clean_up_tokenization_spaces=False)
        )
    return results
