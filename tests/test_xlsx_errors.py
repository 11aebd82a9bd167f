"""Error cells (#N/A, #DIV/0!…) in .xlsx input: missing values, counted in the notes exactly like a range's."""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from collections import Counter
from pathlib import Path

import openpyxl
import pandas as pd
from workbook_helpers import table_frame

from xlseg.io import xlsx_fast
from xlseg.io.load import load_table


def write(path: Path, rows: list[list[object]], *, at: str = "A1") -> Path:
    """Write ``rows`` with openpyxl (error codes become error cells), the top-left cell at ``at``."""
    book = openpyxl.Workbook()
    column, row = openpyxl.utils.cell.coordinate_to_tuple(at)[::-1]
    for i, values in enumerate(rows):
        for j, value in enumerate(values):
            if value is not None:
                book.active.cell(row + i, column + j, value)
    book.save(path)
    return path


ERROR_ROWS = [
    ["user_id", "device", "signup", "converted", "revenue", "broken"],
    [1.0, "Mobile", dt.datetime(2024, 1, 1), True, 1.5, "#N/A"],
    [2.0, "#N/A", "#NUM!", "#NULL!", "#DIV/0!", None],
    [None, None, None, None, None, None],
    [4.0, "Desktop", dt.datetime(2024, 1, 3), False, 2.0, "#REF!"],
    [5.0, "Mobile", dt.datetime(2024, 1, 4), True, "#VALUE!", "#DIV/0!"],
    [6.0, "Desktop", dt.datetime(2024, 1, 5), False, "#N/A", None],
]


def error_cells_in_xml(path: Path) -> Counter[tuple[str, str]]:
    """Independent count: (column letter, code) of every ``t="e"`` cell in the sheet XML."""
    with zipfile.ZipFile(path) as book:
        xml = book.read("xl/worksheets/sheet1.xml").decode()
    cells = re.findall(r'<c r="([A-Z]+)\d+"[^>]*t="e"[^>]*>(?:<f>[^<]*</f>)?<v>([^<]*)</v>', xml)
    return Counter(cells)


def test_openpyxl_writes_real_error_cells(tmp_path):
    path = write(tmp_path / "e.xlsx", ERROR_ROWS)
    book = openpyxl.load_workbook(path)
    assert sum(cell.data_type == "e" for row in book.active.iter_rows() for cell in row) == 9
    assert sum(error_cells_in_xml(path).values()) == 9


def test_xlsx_error_cells_are_counted_like_a_range(tmp_path):
    path = write(tmp_path / "e.xlsx", ERROR_ROWS)
    typed = xlsx_fast.read_typed(path)
    assert typed is not None  # the fast path lists the errors
    table, as_range = load_table(path), load_table(ERROR_ROWS)
    pd.testing.assert_frame_equal(table.frame, as_range.frame)
    assert table.roles == as_range.roles and table.notes == as_range.notes
    counted = Counter()
    for note in table.notes:
        match = re.match(r"(\d+) error cells? \((.*)\) in '(\w+)' read as missing$", note)
        if match:
            counted[match.group(3)] = int(match.group(1))
    headers = dict(zip("ABCDEF", ERROR_ROWS[0], strict=True))
    expected = Counter()
    for (letter, _code), n in error_cells_in_xml(path).items():
        expected[headers[letter]] += n
    assert counted == expected == {"device": 1, "signup": 1, "converted": 1, "revenue": 3, "broken": 3}


def test_error_cells_stay_missing_and_other_values_are_untouched(tmp_path):
    path = write(tmp_path / "e.xlsx", ERROR_ROWS)
    frame = load_table(path).frame
    assert frame["revenue"].dropna().tolist() == [1.5, 2.0]
    assert frame["revenue"].isna().tolist() == [False, True, False, True, True]
    assert frame["signup"].dropna().tolist() == [pd.Timestamp(f"2024-01-0{d}") for d in (1, 3, 4, 5)]
    assert frame["device"].isna().tolist() == [False, True, False, False, False]
    assert frame["converted"].isna().tolist() == [False, True, False, False, False]
    assert len(frame) == 5  # the blank row is dropped; the row of errors is kept, as for a range


def test_error_cells_in_a_table_away_from_a1(tmp_path):
    path = write(tmp_path / "e.xlsx", ERROR_ROWS, at="C3")
    table, as_range = load_table(path), load_table(ERROR_ROWS)
    pd.testing.assert_frame_equal(table.frame, as_range.frame)
    assert table.notes == as_range.notes


def test_name_errors_make_fastexcel_step_aside(tmp_path):
    """fastexcel fails on #NAME? cells; the row reader (calamine gives blanks, python-calamine #105) gets the
    codes back from the sheet XML, so they are counted like a range's."""
    rows = [["device", "revenue"], ["Mobile", 1.0], ["Desktop", "#NAME?"], ["Mobile", 2.0]]
    path = write(tmp_path / "e.xlsx", rows)
    assert xlsx_fast.read_typed(path) is None
    table = load_table(path)
    assert table.frame["revenue"].isna().tolist() == [False, True, False]
    assert table.notes == load_table(rows).notes == ["1 error cell (#NAME?) in 'revenue' read as missing"]


def test_row_reader_counts_error_cells_like_a_range(tmp_path):
    """A mixed-type column sends the sheet to the row reader; its error cells are still counted."""
    rows = [row + [value] for row, value in zip(ERROR_ROWS, ["mixed", 1.0, "text", None, 2.0, "x", 3.0],
                                                   strict=True)]
    path = write(tmp_path / "e.xlsx", rows, at="B2")
    assert xlsx_fast.read_typed(path) is None  # the mixed column: fastexcel steps aside
    table, as_range = load_table(path), load_table(rows)
    pd.testing.assert_frame_equal(table.frame, as_range.frame)
    assert table.notes == as_range.notes
    counted = sum(int(note.split()[0]) for note in table.notes if "error cell" in note)
    assert counted == sum(error_cells_in_xml(path).values()) == 9


def test_error_cells_with_the_prefetch_thread(tmp_path):
    path = write(tmp_path / "e.xlsx", ERROR_ROWS)
    xlsx_fast.prefetch(path)
    assert load_table(path).notes == load_table(ERROR_ROWS).notes


NEWER_ERROR_ROWS = [
    ["device", "revenue", "note"],
    ["Mobile", 1.5, "ok"],
    ["Desktop", "#SPILL!", "ok"],
    ["Mobile", 2.0, "#CALC!"],
    ["Desktop", 4.0, "ok"],
    ["Mobile", "#N/A", "ok"],
]


def write_newer_errors(path: Path, at: str = "B2") -> Path:
    """openpyxl writes only the classic codes as errors; newer ones (#SPILL!, #CALC!) are set by hand."""
    write(path, NEWER_ERROR_ROWS, at=at)
    book = openpyxl.load_workbook(path)
    for row in book.active.iter_rows():
        for cell in row:
            if cell.value in ("#SPILL!", "#CALC!"):
                cell.data_type = "e"
    book.save(path)
    return path


def test_sheets_calamine_refuses_are_read_with_openpyxl(tmp_path):
    """python-calamine raises on #SPILL!/#CALC! cells: the sheet is still read, every error counted."""
    path = write_newer_errors(tmp_path / "spill.xlsx")
    errors = error_cells_in_xml(path)
    assert errors[("C", "#SPILL!")] == 1 and errors[("D", "#CALC!")] == 1  # real error cells in the file
    table, as_range = load_table(path), load_table(NEWER_ERROR_ROWS)
    pd.testing.assert_frame_equal(table.frame, as_range.frame)
    assert table.notes == as_range.notes
    assert any("#SPILL!" in note and "'revenue'" in note for note in table.notes)
    assert table.frame["revenue"].sum() == 1.5 + 2.0 + 4.0  # the numbers around the errors are untouched


def test_cli_reports_on_a_sheet_with_newer_error_codes(tmp_path, capsys):
    from xlseg.cli import main

    path = write_newer_errors(tmp_path / "spill.xlsx")
    out = tmp_path / "out.xlsx"
    assert main(["report", str(path), "-o", str(out), "--by", "device", "--metric", "revenue:sum", "--quiet"]) == 0
    book = openpyxl.load_workbook(out)
    frame = table_frame(book["device"], "device").set_index("device")
    revenue = pd.DataFrame(NEWER_ERROR_ROWS[1:], columns=NEWER_ERROR_ROWS[0])
    revenue["revenue"] = pd.to_numeric(revenue["revenue"], errors="coerce")  # error codes are missing values
    expected = revenue.groupby("device")["revenue"].agg(["size", "sum"])
    assert frame.loc[expected.index, "users"].tolist() == expected["size"].tolist()
    assert frame.loc[expected.index, "revenue sum"].tolist() == expected["sum"].tolist()


def test_error_scan_reads_any_attribute_order_formulas_and_chunk_edges(monkeypatch):
    """The XML as other writers lay it out: t before r, a formula before the value, a chunk cut mid-row."""
    import io

    from xlseg.io import xlsx_errors

    xml = (b'<sheetData><row r="1"><c r="A1" t="s"><v>0</v></c></row>'
           b'<row r="2"><c t="e" s="3" r="B2"><v>#N/A</v></c><c r="C2"><v>1</v></c></row>'
           b'<row r="3"><c r="AB3" t="e"><f>1/0</f><v>#DIV/0!</v></c><c r="D3" t="e"><f t="shared" si="0"/>'
           b"<v>#REF!</v></c></row></sheetData>")
    monkeypatch.setattr(xlsx_errors, "_CHUNK", 17)  # many small chunks, cut inside cells and rows
    found = xlsx_errors._scan(io.BytesIO(xml))
    assert sorted(found) == [(1, 1, "#N/A"), (2, 3, "#REF!"), (2, 27, "#DIV/0!")]
