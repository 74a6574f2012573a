"""The package's import graph has the shape docs/data-contract.md draws (issue #16, point 10).

The graph is read with ``ast`` (nothing is imported): every ``import``/``from … import`` of a
``pufa_metrics`` module counts, at module level or inside a function, ``TYPE_CHECKING`` blocks
included. Three rules:

(a) no import cycle;
(b) imports only go down the layers of :data:`LAYERS` (same layer allowed), except the few
    edges in :data:`ALLOWED_UPWARD`, each with its reason;
(c) no module uses another module's private names (``_name``); shared pieces live in
    ``pufa_metrics._common``.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "pufa_metrics"

#: Bottom first. A module may import modules of its own layer or of lower layers.
LAYERS: tuple[tuple[str, ...], ...] = (
    # shared pieces: _common imports config and schema, config imports schema
    ("_common", "config", "schema"),
    # privacy is below io: personal data are removed while the ledgers are read
    ("privacy", "assessed"),
    ("io",),  # io and every io.* module: ledgers in, Dataset out; no metrics
    # (io.template writes the blank ledgers: schema/config/_common, openpyxl and the register
    # read through io.ledger, so it sits with the readers whose headers it writes)
    ("coverage", "frequency", "survey", "services", "training", "spatial", "effect"),
    # periods compared: calls coverage, survey and services over two periods
    ("compare",),
    ("rules",),
    ("blindspots",),
    ("workflow",),
    ("plots", "excel"),
    # the data-quality report takes the period from workflow and writes with excel
    ("validation",),
    ("brief", "word"),  # word: the yearly report draft (.docx), from brief's headline table
    ("report",),
    ("ingest",),
    ("distributed",),
    ("national",),
    ("sample",),
    ("cli",),
)

#: Upward edges allowed for now: (importer, imported) → reason.
ALLOWED_UPWARD: dict[tuple[str, str], str] = {
    ("workflow", "plots"): (
        "the notebook context (issue #16 point 8) builds chart captions with "
        "plots.source_caption, imported inside the method; plots never imports workflow"
    ),
}

_ROOT = "pufa_metrics"


def _modules() -> dict[str, Path]:
    mods = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        mods[".".join(parts)] = path
    return mods


def _graph() -> tuple[dict[str, set[str]], list[str]]:
    """Module → modules it imports, and the private names used across modules."""
    mods = _modules()
    graph: dict[str, set[str]] = defaultdict(set)
    private: list[str] = []
    for mod, path in mods.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        base = mod.split(".") if path.name == "__init__.py" else mod.split(".")[:-1]
        alias: dict[str, str] = {}  # local name → module it stands for
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    stem = base[: len(base) - (node.level - 1)]
                    target = ".".join(stem + ([node.module] if node.module else []))
                else:
                    target = node.module or ""
                if target != _ROOT and not target.startswith(_ROOT + "."):
                    continue
                for name in node.names:
                    sub = f"{target}.{name.name}"
                    if sub in mods:
                        graph[mod].add(sub)
                        alias[name.asname or name.name] = sub
                    elif target in mods:
                        graph[mod].add(target)
                        if name.name.startswith("_") and not name.name.startswith("__"):
                            private.append(f"{mod} <- {target}.{name.name}")
            elif isinstance(node, ast.Import):
                for name in node.names:
                    if name.name in mods:
                        graph[mod].add(name.name)
                        if name.asname:
                            alias[name.asname] = name.name
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id in alias
                and alias[node.value.id] != mod
                and node.attr.startswith("_")
                and not node.attr.startswith("__")
            ):
                private.append(f"{mod} <- {alias[node.value.id]}.{node.attr}")
    return {m: graph[m] - {m} for m in mods}, private


def _short(mod: str) -> str:
    return mod.removeprefix(_ROOT + ".")


def _layer_of(mod: str) -> int | None:
    """Layer index of a module (io.* modules are in io's layer); None for the package root."""
    short = _short(mod)
    if mod == _ROOT:
        return None
    head = short.split(".")[0]
    for i, layer in enumerate(LAYERS):
        if head in layer:
            return i
    raise AssertionError(
        f"module {mod} is in no layer of tests/test_import_graph.py LAYERS: add it where "
        "docs/data-contract.md's layout puts it"
    )


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            # a package's __init__ importing its own submodules is not a cycle of design
            if v.startswith(w + "."):
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


GRAPH, PRIVATE = _graph()


def test_the_graph_is_read():
    # hand check: coverage imports _common (its day-number kernels live there) and schema
    assert {"pufa_metrics._common", "pufa_metrics.schema"} <= GRAPH["pufa_metrics.coverage"]
    assert len(GRAPH) > 30


def test_no_import_cycle():
    assert _cycles(GRAPH) == []


def test_cycle_finder_finds_a_planted_cycle():
    planted = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(planted) == [["a", "b", "c"]]


def test_every_module_has_a_layer():
    for mod in GRAPH:
        _layer_of(mod)


def _upward(graph: dict[str, set[str]]) -> list[str]:
    bad = []
    for mod, targets in sorted(graph.items()):
        here = _layer_of(mod)
        if here is None:
            continue
        for target in sorted(targets):
            there = _layer_of(target)
            if there is None or there <= here:
                continue
            key = (_short(mod).split(".")[0], _short(target).split(".")[0])
            if key not in ALLOWED_UPWARD:
                bad.append(f"{_short(mod)} (layer {here}) imports {_short(target)} (layer {there})")
    return bad


def test_imports_only_go_down_the_layers():
    assert _upward(GRAPH) == []


#: Downward edges that are still wrong: (importer layer's modules, imported top module, why).
FORBIDDEN: tuple[tuple[tuple[str, ...], str, str], ...] = (
    (LAYERS[3], "io", "metric modules never read files (data flows one way)"),
)


def _forbidden(graph: dict[str, set[str]]) -> list[str]:
    bad = []
    for mod, targets in sorted(graph.items()):
        head = _short(mod).split(".")[0]
        for importers, imported, why in FORBIDDEN:
            if head in importers:
                bad += [f"{_short(mod)} imports {_short(t)}: {why}" for t in sorted(targets)
                        if _short(t).split(".")[0] == imported]
    return bad


def test_metric_modules_never_import_io():
    assert _forbidden(GRAPH) == []


@pytest.mark.parametrize(
    ("importer", "imported", "upward", "forbidden"),
    [
        # layers (LAYERS): io 2, metrics 3, workflow 6, plots 7, brief 9
        ("pufa_metrics.io.ledger", "pufa_metrics.survey", True, False),  # io → a metric
        ("pufa_metrics.survey", "pufa_metrics.plots", True, False),  # a metric → plots
        ("pufa_metrics.coverage", "pufa_metrics.io.dataset", False, True),  # down, but io
        ("pufa_metrics.brief", "pufa_metrics.plots", False, False),  # brief is above plots
        ("pufa_metrics.workflow", "pufa_metrics.plots", False, False),  # allowed, reason given
        ("pufa_metrics.blindspots", "pufa_metrics.excel", True, False),  # the workbook is above
    ],
)
def test_the_checks_catch_planted_edges(importer, imported, upward, forbidden):
    assert bool(_upward({importer: {imported}})) is upward
    assert bool(_forbidden({importer: {imported}})) is forbidden


def test_no_private_names_across_modules():
    assert PRIVATE == [], (
        "private names used from another module (shared pieces belong in pufa_metrics._common, "
        "or a public name of the lower module). Until RULES/PIPELINE finish issue #16 this may "
        "list their modules; the lead checks it at the end:\n  " + "\n  ".join(PRIVATE)
    )


# ---- the tests themselves use public names (issue #16, point 3) -------------------------------

TESTS = Path(__file__).resolve().parent


def _private(name: str) -> bool:
    """``_name`` is private; dunders, ``_common`` (the shared module) and protocol hooks such as
    ``_repr_html_`` / ``_ipython_display_`` (single underscore at both ends) are not."""
    return (name.startswith("_") and not name.startswith("__") and name != "_common"
            and not (name.endswith("_") and not name.endswith("__")))


def _private_uses(source: str) -> list[str]:
    """``line: name`` of every import of, or attribute access to, a private pufa_metrics name.

    Attribute chains count when they start at a name bound by an import from the package
    (``io_workbook._CHUNK``, ``pm.coverage._x``, ``Settings._y``); objects made at run time are
    not followed.
    """
    found: list[str] = []
    roots: set[str] = set()  # local names bound to the package, its modules or their members
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and not node.level and node.module and (
                node.module == _ROOT or node.module.startswith(_ROOT + ".")):
            if any(_private(p) for p in node.module.split(".")):
                found.append(f"{node.lineno}: {node.module}")
            for alias in node.names:
                if _private(alias.name):
                    found.append(f"{node.lineno}: {node.module}.{alias.name}")
                roots.add(alias.asname or alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name != _ROOT and not alias.name.startswith(_ROOT + "."):
                    continue
                if any(_private(p) for p in alias.name.split(".")):
                    found.append(f"{node.lineno}: {alias.name}")
                roots.add(alias.asname or _ROOT)
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and _private(node.attr):
            base = node.value
            while isinstance(base, ast.Attribute):
                base = base.value
            if isinstance(base, ast.Name) and base.id in roots:
                found.append(f"{node.lineno}: {ast.unparse(node)}")
    return sorted(set(found), key=lambda s: (int(s.split(":")[0]), s))


def test_tests_use_public_names_only():
    bad = {
        path.name: uses
        for path in sorted(TESTS.glob("*.py"))
        if (uses := _private_uses(path.read_text(encoding="utf-8")))
    }
    assert bad == {}, (
        "tests reach into private names: test through the public function that uses the piece, "
        "make a real unit a documented public name of its module, or put a shared piece in "
        "pufa_metrics._common"
    )


@pytest.mark.parametrize(
    ("source", "found"),
    [
        ("from pufa_metrics.blindspots import _gaps", ["1: pufa_metrics.blindspots._gaps"]),
        ("from pufa_metrics.io import workbook as wb\nwb._CHUNK", ["2: wb._CHUNK"]),
        ("import pufa_metrics as pm\npm.coverage._x()", ["2: pm.coverage._x"]),
        ("from pufa_metrics.config import Settings\nSettings._y", ["2: Settings._y"]),
        ("import pufa_metrics._secret", ["1: pufa_metrics._secret"]),
        # allowed: the shared module, dunders, protocol hooks, names of other libraries, locals
        ("from pufa_metrics import _common\n_common.NAT_DAY", []),
        ("from pufa_metrics import plots\nplots.__file__", []),
        ("from pufa_metrics import plots\nplots.fig._repr_html_()", []),
        ("import os\nos._exit", []),
        ("obj = make()\nobj._private", []),
    ],
)
def test_the_test_check_catches_planted_private_uses(source, found):
    assert _private_uses(source) == found
