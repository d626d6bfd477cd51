"""The shape of the code: which package imports which, where authorization is decided,
that nothing dead stays behind, and that docs/architecture.md lists every package.

Each top-level package of ``upnext`` (``portal/``, ``web/``) and each top-level module
(``deps.py``, ``auth.py``) is one node; an import from anywhere inside a node is an edge.
"""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from functools import cache
from pathlib import Path

ROOT = Path(__file__).parent.parent
SRC = ROOT / "src" / "upnext"
# Alembic loads the migrations from their files; no package imports them, and a data
# migration may use the code of its day (0003 renders items with contexts.schemas).
NOT_IMPORTED = (SRC / "db" / "migrations",)


def _nodes() -> set[str]:
    modules = {p.stem for p in SRC.glob("*.py")} - {"__init__", "__main__"}
    packages = {p.parent.name for p in SRC.glob("*/__init__.py")}
    return modules | packages


def _sources() -> list[Path]:
    return [
        path
        for path in sorted(SRC.rglob("*.py"))
        if not any(path.is_relative_to(skip) for skip in NOT_IMPORTED)
    ]


def _node_of(path: Path) -> str | None:
    parts = path.relative_to(SRC).parts
    if len(parts) == 1:
        return None if path.stem in ("__init__", "__main__") else path.stem
    return parts[0]


def _imported(tree: ast.AST, path: Path) -> set[str]:
    """The dotted ``upnext`` modules (and ``upnext.name`` for ``from upnext import name``)
    that a module imports."""
    package = ["upnext", *path.relative_to(SRC).parent.parts]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return {name for name in found if name.startswith("upnext.")}


@cache
def imports() -> dict[str, frozenset[str]]:
    """For each node, the other nodes it imports."""
    nodes = _nodes()
    edges: defaultdict[str, set[str]] = defaultdict(set)
    for path in _sources():
        source = _node_of(path)
        if source is None:
            continue
        for module in _imported(ast.parse(path.read_text()), path):
            target = module.split(".")[1]
            if target in nodes and target != source:
                edges[source].add(target)
    return {node: frozenset(edges[node]) for node in nodes}


def test_the_graph_sees_every_kind_of_import() -> None:
    graph = imports()
    assert "auth" in graph["deps"]  # from upnext import auth
    assert "callers" in graph["deps"]  # from upnext.callers import ...
    assert "kit" in graph["portal"]  # from upnext.kit.problems import ..., inside a package


def test_no_two_packages_import_each_other() -> None:
    graph = imports()
    both_ways = sorted(f"{a} <-> {b}" for a in graph for b in graph[a] if a < b and a in graph[b])
    assert both_ways == []


# authorization


def _sources_containing(needle: str) -> list[str]:
    return sorted(str(path.relative_to(SRC)) for path in _sources() if needle in path.read_text())


def test_the_role_is_decided_in_one_place() -> None:
    # The API (deps) and the portal (web/access) both refuse through callers.require_role:
    # the refusal, its code and its wording exist once.
    assert _sources_containing('"wrong_role"') == ["callers.py"]


def _http_modules() -> list[Path]:
    return [*sorted(SRC.glob("*/endpoints.py")), *sorted((SRC / "web").glob("*.py"))]


def test_endpoints_never_reach_a_repository() -> None:
    reaching = {
        str(path.relative_to(SRC)): sorted(
            module
            for module in _imported(ast.parse(path.read_text()), path)
            if module.rsplit(".", 1)[-1] == "repository"
        )
        for path in _http_modules()
    }
    assert {path: modules for path, modules in reaching.items() if modules} == {}


def test_tenancy_is_checked_in_the_services_not_the_endpoints() -> None:
    checks = {"require_app", "require_platform", "require_tenant"}
    checking = sorted(
        str(path.relative_to(SRC))
        for path in _http_modules()
        if any(
            isinstance(node, ast.Attribute) and node.attr in checks
            for node in ast.walk(ast.parse(path.read_text()))
        )
    )
    assert checking == []


# dead code


def _uses(name: str) -> int:
    pattern = re.compile(rf"\b{re.escape(name)}\b")
    return sum(len(pattern.findall(path.read_text())) for path in _sources())


def _classes(path: Path) -> list[ast.ClassDef]:
    return [node for node in ast.parse(path.read_text()).body if isinstance(node, ast.ClassDef)]


def test_every_problem_class_is_raised_somewhere() -> None:
    problems = SRC / "kit" / "problems.py"
    unused = [cls.name for cls in _classes(problems) if _uses(cls.name) < 2]
    assert unused == []


def test_every_wire_model_is_used() -> None:
    unused = [
        f"{path.relative_to(SRC)}:{cls.name}"
        for path in sorted(SRC.glob("*/schemas.py"))
        for cls in _classes(path)
        if _uses(cls.name) < 2
    ]
    assert unused == []


def test_every_caller_alias_is_used() -> None:
    deps = SRC / "deps.py"
    aliases = [
        node.targets[0].id
        for node in ast.parse(deps.read_text()).body
        if isinstance(node, ast.Assign)
        and isinstance(node.targets[0], ast.Name)
        and isinstance(node.value, ast.Subscript)
        and ast.unparse(node.value.value) == "Annotated"
    ]
    assert aliases, "deps.py defines its aliases with Annotated"
    unused = [name for name in aliases if _uses(name) < 2]
    assert unused == []


# docs


def test_the_architecture_layout_lists_every_package_and_module() -> None:
    text = (ROOT / "docs" / "architecture.md").read_text()
    layout = text.split("## Layout", 1)[1].split("```")[1]
    listed = set(re.findall(r"^  (\w+)(?:/|\.py)", layout, re.M))
    missing = sorted(_nodes() - listed)
    assert missing == []
