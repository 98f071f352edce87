"""CheckList's rules (Ribeiro et al., ACL 2020) on a test's outputs: predictions, MFT / INV / DIR, rates, gates.

- Prediction: the label with the highest probability (``scores`` of the output; a ``{label, score}``
  output of a two-class model gets the complement for its other label). With ``neutral_band: [lo, hi]``
  a two-class model's positive probability p becomes three labels, as CheckList did for binary SST-2
  models: negative below lo, positive above hi, neutral between (neutral's confidence is 1 at the
  band's middle and falls linearly to 0.5 at its edges; the rest goes to the nearer side).
- MFT: a case fails when its prediction is not its label (or not in its label set).
- INV: a variant fails when its prediction differs from the original's *and* the confidence of the
  original's prediction moved by more than ``threshold`` (default 0.1; 0 = any flip fails).
- DIR: the confidence of ``of`` (default: the original's prediction), from original to variant:
  ``not_down`` fails when it drops by more than ``tolerance`` (default 0.1), ``not_up`` when it rises
  by more; ``up`` / ``down`` when it does not move that way (by more than 0). As in CheckList a
  variant that cannot fail (``not_down`` / ``up`` with the original's confidence at or below the
  tolerance; ``not_up`` / ``down`` at or above 1 - tolerance) is not judged.
- A case fails when any judged variant fails; a case with no judged variant is not applicable.
  The rate is failed / applicable cases.

Probabilities are rounded to 6 digits before they are judged, so the rates recomputed from the
stored case data (drift.json, the baseline) are exactly these.
"""

from __future__ import annotations

import math
from typing import Any

from pipeprobe.behaviour.cases import CaseTest

FORMAT = "pipeprobe-cases/1"
DIGITS = 6
EXAMPLES = 3  # failing examples a gate message and a summary row show
Z = 3.0  # standard errors a re-run's rate may move before it counts as drift


def label_space(test: CaseTest, output: Any) -> list[str]:
    """The labels the test's predictions range over (three with a neutral band)."""
    labels = _model_labels(output)
    if test.neutral_band is None:
        return labels
    positive = _positive(test, labels)
    negative = next(label for label in labels if label != positive)
    return [negative, "neutral", positive]


def probabilities(test: CaseTest, output: Any, labels: list[str]) -> list[float]:
    """One output's probabilities over ``labels`` (rounded), the neutral band applied."""
    scores = _scores(output)
    if test.neutral_band is None:
        return [round(float(scores.get(label, 0.0)), DIGITS) for label in labels]
    negative, _, positive = labels
    p = float(scores[positive])
    low, high = test.neutral_band
    middle, width = (low + high) / 2, high - low
    if p < low or p > high:
        values = (1 - p, 0.0, p)
    else:
        neutral = 1 - abs(p - middle) / width
        values = (1 - neutral, neutral, 0.0) if p < middle else (0.0, neutral, 1 - neutral)
    return [round(value, DIGITS) for value in values]


def predict(labels: list[str], probs: list[float]) -> str:
    return labels[max(range(len(labels)), key=lambda index: probs[index])]


def accepted(label: list[str] | None, labels: list[str]) -> set[str] | None:
    """A case's accepted labels: its set, or every label but the ``!excluded`` ones."""
    if label is None:
        return None
    excluded = {item[1:] for item in label if item.startswith("!")}
    return set(labels) - excluded if excluded else set(label)


def judge_variant(rule: dict[str, Any], labels: list[str], original: list[float], variant: list[float]) -> bool | None:
    """True (holds), False (fails) or None (can't fail: not judged), by CheckList's rule for the test's type."""
    before = predict(labels, original)
    if rule["type"] == "INV":
        if predict(labels, variant) == before:
            return True
        if rule["threshold"] == 0:
            return False
        index = labels.index(before)
        return abs(variant[index] - original[index]) <= rule["threshold"]
    index = labels.index(rule.get("of") or before)
    start, moved, tolerance = original[index], variant[index] - original[index], rule["tolerance"]
    way = rule["direction"]
    if (way in ("not_down", "down") and start <= tolerance) or (way in ("not_up", "up") and start >= 1 - tolerance):
        return None  # it can't fail (CheckList: not_down / not_up), or it has no room to move (up / down)
    return {
        "not_down": moved + tolerance >= 0, "not_up": moved - tolerance <= 0, "up": moved > 0, "down": moved < 0,
    }[way]


def rule_of(test: CaseTest) -> dict[str, Any]:
    """The test's type and knobs, as stored with its result (what a recomputation needs)."""
    rule: dict[str, Any] = {"type": test.type}
    if test.type == "INV":
        rule["threshold"] = test.threshold
    if test.type == "DIR":
        rule.update(direction=test.direction, tolerance=test.tolerance, of=test.of)
    if test.neutral_band is not None:
        rule["neutral_band"] = list(test.neutral_band)
    return rule


def result(test: CaseTest, outputs: list[Any]) -> dict[str, Any]:
    """The test's result from the outputs of its texts (originals, each followed by its variants for INV/DIR)."""
    labels = label_space(test, outputs[0]) if outputs else []
    rule = rule_of(test)
    data, position = [], 0
    for case in test.cases:
        texts = [case.text, *(text for _, text in case.variants)] if test.type != "MFT" else [case.text]
        probs = [probabilities(test, output, labels) for output in outputs[position:position + len(texts)]]
        position += len(texts)
        entry: dict[str, Any] = {"texts": texts, "pred": [predict(labels, p) for p in probs], "probs": probs}
        if case.label is not None:
            entry["label"] = sorted(case.label)
        if test.type != "MFT":
            entry["variants"] = [name for name, _ in case.variants]
        entry["status"] = case_status(rule, labels, entry)
        data.append(entry)
    return summarise(test, rule, labels, data)


def case_status(rule: dict[str, Any], labels: list[str], entry: dict[str, Any]) -> str:
    """pass, fail or n/a (no variant could fail)."""
    if rule["type"] == "MFT":
        return "pass" if entry["pred"][0] in accepted(entry.get("label"), labels) else "fail"
    verdicts = [judge_variant(rule, labels, entry["probs"][0], probs) for probs in entry["probs"][1:]]
    judged = [verdict for verdict in verdicts if verdict is not None]
    if not judged:
        return "n/a"
    return "pass" if all(judged) else "fail"


def summarise(test: CaseTest, rule: dict[str, Any], labels: list[str], data: list[dict[str, Any]]) -> dict[str, Any]:
    applicable = [entry for entry in data if entry["status"] != "n/a"]
    failed = sum(entry["status"] == "fail" for entry in applicable)
    rate = failed / len(applicable) if applicable else 0.0
    found: dict[str, Any] = {
        "format": FORMAT, "test": test.name, "capability": test.capability, **rule, "labels": labels,
        "cases": len(applicable), "failed": failed, "fail_rate": round(rate, DIGITS),
        "not_applicable": len(test.not_applicable) + len(data) - len(applicable),
        "max_fail_rate": test.max_fail_rate, "rate_tolerance": round(binomial_tolerance(rate, len(applicable)), DIGITS),
        "metrics": metrics(data, labels),
        "gates": {key: value for key, value in (("accuracy", test.min_accuracy), ("macro_f1", test.min_macro_f1))
                  if value is not None},
        "not_applicable_examples": [*test.not_applicable[:EXAMPLES]],
        "data": data,
    }
    return found


def metrics(data: list[dict[str, Any]], labels: list[str]) -> dict[str, float]:
    """Accuracy (prediction in the accepted set) and macro-F1 (single-label cases) of the originals."""
    labelled = [entry for entry in data if entry.get("label")]
    if not labelled:
        return {}
    right = sum(entry["pred"][0] in accepted(entry["label"], labels) for entry in labelled)
    found = {"accuracy": round(right / len(labelled), DIGITS)}
    single = [(entry["label"][0], entry["pred"][0]) for entry in labelled
              if len(entry["label"]) == 1 and not entry["label"][0].startswith("!")]
    if single:
        classes = sorted({truth for truth, _ in single} | {pred for _, pred in single})
        scores = []
        for name in classes:
            tp = sum(truth == name and pred == name for truth, pred in single)
            fp = sum(truth != name and pred == name for truth, pred in single)
            fn = sum(truth == name and pred != name for truth, pred in single)
            scores.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
        found["macro_f1"] = round(sum(scores) / len(scores), DIGITS)
    return found


def binomial_tolerance(rate: float, cases: int) -> float:
    """Z standard errors of a rate over ``cases``; at 0 or 1 it counts half a case either side."""
    if cases <= 0:
        return 0.0
    p = min(max(rate, 0.5 / cases), 1 - 0.5 / cases)
    return Z * math.sqrt(p * (1 - p) / cases)


def is_result(value: Any) -> bool:
    return isinstance(value, dict) and value.get("format") == FORMAT and "fail_rate" in value


def gate(test: CaseTest, output: dict[str, Any]) -> list[str]:
    """The test's gates: its fail rate, and accuracy / macro-F1 where it sets them; one line each."""
    problems = []
    if output["fail_rate"] > test.max_fail_rate:
        problems.append(
            f"{output['capability']} {output['type']} {output['test']}: {output['failed']} of {output['cases']} "
            f"cases failed (rate {output['fail_rate']:.3f} > max_fail_rate {test.max_fail_rate:g}); e.g. "
            + " | ".join(describe(output, entry) for entry in failing(output)[:EXAMPLES])
        )
    for name, floor in output["gates"].items():
        value = output["metrics"].get(name)
        if value is not None and value < floor:
            problems.append(f"{output['test']}: {name} {value:.3f} is below {floor:g}")
    return problems


def failing(output: dict[str, Any]) -> list[dict[str, Any]]:
    return [entry for entry in output["data"] if entry["status"] == "fail"]


def describe(output: dict[str, Any], entry: dict[str, Any]) -> str:
    """One failing case in a line: the original, its prediction, and the first failing variant."""
    labels = output["labels"]

    def shown(index: int) -> str:
        pred = entry["pred"][index]
        return f"{entry['texts'][index]!r} -> {pred} {entry['probs'][index][labels.index(pred)]:.2f}"

    if output["type"] == "MFT":
        return f"{shown(0)} (expected {'/'.join(entry.get('label', []))})"
    for index in range(1, len(entry["texts"])):
        if judge_variant(output, labels, entry["probs"][0], entry["probs"][index]) is False:
            return f"{shown(0)}; {shown(index)}"
    return shown(0)


def summary_row(output: dict[str, Any], flipped: list[str] | None = None) -> dict[str, Any]:
    """The test's row of the capability table (what the record carries; reports read it)."""
    row = {
        "test": output["test"], "capability": output["capability"], "type": output["type"],
        "cases": output["cases"], "failed": output["failed"], "fail_rate": output["fail_rate"],
        "max_fail_rate": output["max_fail_rate"], "passed_gate": output["fail_rate"] <= output["max_fail_rate"],
        "not_applicable": output["not_applicable"], "metrics": output["metrics"], "gates": output["gates"],
        "examples": [describe(output, entry) for entry in failing(output)[:EXAMPLES]],
    }
    if flipped is not None:
        row["flipped"] = len(flipped)
        row["flipped_examples"] = flipped[:EXAMPLES]
    return row


def flipped(baseline: Any, output: dict[str, Any]) -> list[str] | None:
    """The originals whose prediction differs from the baseline's (None: no comparable baseline)."""
    if not is_result(baseline):
        return None
    before = {entry["texts"][0]: entry["pred"][0] for entry in baseline.get("data", [])}
    found = []
    for entry in output["data"]:
        text, pred = entry["texts"][0], entry["pred"][0]
        if text in before and before[text] != pred:
            found.append(f"{text!r}: {before[text]} -> {pred}")
    return found


def _model_labels(output: Any) -> list[str]:
    scores = _scores(output)
    return list(scores)


def _scores(output: Any) -> dict[str, float]:
    if isinstance(output, dict) and isinstance(output.get("scores"), dict):
        return output["scores"]
    if isinstance(output, dict) and isinstance(output.get("label"), str) and "score" in output:
        return {output["label"]: float(output["score"])}  # one label only: see the docstring
    if isinstance(output, list) and all(isinstance(item, dict) and "label" in item for item in output):
        return {item["label"]: float(item["score"]) for item in output}
    raise ValueError(f"a test of many cases needs label scores; the output is {type(output).__name__}")


def _positive(test: CaseTest, labels: list[str]) -> str:
    if len(labels) != 2:
        raise ValueError(f"neutral_band needs a two-class model; this one has {len(labels)} labels")
    if test.positive:
        return test.positive
    found = [label for label in labels if label.lower().startswith("pos")]
    if len(found) != 1:
        raise ValueError(f"neutral_band: name the positive label (positive: ...); labels are {labels}")
    return found[0]
