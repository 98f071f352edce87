"""The pytest plugin: options, markers, probe parametrisation, fixtures and the summary."""

from __future__ import annotations

import json
from typing import Any

import pytest

from pipeprobe.catalogue import CatalogueError, Probe, load_catalogue
from pipeprobe.compare import tier_for
from pipeprobe.devices import DeviceError, device_name, resolve_target
from pipeprobe.model_lock import LockFileError
from pipeprobe.models import ModelMap, ModelMapError, ModelUnavailable, load_registry, model_map_path
from pipeprobe.runner import ProbeRunner
from pipeprobe.snapshots import ProbeSnapshotExtension, baseline_location, snapshot_root
from pipeprobe.tasks import adapter_for
from pipeprobe.tasks.media import MediaUnavailable, set_media_dir

RUNNER_KEY = pytest.StashKey[ProbeRunner]()
MODEL_PROPERTY = "pipeprobe_model"

MARKERS = {
    "sentiment": "sentiment-analysis probes (text-classification)",
    "zero_shot": "zero-shot classification probes",
    "text_generation": "text-generation probes",
    "fill_mask": "fill-mask probes",
    "ner": "named-entity recognition probes",
    "pos": "part-of-speech tagging probes",
    "question_answering": "extractive question-answering probes",
    "summarization": "summarization probes",
    "translation": "translation probes",
    "image_classification": "image-classification probes",
    "speech_recognition": "automatic speech recognition probes",
    "tokenizer": "tokenizer probes (below the pipeline)",
    "model_outputs": "model output probes: shapes, logits, configs",
    "batching": "batching, padding and attention-mask probes",
    "embeddings": "sentence-embedding probes",
    "beyond_notes": "probes that go beyond what the notes tried",
    "lang_en": "probes whose input is English",
    "lang_pt": "probes whose input is Portuguese",
    "lang_fr": "probes whose input is French",
    "xdist_group": "pytest-xdist: run the group's tests in one worker (one model load)",
}


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("pipeprobe", "pipeprobe: probes of transformers models")
    group.addoption("--device", default="cpu", help="cpu (default), auto, cuda, cuda:N or mps")
    group.addoption("--dtype", default="float32", help="float32 (default), float16 or bfloat16")
    group.addoption(
        "--model-map", default=None, metavar="PATH",
        help="TOML map of hub ids to local folders (default: $PIPEPROBE_MODEL_MAP)",
    )
    group.addoption(
        "--require-models", action="store_true",
        help="a model that can't be had is an error, not a skip (nightly CI)",
    )
    group.addoption(
        "--drift-report", default=None, metavar="DIR",
        help="write drift.json, drift.html and drift.png (each probe's delta against its tolerance) into DIR",
    )
    parser.addini("pipeprobe_fixtures", "folder of probe files and models.yaml", default="fixtures")
    parser.addini("pipeprobe_snapshots", "folder of baseline snapshots", default="snapshots")


def pytest_configure(config: pytest.Config) -> None:
    for name, description in MARKERS.items():
        config.addinivalue_line("markers", f"{name}: {description}")
    config.addinivalue_line("filterwarnings", "ignore:(?s).*Can not relate snapshot")
    fixtures = config.rootpath / config.getini("pipeprobe_fixtures")
    set_media_dir(fixtures / "media")
    try:
        target = resolve_target(config.getoption("device"), config.getoption("dtype"))
        model_map = ModelMap.load(model_map_path(config.getoption("model_map")))
        probes = load_catalogue(fixtures) if fixtures.is_dir() else {}
        registry = load_registry(fixtures / "models.yaml")
        _check_probes(probes, registry)
    except (DeviceError, ModelMapError, CatalogueError, LockFileError) as error:
        raise pytest.UsageError(str(error)) from None
    config.stash[RUNNER_KEY] = ProbeRunner.create(target, registry, probes, model_map)
    config.pluginmanager.register(SessionReport(config), "pipeprobe-session-report")
    from pipeprobe import drift_plugin, html_report

    if drift_plugin.wants_probe_data(config):
        config.pluginmanager.register(drift_plugin.DriftCollector(config, config.stash[RUNNER_KEY]), "pipeprobe-drift")
    if config.pluginmanager.hasplugin("html"):
        config.pluginmanager.register(html_report.HtmlReport(config), "pipeprobe-html")


def _check_probes(probes: dict[str, list[Probe]], registry: dict) -> None:
    """Every probe carries only registered markers and names a pinned model."""
    for suite in probes.values():
        for probe in suite:
            unknown = [name for name in probe.markers if name not in MARKERS]
            if unknown:
                raise CatalogueError(
                    f"probe {probe.suite}/{probe.id} carries unregistered marker(s) {', '.join(unknown)}; "
                    f"known: {', '.join(sorted(MARKERS))}"
                )
            if probe.model not in registry:
                raise CatalogueError(
                    f"probe {probe.suite}/{probe.id} names model {probe.model!r}, "
                    "which fixtures/models.yaml does not pin to a revision"
                )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrise every test that asks for ``probe`` with its module's SUITE."""
    if "probe" not in metafunc.fixturenames:
        return
    runner = metafunc.config.stash[RUNNER_KEY]
    suite = getattr(metafunc.module, "SUITE", None)
    if suite not in runner.probes:
        raise pytest.UsageError(f"{metafunc.module.__name__}: SUITE {suite!r} has no probe file")
    judged = metafunc.function.__name__.startswith("test_expectation")
    params = [
        pytest.param(probe, id=probe.id, marks=_marks(probe, runner, judged))
        for probe in runner.probes[suite]
    ]
    metafunc.parametrize("probe", params)


def _marks(probe: Probe, runner: ProbeRunner, judged: bool) -> list[pytest.MarkDecorator]:
    marks = [getattr(pytest.mark, name) for name in probe.markers]
    marks.append(pytest.mark.xdist_group(runner.spec_for(probe).key))
    if judged and probe.known_weakness:
        reason = f"known weakness, notes {probe.source.describe()}: {probe.note or 'reprovado'}"
        if probe.doubtful:
            reason += f" [doubtful record: {probe.doubtful}]"
        # A doubtful record must not fail the run when the real model settles it.
        # Only a missed expectation counts as the known weakness; any other error fails.
        marks.append(pytest.mark.xfail(strict=not probe.doubtful, reason=reason, raises=ExpectationMiss))
    return marks


@pytest.fixture(scope="session")
def probe_runner(pytestconfig: pytest.Config) -> ProbeRunner:
    return pytestconfig.stash[RUNNER_KEY]


@pytest.fixture
def probe_output(probe: Probe, probe_runner: ProbeRunner, request: pytest.FixtureRequest) -> Any:
    """The probe's output; a skip (or, with --require-models, an error) naming the model."""
    spec = probe_runner.spec_for(probe)
    try:
        output = probe_runner.output(probe)
    except ModelUnavailable as error:
        if request.config.getoption("require_models"):
            pytest.fail(f"{error} (--require-models)", pytrace=False)
        pytest.skip(str(error))
    except MediaUnavailable as error:  # a local copy of the notes' image or audio is missing
        pytest.skip(str(error))
    record = probe_runner.cache.record_for(spec, probe_runner.target, probe.task)
    request.node.user_properties.append((MODEL_PROPERTY, record.describe() if record else spec.key))
    request.node.user_properties.append(("pipeprobe_output", json.dumps(output.value, ensure_ascii=False)))
    request.node.user_properties.append(("pipeprobe_inference_s", round(output.seconds, 4)))
    request.node.user_properties.append(("pipeprobe_load_s", round(record.seconds, 4) if record else 0.0))
    return output.value


@pytest.fixture
def probe_record(probe: Probe, probe_output: Any, probe_runner: ProbeRunner) -> dict[str, Any]:
    """What a baseline stores: the probe, the model, provenance, input and output."""
    spec = probe_runner.spec_for(probe)
    return {
        "suite": probe.suite,
        "probe": probe.id,
        "model": spec.id,
        "revision": spec.revision,
        "provenance": probe_runner.provenance(probe),
        "input": probe.input,
        "output": probe_output,
    }


@pytest.fixture
def baseline(snapshot: Any, probe: Probe, probe_runner: ProbeRunner, request: pytest.FixtureRequest) -> Any:
    """A syrupy snapshot bound to this probe's baseline file and tolerance tier."""
    spec = probe_runner.spec_for(probe)
    location = baseline_location(snapshot_root(request.config), probe.suite, spec.slug, probe.id)
    extension = ProbeSnapshotExtension.for_probe(
        location=location, tolerance=tier_for(probe_runner.target.device, probe_runner.target.dtype)
    )
    if not probe.recorded and not location.exists() and not request.config.option.update_snapshots:
        pytest.skip(
            f"the notes recorded no output for {probe.suite}/{probe.id}, and no baseline exists "
            f"for {spec.key}: record one with --snapshot-update on a machine that has the model"
        )
    return snapshot.use_extension(extension)


class ExpectationMiss(AssertionError):
    """The model did not give the answer a person expects."""


def assert_expected(probe: Probe, output: Any) -> None:
    """Fail, naming what a person expected, when the model's answer is not it."""
    problems = adapter_for(probe.task).judge(probe.expect, output)
    if problems:
        __tracebackhide__ = True
        raise ExpectationMiss(f"{probe.suite}/{probe.id} ({probe.source.describe()}): " + "; ".join(problems))


class SessionReport:
    """Gathers what each model load did (also from xdist workers) for the terminal summary."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.loads: set[str] = set()
        self.unavailable: set[str] = set()

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        for name, value in report.user_properties:
            if name == MODEL_PROPERTY:
                self.loads.add(str(value))
        if report.skipped and report.when == "setup" and isinstance(report.longrepr, tuple):
            message = str(report.longrepr[2]).removeprefix("Skipped: ")
            if message.startswith("model ") and " unavailable: " in message:
                self.unavailable.add(message.split(" unavailable: ", 1)[0].removeprefix("model "))

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        runner = self.config.stash[RUNNER_KEY]
        if not (self.loads or self.unavailable):
            return
        target = runner.target
        terminalreporter.section("pipeprobe models")
        terminalreporter.line(
            f"device {target.device} ({device_name(target.device)}), dtype {target.dtype}"
        )
        for line in sorted(self.loads):
            terminalreporter.line(f"loaded {line}")
        for line in sorted(self.unavailable):
            terminalreporter.line(f"{line}: unavailable, its probes were skipped")
