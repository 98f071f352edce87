"""``--carbon``: energy (kWh) and CO2-equivalent per model load and per suite, with codecarbon.

codecarbon's ``OfflineEmissionsTracker`` (no network: the carbon intensity comes from its
bundled energy-mix table for ``--carbon-country``, an ISO 3166 alpha-3 code) measures this
process (``tracking_mode="process"``: the machine may be shared). The session is cut into
segments with its task API: a model load is its own segment (wrapped around the session's
model cache), everything else belongs to the suite whose test is running. Under
pytest-xdist each worker measures itself and sends its totals to the controller
(``workeroutput``). The results go to the terminal summary, ``drift.json`` (key ``carbon``)
and pytest-html's environment table. codecarbon absent, a platform it can't measure, or a
failure while measuring: one line in the summary, never a failed run.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from pipeprobe import atomic, strict_json
from pipeprobe.report.render import strict

COUNTRY_ENV = "PIPEPROBE_CARBON_COUNTRY"
DEFAULT_COUNTRY = "USA"
WORKER_KEY = "pipeprobe_carbon"
INSTALL_HINT = "pip install 'pipeprobe[carbon]'"


def addoption(group: Any) -> None:
    """The plugin's options (called from ``plugin.pytest_addoption``)."""
    group.addoption("--carbon", action="store_true",
                    help="measure energy (kWh) and CO2eq per model load and per suite (codecarbon, offline)")
    group.addoption("--carbon-country", default=None, metavar="ISO3",
                    help=f"country whose energy mix gives the CO2eq (ISO 3166 alpha-3, e.g. FRA, BRA; "
                         f"default ${COUNTRY_ENV} or {DEFAULT_COUNTRY})")


def plugins(config: pytest.Config, runner: Any) -> list[tuple[Any, str]]:
    """The meter when ``--carbon`` is given, named (``wiring.configure`` registers it)."""
    if not config.getoption("carbon", False):
        return []
    country = (config.getoption("carbon_country", None) or os.environ.get(COUNTRY_ENV) or DEFAULT_COUNTRY).upper()
    problem = check_country(country)
    if problem:
        raise pytest.UsageError(problem)
    return [(CarbonPlugin(config, runner, country), "pipeprobe-carbon")]


def check_country(country: str) -> str | None:
    """None, or one line saying why ``country`` can't be used (only checked where codecarbon is installed)."""
    if len(country) != 3 or not country.isalpha():
        return f"--carbon-country {country!r}: give an ISO 3166 alpha-3 code, e.g. USA, FRA, BRA"
    try:
        import codecarbon
    except ImportError:
        return None
    return _country_problem(country, Path(codecarbon.__file__).parent / "data/private_infra/global_energy_mix.json")


def _country_problem(country: str, table: Path) -> str | None:
    """``check_country`` against codecarbon's energy-mix ``table``: absent (another codecarbon), not checked;
    not strict JSON (a duplicated country would be ambiguous), one line naming it."""
    if not table.is_file():
        return None
    try:
        known = strict_json.read(table)
    except strict_json.StrictJSONError as error:
        return f"--carbon-country {country}: codecarbon's energy-mix table {table} is unusable: {error}"
    if not isinstance(known, dict):
        return f"--carbon-country {country}: codecarbon's energy-mix table {table} is not a mapping of countries"
    if country not in known:
        return f"--carbon-country {country}: codecarbon has no energy mix for it (its table: {table.name})"
    return None


@dataclass
class Energy:
    kwh: float = 0.0
    kg_co2eq: float = 0.0
    seconds: float = 0.0

    def add(self, other: Energy) -> None:
        self.kwh += other.kwh
        self.kg_co2eq += other.kg_co2eq
        self.seconds += other.seconds

    def as_dict(self) -> dict[str, float]:
        return {"kwh": self.kwh, "kg_co2eq": self.kg_co2eq, "seconds": round(self.seconds, 3)}


@dataclass
class Meter:
    """One process's measurements: segments of a codecarbon offline tracker, summed by label."""

    country: str
    tracker: Any = None
    problem: str | None = None
    method: str = ""
    loads: dict[str, Energy] = field(default_factory=dict)
    suites: dict[str, Energy] = field(default_factory=dict)
    _open: str | None = None
    _count: int = 0

    def start(self) -> None:
        try:
            from codecarbon import OfflineEmissionsTracker
        except ImportError:
            self.problem = f"codecarbon is not installed ({INSTALL_HINT}): energy and CO2eq not measured"
            return
        logging.getLogger("codecarbon").setLevel(logging.ERROR)
        try:
            self.tracker = OfflineEmissionsTracker(
                country_iso_code=self.country, output_methods=[], log_level="error", tracking_mode="process",
                allow_multiple_runs=True,
            )
        except Exception as error:  # noqa: BLE001 - an unsupported platform is one line, not a failed run
            self.fail(error)

    def fail(self, error: BaseException) -> None:
        self.tracker, self._open = None, None
        self.problem = f"codecarbon could not measure on this platform: {type(error).__name__}: {error}"

    def begin(self, label: str) -> None:
        if self.tracker is None:
            return
        self._count += 1
        label = f"{label} #{self._count}"  # codecarbon keys tasks by name: each segment its own
        try:
            self.tracker.start_task(label)
            self._open = label
        except Exception as error:  # noqa: BLE001
            self.fail(error)

    def end(self) -> Energy | None:
        if self.tracker is None or self._open is None:
            return None
        label, self._open = self._open, None
        try:
            data = self.tracker.stop_task(label)
        except Exception as error:  # noqa: BLE001
            self.fail(error)
            return None
        if data is None:
            return None
        return Energy(float(data.energy_consumed or 0.0), float(data.emissions or 0.0), float(data.duration or 0.0))

    def stop(self) -> None:
        if self.tracker is not None:
            self.method = ", ".join(  # what codecarbon could measure here (RAPL, a load-based estimate...)
                f"{type(part).__name__} {getattr(part, '_mode', None) or 'estimate'}"
                for part in getattr(self.tracker, "_hardware", [])
            )
            try:
                self.tracker.stop()
            except Exception:  # noqa: BLE001,S110 - the measurements are already taken
                pass

    def results(self) -> dict[str, Any]:
        total = Energy()
        for energy in self.suites.values():
            total.add(energy)
        return {
            "country": self.country, "method": self.method, "problem": self.problem,
            "loads": {name: energy.as_dict() for name, energy in sorted(self.loads.items())},
            "suites": {name: energy.as_dict() for name, energy in sorted(self.suites.items())},
            "total": total.as_dict(),
        }


def merge(results: list[dict[str, Any]]) -> dict[str, Any]:
    """The sum of several processes' results (xdist workers)."""
    merged: dict[str, Any] = {"loads": {}, "suites": {}, "total": Energy()}
    for result in results:
        for part in ("loads", "suites"):
            for name, values in result.get(part, {}).items():
                merged[part].setdefault(name, Energy()).add(_energy(values))
        merged["total"].add(_energy(result.get("total", {})))
    first = results[0] if results else {}
    problems = sorted({r["problem"] for r in results if r.get("problem")})
    methods = sorted({r["method"] for r in results if r.get("suites") and r.get("method")})
    return {
        "country": first.get("country"), "method": "; ".join(methods), "problem": "; ".join(problems) or None,
        "processes": len(results),
        "loads": {k: v.as_dict() for k, v in sorted(merged["loads"].items())},
        "suites": {k: v.as_dict() for k, v in sorted(merged["suites"].items())},
        "total": merged["total"].as_dict(),
    }


def _energy(values: dict[str, Any]) -> Energy:
    return Energy(float(values.get("kwh", 0.0)), float(values.get("kg_co2eq", 0.0)), float(values.get("seconds", 0.0)))


def describe(energy: dict[str, float]) -> str:
    return f"{energy['kwh']:.3g} kWh, {energy['kg_co2eq'] * 1000:.3g} g CO2eq ({energy['seconds']:.1f} s)"


class CarbonPlugin:
    """Measures on every process that runs tests; the controller (or single process) reports."""

    def __init__(self, config: pytest.Config, runner: Any, country: str) -> None:
        self.config = config
        self.runner = runner
        self.meter = Meter(country)
        self.suite: str | None = None
        self.from_workers: list[dict[str, Any]] = []
        self.result: dict[str, Any] | None = None
        self.controller = bool(getattr(config.option, "numprocesses", None)) and not hasattr(config, "workerinput")

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        if self.controller:
            return
        self.meter.start()
        if self.meter.tracker is not None:
            self._wrap_model_cache()

    def _wrap_model_cache(self) -> None:
        """Measure each model load as its own segment (the session's model cache loads each model once)."""
        cache = getattr(self.runner, "cache", None)
        original = getattr(cache, "get", None)
        if original is None or not hasattr(cache, "record_for"):
            return

        def get(spec: Any, target: Any, task: str) -> Any:
            if cache.record_for(spec, target, task) is not None or self.meter.tracker is None:
                return original(spec, target, task)
            suite_part = self.meter.end()
            self.meter.begin(f"load {spec.id}")
            try:
                return original(spec, target, task)
            finally:
                energy = self.meter.end()
                record = cache.record_for(spec, target, task)
                if energy is not None and record is not None and not getattr(record, "error", None):
                    self.meter.loads.setdefault(f"{spec.id}@{spec.revision} ({task})", Energy()).add(energy)
                for part in (suite_part, energy):
                    if part is not None and self.suite is not None:
                        self.meter.suites.setdefault(self.suite, Energy()).add(part)
                if self.suite is not None:
                    self.meter.begin(f"suite {self.suite}")

        cache.get = get

    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        if self.meter.tracker is None:
            return
        module = getattr(item, "module", None)
        suite = str(getattr(module, "SUITE", None) or getattr(module, "__name__", item.nodeid.split("::")[0]))
        if suite == self.suite:
            return
        self._close_suite()
        self.suite = suite
        self.meter.begin(f"suite {suite}")

    def _close_suite(self) -> None:
        energy = self.meter.end()
        if energy is not None and self.suite is not None:
            self.meter.suites.setdefault(self.suite, Energy()).add(energy)

    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        data = getattr(node, "workeroutput", {}).get(WORKER_KEY)
        if data:
            self.from_workers.append(json.loads(data))

    @pytest.hookimpl(wrapper=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> Any:
        if not self.controller:
            self._close_suite()
            self.meter.stop()
        if hasattr(self.config, "workerinput"):
            self.config.workeroutput[WORKER_KEY] = json.dumps(self.meter.results())
        else:
            self.result = merge(self.from_workers) if self.controller else merge([self.meter.results()])
            self._add_to_html_environment()
        outcome = yield
        if self.result is not None:
            self._add_to_drift_report()
        return outcome

    def _add_to_html_environment(self) -> None:
        try:
            from pytest_metadata.plugin import metadata_key
        except ImportError:
            return
        metadata = self.config.stash.get(metadata_key, None)
        if metadata is None or self.result is None:
            return
        if self.result.get("problem") and not self.result["suites"]:
            metadata["Energy"] = self.result["problem"]
            return
        metadata["Energy (codecarbon)"] = (f"{describe(self.result['total'])}; country {self.result['country']}; "
                                           f"{self.result.get('method') or ''}")
        for name, energy in self.result["loads"].items():
            metadata[f"Energy: load {name}"] = describe(energy)
        for name, energy in self.result["suites"].items():
            metadata[f"Energy: suite {name}"] = describe(energy)

    def _add_to_drift_report(self) -> None:
        """Add ``carbon`` to the drift.json this session wrote (after the drift collector wrote it)."""
        directory = self.config.getoption("drift_report", None)
        path = Path(directory) / "drift.json" if directory else None
        if path is None or not path.is_file():
            return
        try:
            report = strict_json.read(path)
            if not isinstance(report, dict):
                raise strict_json.StrictJSONError("not a drift report (not a JSON object)")
            atomic.write(path, strict_json.dumps(strict({**report, "carbon": self.result})))
        except (strict_json.StrictJSONError, OSError) as error:
            why = error if isinstance(error, strict_json.StrictJSONError) else error.strerror or error
            self._say(f"pipeprobe carbon: {path}: {why}; the energy was not added to it")

    def _say(self, line: str) -> None:
        """One line on the terminal (the summary section may already be printed)."""
        terminal = self.config.pluginmanager.get_plugin("terminalreporter")
        if terminal is not None:
            terminal.write_line(line)

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.result is None:
            return
        terminalreporter.section("pipeprobe carbon")
        if self.result.get("problem"):
            terminalreporter.line(self.result["problem"])
            if not self.result["suites"]:
                return
        processes = self.result.get("processes", 1)
        scope = "this process only" if processes == 1 else f"{processes} xdist workers, each measuring itself"
        terminalreporter.line(f"codecarbon offline, country {self.result['country']}, "
                              f"{self.result.get('method') or 'estimate'}, {scope}")
        for name, energy in self.result["loads"].items():
            terminalreporter.line(f"model load {name}: {describe(energy)}")
        for name, energy in self.result["suites"].items():
            terminalreporter.line(f"suite {name} (with its loads): {describe(energy)}")
        terminalreporter.line(f"total: {describe(self.result['total'])}")
