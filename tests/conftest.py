"""Fixtures for the harness's own tests: tiny twins and a copy of the project to run."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests import twins

pytest_plugins = ["pytester"]

PROJECT = Path(__file__).resolve().parents[1]
PROJECT_PARTS = ("suites", "fixtures", "snapshots", "pyproject.toml")


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
