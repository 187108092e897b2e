import csv
import datetime as dt
import os

import ibis
import numpy as np
import openpyxl
import pandas as pd
import pytest
import yaml

from socialops.report.exports import (
    atomic_path,
    csv_text,
    neutralize,
    neutralized,
    write_csv,
    write_table_csv,
    write_xlsx,
)
from tests.conftest import ROOT

EVIL = '=HYPERLINK("http://example.invalid/x","点我领奖")'


@pytest.mark.parametrize(
    "value",
    ["=1+1", "+86 138", "-2+3", "@SUM(A1)", "\t=1", "\r=1", "  =cmd", "＝1+1", EVIL],
)
def test_neutralize_prefixes_formula_text(value):
    assert neutralize(value) == "'" + value


@pytest.mark.parametrize("value", ["hello", "小红书", "", " ", "a=b", "1-2", "email a@b.cn", "'quoted"])
def test_neutralize_leaves_plain_text(value):
    assert neutralize(value) == value


@pytest.mark.parametrize("value", [-5, -0.25, 0, 13800138000, None, True, np.float64(-1.5)])
def test_neutralize_leaves_non_text_values(value):
    assert neutralize(value) is value


def test_xlsx_formula_text_stays_text(tmp_path):
    df = pd.DataFrame({"text": [EVIL, "-1", "normal"], "likes": [3, -4, 5]})
    path = write_xlsx({"mentions": df}, tmp_path / "out.xlsx")
    ws = openpyxl.load_workbook(path)["mentions"]
    cell = ws["A2"]
    assert cell.data_type == "s"
    assert cell.value == EVIL
    assert cell.quotePrefix  # retyping the cell in Excel keeps it text
    assert ws["A3"].value == "-1" and ws["A3"].data_type == "s"
    assert not ws["A4"].quotePrefix
    assert [ws.cell(r, 2).value for r in range(2, 5)] == [3, -4, 5]
    assert all(ws.cell(r, 2).data_type == "n" for r in range(2, 5))
    # No formula anywhere in the file.
    assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)


def test_xlsx_round_trip_types_and_chinese(tmp_path):
    df = pd.DataFrame(
        {
            "平台": ["小红书", "抖音", "微信"],
            "impressions": [13800138000, 250, 0],
            "rate": [0.125, np.nan, np.inf],
            "is_ad": [True, False, True],
            "day": pd.to_datetime(["2026-09-30", "2026-10-01 08:30:00", None], format="ISO8601"),
            "when": [dt.date(2026, 1, 2), None, dt.datetime(2026, 1, 3, 4, 5)],
        }
    )
    path = write_xlsx({"表格": df}, tmp_path / "out.xlsx")
    ws = openpyxl.load_workbook(path)["表格"]
    rows = [[c.value for c in row] for row in ws.iter_rows()]
    assert rows[0] == ["平台", "impressions", "rate", "is_ad", "day", "when"]
    assert rows[1] == ["小红书", 13800138000, 0.125, True, dt.datetime(2026, 9, 30), dt.datetime(2026, 1, 2)]
    assert rows[2] == ["抖音", 250, None, False, dt.datetime(2026, 10, 1, 8, 30), None]
    assert rows[3] == ["微信", 0, None, True, None, dt.datetime(2026, 1, 3, 4, 5)]
    assert ws["A1"].font.b and ws["E1"].font.b
    assert ws.freeze_panes == "A2"
    # Widths follow content; CJK counts double.
    assert ws.column_dimensions["B"].width >= 13
    assert ws.column_dimensions["A"].width >= 8


def test_xlsx_timezone_aware_timestamps_keep_wall_clock(tmp_path):
    df = pd.DataFrame({"ts": pd.to_datetime(["2026-01-01 09:00"]).tz_localize("Asia/Shanghai")})
    ws = openpyxl.load_workbook(write_xlsx({"a": df}, tmp_path / "t.xlsx"))["a"]
    assert ws["A2"].value == dt.datetime(2026, 1, 1, 9, 0)


def test_xlsx_sheet_names_are_valid_and_unique(tmp_path):
    long = "a very long sheet name that goes past the limit"
    sheets = {
        "a/b:c": pd.DataFrame({"x": [1]}),
        long: pd.DataFrame({"x": [2]}),
        long + " again": pd.DataFrame({"x": [3]}),
        "A/B:C": pd.DataFrame({"x": [4]}),
        "": pd.DataFrame({"x": [5]}),
        "History": pd.DataFrame({"x": [6]}),
    }
    book = openpyxl.load_workbook(write_xlsx(sheets, tmp_path / "s.xlsx"))
    names = book.sheetnames
    assert len(names) == 6
    assert len({n.casefold() for n in names}) == 6
    assert all(0 < len(n) <= 31 and not set(n) & set("[]:*?/\\") for n in names)
    assert names[0] == "a_b_c" and names[3] == "A_B_C~2"
    assert names[1] == long[:31] and names[2] == long[:29] + "~2"
    assert [book[n]["A2"].value for n in names] == [1, 2, 3, 4, 5, 6]


def test_xlsx_index_and_multiindex_columns(tmp_path):
    df = pd.DataFrame(
        {("rate", "low"): [0.1], ("rate", "high"): [0.2]}, index=pd.Index(["douyin"], name="platform")
    )
    ws = openpyxl.load_workbook(write_xlsx({"ci": df}, tmp_path / "i.xlsx"))["ci"]
    assert [c.value for c in ws[1]] == ["platform", "rate / low", "rate / high"]
    assert [c.value for c in ws[2]] == ["douyin", 0.1, 0.2]
    # A filtered frame's row numbers are not written.
    plain = pd.DataFrame({"x": [1, 2, 3]}).iloc[[2, 0]]
    ws = openpyxl.load_workbook(write_xlsx({"p": plain}, tmp_path / "p.xlsx"))["p"]
    assert [[c.value for c in row] for row in ws.iter_rows()] == [["x"], [3], [1]]


def test_csv_has_bom_and_neutralised_text(tmp_path):
    df = pd.DataFrame({"=user": ["u1", "u2"], "text": [EVIL, "评论，含逗号"], "amount": [-3.5, 12]})
    path = write_csv(df, tmp_path / "crm.csv")
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    with open(path, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows == [["'=user", "text", "amount"], ["u1", "'" + EVIL, "-3.5"], ["u2", "评论，含逗号", "12.0"]]
    back = pd.read_csv(path, encoding="utf-8-sig")
    assert back["amount"].tolist() == [-3.5, 12.0]


def test_csv_categorical_text_is_neutralised(tmp_path):
    df = pd.DataFrame({"c": pd.Categorical(["@home", "ok", None])})
    back = pd.read_csv(write_csv(df, tmp_path / "c.csv"), encoding="utf-8-sig", keep_default_na=False)
    assert back["c"].tolist() == ["'@home", "ok", ""]


def test_atomic_write_leaves_no_partial_file(tmp_path):
    target = tmp_path / "sub" / "report.xlsx"
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("boom")
    assert not target.exists()
    assert list((tmp_path / "sub").iterdir()) == []


def test_atomic_write_replaces_existing_file(tmp_path):
    target = tmp_path / "out.csv"
    target.write_text("old")
    write_csv(pd.DataFrame({"a": [1]}), target)
    assert target.read_text(encoding="utf-8-sig").splitlines() == ["a", "1"]
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


def test_empty_workbook_is_valid(tmp_path):
    book = openpyxl.load_workbook(write_xlsx({}, tmp_path / "e.xlsx"))
    assert len(book.sheetnames) == 1


def test_hostile_names_are_text_cells_in_the_workbook(tmp_path):
    names = yaml.safe_load((ROOT / "tests" / "data" / "hostile" / "text-names.yaml").read_text(encoding="utf-8"))[
        "names"
    ]
    df = pd.DataFrame({name: [name] for name in names})  # names as headers too
    tables = {"names": pd.DataFrame({"platform": names, "n": range(len(names))}), names[12]: df}
    path = write_xlsx(tables, tmp_path / "hostile.xlsx")
    book = openpyxl.load_workbook(path)
    assert book.sheetnames[0] == "names" and all(not set("[]:*?/\\") & set(n) for n in book.sheetnames)
    for sheet in book.worksheets:
        assert not sheet._hyperlinks  # no address became a link
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    assert cell.data_type == "s", cell.coordinate  # text, never a formula
                    if cell.value.lstrip(" ")[:1] in ("=", "+", "-", "@"):
                        assert cell.quotePrefix, cell.value
    assert [c.value for c in book["names"]["A"][1:]] == names  # as written


# ------------------------------------------------------------------ the report's workbook: numbers as numbers


def _typed(values, header="rate", lang="en"):
    from socialops.report.exports import typed_columns
    from socialops.report.i18n import Translator

    return typed_columns(pd.DataFrame({header: values}), Translator(lang, "office"))


def test_an_estimate_with_its_interval_becomes_three_percent_columns():
    columns = _typed(["4.1% (4.0% – 4.2%)", "12.35% (11.00% – 13.70%)", "—"], header="Engagement rate")
    assert [c.header for c in columns] == ["Engagement rate", "Engagement rate (low)", "Engagement rate (high)"]
    assert columns[0].values[:2] == pytest.approx([0.041, 0.1235], abs=1e-12) and columns[0].values[2] is None
    assert columns[1].values[:2] == pytest.approx([0.040, 0.11], abs=1e-12)
    assert columns[2].values[:2] == pytest.approx([0.042, 0.137], abs=1e-12)
    assert {c.num_format for c in columns} == {"0.00%"}  # the most decimals shown
    assert {c.unit for c in columns} == {"%"}


def test_signed_changes_keep_their_sign_and_a_marker_gets_its_own_column():
    columns = _typed(["-2.8% (-5.6% – +0.1%)", "+9.4% (+4.2% – +14.8%) *", "-0.0% (-2.9% – +2.9%)"])
    assert [c.header for c in columns] == ["rate", "rate (low)", "rate (high)", "rate (marked)"]
    assert columns[0].values == pytest.approx([-0.028, 0.094, 0.0], abs=1e-12)
    assert columns[0].num_format == "+0.0%;-0.0%;0.0%"  # zero shows without a sign: never "-0.0%"
    assert columns[3].values == [None, "*", None]


@pytest.mark.parametrize(("cells", "values", "fmt"), [
    (["12,346", "250", "1,000,000"], [12346, 250, 1_000_000], "#,##0"),
    (["9.96 (9.72 – 10.21)", "1.03 (0.92 – 1.14)"], [9.96, 1.03], "0.00"),
    (["¥1,234.50", "¥12.00"], [1234.5, 12.0], '"¥"#,##0.00'),
    (["+1.3 pp", "-0.5 pp"], [1.3, -0.5], '+0.0" pp";-0.0" pp";0.0" pp"'),
    (["62%", "100%"], [0.62, 1.0], "0%"),
])
def test_shown_numbers_are_read_back_with_the_format_they_showed(cells, values, fmt):
    column = _typed(cells)[0]
    assert column.values == pytest.approx(values, abs=1e-12)
    assert column.num_format == fmt


@pytest.mark.parametrize("cells", [
    ["4.1%", "n/a yet"],            # other text
    ["010", "020"],                 # codes with a leading zero
    ["8.00% vs 5.99%", "3,136 / 3,253"],  # two numbers in a cell
    ["20:00–21:59", "7–14"],        # hours and ranges without spaces
    ["2026-01-02", "2026-01-03"],   # dates written as text
    ["=1+1", "-1"],                 # formulas
])
def test_columns_that_are_not_all_shown_numbers_stay_text(cells):
    columns = _typed(cells)
    assert len(columns) == 1 and columns[0].values == cells and columns[0].num_format is None


def test_p_values_shown_as_bounds_stay_text_among_numbers_and_bracketed_intervals_split():
    p = _typed(["< 0.001", "0.230", "0.874"], header="p-value")[0]
    assert p.values == ["< 0.001", 0.23, 0.874] and p.num_format == "0.000"
    low, high = _typed(["[+0.76, +3.27]", "[-1.03, +0.60]"], header="Interval")
    assert (low.header, low.values, high.values) == ("Interval (low)", [0.76, -1.03], [3.27, 0.6])
    assert low.num_format == "+0.00;-0.00;0.00"
    low, high = _typed(["214 – —", "38 – 46"], header="95% interval (days)")  # an end not reached yet
    assert (low.values, high.values, low.unit) == ([214, 38], [None, 46], "days")


def test_a_column_of_metrics_in_different_units_gets_a_format_per_cell():
    column = _typed(["109,459,561", "1.24%", "4,445", "42%"], header="Last 30 days")[0]
    assert column.values == pytest.approx([109459561, 0.0124, 4445, 0.42], abs=1e-12)
    assert column.num_format is None and column.unit == ""
    assert column.cell_formats == ("#,##0", "0.00%", "#,##0", "0%")


def test_raw_numbers_keep_their_precision_with_the_decimals_the_report_shows():
    from socialops.report.exports import typed_columns
    from socialops.report.i18n import Translator

    df = pd.DataFrame({"Audience fit": [0.8277777777777778, 0.65], "Posts": [20, 52],
                       "Cost (yuan)": [1234.5, 99.0], "Posts a week": [1.555, 4.04]})
    columns = typed_columns(df, Translator("en", "office"))
    assert columns[0].values[0] == 0.8277777777777778 and columns[0].num_format == "0.000"
    assert columns[1].num_format == "#,##0"
    assert columns[2].num_format == "#,##0" and columns[2].unit == "yuan"  # the header's unit in the units row
    assert columns[3].num_format == "0.00"


def _report_book(tmp_path, lang="en", sheets=None):
    from socialops.report.exports import WorkbookInfo

    sheets = sheets or {"platforms": pd.DataFrame({
        "Platform": ["Douyin", "WeChat"], "Impressions": [201253560, 7000000],
        "Engagement rate": ["4.1% (4.0% – 4.2%)", "3.2% (3.0% – 3.4%)"]})}
    info = WorkbookInfo(lang, "01 Platform matrix · Client: Brand · Period: 2026-07-03 – 2026-09-30 · Source: posts.csv")
    return openpyxl.load_workbook(write_xlsx(sheets, tmp_path / "book.xlsx", info))


def test_the_report_workbook_has_a_title_row_a_units_row_and_typed_numbers(tmp_path):
    book = _report_book(tmp_path)
    assert book.sheetnames == ["Platforms"]
    ws = book["Platforms"]
    assert ws["A1"].value.startswith("01 Platform matrix · Client: Brand · Period: 2026-07-03")
    assert [c.value for c in ws[2]] == ["Unit", None, "%", "%", "%"]
    assert [c.value for c in ws[3]] == ["Platform", "Impressions", "Engagement rate", "Engagement rate (low)",
                                        "Engagement rate (high)"]
    assert ws.freeze_panes == "A4"
    row = ws[4]
    assert [c.value for c in row[1:]] == [201253560, 0.041, 0.04, 0.042]
    assert all(c.data_type == "n" for c in row[1:])
    assert [c.number_format for c in row[1:]] == ["#,##0", "0.0%", "0.0%", "0.0%"]


def test_the_chinese_workbook_names_sheets_and_columns_in_chinese(tmp_path):
    sheets = {"platforms": pd.DataFrame({"平台": ["抖音"], "互动率": ["4.1% (4.0% – 4.2%)"]}),
              "change": pd.DataFrame({"平台": ["抖音"], "点击率": ["+1.3% (-1.8% – +4.6%)"]})}
    book = _report_book(tmp_path, "zh", sheets)
    assert book.sheetnames == ["平台对比", "环比变化"]
    ws = book["平台对比"]
    assert [c.value for c in ws[2]][:2] == ["单位", "%"]
    assert [c.value for c in ws[3]] == ["平台", "互动率", "互动率（下限）", "互动率（上限）"]


def test_every_translated_sheet_name_is_valid_in_excel():
    from socialops.report.i18n import load_catalog

    names = {key: entry for key, entry in load_catalog("office").items() if key.startswith("sheet_")}
    assert len(names) >= 30
    for key, entry in names.items():
        for lang, name in entry.items():
            assert 0 < len(name) <= 31 and not set(name) & set("[]:*?/\\"), (key, lang)
        assert any("\u4e00" <= ch <= "\u9fff" for ch in entry["zh"]), key


def test_formulas_stay_inert_in_the_report_workbook(tmp_path):
    sheets = {"names": pd.DataFrame({"text": [EVIL, "-1"], "n": ["1", "2"]})}
    ws = _report_book(tmp_path, sheets=sheets)["names"]
    assert ws["A4"].value == EVIL and ws["A4"].data_type == "s" and ws["A4"].quotePrefix
    assert ws["A5"].value == "-1" and ws["A5"].data_type == "s"
    assert [ws["B4"].value, ws["B5"].value] == [1, 2]
    assert ws["A1"].data_type == "s"  # the title row too
    assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)


def test_amounts_with_a_currency_code_become_numbers_with_the_code_in_their_format():
    from socialops.report.exports import typed_columns
    from socialops.report.i18n import Translator

    t = Translator("en", "office")
    df = pd.DataFrame({"Spend": ["CNY 1,234", "CNY -756", ""],
                       "Cost per follower": ["CNY 3.12 (CNY 2.90 – CNY 3.40)", "CNY 30.05 (CNY 29.10 – CNY 31.00)",
                                             ""]})
    spend, cost, low, high = typed_columns(df, t)
    assert spend.values == [1234.0, -756.0, None]
    assert spend.num_format == '"CNY "#,##0' and spend.unit == "CNY"
    assert cost.values == [3.12, 30.05, None] and low.values == [2.9, 29.1, None] and high.values == [3.4, 31.0, None]
    assert cost.num_format == low.num_format == '"CNY "0.00'
    # three capitals that are no currency stay text
    assert typed_columns(pd.DataFrame({"x": ["ABC 12"]}), t)[0].values == ["ABC 12"]


# ------------------------------------------------------------------ lists written by the engine
RISKY = ["=1+1", "+86 138", "-2+3", "@SUM(A1)", "\t=1", "\r=1", "  =cmd", "＝1+1", "＋1", "－1", "＠a", EVIL]
PLAIN = ["hello", "小红书", "", " ", "a=b", "1-2", "email a@b.cn", "'quoted", "\n=1", "a\t=b"]


def test_the_engine_neutralises_text_as_neutralize_does(con):
    t = con.create_table("texts", pd.DataFrame({"v": [*RISKY, *PLAIN, None]}), overwrite=True)
    got = t.select("v", safe=neutralized(t.v)).to_pandas()
    assert got["safe"].tolist()[:-1] == [neutralize(v) for v in got["v"].tolist()[:-1]]
    assert got["safe"].tolist()[: len(RISKY)] == ["'" + v for v in RISKY]
    assert got["safe"].iloc[-1] is None


def crm_like() -> pd.DataFrame:
    """Every kind of cell a CRM list holds: text (hostile, quoted, Chinese), counts, scores with gaps, money, times."""
    return pd.DataFrame({
        "user_id": ["u1", EVIL, 'say "hi", then\nleave', "  +86 138", "小红书用户", "-5"],
        "is_customer": [True, False, True, True, False, True],
        "first_ts": pd.to_datetime(["2026-01-01 10:00:00", "2026-02-03 04:05:06", "2026-03-01 00:00:00",
                                    "2026-03-01 23:59:59", "2025-12-31 12:00:00", "2026-01-01 00:00:01"]),
        "events": [3, 1, 200, 7, 1, 2],
        "revenue": [799.38, 0.0, 1510.5, 4086.01, -3.5, 123456.789],
        "last_purchase_ts": pd.to_datetime(["2026-01-02 11:00:00", None, "2026-03-01 08:00:00",
                                            "2026-03-01 22:00:00", None, "2026-01-01 00:00:01"]),
        "r_score": pd.array([5, None, 1, 4, None, 3], dtype="Int64"),
        "segment": ["important_value", None, "general_winback", "=x", None, "important_value"],
    })


def test_an_engine_written_csv_equals_the_one_write_csv_writes_from_pandas(tmp_path, con):
    df = crm_like()
    table = con.create_table("crm_like", df, overwrite=True)
    engine = write_table_csv(table.order_by("events"), tmp_path / "engine.csv").read_bytes()
    pandas = write_csv(df.sort_values("events", ignore_index=True), tmp_path / "pandas.csv").read_bytes()
    assert engine == pandas
    assert engine.startswith(b"\xef\xbb\xbfuser_id,is_customer,")
    with open(tmp_path / "engine.csv", encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert [r[0] for r in rows[1:]] == ["'" + EVIL, "小红书用户", "'-5", "u1", "'  +86 138", 'say "hi", then\nleave']
    assert [r[6] for r in rows[1:]] == ["", "", "3", "5", "4", "1"]  # integers as integers, gaps empty
    assert sorted(os.listdir(tmp_path)) == ["engine.csv", "pandas.csv"]  # nothing left beside the file


def test_csv_text_formats_every_type_the_same_way_and_neutralises_headers(con):
    df = pd.DataFrame({"=total": [1.1234567, 2.0, 1e20, None], "day": pd.to_datetime(["2026-01-02"] * 4).date,
                       "flag": [True, False, None, True], "n": [1, 2, 3, 4]})
    table = con.create_table("kinds", df, overwrite=True).mutate(
        exact=ibis.literal("12.500000").cast("decimal(18, 6)"), whole=ibis.literal(7).cast("decimal(18, 0)"))
    got = csv_text(table).to_pandas()
    assert list(got.columns) == ["\ufeff'=total", "day", "flag", "n", "exact", "whole"]
    # rounded to six decimals, trailing zeros dropped but one, never in scientific notation
    assert got.iloc[:, 0].tolist() == ["1.123457", "2.0", "100000000000000000000.0", None]
    assert got["day"].tolist() == ["2026-01-02"] * 4
    assert got["flag"].tolist() == ["True", "False", None, "True"]
    assert got["n"].tolist() == ["1", "2", "3", "4"]
    assert got["exact"].iloc[0] == "12.5" and got["whole"].iloc[0] == "7"


def test_the_engine_writes_the_rows_in_the_table_s_order(tmp_path, con):
    df = pd.DataFrame({"user_id": [f"u{i:05d}" for i in range(20_000)],
                       "revenue": [float(i % 997) for i in range(20_000)]})
    table = con.create_table("many", df, overwrite=True)
    path = write_table_csv(table.order_by(ibis.desc("revenue"), "user_id"), tmp_path / "many.csv")
    back = pd.read_csv(path, encoding="utf-8-sig")
    expected = df.sort_values(["revenue", "user_id"], ascending=[False, True], ignore_index=True)
    pd.testing.assert_frame_equal(back, expected)
