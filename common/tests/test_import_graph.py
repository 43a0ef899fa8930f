"""common's modules import each other without a cycle, and none imports another of them
inside a function to dodge one.

The graph is read from the source with ``ast`` (nothing is imported): an edge for every
``import common...`` or ``from common... import ...`` at module level (``if TYPE_CHECKING:``
blocks excluded: they never run). An import of a common module inside a function is
allowed only for the reasons listed in ``DEFERRED``.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

COMMON = Path(__file__).resolve().parent.parent
ROOT = COMMON.parent

#: (importing module, imported module) -> why it is imported inside a function.
DEFERRED: dict[tuple[str, str], str] = {
    # Django's convention: an AppConfig imports what registers itself in ready().
    ("common.apps", "common.api.schema"): "registration in AppConfig.ready",
    ("common.apps", "common.auth.admin_sign_in"): "registration in AppConfig.ready",
    ("common.apps", "common.fastpath"): "decided (and a version warned about) at start-up",
    ("common.apps", "common.operations.checks"): "registration in AppConfig.ready",
    ("common.apps", "common.operations.tracing"): "registration in AppConfig.ready",
    ("common.events.apps", "common.events.jobs"): "registration in AppConfig.ready",
    ("common.events.apps", "common.events.metrics"): "registration in AppConfig.ready",
    ("common.events.apps", "common.operations.metrics"): "registration in AppConfig.ready",
    ("common.events.apps", "common.operations.scheduler"): "registration in AppConfig.ready",
    # The test tools are a pytest plugin (pytest.ini's ``-p``), loaded before pytest-django
    # sets Django up: what imports models waits until a test calls it.
    **{
        ("common.development.testing", target): "app registry not ready"
        for target in (
            "common.api.errors",
            "common.api.filters",
            "common.auth.access",
            "common.auth.revocations",
            "common.events.consumer",
            "common.events.topology",
        )
    },
}


#: What a subpackage of common must not import, as its docstring says (names under
#: ``common.``: the paths that common's reorganisation rewrites are never spelled here).
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "api": ("events",),
    "operations": ("events",),
    "localization": ("admin", "api", "auth", "events", "operations"),
}


def _modules() -> dict[str, Path]:
    found = {}
    for path in COMMON.rglob("*.py"):
        relative = path.relative_to(ROOT).with_suffix("")
        if "tests" in relative.parts or "migrations" in relative.parts:
            continue
        parts = relative.parts[:-1] if relative.name == "__init__" else relative.parts
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _targets(node: ast.Import | ast.ImportFrom) -> Iterator[str]:
    """The common modules an import statement loads (a package's named submodules too)."""
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    elif node.level == 0 and node.module:
        names = [f"{node.module}.{alias.name}" for alias in node.names]
        names = [name if name in MODULES else node.module for name in names]
    else:
        names = []
    for name in names:
        while name and name not in MODULES:
            name = name.rpartition(".")[0]
        if name.startswith("common"):
            yield name


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST) -> Iterator[tuple[ast.Import | ast.ImportFrom, bool]]:
    """Every import that runs, and whether it runs only when a function is called."""

    def visit(node: ast.AST, in_function: bool) -> Iterator[tuple[ast.AST, bool]]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                yield from visit(ast.Module(body=child.orelse, type_ignores=[]), in_function)
                continue
            if isinstance(child, ast.Import | ast.ImportFrom):
                yield child, in_function
            inner = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
            yield from visit(child, inner)

    yield from visit(tree, False)


def _graph() -> tuple[dict[str, set[str]], set[tuple[str, str]]]:
    edges: dict[str, set[str]] = {name: set() for name in MODULES}
    deferred: set[tuple[str, str]] = set()
    for name, path in MODULES.items():
        for node, in_function in _imports(ast.parse(path.read_text(), str(path))):
            for target in _targets(node):
                if target == name or name.startswith(target + "."):
                    continue  # a package's own __init__ is loaded first anyway
                if in_function:
                    deferred.add((name, target))
                else:
                    edges[name].add(target)
    return edges, deferred


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """One cycle per strongly connected component with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(edges.get(node, ())):
            if target not in index:
                connect(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
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

    for node in sorted(edges):
        if node not in index:
            connect(node)
    return found


def test_common_has_no_import_cycle():
    edges, _ = _graph()
    assert _cycles(edges) == []


def test_no_common_module_is_imported_inside_a_function_without_a_reason():
    _, deferred = _graph()
    assert sorted(deferred - set(DEFERRED)) == []


def test_no_subpackage_imports_what_its_docstring_rules_out():
    edges, deferred = _graph()
    imports = {(name, target) for name, targets in edges.items() for target in targets}
    broken = [
        (name, target)
        for name, target in sorted(imports | deferred)
        for package, ruled_out in FORBIDDEN.items()
        if name.startswith(f"common.{package}.")
        and any(
            target == f"common.{other}" or target.startswith(f"common.{other}.")
            for other in ruled_out
        )
    ]
    assert broken == []


def test_every_allowed_deferred_import_still_exists():
    _, deferred = _graph()
    assert sorted(set(DEFERRED) - deferred) == []


def test_the_checker_sees_a_cycle_and_a_deferred_import():
    # It can fail: a two-module cycle and an import inside a function are found.
    assert _cycles({"a": {"b"}, "b": {"a"}, "c": {"a"}}) == [["a", "b"]]
    tree = ast.parse("import common.api\ndef f():\n    from common.auth import access\n")
    assert [(type(n).__name__, inner) for n, inner in _imports(tree)] == [
        ("Import", False),
        ("ImportFrom", True),
    ]
