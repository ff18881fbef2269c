"""The arrows between the layers (docs/architecture.md), checked with ``ast`` over the source tree.

Every import counts, also one inside a function (a lazy import is still an arrow). The lower layers --
dynamics/, metrics/, systems/, maps1d/, data/ -- never import the layers built on them (models/,
training/, report/, reproductions/, sweep/, cli/), and the modules of models/ import each other without a
circle. The checker is first shown to find a planted upward arrow and a planted circle.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
LOWER = ("dynamics", "metrics", "systems", "maps1d", "data")
UPPER = ("models", "training", "report", "reproductions", "sweep", "cli")


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def imports_of(path: Path, root: Path) -> set[str]:
    """Names of the modules that ``path`` imports, anywhere in the file (relative imports resolved)."""
    me = module_name(path, root)
    package = me if path.name == "__init__.py" else me.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base_parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(base_parts + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            out.add(base)
            out.update(f"{base}.{a.name}" for a in node.names)  # ``from pkg import submodule``
    return out


def import_graph(root: Path, package: str) -> dict[str, set[str]]:
    """``{module: modules it imports}`` for every module of ``package`` under ``root``."""
    graph = {}
    for path in sorted((root / package.replace(".", "/")).rglob("*.py")):
        graph[module_name(path, root)] = imports_of(path, root)
    return graph


def upward_arrows(graph: dict[str, set[str]], top: str) -> list[tuple[str, str]]:
    """(importer, imported) pairs where a lower-layer module imports an upper layer."""
    bad = []
    for mod, deps in graph.items():
        layer = mod.split(".")[1] if mod.count(".") >= 1 else ""
        if layer not in LOWER:
            continue
        for dep in deps:
            parts = dep.split(".")
            if parts[0] == top and len(parts) > 1 and parts[1] in UPPER:
                bad.append((mod, dep))
    return sorted(bad)


def find_cycle(graph: dict[str, set[str]], package: str) -> list[str] | None:
    """A circle of imports among the modules of ``package`` (as a list of module names), or None."""
    nodes = {m for m in graph if m == package or m.startswith(package + ".")}
    edges = {m: {d for d in graph[m] if d in nodes and d != m} for m in nodes}
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(m: str) -> list[str] | None:
        state[m] = 1
        stack.append(m)
        for d in sorted(edges[m]):
            if state.get(d) == 1:
                return stack[stack.index(d):] + [d]
            if d not in state and (found := visit(d)) is not None:
                return found
        stack.pop()
        state[m] = 2
        return None

    for m in sorted(nodes):
        if m not in state and (found := visit(m)) is not None:
            return found
    return None


def _plant(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")


def test_checker_finds_planted_arrow_and_circle(tmp_path: Path) -> None:
    _plant(tmp_path, {
        "pkg/__init__.py": "",
        "pkg/dynamics/__init__.py": "",
        "pkg/dynamics/a.py": "def f():\n    from pkg.models.base import X\n",
        "pkg/dynamics/b.py": "from ..training import trainer\nfrom . import a\n",
        "pkg/models/__init__.py": "from pkg.models.base import X\nfrom pkg.models import sub\n",
        "pkg/models/base.py": "X = 1\ndef g():\n    from pkg.models import sub\n",
        "pkg/models/sub.py": "from pkg.models.base import X\n",
    })
    graph = import_graph(tmp_path, "pkg")
    assert upward_arrows(graph, "pkg") == [("pkg.dynamics.a", "pkg.models.base"),
                                           ("pkg.dynamics.a", "pkg.models.base.X"),
                                           ("pkg.dynamics.b", "pkg.training"),
                                           ("pkg.dynamics.b", "pkg.training.trainer")]
    cycle = find_cycle(graph, "pkg.models")
    assert cycle is not None and cycle[0] == cycle[-1] and "pkg.models.base" in cycle
    (tmp_path / "pkg/models/base.py").write_text("X = 1\n", encoding="utf-8")
    assert find_cycle(import_graph(tmp_path, "pkg"), "pkg.models") is None


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    g = import_graph(SRC, "rnnchaos")
    assert len(g) > 50 and "rnnchaos.dynamics.lyapunov_spectrum" in g
    return g


def test_lower_layers_never_import_upper_layers(graph: dict[str, set[str]]) -> None:
    assert upward_arrows(graph, "rnnchaos") == []


def test_models_have_no_import_circle(graph: dict[str, set[str]]) -> None:
    assert find_cycle(graph, "rnnchaos.models") is None
    assert not any(d.startswith("rnnchaos.models") for d in graph["rnnchaos.models.base"])
