"""``pipeprobe drift``: show one drift report, or compare two runs' drift reports.

    pipeprobe drift reports/drift/drift.json              # its table (Markdown)
    pipeprobe drift cpu/drift.json cuda/drift.json        # the second run against the first
    pipeprobe drift A.json B.json --out reports/a-vs-b    # also drift.json/.html/.png there
    pipeprobe drift merge s1/drift.json s2/drift.json --out reports/drift   # join --shard runs' reports

Exit status: 0, or 1 with ``--fail-on-drift`` when a probe drifted or changed its
label/ranking, or 2 (one line on stderr) for a file that is not a drift report.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pipeprobe.paths import folder_problem
from pipeprobe.report.document import compare_reports, failing, load_report
from pipeprobe.report.markdown import markdown_table

USAGE = ("pipeprobe drift [-h] [--out DIR] [--fail-on-drift] drift.json [drift.json]\n"
         "       pipeprobe drift merge [-h] [--out DIR] [--fail-on-drift] drift.json [drift.json ...]")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.usage = USAGE
    parser.epilog = "`pipeprobe drift merge --help`: joining the --shard runs' reports into one."
    parser.add_argument("reports", nargs="+", type=Path, metavar="drift.json",
                        help="one drift report to show, or two (before, after) to compare; "
                             "'merge' then every shard's drift.json to join them into one")
    parser.add_argument("--out", type=Path, default=None, metavar="DIR",
                        help="write drift.json, drift.html and drift.png of the result into DIR")
    parser.add_argument("--fail-on-drift", action="store_true",
                        help="exit 1 when a probe drifted beyond tolerance or changed label/ranking")


def merge_parser() -> argparse.ArgumentParser:
    """``pipeprobe drift merge``'s own parser (its own usage and --help)."""
    parser = argparse.ArgumentParser(
        prog="pipeprobe drift merge",
        description="join the drift reports of the --shard=I/N runs into one (each probe from the shard that ran it)")
    parser.add_argument("reports", nargs="+", type=Path, metavar="drift.json", help="every shard's drift.json")
    parser.add_argument("--out", type=Path, default=None, metavar="DIR",
                        help="write the merged drift.json, drift.html and drift.png into DIR")
    parser.add_argument("--fail-on-drift", action="store_true",
                        help="exit 1 when a probe drifted beyond tolerance or changed label/ranking")
    return parser


def merge_main(argv: list[str]) -> int:
    """``pipeprobe drift merge ...``: parsed by its own parser, then run like ``drift``."""
    args = merge_parser().parse_args(argv)
    args.reports = [Path("merge"), *args.reports]
    return main(args)


def main(args: argparse.Namespace) -> int:
    if args.out is not None and (problem := folder_problem(args.out)):  # before reading anything
        print(f"pipeprobe drift: --out {problem}", file=sys.stderr)
        return 2
    if args.reports and str(args.reports[0]) == "merge":  # pipeprobe drift merge A.json B.json ...: join shards
        from pipeprobe.report import merge

        return merge.command(args.reports[1:], args.out, args.fail_on_drift)
    if len(args.reports) > 2:
        print("pipeprobe drift: give one drift.json to show, or two (before, after) to compare", file=sys.stderr)
        return 2
    try:
        loaded = [load_report(path) for path in args.reports]
    except ValueError as error:
        print(f"pipeprobe drift: {error}", file=sys.stderr)
        return 2
    report = loaded[0] if len(loaded) == 1 else compare_reports(loaded[0], loaded[1], str(args.reports[0]))
    sys.stdout.write(markdown_table(report))
    if args.out is not None:
        from pipeprobe.report.render import write_report  # matplotlib only when drawing

        paths = write_report(report, args.out)
        print(f"\nwritten: {', '.join(str(path) for path in paths.values())}")
    return 1 if args.fail_on_drift and failing(report) else 0
