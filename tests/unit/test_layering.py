"""The layers import only downward, and no two modules import each other (directly or round about).

The import graph is read from the sources with `ast` (nothing is imported): every `import` and
`from … import` anywhere in a module — at the top, inside functions (a deferred import is still a
dependency, and the usual way to hide a cycle), under `if TYPE_CHECKING:` — plus
`importlib.import_module("literal")`.  `from package import name` is an edge to `package.name`
when that is a module, else to the package.  Importing `a.b.c` also runs `a/__init__` and
`a/b/__init__`; those implicit edges are left out (the packages' `__init__` modules import their own
submodules, so every package would be a cycle), as import-linter and pydeps do.

Layers, bottom up: domain → rules → importers / exporters / publish / notify → db → services /
portal → tasks, web → workers (the Celery app) → cli.  settings, clock, storage, holidays and
embedded are small utilities beside them.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCES = {"workflow": ROOT / "src" / "workflow", "workers": ROOT / "workers"}

CORE = ("workflow.domain", "workflow.rules")
QUEUE = ("celery", "kombu", "redis")
WEB = ("fastapi", "starlette", "uvicorn", "jinja2")
FRAMEWORKS = ("sqlalchemy", "alembic", *QUEUE, *WEB)


@dataclass(frozen=True)
class Rule:
    name: str
    importers: tuple[str, ...]  # modules under these prefixes…
    forbidden: tuple[str, ...]  # …import nothing under these (workflow modules or third-party packages)
    why: str


def _everything_but(*allowed: str) -> tuple[str, ...]:
    return tuple(sorted({p for p in _packages() if p not in allowed} | {"workers"}))


@cache
def _packages() -> frozenset[str]:
    """workflow's first-level packages and modules: workflow.db, workflow.settings, …"""
    return frozenset(".".join(m.split(".")[:2]) for m in _graph().modules if m.startswith("workflow."))


def _rules() -> list[Rule]:
    return [
        Rule(
            "core-is-pure",
            CORE,
            _everything_but(*CORE) + FRAMEWORKS,
            "the report model and the rules are pure: no database, no queue, no web, no settings",
        ),
        Rule(
            "domain-below-rules",
            ("workflow.domain",),
            ("workflow.rules",),
            "the rules are written against the domain model, not the other way round",
        ),
        Rule(
            "db-below-services",
            ("workflow.db",),
            (
                "workflow.services",
                "workflow.portal",
                "workflow.tasks",
                "workflow.web",
                "workflow.cli",
                "workers",
            ),
            "the database layer is wired from above (e.g. a password hash is passed in, not computed here)",
        ),
        Rule(
            "services-below-delivery",
            ("workflow.services",),
            ("workflow.tasks", "workflow.web", "workflow.cli", "workers", "celery", "kombu", *WEB),
            "services send tasks through the outbox; the process installs the Celery dispatcher",
        ),
        Rule(
            "web-below-processes",
            ("workflow.web",),
            ("workflow.tasks", "workflow.cli", "workers", "celery", "kombu"),
            "the web app does not install the dispatcher; the command that serves it does",
        ),
        Rule(
            "tasks-below-celery-app",
            ("workflow.tasks",),
            ("workers", "workflow.web", "workflow.cli"),
            "the Celery app includes the tasks and hands itself to the dispatcher",
        ),
        Rule(
            "workers-below-cli",
            ("workers",),
            ("workflow.cli", "workflow.web"),
            "the command line starts the workers, never the other way round",
        ),
    ]


# (importer, imported) -> why this edge is allowed although a rule forbids it.  Keep it short.
EXCEPTIONS: dict[tuple[str, str], str] = {}


# ------------------------------------------------------------------ reading the graph
@dataclass
class Graph:
    modules: dict[str, Path]
    edges: dict[str, dict[str, int]]  # importer -> imported workflow/workers module -> first line
    external: dict[str, dict[str, int]]  # importer -> third-party top-level name -> first line


def _module_name(top: str, base: Path, path: Path) -> str:
    parts = [top, *path.relative_to(base).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported_names(tree: ast.AST, module: str, is_package: bool) -> Iterable[tuple[str, int]]:
    """(dotted name, line) of everything imported anywhere in the module.  For `from package import
    name` the name is `package.name`: `_resolve` takes it back to `package` when that is no module."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                package = module.split(".") if is_package else module.split(".")[:-1]
                package = package[: len(package) - (node.level - 1)]
                base = ".".join(package + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            for alias in node.names:
                yield (base if alias.name == "*" else f"{base}.{alias.name}"), node.lineno
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            yield node.args[0].value, node.lineno


@cache
def _graph() -> Graph:
    modules: dict[str, Path] = {}
    for top, base in SOURCES.items():
        for path in sorted(base.rglob("*.py")):
            modules[_module_name(top, base, path)] = path
    edges: dict[str, dict[str, int]] = {}
    external: dict[str, dict[str, int]] = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        ours, theirs = edges.setdefault(name, {}), external.setdefault(name, {})
        for imported, line in _imported_names(tree, name, path.name == "__init__.py"):
            if imported.split(".")[0] in SOURCES:
                target = _resolve(imported, modules)  # the module itself, or the package holding the name
                if target is not None and target != name:
                    ours.setdefault(target, line)
            elif imported:
                theirs.setdefault(imported.split(".")[0], line)
    return Graph(modules, edges, external)


def _resolve(name: str, modules: dict[str, Path]) -> str | None:
    """The module `name` is, or the package it is an attribute of."""
    while name not in modules:
        if "." not in name:
            return None
        name = name.rsplit(".", 1)[0]
    return name


def _under(name: str, prefixes: Iterable[str]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


# ------------------------------------------------------------------ cycles
def strongly_connected(edges: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative; the components of more than one module, each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges.get(root, ()))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
    return found


def a_cycle(edges: Mapping[str, Iterable[str]], component: list[str]) -> list[str]:
    """One concrete cycle through the component's first module (shortest, breadth first)."""
    start, members = component[0], set(component)
    came_from: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for child in sorted(edges.get(node, ())):
                if child == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(came_from[path[-1]])
                    return [start, *reversed(path[:-1]), start]
                if child in members and child not in came_from:
                    came_from[child] = node
                    following.append(child)
        frontier = following
    raise AssertionError(f"no cycle through {start}")  # pragma: no cover - a component always has one


# ------------------------------------------------------------------ the tests
def test_the_graph_is_read() -> None:
    g = _graph()
    assert "workflow.domain.model" in g.modules and "workers.celery_app" in g.modules
    # a top-level import, a relative one and one inside a function
    assert "workflow.services.lifecycle" in g.edges["workflow.services.review"]
    assert "workflow.importers.grid" in g.edges["workflow.importers.finish"]
    assert "workflow.db.session" in g.edges["workflow.tasks.jobs"]
    assert "sqlalchemy" in g.external["workflow.db.models"]


@pytest.mark.parametrize("rule", _rules(), ids=lambda r: r.name)
def test_layers_import_only_downward(rule: Rule) -> None:
    g = _graph()
    bad = []
    for module in sorted(g.modules):
        if not _under(module, rule.importers):
            continue
        imported = {**g.external[module], **g.edges[module]}
        for target, line in sorted(imported.items()):
            if _under(target, rule.forbidden) and (module, target) not in EXCEPTIONS:
                bad.append(f"  {g.modules[module].relative_to(ROOT)}:{line} imports {target}")
    assert not bad, f"{rule.name} ({rule.why}):\n" + "\n".join(bad)


def test_exceptions_are_still_needed() -> None:
    g = _graph()
    stale = [pair for pair in EXCEPTIONS if pair[1] not in g.edges.get(pair[0], {})]
    assert not stale, f"these exceptions no longer happen, remove them: {stale}"


def test_no_import_cycles() -> None:
    g = _graph()
    report = []
    for component in strongly_connected(g.edges):
        cycle = a_cycle(g.edges, component)
        steps = [
            f"  {a} (line {g.edges[a][b]} of {g.modules[a].relative_to(ROOT)}) imports {b}"
            for a, b in zip(cycle, cycle[1:], strict=False)
        ]
        report.append(f"modules importing each other: {', '.join(component)}\n" + "\n".join(steps))
    assert not report, "\n".join(report)


def test_the_cycle_finder() -> None:
    edges = {"a": ["b"], "b": ["c"], "c": ["a", "d"], "d": [], "e": ["e2"], "e2": ["e"], "f": ["a"]}
    assert strongly_connected(edges) == [["a", "b", "c"], ["e", "e2"]]
    assert a_cycle(edges, ["a", "b", "c"]) == ["a", "b", "c", "a"]
    assert strongly_connected({"a": ["b"], "b": ["c"], "c": []}) == []
