"""The package's layering: every import goes down, and nothing imports in a circle.

Each module's imports are read from its source (those inside functions too, since they
run when the function does; `if TYPE_CHECKING:` blocks aside, since they never run).
Importing `a.b.c` also runs the `__init__` of `a.b`: that counts as an import of its own.
A module may import its own layer or the layers below; a module no layer names fails,
so a new module is placed on purpose.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "mockserve"

# Top to bottom, as in the picture of the code in the README ("Layout"). A name stands
# for that module and everything under it; the longest name that fits places a module.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    (
        "entry points",
        (
            "mockserve.cli",
            "mockserve.__main__",
            "mockserve.testing",
            "mockserve.pytest_plugin",
            "mockserve.mcp",
        ),
    ),
    (
        "serving",
        (
            "mockserve.serve",
            "mockserve.reload",
            "mockserve.workers",
            "mockserve.verify",
            "mockserve.record",
            "mockserve.record.recorder",
            "mockserve.har",
            "mockserve.pact.verify",
            "mockserve.pact.writer",
        ),
    ),
    (
        "the app",
        (
            "mockserve.app",
            "mockserve.admin",
            "mockserve.ui",
            "mockserve.resources",
            "mockserve.proxy",
            "mockserve.callbacks",
            "mockserve.cors",
            "mockserve.access",
            "mockserve.listeners",
            "mockserve.mock",
            "mockserve.routing",
            "mockserve.segments",
            "mockserve.websocket",
            "mockserve.graphql.endpoint",
            "mockserve.pact.serve",
        ),
    ),
    (
        "pipeline and renderers",
        (
            "mockserve.pipeline",
            "mockserve.streams",
            "mockserve.responses",
            "mockserve.problems",
            "mockserve.exchange",
            "mockserve.context",
            "mockserve.matching",
            "mockserve.graphql.resolvers",
            "mockserve.graphql.http",
        ),
    ),
    ("stores", ("mockserve.stores",)),
    (
        "spec and imports",
        (
            "mockserve.loading",
            "mockserve.spec",
            "mockserve.openapi",
            "mockserve.imports",
            "mockserve.record.recording",
            "mockserve.record.routes",
            "mockserve.pact",
        ),
    ),
    (
        "templating and contract checks",
        (
            "mockserve.templating",
            "mockserve.helpers",
            "mockserve.draws",
            "mockserve.contract",
            "mockserve.quickschema",
            "mockserve.styles",
            "mockserve.formbody",
            "mockserve.xmlbody",
            "mockserve.media",
            "mockserve.journal",
            "mockserve.report",
            "mockserve.graphql",  # schema and mocks: read by the spec loader
        ),
    ),
    (
        "values and errors",
        (
            "mockserve.values",
            "mockserve.waiting",
            "mockserve.errors",
            "mockserve.pointer",
            "mockserve.pacing",
            "mockserve.tls",
        ),
    ),
]


def module_names() -> dict[str, Path]:
    """Every module of the package by dotted name (`mockserve.spec` for its __init__)."""
    names = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        names[".".join(parts)] = path
    return names


MODULES = module_names()


def _type_checking_only(node: ast.AST) -> bool:
    test = getattr(node, "test", None)
    return isinstance(node, ast.If) and (
        (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING")
        or (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")
    )


def _imports(tree: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    """Every import statement that can run: at module level or inside functions."""
    found: list[ast.Import | ast.ImportFrom] = []
    stack = [tree]
    while stack:
        node = stack.pop()
        for child in ast.iter_child_nodes(node):
            if _type_checking_only(child):
                stack.extend(child.orelse)  # type: ignore[attr-defined]
                continue
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                found.append(child)
            stack.append(child)
    return found


def imported(name: str) -> set[str]:
    """The package's modules that importing `name` runs directly."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    targets: set[str] = set()
    for node in _imports(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            targets.update(a.name for a in node.names if a.name.split(".")[0] == "mockserve")
            continue
        if node.level:
            base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
            module = ".".join(base + ([node.module] if node.module else []))
        else:
            module = node.module or ""
        if module.split(".")[0] != "mockserve":
            continue
        for alias in node.names:  # `from . import x` imports the module x
            sub = f"{module}.{alias.name}"
            targets.add(sub if sub in MODULES else module)
    # Importing a.b.c runs a.b's __init__ first: unless `name` is inside a.b already.
    ran = set(_ancestors(name))
    for target in list(targets):
        targets.update(a for a in _ancestors(target) if a not in ran and a != "mockserve")
    targets.discard(name)
    return {t for t in targets if t in MODULES}


def _ancestors(name: str) -> list[str]:
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


GRAPH = {name: imported(name) for name in MODULES}


def layer_of(name: str) -> int | None:
    """The index of the layer that places `name` (0 is the top), by the longest prefix."""
    best, best_length = None, -1
    for index, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            fits = name == prefix or name.startswith(prefix + ".")
            if fits and len(prefix) > best_length:
                best, best_length = index, len(prefix)
    return best


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
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

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def upward(graph: dict[str, set[str]]) -> list[str]:
    """Each import of a module in a layer above the importer's, as one line."""
    lines = []
    for name, targets in sorted(graph.items()):
        own = layer_of(name)
        for target in sorted(targets):
            theirs = layer_of(target)
            if own is not None and theirs is not None and theirs < own:
                lines.append(f"{name} ({LAYERS[own][0]}) imports {target} ({LAYERS[theirs][0]})")
    return lines


def test_every_module_has_a_layer():
    unplaced = sorted(n for n in MODULES if n != "mockserve" and layer_of(n) is None)
    assert not unplaced, f"place these modules in tests/test_layers.py LAYERS: {unplaced}"


def test_no_module_imports_a_layer_above_its_own():
    assert upward(GRAPH) == []


def test_no_import_cycle():
    assert cycles(GRAPH) == []


def test_the_package_itself_runs_only_the_bottom_layer():
    """`import mockserve` (which the pytest plugin's entry point runs) stays cheap."""
    bottom = len(LAYERS) - 1
    assert {layer_of(t) for t in GRAPH["mockserve"] - {"mockserve.__main__"}} <= {bottom}


def test_checking_a_contract_never_runs_the_openapi_package():
    reached, todo = set(), ["mockserve.contract"]
    while todo:
        for target in GRAPH[todo.pop()] - reached:
            reached.add(target)
            todo.append(target)
    assert not {m for m in reached if m.startswith("mockserve.openapi")}


@pytest.mark.parametrize(
    "graph, expected",
    [
        ({"a": {"b"}, "b": {"a"}}, [["a", "b"]]),
        ({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}, [["a", "b", "c"]]),
        ({"a": {"b"}, "b": set()}, []),
    ],
)
def test_the_cycle_check_finds_cycles(graph, expected):
    assert cycles(graph) == expected


def test_the_layer_check_finds_an_upward_import():
    graph = {"mockserve.contract": {"mockserve.pipeline"}, "mockserve.pipeline": set()}
    assert upward(graph) == [
        "mockserve.contract (templating and contract checks) imports "
        "mockserve.pipeline (pipeline and renderers)"
    ]


def test_a_lazy_import_counts(tmp_path, monkeypatch):
    """An import inside a function runs when it is called: it is an edge like any other."""
    source = "def later():\n    from .pipeline import Pipeline\n"
    module = PACKAGE / "contract.py"
    original = module.read_text("utf-8")
    monkeypatch.setattr(Path, "read_text", _patched_read(module, original + source))
    assert "mockserve.pipeline" in imported("mockserve.contract")


def _patched_read(module: Path, text: str):
    real = Path.read_text

    def read_text(self: Path, *args, **kwargs):
        return text if self == module else real(self, *args, **kwargs)

    return read_text
