"""Title rows above the header and footer rows under the data (issue 10, item 4), in every input path."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from openpyxl import Workbook
from xlwings_stubs import call_like_excel, com_values, real_xlwings_decorators, windows_value_engine

from xlseg.cli import main
from xlseg.demo import make_users
from xlseg.engine.breakdowns import breakdown
from xlseg.errors import XlsegError
from xlseg.io.load import load_table

COLUMNS = ["geography", "plan", "sessions", "revenue"]


@pytest.fixture(scope="module")
def users() -> pd.DataFrame:
    return make_users(250, seed=3)[COLUMNS]


def report_rows(users: pd.DataFrame, blank_after_title: bool = True) -> list[list[object]]:
    """The sheet as people receive it: a title, a blank row, the header, the data, a Total row with the
    column sums, a blank row and a source line."""
    rows: list[list[object]] = [["Active users, Q3 2024", None, None, None]]
    if blank_after_title:
        rows.append([None] * 4)
    rows.append(COLUMNS)
    rows += [list(r) for r in users.itertuples(index=False, name=None)]
    rows.append(["Total", None, int(users["sessions"].sum()), float(users["revenue"].sum())])
    rows.append([None] * 4)
    rows.append(["Source: product analytics export, 2024-10-01", None, None, None])
    return rows


def check(table, users: pd.DataFrame) -> None:
    assert list(table.frame.columns) == COLUMNS
    assert len(table.frame) == len(users)  # no title, Total or Source row became a user
    assert table.frame["sessions"].sum() == users["sessions"].sum()
    notes = " | ".join(table.notes)
    assert "skipped the title row 'Active users, Q3 2024' above the header" in notes
    assert "dropped 2 footer rows under the data ('Total'; 'Source: product analytics export, 2024-10-01')" in notes


@pytest.mark.parametrize("shape", ["rows", "xlsx", "csv"])
def test_title_and_footer_in_every_file_shape(users, tmp_path, shape):
    rows = report_rows(users)
    if shape == "rows":
        data: object = rows
    elif shape == "xlsx":
        book = Workbook()
        for r in rows:
            book.active.append(r)
        data = tmp_path / "users.xlsx"
        book.save(data)
    else:
        data = tmp_path / "users.csv"
        text = pd.DataFrame(rows).to_csv(index=False, header=False)
        data.write_text(text.replace("Active users, Q3 2024,,,", '"Active users, Q3 2024"', 1), encoding="utf-8")
    table = load_table(data)
    check(table, users)
    out = breakdown(data, "plan", "revenue:sum").set_index("plan")
    want = users.groupby("plan")["revenue"].sum()
    np.testing.assert_allclose(out.loc[want.index, "revenue sum"], want, rtol=1e-12)
    assert out.loc["Total", "users"] == len(users)


def test_a_dataframe_read_without_thought(users, tmp_path):
    """pd.read_excel of such a sheet: the title is the header ("Unnamed: 1"…), the header a data row."""
    book = Workbook()
    for r in report_rows(users, blank_after_title=False):
        book.active.append(r)
    book.save(tmp_path / "u.xlsx")
    frame = pd.read_excel(tmp_path / "u.xlsx", engine="openpyxl")
    assert frame.columns[1] == "Unnamed: 1"
    check(load_table(frame), users)


def test_header_row_chooses_explicitly(users, tmp_path, capsys):
    rows = [["Export"], ["generated 2024-10-01 by analytics"], [], COLUMNS,
            *[list(r) for r in users.itertuples(index=False, name=None)]]
    table = load_table(rows, header_row=4)
    assert list(table.frame.columns) == COLUMNS and len(table.frame) == len(users)
    assert "read the header from row 4; skipped 3 rows above it" in table.notes
    with pytest.raises(XlsegError, match="header_row 999 is past the table's last row"):
        load_table(rows, header_row=999)
    path = tmp_path / "users.csv"
    pd.DataFrame([r + [None] * (4 - len(r)) for r in rows]).to_csv(path, index=False, header=False)
    out = tmp_path / "r.xlsx"
    assert main(["report", str(path), "-o", str(out), "--by", "plan", "--header-row", "4", "--quiet"]) == 0
    with real_xlwings_decorators("xlseg.excel.udfs") as modules, windows_value_engine():
        udfs = modules["xlseg.excel.udfs"]
        padded = [r + [None] * (4 - len(r)) for r in rows]
        spilled = call_like_excel(udfs.SEG_BREAKDOWN, com_values(padded), "plan", "revenue:sum", "header_row=4")
    got = {r[0]: r[1] for r in spilled[1:]}
    assert got["Total"] == len(users)
    assert {k: v for k, v in got.items() if k != "Total"} == users["plan"].value_counts().to_dict()


def test_reading_options_on_a_loaded_table_are_an_error(users):
    """A Table is read already: na_values/header_row given with it would be ignored, so they are refused."""
    table = load_table(users)
    with pytest.raises(XlsegError, match="na_values and header_row say how to read a table; this one is read"):
        breakdown(table, "plan", na_values=["unknown"])
    with pytest.raises(XlsegError, match="this one is read already"):
        load_table(table, header_row=2)


def test_data_rows_that_look_a_little_like_footers_stay(users):
    """A segment really called "Total" whose numbers are not the column sums, and a last user with only a
    name, are data."""
    rows = [COLUMNS, *[list(r) for r in users.itertuples(index=False, name=None)],
            ["Total", "Pro", 3, 10.0], ["Chile", None, None, None]]
    table = load_table(rows)
    assert len(table.frame) == len(users) + 2
    assert not any("footer" in n for n in table.notes)


def test_excel_and_macro_options_read_na_and_header_row():
    from xlseg.excel.args import parse_options
    from xlseg.excel.macros import MACRO_SETTINGS

    options = parse_options([["na", "-999"], ["na", "unknown"], ["header_row", 3.0]])
    assert options.engine_kwargs(MACRO_SETTINGS, "the xlseg sheet") == {"na_values": ["-999", "unknown"],
                                                                        "header_row": 3}
    assert parse_options("na=NULL; header row=2").values == {"na_values": ["NULL"], "header_row": 2}
    with pytest.raises(XlsegError, match="header_row must be a whole number"):
        parse_options("header_row=two")


def test_cli_on_a_titled_workbook_checks_names_after_the_read(users, tmp_path, capsys):
    book = Workbook()
    for r in report_rows(users):
        book.active.append(r)
    path, out = tmp_path / "users.xlsx", tmp_path / "r.xlsx"
    book.save(path)
    assert main(["report", str(path), "-o", str(out), "--by", "plan", "--quiet"]) == 0
    assert main(["report", str(path), "-o", str(out), "--by", "plna", "--quiet"]) == 2
    assert "column 'plna' not found; did you mean 'plan'?" in capsys.readouterr().err
