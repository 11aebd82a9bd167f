"""Written workbooks opened by LibreOffice Calc (headless): the numbers it shows are the engine's, and
labels that look like formulas or error values stay labels.

Two soffice runs for all files: one exports every sheet as CSV "as shown" (formatted as a user sees it),
one re-saves as .xlsx so openpyxl can check the cell types LibreOffice gave each label.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from xlseg.demo import make_users
from xlseg.engine.breakdowns import breakdown
from xlseg.engine.crosstabs import crosstab
from xlseg.reporting import report
from xlseg.schema import Role, Table

pytestmark = [
    pytest.mark.libreoffice,
    pytest.mark.filterwarnings("ignore:.*extension is not supported:UserWarning"),  # LibreOffice's x14 extensions
]

CSV_ALL_SHEETS_AS_SHOWN = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,true,false,false,-1"
HOSTILE = ["=1+1", "+SUM(A1)", "-2", "@x", "#N/A", "\tx", "=HYPERLINK(\"http://x\")"]
LONG_NAME = "seg[1]:*?/\\ a label column far too long"


@pytest.fixture(scope="module")
def users() -> pd.DataFrame:
    return make_users(3000, seed=11)


@pytest.fixture(scope="module")
def converted(soffice, users, tmp_path_factory) -> dict[str, Path]:
    """Write the demo and hostile reports, convert both with LibreOffice (CSV per sheet, and .xlsx)."""
    root = tmp_path_factory.mktemp("lo")
    demo = report(users).to_excel(root / "demo.xlsx")
    n = len(HOSTILE) * 30
    frame = pd.DataFrame({LONG_NAME: pd.Categorical([HOSTILE[i % len(HOSTILE)] for i in range(n)]),
                          "converted": pd.array([i % 3 == 0 for i in range(n)], dtype="boolean")})
    hostile_table = Table(frame, {LONG_NAME: Role.DIMENSION, "converted": Role.FLAG})
    hostile = report(hostile_table).to_excel(root / "hostile.xlsx")
    soffice([demo, hostile], CSV_ALL_SHEETS_AS_SHOWN, root / "csv")
    soffice([demo, hostile], "xlsx", root / "xlsx")
    return {"root": root, "csv": root / "csv", "xlsx": root / "xlsx"}


def sheet_rows(converted, book: str, sheet: str) -> list[list[str]]:
    path = converted["csv"] / f"{book}-{sheet}.csv"
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def shown_table(rows: list[list[str]], first_header: str) -> pd.DataFrame:
    """The table whose header row starts with ``first_header``, as the strings LibreOffice shows."""
    start = next(i for i, row in enumerate(rows) if row and row[0] == first_header)
    header = [h for h in rows[start] if h]
    body = []
    for row in rows[start + 1:]:
        if not row or not row[0] or len([c for c in row if c]) < 2:
            break
        body.append(row[: len(header)])
    return pd.DataFrame(body, columns=header)


def test_every_sheet_opens_and_is_exported(converted):
    names = {p.name for p in converted["csv"].iterdir()}
    for sheet in ("Summary", "geography", "device", "plan", "signup_date", "sessions", "plan × device"):
        assert f"demo-{sheet}.csv" in names
    assert any(n.startswith("hostile-seg_1_") for n in names)


def three_significant(p: float) -> str:
    """A p-value as a reader should see it: "<0.001", else three significant digits (0.834, 0.0497, 0.00320)."""
    return "<0.001" if p < 0.001 else f"{p:.{max(3, 2 - math.floor(math.log10(p)))}f}"


def test_breakdown_numbers_libreoffice_shows_are_the_engines(converted, users):
    shown = shown_table(sheet_rows(converted, "demo", "device"), "device")
    expected = breakdown(users, "device", {"converted": "rate", "session_length": "mean"}, min_size=30,
                         intervals=True, compare=True)
    assert shown["device"].tolist() == expected["device"].tolist()
    assert [int(v.replace(",", "")) for v in shown["users"]] == expected["users"].tolist()
    assert shown["share"].tolist() == [f"{v:.1%}" for v in expected["share"]]
    for column in ("converted rate", "converted rate lo", "converted rate hi"):
        assert shown[column].tolist() == [f"{v:.1%}" for v in expected[column]], column
    assert shown["session_length mean"].tolist() == [f"{v:,.2f}" for v in expected["session_length mean"]]
    lifts = expected["converted rate lift"].iloc[:-1]
    assert shown["converted rate lift"].iloc[:-1].tolist() == [f"{v:+.1%}" for v in lifts]  # none near 0
    p_values = expected["converted rate p"].iloc[:-1]
    assert shown["converted rate p"].iloc[:-1].tolist() == [three_significant(p) for p in p_values]


def test_crosstab_numbers_libreoffice_shows_are_the_engines(converted, users):
    rows = sheet_rows(converted, "demo", "plan × device")
    shown = shown_table(rows, "plan")  # the first table: users
    expected = crosstab(users, "plan", "device")
    got = shown.iloc[:, 1:].map(lambda v: int(v.replace(",", ""))).to_numpy()
    np.testing.assert_array_equal(got, expected.iloc[:, 1:].to_numpy())


def test_hostile_labels_show_literally(converted):
    name = next(p.name for p in converted["csv"].iterdir() if p.name.startswith("hostile-seg_1_"))
    rows = sheet_rows(converted, "hostile", name[len("hostile-"):-len(".csv")])
    shown = shown_table(rows, LONG_NAME)
    assert sorted(shown[LONG_NAME].iloc[:-1]) == sorted(HOSTILE)


def test_libreoffice_keeps_labels_as_text_cells(converted):
    book = load_workbook(converted["xlsx"] / "hostile.xlsx")
    ws = book.worksheets[1]
    cells = [c for row in ws.iter_rows() for c in row if c.value in HOSTILE]
    assert sorted({c.value for c in cells}) == sorted(HOSTILE)  # in the table and in the chart data
    assert all(c.data_type == "s" for c in cells), [(c.value, c.data_type) for c in cells]


CSV_VALUES = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1"


def test_spreadsheet_formulas_on_the_report_tables_recompute_the_totals(soffice, users, tmp_path):
    """LibreOffice recalculates formulas over the named tables: the segments add up to the engine's Total.

    The grand total sits under the table, so =SUM(device[users]) counts every user once, and the users-weighted
    average of the segment rates and means is the overall figure.
    """
    metrics = "converted:rate; session_length:mean"
    path = report(users, by=["device"], metrics=metrics).to_excel(tmp_path / "r.xlsx")
    book = load_workbook(path)  # our own fresh file, not a user's workbook
    check = book.create_sheet("check")
    check["A1"] = "=SUM(device[users])"
    check["A2"] = "=SUMPRODUCT(device[users],device[converted rate])/SUM(device[users])"
    check["A3"] = "=SUMPRODUCT(device[users],device[session_length mean])/SUM(device[users])"
    book.save(tmp_path / "check.xlsx")
    soffice([tmp_path / "check.xlsx"], CSV_VALUES, tmp_path / "out")
    with open(tmp_path / "out" / "check-check.csv", newline="", encoding="utf-8") as handle:
        shown = [float(row[0]) for row in csv.reader(handle)]
    total = breakdown(users, "device", metrics).iloc[-1]
    assert shown[0] == total["users"] == len(users)
    assert shown[1] == pytest.approx(total["converted rate"], rel=1e-9)
    assert shown[2] == pytest.approx(total["session_length mean"], rel=1e-6)
