"""Paths the user names for output (report folders, the pack's folder), checked before anything is written."""

from __future__ import annotations

import os
from pathlib import Path


def folder_problem(folder: Path) -> str | None:
    """Why ``folder`` can't be made or written as a folder (it, or one above it, is a file; no write
    permission), or None. Checked at start-up, so a run never fails at its end for a bad path."""
    folder = Path(folder)
    for candidate in (folder, *folder.absolute().parents):
        if candidate.exists() or candidate.is_symlink():
            if not candidate.is_dir():
                where = "it is" if candidate == folder else f"{candidate} is"
                return f"{folder} is not a folder: {where} a file"
            if not os.access(candidate, os.W_OK | os.X_OK):
                return f"{folder} can't be written: no permission to write in {candidate}"
            return None
    return None


def file_problem(path: Path) -> str | None:
    """Why ``path`` can't be written as a file (a folder is there, or its folder can't be made), or None."""
    path = Path(path)
    if path.is_dir():
        return f"{path} is a folder, not a file"
    if path.exists() and not os.access(path, os.W_OK):
        return f"{path} can't be written: no permission"
    problem = folder_problem(path.parent if str(path.parent) else Path("."))
    return f"{path} can't be written: {problem}" if problem else None


def inside_problem(path: Path, snapshots: Path) -> str | None:
    """Why a report at ``path`` would be written into the snapshot folder (links followed), or None."""
    resolved, folder = Path(path).resolve(), Path(snapshots).resolve()
    if resolved == folder or resolved.is_relative_to(folder):
        return f"{path} is inside the snapshot folder {snapshots}: reports go elsewhere (reports/), never by baselines"
    return None


class OptionPathError(ValueError):
    """An output path option (--drift-report, --html) that can't be written, or a path option split in two."""


# Options that take a path and must be written with "=": pytest reads a separate value as a test path
# before it has loaded the plugin that knows the option (wrong rootdir, no ini, the wrong tests).
JOINED_OPTIONS = ("--model-map", "--drift-report")


def check_option_paths(
    args: tuple[str, ...] | list[str], drift_report: str | None, html: str | None,
    snapshots: Path | None = None, **reports: str | None,
) -> None:
    """OptionPathError (one line) for ``--model-map PATH`` as two words, or a report path that can't be written
    or that lies in the snapshot folder (a report must never land over a baseline); ``reports`` are further
    report options (name -> path), checked for the latter."""
    if snapshots is not None:
        named = {"--drift-report": drift_report, "--html": html}
        named.update({f"--{name.replace('_', '-')}": value for name, value in reports.items()})
        for option, value in named.items():
            if value and (problem := inside_problem(Path(value), snapshots)):
                raise OptionPathError(f"{option}: {problem}")
    for index, arg in enumerate(args[:-1]):
        if arg in JOINED_OPTIONS:
            raise OptionPathError(
                f"write {arg}={args[index + 1]} (with '='): pytest takes a separate {args[index + 1]} "
                "for a test path before it knows this option"
            )
    if drift_report and (problem := folder_problem(Path(drift_report))):
        raise OptionPathError(f"--drift-report: {problem}")
    if html and (problem := file_problem(Path(html))):
        raise OptionPathError(f"--html: {problem}")
