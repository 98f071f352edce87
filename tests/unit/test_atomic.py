"""The one atomic writer (``pipeprobe.atomic``): the umask's mode for a new file, an existing file's mode kept, a
named mode used, nothing half-written and no temporary left when a write fails, errors naming the file asked for;
every writer of a file the user keeps goes through it."""

from __future__ import annotations

import ast
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeprobe import atomic

PACKAGE = Path(__file__).resolve().parents[2] / "pipeprobe"


@pytest.fixture
def umask() -> Iterator[None]:
    """Restore the process umask after a test that sets it."""
    old = os.umask(0o022)
    os.umask(old)
    yield
    os.umask(old)


def _mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


@pytest.mark.parametrize(("mask", "mode"), [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)])
def test_a_new_file_gets_the_umasks_mode_like_a_plain_write(tmp_path: Path, umask: None, mask: int, mode: int):
    os.umask(mask)
    assert atomic.current_umask() == mask
    atomic.write(tmp_path / "new.txt", "hello\n")
    plain = tmp_path / "plain.txt"
    plain.write_text("hello\n", encoding="utf-8")
    assert _mode(tmp_path / "new.txt") == mode == _mode(plain)
    assert (tmp_path / "new.txt").read_text(encoding="utf-8") == "hello\n"


def test_an_existing_file_keeps_its_mode_and_a_named_mode_wins(tmp_path: Path, umask: None):
    os.umask(0o022)
    path = tmp_path / "kept.yaml"
    path.write_text("old\n", encoding="utf-8")
    path.chmod(0o640)
    atomic.write(path, "new\n")
    assert path.read_text(encoding="utf-8") == "new\n" and _mode(path) == 0o640
    atomic.write(path, "newer\n", mode=0o600)
    assert path.read_text(encoding="utf-8") == "newer\n" and _mode(path) == 0o600
    atomic.write(tmp_path / "bytes.bin", "é\n".encode())  # bytes as they are; a str is UTF-8
    atomic.write(tmp_path / "text.txt", "é\n")
    assert (tmp_path / "bytes.bin").read_bytes() == (tmp_path / "text.txt").read_bytes() == "é\n".encode()


@pytest.mark.parametrize("step", ["fsync", "replace"])
def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path, monkeypatch, step: str):
    path = tmp_path / "one.json"
    path.write_text("old\n", encoding="utf-8")

    def broken(*args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(atomic.os, step, broken)
    with pytest.raises(OSError, match="No space left"):
        atomic.write(path, "new\n")
    assert path.read_text(encoding="utf-8") == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["one.json"]


def test_an_interrupted_write_removes_its_temporary_too(tmp_path: Path, monkeypatch):
    def interrupted(*args: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(atomic.os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        atomic.write(tmp_path / "one.json", "new\n")
    assert list(tmp_path.iterdir()) == []


def test_an_error_names_the_file_asked_for_never_the_temporary(tmp_path: Path):
    target = tmp_path / "missing-folder" / "report.json"
    with pytest.raises(FileNotFoundError) as raised:
        atomic.write(target, "{}\n")
    assert raised.value.filename == str(target)
    assert ".tmp" not in str(raised.value)


def test_the_temporary_name_is_the_one_the_sweep_recognises(tmp_path: Path, monkeypatch):
    seen: list[Path] = []
    real = os.replace

    def spy(source: str, target: str) -> None:
        seen.append(Path(source))
        assert atomic.temporaries(tmp_path) == [Path(source)]
        assert atomic.temporaries(tmp_path, "one.json") == [Path(source)]
        assert atomic.temporaries(tmp_path, "other.json") == []
        real(source, target)

    monkeypatch.setattr(atomic.os, "replace", spy)
    atomic.write(tmp_path / "one.json", "{}\n")
    (temporary,) = seen
    assert temporary.parent == tmp_path and atomic.target_of(temporary) == tmp_path / "one.json"
    assert atomic.target_of(tmp_path / ".p.json.abc.tmp") == tmp_path / "p.json"
    assert atomic.temporaries(tmp_path) == []


def _replaces(path: Path) -> list[int]:
    """Lines of ``path`` that rename a file over another (os.replace/os.rename) or make a named temporary file."""
    lines = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        func = node.func if isinstance(node, ast.Call) else None
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and f"{func.value.id}.{func.attr}" in (
                "os.replace", "os.rename", "tempfile.mkstemp", "tempfile.NamedTemporaryFile"):
            lines.append(node.lineno)
    return lines


def test_only_the_one_writer_renames_files_into_place():
    # gguf_cache renames a whole folder into place (a dequantised model), which no file writer can do
    allowed = {"atomic.py", "models/gguf_cache.py"}
    found = {str(path.relative_to(PACKAGE)): lines for path in sorted(PACKAGE.rglob("*.py"))
             if str(path.relative_to(PACKAGE)) not in allowed and (lines := _replaces(path))}
    assert found == {}, f"write files through pipeprobe.atomic.write, not by hand: {found}"
