"""The fast typed .xlsx path (fastexcel) gives exactly what the row-by-row reader gives, or steps aside."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook

from xlseg.demo import make_users
from xlseg.errors import XlsegError
from xlseg.io import xlsx_fast
from xlseg.io.load import load_table


def write(path: Path, rows: list[list[object]], title: str = "Data") -> Path:
    book = Workbook()
    sheet = book.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def users_rows(n: int = 400) -> list[list[object]]:
    users = make_users(n, seed=3)
    rows = [list(users.columns)]
    for record in users.itertuples(index=False):
        rows.append([v.to_pydatetime() if isinstance(v, pd.Timestamp) else (v.item() if hasattr(v, "item") else v)
                     for v in record])
    rows[5][1] = None  # a blank label
    rows[9][6] = None  # a blank number
    return rows


def row_reader_table(path: Path, monkeypatch, **kwargs):
    with monkeypatch.context() as patch:
        patch.setattr(xlsx_fast, "take", lambda *args: None)
        return load_table(path, **kwargs)


def test_a_clean_sheet_takes_the_fast_path_and_matches_the_row_reader(tmp_path, monkeypatch):
    path = write(tmp_path / "users.xlsx", users_rows())
    typed = xlsx_fast.read_typed(path)
    assert typed is not None and typed.headers == users_rows()[0]
    fast, slow = load_table(path), row_reader_table(path, monkeypatch)
    pd.testing.assert_frame_equal(fast.frame, slow.frame)
    assert fast.roles == slow.roles and fast.notes == slow.notes
    assert fast.frame["geography"].isna().sum() == 1 and fast.frame["session_length"].isna().sum() == 1


def test_prefetch_then_take_gives_the_same_sheet(tmp_path):
    path = write(tmp_path / "users.xlsx", users_rows(50))
    xlsx_fast.prefetch(path, "Data")
    typed = xlsx_fast.take(path, "Data")
    assert typed is not None and typed.table.num_rows == 50
    assert xlsx_fast.take(path, "Data").table.equals(typed.table)  # a second take reads again


@pytest.mark.parametrize(
    ("rows", "why"),
    [
        ([["plan", "n"], ["Pro", 1.0], [3.0, 2.0]], "a column mixing text and numbers"),
        ([["plan", None, "n"], ["Pro", 1.0, 2.0]], "a blank header"),
        ([["plan", "plan", "n"], ["Pro", "Free", 2.0]], "a duplicate header"),
        ([["plan", "n"], ["Pro", dt.datetime(2024, 1, 1)], ["Free", "2024-01-02"]], "dates mixed with text"),
        ([["plan", dt.datetime(2024, 1, 31)], ["Pro", 1.0]], "a date header"),
    ],
)
def test_doubtful_sheets_fall_back_to_the_row_reader(tmp_path, monkeypatch, rows, why):
    path = write(tmp_path / "t.xlsx", rows)
    assert xlsx_fast.read_typed(path) is None, why
    try:
        expected = row_reader_table(path, monkeypatch)
    except XlsegError as error:
        with pytest.raises(XlsegError, match=str(error)[:30].replace("(", r"\(").replace(")", r"\)")):
            load_table(path)
        return
    pd.testing.assert_frame_equal(load_table(path).frame, expected.frame)


def test_unknown_sheet_still_gets_the_helpful_error(tmp_path):
    path = write(tmp_path / "t.xlsx", [["a"], [1.0]], title="Users")
    with pytest.raises(XlsegError, match="did you mean 'Users'"):
        load_table(path, sheet="users ")


def test_an_empty_named_column_reads_the_same_and_quietly(tmp_path, monkeypatch, capfd):
    rows = [["zip", "empty", "when", "flag"]] + [["00501", None, dt.datetime(2024, 1, 1, 10, 30), True],
                                                  ["10115", None, None, None]] * 5
    path = write(tmp_path / "e.xlsx", rows)
    assert xlsx_fast.read_typed(path) is not None
    fast, slow = load_table(path), row_reader_table(path, monkeypatch)
    pd.testing.assert_frame_equal(fast.frame, slow.frame)
    assert fast.notes == slow.notes == ["dropped 1 empty column: 'empty' (B)"]
    assert fast.frame["zip"].tolist()[:2] == ["00501", "10115"]
    assert "Could not determine dtype" not in capfd.readouterr().err
