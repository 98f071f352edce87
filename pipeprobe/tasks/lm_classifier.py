"""A causal LM (SmolLM2-135M-Instruct) as a zero-shot classifier: label scores from log-probabilities.

For each input the adapter builds a prompt (``params.template`` with ``{text}`` and
``{options}``, wrapped in the model's chat template unless ``chat: false``, then
``params.prefix``), and scores every label by the log-probability the model gives its answer
text (``params.answers[label]``, default the label) right after the prompt: the sum over the
answer's tokens, or their mean with ``normalize: mean``. One forward pass per distinct token
sequence, no sampling: greedy and deterministic on CPU.

``params.calibrate``: content-free texts (such as ``"N/A"``) run through the same prompt; their
mean log-probability per label is subtracted first (contextual calibration, Zhao et al. 2021,
"Calibrate Before Use"), which takes out a small model's prior for one answer word.

Input: a text, or ``{text, labels}`` (labels per probe, else ``params.labels``).
Result: ``{"label", "scores": {label: probability}, "logprobs": {label: raw log-probability}}``
(probabilities: a softmax over the labels of the calibrated log-probabilities).
"""

from __future__ import annotations

from typing import Any

from pipeprobe.devices import Target
from pipeprobe.tasks.base import Example, TaskAdapter
from pipeprobe.tasks.common import ModelWithTokenizer as Classifier
from pipeprobe.tasks.common import load_with_tokenizer

DEFAULT_TEMPLATE = "Classify the text as {options}. Answer with one word.\nText: {text}"


def _item(value: Any, params: dict[str, Any]) -> tuple[str, tuple[str, ...]]:
    if isinstance(value, dict):
        text, labels = value.get("text"), value.get("labels", params.get("labels"))
    else:
        text, labels = value, params.get("labels")
    if not isinstance(text, str) or not labels or not all(isinstance(label, str) for label in labels):
        raise ValueError("lm-classification needs a text and labels (input {text, labels} or params.labels)")
    return text, tuple(labels)


def _prompt(tokenizer: Any, text: str, labels: tuple[str, ...], params: dict[str, Any]) -> str:
    options = ", ".join(labels[:-1]) + f" or {labels[-1]}" if len(labels) > 1 else labels[0]
    user = str(params.get("template", DEFAULT_TEMPLATE)).format(text=text, options=options)
    if params.get("chat", True):
        messages = [{"role": "user", "content": user}]
        if params.get("system"):
            messages.insert(0, {"role": "system", "content": str(params["system"])})
        prompt = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    else:
        prompt = user
    return prompt + str(params.get("prefix", ""))


def _score(
    classifier: Classifier, requests: list[tuple[str, tuple[str, ...], str]], params: dict[str, Any]
) -> dict[tuple[str, tuple[str, ...], str], float]:
    """Each (text, labels, label)'s log-probability of the label's answer after the prompt."""
    import torch

    tokenizer, model = classifier.tokenizer, classifier.model
    answers = params.get("answers") or {}
    mean = params.get("normalize", "sum") == "mean"
    sequences: dict[tuple[int, ...], int] = {}
    wanted: list[tuple[int, int, list[int]]] = []  # (sequence index, first answer position, answer ids)
    prompts: dict[tuple[str, tuple[str, ...]], list[int]] = {}
    for text, labels, label in requests:
        key = (text, labels)
        if key not in prompts:
            prompts[key] = tokenizer(_prompt(tokenizer, text, labels, params), add_special_tokens=False)["input_ids"]
        prompt_ids = prompts[key]
        answer_ids = tokenizer(str(answers.get(label, label)), add_special_tokens=False)["input_ids"]
        sequence = tuple(prompt_ids + answer_ids[:-1])
        index = sequences.setdefault(sequence, len(sequences))
        wanted.append((index, len(prompt_ids), answer_ids))
    ordered = list(sequences)
    needed: dict[int, set[int]] = {index: set() for index in range(len(ordered))}
    for index, first, answer_ids in wanted:
        needed[index].update(range(first - 1, first - 1 + len(answer_ids)))
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    size = int(params.get("batch_size", 16))
    rows: dict[tuple[int, int], Any] = {}
    for start in range(0, len(ordered), size):
        chunk = ordered[start:start + size]
        longest = max(len(sequence) for sequence in chunk)
        ids = torch.full((len(chunk), longest), pad, dtype=torch.long)
        mask = torch.zeros((len(chunk), longest), dtype=torch.long)
        for row, sequence in enumerate(chunk):  # left padding: every sequence ends at the last column
            ids[row, longest - len(sequence):] = torch.tensor(sequence)
            mask[row, longest - len(sequence):] = 1
        positions = (mask.cumsum(dim=-1) - 1).clamp(min=0)  # each sequence's own positions 0..n-1
        keep = max(len(sequence) - min(needed[start + row]) for row, sequence in enumerate(chunk))
        with torch.no_grad():  # logits only for the last `keep` columns: the LM head is a fifth of the model
            logits = model(
                input_ids=ids.to(model.device), attention_mask=mask.to(model.device),
                position_ids=positions.to(model.device), logits_to_keep=keep,
            ).logits.float()
        for row, sequence in enumerate(chunk):  # keep only the positions that predict an answer token
            for position in needed[start + row]:
                column = keep - (len(sequence) - position)
                rows[(start + row, position)] = logits[row, column].log_softmax(dim=-1).cpu()
    found = {}
    for (text, labels, label), (index, first, answer_ids) in zip(requests, wanted, strict=True):
        total = sum(float(rows[(index, first - 1 + offset)][token]) for offset, token in enumerate(answer_ids))
        found[(text, labels, label)] = total / len(answer_ids) if mean else total
    return found


def _softmax(values: dict[str, float]) -> dict[str, float]:
    import math

    top = max(values.values())
    exps = {label: math.exp(value - top) for label, value in values.items()}
    total = sum(exps.values())
    return {label: exp / total for label, exp in exps.items()}


class LmClassification(TaskAdapter):
    """A causal LM as a zero-shot classifier (label log-probabilities)."""

    name = "lm-classification"
    batches = False  # run() groups its own forward passes (params.batch_size, default 16)
    gguf = True  # load() honours models.yaml's gguf_file
    # the same model and tokenizer: one load serves both tasks (pipeprobe.execution.runner)
    loads_like = "text-generation"
    example = Example(
        input='I love this product!',
        expect={'label': {'one_of': ['positive', 'negative']}},
        params={'labels': ['positive', 'negative'],
                'template': 'Classify the sentiment of the text as positive or negative. '
                            'Answer with one word.\nText: {text}'},
    )

    def load(self, location: str, revision: str | None, target: Target, local_only: bool,
             gguf_file: str | None) -> Classifier:
        from transformers import AutoModelForCausalLM

        return load_with_tokenizer(AutoModelForCausalLM, location, revision, target, local_only, gguf_file)

    def run(self, loaded: Classifier, inputs: list[Any], params: dict[str, Any],
            batch_size: int = 1) -> list[dict[str, Any]]:
        items = [_item(value, params) for value in inputs]
        calibrate = [str(text) for text in params.get("calibrate") or []]
        label_sets = list(dict.fromkeys(labels for _, labels in items))
        content_free = [(text, labels) for labels in label_sets for text in calibrate]
        requests = [(text, labels, label) for text, labels in [*items, *content_free] for label in labels]
        logprobs = _score(loaded, requests, params)
        prior: dict[tuple[tuple[str, ...], str], float] = {}
        for labels in label_sets:
            for label in labels:
                values = [logprobs[(text, labels, label)] for text in calibrate]
                prior[(labels, label)] = sum(values) / len(values) if values else 0.0
        results = []
        for text, labels in items:
            raw = {label: logprobs[(text, labels, label)] for label in labels}
            scores = _softmax({label: raw[label] - prior[(labels, label)] for label in labels})
            results.append({"label": max(labels, key=lambda label: scores[label]), "scores": scores, "logprobs": raw})
        return results
