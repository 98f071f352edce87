"""Draw a drift report: a PNG chart (matplotlib, Agg) and a self-contained HTML page; write all three files."""

from __future__ import annotations

import base64
import html
import json
from pathlib import Path
from typing import Any

from pipeprobe import atomic, strict_json
from pipeprobe.baselines.statuses import COLOURS, FAILING, NOT_RUN_STATUSES, STATUSES
from pipeprobe.report import style
from pipeprobe.report.document import provenance_summary

FLOOR = 1e-9
MAX_ROWS = 20  # the chart's worst probes: 20 rows keep its axis on the first screen; the table lists all
VALUE_ROWS = 6  # a probe's values shown in its table (the largest deltas and every changed label first)


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
    height = max(2.6, 0.22 * len(rows) + 1.4)
    figure, axes = pyplot.subplots(figsize=(12, height), dpi=100)
    beyond = sum(1 for p in report["probes"] if p["baseline_status"] in FAILING)
    title = f"pipeprobe drift: {beyond} of {compared} compared probes beyond tolerance"
    if not rows:
        axes.text(0.5, 0.5, "no probe had a baseline to compare with", ha="center", va="center")
        axes.set_axis_off()
    else:
        labels = [f"{p['suite']}/{p['probe']}" for p in rows]
        positions = list(range(len(rows)))[::-1]
        deltas = [max(p["delta"], FLOOR) for p in rows]
        colours = [COLOURS.get(p["status"], "#222") for p in rows]
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
        handles = [Patch(color=COLOURS[s], label=s) for s in STATUSES if s in shown]
        handles.append(axes.scatter([], [], marker="|", s=220, color="black", label="tolerance"))
        axes.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
        if compared > len(rows):
            title += f" (worst {len(rows)} shown; the table lists all)"
        axes.grid(axis="x", which="major", alpha=0.3)
    axes.set_title(title, fontsize=11)
    figure.tight_layout()
    figure.savefig(path)
    pyplot.close(figure)


_STYLE = style.page("""
td,th{vertical-align:top}.status{font-weight:600}
#probes{table-layout:fixed;width:100%}#probes td{overflow-wrap:anywhere}
code{font-size:12px;white-space:pre-wrap;word-break:break-word;display:block;max-height:10em;overflow:auto}
table.values{width:100%;font-size:12px}table.values td,table.values th{padding:1px 4px;border-color:#eee}
table.values td:nth-child(n+4){white-space:nowrap;overflow-wrap:normal}table.values td:first-child{min-width:14em}
@media (max-width:700px){body{margin:.6em}#probes,#probes>tbody,#probes>tbody>tr,#probes>tbody>tr>td{display:block;
width:auto}#probes thead,#probes colgroup{display:none}#probes>tbody>tr{border-bottom:2px solid #ccc;margin-bottom:6px}}
small{color:#555}tr.not-run td{color:#777;background:#fafafa}
""")

_SCRIPT = """
function ppFilter(){var s=document.getElementById('pp-status').value;
document.querySelectorAll('#probes tbody tr').forEach(function(r){
r.style.display=(!s||r.dataset.status===s)?'':'none';});}
"""


def flatten(value: Any, path: str = "") -> dict[str, Any]:
    """Leaf values by path (``scores.positive``, ``variants.0.output.label``); a ranking (a list of
    ``{label|token_str, score}``) is keyed by its labels (``score[POSITIVE]``), so reordered members line up."""
    if isinstance(value, dict):
        found: dict[str, Any] = {}
        for key, item in value.items():
            found.update(flatten(item, f"{path}.{key}" if path else str(key)))
        return found
    if isinstance(value, list):
        names = [item.get("label", item.get("token_str")) if isinstance(item, dict) else None for item in value]
        if value and all(isinstance(n, str) for n in names) and len(set(names)) == len(names) and all(
                isinstance(item.get("score"), (int, float)) for item in value):
            prefix = f"{path}." if path else ""
            return {f"{prefix}score[{name}]": item["score"] for name, item in zip(names, value, strict=True)}
        found = {}
        for index, item in enumerate(value):
            found.update(flatten(item, f"{path}.{index}" if path else str(index)))
        return found
    return {path or "value": value}


def value_rows(baseline: Any, output: Any, tolerance: dict[str, Any] | None) -> tuple[list[tuple[str, ...]], int]:
    """(label, baseline, output, delta, tolerance) rows of a probe's values, what changed first and then the
    largest deltas, at most VALUE_ROWS; and how many more there are."""
    before, after = flatten(baseline), flatten(output)
    abs_tol = float((tolerance or {}).get("abs") or 0.0)
    rel_tol = float((tolerance or {}).get("rel") or 0.0)
    ranked = []
    for path in [*after, *(key for key in before if key not in after)]:
        old, new = before.get(path, "—"), after.get(path, "—")
        numbers = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (old, new))
        if numbers:
            delta = abs(new - old)
            allowed = max(abs_tol, rel_tol * max(abs(old), abs(new)))
            rank = (1, -(delta / allowed if allowed else delta))
            row = (path, _value(old), _value(new), f"{delta:.3g}", f"{allowed:.3g}")
        else:
            rank = (0 if old != new else 2, 0.0)
            row = (path, _value(old), _value(new), "changed" if old != new else "", "exact")
        ranked.append((rank, row))
    ranked.sort(key=lambda item: item[0])
    return [row for _, row in ranked[:VALUE_ROWS]], max(0, len(ranked) - VALUE_ROWS)


def _value(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 28 else text[:27] + "…"


def _values_table(probe: dict[str, Any]) -> str:
    escape = html.escape
    baseline = (probe.get("baseline") or {}).get("output")
    if baseline is None and probe.get("output") is None:
        return "<small>no values: nothing ran and nothing is recorded</small>"
    rows, more = value_rows(baseline, probe.get("output"), probe.get("tolerance"))
    body = "".join("<tr>" + "".join(f"<td>{escape(cell)}</td>" for cell in row) + "</tr>" for row in rows)
    extra = f'<tr><td colspan="5"><small>… {more} more values</small></td></tr>' if more else ""
    return ('<table class="values"><tr><th>label</th><th>baseline</th><th>output</th><th>delta</th>'
            f"<th>tolerance</th></tr>{body}{extra}</table>")


def _code(value: Any) -> str:
    if value is None:
        return ""
    return f"<code>{html.escape(json.dumps(value, ensure_ascii=False))}</code>"


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:.3g}"


# widths that fit a 1400 px page: long values wrap inside their cell
_COLUMNS = ('<colgroup><col style="width:9%"><col style="width:14%"><col style="width:8%"><col style="width:37%">'
            '<col style="width:10%"><col style="width:10%"><col style="width:12%"></colgroup>')


def _input(value: Any) -> str:
    if value is None:
        return ""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return html.escape(text if len(text) <= 300 else text[:299] + "…")


def _row(probe: dict[str, Any]) -> str:
    escape = html.escape
    status = probe["status"]
    tolerance = probe.get("tolerance") or {}
    changes = "<br>".join(escape(line) for line in _differences_in_words(probe))
    details = "<br>".join(escape(d) for d in probe.get("differences", []))
    if probe.get("explanation"):  # pipeprobe explain's verdict
        details += f'<br><b class="explanation">explain: {escape(str(probe["explanation"]))}</b>'
    also = ""
    if probe.get("baseline_status") not in (None, status):
        also = f'<br><small>baseline: {escape(probe["baseline_status"])}</small>'
    about = ", ".join(escape(str(probe[key])) for key in ("task", "lang") if probe.get(key))
    delta = _number(probe.get("delta"))
    bound = f"{_number(probe.get('allowed'))} ({escape(str(tolerance.get('tier', '')))})" if tolerance else ""
    kind = ' class="not-run"' if status in NOT_RUN_STATUSES else ""
    return (
        f'<tr data-status="{escape(status)}"{kind}>'
        f'<td class="status" style="color:{COLOURS.get(status, "#222")}">{escape(status)}{also}</td>'
        f"<td>{escape(probe['suite'])}/{escape(probe['probe'])}<br><small>{about}<br>"
        f"{escape(str(probe.get('model')))}@{escape(str(probe.get('revision')))}</small></td>"
        f"<td>{delta}<br><small>{bound}</small></td>"
        f"<td>{_values_table(probe)}{_target_lines(probe)}</td>"
        f"<td>{changes}</td><td><small>{_input(probe.get('input'))}</small></td><td>{details}</td></tr>"
    )


def _differences_in_words(probe: dict[str, Any]) -> list[str]:
    """What differs from the baseline's provenance, in words ("model weights changed (digest …)")."""
    from pipeprobe.baselines.provenance import describe_differences

    return list(probe.get("provenance_in_words") or describe_differences(probe.get("provenance_differences") or {}))


def _target_lines(probe: dict[str, Any]) -> str:
    """Which target's recorded values the probe was compared with; calibrate's noise (pipeprobe.baselines.targets)."""
    from pipeprobe.baselines.targets import describe_view

    return "".join(f"<br><small>{html.escape(line)}</small>" for line in describe_view(probe.get("baseline")))


def write_html(report: dict[str, Any], path: Path, chart: Path | None) -> None:
    """A page that opens offline: the summary, the provenance changes, the chart, every probe."""
    escape = html.escape
    badges = "".join(style.badge(COLOURS.get(s, "#222"), f"{n} {s}") for s, n in report["summary"].items() if n)
    run = "".join(f"<tr><th>{escape(str(k))}</th><td>{escape(str(v))}</td></tr>" for k, v in report["run"].items())
    provenance = "".join(
        f"<tr><td>{escape(k)}</td><td>{escape(b)}</td><td>{escape(r)}</td><td>{n}</td></tr>"
        for (k, b, r), n in provenance_summary(report).items()
    ) or '<tr><td colspan="4">baselines and this run agree on revision, transformers, torch, device, dtype</td></tr>'
    image = ("<p><small>No chart: matplotlib is not installed (pip install 'pipeprobe[report]').</small></p>"
             if chart is None else "")
    if chart is not None and chart.exists():
        encoded = base64.b64encode(chart.read_bytes()).decode("ascii")
        image = f'<h2>Delta against tolerance</h2><img alt="drift chart" src="data:image/png;base64,{encoded}">'
    options = "".join(f"<option>{escape(s)}</option>" for s, n in report["summary"].items() if n)
    rows = [_row(probe) for probe in report["probes"]]
    page = f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>pipeprobe drift</title><style>{_STYLE}</style>
<meta name="viewport" content="width=device-width">\n<script>{_SCRIPT}</script></head><body>
<h1>pipeprobe drift</h1>
<p>Compared with {escape(str(report.get('against', 'baselines')))}.</p>
<p>{badges}</p>
{image}
<h2>What differs between the baselines and this run</h2>
<table><tr><th>provenance</th><th>baseline</th><th>this run</th><th>probes</th></tr>{provenance}</table>
<h2>Probes</h2>
<p>Status: <select id="pp-status" onchange="ppFilter()"><option value="">all</option>{options}</select></p>
<table id="probes">{_COLUMNS}<thead><tr><th>status</th><th>probe</th><th>delta / tolerance</th>
<th>values</th><th>provenance changed</th><th>input</th><th>beyond tolerance</th></tr></thead>
<tbody>{''.join(rows)}</tbody></table>
<h2>This run</h2><table>{run}</table>
</body></html>
"""
    atomic.write(path, page)


def strict(report: dict[str, Any]) -> dict[str, Any]:
    """The report with every NaN/Infinity (an output's fault) replaced by null and listed in ``non_finite``:
    drift.json is strict JSON, which any parser reads."""
    found: list[str] = []

    def clean(value: Any, where: str) -> Any:
        if strict_json.is_non_finite(value):
            found.append(f"{where}: {value}")
            return None
        if isinstance(value, dict):
            return {key: clean(item, f"{where}.{key}") for key, item in value.items()}
        if isinstance(value, (list, tuple)):
            return [clean(item, f"{where}[{index}]") for index, item in enumerate(value)]
        return value

    cleaned = {key: clean(value, key) for key, value in report.items() if key != "non_finite"}
    earlier = report.get("non_finite") or []
    if found or earlier:
        cleaned["non_finite"] = [*earlier, *found]
    return cleaned


def write_report(report: dict[str, Any], directory: Path) -> dict[str, Path]:
    """Write drift.json, drift.png and drift.html into ``directory``; return their paths."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = {"json": directory / "drift.json", "png": directory / "drift.png", "html": directory / "drift.html"}
    report = strict(report)
    atomic.write(paths["json"], strict_json.dumps(report))
    try:
        import matplotlib  # noqa: F401  (the chart's one dependency, an extra)
    except ImportError:
        paths.pop("png")
        write_html(report, paths["html"], None)
        return paths
    write_chart(report, paths["png"])
    write_html(report, paths["html"], paths["png"])
    return paths
