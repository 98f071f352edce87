"""Seeded sampling for stochastic probes: every repeat has its own seed, all repeats in one batch.

``generate()`` draws from one global random stream, so N repeats with N seeds would take N
calls. Here each row of a left-padded batch samples from its own ``torch.Generator`` (seeded
with its repeat's seed) through a KV-cached decoding loop: the same distribution as
``generate(do_sample=True)`` (temperature, then top-k, default 50 as in transformers'
generation config, then top-p), and a row's text depends only on its own seed.
"""

from __future__ import annotations

import inspect
from typing import Any


def seeded_samples(generator: Any, prompts: list[str], params: dict[str, Any]) -> list[dict[str, Any]]:
    """``{"generated_text", "new_tokens"}`` per prompt, prompt ``i`` sampled with ``params["seeds"][i]``."""
    import torch

    tokenizer, model = generator.tokenizer, generator.model
    seeds = [int(seed) for seed in params["seeds"]]
    if len(seeds) != len(prompts):
        raise ValueError(f"{len(prompts)} prompts but {len(seeds)} seeds")
    config = getattr(model, "generation_config", None)
    temperature = float(params.get("temperature", 1.0))
    top_k = int(params.get("top_k", getattr(config, "top_k", None) or 50))
    top_p = float(params.get("top_p", getattr(config, "top_p", None) or 1.0))
    steps = int(params.get("max_new_tokens", 20))
    eos = tokenizer.eos_token_id
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else eos

    encoded = [tokenizer(prompt, return_token_type_ids=False)["input_ids"] for prompt in prompts]
    longest = max(len(ids) for ids in encoded)
    ids = torch.full((len(prompts), longest), pad, dtype=torch.long)
    mask = torch.zeros((len(prompts), longest), dtype=torch.long)
    for row, sequence in enumerate(encoded):
        ids[row, longest - len(sequence):] = torch.tensor(sequence)
        mask[row, longest - len(sequence):] = 1
    streams = [torch.Generator().manual_seed(seed) for seed in seeds]
    positions = (mask.cumsum(dim=-1) - 1).clamp(min=0)
    new: list[list[int]] = [[] for _ in prompts]
    done = [False] * len(prompts)
    past, step_ids = None, ids
    device = model.device
    # transformers 5.x names the KV cache argument `cache` (`past_key_values` is deprecated); 4.57 knows only the latter
    cache_name = "cache" if "cache" in inspect.signature(model.forward).parameters else "past_key_values"
    with torch.no_grad():
        for _ in range(steps):
            out = model(
                input_ids=step_ids.to(device), attention_mask=mask.to(device), position_ids=positions.to(device),
                use_cache=True, **({cache_name: past} if past is not None else {}),
            )
            past = getattr(out, "cache", None) or out.past_key_values
            probs = _filtered(out.logits[:, -1, :].float().cpu() / temperature, top_k, top_p).softmax(dim=-1)
            chosen = []
            for row, stream in enumerate(streams):
                token = pad if done[row] else int(torch.multinomial(probs[row], 1, generator=stream))
                if not done[row]:
                    new[row].append(token)
                    done[row] = token == eos
                chosen.append(token)
            if all(done):
                break
            step_ids = torch.tensor(chosen).unsqueeze(-1)
            mask = torch.cat([mask, torch.ones((len(prompts), 1), dtype=torch.long)], dim=-1)
            positions = positions[:, -1:] + 1
    return [
        {"generated_text": tokenizer.decode(sequence + tokens, skip_special_tokens=True), "new_tokens": len(tokens)}
        for sequence, tokens in zip(encoded, new, strict=True)
    ]


def _filtered(logits: Any, top_k: int, top_p: float) -> Any:
    """Top-k, then top-p (nucleus), as transformers' logits warpers do: the rest set to -inf."""
    if 0 < top_k < logits.shape[-1]:
        kth = logits.topk(top_k, dim=-1).values[..., -1:]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    if top_p < 1.0:
        ordered, order = logits.sort(dim=-1, descending=True)
        cumulative = ordered.softmax(dim=-1).cumsum(dim=-1)
        drop = cumulative - ordered.softmax(dim=-1) > top_p  # keep at least the most likely token
        logits = logits.masked_fill(drop.scatter(-1, order, drop), float("-inf"))
    return logits
