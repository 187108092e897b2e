"""The pieces of the report object that need no kernel: parsing as_of, escaping, tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from socialops.report.report import escape_markdown, parse_as_of, table_html


def test_as_of_date_means_end_of_day():
    assert parse_as_of("2026-09-30") == pd.Timestamp("2026-09-30 23:59:59.999999")
    assert parse_as_of("2026-09-30 12:00:00") == pd.Timestamp("2026-09-30 12:00")
    assert parse_as_of("") is None and parse_as_of("  ") is None


@pytest.mark.parametrize("bad", ["30/09/2026", "2026-9-30", "yesterday", "2026-09-30T25"])
def test_as_of_rejects_other_forms(bad):
    with pytest.raises(ValueError):
        parse_as_of(bad)


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
