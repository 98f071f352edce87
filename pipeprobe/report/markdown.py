"""A drift report as Markdown: the summary, what moved in provenance, every probe that is not unchanged."""

from __future__ import annotations

from typing import Any

from pipeprobe.baselines.provenance import describe_differences
from pipeprobe.baselines.statuses import UNCHANGED
from pipeprobe.report.document import describe_run, provenance_summary


def markdown_table(report: dict[str, Any], limit: int = 200) -> str:
    """The summary and every probe that is not unchanged, as a Markdown table."""
    counts = ", ".join(f"{count} {status}" for status, count in report["summary"].items() if count)
    lines = [
        f"**pipeprobe drift** against {report.get('against', 'baselines')}: {counts or 'no probes'}",
        "",
        f"run: {describe_run(report['run'])}",
        "",
    ]
    moved = provenance_summary(report)
    if moved:
        lines += ["what differs from the baselines: " + "; ".join(
            f"{key} {before} → {after} ({count} probes)" for (key, before, after), count in moved.items()), ""]
    rows = [probe for probe in report["probes"] if probe["status"] != UNCHANGED]
    if not rows:
        return "\n".join(lines + ["every probe unchanged"]) + "\n"
    lines += [
        "| status | probe | model@revision | delta | tolerance | differs from baseline |",
        "|---|---|---|---|---|---|",
    ]
    for probe in rows[:limit]:
        delta = "" if probe.get("delta") is None else f"{probe['delta']:.3g}"
        allowed = "" if probe.get("allowed") is None else f"{probe['allowed']:.3g}"
        tier = (probe.get("tolerance") or {}).get("tier", "")
        moved = "; ".join(probe.get("provenance_in_words") or describe_differences(probe["provenance_differences"]))
        if probe.get("explanation"):  # pipeprobe explain's verdict
            moved += f" — explain: {probe['explanation']}"
        lines.append(
            f"| {probe['status']} | {probe['suite']}/{probe['probe']} | {probe.get('model')}@{probe.get('revision')} "
            f"| {delta} | {allowed} ({tier}) | {moved} |"
        )
    if len(rows) > limit:
        lines.append(f"| … | {len(rows) - limit} more | | | | |")
    return "\n".join(lines) + "\n"
