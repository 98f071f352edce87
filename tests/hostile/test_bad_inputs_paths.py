"""Bad inputs, surface: paths that come from data or options (issue 17, item 4). None leads out of
the project or onto a baseline: media files stay in the media folder, reports never land in the
snapshot folder, probe files linked from outside are refused, model ids that are paths are refused
(a local folder belongs in the model map), and a map's ``gguf_file`` stays in its folder."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from pipeprobe.tasks import media
from tests import twins
from tests.bad_inputs import GOOD_PROBES, MODELS, make_project, usage_error
from tests.conftest import run_inprocess


@pytest.fixture
def mapped(pytester: pytest.Pytester, sst2_twin: Path) -> pytest.Pytester:
    make_project(pytester.path)
    twins.write_model_map(pytester.path / "map.toml", {twins.SST2_ID: sst2_twin})
    return pytester


def _check(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pipeprobe.cli", "check", "--project", str(root)],
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("option", ["--html", "--drift-report", "--junitxml"])
def test_a_report_aimed_into_the_snapshot_folder_is_refused_and_the_baseline_untouched(mapped, option):
    baseline = mapped.path / "snapshots/demo/m/one.json"
    baseline.parent.mkdir(parents=True)
    baseline.write_text('{"keep": true}')
    target = "snapshots/demo/m/one.json" if option != "--drift-report" else "snapshots/reports"
    result = run_inprocess(mapped, "--model-map=map.toml", f"{option}={target}")
    usage_error(result, option, "snapshot folder")
    assert baseline.read_text() == '{"keep": true}'
    assert not (mapped.path / "snapshots/reports").exists()


def test_a_probe_file_linked_from_outside_the_project_is_refused(mapped, tmp_path_factory):
    outside = tmp_path_factory.mktemp("elsewhere") / "other.yaml"
    outside.write_text(GOOD_PROBES.replace("suite: demo", "suite: other"))
    (mapped.path / "fixtures/other.yaml").symlink_to(outside)
    usage_error(run_inprocess(mapped, "--model-map=map.toml", "--co"), "other.yaml", "outside the probe folder")
    checked = _check(mapped.path)
    assert checked.returncode == 1 and "outside the probe folder" in checked.stdout + checked.stderr


@pytest.mark.parametrize("model", ["/tmp/x/sst2", "../sst2", "./sst2", "a/b/c"])
def test_a_model_id_that_is_a_path_is_refused_in_the_run_and_in_check(mapped, model):
    (mapped.path / "fixtures/demo.yaml").write_text(GOOD_PROBES.replace(twins.SST2_ID, model))
    (mapped.path / "fixtures/models.yaml").write_text(MODELS.replace(twins.SST2_ID, f'"{model}"'))
    usage_error(run_inprocess(mapped, "--model-map=map.toml", "--co"), "not a hub id")
    checked = _check(mapped.path)
    assert checked.returncode == 1 and "not a hub id" in checked.stdout, checked.stdout + checked.stderr
    assert "Traceback" not in checked.stdout + checked.stderr


@pytest.mark.parametrize("name", ["../../../../etc/hostname", "/etc/hostname", "~/x.gguf"])
def test_a_gguf_file_outside_its_folder_is_refused(mapped, sst2_twin, name):
    (mapped.path / "map.toml").write_text(
        f'[models]\n"{twins.SST2_ID}" = {{ path = "{sst2_twin}", gguf_file = "{name}" }}\n')
    usage_error(run_inprocess(mapped, "--model-map=map.toml", "--co"), "gguf_file", "inside the model's folder")
    models = MODELS.replace("task: text-classification", f"task: text-classification\n    gguf_file: {name!r}")
    (mapped.path / "fixtures/models.yaml").write_text(models)
    checked = _check(mapped.path)
    assert checked.returncode == 1 and "inside the model's folder" in checked.stdout, checked.stdout


@pytest.mark.parametrize("spec", [
    {"file": "../../../../x.jpg"}, {"file": "/etc/hostname"}, {"file": 3}, {"url": "http://x"}, {"file": ""},
])
def test_a_media_input_outside_the_media_folder_or_without_a_file_name_is_one_line(tmp_path, monkeypatch, spec):
    (tmp_path / "media").mkdir()
    with pytest.raises(media.MediaUnreadable) as caught:
        media.media_path(media.located(spec, tmp_path / "media"))
    assert "\n" not in str(caught.value)


def test_a_media_link_out_of_the_media_folder_is_refused(tmp_path, monkeypatch):
    (tmp_path / "media").mkdir()
    (tmp_path / "secret.jpg").write_bytes(b"x")
    (tmp_path / "media/cat.jpg").symlink_to(tmp_path / "secret.jpg")
    with pytest.raises(media.MediaUnreadable, match="inside the media folder"):
        media.media_path(media.located({"file": "cat.jpg"}, tmp_path / "media"))
