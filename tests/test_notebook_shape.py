"""The shape every chapter notebook keeps: it narrates and calls the library, nothing more.

A notebook is committed without outputs, has one ``parameters`` cell, at most ``MAX_CODE_LINES`` non-blank lines of
code outside the parameters, exercise and solution cells, defines no function or class there (tables, sentence
rules, decisions and charts are library functions with tests of their own), and tells its story in markdown cells
that come in pairs, one tagged ``lang-en`` and the next ``lang-zh``.
"""

from __future__ import annotations

import ast

import nbformat
import pytest
from IPython.core.inputtransformer2 import TransformerManager

from tests.conftest import ROOT, cell_tags, defined_names

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
MAX_CODE_LINES = 120
#: Cells whose code is not counted: the parameters and the course's exercises and answers.
UNCOUNTED = {"parameters", "exercise", "solution"}
LANGS = ("lang-en", "lang-zh")


def narrating_code(nb) -> list:
    """The code cells that count towards the notebook's size."""
    return [c for c in nb.cells if c.cell_type == "code" and not cell_tags(c) & UNCOUNTED]


def definitions(source: str) -> list[str]:
    """Names of the functions and classes a cell defines (IPython magics turned into Python first)."""
    return defined_names(ast.parse(TransformerManager().transform_cell(source)))


@pytest.fixture(params=NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def notebook(request):
    return request.param, nbformat.read(request.param, as_version=4)


def test_there_are_five_chapter_notebooks():
    assert len(NOTEBOOKS) == 5


def test_no_outputs_and_no_execution_counts(notebook):
    path, nb = notebook
    dirty = [c.get("id") for c in nb.cells if c.cell_type == "code" and (c.outputs or c.execution_count is not None)]
    assert not dirty, f"{path.name}: cells with outputs or execution counts: {dirty}"


def test_exactly_one_parameters_cell(notebook):
    path, nb = notebook
    cells = [c for c in nb.cells if "parameters" in cell_tags(c)]
    assert len(cells) == 1, f"{path.name}: {len(cells)} cells tagged parameters"
    assert cells[0].cell_type == "code"


def test_code_stays_short(notebook):
    path, nb = notebook
    lines = sum(1 for c in narrating_code(nb) for line in c.source.splitlines() if line.strip())
    assert lines <= MAX_CODE_LINES, (
        f"{path.name}: {lines} non-blank lines of code outside parameters/exercise/solution cells "
        f"(at most {MAX_CODE_LINES}): move the work into the chapter's package"
    )


def test_no_functions_or_classes_in_narrating_cells(notebook):
    path, nb = notebook
    defined = {c.get("id"): names for c in narrating_code(nb) if (names := definitions(c.source))}
    assert not defined, f"{path.name}: defines {defined} (cell id: names); they belong in lib with a test"


def test_markdown_cells_come_in_language_pairs(notebook):
    path, nb = notebook
    markdown = [(i, c) for i, c in enumerate(nb.cells) if c.cell_type == "markdown"]
    for _, cell in markdown:
        langs = cell_tags(cell) & set(LANGS)
        assert len(langs) == 1, f"{path.name}: markdown cell {cell.get('id')} has language tags {sorted(langs)}"
    for i, cell in markdown:
        if "lang-en" not in cell_tags(cell):
            continue
        partner = nb.cells[i + 1] if i + 1 < len(nb.cells) else None
        assert partner is not None and partner.cell_type == "markdown" and "lang-zh" in cell_tags(partner), (
            f"{path.name}: English cell {cell.get('id')} is not followed by its Chinese cell"
        )
        assert cell_tags(cell) - {"lang-en"} == cell_tags(partner) - {"lang-zh"}, (
            f"{path.name}: cells {cell.get('id')} and {partner.get('id')} differ in their other tags"
        )
    zh_first = [
        c.get("id")
        for i, c in markdown
        if "lang-zh" in cell_tags(c) and (i == 0 or "lang-en" not in cell_tags(nb.cells[i - 1]))
    ]
    assert not zh_first, f"{path.name}: Chinese cells without an English cell before them: {zh_first}"


def test_definitions_are_found_behind_magics():
    assert definitions("%matplotlib inline\ndef f():\n    class A: ...\n") == ["f", "A"]
    assert definitions("rep.say('x')\n") == []
