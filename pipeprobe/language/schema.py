"""One declared schema (pydantic v2) for every file a user writes: probe files, models.yaml,
the model map, baselines and ``[tool.pipeprobe]``; and the safe readers that feed it.

Faults come back as one line each, naming the file, the probe and the field. ``pipeprobe
schema`` prints ``ProbeFile``'s JSON Schema for editors (``# yaml-language-server: $schema=``).
"""

from __future__ import annotations

import json
import os
import re
import stat
import sys
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, ValidationError

SLUG_PATTERN = r"^[A-Za-z0-9_-][A-Za-z0-9._-]*$"
MARKER_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"
LANG_PATTERN = r"^[a-z]{2,3}$"  # an ISO 639-1 (two letters) or 639-2/3 (three letters) code
MAX_YAML_NODES = 1_000_000  # a document that expands past this (alias bombs) is refused

MAX_SLUG_CHARS = 200  # a suite name or probe id: it names files and folders (255 bytes at most on most systems)
Slug = Annotated[str, StringConstraints(pattern=SLUG_PATTERN, max_length=MAX_SLUG_CHARS)]
MarkerName = Annotated[str, StringConstraints(pattern=MARKER_PATTERN, max_length=100)]
LangCode = Annotated[str, StringConstraints(pattern=LANG_PATTERN)]
NonEmpty = Annotated[str, StringConstraints(min_length=1)]
# A revision names the baselines' folder (<model>@<revision>): a commit, tag or branch without '/', no '..'
REVISION_PATTERN = r"^[A-Za-z0-9_+-]+(\.[A-Za-z0-9_+-]+)*$"
Revision = Annotated[str, StringConstraints(pattern=REVISION_PATTERN, max_length=100)]
HUB_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,95}(/[A-Za-z0-9][A-Za-z0-9._-]{0,95})?")


def hub_id_problem(value: str) -> str | None:
    """Why ``value`` is not a hub id (``name`` or ``owner/name``), or None. A path such as
    ``/tmp/x`` or ``../m`` is refused: a local folder belongs in the model map, never in a probe file."""
    if HUB_ID.fullmatch(value) and ".." not in value:
        return None
    return (f"{value[:100]!r} is not a hub id (owner/name: letters, digits, '.', '_', '-'); "
            "a local folder belongs in the model map (--model-map)")


def _hub_id(value: str) -> str:
    if problem := hub_id_problem(value):
        raise ValueError(problem)
    return value


HubId = Annotated[str, AfterValidator(_hub_id)]


def gguf_file_problem(name: str) -> str | None:
    """Why ``name`` is not a GGUF file name inside its model's folder (absolute, or with ``..``), or None."""
    parts = Path(name).parts
    if name and not Path(name).is_absolute() and ".." not in parts and not name.startswith("~"):
        return None
    return f"{name[:100]!r} must be a file inside the model's folder (no absolute path, no '..')"


def _gguf_file(value: str) -> str:
    if problem := gguf_file_problem(value):
        raise ValueError(problem)
    return value


GgufFile = Annotated[str, StringConstraints(min_length=1), AfterValidator(_gguf_file)]

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
    model: HubId | None = None
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


Label = NonEmpty | list[NonEmpty] | dict[Literal["not"], NonEmpty | list[NonEmpty]]


class DataSource(_Strict):
    """A test's cases from a file beside the probe file: which columns hold what."""

    file: NonEmpty = Field(description="a .jsonl, .csv or .parquet file in the probe file's folder (or below)")
    format: Literal["jsonl", "csv", "parquet"] | None = None
    text: NonEmpty = "text"
    label: NonEmpty | None = None
    variants: NonEmpty | None = Field(default=None, description="a column of variants: a list, or '|'-separated")


class CaseTestEntry(_Strict):
    """A test of many cases (CheckList's MFT / INV / DIR): pipeprobe.behaviour.cases reads it."""

    name: Slug
    capability: NonEmpty = Field(description="what the test checks: Vocabulary, Negation, Robustness, NER, ...")
    type: Literal["MFT", "INV", "DIR"]
    description: str | None = None
    lang: LangCode | None = None
    cases: list[Any] | None = Field(default=None, description="texts, or {text, label?, variants?: [text, ...]}")
    template: str | list[str | dict[str, Any]] | None = Field(
        default=None, description="texts with {lexicon} placeholders; a list item may be {text, label}"
    )
    lexicons: dict[NonEmpty, list[NonEmpty]] | None = Field(default=None, description="the file's own lexicons")
    nsamples: Annotated[int, Field(ge=1)] | None = Field(default=None, description="seeded sample of combinations")
    seed: int | None = None
    data: DataSource | None = None
    label: Label | None = Field(default=None, description="a label, a list of accepted labels, or {not: label}")
    perturb: list[str] | dict[str, int] | None = Field(default=None, description="perturbations making variants")
    threshold: Annotated[float, Field(ge=0, le=1)] = Field(default=0.1, description="INV: confidence move allowed")
    direction: Literal["up", "down", "not_down", "not_up"] | None = Field(default=None, description="DIR")
    of: NonEmpty | None = Field(default=None, description="DIR: whose confidence (default: the original's label)")
    tolerance: Annotated[float, Field(ge=0, le=1)] = Field(default=0.1, description="DIR tolerance")
    neutral_band: list[Annotated[float, Field(ge=0, le=1)]] | None = Field(
        default=None, description="[low, high] on a two-class model's positive probability: a third label, neutral"
    )
    positive: NonEmpty | None = Field(default=None, description="with neutral_band: the positive label")
    max_fail_rate: Annotated[float, Field(ge=0, le=1)] = Field(description="the gate: failed / applicable cases")
    metrics: dict[Literal["accuracy", "macro_f1"], Annotated[float, Field(ge=0, le=1)]] | None = None
    verdict: Literal["right", "wrong", "aprovado", "reprovado"] | None = Field(
        default=None, description="wrong = a known weakness: its gate is a strict xfail (note says why)"
    )
    note: str | None = None
    params: dict[str, Any] | None = None
    model: NonEmpty | None = None
    markers: list[MarkerName] = Field(default_factory=list)


class ProbeFile(_Strict):
    """A probe file: one suite of probes of one task."""

    model_config = ConfigDict(extra="forbid", strict=True, title="pipeprobe probe file")

    suite: Slug
    task: NonEmpty = Field(description="a built-in task or one of [tool.pipeprobe.tasks]")
    model: HubId = Field(description="hub id, pinned in models.yaml")
    marker: MarkerName | None = Field(default=None, description="default: the suite's name")
    markers: list[MarkerName] = Field(default_factory=list)
    params: dict[str, Any] | None = None
    probes: list[ProbeEntry] = Field(default_factory=list)
    tests: list[CaseTestEntry] = Field(default_factory=list, description="tests of many cases (CheckList)")


class ModelEntry(_Strict):
    revision: Revision = Field(description="a hub commit, tag or branch")
    task: NonEmpty
    note: str = ""
    gguf_file: GgufFile | None = None
    labels: list[NonEmpty] | None = Field(
        default=None, min_length=1,
        description="the label set the model must have (its config's id2label values), checked after it loads",
    )


class ModelsFile(_Strict):
    """fixtures/models.yaml: every model the probes need, pinned."""

    models: dict[HubId, ModelEntry]


class MapEntryTable(_Strict):
    """A model-map entry written as a table (``"<hub id>" = "<folder>"`` is the short form)."""

    path: NonEmpty
    gguf_file: GgufFile | None = None
    tokenizer_only: bool = False


# A target a run can be: ``<device kind>/<dtype>`` (``baselines.targets.keys_for``); anything else would show as a
# grid column and be compared with by no run.
TARGET_DTYPES = ("float32", "float16", "bfloat16")
TARGET_KEY_PATTERN = r"^(cpu|mps|cuda|cuda-sm[0-9]{2,3})/(float32|float16|bfloat16)$"
TargetKey = Annotated[str, StringConstraints(pattern=TARGET_KEY_PATTERN)]


def _known_target(provenance: dict[str, Any]) -> dict[str, Any]:
    """A provenance's ``device``/``dtype``, where given, name a target a run can be."""
    device, dtype = provenance.get("device"), provenance.get("dtype")
    if device is not None and not (isinstance(device, str) and device.split(":", 1)[0] in ("cpu", "cuda", "mps")):
        raise ValueError(f"device {device!r} is not a device a run can use (cpu, cuda, cuda:N, mps)")
    if dtype is not None and dtype not in TARGET_DTYPES:
        raise ValueError(f"dtype {dtype!r} is not a dtype a run can use ({', '.join(TARGET_DTYPES)})")
    return provenance


Provenance = Annotated[dict[str, Any], AfterValidator(_known_target)]


class BaselineTarget(BaseModel):
    """One target's own recorded output in a baseline (``targets.<device kind>/<dtype>``)."""

    model_config = ConfigDict(extra="allow", strict=True)
    provenance: Provenance
    output: Any


class Baseline(BaseModel):
    """A baseline JSON file (``tolerance`` is checked by ``baselines.compare.own_tolerance``)."""

    model_config = ConfigDict(extra="allow", strict=True)
    suite: Slug
    probe: Slug
    model: NonEmpty
    revision: NonEmpty
    provenance: Provenance
    input: Any
    output: Any
    targets: dict[TargetKey, BaselineTarget] | None = None
    calibration: dict[TargetKey, dict[str, Any]] | None = None


class Settings(_Strict):
    """``[tool.pipeprobe]`` in pyproject.toml."""

    fixtures: NonEmpty = Field(default="fixtures", description="folder of probe files and models.yaml")
    snapshots: NonEmpty = Field(default="snapshots", description="folder of baselines")
    suites: NonEmpty = Field(default="suites", description="folder of suite test modules (SUITE = ...)")
    tasks: dict[NonEmpty, NonEmpty] = Field(default_factory=dict, description="task name -> 'package.module:Name'")
    require_models: bool = Field(
        default=False, description="true: a run in which no probe ran because every model is absent fails"
    )


# Reading ------------------------------------------------------------------------------------
def read_text(path: Path, what: str) -> str:
    """A file's text as UTF-8; SchemaError (one line) when it can't be read or isn't UTF-8.

    Only a regular file up to ``limits.MAX_FILE_BYTES`` is read: a named pipe or a device would
    block or never end (opened without blocking, then checked with fstat before any read)."""
    from pipeprobe.language.limits import MAX_FILE_BYTES

    try:
        handle = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as error:
        raise SchemaError([f"{path}: cannot read {what} ({error.strerror or error})"]) from None
    try:
        status = os.fstat(handle)
        if not stat.S_ISREG(status.st_mode):
            raise SchemaError([f"{path}: {what} is not a regular file (a folder, pipe, device or socket); refused"])
        if status.st_size > MAX_FILE_BYTES:
            raise SchemaError([f"{path}: {what} is {status.st_size:,} bytes, over the limit of {MAX_FILE_BYTES:,}"])
        with os.fdopen(handle, "rb", closefd=False) as stream:
            data = stream.read(MAX_FILE_BYTES + 1)
    except OSError as error:
        raise SchemaError([f"{path}: cannot read {what} ({error.strerror or error})"]) from None
    finally:
        os.close(handle)
    if len(data) > MAX_FILE_BYTES:
        raise SchemaError([f"{path}: {what} is over the limit of {MAX_FILE_BYTES:,} bytes"])
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
    if (found := _not_plain(document)) is not None:
        where, value = found
        raise SchemaError([f"{path}: {where}: {type(value).__name__} {str(value)[:40]!r} is not a plain value "
                           "(text, number, true/false, null, list or mapping); quote it to make it text"])
    return document


_PLAIN = (str, int, float, bool, type(None))


def _not_plain(document: Any) -> tuple[str, Any] | None:
    """The first value that YAML typed beyond JSON's kinds (``!!binary`` bytes, a date, ``!!set``), with
    where it is (``probes.0.input``); None when there is none. Each shared (aliased) node is visited once."""
    stack: list[tuple[str, Any]] = [("(top)", document)]
    seen: set[int] = set()
    while stack:
        where, value = stack.pop()
        if isinstance(value, _PLAIN):
            continue
        if not isinstance(value, dict | list) or id(value) in seen:
            if not isinstance(value, dict | list):
                return where.removeprefix("(top)."), value
            continue
        seen.add(id(value))
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, item in items:
            if not isinstance(key, _PLAIN):
                return where.removeprefix("(top)."), key
            stack.append((f"{where}.{key}", item))
    return None


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
    elif len(location) >= 2 and location[0] == "tests" and isinstance(location[1], int):
        entry = document["tests"][location[1]] if isinstance(document.get("tests"), list) else None
        name = entry.get("name") if isinstance(entry, dict) else None
        where += f" test {name!r}:" if isinstance(name, str) else f" test #{location[1] + 1}:"
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
    if fault["type"] == "value_error":  # a validator's own words say what is wrong and what it got
        return f"{where} {field}: {(fault.get('ctx') or {}).get('error', message)}"
    given = fault.get("input")
    shown = repr(given) if not isinstance(given, dict | list) else _kind(given)
    return f"{where} {field}: {message} (got {shown[:80]})"


def _pattern_words(fault: dict[str, Any]) -> str:
    pattern = (fault.get("ctx") or {}).get("pattern")
    return {
        SLUG_PATTERN: "must be a slug: letters, digits, '.', '_', '-', no leading dot",
        MARKER_PATTERN: "must be a marker name: letters, digits and '_', not starting with a digit",
        LANG_PATTERN: "must be an ISO 639 language code (two or three lowercase letters)",
        TARGET_KEY_PATTERN: "must be a target a run can be: <cpu|mps|cuda|cuda-smNN>/<float32|float16|bfloat16>",
        REVISION_PATTERN: "must be a commit, tag or branch name: letters, digits, '.', '_', '-', '+', "
                          "no '/' or '..' (it names the baselines' folder)",
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
