"""docs/architecture.md stays true to the library: what it names exists, it names every module, it stays inside.

Modules are named either by path in inline code (``inputs/tables.py``, ``lib/socialops/cli.py``, relative to
``lib/socialops/`` when the first folder is one of its packages) or by dotted name (``socialops.report.format``).
"""

from __future__ import annotations

import re
from pathlib import Path

from tests.conftest import LIB, ROOT, lib_modules

DOC = ROOT / "docs" / "architecture.md"

#: Inline code paths under these folders are checked against the repository.
ROOT_FOLDERS = ("lib/", "tests/", "notebooks/", "docs/", "data/")
_FENCE = re.compile(r"^```.*?^```", re.S | re.M)
_SPAN = re.compile(r"`([^`\n]+)`")
_DOTTED = re.compile(r"\bsocialops(?:\.[A-Za-z_]\w*)+")
_LINK_TARGETS = (
    re.compile(r"\]\(\s*<?([^)\s>]+)"),  # [text](target)
    re.compile(r"^\s*\[[^\]]+\]:\s*(\S+)", re.M),  # [label]: target
    re.compile(r"<((?:[a-z][a-z0-9+.-]*:|//)[^>\s]+)>", re.I),  # <scheme:...>
    re.compile(r"""(?:href|src)\s*=\s*["']([^"']+)""", re.I),
    re.compile(r"(?<![\w(<])((?:https?|ftp)://\S+)", re.I),  # a bare address
)


def lib_packages() -> set[str]:
    return {p.name for p in LIB.iterdir() if (p / "__init__.py").exists()}


def code_paths(text: str) -> list[str]:
    """Inline code spans that are single paths (no spaces, no placeholders), outside fenced blocks."""
    spans = _SPAN.findall(_FENCE.sub("", text))
    return [s for s in spans if " " not in s and "<" not in s and ("/" in s or s.endswith(".py"))]


def resolve(path: str) -> Path | None:
    """Where a path named in the doc should be, or None when it names something outside the checked tree."""
    if path.startswith(ROOT_FOLDERS):
        return ROOT / path
    first = path.split("/", 1)[0]
    if "/" in path and first in lib_packages():
        return LIB / path
    return None


def exists(path: Path) -> bool:
    """Whether a path (maybe with a ``*`` pattern) names at least one file or folder."""
    if "*" in path.name or "*" in str(path.parent):
        return any(ROOT.glob(str(path.relative_to(ROOT))))
    return path.exists()


def module_exists(dotted: str) -> bool:
    parts = dotted.split(".")[1:]
    base = LIB.joinpath(*parts)
    return base.with_suffix(".py").exists() or (base / "__init__.py").exists()


def named_modules(text: str) -> set[str]:
    """Library modules the doc names, as paths relative to ``lib/socialops``."""
    names: set[str] = set()
    for path in code_paths(text):
        if "/" not in path and (LIB / path).exists():
            names.add(path)  # a top-level module such as cli.py
        target = resolve(path)
        if target is not None and target.is_relative_to(LIB):
            rel = target.relative_to(LIB).as_posix()
            names.add(f"{rel}/__init__.py" if (target / "__init__.py").exists() else rel)
    for dotted in _DOTTED.findall(text):
        rel = "/".join(dotted.split(".")[1:])
        names |= {f"{rel}.py", f"{rel}/__init__.py"}
    return names


def leaving_links(text: str, base: Path = DOC.parent) -> list[str]:
    """Link targets that leave the repository: an address with a scheme, or a path outside the root."""
    bad = []
    for pattern in _LINK_TARGETS:
        for target in pattern.findall(text):
            if re.match(r"([a-z][a-z0-9+.-]*:|//)", target, re.I):
                bad.append(target)
                continue
            path = (base / target.split("#", 1)[0]).resolve()  # "#anchor" alone stays on the page
            if not path.is_relative_to(ROOT) or not path.exists():
                bad.append(target)
    return bad


def test_every_named_path_exists():
    text = DOC.read_text(encoding="utf-8")
    missing = [p for p in code_paths(text) if (t := resolve(p)) is not None and not exists(t)]
    bare = [p for p in code_paths(text) if "/" not in p and not any(LIB.rglob(p))]
    assert not missing + bare, f"paths named in docs/architecture.md that do not exist: {missing + bare}"
    outside = [p for p in code_paths(text) if p.startswith("../")]
    assert not outside, f"paths outside the repository: {outside}"


def test_every_named_module_exists():
    text = DOC.read_text(encoding="utf-8")
    missing = sorted({d for d in _DOTTED.findall(text) if not module_exists(d)})
    assert not missing, f"modules named in docs/architecture.md that do not exist: {missing}"


def test_every_lib_module_is_named():
    named = named_modules(DOC.read_text(encoding="utf-8"))
    modules = [p.relative_to(LIB).as_posix() for p in lib_modules()]
    unnamed = [m for m in modules if m not in named]
    assert not unnamed, f"lib modules that docs/architecture.md does not name: {unnamed}"


def test_no_link_leaves_the_repository():
    bad = leaving_links(DOC.read_text(encoding="utf-8"))
    assert not bad, f"links leaving the repository: {bad}"


# --------------------------------------------------------------------------------------------- the checks
def test_checks_on_a_planted_page():
    page = (
        "See [design](../../shared/DESIGN.md), [site](https://example.org), <https://example.org/x>, "
        "[readme](../README.md) and [here](#layers).\n"
        "`inputs/tables.py`, `stats/nowhere.py`, `cli.py`, `reports/bench.json`, `tests/<pkg>/test_<mod>.py`, "
        "`stats/`\n"
        "socialops.report.format and socialops.nowhere\n"
        "```\n`stats/in_a_fence.py`\n```\n"
    )
    assert leaving_links(page) == ["../../shared/DESIGN.md", "https://example.org", "https://example.org/x"]
    assert code_paths(page) == ["inputs/tables.py", "stats/nowhere.py", "cli.py", "reports/bench.json", "stats/"]
    assert resolve("reports/bench.json") is None and not exists(resolve("stats/nowhere.py"))
    assert {"inputs/tables.py", "cli.py", "report/format.py", "stats/__init__.py"} <= named_modules(page)
    assert not module_exists("socialops.nowhere") and module_exists("socialops.report")
