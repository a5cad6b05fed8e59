"""Notebooks hold no logic: no loop (comprehensions count), no ``def``, no ``class``; logic lives in ``oquab_lib``."""

import ast
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.py"))
FORBIDDEN = (ast.For, ast.AsyncFor, ast.While, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda,
             ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


def forbidden_nodes(source: str) -> list[str]:
    """``"line N: For"`` for each forbidden construct of a notebook's source."""
    nodes = sorted((n for n in ast.walk(ast.parse(source)) if isinstance(n, FORBIDDEN)), key=lambda n: n.lineno)
    return [f"line {node.lineno}: {type(node).__name__}" for node in nodes]


def test_the_scan_finds_every_kind_of_loop():
    source = "x = [a for a in b]\ny = {a: 1 for a in b}\nz = sum(a for a in b)\nfor a in b:\n    pass\n" \
             "while False:\n    pass\ndef f():\n    pass\nclass C:\n    pass\ng = lambda: 1\nw = {1, 2}\n"
    assert [f.split(": ")[1] for f in forbidden_nodes(source)] == [
        "ListComp", "DictComp", "GeneratorExp", "For", "While", "FunctionDef", "ClassDef", "Lambda"]


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_has_no_loop_def_or_class(notebook):
    assert len(NOTEBOOKS) >= 11
    assert forbidden_nodes(notebook.read_text()) == [], f"{notebook.name}: move this logic into oquab_lib"


def test_no_module_uses_tqdm_auto():
    """tqdm.auto prints "TqdmWarning: IProgress not found" in a kernel without ipywidgets (every chapter's top)."""
    root = Path(__file__).resolve().parents[1]
    users = [p.name for p in [*(root / "oquab_lib").rglob("*.py"), *NOTEBOOKS] if "tqdm.auto" in
             p.read_text().replace('not tqdm.auto: see CONTRIBUTING', '')]
    assert users == []
