"""Architecture rules of the package, checked on the source with ``ast`` (see docs/architecture.md).

* no import cycles between modules (top-level and function-level imports;
  imports under ``if TYPE_CHECKING:`` do not run and do not count);
* ``click`` is imported only by the command line layer, ``csresearch/cli/``;
* no module imports from a higher layer (:data:`LAYERS`, lowest first);
* no function is longer than :data:`MAX_FUNCTION_LINES` lines.
"""

from __future__ import annotations

import ast
from functools import lru_cache
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "csresearch"

#: Layers, lowest first; a module may import from its own layer and lower ones.
#: Keys are the first name under ``csresearch`` (a module or a sub-package).
LAYERS: tuple[tuple[str, ...], ...] = (
    ("__init__", "errors", "atomic", "jsonsafe", "csvsafe", "contract", "schemas", "violations", "reading", "events",
     "events_spark", "events_source", "events_rules", "usage_cache", "dataset", "validation", "i18n", "display"),  # data contract
    ("features", "lifetimes"),                      # as-of-safe features; lifetimes use the onboarding rule
    ("analysis",),                                  # pure statistics
    ("health",),                                    # the health score (its fit uses the statistics)
    ("tables",),                                    # features and health at chosen points
    ("plots", "narrative", "answers", "summary_figures"),  # figures and prose of results and findings sections
    ("study", "synth"),                             # notebook steps; the generator
    ("report",),                                    # findings, HTML, index
    ("runner", "factors"),                          # the suite run; the flat-table command
    ("cli",),                                       # the only layer that prints and exits
)

#: Imports from a higher layer that are allowed: none.
ALLOWED_UPWARD: set[tuple[str, str]] = set()

#: Import cycles allowed (module names); none are left.
ALLOWED_CYCLES: list[set[str]] = []

MAX_FUNCTION_LINES = 80

#: Functions over MAX_FUNCTION_LINES that are allowed: none.
LONG_FUNCTIONS_ALLOWED: set[str] = set()


def _module_name(path: Path) -> tuple[str, bool]:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    is_package = parts[-1] == "__init__"
    return ".".join(parts[:-1] if is_package else parts), is_package


@lru_cache(maxsize=None)
def _modules() -> dict[str, tuple[Path, bool, ast.Module]]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.is_relative_to(PACKAGE / "notebooks"):  # jupytext notebooks shipped as package data, not modules
            continue
        name, is_package = _module_name(path)
        out[name] = (path, is_package, ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
    return out


def _type_checking_nodes(tree: ast.Module) -> set[int]:
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip |= {id(n) for stmt in node.body for n in ast.walk(stmt)}
    return skip


def _imported(module: str, is_package: bool, node: ast.Import | ast.ImportFrom) -> list[str]:
    """Absolute names an import statement names (``from x import y`` gives ``x.y`` and ``x``)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = node.module or ""
    if node.level:
        parts = module.split(".") if is_package else module.split(".")[:-1]
        parts = parts[: len(parts) - (node.level - 1)]
        base = ".".join(parts + ([node.module] if node.module else []))
    return [f"{base}.{alias.name}" for alias in node.names] + [base]


def _own_module(name: str, modules) -> str | None:
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


@lru_cache(maxsize=None)
def _imports() -> dict[str, set[str]]:
    """Module -> every name it imports at run time (top level and inside functions)."""
    out: dict[str, set[str]] = {}
    for module, (_, is_package, tree) in _modules().items():
        skip = _type_checking_nodes(tree)
        names = out.setdefault(module, set())
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)) and id(node) not in skip:
                names.update(_imported(module, is_package, node))
    return out


@lru_cache(maxsize=None)
def _graph() -> dict[str, set[str]]:
    """Module -> csresearch modules it imports (a ``from pkg import name`` counts as the submodule when it is one)."""
    modules = _modules()
    graph: dict[str, set[str]] = {}
    for module, names in _imports().items():
        targets = set()
        for name in names:
            if name.startswith("csresearch") and name in modules:
                targets.add(name)
            elif name.startswith("csresearch") and "." in name and name.rpartition(".")[0] in modules:
                continue  # `from pkg import name` where name is not a module: the base is listed too
        ancestors = {module.rsplit(".", k)[0] for k in range(1, module.count(".") + 1)}
        graph[module] = targets - {module} - ancestors  # a package is initialised before its submodules
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[set[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.add(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(component)

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def _top(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _rank(top: str) -> int:
    for rank, names in enumerate(LAYERS):
        if top in names:
            return rank
    raise AssertionError(f"csresearch.{top} is in no layer: add it to LAYERS in tests/test_architecture.py "
                         "and to docs/architecture.md")


def test_graph_sees_relative_and_function_level_imports():
    graph = _graph()
    assert "csresearch.contract" in graph["csresearch.dataset"]  # `from . import contract`
    assert "csresearch.validation" in graph["csresearch.dataset"]  # inside Dataset.validate
    assert "csresearch.violations" not in graph["csresearch.errors"]  # only under TYPE_CHECKING


def test_no_import_cycles():
    cycles = [c for c in _cycles(_graph()) if c not in ALLOWED_CYCLES]
    assert not cycles, f"import cycles: {[sorted(c) for c in cycles]}"


def test_click_only_in_the_cli_layer():
    offenders = sorted(m for m, names in _imports().items()
                       if any(n == "click" or n.startswith("click.") for n in names) and _top(m) != "cli")
    assert not offenders, f"click imported outside csresearch/cli/: {offenders}"


def test_every_module_is_in_a_layer():
    for module in _modules():
        _rank(_top(module))


def test_no_module_imports_from_a_higher_layer():
    upward = set()
    for module, targets in _graph().items():
        for target in targets:
            if _rank(_top(target)) > _rank(_top(module)):
                upward.add((module, target))
    unexpected = sorted(upward - ALLOWED_UPWARD)
    assert not unexpected, f"imports from a higher layer (see docs/architecture.md): {unexpected}"
    assert not ALLOWED_UPWARD - upward, f"allow-listed but gone, remove them: {sorted(ALLOWED_UPWARD - upward)}"


def _functions() -> dict[str, int]:
    """Qualified name (module:outer.inner) -> length in lines of every def, nested ones included."""
    out: dict[str, int] = {}

    def walk(node: ast.AST, module: str, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                name = f"{prefix}{child.name}"
                out[f"{module}:{name}"] = child.end_lineno - child.lineno + 1
                walk(child, module, name + ".")
            elif isinstance(child, ast.ClassDef):
                walk(child, module, f"{prefix}{child.name}.")
            else:
                walk(child, module, prefix)

    for module, (_, _, tree) in _modules().items():
        walk(tree, module, "")
    return out


def test_functions_fit_on_a_screen():
    lengths = _functions()
    long = {name: n for name, n in lengths.items() if n > MAX_FUNCTION_LINES}
    unexpected = {name: n for name, n in long.items() if name not in LONG_FUNCTIONS_ALLOWED}
    assert not unexpected, f"functions over {MAX_FUNCTION_LINES} lines (split them): {unexpected}"
    assert not LONG_FUNCTIONS_ALLOWED - set(long), f"allow-listed but short now: {sorted(LONG_FUNCTIONS_ALLOWED - set(long))}"


@pytest.mark.parametrize("layer", LAYERS)
def test_layers_name_existing_modules(layer):
    tops = {_top(m) for m in _modules()}
    assert set(layer) <= tops, f"LAYERS names modules that do not exist: {set(layer) - tops}"
