"""Tests mirror the library: each module of lib/socialops has a test file of its own at the same place.

``lib/socialops/<pkg>/<mod>.py`` is tested in ``tests/<pkg>/test_<mod>.py`` (a leading underscore of a private
module is dropped: ``sample/_common.py`` -> ``tests/sample/test_common.py``); a package's ``__init__.py`` that holds
code (a function or a class) in ``tests/<pkg>/test_<pkg>.py``; a top-level module in ``tests/test_<mod>.py``.
Package ``__init__`` files without code and ``__main__`` modules (a few lines handing the command line to a
tested function) need no file of their own.
"""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import LIB, ROOT, defined_names, lib_modules

TESTS = ROOT / "tests"

#: Modules without a test file of their own, each with the reason. Keep it short.
EXCEPTIONS: dict[str, str] = {}


def holds_code(path: Path) -> bool:
    """Whether a module defines a function or a class (re-exports and constants alone are no code)."""
    return bool(defined_names(ast.parse(path.read_text(encoding="utf-8"))))


def expected_test(module: Path) -> Path | None:
    """The test file `module` must have, or None when it needs none."""
    rel = module.relative_to(LIB)
    if rel.name == "__main__.py" or (rel.name == "__init__.py" and not holds_code(module)):
        return None
    if rel.name == "__init__.py":
        if len(rel.parts) == 1:
            return TESTS / "test_socialops.py"
        return TESTS.joinpath(*rel.parts[:-1], f"test_{rel.parts[-2]}.py")
    return TESTS.joinpath(*rel.parts[:-1], f"test_{rel.stem.lstrip('_')}.py")


def missing_tests() -> list[str]:
    """One line per lib module whose mirrored test file does not exist."""
    lines = []
    for module in lib_modules():
        rel = module.relative_to(LIB).as_posix()
        test = expected_test(module)
        if test is not None and rel not in EXCEPTIONS and not test.exists():
            lines.append(f"lib/socialops/{rel} -> {test.relative_to(ROOT)}")
    return lines


def test_every_lib_module_has_its_test_file():
    missing = missing_tests()
    assert not missing, f"{len(missing)} lib modules without their test file:\n" + "\n".join(missing)


def test_test_folders_are_packages():
    folders = {p.parent for p in TESTS.rglob("test_*.py")} - {TESTS}
    assert all((f / "__init__.py").exists() for f in folders), sorted(
        str(f.relative_to(ROOT)) for f in folders if not (f / "__init__.py").exists()
    )


def test_exceptions_name_existing_modules():
    assert all((LIB / rel).exists() and reason for rel, reason in EXCEPTIONS.items())


def test_mapping():
    assert expected_test(LIB / "stats" / "rfm.py") == TESTS / "stats" / "test_rfm.py"
    assert expected_test(LIB / "sample" / "_common.py") == TESTS / "sample" / "test_common.py"
    assert expected_test(LIB / "cli.py") == TESTS / "test_cli.py"
    assert expected_test(LIB / "sample" / "__init__.py") == TESTS / "sample" / "test_sample.py"
    assert expected_test(LIB / "bench" / "__main__.py") is None
    assert expected_test(LIB / "__init__.py") is None
