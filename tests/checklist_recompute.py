"""CheckList's rates recomputed from drift.json's case data alone, written apart from pipeprobe.behaviour.checklist.

Used by the twin tests and by scripts that check a real run: it reads only what drift.json carries (each case's
texts, predictions, probabilities, label and the test's rule) and applies CheckList's rules as the paper and its
``Expect.inv`` / ``Expect.monotonic`` state them.
"""

from __future__ import annotations

from typing import Any


def variant_fails(rule: dict[str, Any], labels: list[str], first: list[float], other: list[float]) -> bool | None:
    top = max(range(len(labels)), key=first.__getitem__)
    if rule["type"] == "INV":
        if max(range(len(labels)), key=other.__getitem__) == top:
            return False
        return rule["threshold"] == 0 or abs(other[top] - first[top]) > rule["threshold"]
    index = labels.index(rule["of"]) if rule.get("of") else top
    change, tol, start = other[index] - first[index], rule["tolerance"], first[index]
    direction = rule["direction"]
    if direction in ("not_down", "down") and start <= tol:
        return None
    if direction in ("not_up", "up") and start >= 1 - tol:
        return None
    if direction == "not_down":
        return change < -tol
    if direction == "not_up":
        return change > tol
    return change <= 0 if direction == "up" else change >= 0


def case_fails(test: dict[str, Any], case: dict[str, Any]) -> bool | None:
    labels = test["labels"]
    if test["type"] == "MFT":
        wanted = set(case["label"])
        if all(item.startswith("!") for item in wanted):
            wanted = set(labels) - {item[1:] for item in wanted}
        return case["pred"][0] not in wanted
    verdicts = [variant_fails(test, labels, case["probs"][0], probs) for probs in case["probs"][1:]]
    judged = [verdict for verdict in verdicts if verdict is not None]
    return any(judged) if judged else None


def rates(test: dict[str, Any]) -> tuple[int, int, float]:
    """(applicable cases, failed cases, fail rate) of one test's output."""
    verdicts = [case_fails(test, case) for case in test["data"]]
    judged = [verdict for verdict in verdicts if verdict is not None]
    failed = sum(judged)
    return len(judged), failed, round(failed / len(judged), 6) if judged else 0.0


def check_report(report: dict[str, Any]) -> list[str]:
    """Every test in a drift report whose recomputed rate differs from pipeprobe's; empty when all agree."""
    problems = []
    for probe in report["probes"]:
        output = probe.get("output")
        if not (isinstance(output, dict) and output.get("format") == "pipeprobe-cases/1"):
            continue
        cases, failed, rate = rates(output)
        row = probe.get("case_test") or {}
        if (cases, failed, rate) != (output["cases"], output["failed"], output["fail_rate"]) or row.get(
            "fail_rate"
        ) != rate:
            problems.append(f"{probe['probe']}: recomputed {failed}/{cases}={rate}, pipeprobe "
                            f"{output['failed']}/{output['cases']}={output['fail_rate']}")
    return problems
