"""``pipeprobe drift``: show one drift report, or compare two runs' drift reports.

    pipeprobe drift reports/drift/drift.json              # its table (Markdown)
    pipeprobe drift cpu/drift.json cuda/drift.json        # the second run against the first
    pipeprobe drift A.json B.json --out reports/a-vs-b    # also drift.json/.html/.png there

Exit status: 0, or 1 with ``--fail-on-drift`` when a probe drifted or changed its
label/ranking, or 2 (one line on stderr) for a file that is not a drift report.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pipeprobe import drift


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("reports", nargs="+", type=Path, metavar="drift.json",
                        help="one drift report to show, or two (before, after) to compare")
    parser.add_argument("--out", type=Path, default=None, metavar="DIR",
                        help="write drift.json, drift.html and drift.png of the result into DIR")
    parser.add_argument("--fail-on-drift", action="store_true",
                        help="exit 1 when a probe drifted beyond tolerance or changed label/ranking")


def main(args: argparse.Namespace) -> int:
    if len(args.reports) > 2:
        print("pipeprobe drift: give one drift.json to show, or two (before, after) to compare", file=sys.stderr)
        return 2
    try:
        loaded = [drift.load_report(path) for path in args.reports]
    except ValueError as error:
        print(f"pipeprobe drift: {error}", file=sys.stderr)
        return 2
    report = loaded[0] if len(loaded) == 1 else drift.compare_reports(loaded[0], loaded[1], str(args.reports[0]))
    sys.stdout.write(drift.markdown_table(report))
    if args.out is not None:
        paths = drift.write_report(report, args.out)
        print(f"\nwritten: {paths['json']}, {paths['html']}, {paths['png']}")
    return 1 if args.fail_on_drift and drift.failing(report) else 0
