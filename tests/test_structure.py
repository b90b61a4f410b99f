"""The package's shape, checked from its source: no import cycle, imports at the top, short files, defaults once."""

import ast
import dataclasses
from pathlib import Path

import pytest

from fmmi.config import MIOptions, StreamingOptions

SOURCE = Path(__file__).resolve().parents[1] / "src" / "fmmi"
MODULES = sorted(SOURCE.rglob("*.py"))
# Optional dependencies, imported where they are used so that the core never needs them.
OPTIONAL = ("matplotlib", "distributed", "dask", "pandas", "sklearn")
MAX_LINES = 450


def module_name(path: Path) -> str:
    parts = ("fmmi", *path.relative_to(SOURCE).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def is_package(path: Path) -> bool:
    return path.name == "__init__.py"


def imported_modules(path: Path) -> set[str]:
    """The fmmi modules ``path`` imports (``from . import x`` counts x when it is a module)."""
    name = module_name(path)
    package = name if is_package(path) else name.rpartition(".")[0]
    known = {module_name(p) for p in MODULES}
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.startswith("fmmi"))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if not target.startswith("fmmi"):
                continue
            found.add(target)
            found.update(f"{target}.{alias.name}" for alias in node.names if f"{target}.{alias.name}" in known)
    return {m for m in found if m in known}


def import_graph() -> dict[str, set[str]]:
    """Module -> the modules that importing it runs first, parent packages included.

    Importing ``a.b.c`` runs the packages ``a.b`` and ``a`` first, unless the importer is inside them
    (then they are already being imported).
    """
    graph = {}
    for path in MODULES:
        name = module_name(path)
        ancestors = {name.rsplit(".", i)[0] for i in range(1, name.count(".") + 1)}
        edges = set()
        for target in imported_modules(path):
            parts = target.split(".")
            for i in range(2, len(parts) + 1):
                edges.add(".".join(parts[:i]))
        graph[name] = {e for e in edges if e != name and e not in ancestors and e != "fmmi"}
    return graph


def test_the_modules_import_each_other_without_a_cycle():
    graph = import_graph()
    state: dict[str, int] = {}

    def visit(node, trail):
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                cycle = trail[trail.index(nxt) :] + [nxt]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if nxt not in state:
                visit(nxt, trail + [nxt])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    assert "fmmi.config" in graph and graph["fmmi.estimators.auto"]  # the graph is real


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(SOURCE)))
def test_imports_sit_at_the_top_unless_optional(path):
    tree = ast.parse(path.read_text())
    top = {id(node) for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom))}
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            for inner in ast.walk(node):
                if isinstance(inner, (ast.Import, ast.ImportFrom)):
                    top.discard(id(inner))
                    names = [a.name for a in inner.names] if isinstance(inner, ast.Import) else [inner.module or ""]
                    assert all(n.split(".")[0] in OPTIONAL for n in names), (
                        f"{path.name}:{inner.lineno} imports {names} inside a function; "
                        "only optional dependencies may be imported there"
                    )


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(SOURCE)))
def test_no_module_is_longer_than_one_sitting(path):
    lines = len(path.read_text().splitlines())
    assert lines <= MAX_LINES, f"{path.relative_to(SOURCE)} has {lines} lines; split it by responsibility"


# Every option with a default that a module could restate by mistake (None and booleans say too little).
DEFAULTS = {
    f.name: f.default
    for f in dataclasses.fields(MIOptions)
    if f.default is not dataclasses.MISSING and f.default is not None and not isinstance(f.default, bool)
}
DEFAULTS["fit_rows"] = StreamingOptions.fit_rows
# The command line's names for options whose flag differs from the option's name.
FLAGS = {"folds": "n_folds"}
# The orchestration layer: what builds estimators from options, where a restated default would drift.
# The maths layer below it (nn, training, integrate, divergence, coupling, ...) takes every option as
# an argument, and the pipeline always passes the configured value (fmmi.terms); its functions' own
# defaults serve direct use. demo.py reproduces the seed article's settings, which are not ours; the
# baselines (KSG, InfoNCE, MINDE...) are other estimators with defaults of their own.
CHECKED = sorted(
    path
    for path in MODULES
    if path.parent.name in ("estimators", "cli", "benchmark")
    or path.name in ("__init__.py", "streaming.py", "terms.py", "selection.py", "distributed.py")
)
EXEMPT = {"config.py", "demo.py", "neural.py", "minde.py", "baselines.py", "_holdout.py"}


def restated_defaults(path: Path) -> list[str]:
    """Places in ``path`` that write an option's default value as a literal next to the option's name."""
    found = []

    def check(name: str, value: ast.AST, line: int) -> None:
        if name in DEFAULTS and isinstance(value, ast.Constant) and not isinstance(value.value, bool):
            if value.value == DEFAULTS[name] and type(value.value) is type(DEFAULTS[name]):
                found.append(f"{path.name}:{line} {name}={value.value!r}")

    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            arguments = node.args
            positional = arguments.posonlyargs + arguments.args
            for arg, value in zip(positional[len(positional) - len(arguments.defaults) :], arguments.defaults):
                check(arg.arg, value, node.lineno)
            for arg, value in zip(arguments.kwonlyargs, arguments.kw_defaults):
                if value is not None:
                    check(arg.arg, value, node.lineno)
        elif isinstance(node, ast.Call):
            for keyword in node.keywords:
                if keyword.arg:
                    check(keyword.arg, keyword.value, node.lineno)
            flag = node.args[0] if node.args and isinstance(node.args[0], ast.Constant) else None
            if flag is not None and isinstance(flag.value, str) and flag.value.startswith("--"):
                name = flag.value[2:].replace("-", "_")
                for keyword in node.keywords:
                    if keyword.arg == "default":
                        check(FLAGS.get(name, name), keyword.value, node.lineno)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
            check(node.target.id, node.value, node.lineno)
    return found


def test_no_module_restates_a_default():
    found = [place for path in CHECKED if path.name not in EXEMPT for place in restated_defaults(path)]
    assert not found, "defaults live in fmmi.config only; restated at " + ", ".join(found)


def test_the_check_finds_a_restated_default(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text('def f(*, steps=10000, lr=0.5):\n    g(hidden=512)\n\n\np.add_argument("--folds", default=5)\n')
    expected = ["sample.py:1 steps=10000", "sample.py:2 hidden=512", "sample.py:5 n_folds=5"]
    assert sorted(restated_defaults(sample)) == expected
