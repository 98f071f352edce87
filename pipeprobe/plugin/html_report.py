"""pytest-html 4 hooks: what needs a decision first, the environment, per-probe columns and details.

Registered by the plugin only when pytest-html is installed; active with ``--html``. Every
per-probe value comes from the ProbeRecord on the test report (``report.record``), so it
works the same on the xdist controller. Rows sort by what needs a decision (failed, drifted,
changed first, expanded); passed, xfailed and skipped rows open collapsed (pytest-html's
``initial_sort`` and ``render_collapsed``, set here unless the project sets them), skipped
rows grouped by their missing model, which the summary lists once with how to supply it.
"""

from __future__ import annotations

import base64
import html
import json
import mimetypes
from pathlib import Path
from typing import Any

import pytest

from pipeprobe.baselines.compare import tier_for
from pipeprobe.baselines.provenance import run_provenance
from pipeprobe.baselines.targets import describe_view
from pipeprobe.behaviour.rates import summary as rate_summary
from pipeprobe.config import for_pytest
from pipeprobe.report.record import ProbeRecord, Unavailable, from_report, outcome_of, test_kind
from pipeprobe.report.statuses import COLOURS, FAILING, STATUSES, WEAKNESS_PASSING

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


def run_environment(runner: Any, model_map: str | None) -> dict[str, str]:
    """The rows this plugin adds to pytest-html's environment table."""
    run = run_provenance(runner.target, model_map)
    tier = tier_for(runner.target.device, runner.target.dtype)
    return {
        "pipeprobe": run["pipeprobe"], "transformers": run["transformers"], "torch": run["torch"],
        "tokenizers": run["tokenizers"], "Python": run["python"],
        "Device": f"{run['device']} ({run['device_name']})", "dtype": run["dtype"],
        "Tolerance tier": tier.describe(), "Model map": run["model_map"], "Date": run["date"],
    }


def decision_rank(outcome: str, record: ProbeRecord | None, kind: str) -> str:
    """A sort key: what needs a decision first; skipped rows grouped by their missing model."""
    if record is None:
        return {"failed": "1", "error": "1"}.get(outcome, "7")
    if outcome in ("failed", "error"):
        return "0" if kind == "baseline" and record.baseline_status in FAILING else "1"
    if record.status == WEAKNESS_PASSING or outcome == "xpassed":
        return "2"
    if outcome == "skipped":
        model = record.unavailable.model if record.unavailable else "~"
        return f"6 {model}"
    return {"passed": "5", "xfailed": "4"}.get(outcome, "5")


def probe_status(record: ProbeRecord, kind: str) -> str:
    """What the "Probe status" column says for one of the probe's two tests."""
    if record.unavailable is not None:
        return f"not run: {record.unavailable.model} unavailable"
    if not record.has_output:
        return "not run"
    if kind == "baseline" or record.status == WEAKNESS_PASSING:
        return record.status
    if record.expectation is None:
        return "not judged"
    weakness = " (known weakness)" if record.known_weakness else ""
    return f"expectation {record.expectation}{weakness}"


def details_html(record: ProbeRecord, roots: list[Path]) -> str:
    """One probe's table: input, expectation and verdict, output, baseline, delta, timings."""
    verdict = record.verdict or "absent (the notes gave none)"
    expectation = f"{_json(record.expect)} — notes' verdict: <b>{_escape(verdict)}</b>"
    if record.note:
        expectation += f" ({_escape(record.note)})"
    if record.doubtful:
        expectation += f"<br><i>doubtful record: {_escape(record.doubtful)}</i>"
    if record.expectation_problems:
        expectation += "<br>" + "<br>".join(_escape(problem) for problem in record.expectation_problems)
    baseline = record.baseline
    if baseline is None:
        shown_baseline = f"none ({_escape(record.baseline_file)} does not exist)"
    else:
        provenance = ", ".join(f"{k}={v}" for k, v in (baseline.get("provenance") or {}).items())
        shown_baseline = f"{_json(baseline.get('output'))}<br><small>{_escape(provenance)}</small>"
        for line in describe_view(baseline):  # which target's values; calibrate's noise (pipeprobe.baselines.targets)
            shown_baseline += f"<br><b>{_escape(line)}</b>" if line.startswith("FRAGILE") else f"<br>{_escape(line)}"
    comparison = record.comparison
    tolerance = comparison.get("tolerance") or {"abs": 0.0, "rel": 0.0, "tier": ""}
    delta = "" if comparison.get("delta") is None else f"{comparison['delta']:.3g}"
    allowed = "" if comparison.get("allowed") is None else f" (allowed here {comparison['allowed']:.3g})"
    changes = "; ".join(f"{k}: {v['baseline']} → {v['run']}"
                        for k, v in (comparison.get("provenance_differences") or {}).items())
    timing = []
    if record.load_s is not None:
        timing.append(f"model load {record.load_s:.3f} s (once per session)")
    if record.inference_s is not None:
        timing.append(f"inference {record.inference_s:.4f} s (its batch)")
    if record.unavailable is not None:
        output = f"none: {_escape(record.unavailable.model)} unavailable ({_escape(record.unavailable.reason)})"
    else:
        output = _json(record.output) if record.has_output else f"none ({_escape(record.not_run or 'did not run')})"
    rows = [
        ("Probe", f"{_escape(record.suite)}/{_escape(record.probe)} — notes: {_escape(record.source)}"),
        ("Input", media_html(record.input, roots) or _json(record.input)),
        ("Expectation", expectation),
        ("Output", output),
        *([("Rate", _escape(rate))] if (rate := rate_summary(record.output)) else []),  # metamorphic or stochastic
        ("Baseline", shown_baseline),
        ("Delta / tolerance", f"{delta}{allowed} — tolerance abs {tolerance['abs']:g} / rel {tolerance['rel']:g} "
                              f"({_escape(tolerance['tier'])})"),
        ("Status", f"<b>{_escape(record.status)}</b>" + "".join(
            f"<br>{_escape(d)}" for d in comparison.get("differences", []))),
        ("Provenance changed", _escape(changes or "nothing (revision, transformers, torch, device, dtype agree)")),
        ("Model", _escape(record.load or f"{record.model}@{record.revision}")),
        ("Time", _escape(", ".join(timing) or "not measured")),
    ]
    body = "".join(f"<tr><th>{name}</th><td>{value}</td></tr>" for name, value in rows)
    return (
        '<table class="pipeprobe" style="font-family:sans-serif;font-size:13px;border-collapse:collapse;'
        f'margin:4px 0">{body}</table>'
    ).replace("<th>", '<th style="text-align:left;padding:2px 8px;vertical-align:top">')


def _badge(colour: str, text: str) -> str:
    return (f'<span style="background:{colour};color:#fff;border-radius:9px;padding:1px 8px">'
            f"{html.escape(text)}</span>")


class HtmlReport:
    """Adds pipeprobe's order, columns, details and environment to pytest-html's report."""

    def __init__(self, config: pytest.Config, runner: Any, model_map: str | None) -> None:
        self.config = config
        self.runner = runner
        self.model_map = model_map
        # Only where pytest-html writes: with --html, and not on an xdist worker (the controller
        # adds the details to the reports it receives).
        self.active = bool(getattr(config.option, "htmlpath", None)) and not hasattr(config, "workerinput")
        self.values: dict[str, set[str]] = {"task": set(), "lang": set(), "probe_status": set()}
        self.statuses: dict[tuple[str, str], str] = {}
        self.unavailable: dict[str, Unavailable] = {}
        self.skipped_probes: dict[str, set[tuple[str, str]]] = {}
        self.outcomes: dict[str, int] = {}

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        if not self.active:
            return
        from pytest_metadata.plugin import metadata_key

        session.config.stash[metadata_key].update(run_environment(self.runner, self.model_map))

    def pytest_html_report_title(self, report: Any) -> None:
        report.title = "pipeprobe report"
        # pytest-html's own settings, unless the project chose other values than pytest-html's
        # defaults: what needs a decision first and open; passed, xfailed and skipped rows collapsed
        if self.config.getini("initial_sort") == "result":
            report.set_data("initialSort", "probe_status")
        if self.config.getini("render_collapsed").strip().lower() == "passed":
            report.set_data("renderCollapsed", ["passed", "skipped", "xfailed"])

    def pytest_html_results_table_header(self, cells: list[str]) -> None:
        for offset, (name, label) in enumerate(COLUMNS):
            cells.insert(2 + offset, f'<th class="sortable" data-column-type="{name}">{label}</th>')

    def pytest_html_results_table_row(self, report: pytest.TestReport, cells: list[str]) -> None:
        record = from_report(report)
        kind = test_kind(report)
        outcome = outcome_of(report)
        values = dict.fromkeys((name for name, _ in COLUMNS), "")
        if record is not None:
            values.update(task=record.task, lang=record.lang or "", probe_status=probe_status(record, kind),
                          model=f"{record.model}@{record.revision}")
            for name in self.values:
                self.values[name].add(values[name])
        for offset, (name, _) in enumerate(COLUMNS):
            shown = html.escape(values[name])
            if name == "probe_status":  # the sort key rides in a comment: sortable, not shown
                shown = f"<!--{html.escape(decision_rank(outcome, record, kind))}-->{shown}"
            cells.insert(2 + offset, f'<td class="col-{name}">{shown}</td>')

    def pytest_html_results_table_html(self, report: pytest.TestReport, data: list[str]) -> None:
        """A skipped probe's log is one line saying why, never pytest's raw (file, line, reason) tuple."""
        record = from_report(report)
        if record is None or not report.skipped or hasattr(report, "wasxfail"):
            return
        if record.unavailable is not None:
            data[:] = [f"not run: model {record.unavailable.model} unavailable ({record.unavailable.reason})"]
        elif isinstance(report.longrepr, tuple):
            data[:] = [f"skipped: {str(report.longrepr[2]).removeprefix('Skipped: ')}"]

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Keep what the summary counts, and attach the probe's details as an HTML extra."""
        if not self.active:
            return
        if report.when == "call" or (report.when == "setup" and not report.passed):
            outcome = outcome_of(report)
            self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1
        else:
            return
        record = from_report(report)
        if record is None:
            return
        if record.unavailable is not None:
            self.unavailable[record.unavailable.model] = record.unavailable
            self.skipped_probes.setdefault(record.unavailable.model, set()).add(record.key)
        if test_kind(report) == "baseline" or record.key not in self.statuses:
            self.statuses[record.key] = record.status
        if report.skipped and not hasattr(report, "wasxfail"):
            return  # the summary says why, once per model
        from pytest_html import extras

        fixtures = for_pytest(self.config).fixtures
        roots = [fixtures / "media", fixtures, self.config.rootpath]
        report.extras = [*getattr(report, "extras", []), extras.html(details_html(record, roots))]

    def pytest_html_results_summary(self, prefix: list[str], summary: list[str], postfix: list[str],
                                    session: pytest.Session) -> None:
        ran = sum(n for outcome, n in self.outcomes.items() if outcome != "skipped")
        total = sum(self.outcomes.values())
        if total:
            skipped = self.outcomes.get("skipped", 0)
            line = f"{ran} of {total} tests ran"
            if skipped:
                line += f"; {skipped} skipped" + (
                    f", {len(self.unavailable)} model{'s' if len(self.unavailable) != 1 else ''} unavailable"
                    if self.unavailable else "")
            prefix.append(f'<p class="pipeprobe-ran">{html.escape(line)}.</p>')
        if any(self.values.values()):
            prefix.append(self._probes_line())
            prefix.append(self._filters())
        if self.unavailable:
            prefix.append(self._unavailable())

    def _probes_line(self) -> str:
        drift_dir = self.config.getoption("drift_report", None)
        link = ""
        if drift_dir:
            link = f' — drift report: <code>{html.escape(str(Path(drift_dir) / "drift.html"))}</code>'
        counts = {status: list(self.statuses.values()).count(status) for status in STATUSES}
        badges = " ".join(_badge(COLOURS[status], f"{count} {status}") for status, count in counts.items() if count)
        return f'<p class="pipeprobe-drift">Probes against their baselines: {badges}{link}</p>'

    def _filters(self) -> str:
        selects = []
        for name, label in COLUMNS[:3]:
            options = "".join(f"<option>{html.escape(v)}</option>" for v in sorted(self.values[name]) if v)
            selects.append(f'{label}: <select id="pp-{name}" onchange="ppApplyFilters()">'
                           f'<option value="">all</option>{options}</select>')
        return f'<p class="pipeprobe-filters">Filter probes: {" ".join(selects)}</p>{_FILTER_SCRIPT}'

    def _unavailable(self) -> str:
        lines = []
        for model, unavailable in sorted(self.unavailable.items()):
            count = len(self.skipped_probes.get(model, ()))
            lines.append(f"<li><b>{html.escape(model)}</b>: {count} probe{'s' if count != 1 else ''} not run — "
                         f"{html.escape(unavailable.reason)}</li>")
        how = next(iter(self.unavailable.values())).how
        return (f'<div class="pipeprobe-skipped"><p>Skipped: the probes of {len(self.unavailable)} unavailable '
                f'model{"s" if len(self.unavailable) != 1 else ""} (their rows are collapsed, last):</p>'
                f'<ul>{"".join(lines)}</ul><p>To run them: {html.escape(how)}.</p></div>')
