"""pytest-html 4 hooks: the environment table, per-probe columns and details, and filters.

Registered by the plugin only when pytest-html is installed; active with ``--html``. The
per-probe data comes from the report user properties (``drift_plugin``), so it works
the same on the xdist controller.
"""

from __future__ import annotations

import base64
import html
import json
import mimetypes
from pathlib import Path
from typing import Any

import pytest

from pipeprobe import drift, drift_plugin
from pipeprobe.compare import tier_for
from pipeprobe.drift_render import COLOURS

COLUMNS = (("task", "Task"), ("lang", "Lang"), ("probe_status", "Probe status"), ("model", "Model@revision"))
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".webp")
AUDIO_SUFFIXES = (".wav", ".flac", ".mp3", ".ogg")
MEDIA_LIMIT = 2_000_000

_FILTER_SCRIPT = """<script>
(function(){
  function cell(body, name){var c=body.querySelector('td.col-'+name);return c?c.textContent.trim():'';}
  function apply(){
    var want={};['task','lang','probe_status'].forEach(function(n){var s=document.getElementById('pp-'+n);
      want[n]=s?s.value:'';});
    document.querySelectorAll('#results-table tbody.results-table-row').forEach(function(b){
      var ok=Object.keys(want).every(function(n){return !want[n]||cell(b,n)===want[n];});
      b.style.display=ok?'':'none';});
  }
  window.ppApplyFilters=apply;
  window.addEventListener('load',function(){
    /* report.html#lang=pt&task=fill-mask preselects filters (a link to a filtered view) */
    new URLSearchParams(location.hash.slice(1)).forEach(function(v,k){
      var s=document.getElementById('pp-'+k);if(s){s.value=v;}});
    apply();
    var table=document.getElementById('results-table');
    if(table){new MutationObserver(apply).observe(table,{childList:true,subtree:false});}
  });
})();
</script>"""


def run_environment(config: pytest.Config, runner: Any) -> dict[str, str]:
    """The rows this plugin adds to pytest-html's environment table."""
    run = drift.run_provenance(runner.target, drift_plugin.model_map_source(runner))
    tier = tier_for(runner.target.device, runner.target.dtype)
    return {
        "pipeprobe": run["pipeprobe"], "transformers": run["transformers"], "torch": run["torch"],
        "tokenizers": run["tokenizers"], "Python": run["python"],
        "Device": f"{run['device']} ({run['device_name']})", "dtype": run["dtype"],
        "Tolerance tier": tier.describe(), "Model map": run["model_map"], "Date": run["date"],
    }


def _escape(value: Any) -> str:
    return html.escape(str(value)).replace("\n", "<br>")


def _json(value: Any) -> str:
    return f"<code>{html.escape(json.dumps(value, ensure_ascii=False))}</code>"


def media_html(value: Any, roots: list[Path]) -> str | None:
    """An inline image or audio player for an input that names such a file (``{file: ...}`` or a
    path), else None (the input is then shown as JSON, with its url or description)."""
    name = value.get("file") if isinstance(value, dict) else value
    if not isinstance(name, str) or not name.lower().endswith(IMAGE_SUFFIXES + AUDIO_SUFFIXES):
        return None
    for root in roots:
        path = root / name
        if path.is_file() and path.stat().st_size <= MEDIA_LIMIT:
            kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            data = f"data:{kind};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"
            if name.lower().endswith(IMAGE_SUFFIXES):
                return f'<img src="{data}" alt="{html.escape(name)}" style="max-height:200px">'
            return f'<audio controls src="{data}"></audio>'
    return None


def details_html(entry: dict[str, Any], meta: dict[str, Any], data: dict[str, Any], roots: list[Path]) -> str:
    """One probe's table: input, expectation and verdict, output, baseline, delta, timings."""
    verdict = meta.get("verdict") or "absent (the notes gave none)"
    expectation = f"{_json(meta.get('expect'))} — notes' verdict: <b>{_escape(verdict)}</b>"
    if meta.get("note"):
        expectation += f" ({_escape(meta['note'])})"
    if meta.get("doubtful"):
        expectation += f"<br><i>doubtful record: {_escape(meta['doubtful'])}</i>"
    baseline = entry.get("baseline")
    if baseline is None:
        shown_baseline = f"none ({_escape(meta.get('baseline_file'))} does not exist)"
    else:
        provenance = ", ".join(f"{k}={v}" for k, v in (baseline.get("provenance") or {}).items())
        shown_baseline = f"{_json(baseline.get('output'))}<br><small>{_escape(provenance)}</small>"
    tolerance = entry.get("tolerance") or meta["tolerance"]
    delta = "" if entry.get("delta") is None else f"{entry['delta']:.3g}"
    allowed = "" if entry.get("allowed") is None else f" (allowed here {entry['allowed']:.3g})"
    changes = "; ".join(f"{k}: {v['baseline']} → {v['run']}" for k, v in entry["provenance_differences"].items())
    timing = []
    if drift_plugin.LOAD_PROPERTY in data:
        timing.append(f"model load {data[drift_plugin.LOAD_PROPERTY]:.3f} s (once per session)")
    if drift_plugin.INFERENCE_PROPERTY in data:
        timing.append(f"inference {data[drift_plugin.INFERENCE_PROPERTY]:.4f} s (its batch)")
    rows = [
        ("Probe", f"{_escape(meta['suite'])}/{_escape(meta['probe'])} — notes: {_escape(meta.get('source'))}"),
        ("Input", media_html(meta.get("input"), roots) or _json(meta.get("input"))),
        ("Expectation", expectation),
        ("Output", _json(data["output"]) if "output" in data else "none (the probe did not run)"),
        ("Baseline", shown_baseline),
        ("Delta / tolerance", f"{delta}{allowed} — tolerance abs {tolerance['abs']:g} / rel {tolerance['rel']:g} "
                              f"({_escape(tolerance['tier'])})"),
        ("Status", f"<b>{_escape(entry['status'])}</b>" + "".join(
            f"<br>{_escape(d)}" for d in entry.get("differences", []))),
        ("Provenance changed", _escape(changes or "nothing (revision, transformers, torch, device, dtype agree)")),
        ("Model", f"{_escape(meta['model'])}@{_escape(meta['revision'])}"),
        ("Time", _escape(", ".join(timing) or "not measured")),
    ]
    body = "".join(f"<tr><th>{name}</th><td>{value}</td></tr>" for name, value in rows)
    return (
        '<table class="pipeprobe" style="font-family:sans-serif;font-size:13px;border-collapse:collapse;'
        f'margin:4px 0">{body}</table>'
    ).replace("<th>", '<th style="text-align:left;padding:2px 8px;vertical-align:top">')


class HtmlReport:
    """Adds pipeprobe's columns, details and environment to pytest-html's report."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        # Only where pytest-html writes: with --html, and not on an xdist worker (the controller
        # adds the details to the reports it receives).
        self.active = bool(getattr(config.option, "htmlpath", None)) and not hasattr(config, "workerinput")
        self.values: dict[str, set[str]] = {"task": set(), "lang": set(), "probe_status": set()}
        self.statuses: dict[tuple[str, str], str] = {}
        self._run: dict[str, Any] | None = None

    @property
    def runner(self) -> Any:
        from pipeprobe.plugin import RUNNER_KEY

        return self.config.stash[RUNNER_KEY]

    def _entry(self, data: dict[str, Any]) -> dict[str, Any]:
        if self._run is None:
            self._run = drift.run_provenance(self.runner.target)
        return drift.probe_entry(data["meta"], data.get("output"), "output" in data, self._run)

    def status_of(self, data: dict[str, Any], entry: dict[str, Any]) -> str:
        meta = data["meta"]
        if meta["test"] == "baseline" or entry["status"] == drift.WEAKNESS_PASSING:
            return entry["status"]
        if entry["expectation"] is None:
            return "not run"
        weakness = " (known weakness)" if meta.get("known_weakness") else ""
        return f"expectation {entry['expectation']}{weakness}"

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        if not self.active:
            return
        from pytest_metadata.plugin import metadata_key

        session.config.stash[metadata_key].update(run_environment(session.config, self.runner))

    def pytest_html_report_title(self, report: Any) -> None:
        report.title = "pipeprobe report"

    def pytest_html_results_table_header(self, cells: list[str]) -> None:
        for offset, (name, label) in enumerate(COLUMNS):
            cells.insert(2 + offset, f'<th class="sortable" data-column-type="{name}">{label}</th>')

    def pytest_html_results_table_row(self, report: pytest.TestReport, cells: list[str]) -> None:
        data = drift_plugin.properties(report)
        values = dict.fromkeys((name for name, _ in COLUMNS), "")
        if data:
            meta, entry = data["meta"], self._entry(data)
            values.update(task=meta["task"], lang=meta["lang"], probe_status=self.status_of(data, entry),
                          model=f"{meta['model']}@{meta['revision']}")
            for name in self.values:
                self.values[name].add(values[name])
            if meta["test"] == "baseline" or (meta["suite"], meta["probe"]) not in self.statuses:
                self.statuses[(meta["suite"], meta["probe"])] = entry["status"]
        for offset, (name, _) in enumerate(COLUMNS):
            cells.insert(2 + offset, f'<td class="col-{name}">{html.escape(values[name])}</td>')

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Attach the probe's details as an HTML extra to the report pytest-html shows."""
        if not self.active or not (report.when == "call" or (report.when == "setup" and not report.passed)):
            return
        data = drift_plugin.properties(report)
        if not data:
            return
        from pytest_html import extras

        fixtures = self.config.rootpath / self.config.getini("pipeprobe_fixtures")
        roots = [fixtures / "media", fixtures, self.config.rootpath]
        content = details_html(self._entry(data), data["meta"], data, roots)
        report.extras = [*getattr(report, "extras", []), extras.html(content)]

    def pytest_html_results_summary(self, prefix: list[str], summary: list[str], postfix: list[str],
                                    session: pytest.Session) -> None:
        if not any(self.values.values()):
            return
        selects = []
        for name, label in COLUMNS[:3]:
            options = "".join(f"<option>{html.escape(v)}</option>" for v in sorted(self.values[name]) if v)
            selects.append(f'{label}: <select id="pp-{name}" onchange="ppApplyFilters()">'
                           f'<option value="">all</option>{options}</select>')
        drift_dir = self.config.getoption("drift_report", None)
        link = ""
        if drift_dir:
            link = f' — drift report: <code>{html.escape(str(Path(drift_dir) / "drift.html"))}</code>'
        counts = {status: list(self.statuses.values()).count(status) for status in drift.STATUSES}
        badges = " ".join(
            f'<span style="background:{COLOURS[status]};color:#fff;border-radius:9px;padding:1px 8px">'
            f"{count} {html.escape(status)}</span>"
            for status, count in counts.items() if count
        )
        prefix.append(f'<p class="pipeprobe-drift">Probes against their baselines: {badges}{link}</p>')
        prefix.append(f'<p class="pipeprobe-filters">Filter probes: {" ".join(selects)}</p>{_FILTER_SCRIPT}')
