"""The package's layers, read from its source: one direction, JAX internals in one place.

engine (``transform/``) -> records -> ``inspection/`` -> ``render/`` -> ``widgets/``.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parent.parent / "vmapviz"


def _modules(sub: str = "") -> list[Path]:
    return sorted((PACKAGE / sub).rglob("*.py"))


def _imports(path: Path, top_level_only: bool = False) -> list[str]:
    """Every module ``path`` imports, as an absolute ``vmapviz.`` name where relative."""
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    package = parts[:-1]  # the package a relative import starts from
    tree = ast.parse(path.read_text())
    nodes = tree.body if top_level_only else ast.walk(tree)
    found = []
    for node in nodes:
        if isinstance(node, ast.Import):
            found.extend(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                name = ".".join(base + ((node.module,) if node.module else ()))
            else:
                name = node.module or ""
            found.append(name)
            found.extend(f"{name}.{a.name}" for a in node.names)
    return found


def test_the_imports_are_read():
    """The reader below sees a known import, so the layer tests can fail."""
    assert "vmapviz.transform._plan" in _imports(PACKAGE / "transform" / "_mapping.py")
    assert "vmapviz.records" in _imports(PACKAGE / "render" / "_graph.py")


@pytest.mark.parametrize("path", _modules("render"), ids=lambda p: p.name)
def test_render_never_imports_the_engine(path):
    assert not [m for m in _imports(path) if m.startswith("vmapviz.transform")]


@pytest.mark.parametrize("path", _modules("widgets"), ids=lambda p: p.name)
def test_widgets_use_only_the_public_engine(path):
    private = [m for m in _imports(path) if re.match(r"vmapviz\.transform\._", m)]
    assert not private


@pytest.mark.parametrize("path", _modules("transform"), ids=lambda p: p.name)
def test_the_engine_draws_nothing(path):
    """Presentation is reached only from inside the thin inspect/explain/widget methods."""
    upward = [m for m in _imports(path, top_level_only=True)
              if m.startswith(("vmapviz.inspection", "vmapviz.render", "vmapviz.widgets"))]
    assert not upward


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_jax_internals_only_in_jax_private(path):
    if path.name == "_jax_private.py":
        return
    text = path.read_text()
    assert not [m for m in _imports(path) if m.startswith("jax._src")]
    assert not re.search(r"\.params\[|\.params\.get\(", text), "primitive parameter names"


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_functions_are_short(path):
    long = [f"{node.name}: {node.end_lineno - node.lineno + 1} lines"
            for node in ast.walk(ast.parse(path.read_text()))
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
            and node.end_lineno - node.lineno + 1 > 60]
    assert not long
