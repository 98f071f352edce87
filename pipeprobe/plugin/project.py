"""The project side of the pytest plugin: the opt-in gate, markers, and unrun probe files.

- A project opts in with ``[tool.pipeprobe]`` (``pipeprobe.config``); without it the plugin
  only registers its options, reads no file and imports nothing heavy.
- Markers: one per task (``pipeprobe.tasks``), each probe file's ``marker``/``markers``, and
  ``lang_<code>`` for every language a probe names, are registered automatically; ``-m``
  with a name nothing registers stays a usage error (exit 4).
- A probe file no suite module runs (no ``SUITE = "<suite>"`` in the suites folder) is a
  warning here and a fault in ``pipeprobe check``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pipeprobe.config import ConfigError, ProjectConfig, load_config, suite_modules

if TYPE_CHECKING:
    from pipeprobe.probes.catalogue import Probe

PROJECT_KEY = pytest.StashKey["ProjectConfig"]()
MODELS_CHECKED_KEY = pytest.StashKey[bool]()
STATIC_MARKERS = {"xdist_group": "pytest-xdist: run the group's tests in one worker (one model load)"}
_EXPRESSION_WORDS = {"and", "or", "not", "True", "False", "None"}


def for_pytest(config: pytest.Config) -> ProjectConfig:
    """The settings of a pytest run (rootdir's pyproject.toml; the old ini options, where set
    to something other than their default, fill in folders the table leaves out), once per run."""
    if PROJECT_KEY in config.stash:
        return config.stash[PROJECT_KEY]
    ini = {}
    for name, default in (("pipeprobe_fixtures", "fixtures"), ("pipeprobe_snapshots", "snapshots")):
        value = str(config.getini(name) or default)
        if value != default:
            ini[name] = value
    project = config.stash[PROJECT_KEY] = load_config(config.rootpath, ini)
    return project


def project_for(config: pytest.Config) -> ProjectConfig:
    """This run's project settings, its own task adapters made known; UsageError on a bad table."""
    try:
        project = for_pytest(config)
        if project.enabled:
            from pipeprobe.tasks import TaskError, register_user_tasks

            try:
                register_user_tasks(project.tasks, project.root)
            except TaskError as error:
                raise ConfigError(f"{project.root / 'pyproject.toml'}: {error}") from None
            _check_models_file(config, project)
    except ConfigError as error:
        raise pytest.UsageError(str(error)) from None
    return project


def _check_models_file(config: pytest.Config, project: ProjectConfig) -> None:
    """models.yaml through the declared schema, once per run: its first fault is a usage error."""
    if config.stash.get(MODELS_CHECKED_KEY, False):
        return
    from pipeprobe.cli.check import models_file_faults

    faults = models_file_faults(project.models_file)
    if faults:
        more = f" (and {len(faults) - 1} more: pipeprobe check lists them)" if len(faults) > 1 else ""
        raise ConfigError(faults[0] + more)
    config.stash[MODELS_CHECKED_KEY] = True


def declared_markers(probes: dict[str, list[Probe]]) -> dict[str, str]:
    """Marker -> description for every task, probe file and language the probes use."""
    from pipeprobe.tasks import task_markers

    markers = {**STATIC_MARKERS, **task_markers()}
    for suite, members in probes.items():
        for probe in members:
            markers.setdefault(probe.marker, f"probes of the {suite} suite")
            for name in probe.extra_markers:
                markers.setdefault(name, f"declared by the {suite} probe file")
            if probe.lang_marker:
                markers.setdefault(probe.lang_marker, f"probes whose input is in language {probe.lang!r} (ISO 639)")
    return markers


def configure(config: pytest.Config, project: ProjectConfig, probes: dict[str, list[Probe]]) -> None:
    """Register the probes' markers, check ``-m`` once every plugin has registered its own, and
    warn about probe files no suite module runs."""
    for name, description in declared_markers(probes).items():
        config.addinivalue_line("markers", f"{name}: {description}")
    unrun = unrun_suites(project, probes)
    for suite, path in sorted(unrun.items()):
        message = f"{path}: no suite module in {project.suites} runs suite {suite!r} (add one with SUITE = {suite!r})"
        config.issue_config_time_warning(pytest.PytestConfigWarning(message), stacklevel=2)


class MarkExpressionCheck:
    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        unknown = undeclared_in_expression(session.config.option.markexpr or "", registered(session.config))
        if unknown:
            raise pytest.UsageError(
                f"-m {session.config.option.markexpr!r}: no probe file, task or plugin declares marker(s) "
                f"{', '.join(unknown)}; see `pytest --markers`"
            )


def registered(config: pytest.Config) -> set[str]:
    """Every marker name in the ``markers`` ini list (pytest's own, plugins', ours)."""
    names = set()
    for line in config.getini("markers"):
        name = re.split(r"[:(]", str(line), maxsplit=1)[0].strip()
        if name:
            names.add(name)
    return names


def undeclared_in_expression(expression: str, known: set[str]) -> list[str]:
    """Marker names in an ``-m`` expression that nothing registers (keyword arguments aside)."""
    text = re.sub(r"(\"[^\"]*\"|'[^']*')", " ", expression)
    names = []
    for match in re.finditer(r"[A-Za-z_][A-Za-z0-9_]*(\s*=)?", text):
        word = match.group(0).rstrip("= \t")
        if match.group(1) or word in _EXPRESSION_WORDS:
            continue
        if word not in known and word not in names:
            names.append(word)
    return names


def unrun_suites(project: ProjectConfig, probes: dict[str, list[Any]]) -> dict[str, Path]:
    """Suite -> probe file, for every suite no module in the suites folder names."""
    modules = suite_modules(project.suites)
    unrun = {}
    for suite, members in probes.items():
        if suite not in modules and members:
            unrun[suite] = members[0].path or project.fixtures
    return unrun
