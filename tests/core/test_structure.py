"""The shape of the code: no import cycles among core's modules, small packages and modules, and a
README that names only what exists.

Import-linter checks the layers (``make lint``); it leaves out imports under ``TYPE_CHECKING``.
This test reads every import, those inside functions and type-only ones included.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from core.settings import PROJECT_ROOT

CORE = PROJECT_ROOT / "core"
MAX_MODULES_PER_PACKAGE = 15
MAX_MODULE_LINES = 400
MAX_README_LINES = 250


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PROJECT_ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _core_modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(CORE.rglob("*.py"))}


def _imports(path: Path, modules: dict[str, Path]) -> set[str]:
    """Every core module ``path`` imports, anywhere in the file: ``from pkg import sub`` counts
    as importing the submodule ``pkg.sub``, ``from mod import name`` as importing ``mod``."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name in modules)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                if sub in modules:
                    found.add(sub)
                elif node.module in modules:
                    found.add(node.module)
    return found


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module, or of one that imports
    itself (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
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
            if len(component) > 1 or v in graph[v]:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_cycle_finder_sees_a_cycle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(graph) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_core_module_imports_another_in_a_cycle() -> None:
    modules = _core_modules()
    graph = {name: _imports(path, modules) - {name} for name, path in modules.items()}
    assert _cycles(graph) == []


def test_packages_and_modules_stay_small() -> None:
    too_many = {
        str(pkg.relative_to(PROJECT_ROOT)): n
        for pkg in [CORE, *(p.parent for p in CORE.rglob("__init__.py"))]
        if (n := sum(1 for f in pkg.glob("*.py") if f.name != "__init__.py"))
        > MAX_MODULES_PER_PACKAGE
    }
    assert too_many == {}
    too_long = {
        str(p.relative_to(PROJECT_ROOT)): n
        for p in [*CORE.rglob("*.py"), *(PROJECT_ROOT / "app_pages").glob("*.py")]
        if (n := len(p.read_text().splitlines())) > MAX_MODULE_LINES
    }
    assert too_long == {}


def _readme() -> str:
    return (PROJECT_ROOT / "README.md").read_text()


def test_the_readme_is_short_and_shows_a_picture_first() -> None:
    text = _readme()
    assert len(text.splitlines()) <= MAX_README_LINES
    first_screen = "\n".join(text.splitlines()[:40])
    images = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", first_screen)
    assert images, "no image on the README's first screen"
    for image in images:
        assert (PROJECT_ROOT / image).is_file(), image


README_PATH = r"`((?:core|app_pages|benchmarks|experiments|studies|docs|tests)/[\w./-]*)`"


def test_the_readme_names_only_paths_that_exist() -> None:
    named = set(re.findall(README_PATH, _readme()))
    assert named, "the README names no path: the pattern is wrong"
    missing = sorted(p for p in named if not (PROJECT_ROOT / p.rstrip("/")).exists())
    assert missing == []


def _source_of(name: str) -> str | None:
    path = PROJECT_ROOT / name.replace(".", "/")
    for candidate in (path.with_suffix(".py"), path / "__init__.py"):
        if candidate.is_file():
            return candidate.read_text()
    return None


def test_the_readme_names_only_modules_that_exist() -> None:
    """``core.x.y`` in the README is a module, or a name a module defines or exports."""
    named = set(re.findall(r"`((?:core|benchmarks|experiments)(?:\.\w+)+)`", _readme()))
    missing = []
    for name in named:
        if _source_of(name) is not None:
            continue
        module, _, attr = name.rpartition(".")
        source = _source_of(module)
        if source is None or not re.search(rf"\b{attr}\b", source):
            missing.append(name)
    assert sorted(missing) == []
