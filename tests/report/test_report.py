"""The pieces of the report object that need no kernel: escaping, tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from socialops.report.report import Report, escape_markdown, table_html


def test_markdown_escaping_neutralises_links_and_html():
    text = escape_markdown("[click](javascript:alert(1)) <img src=x onerror=alert(1)> **bold**")
    assert "](" not in text and "<img" not in text and "**" not in text


def test_table_html_escapes_text_and_aligns_numbers():
    df = pd.DataFrame({"title": ["<script>alert(1)</script>", None], "views": np.array([1500, 2])})
    page = table_html(df)
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert '<td class="num">1,500</td>' in page and '<td class="txt"></td>' in page


def test_missing_values_of_nullable_columns_are_blank():
    df = pd.DataFrame({"n": pd.array([1, None], dtype="Int64"), "x": pd.array([0.5, None], dtype="Float64")})
    assert "NA" not in table_html(df) and table_html(df).count('<td class="num"></td>') == 2


def test_start_refuses_an_unreadable_as_of_before_opening_the_data(tmp_path):
    with pytest.raises(ValueError, match=r"^as_of: expected YYYY-MM-DD"):
        Report.start("lifecycle", data_dir=str(tmp_path / "nowhere"), as_of="2026-13-45")


def test_table_leaves_out_the_rows_after_as_of(tmp_path):
    (tmp_path / "mentions.csv").write_text(
        "mention_id,ts,platform,sentiment\n"
        "m1,2026-01-01 08:00:00,weibo,0.5\n"
        "m2,2026-01-02 23:00:00,weibo,-0.2\n"
        "m3,2026-01-03 00:00:00,weibo,0.1\n",
        encoding="utf-8",
    )
    given = Report.start("crisis_postmortem", data_dir=str(tmp_path), as_of="2026-01-02", audience="analyst")
    latest = Report.start("crisis_postmortem", data_dir=str(tmp_path), audience="analyst")
    try:
        assert given.as_of == pd.Timestamp("2026-01-02 23:59:59.999999") and given.as_of_source == "given"
        assert sorted(given.table("mentions").to_pandas().mention_id) == ["m1", "m2"]
        assert (latest.as_of, latest.as_of_source) == (pd.Timestamp("2026-01-03"), "latest")
        assert latest.table("mentions").count().execute() == 3
    finally:
        given.workspace.close()
        latest.workspace.close()
