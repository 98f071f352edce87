"""Fixtures for the harness's own tests: tiny twins and a copy of the project to run."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests import twins

pytest_plugins = ["pytester"]

PROJECT = Path(__file__).resolve().parents[1]
PROJECT_PARTS = ("suites", "fixtures", "snapshots", "pyproject.toml")

# Tests whose answer depends on the transformers version: the adapters against twins, every module
# under tests/adapters/. CI runs these again on transformers 4.57 (`pytest tests -m transformers_api`);
# the rest (reports, CLI, config, shards) is the same code on both.
TRANSFORMERS_API = "transformers_api"
ADAPTER_TESTS = Path(__file__).resolve().parent / "adapters"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", f"{TRANSFORMERS_API}: depends on the transformers version (CI runs it on 4.57 and 5.x)"
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.is_relative_to(ADAPTER_TESTS):  # marked by folder, not by file name
            item.add_marker(TRANSFORMERS_API)


@pytest.fixture(scope="session")
def sst2_twin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return twins.build_sst2_twin(tmp_path_factory.mktemp("twins") / "sst2")


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    """A copy of the real suites, probe files, baselines and config, to run with pytester."""
    for part in PROJECT_PARTS:
        source = PROJECT / part
        if source.is_dir():
            shutil.copytree(source, pytester.path / part)
        else:
            shutil.copy2(source, pytester.path / part)
    return pytester


def run(project: pytest.Pytester, *args: str) -> pytest.RunResult:
    """Run pytest on the copied project in a fresh process (torch state stays isolated)."""
    return project.runpytest_subprocess("-p", "no:cacheprovider", *args)


# Libraries an in-process run must not unload afterwards: torch can't be imported twice in one
# process, and a transformers model module imported afresh would make classes that differ from
# the ones transformers already handed out.
_KEEP_LOADED = (
    "torch", "transformers", "tokenizers", "safetensors", "huggingface_hub", "sentencepiece", "numpy", "PIL",
    "soundfile", "matplotlib", "scipy", "yaml", "syrupy", "xdist", "pytest_html", "accelerate", "gguf", "pipeprobe",
    # transformers >= 5.25 imports `kernels` while loading a model; imported afresh, its `Mode` flags no
    # longer compare with the ones transformers holds ("unsupported operand type(s) for 'in': 'Mode' and 'Mode'")
    "kernels",
    # librosa (audio resampling) and its compiled helpers: soxr aborts the process when imported a second time
    "librosa", "soxr", "numba", "llvmlite", "audioread", "lazy_loader", "sklearn", "joblib", "pooch", "msgpack",
)


def run_inprocess(project: pytest.Pytester, *args: str) -> pytest.RunResult:
    """Run pytest on the copied project in this process: no new interpreter, no second torch import.

    Use it where a test needs no process of its own (exit codes and output are the same); keep
    ``run`` for what must start fresh (lazy imports, interrupts, a CLI's stderr).
    """
    from _pytest.pytester import SysModulesSnapshot

    def keep(name: str) -> bool:
        return name.split(".", 1)[0] in _KEEP_LOADED or name.startswith(("zope", "readline"))

    # pytester unloads every module the run (and the test) imported; keep the libraries (see _KEEP_LOADED)
    project._Pytester__take_sys_modules_snapshot = lambda: SysModulesSnapshot(preserve=keep)  # type: ignore[attr-defined]
    project._sys_modules_snapshot._SysModulesSnapshot__preserve = keep  # type: ignore[attr-defined]
    # pipeprobe stays imported (above): pytest can't assert-rewrite it again and would say so
    quiet = ("-W", "ignore::pytest.PytestAssertRewriteWarning")
    return project.runpytest_inprocess("-p", "no:cacheprovider", *quiet, *args)


@pytest.fixture(autouse=True)
def _not_an_xdist_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    """Under ``pytest tests -n 2`` the worker's variables would leak into the runs a test starts
    (syrupy then takes the child for a worker and prints no snapshot summary): clear them."""
    for name in ("PYTEST_XDIST_WORKER", "PYTEST_XDIST_WORKER_COUNT", "PYTEST_XDIST_TESTRUNUID"):
        monkeypatch.delenv(name, raising=False)


# The bad-input campaign's project (tests/bad_inputs.py; tests/hostile/test_bad_inputs_<surface>.py) ---------
@pytest.fixture
def outside(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder outside the project: nothing may ever be written into it."""
    return tmp_path_factory.mktemp("outside")


@pytest.fixture
def demo(pytester: pytest.Pytester, sst2_twin: Path, outside: Path) -> pytest.Pytester:
    """The bad-input project with both baselines recorded from the SST-2 twin, mapped in ``map.toml``."""
    from tests.bad_inputs import BASELINES, make_project

    make_project(pytester.path)
    twins.write_model_map(pytester.path / "map.toml", {twins.SST2_ID: sst2_twin})
    recorded = run_inprocess(pytester, "--model-map=map.toml", "-k", "baseline", "--snapshot-update")
    assert recorded.ret == 0, recorded.stdout.str()
    assert sorted(p.name for p in (pytester.path / BASELINES).iterdir()) == ["one.json", "two.json"]
    yield pytester
    assert not list(outside.iterdir()), "something was written outside the project"
