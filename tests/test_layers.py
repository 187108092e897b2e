"""The import rule of lib/socialops: each layer imports only the layers below it.

Layers, bottom to top: inputs (0) < stats (1) < report and chapters.py (2) < the chapter packages (3) <
pipeline (4) < cli.py and __main__.py (5). Chapter packages never import each other. The tools on top (sample, course, bench)
may use the library; sample only inputs and stats, so the generator stays independent of the chapters. Only the
command line reaches a tool (``socialops sample``). Every import counts, at module level or inside a function,
absolute or relative; import cycles are looked for among the module-level imports, the ones that run on import.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import LIB, lib_modules

ROOT = "socialops"

CHAPTER_PACKAGES = ("platform_matrix", "lifecycle", "ab_testing", "churn", "crisis")
#: Rank of each part of the library; the package root (``socialops/__init__.py``, the version) is the base.
RANKS = {
    "": 0,
    "inputs": 0,
    "stats": 1,
    "report": 2,
    "chapters": 2,
    **dict.fromkeys(CHAPTER_PACKAGES, 3),
    "pipeline": 4,
    "cli": 5,
    "__main__": 5,  # python -m socialops: the command again
}
#: Tools and the parts of the library each may use (None: any part).
TOOLS = {"sample": {"", "inputs", "stats"}, "course": None, "bench": None}
#: Library parts allowed to import a tool, and which.
TOOL_USERS = {"cli": {"sample"}}


@dataclass(frozen=True)
class Import:
    """One import of a socialops module by another."""

    module: str  # the importing module, e.g. socialops.lifecycle.cohorts
    target: str  # the imported module, e.g. socialops.stats.timeframe
    line: int
    top_level: bool  # runs when the module is imported (not inside a function, not under TYPE_CHECKING)

    def __str__(self) -> str:
        return f"{self.module} (line {self.line}) imports {self.target}"


def module_name(path: Path) -> str:
    """The dotted name of a module file of the library."""
    parts = list(path.relative_to(LIB.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _resolve(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    """The absolute module name a ``from ... import`` statement reads from."""
    if not node.level:
        return node.module or ""
    package = module.split(".") if is_package else module.split(".")[:-1]
    base = package[: len(package) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def parse_imports(module: str, source: str, is_package: bool = False, known: frozenset[str] = frozenset()) -> list[Import]:
    """Every import of a socialops module in `source`, the code of `module`.

    ``from pkg import name`` counts as an import of ``pkg.name`` when that is a module in `known`.
    """
    found: list[Import] = []

    def add(target: str, node: ast.AST, top_level: bool) -> None:
        if target == ROOT or target.startswith(ROOT + "."):
            found.append(Import(module, target, node.lineno, top_level))

    def visit(node: ast.AST, top_level: bool) -> None:
        if isinstance(node, ast.Import):
            for alias in node.names:
                add(alias.name, node, top_level)
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(module, is_package, node)
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                add(sub if sub in known else base, node, top_level)
        inner = top_level and not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
        if isinstance(node, ast.If) and _is_type_checking(node):
            inner = False
        for child in ast.iter_child_nodes(node):
            visit(child, inner)

    visit(ast.parse(source), True)
    return found


def part_of(module: str) -> str:
    """The layer part a module belongs to: its package under socialops, or '' for the root."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def rule_broken(imp: Import) -> str | None:
    """Why `imp` breaks the import rule, or None when it keeps it."""
    src, dst = part_of(imp.module), part_of(imp.target)
    if src == dst:
        return None
    for part in (src, dst):
        if part not in RANKS and part not in TOOLS:
            return f"socialops.{part} has no layer: add it to RANKS or TOOLS in tests/test_layers.py"
    if src in TOOLS:
        allowed = TOOLS[src]
        if allowed is None or dst in allowed:
            return None
        return f"the {src} tool may use only {', '.join(sorted(p or 'socialops' for p in allowed))}"
    if dst in TOOLS:
        return None if dst in TOOL_USERS.get(src, ()) else f"a library module imports the {dst} tool"
    if src in CHAPTER_PACKAGES and dst in CHAPTER_PACKAGES:
        return "a chapter package imports another chapter package"
    if RANKS[dst] > RANKS[src]:
        return f"layer {RANKS[src]} ({src}) imports layer {RANKS[dst]} ({dst}), a higher one"
    return None


def layer_violations(imports: list[Import]) -> list[str]:
    """One line per import that breaks the rule, naming the module, the line, the import and the reason."""
    return [f"{imp}: {why}" for imp in imports if (why := rule_broken(imp))]


def import_cycles(imports: list[Import]) -> list[list[str]]:
    """Cycles among the module-level imports, each as the modules in import order (first repeated at the end)."""
    graph: dict[str, set[str]] = {}
    for imp in imports:
        if imp.top_level and imp.target != imp.module:
            graph.setdefault(imp.module, set()).add(imp.target)
    cycles: list[list[str]] = []
    seen: set[str] = set()

    def walk(node: str, path: list[str]) -> None:
        if node in path:
            cycle = path[path.index(node) :] + [node]
            if not any(set(cycle) == set(c) for c in cycles):
                cycles.append(cycle)
            return
        if node in seen:
            return
        for nxt in sorted(graph.get(node, ())):
            walk(nxt, path + [node])
        seen.add(node)

    for start in sorted(graph):
        walk(start, [])
    return cycles


def library_imports() -> list[Import]:
    """Every socialops import in every module of lib/socialops."""
    files = lib_modules()
    known = frozenset(module_name(f) for f in files)
    imports: list[Import] = []
    for f in files:
        imports += parse_imports(module_name(f), f.read_text(encoding="utf-8"), f.name == "__init__.py", known)
    return imports


@pytest.fixture(scope="module")
def imports() -> list[Import]:
    return library_imports()


def test_the_library_is_parsed(imports):
    modules = {imp.module for imp in imports}
    assert {"socialops.report.report", "socialops.cli", "socialops.pipeline.runner"} <= modules


def test_no_module_imports_a_higher_layer_or_another_chapter(imports):
    broken = layer_violations(imports)
    assert not broken, "imports against the layer rule:\n" + "\n".join(broken)


def test_no_import_cycles(imports):
    cycles = import_cycles(imports)
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


# ------------------------------------------------------------------------------------- the checker itself
def test_checker_catches_an_upward_import_inside_a_function():
    source = "import math\n\ndef f():\n    from socialops.pipeline import runner\n    return runner\n"
    known = frozenset({"socialops.pipeline.runner"})
    imports = parse_imports("socialops.stats.fake", source, known=known)
    assert imports == [Import("socialops.stats.fake", "socialops.pipeline.runner", 4, top_level=False)]
    (message,) = layer_violations(imports)
    assert message.startswith("socialops.stats.fake (line 4) imports socialops.pipeline.runner: layer 1")


def test_checker_catches_a_relative_import_of_another_chapter():
    source = "from ..churn import analysis\nfrom . import figures\nfrom .figures import draw\n"
    known = frozenset({"socialops.churn.analysis", "socialops.lifecycle.figures"})
    imports = parse_imports("socialops.lifecycle.fake", source, known=known)
    assert [imp.target for imp in imports] == [
        "socialops.churn.analysis",
        "socialops.lifecycle.figures",
        "socialops.lifecycle.figures",
    ]
    (message,) = layer_violations(imports)
    assert "imports socialops.churn.analysis: a chapter package imports another chapter package" in message


def test_checker_keeps_downward_imports_and_tool_rules():
    allowed = [
        Import("socialops.churn.analysis", "socialops.stats.bgnbd", 1, True),
        Import("socialops.report.report", "socialops", 1, True),
        Import("socialops.cli", "socialops.sample", 1, False),
        Import("socialops.bench.tasks", "socialops.churn.customers", 1, False),
        Import("socialops.sample.events", "socialops.stats.timeframe", 1, True),
    ]
    assert layer_violations(allowed) == []
    refused = [
        Import("socialops.sample.events", "socialops.report.format", 1, True),
        Import("socialops.pipeline.runner", "socialops.bench.tasks", 1, True),
        Import("socialops.newpart.x", "socialops.inputs.tables", 1, True),
    ]
    assert len(layer_violations(refused)) == 3
    (message,) = layer_violations([Import("socialops.sample.events", "socialops.bench.tasks", 1, False)])
    assert message.endswith("the sample tool may use only inputs, socialops, stats")


def test_checker_finds_cycles_at_module_level_only():
    imports = [
        Import("socialops.stats.a", "socialops.stats.b", 1, True),
        Import("socialops.stats.b", "socialops.stats.a", 1, True),
        Import("socialops.stats.c", "socialops.stats.d", 1, True),
        Import("socialops.stats.d", "socialops.stats.c", 5, False),
    ]
    assert import_cycles(imports) == [["socialops.stats.a", "socialops.stats.b", "socialops.stats.a"]]


def test_checker_skips_type_checking_imports_for_cycles():
    source = "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from socialops.stats import b\n"
    (imp,) = parse_imports("socialops.stats.a", source, known=frozenset({"socialops.stats.b"}))
    assert imp.target == "socialops.stats.b" and not imp.top_level
