"""The project's pipeprobe settings: ``[tool.pipeprobe]`` in the rootdir's pyproject.toml.

A project opts in with that table (even an empty one); without it the pytest plugin only
registers its options. Keys: ``fixtures`` (probe files and models.yaml, default
``fixtures``), ``snapshots`` (baselines, default ``snapshots``), ``suites`` (suite test
modules, default ``suites``) and ``tasks`` (task name -> ``package.module:Name``). The old
ini options ``pipeprobe_fixtures``/``pipeprobe_snapshots`` are still read where the table
doesn't set the folder.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PYPROJECT = "pyproject.toml"


class ConfigError(ValueError):
    """A ``[tool.pipeprobe]`` table that can't be used; one line naming the file and key."""


@dataclass(frozen=True)
class ProjectConfig:
    """Where a project keeps its probes, baselines and suites, and its own task adapters."""

    root: Path
    enabled: bool
    fixtures: Path
    snapshots: Path
    suites: Path
    tasks: dict[str, str] = field(default_factory=dict)
    require_models: bool = False  # a run where no probe ran because every model is absent fails

    @property
    def models_file(self) -> Path:
        return self.fixtures / "models.yaml"


def pipeprobe_table(root: Path) -> dict[str, Any] | None:
    """``[tool.pipeprobe]`` of ``root/pyproject.toml``, or None when there is none."""
    path = root / PYPROJECT
    if not path.is_file():
        return None
    try:
        text = path.read_bytes().decode("utf-8")
        if "pipeprobe" not in text:  # most pytest projects: no table to look for, no TOML to parse
            return None
        import tomllib

        document = tomllib.loads(text)
    except OSError as error:
        raise ConfigError(f"{path}: cannot read it ({error.strerror or error})") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text") from None
    except ValueError as error:  # tomllib.TOMLDecodeError
        raise ConfigError(f"{path}: not valid TOML ({error})") from None
    table = document.get("tool", {}).get("pipeprobe") if isinstance(document.get("tool"), dict) else None
    if table is None:
        return None
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.pipeprobe] must be a table")
    return table


def load_config(root: Path, ini: dict[str, str] | None = None) -> ProjectConfig:
    """The settings of the project at ``root``; ``ini``: the old ini options that were set."""
    root = root.resolve()
    table = pipeprobe_table(root)
    ini = ini or {}
    enabled = table is not None
    raw = dict(table or {})
    if "fixtures" not in raw and "pipeprobe_fixtures" in ini:
        raw["fixtures"] = ini["pipeprobe_fixtures"]
    if "snapshots" not in raw and "pipeprobe_snapshots" in ini:
        raw["snapshots"] = ini["pipeprobe_snapshots"]
    if table is None and not raw:  # not a pipeprobe project: no schema to load
        return ProjectConfig(root, False, root / "fixtures", root / "snapshots", root / "suites")
    from pipeprobe.language.schema import SchemaError, Settings, validate

    try:
        settings = validate(Settings, raw, root / PYPROJECT, "[tool.pipeprobe]")
    except SchemaError as error:
        raise ConfigError(f"[tool.pipeprobe] {error}") from None
    return ProjectConfig(
        root=root,
        enabled=enabled,
        fixtures=_inside(root, settings.fixtures, "fixtures"),
        snapshots=_inside(root, settings.snapshots, "snapshots"),
        suites=_inside(root, settings.suites, "suites"),
        tasks=dict(settings.tasks),
        require_models=settings.require_models,
    )


def _inside(root: Path, folder: str, key: str) -> Path:
    """A configured folder, which must stay inside the project."""
    path = (root / folder).resolve()
    if not path.is_relative_to(root):
        raise ConfigError(f"{root / PYPROJECT}: [tool.pipeprobe] {key} = {folder!r} leaves the project folder")
    if path.exists() and not path.is_dir():
        raise ConfigError(f"{path}: the {key} folder is a file, not a folder (remove it or set [tool.pipeprobe] {key})")
    return path


def find_project(start: Path | None = None) -> ProjectConfig:
    """For the CLI: the nearest folder from ``start`` upwards whose pyproject.toml has
    ``[tool.pipeprobe]``; else ``start`` itself with the defaults."""
    start = (start or Path.cwd()).resolve()
    for folder in (start, *start.parents):
        if pipeprobe_table(folder) is not None:
            return load_config(folder)
    return load_config(start)


def suite_declared_in(path: Path) -> str | None:
    """The ``SUITE = "<name>"`` a test module declares, read from its source without importing it."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return _suite_in_source(path, stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=4096)
def _suite_in_source(path: Path, mtime_ns: int, size: int) -> str | None:
    """Keyed by the file's modification time and size too: an edited module is read again."""
    import ast

    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
        return None
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == "SUITE" for target in node.targets
        ):
            if isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
                return node.value.value
    return None


def suite_modules(folder: Path) -> dict[str, list[Path]]:
    """Suite name -> the test modules under ``folder`` that declare it (``SUITE``)."""
    found: dict[str, list[Path]] = {}
    if folder.is_dir():
        for path in sorted(folder.rglob("*.py")):
            suite = suite_declared_in(path)
            if suite is not None:
                found.setdefault(suite, []).append(path)
    return found
