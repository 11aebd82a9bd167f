"""Dates in regional formats (31.12.2024, 31/12/2024, 12/31/2024), as Excel saves them in CSV files.

Every parsed column is compared with ``datetime.strptime`` applied to each cell, independently of xlseg.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook
from workbook_helpers import table_frame

from xlseg.demo import make_users
from xlseg.errors import XlsegError, speaking_as
from xlseg.excel.args import parse_options
from xlseg.io.load import load_table
from xlseg.reporting import report
from xlseg.schema import Role

RNG = np.random.default_rng(7)
STAMPS = [dt.datetime(2023, 1, 1) + dt.timedelta(minutes=int(m)) for m in RNG.integers(0, 700 * 24 * 60, 300)]


def write_csv(path: Path, header: list[str], rows: list[list[str]], sep: str = ",") -> Path:
    """A CSV file as Excel writes it (no quoting needed here), with blank cells as empty fields."""
    lines = [sep.join(header)] + [sep.join(row) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def strptime_all(cells: list[str], fmt: str) -> list[object]:
    """The reference: each non-blank cell through ``datetime.strptime``; blanks are None."""
    return [dt.datetime.strptime(c, fmt) if c else None for c in cells]


def got(series: pd.Series) -> list[object]:
    return [None if pd.isna(v) else v.to_pydatetime() for v in series]


def no_pad(stamp: dt.datetime, pattern: str) -> str:
    """``31.1.2024`` style (no leading zeros), as some regional settings write."""
    return pattern.format(d=stamp.day, m=stamp.month, y=stamp.year)


FORMATS = [  # (how the file writes each cell, the strptime format that reads it back, the note's label)
    (lambda s: s.strftime("%d.%m.%Y"), "%d.%m.%Y", "day.month.year"),
    (lambda s: s.strftime("%d.%m.%Y %H:%M"), "%d.%m.%Y %H:%M", "day.month.year"),
    (lambda s: s.strftime("%d.%m.%Y %H:%M:%S"), "%d.%m.%Y %H:%M:%S", "day.month.year"),
    (lambda s: no_pad(s, "{d}.{m}.{y}"), "%d.%m.%Y", "day.month.year"),
    (lambda s: s.strftime("%d/%m/%Y"), "%d/%m/%Y", "day/month/year"),
    (lambda s: s.strftime("%d/%m/%Y %H:%M"), "%d/%m/%Y %H:%M", "day/month/year"),
    (lambda s: s.strftime("%m/%d/%Y"), "%m/%d/%Y", "month/day/year"),
    (lambda s: no_pad(s, "{m}/{d}/{y}") + s.strftime(" %I:%M %p").replace(" 0", " "), "%m/%d/%Y %I:%M %p",
     "month/day/year"),
    (lambda s: s.strftime("%m/%d/%Y %I:%M:%S %p"), "%m/%d/%Y %I:%M:%S %p", "month/day/year"),
]


@pytest.mark.parametrize(("write", "fmt", "label"), FORMATS, ids=[f[1] for f in FORMATS])
def test_regional_csv_dates_match_strptime(tmp_path, write, fmt, label):
    cells = [write(s) for s in STAMPS]
    cells[5] = cells[40] = ""  # blanks stay missing
    path = write_csv(tmp_path / "users.csv", ["user", "signup"], [[f"u{i}", c] for i, c in enumerate(cells)],
                     sep=";" if "." in fmt else ",")
    table = load_table(path)
    assert table.roles["signup"] == Role.DATE
    assert table.frame["signup"].dtype == "datetime64[us]"
    assert got(table.frame["signup"]) == strptime_all(cells, fmt)
    assert f"read 'signup' as dates ({label})" in table.notes


def test_dates_with_and_without_times_in_one_column(tmp_path):
    cells = ["31.12.2024", "01.01.2025 14:05", "2.1.2025 9:05:30", ""]
    table = load_table(write_csv(tmp_path / "t.csv", ["n", "when"], [[str(i), c] for i, c in enumerate(cells)]))
    assert got(table.frame["when"]) == [dt.datetime(2024, 12, 31), dt.datetime(2025, 1, 1, 14, 5),
                                        dt.datetime(2025, 1, 2, 9, 5, 30), None]


# ------------------------------------------------------------------------------------ day or month first


def slash_cells(fmt: str) -> list[str]:
    return [s.strftime(fmt) for s in STAMPS if s.day <= 12]  # every part up to 12: either order reads


def test_slash_dates_that_read_either_way_stay_text_with_a_note(tmp_path):
    cells = slash_cells("%d/%m/%Y")
    table = load_table(write_csv(tmp_path / "t.csv", ["n", "signup"], [[str(i), c] for i, c in enumerate(cells)]))
    assert table.roles["signup"] != Role.DATE
    note = next(n for n in table.notes if n.startswith("'signup' holds dates that read as day/month or month/day"))
    assert f"like '{cells[0]}'" in note
    assert "roles={'signup': 'date:dmy'}" in note and "date:mdy" in note and "--role" not in note
    with speaking_as("excel"):  # each face spells the declaration its own way
        excel_note = next(n for n in load_table(tmp_path / "t.csv").notes if n.startswith("'signup' holds"))
    assert "roles=signup:date:dmy" in excel_note and "roles={" not in excel_note


@pytest.mark.parametrize(("role", "fmt"), [("date:dmy", "%d/%m/%Y"), ("date:mdy", "%m/%d/%Y"),
                                           (" Date:MDY ", "%m/%d/%Y")])
def test_declared_order_reads_slash_dates(tmp_path, role, fmt):
    cells = slash_cells("%d/%m/%Y")
    path = write_csv(tmp_path / "t.csv", ["n", "signup"], [[str(i), c] for i, c in enumerate(cells)])
    table = load_table(path, roles={"signup": role})
    assert got(table.frame["signup"]) == strptime_all(cells, fmt)


def test_declared_date_without_an_order_names_the_ambiguous_cell(tmp_path):
    path = write_csv(tmp_path / "t.csv", ["n", "signup"], [["1", ""], ["2", "03/01/2024"], ["3", "04/01/2024"]])
    with pytest.raises(XlsegError, match=r"^'signup' is a date column but '03/01/2024' \(data row 2\) reads as "
                                         r"day/month or month/day.*'date:dmy'"):
        load_table(path, roles={"signup": "date"})


def test_declared_order_contradicted_by_a_value_is_an_error(tmp_path):
    path = write_csv(tmp_path / "t.csv", ["signup"], [["03/01/2024"], ["12/31/2024"]])
    with pytest.raises(XlsegError, match=r"holds '12/31/2024' \(data row 2\)"):
        load_table(path, roles={"signup": "date:dmy"})


def test_ambiguous_column_takes_the_order_of_the_files_other_slash_dates(tmp_path):
    rows = [["03/01/2024", "25/12/2023"], ["04/02/2024", "01/06/2023"], ["", "13/01/2023"]]
    path = write_csv(tmp_path / "t.csv", ["signup", "birthday"], rows)
    table = load_table(path)
    assert got(table.frame["signup"]) == strptime_all([r[0] for r in rows], "%d/%m/%Y")
    assert "read 'signup' as dates (day/month/year, as in 'birthday': its own values read either way)" in table.notes
    # the same when only the ambiguous column is loaded (a breakdown by it alone must agree with the report)
    alone = load_table(path, columns=["signup"])
    assert got(alone.frame["signup"]) == got(table.frame["signup"])
    declared = load_table(path, columns=["signup"], roles={"signup": "date"})
    assert got(declared.frame["signup"]) == got(table.frame["signup"])


def test_a_declared_order_elsewhere_decides_too(tmp_path):
    rows = [["03/01/2024", "02/01/2023"], ["04/02/2024", "01/06/2023"]]
    table = load_table(write_csv(tmp_path / "t.csv", ["a", "b"], rows), roles={"b": "date:mdy"})
    assert got(table.frame["a"]) == strptime_all([r[0] for r in rows], "%m/%d/%Y")


def test_other_columns_that_disagree_decide_nothing(tmp_path):
    rows = [["03/01/2024", "25/12/2023", "12/25/2023"], ["04/02/2024", "01/06/2023", "06/01/2023"]]
    table = load_table(write_csv(tmp_path / "t.csv", ["a", "uk", "us"], rows))
    assert (table.roles["a"], table.roles["uk"], table.roles["us"]) == (Role.DIMENSION, Role.DATE, Role.DATE)
    assert any(n.startswith("'a' holds dates that read as day/month or month/day") for n in table.notes)


def test_dotted_dates_do_not_decide_slash_columns(tmp_path):
    rows = [["03/01/2024", "25.12.2023"], ["04/02/2024", "01.06.2023"]]
    table = load_table(write_csv(tmp_path / "t.csv", ["a", "b"], rows))
    assert (table.roles["a"], table.roles["b"]) == (Role.DIMENSION, Role.DATE)


def test_declaring_the_order_on_a_loaded_table(tmp_path):
    path = write_csv(tmp_path / "t.csv", ["n", "a"], [["1", "03/01/2024"], ["2", "04/02/2024"]])
    table = load_table(path)
    assert table.roles["a"] == Role.DIMENSION
    assert got(load_table(table, roles={"a": "date:mdy"}).frame["a"]) == [dt.datetime(2024, 3, 1),
                                                                          dt.datetime(2024, 4, 2)]
    with pytest.raises(XlsegError, match=r"^'a' is a date column but '03/01/2024' \(data row 1\) reads as"):
        load_table(table, roles={"a": "date"})


def test_role_with_a_bad_order_is_an_error(tmp_path):
    path = write_csv(tmp_path / "t.csv", ["a"], [["03/01/2024"]])
    with pytest.raises(XlsegError, match=r"^unknown role 'date:ymd' for 'a'; only a date takes an order"):
        load_table(path, roles={"a": "date:ymd"})
    with pytest.raises(XlsegError, match=r"^unknown role 'metric:dmy' for 'a'"):
        load_table(path, roles={"a": "metric:dmy"})


def test_excel_options_declare_the_order():
    options = parse_options("roles=signup:date:dmy")
    table = load_table([["signup"], ["03/01/2024"], ["04/01/2024"]], roles=options.values["roles"])
    assert got(table.frame["signup"]) == [dt.datetime(2024, 1, 3), dt.datetime(2024, 1, 4)]


# ---------------------------------------------------------------------------------- not dates after all


@pytest.mark.parametrize("cells", [
    ["31.12.2024", "31.02.2024"],  # no 31 February
    ["31/12/2024", "12/31/2024"],  # day first and month first in one column
    ["31.12.2024", "31/12/2024"],  # two formats
    ["31.12.2024", "2024-12-31"],
    ["31.12.2024 14:05", "31.12.2024 25:05"],  # no 25 o'clock
    ["12/31/2024 1:05 PM", "12/31/2024 13:05 PM"],
    ["31.12.2024", "soon"],
])
def test_a_column_that_only_looks_like_dates_stays_text(tmp_path, cells):
    table = load_table(write_csv(tmp_path / "t.csv", ["n", "day"], [[str(i), c] for i, c in enumerate(cells)]))
    assert table.roles["day"] == Role.DIMENSION
    assert not any("as dates" in n for n in table.notes)


def test_impossible_date_in_a_declared_column_names_the_cell(tmp_path):
    path = write_csv(tmp_path / "t.csv", ["day"], [["31.12.2024"], ["31.02.2024"]])
    with pytest.raises(XlsegError, match=r"^'day' is a date column but holds '31.02.2024' \(data row 2\)"):
        load_table(path, roles={"day": "date"})


def test_two_digit_years_are_text_unless_declared(tmp_path):
    versions = load_table(write_csv(tmp_path / "v.csv", ["app_version"], [["2.3.10"], ["2.4.1"], ["3.12.0"]]))
    assert versions.roles["app_version"] == Role.DIMENSION  # app versions, not 2 March 2010
    cells = ["31.12.24", "1.3.99 14:05", "15.04.30", "01.01.29", "29.02.48"]
    path = write_csv(tmp_path / "t.csv", ["day"], [[c] for c in cells])
    assert load_table(path).roles["day"] == Role.DIMENSION
    table = load_table(path, roles={"day": "date"})
    assert got(table.frame["day"]) == [dt.datetime(2024, 12, 31), dt.datetime(1999, 3, 1, 14, 5),
                                       dt.datetime(1930, 4, 15), dt.datetime(2029, 1, 1), dt.datetime(1948, 2, 29)]
    assert "read 'day' as dates (day.month.year; two-digit years 30-99 as 19.., 00-29 as 20.., as Excel reads " \
           "them)" in table.notes


# ------------------------------------------------------------------------------ Excel ranges, DataFrames


def test_excel_range_with_dotted_text_dates():
    table = load_table([["day", "n"], ["31.12.2024", 1.0], [" 1.2.2025 ", 2.0], [None, 3.0]])
    assert table.roles["day"] == Role.DATE
    assert got(table.frame["day"]) == [dt.datetime(2024, 12, 31), dt.datetime(2025, 2, 1), None]
    assert "read 'day' as dates (day.month.year)" in table.notes


def test_excel_range_mixing_real_dates_and_slash_text_is_not_guessed():
    # what Excel leaves after reading day/month text on a month/day computer: some dates, some text
    table = load_table([["day"], [dt.datetime(2024, 1, 3)], ["31/12/2024"]])
    assert table.roles["day"] == Role.DIMENSION


def test_dataframe_from_pandas_read_csv(tmp_path):
    cells = [s.strftime("%d/%m/%Y %H:%M") for s in STAMPS]
    path = write_csv(tmp_path / "t.csv", ["signup"], [[c] for c in cells])
    table = load_table(pd.read_csv(path))
    assert got(table.frame["signup"]) == strptime_all(cells, "%d/%m/%Y %H:%M")


# ------------------------------------------------------------------------------------------- end to end


def test_report_breaks_a_regional_csv_date_column_down_by_month(tmp_path):
    users = make_users(3000, seed=11)
    path = tmp_path / "users.csv"
    users.assign(signup_date=users["signup_date"].dt.strftime("%d.%m.%Y")).to_csv(path, sep=";", decimal=",",
                                                                                    index=False)
    result = report(path)
    out = result.to_excel(tmp_path / "report.xlsx")
    book = load_workbook(out)
    assert "signup_date" in book.sheetnames
    summary = "\n".join(str(c.value) for row in book["Summary"].iter_rows() for c in row if c.value is not None)
    assert "'signup_date' by month" in summary
    sheet = table_frame(book["signup_date"], "signup_date")
    expected = users["signup_date"].dt.to_period("M").astype(str).value_counts().sort_index()
    months = sheet[sheet["signup_date"] != "Total"]
    assert months["signup_date"].tolist() == expected.index.tolist()
    assert months["users"].tolist() == expected.tolist()
