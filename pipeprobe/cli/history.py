"""``pipeprobe history RUN.json ... [--out DIR]``: the command over ``history`` and ``history_render``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pipeprobe.report import history_render
from pipeprobe.report.history import build_history, load_report, markdown


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("reports", nargs="+", type=Path, metavar="RUN.json",
                        help="drift reports of successive runs, oldest first")
    parser.add_argument("--out", type=Path, default=None, metavar="DIR",
                        help="write history.json, history.html and history.png (the trend chart) into DIR")


def main(args: argparse.Namespace) -> int:
    try:
        loaded = [(str(path), load_report(path)) for path in args.reports]
        history = build_history(loaded)
        sys.stdout.write(markdown(history))
        if args.out is not None:
            paths = history_render.write_history(history, args.out)
            print(f"\nwritten: {paths['json']}, {paths['html']}, {paths['png']}")
    except ValueError as error:
        print(f"pipeprobe history: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"pipeprobe history: cannot write {error.filename}: {error.strerror}", file=sys.stderr)
        return 2
    return 0
