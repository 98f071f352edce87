"""``pipeprobe explain DRIFT_JSON``: for each drifted or changed probe, name the factor that moved it.

    pipeprobe explain reports/drift/drift.json                 # verdicts printed and written into the report
    pipeprobe explain reports/drift/drift.json --no-envs       # without building library environments

For each probe the drift report marks drifted, changed or "probe changed", the baseline's
recorded provenance is compared with this checkout's (probe definition, model files), then the
probe is re-run varying one factor at a time: batch composition (alone, not in its micro-batch),
thread count, device/dtype (where the baseline's target is available here), and each library
whose version differs from the baseline's, in an isolated environment pinned to the recorded
version (``pipeprobe.execution.environments``). The first factor that brings the output back
within the baseline's tolerance is the cause. One verdict line per probe is printed and stored
in the drift report (``explanation``), whose drift.html shows it.

Exit status: 0, or 2 (one line on stderr) for a file that is not a drift report or a project
that can't be read.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeprobe.baselines.provenance import (
    LIBRARIES,
    cause_kind,
    describe_difference,
    describe_differences,
    provenance_differences,
)
from pipeprobe.baselines.statuses import CHANGED, DRIFTED, PROBE_CHANGED, UNCHANGED, WITHIN

EXPLAINED = (DRIFTED, CHANGED, PROBE_CHANGED)
CHILD_MARK = "PIPEPROBE-EXPLAIN-RESULT "
# a library version a baseline may record that no environment can be built for
_UNPINNABLE = {"absent", "", None}

EnvRunner = Callable[[dict[str, str]], Any]  # pins -> the probe's output in an environment with those pins


class ExplainError(ValueError):
    """A drift report or project that can't be explained; one line."""


@dataclass
class Verdict:
    """What ``explain`` found for one probe: the verdict line, the kind of cause, and what it tried."""

    suite: str
    probe: str
    line: str
    cause: str | None = None  # probe, model, batch, threads, target, library, noise; None: not found
    tried: list[str] = field(default_factory=list)
    differences: list[str] = field(default_factory=list)  # the provenance differences, in words


@dataclass
class Session:
    """The project and models ``explain`` re-runs probes with (one model cache for every re-run)."""

    root: Path
    probes: dict[str, list[Any]]
    registry: dict[str, Any]
    model_map: Any
    model_map_path: str | None
    snapshots: Path
    caches: dict[Any, Any] = field(default_factory=dict)

    @classmethod
    def open(cls, root: Path | None, model_map: str | None) -> Session:
        from pipeprobe.config import ConfigError, find_project
        from pipeprobe.models import ModelMap, ModelMapError, load_registry, model_map_path
        from pipeprobe.models.lock import LockFileError
        from pipeprobe.probes.catalogue import CatalogueError, load_catalogue
        from pipeprobe.tasks import TaskError, register_user_tasks

        try:
            project = find_project(root)
            register_user_tasks(project.tasks, project.root)
            path = model_map_path(model_map)
            return cls(root=project.root, probes=load_catalogue(project.fixtures),
                       registry=load_registry(project.models_file), model_map=ModelMap.load(path),
                       model_map_path=str(path) if path else None, snapshots=project.snapshots)
        except (ConfigError, CatalogueError, ModelMapError, LockFileError, TaskError, OSError) as error:
            raise ExplainError(str(error)) from None

    def probe(self, suite: str, probe_id: str) -> Any | None:
        return next((probe for probe in self.probes.get(suite, ()) if probe.id == probe_id), None)

    def runner(self, target: Any, alone: Any = None) -> Any:
        """A ProbeRunner on ``target``; ``alone``: a probe to run in a batch of its own."""
        from pipeprobe.execution.runner import ProbeRunner

        cache = self.caches.get(target)
        if cache is None:  # one model load per target for every re-run
            cache = self.caches[target] = ProbeRunner.create(target, self.registry, self.probes, self.model_map).cache
        probes = {alone.suite: [alone]} if alone is not None else self.probes
        return ProbeRunner(target=target, registry=self.registry, probes=probes, cache=cache)

    def baseline(self, probe: Any) -> dict[str, Any] | None:
        """The probe's baseline file's content (``{"corrupt": why}`` for a corrupt one, None for none)."""
        from pipeprobe.baselines import store

        return store.read_or_corrupt(store.location(self.snapshots, probe.suite, self.registry[probe.model].slug,
                                                    probe.id))


def rerun(session: Session, probe: Any, target: Any, *, alone: bool = False, threads: int | None = None) -> Any:
    """The probe's output re-run here on ``target`` (in its micro-batch, or ``alone``; at ``threads``)."""
    import torch

    before = torch.get_num_threads()
    if threads:
        torch.set_num_threads(threads)
    try:
        runner = session.runner(target, alone=probe if alone else None)
        return runner.output(probe).value, runner
    finally:
        torch.set_num_threads(before)


def judged(baseline: dict[str, Any], probe: Any, output: Any, target: Any) -> tuple[Any, dict[str, Any] | None]:
    """The run's one verdict (``verdict.judge``) for ``output`` on ``target``, and the values it compared with."""
    from pipeprobe.baselines import targets
    from pipeprobe.baselines.verdict import judge
    from pipeprobe.tolerance import tier_for

    run = {"input": probe.input, "output": output, "revision": baseline.get("revision"), "provenance": {}}
    return judge(baseline, run, targets.keys_for(target.device, target.dtype), tier_for(target.device, target.dtype))


def within(baseline: dict[str, Any], probe: Any, output: Any, target: Any) -> bool:
    """Whether ``output`` equals the baseline within the tolerance the run held it to."""
    return judged(baseline, probe, output, target)[0].baseline_status in (UNCHANGED, WITHIN)


def explain_probe(session: Session, suite: str, probe_id: str, target: Any,
                  env_runner: EnvRunner | None = None) -> Verdict:
    """Name what moved one probe: its definition, its model, or the first factor whose change brings it back."""
    probe = session.probe(suite, probe_id)
    if probe is None:
        return Verdict(suite, probe_id, "cause: the probe is gone from the probe files", cause="probe")
    baseline = session.baseline(probe)
    if baseline is None or "output" not in baseline:
        return Verdict(suite, probe_id, "no baseline to explain against (or a corrupt one)")
    try:
        output, runner = rerun(session, probe, target)
    except Exception as error:  # noqa: BLE001 - a probe that can't be re-run is a verdict, not a traceback
        return Verdict(suite, probe_id, f"not re-run here: {type(error).__name__}: {error}")
    first, shown = judged(baseline, probe, output, target)
    shown = shown or baseline
    recorded = {"revision": shown.get("revision"), **(shown.get("provenance") or {})}
    now = {"revision": runner.spec_for(probe).revision, **runner.provenance(probe)}
    differences = provenance_differences(recorded, now)
    verdict = Verdict(suite, probe_id, "", differences=describe_differences(differences))
    by_kind: dict[str, list[str]] = {}
    for key in differences:
        by_kind.setdefault(cause_kind(key), []).append(key)
    if "probe" in by_kind:  # the team's own edit: the baseline was recorded for another definition
        verdict.cause = "probe"
        verdict.line = f"cause: {describe_difference('probe', differences['probe'])} (re-record its baseline)"
        return verdict
    if "model" in by_kind:  # the model's files or commit: the baseline's model can't be re-run here
        verdict.cause = "model"
        verdict.line = "cause: the model changed: " + "; ".join(
            describe_difference(key, differences[key]) for key in by_kind["model"])
        return verdict
    tier = first.tolerance.tier
    if first.baseline_status in (UNCHANGED, WITHIN):
        verdict.cause = "noise"
        verdict.line = f"not reproduced: re-run here, the output equals the baseline within tier ({tier})"
        return verdict
    return _vary(session, probe, target, baseline, recorded, tier, verdict, env_runner)


def _vary(session: Session, probe: Any, target: Any, baseline: dict[str, Any], recorded: dict[str, Any],
          tier: str, verdict: Verdict, env_runner: EnvRunner | None) -> Verdict:
    """One factor at a time: batch composition, threads, device/dtype, each library's recorded version."""
    import torch

    from pipeprobe.baselines.provenance import library_versions

    def found(cause: str, line: str) -> Verdict:
        verdict.cause, verdict.line = cause, line
        return verdict

    planner = session.runner(target).planner
    mates = planner.members(probe, True)[0] if planner is not None else [probe]
    if len(mates) > 1:
        verdict.tried.append("batch composition")
        if within(baseline, probe, rerun(session, probe, target, alone=True)[0], target):
            return found("batch", f"cause: batch composition: run alone (not with {len(mates) - 1} other probes) "
                                  f"the output equals the baseline within tier ({tier})")
    now_threads = torch.get_num_threads()
    wanted = recorded.get("threads")
    thread_counts = [int(wanted)] if isinstance(wanted, int) and wanted != now_threads else []
    thread_counts += [count for count in (1,) if count != now_threads and count not in thread_counts]
    for count in thread_counts:
        verdict.tried.append(f"{count} thread(s)")
        if within(baseline, probe, rerun(session, probe, target, threads=count)[0], target):
            return found("threads", f"cause: thread count {now_threads} → {count}: with {count} thread(s) the "
                                    f"output equals the baseline within tier ({tier})")
    other = _baseline_target(recorded, target)
    if other is not None:
        verdict.tried.append(f"{other.device}/{other.dtype}")
        if within(baseline, probe, rerun(session, probe, other)[0], target):
            return found("target", f"cause: device/dtype {target.device}/{target.dtype} → {other.device}/"
                                   f"{other.dtype}: there the output equals the baseline within tier ({tier})")
    current = library_versions()
    ruled_out = []
    for name in LIBRARIES:
        then, now = recorded.get(name), current.get(name)
        if then in _UNPINNABLE or now is None or str(then) == str(now):
            continue
        if env_runner is None:
            verdict.tried.append(f"{name} {then} (not tried: --no-envs)")
            continue
        verdict.tried.append(f"{name} {then}")
        try:
            output = env_runner({name: str(then)})
        except Exception as error:  # noqa: BLE001 - an environment that can't be built is said, not raised
            ruled_out.append(f"{name} {then} not tried ({error})")
            continue
        if within(baseline, probe, output, target):
            also = _also_changed(getattr(env_runner, "versions", None) or {}, current, name)
            required = f" (and {also}, which it requires)" if also else ""
            return found("library", f"cause: {name} {then} → {now}: with {then}{required} the output equals the "
                                    f"baseline within tier ({tier})")
        ruled_out.append(f"{name} {now} → {then} ruled out")
    tried = ", ".join(verdict.tried) or "nothing to vary"
    extra = f"; {'; '.join(ruled_out)}" if ruled_out else ""
    return found(None, f"no single factor brings it back (tried: {tried}{extra}); the probe's definition and the "
                       "model's files agree with the baseline's")


def _also_changed(env_versions: dict[str, str], current: dict[str, str], pinned: str) -> str:
    """The other libraries the environment imported at another version than here (a pin's requirements:
    transformers 4.57.6 brings tokenizers 0.22): "tokenizers 0.22.2, huggingface_hub 0.36.2"."""
    return ", ".join(f"{name} {env_versions[name]}" for name in LIBRARIES
                     if name != pinned and env_versions.get(name) not in (None, current.get(name)))


def _baseline_target(recorded: dict[str, Any], target: Any) -> Any | None:
    """The baseline's target when it differs from the run's and can be had here, else None."""
    from pipeprobe.devices import DeviceError, resolve_target

    device, dtype = recorded.get("device"), recorded.get("dtype")
    if not device or not dtype or (str(device), str(dtype)) == (target.device, target.dtype):
        return None
    try:
        return resolve_target(str(device), str(dtype))
    except DeviceError:
        return None


class EnvRun:
    """Re-runs one probe in an isolated environment with the given pins (a child python process).

    ``versions``: the library versions the last environment imported, so that a verdict names what a
    pin brought along (its requirements) as well as the pin.
    """

    def __init__(self, session: Session, probe: Any, target: Any) -> None:
        self.session, self.probe, self.target = session, probe, target
        self.versions: dict[str, str] = {}

    def __call__(self, pins: dict[str, str]) -> Any:
        import subprocess

        from pipeprobe.execution import environments

        python = environments.ensure(pins)
        request = {"root": str(self.session.root), "suite": self.probe.suite, "probe": self.probe.id,
                   "model_map": self.session.model_map_path, "device": self.target.device,
                   "dtype": self.target.dtype}
        done = subprocess.run([str(python), "-m", "pipeprobe.cli.explain", "--child"], input=json.dumps(request),
                              capture_output=True, text=True, check=False, cwd=self.session.root)
        for line in reversed(done.stdout.splitlines()):
            if line.startswith(CHILD_MARK):
                answer = json.loads(line[len(CHILD_MARK):])
                self.versions = answer.get("versions") or {}
                if "error" in answer:
                    raise RuntimeError(answer["error"])
                return answer["output"]
        tail = " ".join(done.stderr.strip().splitlines()[-2:])
        raise RuntimeError(f"the environment's run gave no result ({tail})")


def env_runner_for(session: Session, probe: Any, target: Any, log_folder: Path | None = None) -> EnvRunner:
    """Re-runs ``probe`` in an isolated environment with the given pins (a child python process)."""
    return EnvRun(session, probe, target)


def child() -> int:
    """In an isolated environment: run one probe (request on stdin), print its output as one marked line."""
    request = json.loads(sys.stdin.read())
    try:
        from pipeprobe.devices import resolve_target

        session = Session.open(Path(request["root"]), request.get("model_map"))
        probe = session.probe(request["suite"], request["probe"])
        if probe is None:
            raise ExplainError(f"no probe {request['suite']}/{request['probe']}")
        output, _ = rerun(session, probe, resolve_target(request["device"], request["dtype"]))
        answer: dict[str, Any] = {"output": output}
    except Exception as error:  # noqa: BLE001 - the parent reports it in one line
        answer = {"error": f"{type(error).__name__}: {error}"}
    from pipeprobe.baselines.provenance import library_versions

    answer["versions"] = library_versions()
    print(CHILD_MARK + json.dumps(answer, ensure_ascii=False, default=str))
    return 0


def explain_report(report: dict[str, Any], session: Session, use_envs: bool = True) -> list[Verdict]:
    """A verdict for every drifted or changed probe of ``report``, stored on its entries (``explanation``)."""
    from pipeprobe.devices import resolve_target

    run = report.get("run") or {}
    target = resolve_target(str(run.get("device") or "cpu"), str(run.get("dtype") or "float32"))
    verdicts = []
    for entry in report["probes"]:
        if entry.get("status") not in EXPLAINED and entry.get("baseline_status") not in EXPLAINED:
            continue
        probe = session.probe(entry["suite"], entry["probe"])
        env_runner = env_runner_for(session, probe, target) if use_envs and probe is not None else None
        verdict = explain_probe(session, entry["suite"], entry["probe"], target, env_runner)
        entry["explanation"] = verdict.line
        entry["explanation_cause"] = verdict.cause
        entry["provenance_in_words"] = verdict.differences
        verdicts.append(verdict)
    report["explained"] = True
    return verdicts


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("report", type=Path, nargs="?", metavar="drift.json", help="a run's drift report")
    parser.add_argument("--model-map", default=None, metavar="TOML",
                        help="the model map to re-run with (default: the one the run used, else PIPEPROBE_MODEL_MAP)")
    parser.add_argument("--root", type=Path, default=None, metavar="DIR",
                        help="the project (default: the nearest folder upwards with [tool.pipeprobe])")
    parser.add_argument("--no-envs", action="store_true",
                        help="do not build isolated environments for the baseline's library versions")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)


def main(args: argparse.Namespace) -> int:
    import os

    if os.environ.get("PIPEPROBE_LIBRARY_LOGS") != "1":  # one verdict line per probe, no "Loading weights" bars
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    if args.child:
        return child()
    from pipeprobe.report.document import load_report

    if args.report is None:
        print("pipeprobe explain: give a drift.json", file=sys.stderr)
        return 2
    try:
        report = load_report(args.report)
        recorded_map = (report.get("run") or {}).get("model_map")
        model_map = args.model_map or (recorded_map if recorded_map not in (None, "none") else None)
        session = Session.open(args.root, model_map)
        verdicts = explain_report(report, session, use_envs=not args.no_envs)
    except (ValueError, ExplainError) as error:
        print(f"pipeprobe explain: {error}", file=sys.stderr)
        return 2
    if not verdicts:
        print("nothing drifted or changed: nothing to explain")
    for verdict in verdicts:
        print(f"{verdict.suite}/{verdict.probe}: {verdict.line}")
    from pipeprobe.report.render import write_report

    written = write_report(report, args.report.parent)
    print(f"written into {written['json']} and {written['html']}")
    return 0


if __name__ == "__main__":  # the child of an isolated environment: python -m pipeprobe.cli.explain --child
    _parser = argparse.ArgumentParser(prog="pipeprobe explain")
    add_arguments(_parser)
    sys.exit(main(_parser.parse_args()))
