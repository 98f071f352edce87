"""Bad inputs, surface: ``pipeprobe init`` (issue 17, item 5). Nothing the user types is written
unescaped into Python; a model id that is not a hub id, a suite name longer than ``check`` accepts,
or a folder that can't be made is one line, exit 2, and no partial project."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from pipeprobe.cli import main as cli


def _init(capsys, directory: Path | str, *args: str) -> tuple[int, list[str]]:
    code = cli.main(["init", str(directory), "--task", "text-classification", *args])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err + captured.out
    return code, [line for line in captured.err.splitlines() if line.strip()]


@pytest.mark.parametrize("model", [
    'x"""+__import__("os").system("touch${IFS}PWNED")+"""',
    "x'''+__import__('os').system('touch${IFS}PWNED')+'''",
    "/tmp/x/sst2",
    "../models/sst2",
    "a/b/c",
])
def test_a_model_id_that_is_not_a_hub_id_is_refused_and_nothing_is_written(tmp_path, capsys, model):
    code, lines = _init(capsys, tmp_path / "p", "--model", model, "--suite", "s")
    assert code == 2 and len(lines) == 1 and "hub id" in lines[0], lines
    assert not (tmp_path / "p").exists()


def test_the_suite_module_holds_no_user_data_but_the_suite_name_written_with_repr(tmp_path, capsys):
    code, _ = _init(capsys, tmp_path / "p", "--model", "acme/my-model_v1.2", "--suite", "s-1.x")
    assert code == 0
    module = tmp_path / "p/suites/test_s_1_x.py"
    source = module.read_text()
    assert "acme" not in source
    assert "SUITE = 's-1.x'" in source
    # collecting the new project runs nothing but the module itself
    collected = subprocess.run([sys.executable, "-m", "pytest", "--co", "-q", "-p", "no:cacheprovider"],
                               cwd=tmp_path / "p", capture_output=True, text=True, timeout=120)
    assert collected.returncode == 0, collected.stdout + collected.stderr
    assert "test_expectation[example]" in collected.stdout
    assert not list(tmp_path.rglob("PWNED"))


@pytest.mark.parametrize("length", [201, 210, 300])
def test_a_suite_name_longer_than_check_accepts_is_refused(tmp_path, capsys, length):
    code, lines = _init(capsys, tmp_path / "p", "--model", "a/b", "--suite", "s" * length)
    assert code == 2 and len(lines) == 1 and "at most 200 characters" in lines[0], lines
    assert not (tmp_path / "p").exists()


def test_a_200_character_suite_name_is_written_and_checked_clean(tmp_path, capsys):
    code, _ = _init(capsys, tmp_path / "p", "--model", "a/b", "--suite", "s" * 200)
    assert code == 0
    assert cli.main(["check", "--project", str(tmp_path / "p")]) == 0, capsys.readouterr()


def test_init_under_a_file_is_one_line(tmp_path, capsys):
    (tmp_path / "afile").write_text("x")
    code, lines = _init(capsys, tmp_path / "afile/p", "--model", "a/b")
    assert code == 2 and len(lines) == 1 and "is a file" in lines[0], lines
    assert (tmp_path / "afile").read_text() == "x"


def test_init_where_no_folder_can_be_made_is_one_line_and_leaves_nothing(capsys):
    code, lines = _init(capsys, "/proc/pipeprobe-init-x", "--model", "a/b")
    assert code == 2 and len(lines) == 1 and "nothing was written" in lines[0], lines
    assert not Path("/proc/pipeprobe-init-x").exists()


def test_a_write_failing_half_way_removes_what_was_written(tmp_path, capsys, monkeypatch):
    from pipeprobe import atomic

    original = atomic.os.fsync
    calls = []

    def fail_third(descriptor):  # init writes through the one atomic writer: the third file's disk is full
        calls.append(descriptor)
        if len(calls) == 3:
            raise OSError(28, "No space left on device")
        return original(descriptor)

    monkeypatch.setattr(atomic.os, "fsync", fail_third)
    code, lines = _init(capsys, tmp_path / "p", "--model", "a/b")
    assert code == 2 and len(lines) == 1 and "No space left on device" in lines[0], lines
    assert not (tmp_path / "p").exists()
