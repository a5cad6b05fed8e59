"""The package's architecture, checked: the import graph of ``oquab_lib`` (module-level *and* function-level imports,
read with ``ast``) has no cycle, and imports only flow downwards:

- foundations (``config``, ``session``, ``cache``, ``errors``, ``spread``, ``paper``, ``data``) and building blocks
  (``models``, ``weak_net``, ``train``, ``metrics``, ``localize``, ``heatmaps``, ``patches``) import no experiment
  package (``source``, ``cvpr14``, ``cvpr15``) and no ``tools``;
- experiment packages import each other in one order, ``source`` < ``cvpr14`` < ``cvpr15``, except that any of them may
  read another's ``config`` module;
- only notebooks import ``report`` (no library module does);
- importing the library changes no global option (pandas display settings).
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import oquab_lib

PACKAGE_ROOT = Path(oquab_lib.__file__).parent
EXPERIMENTS = ("source", "cvpr14", "cvpr15")
LOWER = ("config", "schema", "disk", "session", "cache", "errors", "spread", "paper", "data", "models", "weak_net",
         "train", "stopping", "transfer", "distributed", "metrics", "localize", "heatmaps", "patches", "parallel")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE_ROOT.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path, known: set[str]) -> set[str]:
    """Every ``oquab_lib`` module that ``path`` imports, anywhere in the file (``from X import y`` counts as X.y when
    X.y is a module, else X)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("oquab_lib"))
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("oquab_lib"):
            for alias in node.names:
                candidate = f"{node.module}.{alias.name}"
                found.add(candidate if candidate in known else node.module)
    return found


def import_graph() -> dict[str, set[str]]:
    files = {module_name(p): p for p in PACKAGE_ROOT.rglob("*.py")}
    known = set(files)
    return {name: imported_modules(path, known) - {name} for name, path in files.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """A cycle of the graph as a list of modules, or None (iterative DFS, white/grey/black colouring)."""
    colour = dict.fromkeys(graph, 0)
    for start in graph:
        if colour[start]:
            continue
        stack = [(start, iter(sorted(graph[start])))]
        colour[start] = 1
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                colour[node] = 2
                stack.pop()
            elif colour.get(child) == 1:
                path = [n for n, _ in stack]
                return path[path.index(child):] + [child]
            elif colour.get(child) == 0:
                colour[child] = 1
                stack.append((child, iter(sorted(graph.get(child, ())))))
    return None


def top(name: str) -> str:
    parts = name.split(".")
    return parts[1] if len(parts) > 1 else ""


def test_the_graph_is_read_from_the_sources():
    graph = import_graph()
    assert "oquab_lib.cvpr15.tables" in graph and "oquab_lib.cvpr15.train" in graph["oquab_lib.cvpr15.tables"]


def test_no_import_cycle():
    assert find_cycle(import_graph()) is None, f"import cycle: {' -> '.join(find_cycle(import_graph()))}"


def test_find_cycle_sees_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_foundations_and_building_blocks_import_no_experiment():
    bad = [(m, d) for m, deps in import_graph().items() if top(m) in LOWER
           for d in deps if top(d) in (*EXPERIMENTS, "tools", "report")]
    assert not bad, f"lower layers import upper ones: {bad}"


def test_experiments_import_in_one_order():
    rank = {name: i for i, name in enumerate(EXPERIMENTS)}
    bad = [(m, d) for m, deps in import_graph().items() if top(m) in rank for d in deps
           if top(d) in rank and rank[top(d)] > rank[top(m)] and not d.endswith(".config")]
    bad += [(m, d) for m, deps in import_graph().items() if top(m) in rank for d in deps if top(d) == "tools"]
    assert not bad, f"an experiment imports a later one: {bad}"


def test_only_notebooks_import_report():
    assert not [m for m, deps in import_graph().items() if "oquab_lib.report" in deps]


def test_importing_the_library_changes_no_pandas_option():
    code = ("import pandas as pd\nbefore = (pd.get_option('display.max_columns'), pd.get_option('display.width'))\n"
            "import importlib, pkgutil, oquab_lib\n"
            "for m in pkgutil.walk_packages(oquab_lib.__path__, 'oquab_lib.'):\n"
            "    if not m.name.endswith('__main__'): importlib.import_module(m.name)\n"
            "print(before == (pd.get_option('display.max_columns'), pd.get_option('display.width')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "True"


# --- signatures and function sizes --------------------------------------------------------------------------------
MAX_BODY_LINES = 40  # the developers' guide: functions under ~40 lines of body (docstring not counted)
LONG_FUNCTIONS: set[str] = set()  # "module.function" allowed over the limit, each with its reason; none today
# The mini-world generator's entry points take a profile name, a ``world`` section or a WorldConfig (its command line
# passes a name): one place, below the experiments, that turns all three into a WorldConfig first thing.
CONFIG_UNIONS = {"oquab_lib.data.synth.world_config.from_any", "oquab_lib.data.synth.generate.ensure_world"}


def _functions():
    for path in PACKAGE_ROOT.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                yield module_name(path), node


def _body_lines(node: ast.FunctionDef) -> int:
    body = node.body[1:] if ast.get_docstring(node) is not None else node.body
    return body[-1].end_lineno - body[0].lineno + 1 if body else 0


def test_functions_stay_under_forty_lines():
    long = [f"{m}.{f.name} ({_body_lines(f)} lines)" for m, f in _functions()
            if _body_lines(f) > MAX_BODY_LINES and f"{m}.{f.name}" not in LONG_FUNCTIONS]
    assert not long, f"split these functions: {long}"


def test_configuration_comes_in_one_shape():
    """``run`` is a :class:`oquab_lib.config.Run`, and a config is its dataclass: never ``Any``, never a dict union."""
    bad = []
    for module, node in _functions():
        for arg in [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]:
            hint = ast.unparse(arg.annotation) if arg.annotation is not None else ""
            union = "Config" in hint and "dict" in hint and f"{module}.{node.name}" not in CONFIG_UNIONS
            if (arg.arg == "run" and hint != "Run") or union:
                bad.append(f"{module}.{node.name}({arg.arg}: {hint or 'no hint'})")
    assert not bad, f"configuration passed in another shape: {bad}"
