"""The package's import graph: no circles (imports inside functions count too), no import that runs
back up a floor, and the pure packages never reach pytest or syrupy.

Show it: ``python tests/unit/test_import_graph.py`` prints the floors, each package's imports and the counts.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "pipeprobe"
# The intended floors, ground first: a module imports only its own floor or lower ones.
FLOORS: list[set[str]] = [
    {"pipeprobe", "strict_json", "atomic", "paths", "devices", "tolerance"},  # ground: no pipeprobe import
    {"language"},  # what a user writes: the file schema, its limits, the expectation language
    {"config", "models"},  # the project's settings; where models come from
    {"tasks"},  # one class per task: the only code that knows a model library's API
    {"behaviour"},  # variants, perturbations, repeats, tests of many cases, rates
    {"probes"},  # the catalogue: probe files read into typed probes
    {"baselines"},  # the store, tolerance and targets, the one verdict, provenance
    {"report"},  # pure: the probe record, drift documents, renders, history
    {"execution"},  # micro-batches, the runner, the recorder that builds each probe's record
    {"plugin", "cli"},  # what imports pytest; the command line
]
PURE = ("pipeprobe.report", "pipeprobe.language", "pipeprobe.probes", "pipeprobe.baselines", "pipeprobe.models",
        "pipeprobe.tasks", "pipeprobe.behaviour", "pipeprobe.execution")
IMPURE_ALLOWED = {"pipeprobe.baselines.extension"}  # syrupy's seam: it subclasses syrupy's extension
TEST_FRAMEWORKS = ("pytest", "_pytest", "syrupy", "xdist", "pytest_html")


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _names(path: Path) -> set[str]:
    """Every module name ``path`` imports, at module level or inside functions (TYPE_CHECKING too)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found |= {node.module, *(f"{node.module}.{alias.name}" for alias in node.names)}
    return found


def _sources() -> dict[str, Path]:
    return {_module_name(path): path for path in PACKAGE.rglob("*.py")}


def _graph() -> dict[str, set[str]]:
    paths = _sources()
    modules = set(paths)
    # a package's face (__init__) re-exports its modules: an import of the package is not a cycle by itself
    return {name: {other for other in _names(path) if other in modules} - {name} for name, path in paths.items()}


def _external(name: str) -> set[str]:
    return {other.split(".", 1)[0] for other in _names(_sources()[name])}


def _circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in graph.get(node, ()):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return circles


def package_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "pipeprobe"


def floor_of(module: str) -> int:
    package = package_of(module)
    return next(level for level, members in enumerate(FLOORS) if package in members)


def upward_imports(graph: dict[str, set[str]]) -> list[tuple[str, str]]:
    """Imports from a lower floor to a higher one."""
    return sorted((name, other) for name, imports in graph.items() for other in imports
                  if floor_of(other) > floor_of(name))


def reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        for other in graph.get(todo.pop(), ()):
            if other not in seen:
                seen.add(other)
                todo.append(other)
    return seen


def test_the_package_has_no_import_circle():
    # a module may import its own package's face (``pipeprobe``, ``pipeprobe.report``): not a circle
    graph = {name: {other for other in imports if not name.startswith(other + ".")}
             for name, imports in _graph().items()}
    assert _circles(graph) == []


def test_every_package_has_a_floor_and_no_import_runs_back_up():
    graph = _graph()
    assert {package_of(name) for name in graph} <= set().union(*FLOORS)
    assert upward_imports(graph) == []


def test_the_pure_packages_never_reach_pytest_or_syrupy():
    graph = _graph()
    reaching = {}
    for name in graph:
        if not name.startswith(PURE) or name in IMPURE_ALLOWED:
            continue
        for module in {name} | reachable(graph, name):
            if module in IMPURE_ALLOWED or module.startswith("pipeprobe.plugin"):
                reaching[name] = module
            elif _external(module) & set(TEST_FRAMEWORKS):
                reaching[name] = f"{module} imports {sorted(_external(module) & set(TEST_FRAMEWORKS))}"
    assert reaching == {}


def test_the_check_finds_a_circle_and_an_upward_import():
    assert _circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    upward = upward_imports({"pipeprobe.tasks.x": {"pipeprobe.report.y"}})
    assert upward == [("pipeprobe.tasks.x", "pipeprobe.report.y")]


if __name__ == "__main__":
    graph = _graph()
    for level, members in reversed(list(enumerate(FLOORS))):
        modules = sorted(name for name in graph if package_of(name) in members)
        lines = sum(len(_sources()[name].read_text().splitlines()) for name in modules)
        print(f"floor {level}: {', '.join(sorted(members))} ({len(modules)} modules, {lines} lines)")
    print(f"modules: {len(graph)}; circles: {len(_circles(graph))}; upward imports: {len(upward_imports(graph))}; "
          f"floors: {len(FLOORS)}")
    for name, other in upward_imports(graph):
        print(f"  up: {name} -> {other}")
    sys.exit(0)
