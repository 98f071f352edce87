"""The documentation: the generated reference names every option, command and operator; the docs name no file a
clone lacks."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# files a run writes, which a clone doesn't have until then (the docs say so where they name them)
GENERATED = ("fixtures/models.lock.yaml", "reports/", "models/", "snapshots/ref/", "site/",
             # in a project `pipeprobe init` writes (the docs' examples), not in this repository
             "fixtures/reviews.yaml", "fixtures/ref.yaml", "suites/test_reviews.py", "suites/test_ref.py",
             ".github/workflows/probes.yml")
# pages docs/hooks/reference.py generates when the site builds
GENERATED_PAGES = ("reference/options.md", "reference/commands.md", "reference/probe-file-schema.md",
                   "reference/expectations.md")
TOP = ("fixtures/", "suites/", "scripts/", "tests/", "pipeprobe/", ".github/", "docs/", ".ci/", "shared/", "seed/")


@pytest.fixture(scope="module")
def reference():
    spec = importlib.util.spec_from_file_location("docs_reference", ROOT / "docs/hooks/reference.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_pytest_option_and_setting_is_in_the_reference(reference) -> None:
    from _pytest.config.argparsing import Parser

    from pipeprobe.language.schema import Settings
    from pipeprobe.plugin.options import add_options

    parser = Parser(_ispytest=True)
    add_options(parser)
    page = reference.options_page()
    options = [name for group in parser._groups for option in group.options for name in option.names()]
    assert options and all(f"`{name}`" in page for name in options), [n for n in options if f"`{n}`" not in page]
    assert all(f"`{key}`" in page for key in [*parser._inidict, *Settings.model_fields])


def test_every_operator_is_documented(reference) -> None:
    from pipeprobe.language.expect import OPERATORS

    page = reference.operators_page()
    assert all(f"| `{name}` |" in page for name in OPERATORS)
    assert "undocumented" not in page


def test_every_command_has_its_own_help_in_the_reference(reference) -> None:
    from pipeprobe.cli.main import SUBCOMMANDS

    page = reference.commands_page()
    for name in [*SUBCOMMANDS, "drift merge", "models list", "models fetch", "pack install"]:
        assert f"## `pipeprobe {name}`" in page
        assert f"usage: pipeprobe {name}" in page


def test_the_schema_page_holds_the_probe_file_schema(reference) -> None:
    from pipeprobe.language.schema import schema_json

    assert schema_json() in reference.schema_page()
    assert set(reference.PAGES) == set(GENERATED_PAGES)  # the pages the link check treats as built


def _documents() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def test_the_readme_is_at_most_200_lines() -> None:
    assert len((ROOT / "README.md").read_text(encoding="utf-8").splitlines()) <= 200


def test_docs_name_no_file_a_clone_lacks() -> None:
    missing = []
    for document in _documents():
        text = document.read_text(encoding="utf-8")
        for path in re.findall(r"`([.\w/-]+\.\w+|[.\w-]+/[.\w/-]*)`", text):
            if not path.startswith(TOP) or any(path.startswith(g) for g in GENERATED) or "<" in path:
                continue
            if not (ROOT / path).exists():
                missing.append(f"{document.relative_to(ROOT)}: {path}")
        for link in re.findall(r"\]\(([^)#:]+\.md)\)", text):
            if link.endswith(GENERATED_PAGES):
                continue
            if not (document.parent / link).exists() and not (ROOT / "docs" / link).exists():
                missing.append(f"{document.relative_to(ROOT)}: link {link}")
    assert not missing, "\n".join(missing)
