"""The reference pages, generated from the code at build time (an MkDocs hook; also ``python docs/hooks/reference.py
OUT_DIR`` writes them as files): every pytest option and setting, every command's ``--help``, the probe file's JSON
Schema and the expectation operators. Nothing here is written by hand, so the reference can't fall behind the code.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

# What each operator of the expectation language means (pipeprobe.language.expect.OPERATORS); an operator missing
# here is printed as undocumented, and tests/test_docs_reference.py fails on it.
OPERATOR_MEANINGS = {
    "approx": ("`{approx: X, abs: A, rel: R}`", "a number within `abs`/`rel` of X (math.isclose bounds; "
                                                "default rel 1e-6)"),
    "above": ("`{above: X}`", "a number greater than X"),
    "below": ("`{below: X}`", "a number less than X"),
    "between": ("`{between: [A, B]}`", "a number from A to B, both included"),
    "equals": ("`{equals: V}` or a bare value", "exactly V (a whole mapping or list too)"),
    "contains": ("`{contains: V}`", "a text containing V, or a list holding V"),
    "matches": ("`{matches: REGEX}`", "a text in which the regular expression is found"),
    "one_of": ("`{one_of: [A, B, ...]}`", "one of the listed values"),
    "len": ("`{len: N}`", "a list, mapping or text of length N"),
    "not": ("`{not: {operator...}}` or `{not: V}`", "anything the inner expectation does not hold for"),
    "is_json": ("`{is_json: true}`", "a JSON text (or a JSON value); `false`: not JSON text"),
    "json_schema": ("`{json_schema: {...}}`", "a JSON text or value valid against the JSON Schema"),
    "similar": ("`{similar: {to: TEXT, model: ID, above: X}}`",
                "a text whose embedding's cosine similarity to TEXT's, by an encoder pinned in models.yaml, is "
                "above X"),
    "levenshtein": ("`{levenshtein: {to: TEXT, max: N}}` or `{…, above: R}`",
                    "a text within N edits of TEXT, or with normalised similarity above R"),
    "rouge": ("`{rouge: {to: TEXT, above: X, type: rougeL}}`", "a text whose ROUGE F-measure against TEXT is above X"),
}
REFERENCE = "reference"


def _fixed_width() -> None:
    os.environ["COLUMNS"] = "100"  # argparse wraps help text at the terminal's width: the same on every machine


def options_page() -> str:
    """Every command-line option and ini key pipeprobe adds to pytest, and the [tool.pipeprobe] settings."""
    from _pytest.config.argparsing import Parser

    from pipeprobe.language.schema import Settings
    from pipeprobe.plugin.options import add_options

    parser = Parser(_ispytest=True)
    add_options(parser)
    lines = ["# pytest options and settings", "",
             "Generated from `pipeprobe.plugin.options` and the settings schema: every option pipeprobe adds to "
             "`pytest`, its default and what it does.", "",
             "## Command-line options", "", "| option | default | what it does |", "|---|---|---|"]
    for group in parser._groups:
        for option in group.options:
            names = ", ".join(f"`{name}`" for name in option.names())
            attrs = option.attrs()
            default = attrs.get("default")
            shown = "off" if default is False or attrs.get("action") == "store_true" else (
                "—" if default is None else f"`{default}`")
            lines.append(f"| {names} | {shown} | {_cell(attrs.get('help', ''))} |")
    lines += ["", "## ini keys (`[tool.pytest.ini_options]`)", "", "| key | default | what it is |", "|---|---|---|"]
    for name, (help_text, _kind, default) in sorted(parser._inidict.items()):
        lines.append(f"| `{name}` | `{default}` | {_cell(help_text)} |")
    lines += ["", "## `[tool.pipeprobe]` settings (pyproject.toml)", "",
              "The table's presence turns the plugin on; every key is optional.", "",
              "| key | default | what it is |", "|---|---|---|"]
    for name, field in Settings.model_fields.items():
        default = field.get_default(call_default_factory=True)
        lines.append(f"| `{name}` | `{json.dumps(default)}` | {_cell(field.description or '')} |")
    return "\n".join(lines) + "\n"


def commands_page() -> str:
    """Every ``pipeprobe`` command's own ``--help``, subcommands included."""
    _fixed_width()
    from pipeprobe.cli import drift
    from pipeprobe.cli.main import build_parser

    lines = ["# Commands", "", "Generated from the `pipeprobe` command's own parsers: each section is what "
             "`--help` prints.", ""]
    for name, parser in _parsers(build_parser(), "pipeprobe"):
        lines += [f"## `{name}`", "", "```text", parser.format_help().rstrip(), "```", ""]
        if name == "pipeprobe drift":
            merge = drift.merge_parser()
            lines += ["## `pipeprobe drift merge`", "", "```text", merge.format_help().rstrip(), "```", ""]
    return "\n".join(lines)


def _parsers(parser: argparse.ArgumentParser, name: str) -> list[tuple[str, argparse.ArgumentParser]]:
    found = [(name, parser)]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub_name, sub in action.choices.items():
                found += _parsers(sub, f"{name} {sub_name}")
    return found


def schema_page() -> str:
    from pipeprobe.language.schema import schema_json

    return ("# Probe file JSON Schema\n\nGenerated from `pipeprobe.language.schema` (what `pipeprobe schema` prints). "
            "Put `# yaml-language-server: $schema=probe-file.schema.json` on a probe file's first line and run "
            "`pipeprobe schema -o probe-file.schema.json` for completion and checks in editors.\n\n"
            f"```json\n{schema_json()}\n```\n")


def operators_page() -> str:
    from pipeprobe.language.expect import OPERATORS
    from pipeprobe.tasks import BUILTIN_TASKS, named_checks

    lines = ["# Expectation operators", "",
             "Generated from `pipeprobe.language.expect`. An `expect` key is a path into the output (dict keys and "
             "list indices, dot-separated: `scores.0`, `entities.2.word`); its value is a bare value (equals) or "
             "one operator, or a list of operators that must all hold:", "",
             "| operator | written | holds when the value is |", "|---|---|---|"]
    for name in OPERATORS:
        written, meaning = OPERATOR_MEANINGS.get(name, (f"`{{{name}: ...}}`", "undocumented"))
        lines.append(f"| `{name}` | {written} | {meaning} |")
    lines += ["", "## Named checks of the tasks", "",
              "Judgements that are not one field's value stay named checks of a task's adapter:", "",
              "| task | checks |", "|---|---|"]
    for task in BUILTIN_TASKS:
        try:
            checks = sorted(named_checks(task))
        except Exception:  # noqa: BLE001 - an adapter whose optional dependency is missing still gets a row
            checks = []
        lines.append(f"| `{task}` | {', '.join(f'`{c}`' for c in checks) or '—'} |")
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


PAGES = {
    f"{REFERENCE}/options.md": options_page,
    f"{REFERENCE}/commands.md": commands_page,
    f"{REFERENCE}/probe-file-schema.md": schema_page,
    f"{REFERENCE}/expectations.md": operators_page,
}


def pages() -> dict[str, str]:
    """Every generated page: its path under docs/ -> its Markdown."""
    return {path: build() for path, build in PAGES.items()}


def on_files(files: Any, config: Any) -> Any:
    """MkDocs hook: add the generated pages to the site (nothing is written into docs/)."""
    from mkdocs.structure.files import File

    for path, text in pages().items():
        files.append(File.generated(config, path, content=text))
    return files


if __name__ == "__main__":
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "site-reference")
    for path, text in pages().items():
        (out / path).parent.mkdir(parents=True, exist_ok=True)
        (out / path).write_text(text, encoding="utf-8")
        print(out / path)
