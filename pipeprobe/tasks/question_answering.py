"""Extractive question answering, as 4.x's ``pipeline("question-answering")`` did it.

transformers 5 removed that pipeline; this is its fast-tokenizer path, with the model class,
on 4.57 and 5.x alike: the question and the context are encoded together (context truncated
into overlapping spans of ``min(model_max_length, 384)`` tokens, stride ``min(that // 2, 128)``);
tokens outside the context are masked to -10000 before a softmax of the start and of the end
logits; a span's score is ``softmax(start) * softmax(end)``, over spans with ``start <= end``
and at most ``max_answer_len`` (15) tokens, [CLS] excluded; the best span is widened to whole
words and read from the context by character offsets. Equal answers found in two spans add
their scores, as the pipeline did.
"""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np

from pipeprobe.devices import Target
from pipeprobe.tasks.base import Example, TaskAdapter
from pipeprobe.tasks.common import ModelWithTokenizer as Loaded
from pipeprobe.tasks.common import load_with_tokenizer

DEFAULTS = {"top_k": 1, "max_answer_len": 15, "align_to_words": True, "handle_impossible_answer": False}


def answer(
    loaded: Loaded, question: str, context: str, *, top_k: int, max_answer_len: int, align_to_words: bool,
    handle_impossible_answer: bool,
) -> Any:
    """The pipeline's answer: ``{score, start, end, answer}``, or a list of them when ``top_k > 1``."""
    import torch

    tokenizer, model = loaded.tokenizer, loaded.model
    max_seq_len = min(tokenizer.model_max_length, 384)
    question_first = tokenizer.padding_side == "right"
    encoded = tokenizer(
        text=question if question_first else context,
        text_pair=context if question_first else question,
        truncation="only_second" if question_first else "only_first",
        max_length=max_seq_len,
        stride=min(max_seq_len // 2, 128),
        return_token_type_ids=True,
        return_overflowing_tokens=True,
        return_offsets_mapping=True,
    )
    accepted = inspect.signature(model.forward).parameters
    names = [name for name in tokenizer.model_input_names if name in accepted]
    min_null_score = 1000000.0
    answers: list[dict[str, Any]] = []
    for span in range(len(encoded["input_ids"])):
        p_mask = [int(sequence != 1) if question_first else 0 for sequence in encoded.sequence_ids(span)]
        for index, token in enumerate(encoded["input_ids"][span]):
            if token == tokenizer.cls_token_id:
                p_mask[index] = 0  # the pipeline kept [CLS] unmasked (the "no answer" position)
        inputs = {name: torch.tensor([encoded[name][span]], device=model.device) for name in names}
        with torch.no_grad():
            output = model(**inputs)
        start = output.start_logits.float().cpu().numpy()
        end = output.end_logits.float().cpu().numpy()
        attention = np.array([encoded["attention_mask"][span]]) if "attention_mask" in encoded else None
        starts, ends, scores, min_null_score = _select_spans(
            start, end, p_mask, attention, min_null_score, top_k * 2 + 10 if align_to_words else top_k,
            handle_impossible_answer, max_answer_len,
        )
        encoding = encoded.encodings[span]
        for first, last, score in zip(starts, ends, scores, strict=True):
            begin, finish = _char_span(encoding, int(first), int(last), 1 if question_first else 0, align_to_words)
            text = context[begin:finish]
            same = next((found for found in answers if found["answer"].lower() == text.lower()), None)
            if same:
                same["score"] += score.item()
            else:
                answers.append({"score": score.item(), "start": begin, "end": finish, "answer": text})
    if handle_impossible_answer:
        answers.append({"score": min_null_score, "start": 0, "end": 0, "answer": ""})
    answers = sorted(answers, key=lambda found: found["score"], reverse=True)[:top_k]
    answers = [{**found, "score": float(found["score"])} for found in answers]
    return answers[0] if len(answers) == 1 else answers


def _select_spans(
    start: np.ndarray, end: np.ndarray, p_mask: list[int], attention_mask: np.ndarray | None, min_null_score: float,
    top_k: int, handle_impossible_answer: bool, max_answer_len: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """Softmax over context tokens, then the best (start, end) pairs by start * end probability."""
    undesired = np.abs(np.array([p_mask]) - 1)  # [1, tokens], as the pipeline's batched p_mask
    if attention_mask is not None:
        undesired = undesired & attention_mask
    masked = undesired == 0.0
    start = np.where(masked, -10000.0, start)
    end = np.where(masked, -10000.0, end)
    start = np.exp(start - start.max(axis=-1, keepdims=True))
    start = start / start.sum()
    end = np.exp(end - end.max(axis=-1, keepdims=True))
    end = end / end.sum()
    if handle_impossible_answer:
        min_null_score = min(min_null_score, (start[0, 0] * end[0, 0]).item())
    start[0, 0] = end[0, 0] = 0.0
    outer = np.matmul(np.expand_dims(start, -1), np.expand_dims(end, 1))
    candidates = np.tril(np.triu(outer), max_answer_len - 1)
    flat = candidates.flatten()
    if top_k == 1:
        order = [np.argmax(flat)]
    elif len(flat) < top_k:
        order = np.argsort(-flat)
    else:
        best = np.argpartition(-flat, top_k)[0:top_k]
        order = best[np.argsort(-flat[best])]
    starts, ends = np.unravel_index(order, candidates.shape)[1:]
    wanted = np.isin(starts, undesired.nonzero()) & np.isin(ends, undesired.nonzero())
    starts, ends = starts[wanted], ends[wanted]
    return starts, ends, candidates[0, starts, ends], min_null_score


def _char_span(encoding: Any, first: int, last: int, sequence: int, align_to_words: bool) -> tuple[int, int]:
    """Character offsets of the tokens ``first..last`` in the context, widened to whole words."""
    if align_to_words:
        try:
            start_word, end_word = encoding.token_to_word(first), encoding.token_to_word(last)
            return (
                encoding.word_to_chars(start_word, sequence_index=sequence)[0],
                encoding.word_to_chars(end_word, sequence_index=sequence)[1],
            )
        except Exception:  # noqa: BLE001 - as the pipeline: fall back to token offsets
            pass
    return encoding.offsets[first][0], encoding.offsets[last][1]


def _check_answer_within(passage: str, output: dict[str, Any]) -> str | None:
    """Named check ``answer_within``: a non-empty answer taken from this passage."""
    got = output["answer"]
    if got.strip() and got in passage:
        return None
    return f"expected an answer from {passage!r}, got {got!r} (score {output['score']:.4f})"


class QuestionAnswering(TaskAdapter):
    """Extractive question answering: the expectation language on ``{answer, score, start, end}``
    (``answer``: the exact answer), plus the named check ``answer_within``."""

    name = "question-answering"
    checks = {"answer_within": _check_answer_within}
    example = Example(
        input={'question': 'Where do I work?', 'context': 'My name is Sylvain and I work at Hugging Face in Brooklyn.'},
        expect={'answer_within': 'My name is Sylvain and I work at Hugging Face in Brooklyn.'},
    )

    def load(self, location: str, revision: str | None, target: Target, local_only: bool,
             gguf_file: str | None) -> Loaded:
        from transformers import AutoModelForQuestionAnswering

        loaded = load_with_tokenizer(AutoModelForQuestionAnswering, location, revision, target, local_only)
        if not loaded.tokenizer.is_fast:
            raise ValueError(f"{location}: question answering needs a fast tokenizer (character offsets)")
        return loaded

    def run(self, loaded: Loaded, inputs: list[dict[str, str]], params: dict[str, Any],
            batch_size: int = 1) -> list[Any]:
        options = {**DEFAULTS, **params}
        return [answer(loaded, item["question"], item["context"], **options) for item in inputs]
