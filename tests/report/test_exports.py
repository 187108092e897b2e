import csv
import datetime as dt

import numpy as np
import openpyxl
import pandas as pd
import pytest
import yaml

from socialops.report.exports import atomic_path, neutralize, write_csv, write_xlsx
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
