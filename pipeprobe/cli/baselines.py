"""``pipeprobe baselines``: which baselines exist, a probe x target grid.

    pipeprobe baselines                      # every baseline under snapshots/
    pipeprobe baselines --suite minilm       # one suite
    pipeprobe baselines --snapshots DIR

Each row is a baseline file (suite/probe, model@revision); each column a target
(``cpu/float32``, ``cpu/bfloat16``, ``cuda-sm90/float16``...). A cell says ``ref`` for the
reference output (the target it was first recorded on), ``yes`` for a target's own entry;
``+noise`` when ``pipeprobe calibrate`` measured its noise there, ``FRAGILE`` when that
calibration flagged it. Reads JSON only: no model, no torch.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pipeprobe.baselines import store, targets


def grid(root: Path, suite: str | None = None) -> tuple[list[str], list[tuple[str, dict[str, str]]], list[str]]:
    """(columns, rows, problems): each row a baseline file's name and its cell per target."""
    rows: list[tuple[str, dict[str, str]]] = []
    columns: set[str] = set()
    problems: list[str] = []
    for path, data in store.each(root, suite):
        name = f"{path.parts[-3]}/{path.stem} ({path.parts[-2]})"
        if isinstance(data, store.BaselineError):
            problems.append(f"{path}: not a usable baseline ({data})")
            continue
        cells = {targets.reference_key(data): "ref"}
        cells.update({key: "yes" for key in targets.entries(data)})
        calibration = data.get(targets.CALIBRATION_FIELD)
        for key, record in (calibration.items() if isinstance(calibration, dict) else []):
            if not isinstance(record, dict):
                continue
            mark = " FRAGILE" if record.get("fragile") else " +noise"
            cells[key] = cells.get(key, "-") + mark
        columns.update(cells)
        rows.append((name, cells))
    ordered = sorted(columns, key=lambda key: (key != "cpu/float32", key))
    return ordered, rows, problems


def render(columns: list[str], rows: list[tuple[str, dict[str, str]]]) -> str:
    lines = ["| baseline | " + " | ".join(columns) + " |", "|---|" + "---|" * len(columns)]
    for name, cells in rows:
        lines.append(f"| {name} | " + " | ".join(cells.get(column, "") for column in columns) + " |")
    counts = {column: sum(1 for _, cells in rows if column in cells and not cells[column].startswith("-"))
              for column in columns}
    lines.append("")
    lines.append(f"{len(rows)} baselines; per target: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    lines.append("ref: the reference output (first recorded there); yes: that target's own entry; "
                 "+noise / FRAGILE: `pipeprobe calibrate` measured its noise there")
    return "\n".join(lines) + "\n"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--snapshots", type=Path, default=None, metavar="DIR",
                        help="the baselines folder (default: the project's [tool.pipeprobe] snapshots)")
    parser.add_argument("--suite", default=None, help="only this suite's baselines")


def main(args: argparse.Namespace) -> int:
    root: Path = args.snapshots if args.snapshots is not None else _project_snapshots()
    if not root.is_dir():
        print(f"pipeprobe baselines: {root} is not a folder of baselines", file=sys.stderr)
        return 2
    columns, rows, problems = grid(root, args.suite)
    if not rows:
        print(f"pipeprobe baselines: no baseline under {root}" + (f" for suite {args.suite}" if args.suite else ""),
              file=sys.stderr)
        return 2
    sys.stdout.write(render(columns, rows))
    for problem in problems:
        print(f"warning: {problem}", file=sys.stderr)
    return 0


def _project_snapshots() -> Path:
    """The nearest project's baselines folder (``[tool.pipeprobe] snapshots``), else ./snapshots."""
    from pipeprobe.config import ConfigError, find_project

    try:
        return find_project().snapshots
    except ConfigError:
        return Path("snapshots")
