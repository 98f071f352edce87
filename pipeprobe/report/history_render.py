"""Draw a history (``history.py``): a trend chart (PNG, matplotlib Agg) and a self-contained HTML page."""

from __future__ import annotations

import base64
import html
from pathlib import Path
from typing import Any

from pipeprobe import atomic, strict_json
from pipeprobe.report import style
from pipeprobe.report.history import FAILING, describe_changes

FLOOR = 1e-4
MAX_LINES = 12
COLOURS = {
    "unchanged": "#1a9850", "within tolerance": "#67a9cf", "drifted": "#ef8a62", "label or ranking changed": "#b2182b",
    "new (no baseline)": "#2166ac", "known weakness now passing": "#7b3294",
}


def chart_probes(history: dict[str, Any]) -> list[dict[str, Any]]:
    """The probes drawn: every one ever beyond tolerance first, then the largest ratios, at most MAX_LINES."""

    def worst(probe: dict[str, Any]) -> float:
        return max((p["ratio"] or 0.0) for p in probe["points"] if p is not None) if any(probe["points"]) else 0.0

    ranked = sorted(history["probes"], key=lambda p: (p["first_failing"] is None, -worst(p)))
    compared = [p for p in ranked if any(point and point["ratio"] is not None for point in p["points"])]
    moved = [p for p in compared if worst(p) > 0]  # a probe identical to its baseline in every run is not drawn
    return (moved or compared[:1])[:MAX_LINES]


def write_chart(history: dict[str, Any], path: Path) -> None:
    """Each drawn probe's delta / tolerance per run (log scale); the tolerance line; where drift began."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    runs = history["runs"]
    positions = [run["index"] for run in runs]
    figure, axes = pyplot.subplots(figsize=(11, 5.5), dpi=100)
    drawn = chart_probes(history)
    if not drawn:
        axes.text(0.5, 0.5, "no probe was compared with a baseline in these runs", ha="center", va="center")
        axes.set_axis_off()
    for probe in drawn:
        xs = [index for index, p in zip(positions, probe["points"], strict=True) if p and p["ratio"] is not None]
        ys = [max(p["ratio"], FLOOR) for p in probe["points"] if p and p["ratio"] is not None]
        failing = probe["first_failing"] is not None
        axes.plot(xs, ys, marker="o", linewidth=2.2 if failing else 1.0, alpha=1.0 if failing else 0.55,
                  label=f"{probe['suite']}/{probe['probe']}")
        for index, point in zip(positions, probe["points"], strict=True):
            if point and point["status"] in FAILING and point["ratio"] is not None:
                axes.scatter([index], [max(point["ratio"], FLOOR)], s=90, marker="X", color="#b2182b", zorder=4)
    began = sorted({p["began"] or p["first_failing"] for p in history["probes"] if p["began"] or p["first_failing"]})
    title = f"pipeprobe history: {len(history['beyond_tolerance_now'])} probes beyond tolerance in the last run"
    steady = len(history["probes"]) - len(drawn)
    if drawn and steady:
        axes.text(0.01, 0.02, f"{steady} other probes: delta 0 in every run (not drawn)", transform=axes.transAxes,
                  fontsize=8, color="#555")
    if drawn:
        axes.axhline(1.0, color="black", linestyle="--", linewidth=1, label="tolerance (delta = allowed)")
        for index in began:
            axes.axvline(index, color="#b2182b", alpha=0.35, linewidth=6)
            axes.annotate(f"drift began: run {index}", xy=(index, 1.0), xytext=(6, 12), textcoords="offset points",
                          color="#b2182b", fontsize=10, fontweight="bold")
        axes.set_yscale("log")
        axes.set_xticks(positions, [f"run {run['index']}\n{str(run.get('date') or '')[:10]}" for run in runs],
                        fontsize=8)
        axes.set_xlim(positions[0] - 0.3, positions[-1] + 0.3)
        axes.set_ylabel(f"largest delta / tolerance (log; 0 drawn at {FLOOR:g})")
        axes.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
        axes.grid(axis="y", which="major", alpha=0.3)
        if began:
            title += "; began at run " + ", ".join(str(index) for index in began)
    axes.set_title(title, fontsize=11)
    figure.tight_layout()
    figure.savefig(path)
    pyplot.close(figure)


_STYLE = style.page("""
table{margin:0.5em 0 1.5em}td.run{text-align:center;color:#fff;white-space:nowrap}
""")


def _cell(point: dict[str, Any] | None) -> str:
    if point is None:
        return '<td class="run" style="background:#bbb">not run</td>'
    delta = "" if point["delta"] is None else f"<br><small>{point['delta']:.2g}</small>"
    colour = COLOURS.get(point["status"], "#999")
    return f'<td class="run" style="background:{colour}" title="{html.escape(point["status"])}">' \
           f"{html.escape(point['status'])}{delta}</td>"


def write_html(history: dict[str, Any], path: Path, chart: Path) -> None:
    runs = history["runs"]
    image = base64.b64encode(chart.read_bytes()).decode("ascii")
    run_rows = "".join(
        f"<tr><td>{run['index']}</td><td>{html.escape(str(run.get('date') or ''))}</td>"
        f"<td>{html.escape(run['file'])}</td><td>{html.escape(describe_changes(run['changed']) or '')}</td></tr>"
        for run in runs
    )
    moved = [p for p in history["probes"] if p["first_failing"] or p["status_changes"]]
    head = "".join(f"<th>run {run['index']}</th>" for run in runs)
    probe_rows = "".join(
        f"<tr><td>{html.escape(p['suite'])}/{html.escape(p['probe'])}</td>"
        f"<td>{'run ' + str(p['began']) if p['began'] else ''}</td>"
        f"<td>{'run ' + str(p['first_failing']) if p['first_failing'] else ''}</td>"
        + "".join(_cell(point) for point in p["points"])
        + f"<td>{html.escape(describe_changes(p['provenance_then']))}</td></tr>"
        for p in moved
    )
    new = history["new_since_last_run"]
    body = (
        f"<h1>pipeprobe history over {len(runs)} runs</h1>"
        f'<img alt="trend chart" src="data:image/png;base64,{image}">'
        f"<p><b>New since the run before</b>: {html.escape(', '.join(new) or 'none')}</p>"
        f"<p><b>Beyond tolerance in the last run</b>: {len(history['beyond_tolerance_now'])}</p>"
        "<h2>Runs (oldest first)</h2><table><tr><th>run</th><th>date</th><th>file</th>"
        f"<th>what changed from the run before</th></tr>{run_rows}</table>"
        "<h2>Probes whose status moved</h2>"
        + (f"<table><tr><th>probe</th><th>began</th><th>first beyond tolerance</th>{head}"
           f"<th>provenance changed then</th></tr>{probe_rows}</table>" if moved
           else "<p>every probe kept its status in every run</p>")
    )
    page = (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>pipeprobe history</title>'
            f"<style>{_STYLE}</style></head><body>{body}</body></html>\n")
    atomic.write(path, page)


def write_history(history: dict[str, Any], directory: Path) -> dict[str, Path]:
    """Write history.json, history.png and history.html into ``directory``."""
    if directory.exists() and not directory.is_dir():
        raise ValueError(f"--out {directory}: exists and is not a folder")
    directory.mkdir(parents=True, exist_ok=True)
    paths = {"json": directory / "history.json", "png": directory / "history.png",
             "html": directory / "history.html"}
    atomic.write(paths["json"], strict_json.dumps(history))
    write_chart(history, paths["png"])
    write_html(history, paths["html"], paths["png"])
    return paths
