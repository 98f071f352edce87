"""Read probe files (YAML, safe loader) into validated, typed probe records."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from pipeprobe.model_lock import LOCK_NAME

VERDICTS = ("aprovado", "reprovado")
LANGUAGES = ("en", "pt", "fr")
NOT_PROBE_FILES = ("models.yaml", LOCK_NAME)
_FILE_KEYS = {"suite", "task", "marker", "markers", "model", "params", "probes"}
_PROBE_KEYS = {
    "id", "source", "lang", "input", "params", "batch", "expect", "verdict",
    "note", "doubtful", "recorded", "model",
}


class CatalogueError(ValueError):
    """A probe file that can't be used; the message names the file and the probe."""


@dataclass(frozen=True)
class Source:
    """Where in the notes a probe comes from."""

    section: str
    test: str

    def describe(self) -> str:
        return f"{self.section} / {self.test}"


@dataclass(frozen=True)
class Probe:
    """One try of the notes: an input, what a person expects, and the notes' verdict."""

    id: str
    suite: str
    task: str
    marker: str
    model: str
    lang: str
    source: Source
    input: Any
    expect: dict[str, Any]
    verdict: str | None = None
    note: str | None = None
    doubtful: str | None = None
    recorded: bool = True
    batch: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    extra_markers: tuple[str, ...] = ()

    @property
    def known_weakness(self) -> bool:
        """The notes judged the model wrong here ("reprovado")."""
        return self.verdict == "reprovado"

    @property
    def lang_marker(self) -> str:
        return f"lang_{self.lang}"

    @property
    def markers(self) -> tuple[str, ...]:
        """Every marker the probe carries: its task's, its language's, and the file's extras."""
        return (self.marker, self.lang_marker, *self.extra_markers)


def load_suite(path: Path) -> list[Probe]:
    """Load one probe file; raise CatalogueError naming the file and probe on any fault."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise CatalogueError(f"{path}: not a readable YAML probe file: {_one_line(error)}") from None
    if not isinstance(document, dict):
        raise CatalogueError(f"{path}: expected a mapping with 'suite', 'task', 'probes'")
    _reject_unknown(path, "file", document, _FILE_KEYS)
    for key in ("suite", "task", "marker", "model", "probes"):
        if key not in document:
            raise CatalogueError(f"{path}: missing top-level key {key!r}")
    if not isinstance(document["probes"], list) or not document["probes"]:
        raise CatalogueError(f"{path}: 'probes' must be a non-empty list")
    extra_markers = document.get("markers") or []
    if not isinstance(extra_markers, list) or not all(isinstance(name, str) for name in extra_markers):
        raise CatalogueError(f"{path}: 'markers' must be a list of marker names")
    file_params = document.get("params") or {}
    probes = [
        _probe(path, document, index, entry, file_params, tuple(extra_markers))
        for index, entry in enumerate(document["probes"], start=1)
    ]
    seen: set[str] = set()
    for probe in probes:
        if probe.id in seen:
            raise CatalogueError(f"{path}: probe id {probe.id!r} appears twice")
        seen.add(probe.id)
    return probes


def load_catalogue(directory: Path) -> dict[str, list[Probe]]:
    """Every probe file (``*.yaml``) in ``directory``, keyed by suite name."""
    suites: dict[str, list[Probe]] = {}
    for path in sorted(directory.glob("*.yaml")):
        if path.name in NOT_PROBE_FILES:
            continue
        probes = load_suite(path)
        suite = probes[0].suite
        if suite in suites:
            raise CatalogueError(f"{path}: suite {suite!r} is defined by another file too")
        suites[suite] = probes
    return suites


def _probe(
    path: Path, document: dict, index: int, entry: Any, file_params: dict, extra_markers: tuple[str, ...]
) -> Probe:
    where = f"{path}: probe #{index}"
    if not isinstance(entry, dict):
        raise CatalogueError(f"{where}: expected a mapping")
    if "id" in entry:
        where = f"{path}: probe {entry['id']!r}"
    _reject_unknown(path, where, entry, _PROBE_KEYS)
    for key in ("id", "source", "lang", "input", "expect"):
        if key not in entry:
            raise CatalogueError(f"{where}: missing {key!r}")
    source = entry["source"]
    if not isinstance(source, dict) or not {"section", "test"} <= source.keys():
        raise CatalogueError(f"{where}: 'source' needs 'section' and 'test'")
    if entry["lang"] not in LANGUAGES:
        raise CatalogueError(f"{where}: 'lang' must be one of {', '.join(LANGUAGES)}")
    verdict = entry.get("verdict")
    if verdict is not None and verdict not in VERDICTS:
        raise CatalogueError(f"{where}: 'verdict' must be aprovado, reprovado or absent")
    if not isinstance(entry["expect"], dict):
        raise CatalogueError(f"{where}: 'expect' must be a mapping")
    params = {**file_params, **(entry.get("params") or {})}
    return Probe(
        id=str(entry["id"]),
        suite=str(document["suite"]),
        task=str(document["task"]),
        marker=str(document["marker"]),
        model=str(entry.get("model", document["model"])),
        lang=entry["lang"],
        source=Source(section=str(source["section"]), test=str(source["test"])),
        input=entry["input"],
        expect=dict(entry["expect"]),
        verdict=verdict,
        note=entry.get("note"),
        doubtful=entry.get("doubtful"),
        recorded=bool(entry.get("recorded", True)),
        batch=entry.get("batch"),
        params=params,
        extra_markers=extra_markers,
    )


def _reject_unknown(path: Path, where: str, mapping: dict, allowed: set[str]) -> None:
    unknown = sorted(set(mapping) - allowed)
    if unknown:
        label = f"{path}" if where == "file" else where
        raise CatalogueError(f"{label}: unknown key(s) {', '.join(map(str, unknown))}")


def _one_line(error: Exception) -> str:
    return " ".join(str(error).split())
