"""Files and range shapes: CSV, XLSX (calamine), Parquet give the same Table as the equivalent range."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from xlseg.errors import XlsegError
from xlseg.io.load import load_table
from xlseg.io.readers import from_rows, read_file
from xlseg.schema import Role

NBSP = "\xa0"

# The range as Excel hands it over (no error values: the row reader gets them from calamine as blanks;
# see test_xlsx_header.py for error cells on the fast path).
ROWS = [
    ["user_id", f"country{NBSP}", "device", "revenue", "converted", "signup", "account", None],
    [1.0, "UK ", "Mobile", 10.5, True, dt.datetime(2024, 3, 1), "1234567890123456", None],
    [2.0, "UK", "Desktop", None, False, dt.datetime(2024, 3, 2), "1234567890123457", None],
    [None, None, None, None, None, None, None, None],
    [3.0, None, "Mobile", 1200.0, None, dt.datetime(2024, 3, 3, 10, 30), "0000000000000042", None],
    [4.0, "India", "Mobile", 7.0, True, dt.datetime(2024, 3, 4), "9999999999999999", None],
]


def write_xlsx(path: Path, rows: list[list[object]], *, title: str = "Data", text_columns: str = "G") -> Path:
    """Write rows with openpyxl, the way a user's workbook stores them (long ids as text cells)."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    for column in text_columns:
        for cell in sheet[column]:
            if cell.value is not None:
                cell.data_type = "s"
    workbook.create_sheet("Notes").append(["nothing here"])
    workbook.save(path)
    return path


def csv_cell(value: object) -> str:
    """A cell as Excel's "Save as CSV" writes it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    return str(value)


def write_csv(path: Path, rows: list[list[object]], *, delimiter: str = ",", encoding: str = "utf-8") -> Path:
    """Write rows as an Excel-style CSV."""
    with path.open("w", newline="", encoding=encoding) as handle:
        csv.writer(handle, delimiter=delimiter).writerows([[csv_cell(v) for v in row] for row in rows])
    return path


def assert_same_table(left, right):
    """Frames, roles, notes and row counts agree."""
    pd.testing.assert_frame_equal(left.frame, right.frame)
    assert left.roles == right.roles
    assert left.notes == right.notes
    assert left.source_rows == right.source_rows


def test_range_result():
    table = load_table(ROWS)
    assert table.roles == {
        "user_id": Role.ID, "country": Role.DIMENSION, "device": Role.DIMENSION, "revenue": Role.METRIC,
        "converted": Role.FLAG, "signup": Role.DATE, "account": Role.ID,
    }
    assert table.frame["account"].tolist() == [
        "1234567890123456", "1234567890123457", "0000000000000042", "9999999999999999",
    ]
    assert table.notes == [
        "trimmed spaces in headers 'country'",
        "dropped 1 empty column: H",
        "dropped 1 empty row",
        "trimmed stray spaces in 1 cell of 'country'",
        "'account' holds numbers longer than 15 digits; kept as text",
    ]


def test_xlsx_gives_the_same_table_as_the_range(tmp_path):
    path = write_xlsx(tmp_path / "users.xlsx", ROWS)
    expected = load_table(ROWS)
    # A workbook stores no cells for the blank column H, so there is no empty column to drop.
    expected.notes.remove("dropped 1 empty column: H")
    assert_same_table(load_table(path), expected)
    assert_same_table(load_table(str(path), sheet="Data"), expected)
    assert_same_table(load_table(path, sheet=0), expected)


def test_csv_gives_the_same_table_as_the_range(tmp_path):
    path = write_csv(tmp_path / "users.csv", ROWS)
    assert_same_table(load_table(path), load_table(ROWS))


def test_semicolon_csv_with_bom(tmp_path):
    path = write_csv(tmp_path / "users.csv", ROWS, delimiter=";", encoding="utf-8-sig")
    assert_same_table(load_table(path), load_table(ROWS))


EUROPEAN_CSV = """kunde;land;umsatz;anteil;menge;gekauft;version
1;DE;1.234,50;0,25;1.500;Ja;1,5
2;FR;-2,75;0,5;2.000;Nein;A
3;DE;;1;3;ja;2,0
4;IT;10;0,125;12.000;nein;B
"""


def test_semicolon_csv_reads_decimal_commas_as_excel_writes_them(tmp_path):
    """A ';' CSV as German/French Excel saves it; pandas with decimal=',' thousands='.' is the reference."""
    path = tmp_path / "kunden.csv"
    path.write_text(EUROPEAN_CSV, encoding="utf-8")
    expected = pd.read_csv(path, sep=";", decimal=",", thousands=".")
    table = load_table(path)
    for column in ("umsatz", "anteil", "menge"):
        assert table.roles[column] == Role.METRIC
        pd.testing.assert_series_equal(table.frame[column], expected[column].astype(float), check_names=False)
    assert table.frame["version"].tolist() == ["1,5", "A", "2,0", "B"]  # a label column is left as written
    assert table.roles["gekauft"] == Role.FLAG
    assert table.frame["gekauft"].tolist() == [True, False, True, False]
    assert table.notes == ["read 'umsatz', 'anteil', 'menge' with decimal commas (1.234,5 = 1234.5), "
                           "as in a ';'-separated Excel file"]


def test_semicolon_csv_with_decimal_points_keeps_them(tmp_path):
    path = tmp_path / "points.csv"
    path.write_text("id;share;n\nA;0.25;1,5\nB;1.5;2,5\n", encoding="utf-8")
    table = load_table(path)
    assert table.frame["share"].tolist() == [0.25, 1.5]  # "1.5" is only a point decimal: no comma reading
    assert table.frame["n"].tolist() == ["1,5", "2,5"]
    assert table.notes == []


def test_comma_csv_never_reads_decimal_commas(tmp_path):
    path = write_csv(tmp_path / "c.csv", [["id", "x"], ["A", "1,5"], ["B", "2,5"]])
    assert load_table(path).frame["x"].tolist() == ["1,5", "2,5"]


def test_windows_1252_csv_is_read_with_a_note(tmp_path):
    path = write_csv(tmp_path / "cities.csv", [["city", "n"], ["Zürich", 1.0], ["Orléans", 2.0]], encoding="cp1252")
    table = load_table(path)
    assert table.frame["city"].tolist() == ["Zürich", "Orléans"]
    assert table.notes[0] == "read 'cities.csv' as Windows-1252 text (it is not UTF-8)"


def test_csv_text_keeps_codes_and_na_words(tmp_path):
    rows = [["zip", "country", "sessions"], ["00501", "NA", "1,200"], ["10115", "N/A", "3"], ["75001", "FR", "#N/A"]]
    table = load_table(write_csv(tmp_path / "t.csv", rows))
    assert table.frame["zip"].tolist() == ["00501", "10115", "75001"]
    assert table.frame["country"].isna().tolist() == [True, True, False]  # R's and Excel's "no value" words
    assert table.frame["sessions"].tolist()[:2] == [1200.0, 3.0]
    assert table.notes == ["2 cells in 'country' held missing-value words (NA 1, N/A 1); read as missing",
                           "1 error cell (#N/A) in 'sessions' read as missing"]  # CSV numbers are text: no note


def test_csv_duplicate_headers_are_not_renamed_by_pandas(tmp_path):
    path = write_csv(tmp_path / "t.csv", [["plan", "plan"], ["a", "b"]])
    with pytest.raises(XlsegError, match="header 'plan' appears twice"):
        load_table(path)


def test_xlsx_error_cells_read_as_missing(tmp_path):
    rows = [["revenue", "segment"], [1.5, "a"], ["#N/A", "b"], ["#DIV/0!", "c"]]
    path = tmp_path / "errors.xlsx"
    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)  # openpyxl stores "#N/A" as an error cell
    workbook.save(path)
    table = load_table(path)
    assert table.frame["revenue"].isna().tolist() == [False, True, True]
    assert table.roles["revenue"] == Role.METRIC
    assert table.notes == load_table(rows).notes == ["2 error cells (#N/A, #DIV/0!) in 'revenue' read as missing"]


def test_xlsm_and_sheet_by_name(tmp_path):
    path = write_xlsx(tmp_path / "book.xlsm", [["a", "b"], [1.0, "x"], [2.0, "y"]], title="Users", text_columns="")
    table = load_table(path, sheet="Users")
    assert table.frame["a"].tolist() == [1.0, 2.0]
    with pytest.raises(XlsegError, match="no data under its header row"):
        load_table(path, sheet=1)  # the "Notes" sheet holds a header only


def test_unknown_sheet_suggests_names(tmp_path):
    path = write_xlsx(tmp_path / "book.xlsx", [["a"], [1.0]], title="Users", text_columns="")
    with pytest.raises(XlsegError, match=r"^sheet 'users' not found in 'book.xlsx'; did you mean 'Users'\?$"):
        load_table(path, sheet="users")
    with pytest.raises(XlsegError, match=r"sheets are 'Users', 'Notes'$"):
        load_table(path, sheet="Summary")
    with pytest.raises(XlsegError, match="has 2 sheet"):
        load_table(path, sheet=5)


def test_empty_sheet(tmp_path):
    path = write_xlsx(tmp_path / "book.xlsx", [["a"], [1.0]], text_columns="")
    workbook = openpyxl.load_workbook(path)
    workbook.create_sheet("Empty")
    workbook.save(path)
    with pytest.raises(XlsegError, match="is empty"):
        load_table(path, sheet="Empty")


def test_parquet_is_read_like_a_dataframe(tmp_path):
    df = pd.DataFrame({"device": ["Mobile ", "Desktop"], "revenue": [1.5, 2.0], "converted": [True, False]})
    df.to_parquet(tmp_path / "t.parquet")
    table = load_table(tmp_path / "t.parquet")
    assert_same_table(table, load_table(df))
    assert table.frame["device"].tolist() == ["Mobile", "Desktop"]


def test_unknown_extension_names_the_supported_ones(tmp_path):
    (tmp_path / "t.txt").write_text("a\n1\n")
    with pytest.raises(XlsegError, match=r"^can't read 't.txt': use a .csv, .xlsx, .xlsm, .parquet file$"):
        load_table(tmp_path / "t.txt")


def test_missing_file(tmp_path):
    with pytest.raises(XlsegError, match="^file not found: .*missing.xlsx'$"):
        load_table(tmp_path / "missing.xlsx")


def test_sheet_for_a_csv_is_an_error(tmp_path):
    path = write_csv(tmp_path / "t.csv", [["a"], ["1"]])
    with pytest.raises(XlsegError, match="has no sheets"):
        read_file(path, sheet="Data")


def test_corrupt_workbook(tmp_path):
    (tmp_path / "bad.xlsx").write_bytes(b"not a zip file")
    with pytest.raises(XlsegError, match="can't read 'bad.xlsx' as an Excel workbook"):
        load_table(tmp_path / "bad.xlsx")


def test_flat_list_is_one_column_and_ragged_rows_are_padded():
    single = from_rows(["score", 1.0, 2.0])
    assert single.headers == ["score"]
    assert single.frame[0].tolist() == [1.0, 2.0]
    ragged = from_rows([["a", "b"], [1.0], [2.0, "x", 3.0]])
    assert ragged.headers == ["a", "b", None]
    assert ragged.frame.shape == (2, 3)
    assert load_table(["score", 1.0, None, 2.0]).frame["score"].tolist() == [1.0, 2.0]
