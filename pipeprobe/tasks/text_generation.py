"""Text generation with a causal LM: greedy completions, seeded sampling, chat, left padding.

Uses the model and ``generate`` directly (same on transformers 4.57 and 5.x). What a probe
checks is chosen by its params:

- greedy (default): ``{"generated_text"}``, the prompt and its greedy continuation, as the
  pipeline returns it; a text baseline.
- ``do_sample: true`` or ``check: structure``: sampled text is not a baseline, so the result
  says only what must hold: ``{"sequences", "prompt_kept", "within_length", "reproducible"}``
  (two runs with the same ``seed`` on one device give the same texts). With ``check:
  structure`` and no ``do_sample``, the model's generation config decides, as in the pipeline.
- ``chat: true``: the input is a list of messages; ``{"prompt", "reply"}`` with the model's
  chat template and the greedy reply.
- ``check: left_padding``: the inputs are prompts of different lengths, run as one
  left-padded batch and one by one; ``{"last_token_top", "max_abs_diff"}``.
"""

from __future__ import annotations

from typing import Any

from pipeprobe.devices import Target
from pipeprobe.tasks.base import Example, TaskAdapter
from pipeprobe.tasks.common import ModelWithTokenizer as Generator
from pipeprobe.tasks.common import load_with_tokenizer

_GENERATE_KEYS = {"max_new_tokens", "max_length", "num_return_sequences", "do_sample", "temperature", "top_k", "top_p"}


def _generation_kwargs(generator: Generator, params: dict[str, Any]) -> dict[str, Any]:
    kwargs = {key: value for key, value in params.items() if key in _GENERATE_KEYS}
    if params.get("check") != "structure":
        kwargs.setdefault("do_sample", False)
    tokenizer = generator.tokenizer
    kwargs["pad_token_id"] = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    if kwargs.get("do_sample") is False:  # greedy: no sampling knobs left over from the generation config
        kwargs.update(temperature=None, top_k=None, top_p=None)
    return kwargs


def _encode(tokenizer: Any, text: str | list[str], device: Any, **options: Any) -> Any:
    """Tensors for a causal LM: no token_type_ids, which generate() refuses on transformers 4.57."""
    return tokenizer(text, return_tensors="pt", return_token_type_ids=False, **options).to(device)


def _generate(generator: Generator, prompt: str, params: dict[str, Any]) -> tuple[list[str], int, int]:
    """Full texts (prompt included, special tokens dropped), one per returned sequence,
    with the prompt's and the longest sequence's length in tokens."""
    import torch

    encoded = _encode(generator.tokenizer, prompt, generator.model.device)
    with torch.no_grad():
        sequences = generator.model.generate(**encoded, **_generation_kwargs(generator, params))
    texts = [generator.tokenizer.decode(sequence, skip_special_tokens=True) for sequence in sequences]
    return texts, int(encoded["input_ids"].shape[1]), int(sequences.shape[1])


def _sampled(generator: Generator, prompt: str, params: dict[str, Any]) -> dict[str, Any]:
    import torch

    seed = int(params.get("seed", 0))
    runs = []
    for _ in range(2):
        torch.manual_seed(seed)
        runs.append(_generate(generator, prompt, params))
    texts, prompt_tokens, longest = runs[0]
    if "max_new_tokens" in params:
        within = longest - prompt_tokens <= int(params["max_new_tokens"])
    else:
        within = longest <= int(params.get("max_length", 20))
    return {
        "sequences": len(texts),
        "prompt_kept": all(text.startswith(prompt) for text in texts),
        "within_length": within,
        "reproducible": runs[0][0] == runs[1][0],
    }


def _chat(generator: Generator, messages: list[dict[str, str]], params: dict[str, Any]) -> dict[str, Any]:
    import torch

    tokenizer = generator.tokenizer
    prompt = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    encoded = _encode(tokenizer, prompt, generator.model.device, add_special_tokens=False)
    with torch.no_grad():
        sequence = generator.model.generate(**encoded, **_generation_kwargs(generator, params))[0]
    reply = tokenizer.decode(sequence[encoded["input_ids"].shape[1]:], skip_special_tokens=True)
    return {"prompt": prompt, "reply": reply}


def _left_padding(generator: Generator, prompts: list[str], top: int) -> dict[str, Any]:
    """Last-token logits of a left-padded batch against each prompt run alone."""
    import torch

    tokenizer, model = generator.tokenizer, generator.model
    side, pad = tokenizer.padding_side, tokenizer.pad_token
    tokenizer.padding_side = "left"
    if pad is None:  # e.g. SmolLM2's GGUF tokenizer on transformers 4.57: pad with EOS, as generate does
        tokenizer.pad_token = tokenizer.eos_token
    try:
        batch = _encode(tokenizer, prompts, model.device, padding=True)
    finally:
        tokenizer.padding_side = side
        if pad is None:
            tokenizer.pad_token = None
    with torch.no_grad():
        batched = model(**batch).logits[:, -1, :].float()
        single = [model(**_encode(tokenizer, p, model.device)).logits[0, -1, :].float() for p in prompts]
    alone = torch.stack(single)
    values, indices = alone.topk(top, dim=-1)
    return {
        "last_token_top": [
            [{"token": int(index), "logit": float(value)} for value, index in zip(row_values, row_indices, strict=True)]
            for row_values, row_indices in zip(values, indices, strict=True)
        ],
        "padded": [int(count) for count in (batch["attention_mask"] == 0).sum(dim=1)],
        "max_abs_diff": float((batched - alone).abs().max()),
    }


class TextGeneration(TaskAdapter):
    """Text generation (causal language models, GGUF too)."""

    name = "text-generation"
    gguf = True  # load() honours models.yaml's gguf_file
    example = Example(
        input='The capital of France is',
        expect={'generated_text': {'contains': 'The capital of France is'}},
        params={'max_new_tokens': 5},
    )

    def load(self, location: str, revision: str | None, target: Target, local_only: bool,
             gguf_file: str | None) -> Generator:
        from transformers import AutoModelForCausalLM

        return load_with_tokenizer(AutoModelForCausalLM, location, revision, target, local_only, gguf_file)

    def run(self, loaded: Generator, inputs: list[Any], params: dict[str, Any],
            batch_size: int = 1) -> list[dict[str, Any]]:
        if params.get("check") == "left_padding":
            return [_left_padding(loaded, list(prompts), int(params.get("top", 3))) for prompts in inputs]
        if params.get("chat"):
            return [_chat(loaded, messages, params) for messages in inputs]
        if params.get("seeds") is not None:  # a stochastic probe's repeats: one seed per input
            from pipeprobe.tasks.sampling import seeded_samples

            return seeded_samples(loaded, list(inputs), params)
        if params.get("do_sample") or params.get("check") == "structure":
            return [_sampled(loaded, prompt, params) for prompt in inputs]
        return [{"generated_text": _generate(loaded, prompt, params)[0][0]} for prompt in inputs]
