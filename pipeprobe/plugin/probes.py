"""The pytest plugin: options, markers, probe parametrisation, fixtures and the summary."""

from __future__ import annotations

import os
from typing import Any

import pytest

from pipeprobe import paths, strict_json
from pipeprobe.baselines import store, targets
from pipeprobe.baselines.extension import ProbeSnapshotExtension
from pipeprobe.behaviour import members as behaviour
from pipeprobe.devices import DeviceError, resolve_target
from pipeprobe.execution import threads
from pipeprobe.execution.recorder import judge_expectation
from pipeprobe.execution.runner import ProbeRunner
from pipeprobe.language.expect import ExpectMisfit
from pipeprobe.models import ModelMap, ModelMapError, ModelUnavailable, load_registry, model_map_path
from pipeprobe.models.lock import LockFileError
from pipeprobe.models.resolution import MappedModelBroken
from pipeprobe.plugin import project as project_plugin
from pipeprobe.plugin import wiring as reporting
from pipeprobe.plugin.project import for_pytest
from pipeprobe.probes.catalogue import CatalogueError, Probe, bind_tiers, load_catalogue
from pipeprobe.report.record import attach
from pipeprobe.tasks.common import ProbeInputError
from pipeprobe.tasks.media import MediaUnavailable
from pipeprobe.tolerance import tier_for

RUNNER_KEY = pytest.StashKey[ProbeRunner]()

# Every task, probe file and language registers its own markers (pipeprobe.plugin.project);
# these are the ones no probe file declares.
MARKERS = {
    "beyond_notes": "probes that go beyond what the notes tried",
}
MARKERS.update(behaviour.MARKERS)  # invariance, directional, cross_lingual, stochastic


# Options and ini keys: pipeprobe.plugin.options (added by the entry point, pipeprobe.plugin.entry, in every project).


def pytest_configure(config: pytest.Config) -> None:
    try:  # a split --model-map keeps pytest from finding the ini, and so the project: checked first
        paths.check_option_paths(config.invocation_params.args, None, None)
    except paths.OptionPathError as error:
        raise pytest.UsageError(str(error)) from None
    project = project_plugin.project_for(config)
    if not project.enabled:  # no [tool.pipeprobe]: the plugin only registered its options
        return
    try:  # report paths at start-up, never at the end of a long run
        paths.check_option_paths((), config.getoption("drift_report", None), getattr(config.option, "htmlpath", None),
                                 project.snapshots, junitxml=getattr(config.option, "xmlpath", None))
    except paths.OptionPathError as error:
        raise pytest.UsageError(str(error)) from None
    for name, description in MARKERS.items():
        config.addinivalue_line("markers", f"{name}: {description}")
    config.addinivalue_line("filterwarnings", "ignore:(?s).*Can not relate snapshot")
    fixtures = project.fixtures
    try:
        target = resolve_target(config.getoption("device"), config.getoption("dtype"))
        model_map = ModelMap.load(model_map_path(config.getoption("model_map")))
        tier = tier_for(target.device, target.dtype)
        probes = bind_tiers(load_catalogue(fixtures), tier.abs, tier.rel) if fixtures.is_dir() else {}
        registry = load_registry(fixtures / "models.yaml")
        _check_probes(probes, registry)
        _prepare_baselines(config, probes, registry)
    except (DeviceError, ModelMapError, CatalogueError, LockFileError, store.SnapshotPathError) as error:
        raise pytest.UsageError(str(error)) from None
    project_plugin.configure(config, project, probes)  # markers the probes declare, -m check, unrun files
    # torch's threads from the cores this process may use (affinity, cgroup quota, xdist workers), or --threads;
    # a user's own OMP_NUM_THREADS is kept unless --threads says otherwise
    if config.getoption("threads", None) is not None or "OMP_NUM_THREADS" not in os.environ:
        threads.apply(threads.policy_threads(config.getoption("threads", None)))
    threads.wait_passively()  # whoever chose the count: idle threads sleep, not spin
    config.stash[RUNNER_KEY] = ProbeRunner.create(target, registry, probes, model_map)
    reporting.configure(config, config.stash[RUNNER_KEY], project)  # every other plugin object, from one place
    from pipeprobe.execution.similarity import embedder_for
    from pipeprobe.language.text_ops import set_embedder

    set_embedder(embedder_for(config.stash[RUNNER_KEY]))  # `similar` expectations: the session's encoders


def _check_probes(probes: dict[str, list[Probe]], registry: dict) -> None:
    """Every probe names a pinned model (the markers it declares are registered for it)."""
    for suite in probes.values():
        for probe in suite:
            if probe.model not in registry:
                raise CatalogueError(
                    f"probe {probe.suite}/{probe.id} names model {probe.model!r}, "
                    "which fixtures/models.yaml does not pin to a revision"
                )


def _prepare_baselines(config: pytest.Config, probes: dict[str, list[Probe]], registry: dict) -> None:
    """At start-up: every baseline path confined (SnapshotPathError); an update (the controller's, once)
    first sweeps temporary files killed writers left, where no writer holds their baseline's lock."""
    root = for_pytest(config).snapshots
    for suite in probes.values():
        for probe in suite:
            spec = registry.get(probe.model)
            if spec is not None:
                store.location(root, probe.suite, spec.slug, probe.id)
    if getattr(config.option, "update_snapshots", False) and not hasattr(config, "workerinput"):
        store.sweep(root)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrise every test that asks for ``probe`` with its module's SUITE."""
    if "probe" not in metafunc.fixturenames or RUNNER_KEY not in metafunc.config.stash:
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
        reason = f"known weakness {probe.describe()}: {probe.note or 'verdict: wrong'}"
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
    """The probe's output; a skip (or, with --require-models, an error) naming the model.

    Both tests of a probe skip from here with the same reason; each test's report carries the
    probe's record (``report.record``), built once.
    """
    recorder = reporting.recorder_of(request.config)
    properties = request.node.user_properties
    failure = None
    try:
        output = probe_runner.output(probe)
    except (MappedModelBroken, ProbeInputError) as error:
        # a model the user mapped that does not load, an input the model can't take, an unreadable
        # media file: an error naming it in one line (failed outside this block: no chained report)
        attach(properties, recorder.not_run(probe, str(error)))
        failure = str(error)
    except ModelUnavailable as error:
        attach(properties, recorder.unavailable(probe, error))
        if request.config.getoption("require_models"):
            pytest.fail(f"{error} (--require-models)", pytrace=False)
        pytest.skip(str(error))
    except MediaUnavailable as error:  # a local copy of the notes' image or audio is missing
        attach(properties, recorder.not_run(probe, str(error)))
        pytest.skip(str(error))
    if failure is not None:
        pytest.fail(failure, pytrace=False)
    attach(properties, _with_case_test(recorder.ran(probe, output)))
    return output.value


def _with_case_test(record: Any) -> Any:
    """A test of many cases' record carries its capability-table row, with the cases flipped since the baseline."""
    from pipeprobe.behaviour import checklist

    if record.has_output and checklist.is_result(record.output) and record.case_test is None:
        before = (record.baseline or {}).get("output")
        record.case_test = checklist.summary_row(record.output, checklist.flipped(before, record.output))
    return record


@pytest.fixture
def probe_result(probe: Probe, probe_output: Any, probe_runner: ProbeRunner) -> dict[str, Any]:
    """What a baseline stores: the probe, the model, provenance, input and output."""
    spec = probe_runner.spec_for(probe)
    if (where := strict_json.non_finite_path(probe_output)) is not None:  # strict JSON: a fault of the output
        pytest.fail(f"probe {probe.suite}/{probe.id}: the model's output holds NaN or Infinity at {where}; "
                    "not compared and never written as a baseline", pytrace=False)
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
def probe_record(probe_result: dict[str, Any]) -> dict[str, Any]:
    """The older name of ``probe_result``, for suite modules that ``pipeprobe init`` wrote before it."""
    return probe_result


@pytest.fixture
def baseline(snapshot: Any, probe: Probe, probe_runner: ProbeRunner, request: pytest.FixtureRequest) -> Any:
    """A syrupy snapshot bound to this probe's baseline file and to its verdict (judged once, on its record)."""
    spec = probe_runner.spec_for(probe)
    root = for_pytest(request.config).snapshots
    location = store.location(root, probe.suite, spec.slug, probe.id)
    recorder = reporting.recorder_of(request.config)
    target = probe_runner.target  # per-target baselines: its own entry, else the reference (baselines.targets)
    extension = ProbeSnapshotExtension.for_probe(
        location=location, root=root, run_keys=targets.keys_for(target.device, target.dtype),
        update=bool(request.config.option.update_snapshots),
        verdict_of=lambda: recorder.verdict_of(probe.suite, probe.id),
    )
    if (problem := store.unusable(location)) is not None:
        pytest.fail(problem, pytrace=False)
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
    try:
        problems = judge_expectation(probe, output)
    except ExpectMisfit as error:  # a path or operator that doesn't fit the output: never a known weakness
        pytest.fail(f"{probe.describe()}: expect does not fit the output: {error}", pytrace=False)
    if problems:
        __tracebackhide__ = True
        raise ExpectationMiss(f"{probe.describe()}: " + "; ".join(problems))


def pytest_unconfigure(config: pytest.Config) -> None:
    """The session's encoder for ``similar`` expectations ends with the session (in-process runs don't share it)."""
    if RUNNER_KEY in config.stash:
        from pipeprobe.language.text_ops import set_embedder

        set_embedder(None)
