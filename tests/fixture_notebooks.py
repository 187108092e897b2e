"""Small chapter notebooks built for one behaviour each, for the runner and security tests."""

from __future__ import annotations

from pathlib import Path

import nbformat

PARAMS = '''data_dir: str = "../data/samples"  # folder holding the input tables
lang: str = "en"  # report language, one of: en, zh
audience: str = "client"  # who reads the report, one of: client, analyst
client: str = "Test Brand"  # client name shown in the report header
as_of: str = ""  # end of the observation window; empty = latest
engine: str = "duckdb"  # duckdb, spark, or an Ibis URL'''


def write_fixture_notebook(folder: Path, chapter: str, body: str, exercise: str | None = None) -> None:
    """Write ``chapter``'s notebook into ``folder``: titles, parameters, start of the report, ``body`` (cell 5),
    an ``exercise``-tagged cell when given, finish."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    params = nbformat.v4.new_code_cell(PARAMS)
    params.metadata["tags"] = ["parameters"]
    start = ("from socialops.report.report import Report\n"
             f"rep = Report.start({chapter!r}, data_dir=data_dir, lang=lang, audience=audience, client=client,\n"
             "                   as_of=as_of, engine=engine)")
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Fixture", metadata={"tags": ["lang-en"]}),
        nbformat.v4.new_markdown_cell("# 测试", metadata={"tags": ["lang-zh"]}),
        params,
        nbformat.v4.new_code_cell(start),
        nbformat.v4.new_code_cell(body),
        *([nbformat.v4.new_code_cell(exercise, metadata={"tags": ["exercise"]})] if exercise else []),
        nbformat.v4.new_code_cell("rep.finish()"),
    ]
    nbformat.write(nb, str(Path(folder) / f"{chapter}.ipynb"))
