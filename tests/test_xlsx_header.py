"""Early column checks from an .xlsx header row: the header read without the sheet, the same errors sooner."""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest

from xlseg import reporting as report_module
from xlseg.cli import main
from xlseg.errors import XlsegError
from xlseg.io import xlsx_fast
from xlseg.io.load import load_table
from xlseg.io.xlsx_header import check_columns, header_names
from xlseg.reporting import report

USERS = [
    ["user_id", "geography", "device", "plan", "revenue"],
    *[[float(i), ["UK", "US", "India"][i % 3], ["Mobile", "Desktop"][i % 2], ["Free", "Pro"][i % 4 == 0], i * 1.5]
      for i in range(1, 61)],
]


def write(path: Path, rows: list[list[object]], *, title: str = "Data", at: str = "A1",
          before: list[str] | None = None) -> Path:
    """Write ``rows`` with openpyxl, the table's top-left cell at ``at``; ``before``: sheets in front of it."""
    book = openpyxl.Workbook()
    names = [*(before or []), title]
    book.active.title = names[0]
    for name in names[1:]:
        book.create_sheet(name)
    for name in before or []:
        book[name].append(["other", "sheet"])
    sheet = book[title]
    top = openpyxl.utils.cell.coordinate_from_string(at)
    column, row = openpyxl.utils.column_index_from_string(top[0]), top[1]
    for i, values in enumerate(rows):
        for j, value in enumerate(values):
            if value is not None:
                sheet.cell(row + i, column + j, value)
    book.save(path)
    return path


# ------------------------------------------------------------------------------------ the header row


@pytest.mark.parametrize(
    ("header", "at", "expected"),
    [
        (["user_id", "device"], "A1", ["user_id", "device"]),
        ([" device\xa0 ", "plan  type"], "A1", ["device", "plan type"]),  # squashed as load_table does
        (["device", "plan"], "C4", ["device", "plan"]),  # a table further down and right
    ],
)
def test_header_names_match_the_columns_load_table_gives(tmp_path, header, at, expected):
    path = write(tmp_path / "t.xlsx", [header, ["Mobile", "Pro"], ["Desktop", "Free"]], at=at)
    assert header_names(path) == expected == list(load_table(path).frame.columns)


def test_sheets_by_name_and_index(tmp_path):
    path = write(tmp_path / "t.xlsx", [["device", "plan"], ["Mobile", "Pro"]], title="Users", before=["Notes"])
    assert header_names(path, "Users") == header_names(path, 1) == ["device", "plan"]
    assert header_names(path) == ["other", "sheet"]
    assert header_names(path, "users") is None and header_names(path, 5) is None  # the full read reports these


def test_inline_and_rich_text_headers(tmp_path):
    path = write(tmp_path / "t.xlsx", [["device", "plan"], ["Mobile", "Pro"]])
    xml = (b'<c r="A1" t="inlineStr"><is><t>dev</t></is></c>'
           b'<c r="B1" t="inlineStr"><is><r><t>pl</t></r><r><t xml:space="preserve">an </t></r></is></c>')
    rewrite_sheet(path, lambda data: re.sub(rb'<c r="A1".*?</c><c r="B1".*?</c>', xml, data, count=1))
    assert header_names(path) == ["dev", "plan"] == list(load_table(path).frame.columns)


@pytest.mark.parametrize(
    ("rows", "why"),
    [
        ([["device", 2024.0], ["Mobile", 1.0]], "a number header"),
        ([["device", dt.datetime(2024, 1, 31)], ["Mobile", 1.0]], "a date header"),
        ([["device", None, "plan"], ["Mobile", 1.0, "Pro"]], "a blank header"),
        ([["device", "device "], ["Mobile", "Pro"]], "a header repeated after trimming"),
        ([["Users report"], ["device", "plan"], ["Mobile", "Pro"]], "a title row above the header"),
        ([["device"], ["Mobile", "Pro"]], "data beyond the header"),
    ],
)
def test_doubtful_headers_are_left_to_the_full_read(tmp_path, rows, why):
    path = write(tmp_path / "t.xlsx", rows)
    assert header_names(path) is None, why
    check_columns(path, None, ["nope"])  # no early error: the full read decides


def test_a_missing_dimension_or_a_non_workbook_is_left_to_the_full_read(tmp_path):
    path = write(tmp_path / "t.xlsx", [["device"], ["Mobile"]])
    rewrite_sheet(path, lambda data: re.sub(rb"<dimension [^>]*/>", b"", data))
    assert header_names(path) is None
    (tmp_path / "bad.xlsx").write_text("not a zip")
    assert header_names(tmp_path / "bad.xlsx") is None and header_names(tmp_path / "none.xlsx") is None


def rewrite_sheet(path: Path, change) -> None:
    """Rewrite the first worksheet's XML of ``path`` with ``change(bytes) -> bytes``."""
    with zipfile.ZipFile(path) as source:
        parts = {info.filename: source.read(info) for info in source.infolist()}
    parts["xl/worksheets/sheet1.xml"] = change(parts["xl/worksheets/sheet1.xml"])
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in parts.items():
            target.writestr(name, data)


# --------------------------------------------------------------------------- early "column not found"


def test_a_misspelt_column_fails_before_the_read(tmp_path, monkeypatch):
    path = write(tmp_path / "users.xlsx", USERS)
    late = str(pytest.raises(XlsegError, report, path, by="device", metrics="revenu:mean").value)

    def no_read(*args, **kwargs):
        raise AssertionError("the sheet was read")

    monkeypatch.setattr(report_module, "load_table", no_read)
    for by, metrics, crosstabs in [("devce", None, None), ("device", "revenu:mean", None),
                                   (["device"], None, ["plan:geografy"])]:
        with pytest.raises(XlsegError, match=r"^column '\w+' not found; did you mean '\w+'\?$"):
            report(path, by=by, metrics=metrics, crosstabs=crosstabs)
    early = str(pytest.raises(XlsegError, report, path, by="device", metrics="revenu:mean").value)
    assert early == late == "column 'revenu' not found; did you mean 'revenue'?"


def test_cli_misspelt_column_on_xlsx_exits_2_before_the_read(tmp_path, monkeypatch, capsys):
    path = write(tmp_path / "users.xlsx", USERS)
    monkeypatch.setattr(xlsx_fast, "prefetch", lambda *args: None)
    monkeypatch.setattr(xlsx_fast, "read_typed", lambda *args: pytest.fail("the sheet was read"))
    code = main(["report", str(path), "-o", str(tmp_path / "out.xlsx"), "--by", "devce", "--quiet"])
    assert code == 2
    assert capsys.readouterr().err == "xlseg: error: column 'devce' not found; did you mean 'device'?\n"
    assert not (tmp_path / "out.xlsx").exists()


def test_cli_message_is_the_one_the_full_read_gives(tmp_path, monkeypatch, capsys):
    """With the early check unable to decide (a number header), the full read reports the same line."""
    path = write(tmp_path / "users.xlsx", [[*USERS[0], 2024.0], *[[*row, 1.0] for row in USERS[1:]]])
    assert header_names(path) is None
    code = main(["report", str(path), "-o", str(tmp_path / "out.xlsx"), "--by", "devce", "--quiet"])
    assert code == 2
    assert capsys.readouterr().err == "xlseg: error: column 'devce' not found; did you mean 'device'?\n"


def test_good_names_pass_the_early_check(tmp_path):
    path = write(tmp_path / "users.xlsx", USERS)
    result = report(path, by=["geography", "device,plan"], metrics="revenue:mean", crosstabs=["plan:device"])
    assert [sheet.name for sheet in result.sheets][1:] == ["geography", "device × plan", "plan × device"]
