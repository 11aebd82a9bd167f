"""A real segment labelled "Total" stays a segment: totals rows are then labelled "Total (all)".

Every expected number is computed here with plain pandas; the report workbook is read back with openpyxl.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

import xlseg
from xlseg.reporting import report
from xlseg.schema import totals_label
from xlseg.sheets.blocks import breakdown_block, crosstab_block


@pytest.fixture(scope="module")
def users() -> pd.DataFrame:
    """Users whose device column has a real category called "Total" (a kiosk brand, say)."""
    rng = np.random.default_rng(11)
    n = 600
    return pd.DataFrame({
        "device": rng.choice(["Mobile", "Desktop", "Total"], size=n, p=[0.5, 0.3, 0.2]),
        "plan": rng.choice(["Free", "Pro"], size=n),
        "converted": rng.random(n) < 0.2,
    })


def test_totals_label_avoids_every_real_label() -> None:
    assert totals_label(["Mobile", "Desktop"]) == "Total"
    assert totals_label(["Mobile", "Total"]) == "Total (all)"
    assert totals_label([" total ", "Mobile"]) == "Total (all)"
    assert totals_label(["Total", "Total (all)"]) == "Total (all 2)"
    assert totals_label(["Total", "Total (all)", "Total (all 2)"]) == "Total (all 3)"


def test_breakdown_keeps_a_real_total_segment(users: pd.DataFrame) -> None:
    result = xlseg.breakdown(users, "device", "converted:rate")
    counts = users["device"].value_counts()
    real = result[result["device"] == "Total"]
    assert len(real) == 1
    assert int(real["users"].iloc[0]) == counts["Total"]
    assert real["converted rate"].iloc[0] == pytest.approx(users.loc[users["device"] == "Total", "converted"].mean())
    assert result["device"].iloc[-1] == "Total (all)"
    assert int(result["users"].iloc[-1]) == len(users)
    assert result["converted rate"].iloc[-1] == pytest.approx(users["converted"].mean())


def test_breakdown_without_a_real_total_keeps_the_plain_label(users: pd.DataFrame) -> None:
    result = xlseg.breakdown(users, "plan")
    assert result["plan"].tolist() == ["Free", "Pro", "Total"]


def test_subtotal_rows_are_found_by_the_totals_label(users: pd.DataFrame) -> None:
    frame = xlseg.breakdown(users, ["plan", "device"], subtotals=True)
    block = breakdown_block(frame, ["plan", "device"], subtotals=True)
    kinds = [row.kind for row in block.rows]
    sizes = users.groupby(["plan", "device"]).size()
    body = frame[[k == "body" for k in kinds]]
    assert {(p, d): int(u) for p, d, u in body[["plan", "device", "users"]].itertuples(index=False)} == {
        key: int(v) for key, v in sizes.items()}
    subtotal = frame[[k == "subtotal" for k in kinds]]
    assert subtotal["device"].eq("Total (all)").all()
    assert dict(zip(subtotal["plan"], subtotal["users"], strict=True)) == users["plan"].value_counts().to_dict()
    assert kinds[-1] == "total" and int(frame["users"].iloc[-1]) == len(users)


def test_report_shows_the_real_total_inside_the_excel_table(users: pd.DataFrame, tmp_path) -> None:
    path = report(users, by="device", metrics="converted:rate").to_excel(tmp_path / "report.xlsx")
    sheet = load_workbook(path)["device"]
    table = sheet.tables["device"]
    cells = [[c.value for c in row] for row in sheet[table.ref]]
    header, body = cells[0], cells[1:]
    users_at = header.index("users")
    inside = {row[0]: row[users_at] for row in body}
    assert inside == users["device"].value_counts().to_dict()  # "Total" is a normal segment row of the table
    last_row = int("".join(ch for ch in table.ref.split(":")[1] if ch.isdigit()))
    first_column = sheet[table.ref.split(":")[0]].column
    below = [sheet.cell(last_row + 1, first_column + j).value for j in range(len(header))]
    assert below[0] == "Total (all)"
    assert below[users_at] == len(users)


def test_crosstab_total_row_and_column_with_real_totals(users: pd.DataFrame) -> None:
    renamed = users.rename(columns={"plan": "Total"})  # a row dimension called "Total" as well
    frame = xlseg.crosstab(renamed, ["device", "Total"], "converted")
    assert frame.iloc[-1, 0] == "Total (all)" and frame.columns[-1] == "Total (all)"
    expected = renamed.groupby(["device", "Total"]).size()
    got = frame.iloc[:-1].set_index(["device", "Total"])["Total (all)"]
    assert got.to_dict() == expected.to_dict()
    block = crosstab_block(frame, ["device", "Total"], "converted")
    heat = block.conditional[0].columns
    assert "Total (all)" not in heat and len(heat) == renamed["converted"].nunique()
    assert block.rows[-1].kind == "total" and all(row.kind == "body" for row in block.rows[:-1])


def test_udf_spills_the_unambiguous_totals_row(users: pd.DataFrame) -> None:
    from xlseg.excel.udfs import SEG_BREAKDOWN

    rows = [list(users.columns), *users.astype(object).values.tolist()]
    cells = SEG_BREAKDOWN(rows, "device")  # the spilled cells: header row, then one row per segment
    spilled = pd.DataFrame(cells[1:], columns=cells[0])
    labels = spilled["device"].tolist()
    assert labels.count("Total") == 1 and labels[-1] == "Total (all)"
    assert int(spilled.loc[spilled["device"] == "Total", "users"].iloc[0]) == (users["device"] == "Total").sum()
