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

from pipeprobe.baselines.provenance import describe_differences, run_provenance
from pipeprobe.baselines.statuses import COLOURS, FAILING, STATUSES, WEAKNESS_PASSING
from pipeprobe.baselines.targets import describe_view
from pipeprobe.behaviour.rates import summary as rate_summary
from pipeprobe.plugin.project import for_pytest
from pipeprobe.report import style
from pipeprobe.report.record import ProbeRecord, Unavailable, from_report, outcome_of, test_kind
from pipeprobe.tolerance import tier_for

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


# The answer first: pytest-html's environment table moves into a folded section at the end, the
# run-count line speaks seconds, and the summary's tiles get their style (its badges, the drift page's: style.BADGE).
_LAYOUT = "<style>" + style.BADGE + """
.pp-answer{margin:6px 0 10px}.pp-tile{display:inline-block;border:2px solid;border-radius:6px;padding:2px 10px;
margin:2px 6px 2px 0;font-size:15px}.pp-tile b{font-size:20px}.pp-skips{margin:4px 0;color:#555}
details.pipeprobe-skipped,details.pp-environment{margin:8px 0}details summary{cursor:pointer}
.log details summary{font-family:sans-serif;color:#555}
.logwrapper:has(.log>details:not([open])){overflow-y:visible}.logwrapper:has(.log>details) .logexpander{display:none}
.logwrapper:has(.log>details) .log{top:0;height:auto;min-height:0}
.pp-answer>div{display:flex;flex-wrap:wrap;align-items:center}
@media (max-width:600px){body{overflow-wrap:break-word}.controls,.filters{display:flex;flex-wrap:wrap}
 #results-table{table-layout:fixed;width:100%}
 #results-table td,#results-table th{font-size:12px;padding:3px}
 #results-table .col-lang,#results-table .col-model,#results-table .col-task,#results-table .col-links,
 #results-table th[data-column-type=lang],#results-table th[data-column-type=model],
 #results-table th[data-column-type=task],#results-table thead th:last-child{display:none}
 table.pipeprobe{table-layout:fixed;width:100%}table.pipeprobe th{width:5.5em}table.pipeprobe code{white-space:pre-wrap}
 html,body{max-width:100vw;min-width:0!important;overflow-x:hidden}.summary,.summary__data{min-width:0;width:auto}
 .filters span{white-space:normal}}
</style><script>
window.addEventListener('load',function(){
  var header=document.getElementById('environment-header'),table=document.getElementById('environment');
  if(header&&table){var box=document.createElement('details');box.className='pp-environment';
    box.innerHTML='<summary>Environment: libraries, device, tolerance tier, model map</summary>';
    box.appendChild(table);header.remove();document.body.insertBefore(box,document.querySelector('footer'));}
  var count=document.querySelector('.run-count');
  if(count){count.textContent=count.textContent.replace(/(\\d+):(\\d+):(\\d+)/,function(_,h,m,s){
    return (3600*h+60*m+1*s)+' s';});}
});
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


def run_environment(runner: Any, model_map: str | None, root: Path | None = None) -> dict[str, str]:
    """The rows this plugin adds to pytest-html's environment table (``root``: the project, for its git commit)."""
    run = run_provenance(runner.target, model_map, root=root)
    tier = tier_for(runner.target.device, runner.target.dtype)
    return {
        "pipeprobe": run["pipeprobe"], "transformers": run["transformers"], "torch": run["torch"],
        "tokenizers": run["tokenizers"], "Python": run["python"],
        "Device": f"{run['device']} ({run['device_name']})", "dtype": run["dtype"],
        "Tolerance tier": tier.describe(), "Model map": run["model_map"], "Date": run["date"],
        **({"Project commit": run["project_commit"] + (" (uncommitted changes)" if run.get("project_dirty") else "")}
           if run.get("project_commit") else {}),
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


def from_notes(record: ProbeRecord) -> bool:
    """A probe the study notes recorded (it names its place in them); every other probe is the team's."""
    return bool(record.source)


def person_verdict(record: ProbeRecord) -> str | None:
    """The verdict a person gave the probe's answer (the notes' aprovado/reprovado, or the team's right/wrong).

    The record's ``verdict`` is being split into the person's verdict and the baseline Verdict; read either."""
    for name in ("notes_verdict", "person_verdict", "verdict"):
        value = getattr(record, name, None)
        if isinstance(value, str) and value:
            return value
    return None


def _expectation_cell(record: ProbeRecord) -> str:
    verdict = person_verdict(record)
    if from_notes(record):
        said = f" — notes' verdict: <b>{_escape(verdict or 'absent (the notes gave none)')}</b>"
    else:
        said = f" — the team's verdict: <b>{_escape(verdict)}</b>" if verdict else ""
    result = f"<br>this run: <b>{_escape(record.expectation)}</b>" if record.expectation else ""
    return f"{_json(record.expect)}{said}{result}"


def details_html(record: ProbeRecord, roots: list[Path]) -> str:
    """One probe's table: input, expectation and verdict, output, baseline, delta, timings."""
    expectation = _expectation_cell(record)
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
    changes = "; ".join(describe_differences(comparison.get("provenance_differences") or {}))
    timing = []
    if record.load_s is not None:
        timing.append(f"model load {record.load_s * 1000:.0f} ms (once per session)")
    if record.inference_s is not None:
        timing.append(f"inference {record.inference_s * 1000:.1f} ms (its batch)")
    if record.unavailable is not None:
        output = f"none: {_escape(record.unavailable.model)} unavailable ({_escape(record.unavailable.reason)})"
    else:
        output = _json(record.output) if record.has_output else f"none ({_escape(record.not_run or 'did not run')})"
    if getattr(record, "case_test", None):  # a test of many cases: its row and examples; the cases are in drift.json
        from pipeprobe.report.capabilities import html_table

        output = html_table([record.case_test]) + "<small>every case, with predictions: drift.json</small>"
        if baseline is not None and isinstance(baseline.get("output"), dict):
            shown_baseline = _escape(f"fail rate {baseline['output'].get('fail_rate')} over "
                                     f"{baseline['output'].get('cases')} cases")
    rows = [
        ("Probe", f"{_escape(record.suite)}/{_escape(record.probe)}"
                  + (f" — notes: {_escape(record.source)}" if from_notes(record) else "")),
        ("Input", media_html(record.input, roots) or _json(record.input)),
        ("Expectation", expectation),
        ("Output", output),
        *([("Rate", _escape(rate))] if (rate := rate_summary(record.output)) else []),  # metamorphic or stochastic
        ("Baseline", shown_baseline),
        ("Delta / tolerance", f"{delta}{allowed} — tolerance abs {tolerance['abs']:g} / rel {tolerance['rel']:g} "
                              f"({_escape(tolerance['tier'])})"),
        ("Status", f"<b>{_escape(record.status)}</b>" + "".join(
            f"<br>{_escape(d)}" for d in comparison.get("differences", []))),
        ("Provenance changed", _escape(changes or "nothing (model files, probe, libraries, target agree)")),
        ("Model", _escape(record.load or f"{record.model}@{record.revision}")),
        ("Time", _escape(", ".join(timing) or "not measured")),
    ]
    body = "".join(f"<tr><th>{name}</th><td>{value}</td></tr>" for name, value in rows)
    return (
        '<table class="pipeprobe" style="font-family:sans-serif;font-size:13px;border-collapse:collapse;'
        f'margin:4px 0">{body}</table>'
    ).replace("<th>", '<th style="text-align:left;padding:2px 8px;vertical-align:top">')


def duration_ms(seconds: float) -> str:
    """A duration in the report's one unit."""
    return f"{round(seconds * 1000)} ms"


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
        self.probe_outcomes: dict[tuple[str, str], set[str]] = {}
        self.probes_ran: set[tuple[str, str]] = set()
        self.skip_reasons: dict[str, set[str]] = {}  # reason -> probes (or suite modules) it skipped
        self.case_tests: dict[tuple[str, str], dict[str, Any]] = {}  # tests of many cases: capability table rows

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        if not self.active:
            return
        from pytest_metadata.plugin import metadata_key

        session.config.stash[metadata_key].update(run_environment(self.runner, self.model_map, self.config.rootpath))

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
        for index, cell in enumerate(cells):  # one unit (ms) in every row; pytest-html's sort reads the integer
            if cell.startswith('<td class="col-duration">'):
                cells[index] = f'<td class="col-duration">{duration_ms(report.duration)}</td>'

    def pytest_html_results_table_html(self, report: pytest.TestReport, data: list[str]) -> None:
        """A skipped probe's log is one line saying why, never pytest's raw (file, line, reason) tuple; a
        failed probe's traceback is folded (its details above already say what failed)."""
        record = from_report(report)
        if record is None:
            return
        if report.failed:
            data[:] = [f"<details><summary>pytest's traceback and captured output</summary>{''.join(data)}</details>"]
            return
        if not report.skipped or hasattr(report, "wasxfail"):
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
        self.probe_outcomes.setdefault(record.key, set()).add(outcome)
        if record.has_output:
            self.probes_ran.add(record.key)
        if getattr(record, "case_test", None):
            self.case_tests[record.key] = record.case_test
        elif record.unavailable is None and outcome == "skipped" and isinstance(report.longrepr, tuple):
            reason = str(report.longrepr[2]).removeprefix("Skipped: ")
            self.skip_reasons.setdefault(reason, set()).add("/".join(record.key))
        if report.skipped and not hasattr(report, "wasxfail"):
            return  # the summary says why, once per model
        from pytest_html import extras

        fixtures = for_pytest(self.config).fixtures
        roots = [fixtures / "media", fixtures, self.config.rootpath]
        report.extras = [*getattr(report, "extras", []), extras.html(details_html(record, roots))]

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        """A suite module that skipped as a whole (an extra it needs is missing): one reason, counted once."""
        if self.active and report.skipped and isinstance(report.longrepr, tuple):
            reason = str(report.longrepr[2]).removeprefix("Skipped: ")
            self.skip_reasons.setdefault(reason, set()).add(f"module {report.nodeid}")

    def pytest_html_results_summary(self, prefix: list[str], summary: list[str], postfix: list[str],
                                    session: pytest.Session) -> None:
        prefix.append(_LAYOUT)
        if self.probe_outcomes or self.skip_reasons:
            prefix.append(self._answer())
        ran = sum(n for outcome, n in self.outcomes.items() if outcome != "skipped")
        total = sum(self.outcomes.values())
        if total:
            prefix.append(f'<p class="pipeprobe-ran">{ran} of {total} tests ran.</p>')
        if self.case_tests:
            from pipeprobe.report.capabilities import html_table

            prefix.append("<h3>Capabilities (tests of many cases)</h3>" + html_table(list(self.case_tests.values())))
        if any(self.values.values()):
            prefix.append(self._probes_line())
            prefix.append(self._filters())
        if self.unavailable:
            postfix.append(self._unavailable())

    def _answer(self) -> str:
        """The run's answer in one line of tiles: probes ran, held, drifted, failed; skipped by reason."""
        failed = {key for key, outcomes in self.probe_outcomes.items() if outcomes & {"failed", "error"}}
        drifted = {key for key in failed if self.statuses.get(key) in FAILING}
        held = self.probes_ran - failed
        not_run = set(self.probe_outcomes) - self.probes_ran - failed  # an error at setup counts as failed
        tiles = [("ran", len(self.probes_ran), "#333"), ("held", len(held), COLOURS.get("unchanged", "#1a7f37")),
                 ("drifted", len(drifted), COLOURS.get("drifted", "#c0392b")),
                 ("failed", len(failed - drifted), "#c0392b"), ("skipped", len(not_run), "#777")]
        shown = "".join(f'<span class="pp-tile" style="border-color:{colour}"><b style="color:{colour}">{count}'
                        f"</b> {name}</span>" for name, count, colour in tiles)
        reasons = []
        if self.unavailable:
            probes = sum(len(keys) for keys in self.skipped_probes.values())
            models = len(self.unavailable)
            reasons.append(f"{probes} probe{'s' if probes != 1 else ''}: {models} model"
                           f"{'s' if models != 1 else ''} unavailable (listed at the end)")
        for reason, what in sorted(self.skip_reasons.items()):
            reasons.append(f"{len(what)} {'module' if all(w.startswith('module ') for w in what) else 'probe'}"
                           f"{'s' if len(what) != 1 else ''}: {reason}")
        why = " · ".join(html.escape(reason) for reason in reasons)
        return (f'<div class="pp-answer"><div>Probes: {shown}</div>'
                + (f'<p class="pp-skips">Skipped by reason: {why}</p>' if why else "") + "</div>")

    def _probes_line(self) -> str:
        drift_dir = self.config.getoption("drift_report", None)
        link = ""
        if drift_dir:
            link = f' — drift report: <code>{html.escape(str(Path(drift_dir) / "drift.html"))}</code>'
        counts = {status: list(self.statuses.values()).count(status) for status in STATUSES}
        badges = "".join(style.badge(COLOURS[status], f"{count} {status}") for status, count in counts.items() if count)
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
        return (f'<details class="pipeprobe-skipped"><summary>Skipped: the probes of {len(self.unavailable)} '
                f'unavailable model{"s" if len(self.unavailable) != 1 else ""} (their rows are collapsed, last)'
                f'</summary><ul>{"".join(lines)}</ul><p>To run them: {html.escape(how)}.</p></details>')
