"""Tests of many cases (CheckList's MFT / INV / DIR): the ``tests:`` of a probe file, read into cases.

A test is one capability checked on many cases. Its cases come from any of:

- ``cases:``: an inline list; each a text, or ``{text, label?, variants?: [text, ...]}``;
- ``template:`` (a text or a list of texts) with ``{placeholders}`` filled from lexicons: the file's own
  (``lexicons: {name: [...]}``) or the built-in ones (``pipeprobe.behaviour.lexicons``, by the test's
  ``lang``); ``{first_name1}`` is a second draw of ``first_name``; ``{a:pos_adj}`` puts "a" / "an"
  before it. Every combination, or ``nsamples: N`` of them, drawn with a seed (the test name's, or ``seed:``);
- ``data: {file, text, label?, variants?}``: a JSONL, CSV or Parquet file (beside the probe file or
  below it) and which columns hold the text, the label and the variants (a list, or ``|``-separated).

A case's variants are its explicit ones plus those ``perturb:`` makes (``pipeprobe.behaviour.perturb``).
An INV or DIR case without a variant (a perturbation that finds nothing to change) is "not
applicable": counted and reported, never an error.
"""

from __future__ import annotations

import csv
import math
import random
import re
import string
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeprobe import strict_json
from pipeprobe.behaviour.perturb import KINDS, PerturbError, perturb, seed_for

TYPES = ("MFT", "INV", "DIR")
DIRECTIONS = ("up", "down", "not_down", "not_up")
MAX_CASES = 100_000
_PLACEHOLDER_NAME = re.compile(r"^([A-Za-z_]+?)(\d*)$")


class CaseTestError(ValueError):
    """A test declaration that can't be used; one line."""


@dataclass(frozen=True)
class Case:
    """One case: the original text, its label (a set of accepted labels, or None) and its variants."""

    text: str
    label: frozenset[str] | None = None
    variants: tuple[tuple[str, str], ...] = ()  # (name, text)


@dataclass(frozen=True)
class CaseTest:
    """A parsed test: what it checks (type and knobs), on which cases, with which gates."""

    name: str
    capability: str
    type: str
    cases: tuple[Case, ...]
    not_applicable: tuple[str, ...] = ()  # originals no perturbation could change (INV / DIR)
    threshold: float = 0.1  # INV
    direction: str = "not_down"  # DIR
    of: str | None = None  # DIR: whose confidence (default: the original's prediction)
    tolerance: float = 0.1  # DIR
    neutral_band: tuple[float, float] | None = None
    positive: str | None = None  # with neutral_band: the model's positive label
    max_fail_rate: float = 0.0
    min_accuracy: float | None = None
    min_macro_f1: float | None = None
    description: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def inputs(self) -> int:
        """How many texts the model runs (originals, plus variants for INV / DIR)."""
        return sum(1 + (len(case.variants) if self.type != "MFT" else 0) for case in self.cases)


def parse(entry: dict[str, Any], lang: str, folder: Path) -> CaseTest:
    """A test from its probe-file entry (already schema-checked); CaseTestError on a fault."""
    name = entry["name"]
    kind = entry["type"]
    default_label = _label(entry.get("label"), "label")
    raw = _raw_cases(entry, lang, folder, default_label)
    if not raw:
        raise CaseTestError("the test has no cases (give cases, template or data)")
    if len(raw) > MAX_CASES:
        raise CaseTestError(f"{len(raw):,} cases is more than {MAX_CASES:,}; use nsamples")
    kinds = _kinds(entry.get("perturb"))
    cases: list[Case] = []
    not_applicable: list[str] = []
    for index, case in enumerate(raw):
        made: list[tuple[str, str]] = []
        for perturbation, count in kinds:
            try:
                made += [(v.name, v.text) for v in perturb(case.text, perturbation, count, seed_for(name, index), lang)]
            except PerturbError:
                continue  # not applicable to this case
        variants = (*case.variants, *made)
        if kind == "MFT" and case.label is None:
            raise CaseTestError(f"MFT case {case.text!r} has no label (give label: for the test or the case)")
        if kind != "MFT" and not variants:
            not_applicable.append(case.text)
            continue
        cases.append(Case(case.text, case.label, tuple(variants)))
    if kind != "MFT" and not kinds and not any(case.variants for case in raw):
        raise CaseTestError(f"a {kind} test needs variants: perturb, or variants on its cases")
    neutral = entry.get("neutral_band")
    if neutral is not None and not (len(neutral) == 2 and 0 <= neutral[0] < neutral[1] <= 1):
        raise CaseTestError(f"neutral_band must be [low, high] with 0 <= low < high <= 1, not {neutral!r}")
    metrics = entry.get("metrics") or {}
    return CaseTest(
        name=name, capability=entry["capability"], type=kind, cases=tuple(cases),
        not_applicable=tuple(not_applicable), threshold=float(entry.get("threshold", 0.1)),
        direction=entry.get("direction", "not_down"), of=entry.get("of"),
        tolerance=float(entry.get("tolerance", 0.1)),
        neutral_band=(float(neutral[0]), float(neutral[1])) if neutral else None,
        positive=entry.get("positive"), max_fail_rate=float(entry.get("max_fail_rate", 0.0)),
        min_accuracy=metrics.get("accuracy"), min_macro_f1=metrics.get("macro_f1"),
        description=entry.get("description") or "",
    )


def _label(value: Any, where: str) -> frozenset[str] | None:
    """A label, a list of accepted labels, or ``{not: label(s)}`` (kept as ``!label``: resolved per model)."""
    if value is None:
        return None
    if isinstance(value, str):
        return frozenset([value])
    if isinstance(value, list) and value and all(isinstance(item, str) for item in value):
        return frozenset(value)
    if isinstance(value, dict) and set(value) == {"not"}:
        excluded = _label(value["not"], where)
        if excluded:
            return frozenset(f"!{label}" for label in excluded)
    raise CaseTestError(f"{where} must be a label, a list of labels or {{not: label}}, not {value!r}")


def _raw_cases(entry: dict[str, Any], lang: str, folder: Path, label: frozenset[str] | None) -> list[Case]:
    found: list[Case] = []
    for index, item in enumerate(entry.get("cases") or []):
        found.append(_case(item, label, f"cases[{index}]"))
    if entry.get("template") is not None:
        found += _from_templates(entry, lang, label)
    if entry.get("data") is not None:
        found += _from_data(entry["data"], folder, label)
    return found


def _case(item: Any, label: frozenset[str] | None, where: str) -> Case:
    if isinstance(item, str):
        return Case(item, label)
    if not isinstance(item, dict) or not isinstance(item.get("text"), str):
        raise CaseTestError(f"{where} must be a text or {{text, label?, variants?}}, not {item!r}")
    unknown = sorted(set(item) - {"text", "label", "variants"})
    if unknown:
        raise CaseTestError(f"{where}: unknown key(s) {', '.join(unknown)} (text, label, variants)")
    variants = item.get("variants") or []
    if not isinstance(variants, list) or not all(isinstance(text, str) for text in variants):
        raise CaseTestError(f"{where}: variants must be a list of texts")
    own = _label(item.get("label"), f"{where}.label")
    return Case(item["text"], own if own is not None else label,
                tuple((f"variant#{number}", text) for number, text in enumerate(variants, start=1)))


# Templates -------------------------------------------------------------------------------------------------------
def _from_templates(entry: dict[str, Any], lang: str, label: frozenset[str] | None) -> list[Case]:
    templates = entry["template"] if isinstance(entry["template"], list) else [entry["template"]]
    own = entry.get("lexicons") or {}
    spaces = []  # (template, label, placeholder names, their words)
    for item in templates:
        template, own_label = _template_item(item, label)
        articled = set(_ARTICLED.findall(template))  # {a:pos_adj}: "a good", "an awful"
        template = _ARTICLED.sub(r"{\1}", template)
        names = _placeholders(template)
        values = [tuple(_with_article(word, lang) if name in articled else word for word in _lexicon(name, own, lang))
                  for name in names]
        spaces.append((template, own_label, names, values))
    sizes = [math.prod(len(words) for words in values) for *_, values in spaces]
    total, count = sum(sizes), entry.get("nsamples")
    if count is None or count >= total:
        if total > MAX_CASES * 10:
            raise CaseTestError(f"the template makes {total:,} combinations; give nsamples")
        picks = range(total)
    else:  # seeded draws of combination numbers: no need to list them all
        rng = random.Random(entry.get("seed", seed_for(entry["name"])))
        picks = rng.sample(range(total), min(total, count * 3))
    found: list[Case] = []
    for number in picks:
        space = 0
        while number >= sizes[space]:
            number -= sizes[space]
            space += 1
        template, own_label, names, values = spaces[space]
        chosen = []
        for words in reversed(values):
            number, index = divmod(number, len(words))
            chosen.append(words[index])
        chosen.reverse()
        bases = [_PLACEHOLDER_NAME.match(name).group(1) for name in names]
        if len({(base, word) for base, word in zip(bases, chosen, strict=True)}) < len(chosen):
            continue  # two draws of one lexicon ({first_name}, {first_name1}) never take the same word
        found.append(Case(template.format(**dict(zip(names, chosen, strict=True))), own_label))
        if count is not None and len(found) == count:
            break
    return found


def _template_item(item: Any, label: frozenset[str] | None) -> tuple[str, frozenset[str] | None]:
    """A template: a text, or ``{text, label}`` (its cases' label)."""
    if isinstance(item, str):
        return item, label
    if isinstance(item, dict) and isinstance(item.get("text"), str) and set(item) <= {"text", "label"}:
        own = _label(item.get("label"), f"template {item['text']!r} label")
        return item["text"], own if own is not None else label
    raise CaseTestError(f"a template is a text or {{text, label}}, not {item!r}")


_ARTICLED = re.compile(r"\{a:([A-Za-z_]+\d*)\}")


def _with_article(word: str, lang: str) -> str:
    if lang != "en":
        return word
    return f"{'an' if word[:1].lower() in 'aeiou' else 'a'} {word}"


def _placeholders(template: str) -> list[str]:
    try:
        names = [name for _, name, _, _ in string.Formatter().parse(template) if name is not None]
    except ValueError as error:
        raise CaseTestError(f"template {template!r}: {error}") from None
    if any(not _PLACEHOLDER_NAME.match(name) for name in names):
        raise CaseTestError(f"template {template!r}: placeholders are lexicon names such as {{first_name}}")
    return list(dict.fromkeys(names))


def _lexicon(placeholder: str, own: dict[str, list[str]], lang: str) -> tuple[str, ...]:
    from pipeprobe.behaviour.lexicons import LexiconError, words

    if placeholder in own:
        return tuple(own[placeholder])
    base = _PLACEHOLDER_NAME.match(placeholder).group(1)  # {first_name1}: another draw of first_name
    if base in own:
        return tuple(own[base])
    try:
        return words(base, lang)
    except LexiconError as error:
        raise CaseTestError(f"{{{placeholder}}}: {error}; or give it under lexicons:") from None


# Data files ------------------------------------------------------------------------------------------------------
def _from_data(spec: dict[str, Any], folder: Path, label: frozenset[str] | None) -> list[Case]:
    path = _confined(folder, spec["file"])
    rows = _rows(path, spec.get("format") or path.suffix.lstrip(".").lower())
    text_column, label_column, variants_column = spec.get("text", "text"), spec.get("label"), spec.get("variants")
    found = []
    for number, row in enumerate(rows, start=1):
        where = f"{path.name} row {number}"
        text = row.get(text_column)
        if not isinstance(text, str) or not text:
            raise CaseTestError(f"{where}: no text in column {text_column!r}")
        own = _label(row.get(label_column), f"{where} column {label_column!r}") if label_column else None
        variants = row.get(variants_column) if variants_column else None
        if isinstance(variants, str):
            variants = [part.strip() for part in variants.split("|") if part.strip()]
        if variants is not None and not (isinstance(variants, list) and all(isinstance(v, str) for v in variants)):
            raise CaseTestError(f"{where}: column {variants_column!r} must hold texts")
        found.append(Case(text, own if own is not None else label,
                          tuple((f"variant#{n}", v) for n, v in enumerate(variants or [], start=1))))
    return found


def _confined(folder: Path, name: str) -> Path:
    """``name`` under the probe file's folder; a path that leaves it (``..``, absolute, a link out) is refused."""
    root = folder.resolve()
    path = (root / name).resolve()
    if not path.is_relative_to(root):
        raise CaseTestError(f"data file {name!r} is outside {root} (data files live beside the probe file)")
    if not path.is_file():
        raise CaseTestError(f"data file {name!r} not found in {root}")
    return path


def _rows(path: Path, kind: str) -> list[dict[str, Any]]:
    try:
        if kind == "jsonl":
            rows = []
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
                if line.strip():
                    try:
                        rows.append(strict_json.loads(line))
                    except strict_json.StrictJSONError as error:
                        raise CaseTestError(f"{path.name} line {number}: {error}") from None
            if not all(isinstance(row, dict) for row in rows):
                raise CaseTestError(f"{path.name}: every line must be a JSON object")
            return rows
        if kind == "csv":
            with path.open(encoding="utf-8", newline="") as handle:
                return list(csv.DictReader(handle))
        if kind == "parquet":
            try:
                import pyarrow.parquet as parquet
            except ImportError:
                raise CaseTestError(f"{path.name}: reading Parquet needs pyarrow (pip install pyarrow)") from None
            return parquet.read_table(path).to_pylist()
    except (OSError, UnicodeDecodeError) as error:
        raise CaseTestError(f"{path.name}: cannot read ({error})") from None
    raise CaseTestError(f"{path.name}: unknown data format {kind!r} (jsonl, csv, parquet; or set format:)")


def _kinds(value: Any) -> list[tuple[str, int]]:
    if value is None:
        return []
    pairs = [(kind, 1) for kind in value] if isinstance(value, list) else list(value.items())
    unknown = sorted(str(kind) for kind, _ in pairs if kind not in KINDS)
    if unknown:
        raise CaseTestError(f"unknown perturbation(s) {', '.join(unknown)}; known: {', '.join(KINDS)}")
    if any(isinstance(count, bool) or not isinstance(count, int) or count < 1 for _, count in pairs):
        raise CaseTestError("perturb counts must be whole numbers >= 1")
    return pairs
