"""One declared schema (pydantic v2) for every file a user writes: probe files, models.yaml,
the model map, baselines and ``[tool.pipeprobe]``; and the safe readers that feed it.

Faults come back as one line each, naming the file, the probe and the field. ``pipeprobe
schema`` prints ``ProbeFile``'s JSON Schema for editors (``# yaml-language-server: $schema=``).
"""

from __future__ import annotations

import json
import sys
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

SLUG_PATTERN = r"^[A-Za-z0-9_-][A-Za-z0-9._-]*$"
MARKER_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"
LANG_PATTERN = r"^[a-z]{2,3}$"  # an ISO 639-1 (two letters) or 639-2/3 (three letters) code
MAX_YAML_NODES = 1_000_000  # a document that expands past this (alias bombs) is refused

Slug = Annotated[str, StringConstraints(pattern=SLUG_PATTERN, max_length=200)]
MarkerName = Annotated[str, StringConstraints(pattern=MARKER_PATTERN, max_length=100)]
LangCode = Annotated[str, StringConstraints(pattern=LANG_PATTERN)]
NonEmpty = Annotated[str, StringConstraints(min_length=1)]
Revision = Annotated[str, StringConstraints(pattern=r"^\S+$")]

VERDICTS = {"right": "right", "wrong": "wrong", "aprovado": "right", "reprovado": "wrong"}


class SchemaError(ValueError):
    """A file that doesn't fit its schema; ``lines`` holds one line per fault."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__(lines[0] if len(lines) == 1 else f"{lines[0]} (and {len(lines) - 1} more)")
        self.lines = lines


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class Source(_Strict):
    """Where a probe comes from (the notes' section and test), for people reading a failure."""

    section: str
    test: str


class ProbeEntry(_Strict):
    """One probe: an input, what a person expects of the output, and optional context."""

    id: Slug = Field(description="the probe's name: letters, digits, '.', '_', '-' (no leading dot)")
    input: Any = Field(description="what the task adapter's run() gets")
    expect: dict[str | int, Any] = Field(
        description="path into the output -> bare value (equals) or one operator mapping: approx (abs, rel), "
        "above, below, between, equals, contains, matches, one_of, len; or an adapter's named check"
    )
    source: Source | None = None
    lang: LangCode | None = Field(default=None, description="ISO 639 code of the input's language: lang_<code>")
    verdict: Literal["right", "wrong", "aprovado", "reprovado"] | None = Field(
        default=None, description="wrong (reprovado) = a known weakness: strict xfail"
    )
    note: str | None = None
    doubtful: str | None = None
    recorded: bool = Field(default=True, description="false: no output was recorded, no baseline until one is")
    batch: Slug | None = None
    params: dict[str, Any] | None = None
    model: NonEmpty | None = None
    markers: list[MarkerName] = Field(default_factory=list)
    # Metamorphic and stochastic probes (pipeprobe.behaviour.members reads and checks these further).
    perturb: list[str] | dict[str, Any] | None = Field(
        default=None, description="seeded perturbations making variants: [kind, ...] or {kind: count, field: name}"
    )
    counterpart: dict[str, Any] | None = Field(
        default=None, description="the same input in another language: {input, lang} (a cross-lingual pair)"
    )
    invariant: str | list[str] | None = Field(default=None, description="path(s) that must stay as on the original")
    direction: dict[str, Literal["up", "down"]] | None = Field(
        default=None, description="path -> up | down: how a number must move on every variant"
    )
    max_fail_rate: int | float | None = Field(default=None, description="share of variants allowed to fail (0-1)")
    repeats: int | None = Field(default=None, description="run N times with seeds seed+i; the result is the pass rate")
    min_pass_rate: int | float | None = Field(default=None, description="the pass rate a stochastic probe needs")


class ProbeFile(_Strict):
    """A probe file: one suite of probes of one task."""

    model_config = ConfigDict(extra="forbid", strict=True, title="pipeprobe probe file")

    suite: Slug
    task: NonEmpty = Field(description="a built-in task or one of [tool.pipeprobe.tasks]")
    model: NonEmpty = Field(description="hub id, pinned in models.yaml")
    marker: MarkerName | None = Field(default=None, description="default: the suite's name")
    markers: list[MarkerName] = Field(default_factory=list)
    params: dict[str, Any] | None = None
    probes: list[ProbeEntry] = Field(min_length=1)


class ModelEntry(_Strict):
    revision: Revision = Field(description="a hub commit, tag or branch")
    task: NonEmpty
    note: str = ""
    gguf_file: NonEmpty | None = None
    labels: list[NonEmpty] | None = Field(
        default=None, min_length=1,
        description="the label set the model must have (its config's id2label values), checked after it loads",
    )


class ModelsFile(_Strict):
    """fixtures/models.yaml: every model the probes need, pinned."""

    models: dict[str, ModelEntry]


class MapEntryTable(_Strict):
    """A model-map entry written as a table (``"<hub id>" = "<folder>"`` is the short form)."""

    path: NonEmpty
    gguf_file: NonEmpty | None = None
    tokenizer_only: bool = False


class Baseline(BaseModel):
    """A baseline JSON file (keys beyond these, such as ``tolerance``, are the snapshot module's)."""

    model_config = ConfigDict(extra="allow", strict=True)
    suite: Slug
    probe: Slug
    model: NonEmpty
    revision: NonEmpty
    provenance: dict[str, Any]
    input: Any
    output: Any


class Settings(_Strict):
    """``[tool.pipeprobe]`` in pyproject.toml."""

    fixtures: NonEmpty = Field(default="fixtures", description="folder of probe files and models.yaml")
    snapshots: NonEmpty = Field(default="snapshots", description="folder of baselines")
    suites: NonEmpty = Field(default="suites", description="folder of suite test modules (SUITE = ...)")
    tasks: dict[NonEmpty, NonEmpty] = Field(default_factory=dict, description="task name -> 'package.module:Name'")


# Reading ------------------------------------------------------------------------------------
def read_text(path: Path, what: str) -> str:
    """A file's text as UTF-8; SchemaError (one line) when it can't be read or isn't UTF-8."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise SchemaError([f"{path}: cannot read {what} ({error.strerror or error})"]) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        where = f"byte {data[error.start]:#04x} at offset {error.start}"
        raise SchemaError([f"{path}: {what} is not UTF-8 text ({where})"]) from None


def read_yaml(path: Path, what: str) -> Any:
    """``yaml.safe_load`` of a UTF-8 file, refusing alias bombs; SchemaError (one line) on any fault."""
    text = read_text(path, what)
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise SchemaError([f"{path}: not a readable YAML {what}: {' '.join(str(error).split())}"]) from None
    except RecursionError:
        raise SchemaError([f"{path}: {what} nests too deeply"]) from None
    if _expanded_size(document, {}) > MAX_YAML_NODES:
        raise SchemaError([f"{path}: {what} expands past {MAX_YAML_NODES:,} values (YAML aliases?); refused"])
    return document


def _expanded_size(value: Any, memo: dict[int, int]) -> int:
    """How many values the document holds once every alias is expanded (memoised: shared nodes cost once)."""
    if not isinstance(value, dict | list):
        return 1
    key = id(value)
    if key in memo:
        return memo[key]
    memo[key] = MAX_YAML_NODES + 1  # a node reached again while being counted: a cycle
    items = [*value.keys(), *value.values()] if isinstance(value, dict) else value
    total = 1
    for item in items:
        total += _expanded_size(item, memo)
        if total > MAX_YAML_NODES:
            break
    memo[key] = total
    return total


def read_toml(path: Path, what: str) -> dict[str, Any]:
    text = read_text(path, what)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise SchemaError([f"{path}: {what} is not valid TOML ({error})"]) from None


# Validating ---------------------------------------------------------------------------------
def validate(model: type[BaseModel], document: Any, path: Path, what: str) -> Any:
    """``model`` of ``document``; SchemaError with one line per fault, naming file, probe and field."""
    if not isinstance(document, dict):
        raise SchemaError([f"{path}: {what} must be a mapping, not {_kind(document)}"])
    try:
        return model.model_validate(document)
    except ValidationError as error:
        raise SchemaError([_fault_line(path, document, fault) for fault in error.errors()]) from None


def _fault_line(path: Path, document: dict, fault: dict[str, Any]) -> str:
    location = list(fault["loc"])
    where = f"{path}:"
    if len(location) >= 2 and location[0] == "probes" and isinstance(location[1], int):
        entry = document["probes"][location[1]] if isinstance(document.get("probes"), list) else None
        probe_id = entry.get("id") if isinstance(entry, dict) else None
        where += f" probe {probe_id!r}:" if isinstance(probe_id, str) else f" probe #{location[1] + 1}:"
        location = location[2:]
    elif len(location) >= 2 and location[0] == "models":
        where += f" model {location[1]!r}:"
        location = location[2:]
        # a model-map entry is a path or a table: say so once instead of listing both branches
        if location and location[0] in ("str", "MapEntryTable"):
            location = location[1:]
    field = ".".join(str(part) for part in location if part not in ("str", "int", "MapEntryTable")) or "(whole)"
    message = fault["msg"]
    if fault["type"] == "missing":
        return f"{where} {field}: missing (required)"
    if fault["type"] == "extra_forbidden":
        return f"{where} {field}: unknown key"
    if fault["type"] == "string_pattern_mismatch":
        message = _pattern_words(fault)
    given = fault.get("input")
    shown = repr(given) if not isinstance(given, dict | list) else _kind(given)
    return f"{where} {field}: {message} (got {shown[:80]})"


def _pattern_words(fault: dict[str, Any]) -> str:
    pattern = (fault.get("ctx") or {}).get("pattern")
    return {
        SLUG_PATTERN: "must be a slug: letters, digits, '.', '_', '-', no leading dot",
        MARKER_PATTERN: "must be a marker name: letters, digits and '_', not starting with a digit",
        LANG_PATTERN: "must be an ISO 639 language code (two or three lowercase letters)",
    }.get(pattern, fault["msg"])


def _kind(value: Any) -> str:
    return {dict: "a mapping", list: "a list", str: "a string", bool: "a boolean", type(None): "empty"}.get(
        type(value), type(value).__name__
    )


def probe_file_schema() -> dict[str, Any]:
    """The JSON Schema of a probe file."""
    schema = ProbeFile.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema


def schema_json() -> str:
    return json.dumps(probe_file_schema(), indent=2, ensure_ascii=False)


# `pipeprobe schema` -------------------------------------------------------------------------
def add_arguments(parser: Any) -> None:
    parser.add_argument("--output", "-o", default=None, metavar="PATH", help="write it to PATH instead of stdout")


def main(args: Any) -> int:
    """Print (or write) the probe file's JSON Schema."""
    text = schema_json() + "\n"
    if args.output is None:
        print(text, end="")
        return 0
    try:
        Path(args.output).write_text(text, encoding="utf-8")
    except OSError as error:
        print(f"pipeprobe schema: cannot write {args.output} ({error.strerror or error})", file=sys.stderr)
        return 2
    return 0
