"""The one atomic file writer: every file pipeprobe writes for the user to keep goes through ``write``.

A temporary file beside the target (``.<name>.<random>.tmp``, so the same file system), written,
synced, then renamed over the target: a reader sees the old file or the new one, never half of
one. The temporary is removed when the write fails. A SIGKILL at the wrong moment may leave it;
``temporaries`` and ``target_of`` let a sweep (the baseline store's) find it and its file.

One mode rule, that of a plain ``open(path, "w")``: an existing file keeps its mode, a new one
gets ``0o666 & ~umask``; a caller may name a mode instead.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

TEMPORARY_SUFFIX = ".tmp"


def write(target: Path, text: str | bytes, mode: int | None = None) -> None:
    """Write ``text`` (UTF-8 when a str) to ``target`` atomically, with ``mode`` (None: ``default_mode``).

    An OSError names ``target``, never the temporary file.
    """
    target = Path(target)
    data = text.encode("utf-8") if isinstance(text, str) else text
    mode = default_mode(target) if mode is None else mode
    try:
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=TEMPORARY_SUFFIX)
    except OSError as error:
        raise _naming(error, target) from None
    try:
        with os.fdopen(handle, "wb") as stream:
            os.fchmod(stream.fileno(), mode)  # mkstemp's 0600 would make a kept file private
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, target)
    except BaseException as error:
        Path(temporary).unlink(missing_ok=True)
        if isinstance(error, OSError) and error.filename == temporary:
            raise _naming(error, target) from None
        raise


def default_mode(target: Path) -> int:
    """The mode a plain write gives ``target``: its own while it is a file, else ``0o666 & ~umask``."""
    try:
        if Path(target).is_file():
            return Path(target).stat().st_mode & 0o777
    except OSError:
        pass
    return 0o666 & ~current_umask()


def current_umask() -> int:
    """The process umask (read without changing it where /proc allows)."""
    try:
        for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def temporaries(folder: Path, name: str = "*") -> list[Path]:
    """The temporary files ``write`` left in ``folder`` (those of target ``name``; every target's with ``*``)."""
    return [path for path in Path(folder).glob(f".{name}.*{TEMPORARY_SUFFIX}")
            if path.is_file() and not path.is_symlink()]


def target_of(temporary: Path) -> Path:
    """The file a temporary of ``write`` was meant to become (``.one.json.k1l2.tmp`` -> ``one.json``)."""
    return temporary.with_name(temporary.name[1:].rsplit(".", 2)[0])


def _naming(error: OSError, target: Path) -> OSError:
    """``error`` with ``target`` as its file name (the user asked for ``target``; the temporary is ours)."""
    return type(error)(error.errno, error.strerror or str(error), str(target))
