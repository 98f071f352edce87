"""Read probe files (YAML, safe loader) into validated, typed probe records.

The file format is ``pipeprobe.language.schema.ProbeFile``; ``expect`` is checked against the
expectation language (``pipeprobe.language.expect``) and the task's named checks when the file is read,
so a fault is one line naming the file, the probe and the field before any test runs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class CatalogueError(ValueError):
    """A probe file that can't be used; the message names the file and the probe.

    ``lines`` holds every fault found (the message is the first)."""

    def __init__(self, message: str, lines: list[str] | None = None) -> None:
        super().__init__(message)
        self.lines = lines or [message]


@dataclass(frozen=True)
class Source:
    """Where a probe comes from (for the notes: section and test); empty when a file gives none."""

    section: str = ""
    test: str = ""

    def describe(self) -> str:
        return f"{self.section} / {self.test}" if self.section or self.test else ""


@dataclass(frozen=True)
class Probe:
    """One probe: an input, what a person expects, and (optionally) a verdict: right or wrong."""

    id: str
    suite: str
    task: str
    marker: str
    model: str
    lang: str | None
    source: Source
    input: Any
    expect: dict[str, Any]
    verdict: str | None = None  # "right" or "wrong" (aprovado/reprovado are read as these)
    note: str | None = None
    doubtful: str | None = None
    recorded: bool = True
    batch: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    extra_markers: tuple[str, ...] = ()
    path: Path | None = None
    behaviour: Any = None  # pipeprobe.behaviour.members.Behaviour: variants (metamorphic) or repeats (stochastic)

    @property
    def known_weakness(self) -> bool:
        """A person judged the model wrong here (``verdict: wrong``): a strict xfail."""
        return self.verdict == "wrong"

    @property
    def lang_marker(self) -> str | None:
        return f"lang_{self.lang}" if self.lang else None

    @property
    def task_marker(self) -> str:
        from pipeprobe.tasks import task_info

        return task_info(self.task).marker

    @property
    def markers(self) -> tuple[str, ...]:
        """Every marker the probe carries: its file's, its language's, the extras, and its task's."""
        names = [self.marker, *([self.lang_marker] if self.lang_marker else []), *self.extra_markers, self.task_marker]
        names += self.behaviour.markers if self.behaviour else ()  # invariance, directional, cross_lingual, stochastic
        return tuple(dict.fromkeys(names))

    def describe(self) -> str:
        """``suite/id``, with the source when the file gives one."""
        where = self.source.describe()
        return f"{self.suite}/{self.id}" + (f" ({where})" if where else "")


def default_marker(suite: str) -> str:
    """A suite's marker when its file names none: the suite name as a marker name."""
    name = re.sub(r"[^A-Za-z0-9_]", "_", suite)
    return f"suite_{name}" if name[:1].isdigit() else name


def load_suite(path: Path) -> list[Probe]:
    """Load one probe file; CatalogueError naming the file, probe and field on any fault."""
    # these, and pydantic, load with the first probe file, not at start-up
    from pipeprobe.behaviour import members as behaviour
    from pipeprobe.behaviour.metamorphic import path_faults as metamorphic_path_faults
    from pipeprobe.language import expect as expect_language
    from pipeprobe.language.limits import param_faults
    from pipeprobe.language.schema import VERDICTS, ProbeFile, SchemaError, read_yaml, validate
    from pipeprobe.tasks import TaskError, named_checks, output_fields

    try:
        document = read_yaml(path, "probe file")
        parsed: ProbeFile = validate(ProbeFile, document, path, "a probe file")
    except SchemaError as error:
        raise CatalogueError(str(error), error.lines) from None
    try:
        checks = named_checks(parsed.task)
        fields = output_fields(parsed.task)
    except TaskError as error:
        raise CatalogueError(f"{path}: task: {error}") from None
    problems = []
    seen: set[str] = set()
    declared: dict[str, Any] = {}
    for entry in parsed.probes:
        if entry.id in seen:
            problems.append(f"{path}: probe id {entry.id!r} appears twice")
        seen.add(entry.id)
        faults = expect_language.validate(entry.expect, checks, fields)
        if entry.input is None:
            faults.append("input: empty (null); every probe needs an input")
        faults += param_faults({**(parsed.params or {}), **(entry.params or {})})
        problems += [f"{path}: probe {entry.id!r}: {line}" for line in faults]
        try:
            declared[entry.id] = behaviour.parse(entry.model_dump(exclude_none=True), entry.id, entry.lang or "en")
        except behaviour.BehaviourError as error:
            problems.append(f"{path}: probe {entry.id!r}: {error}")
        if getattr(declared.get(entry.id), "metamorphic", None) is not None:
            problems += [f"{path}: probe {entry.id!r}: {line}"
                         for line in metamorphic_path_faults(declared[entry.id].metamorphic, fields)]
        if not entry.expect and not entry.doubtful and not _behaviour_only(declared.get(entry.id)):
            problems.append(f"{path}: probe {entry.id!r}: expect: empty, so nothing would be checked; expect "
                            "something (only a metamorphic probe with invariant/direction, or a doubtful one, may not)")
    marker = parsed.marker or default_marker(parsed.suite)
    tested = _case_tests(parsed, path, marker, seen, problems)  # tests of many cases (CheckList)
    if not parsed.probes and not parsed.tests:
        problems.append(f"{path}: the file has neither probes nor tests")
    if problems:
        raise CatalogueError(problems[0], problems)
    return tested + [
        Probe(
            id=entry.id,
            suite=parsed.suite,
            task=parsed.task,
            marker=marker,
            model=entry.model or parsed.model,
            lang=entry.lang,
            source=Source(entry.source.section, entry.source.test) if entry.source else Source(),
            input=entry.input,
            expect={str(key): value for key, value in entry.expect.items()},
            verdict=VERDICTS[entry.verdict] if entry.verdict else None,
            note=entry.note,
            doubtful=entry.doubtful,
            recorded=entry.recorded,
            batch=entry.batch,
            params={**(parsed.params or {}), **(entry.params or {})},
            extra_markers=tuple(dict.fromkeys([*parsed.markers, *entry.markers])),
            path=path,
            behaviour=declared.get(entry.id),
        )
        for entry in parsed.probes
    ]


def _case_tests(parsed: Any, path: Path, marker: str, seen: set[str], problems: list[str]) -> list[Probe]:
    """One probe per test of many cases (``tests:``); its cases are built now (``pipeprobe.behaviour.cases``)."""
    from pipeprobe.behaviour import members as behaviour
    from pipeprobe.behaviour.cases import CaseTestError
    from pipeprobe.behaviour.cases import parse as parse_test
    from pipeprobe.language.schema import VERDICTS

    found = []
    for entry in parsed.tests:
        if entry.name in seen:
            problems.append(f"{path}: test name {entry.name!r} is taken by another probe or test")
        seen.add(entry.name)
        try:
            test = parse_test(entry.model_dump(exclude_none=True), entry.lang or "en", path.parent)
        except CaseTestError as error:
            problems.append(f"{path}: test {entry.name!r}: {error}")
            continue
        found.append(Probe(
            id=entry.name, suite=parsed.suite, task=parsed.task, marker=marker, model=entry.model or parsed.model,
            lang=entry.lang, source=Source(), expect={}, path=path, behaviour=behaviour.Behaviour(cases=test),
            input={"test": test.name, "capability": test.capability, "type": test.type, "cases": len(test.cases),
                   "inputs": test.inputs},
            note=entry.note or entry.description, batch=f"test:{entry.name}",  # not a slug: no other probe's batch
            verdict=VERDICTS[entry.verdict] if entry.verdict else None,
            params={**(parsed.params or {}), **(entry.params or {})},
            extra_markers=tuple(dict.fromkeys([*parsed.markers, *entry.markers])),
        ))
    return found


def _behaviour_only(declared: Any) -> bool:
    """Whether a probe checks its output by behaviour alone (invariant/direction over variants, or a case test)."""
    metamorphic = getattr(declared, "metamorphic", None)
    found = metamorphic is not None and bool(metamorphic.invariant or metamorphic.direction)
    return found or getattr(declared, "cases", None) is not None


def probe_files(directory: Path) -> list[Path]:
    """The probe files in ``directory``: every ``*.yaml`` but models.yaml and its lock file.

    CatalogueError for one that is a symlink leading out of the folder (the project's data stays in it)."""
    from pipeprobe.models.lock import LOCK_NAME  # the models package loads with the first probe file

    found = [path for path in sorted(directory.glob("*.yaml")) if path.name not in ("models.yaml", LOCK_NAME)]
    folder = directory.resolve()
    for path in found:
        if not path.resolve().is_relative_to(folder):
            raise CatalogueError(f"{path}: a link to {path.resolve()}, outside the probe folder {folder}; refused")
    return found


def bind_tiers(probes: dict[str, list[Probe]], abs_bound: float, rel_bound: float) -> dict[str, list[Probe]]:
    """The probes with every ``tier`` bound of their expectations set to this run's tier."""
    from dataclasses import replace

    from pipeprobe.language.expect import bind_tier, mentions_tier

    return {suite: [replace(probe, expect=bind_tier(probe.expect, abs_bound, rel_bound))
                    if mentions_tier(probe.expect) else probe for probe in members]
            for suite, members in probes.items()}


def load_catalogue(directory: Path) -> dict[str, list[Probe]]:
    """Every probe file (``*.yaml``) in ``directory``, keyed by suite name."""
    suites: dict[str, list[Probe]] = {}
    for path in probe_files(directory):
        probes = load_suite(path)
        suite = probes[0].suite
        if suite in suites:
            raise CatalogueError(f"{path}: suite {suite!r} is defined by another file too")
        suites[suite] = probes
    return suites
