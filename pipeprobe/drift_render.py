"""Draw a drift report: a PNG chart (matplotlib, Agg) and a self-contained HTML page."""

from __future__ import annotations

import base64
import html
import json
from pathlib import Path
from typing import Any

from pipeprobe import drift

COLOURS = {
    drift.CHANGED: "#b2182b",
    drift.DRIFTED: "#ef8a62",
    drift.WEAKNESS_PASSING: "#7b3294",
    drift.NEW: "#2166ac",
    drift.NOT_RUN: "#999999",
    drift.WITHIN: "#67a9cf",
    drift.UNCHANGED: "#1a9850",
}
FLOOR = 1e-9
MAX_ROWS = 80


def chart_rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The probes the chart shows: those compared with a baseline, worst first."""
    rows = [p for p in report["probes"] if p.get("delta") is not None]
    return sorted(rows, key=lambda p: -(p.get("ratio") or 0.0))[:MAX_ROWS]


def write_chart(report: dict[str, Any], path: Path) -> None:
    """Each probe's largest delta (bar) against its tolerance at that value (black tick), log scale."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot
    from matplotlib.patches import Patch

    rows = chart_rows(report)
    compared = sum(1 for p in report["probes"] if p.get("delta") is not None)
    height = max(3.0, 0.26 * len(rows) + 1.8)
    figure, axes = pyplot.subplots(figsize=(12, height), dpi=100)
    beyond = sum(1 for p in report["probes"] if p["baseline_status"] in drift.FAILING)
    title = f"pipeprobe drift: {beyond} of {compared} compared probes beyond tolerance"
    if not rows:
        axes.text(0.5, 0.5, "no probe had a baseline to compare with", ha="center", va="center")
        axes.set_axis_off()
    else:
        labels = [f"{p['suite']}/{p['probe']}" for p in rows]
        positions = list(range(len(rows)))[::-1]
        deltas = [max(p["delta"], FLOOR) for p in rows]
        colours = [COLOURS[p["status"]] for p in rows]
        axes.barh(positions, [d - FLOOR / 2 for d in deltas], left=FLOOR / 2, color=colours, height=0.7)
        allowed = [(pos, p["allowed"]) for pos, p in zip(positions, rows, strict=True) if p.get("allowed")]
        if allowed:
            axes.scatter([a for _, a in allowed], [pos for pos, _ in allowed], marker="|", s=220,
                         color="black", zorder=3, label="tolerance")
        axes.set_xscale("log")
        axes.set_xlim(left=FLOOR / 2)
        axes.set_yticks(positions, labels, fontsize=8)
        axes.set_xlabel("largest |output - baseline| (log scale; 0 drawn at 1e-9); black tick: tolerance")
        shown = {p["status"] for p in rows}
        handles = [Patch(color=COLOURS[s], label=s) for s in drift.STATUSES if s in shown]
        handles.append(axes.scatter([], [], marker="|", s=220, color="black", label="tolerance"))
        axes.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
        if compared > len(rows):
            title += f" (worst {len(rows)} shown)"
        axes.grid(axis="x", which="major", alpha=0.3)
    axes.set_title(title, fontsize=11)
    figure.tight_layout()
    figure.savefig(path)
    pyplot.close(figure)


_STYLE = """
body{font-family:system-ui,sans-serif;margin:1.5em;color:#222}
table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ddd;padding:3px 6px;vertical-align:top}
th{background:#f3f3f3;text-align:left}.status{font-weight:600;white-space:nowrap}
code{font-size:12px;white-space:pre-wrap;word-break:break-word;display:block;min-width:16em}
.badge{display:inline-block;margin:2px 6px 2px 0;
padding:2px 8px;border-radius:10px;color:#fff;font-size:13px}img{max-width:100%}
"""

_SCRIPT = """
function ppFilter(){var s=document.getElementById('pp-status').value;
document.querySelectorAll('#probes tbody tr').forEach(function(r){
r.style.display=(!s||r.dataset.status===s)?'':'none';});}
"""


def _code(value: Any) -> str:
    if value is None:
        return ""
    return f"<code>{html.escape(json.dumps(value, ensure_ascii=False))}</code>"


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:.3g}"


def write_html(report: dict[str, Any], path: Path, chart: Path | None) -> None:
    """A page that opens offline: the summary, the provenance changes, the chart, every probe."""
    escape = html.escape
    badges = "".join(
        f'<span class="badge" style="background:{COLOURS[s]}">{n} {escape(s)}</span>'
        for s, n in report["summary"].items() if n
    )
    run = "".join(f"<tr><th>{escape(str(k))}</th><td>{escape(str(v))}</td></tr>" for k, v in report["run"].items())
    provenance = "".join(
        f"<tr><td>{escape(k)}</td><td>{escape(b)}</td><td>{escape(r)}</td><td>{n}</td></tr>"
        for (k, b, r), n in drift.provenance_summary(report).items()
    ) or '<tr><td colspan="4">baselines and this run agree on revision, transformers, torch, device, dtype</td></tr>'
    image = ""
    if chart is not None and chart.exists():
        encoded = base64.b64encode(chart.read_bytes()).decode("ascii")
        image = f'<h2>Delta against tolerance</h2><img alt="drift chart" src="data:image/png;base64,{encoded}">'
    options = "".join(f"<option>{escape(s)}</option>" for s, n in report["summary"].items() if n)
    rows = []
    for probe in report["probes"]:
        tolerance = probe.get("tolerance") or {}
        changes = "<br>".join(
            f"{escape(k)}: {escape(str(v['baseline']))} → {escape(str(v['run']))}"
            for k, v in probe.get("provenance_differences", {}).items()
        )
        details = "<br>".join(escape(d) for d in probe.get("differences", []))
        also = ""
        if probe.get("baseline_status") not in (None, probe["status"]):
            also = f'<br><small>baseline: {escape(probe["baseline_status"])}</small>'
        rows.append(
            f'<tr data-status="{escape(probe["status"])}">'
            f'<td class="status" style="color:{COLOURS[probe["status"]]}">{escape(probe["status"])}{also}</td>'
            f"<td>{escape(probe['suite'])}/{escape(probe['probe'])}</td>"
            f"<td>{escape(str(probe.get('task') or ''))}</td><td>{escape(str(probe.get('lang') or ''))}</td>"
            f"<td>{escape(str(probe.get('model')))}@{escape(str(probe.get('revision')))}</td>"
            f"<td>{_number(probe.get('delta'))}</td>"
            f"<td>{_number(probe.get('allowed'))} {escape(str(tolerance.get('tier', '')))}</td>"
            f"<td>{changes}</td><td>{_code(probe.get('input'))}</td>"
            f"<td>{_code((probe.get('baseline') or {}).get('output'))}</td>"
            f"<td>{_code(probe.get('output'))}</td><td>{details}</td></tr>"
        )
    page = f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>pipeprobe drift</title><style>{_STYLE}</style>
<script>{_SCRIPT}</script></head><body>
<h1>pipeprobe drift</h1>
<p>Compared with {escape(str(report.get('against', 'baselines')))}.</p>
<p>{badges}</p>
<h2>What differs between the baselines and this run</h2>
<table><tr><th>provenance</th><th>baseline</th><th>this run</th><th>probes</th></tr>{provenance}</table>
{image}
<h2>Probes</h2>
<p>Status: <select id="pp-status" onchange="ppFilter()"><option value="">all</option>{options}</select></p>
<table id="probes"><thead><tr><th>status</th><th>probe</th><th>task</th><th>lang</th><th>model@revision</th>
<th>delta</th><th>tolerance</th><th>provenance changed</th><th>input</th><th>baseline</th><th>output</th>
<th>beyond tolerance</th></tr></thead><tbody>{''.join(rows)}</tbody></table>
<h2>This run</h2><table>{run}</table>
</body></html>
"""
    path.write_text(page, encoding="utf-8")
