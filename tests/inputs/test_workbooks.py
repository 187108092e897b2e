"""Workbooks: the sheet and header row set, or the layout that would be misread refused saying which it is."""

import re
import zipfile

import openpyxl
import pytest

from socialops.inputs import workbooks
from socialops.inputs.layout import ReadError
from socialops.inputs.workbooks import read_sheet, sheet_cells, sheet_layout

HEADER = ["post_id", "platform", "published_at", "impressions"]
ROWS = [["p1", "douyin", "2026-01-01 10:00", 100], ["p2", "wechat", "2026-01-02 11:00", 200]]


def known(header: str) -> bool:
    return header.strip().lower() in HEADER


def _book(tmp_path, sheets: dict[str, list[list]], merges: dict[str, list[str]] | None = None, name="posts.xlsx"):
    """A workbook with one sheet per entry (the first replaces openpyxl's default sheet)."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
        for ref in (merges or {}).get(title, []):
            sheet.merge_cells(ref)
    path = tmp_path / name
    book.save(path)
    return path


def _read(path, sheet=None, header_row=None):
    return read_sheet(path, "posts", sheet, header_row, known)


def test_a_plain_sheet_is_read_with_spreadsheet_row_numbers(tmp_path):
    header, columns, numbers = _read(_book(tmp_path, {"Sheet1": [HEADER, *ROWS]}))
    assert header == HEADER
    assert columns[0] == ["p1", "p2"] and columns[3] == ["100", "200"]
    assert numbers == [2, 3]


def test_a_title_row_is_refused_then_read_with_header_row(tmp_path):
    path = _book(tmp_path, {"Report": [["Douyin posts, January"], HEADER, *ROWS]}, {"Report": ["A1:D1"]})
    with pytest.raises(ReadError) as info:
        _read(path)
    assert info.value.file.endswith("posts.xlsx")
    assert info.value.message == ("sheet 'Report': a title row above the header (row 1 holds only 'Douyin posts, "
                                  "January'; the column names are on row 2): set read: {posts: {header_row: 2}} "
                                  "in aliases.yaml")
    header, columns, numbers = _read(path, header_row=2)  # the merged title above the header is no matter
    assert header == HEADER and columns[0] == ["p1", "p2"] and numbers == [3, 4]


def test_data_on_another_sheet_is_refused_then_read_with_sheet(tmp_path):
    path = _book(tmp_path, {"Cover": [], "Posts": [HEADER, *ROWS]})
    with pytest.raises(ReadError, match=r"data on sheet 'Posts' \(the first sheet, 'Cover', is empty\): "
                                        r"set read: \{posts: \{sheet: Posts\}\} in aliases.yaml"):
        _read(path)
    assert _read(path, sheet="Posts")[0] == HEADER
    assert _read(path, sheet="posts")[0] == HEADER  # names match without regard to case
    assert _read(path, sheet="2")[0] == HEADER  # or by position


def test_a_first_sheet_of_notes_is_no_header(tmp_path):
    path = _book(tmp_path, {"Notes": [["Exported by the platform"], ["Contact: someone"]], "数据 2": [HEADER, *ROWS]})
    with pytest.raises(ReadError, match=r"data on sheet '数据 2' \(the first sheet, 'Notes', has no posts header\): "
                                        r'set read: \{posts: \{sheet: "数据 2"\}\}'):
        _read(path)


def test_a_sheet_that_does_not_exist_is_refused_listing_the_sheets(tmp_path):
    path = _book(tmp_path, {"A": [HEADER], "B": [HEADER]})
    with pytest.raises(ReadError, match=r"no sheet 'Data' \(the sheets are 'A', 'B'\): set read: \{posts: "
                                        r"\{sheet: A\}\} in aliases.yaml or to another of them"):
        _read(path, sheet="Data")


def test_merged_header_cells_are_refused(tmp_path):
    rows = [["post_id", "platform", "Reach", None], ["", "", "impressions", "reach"], *ROWS]
    path = _book(tmp_path, {"Sheet1": rows}, {"Sheet1": ["C1:D1", "A1:A2"]})
    with pytest.raises(ReadError, match=r"merged cells in the header row 1 \(C1:D1, A1:A2\): unmerge them so that "
                                        r"every column has its own name in one row"):
        _read(path)
    with pytest.raises(ReadError, match=r"merged cells in the header row 2 \(A1:A2\)"):
        _read(path, header_row=2)


def test_merged_cells_in_the_data_are_refused(tmp_path):
    path = _book(tmp_path, {"Sheet1": [HEADER, *ROWS, ["p3", None, "2026-01-03", 5]]}, {"Sheet1": ["B2:B4"]})
    with pytest.raises(ReadError, match=r"merged cells in the data \(B2:B4\): only the first cell of a merge holds"):
        _read(path)


def _with_saved_values(path, values: dict[str, str]):
    """The workbook as Excel would save it: each formula cell's calculated value stored after the formula."""
    with zipfile.ZipFile(path) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    xml = parts["xl/worksheets/sheet1.xml"].decode()
    for ref, value in values.items():
        start = xml.index(f'<c r="{ref}"')
        end = xml.index("</c>", start)
        xml = xml[:start] + re.sub(r"<v\s*/>|<v></v>", f"<v>{value}</v>", xml[start:end]) + xml[end:]
    parts["xl/worksheets/sheet1.xml"] = xml.encode()
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return path


def test_formulas_without_saved_values_are_refused_and_saved_ones_read(tmp_path):
    rows = [HEADER, *[[f"p{i}", "douyin", "2026-01-01", f"=10*{i}"] for i in range(1, 8)]]
    path = _book(tmp_path, {"Sheet1": rows})
    with pytest.raises(ReadError, match=r"formulas without saved values \(cells D2, D3, D4, D5, D6 and 2 more\): "
                                        r".*open and save it in Excel, or export CSV"):
        _read(path)
    _with_saved_values(path, {f"D{i}": str(10 * (i - 1)) for i in range(2, 9)})
    assert _read(path)[1][3] == ["10", "20", "30", "40", "50", "60", "70"]


def test_a_formula_whose_saved_value_is_empty_text_is_read(tmp_path):
    path = _book(tmp_path, {"Sheet1": [HEADER, ["p1", "douyin", "2026-01-01", '=""'], ["p2", "x", "y", 1]]})
    with zipfile.ZipFile(path) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    # openpyxl writes the empty value as <v /> or <v></v>, depending on its XML writer
    parts["xl/worksheets/sheet1.xml"] = re.sub(rb'<c r="D2"><f>""</f>(<v\s*/>|<v></v>)', b'<c r="D2" t="str"><f>""</f><v></v>',
                                               parts["xl/worksheets/sheet1.xml"])
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    assert _read(path)[1][3] == [None, "1"]


def test_the_sheet_is_scanned_in_pieces_cut_after_whole_rows(tmp_path, monkeypatch):
    rows = [HEADER, *[[f"p{i}", "douyin", "2026-01-01", i] for i in range(200)], ["p", "x", "y", "=1+1"]]
    path = _book(tmp_path, {"Sheet1": rows}, {"Sheet1": ["B3:B4"]})
    monkeypatch.setattr(workbooks, "_CHUNK", 64)  # many cuts, one inside every few rows
    book = openpyxl.load_workbook(path, read_only=True)
    try:
        merges, uncached = sheet_layout(path, book.worksheets[0], 1)
    finally:
        book.close()
    assert uncached == ["D202"]
    assert merges == [("B3:B4", 3, 4)]


def test_sheet_cells_number_rows_from_the_header_row():
    header, columns, numbers = sheet_cells(iter([("a", "b", None), (1.0, None), (None, None), ("x", True)]), first=4)
    assert header == ["a", "b"]
    assert columns == [["1", "x"], [None, "true"]]
    assert numbers == [5, 7]


@pytest.mark.parametrize(("content", "says"), [(b"", "empty"), (b"a,b\n", "renamed"),
                                               (bytes.fromhex("d0cf11e0a1b11ae1") + bytes(100), "password")])
def test_files_that_are_no_workbook_are_refused(tmp_path, content, says):
    path = tmp_path / "posts.xlsx"
    path.write_bytes(content)
    with pytest.raises(ReadError, match=says):
        _read(path)
