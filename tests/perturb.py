"""Targeted perturbations of a twin, so a test knows which probes must move and which must not."""

from __future__ import annotations

from pathlib import Path

import torch


def build_sensitive_sst2_twin(folder: Path, seed: int = 0, initializer_range: float = 0.2) -> Path:
    """Like ``twins.build_sst2_twin``, with weights large enough that the output depends on the input.

    The default twin (initializer range 0.02) gives every sentence nearly the same score, so a
    perturbation of one word moves its probes by less than the cpu/float32 tolerance.
    """
    from transformers import DistilBertConfig, DistilBertForSequenceClassification, DistilBertTokenizerFast

    from tests.twins import minilm_folder

    torch.manual_seed(seed)
    config = DistilBertConfig(
        vocab_size=30522, dim=32, n_layers=2, n_heads=2, hidden_dim=64, initializer_range=initializer_range,
        id2label={0: "NEGATIVE", 1: "POSITIVE"}, label2id={"NEGATIVE": 0, "POSITIVE": 1},
    )
    DistilBertForSequenceClassification(config).eval().save_pretrained(folder, safe_serialization=True)
    DistilBertTokenizerFast.from_pretrained(minilm_folder()).save_pretrained(folder)
    return folder


def perturb_word(source: Path, folder: Path, word: str, delta: float) -> Path:
    """A copy of a twin whose input embedding of ``word`` (one token) is shifted by ``delta``.

    Only inputs that contain the token change; every other output stays bit for bit the same.
    """
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(source)
    ids = tokenizer.convert_tokens_to_ids(tokenizer.tokenize(word))
    if len(ids) != 1 or ids[0] == tokenizer.unk_token_id:
        raise ValueError(f"{word!r} is not a single token of {source}")
    model = AutoModelForSequenceClassification.from_pretrained(source)
    with torch.no_grad():
        weight = model.get_input_embeddings().weight
        # Not a constant shift: the embedding LayerNorm would take that out again.
        weight[ids[0]] += delta * torch.linspace(-1.0, 1.0, weight.shape[1])
    model.save_pretrained(folder, safe_serialization=True)
    tokenizer.save_pretrained(folder)
    return folder


def inputs_with_word(source: Path, texts: dict[str, str], word: str) -> set[str]:
    """The keys of ``texts`` whose tokenization contains ``word``'s token."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(source)
    token = tokenizer.tokenize(word)[0]
    return {key for key, text in texts.items() if token in tokenizer.tokenize(text)}


SENTIMENT_PARTS = ("suites/test_sentiment.py", "fixtures/sentiment.yaml", "fixtures/models.yaml", "pyproject.toml")


def copy_sentiment_project(project: Path, source: Path) -> Path:
    """The sentiment suite alone (module, probe file, models, baselines, config) copied into ``project``."""
    import shutil

    for part in SENTIMENT_PARTS:
        (project / part).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source / part, project / part)
    shutil.copytree(source / "snapshots" / "sentiment", project / "snapshots" / "sentiment")
    return project
