"""The package's shape, held against the code: no import cycles (typing-only and
function-level imports included), the arrows DESIGN draws, and modules of a readable size."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

import connect_kit as ck

PACKAGE = Path(ck.__file__).parent
MAX_LINES = 450


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _targets(name: str, path: Path) -> Iterator[str]:
    """Every module of the package that ``name`` imports, wherever the import stands."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names if a.name in MODULES)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            if source not in MODULES:
                continue
            for alias in node.names:  # a submodule, or a name of the module itself
                sub = f"{source}.{alias.name}"
                yield sub if sub in MODULES else source


GRAPH = {name: set(_targets(name, path)) - {name} for name, path in MODULES.items()}


def _cycles() -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on.add(node)
        for nxt in GRAPH[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in GRAPH:
        if node not in index:
            visit(node)
    return found


def test_no_import_cycles():
    assert _cycles() == []


def _imports(prefix: str) -> set[str]:
    return {t for name, targets in GRAPH.items() if name.startswith(prefix) for t in targets}


@pytest.mark.parametrize(
    ("part", "may_import"),
    [
        ("connect_kit.spec", ("connect_kit.spec",)),
        ("connect_kit.serve", ("connect_kit.serve",)),
        (  # and the pure policies the sandbox's callback sender shares with the client
            "connect_kit.sandbox",
            (
                "connect_kit.sandbox",
                "connect_kit.spec",
                "connect_kit.serve",
                "connect_kit._retry",
                "connect_kit._tokens",
            ),
        ),
        (
            "connect_kit.data",
            (
                "connect_kit.data",
                "connect_kit.client",
                "connect_kit.spec",
                "connect_kit._redact",
                "connect_kit.errors",
            ),
        ),
    ],
)
def test_the_arrows_point_one_way(part, may_import):
    strays = {t for t in _imports(part) if not t.startswith(may_import)}
    assert strays == set()


def test_the_client_reaches_the_sandbox_in_one_place_only():
    reaching = {
        name
        for name, targets in GRAPH.items()
        if name.startswith("connect_kit.client")
        and any(t.startswith("connect_kit.sandbox") for t in targets)
    }
    assert reaching == {"connect_kit.client._embedded"}


def test_the_client_knows_no_screen():
    assert not {t for t in _imports("connect_kit.client") if t.startswith("connect_kit.widgets")}


def test_no_module_is_too_long_to_read():
    long = {
        name: lines
        for name, path in MODULES.items()
        if (lines := len(path.read_text().splitlines())) > MAX_LINES
        and name != "connect_kit.sandbox.seed"  # the seed catalogue's data: see its module
    }
    assert long == {}
