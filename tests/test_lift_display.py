"""Lift cells in a report hold the exact lift and read sensibly: one decimal, and no "-0.0%" / "+0.0%" for a
lift that rounds to zero (a conditional number format; the stored number is never changed, so formulas
reading the table get the true value — issue 10, item 10).

Expected lifts are computed here with plain pandas (segment rate ÷ overall rate − 1). The workbook is read
back with openpyxl and, where LibreOffice is installed, exported by it as CSV "as shown".
"""

from __future__ import annotations

import csv
import math

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

import xlseg
from xlseg.reporting import report

# device -> (users, converted): overall rate 0.2; lifts +0.01%, -0.01%, 0, ±0.4%, ±15%
SEGMENTS = {"a": (50_000, 10_001), "b": (50_000, 9_999), "c": (20_000, 4_000), "d": (10_000, 2_300),
            "e": (10_000, 1_700), "f": (25_000, 4_900), "g": (25_000, 5_100)}
HALF_UNIT = 0.0005  # half of the 0.1% a lift cell shows
CSV_AS_SHOWN = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,true,false,false,-1"


@pytest.fixture(scope="module")
def users() -> pd.DataFrame:
    devices, converted = [], []
    for device, (n, k) in SEGMENTS.items():
        devices += [device] * n
        converted += [True] * k + [False] * (n - k)
    return pd.DataFrame({"device": devices, "converted": converted})


@pytest.fixture(scope="module")
def expected_lift(users: pd.DataFrame) -> pd.Series:
    """Lift of each device, computed with pandas."""
    return users.groupby("device")["converted"].mean() / users["converted"].mean() - 1


@pytest.fixture(scope="module")
def written(users: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory):
    return report(users, by="device", metrics="converted:rate").to_excel(tmp_path_factory.mktemp("lift") / "r.xlsx")


def shown_text(lift: float) -> str:
    """What a reader should see: the lift to one decimal with its sign, or a plain 0.0% when it rounds to 0."""
    return "0.0%" if abs(lift) < HALF_UNIT else f"{lift:+.1%}"


def test_engine_lifts_are_unchanged(users, expected_lift):
    frame = xlseg.breakdown(users, "device", "converted:rate", compare=True).set_index("device")
    lifts = frame["converted rate lift"].drop(frame.index[-1])
    np.testing.assert_allclose(lifts.to_numpy(), expected_lift[lifts.index].to_numpy(), rtol=0, atol=1e-12)
    assert lifts["b"] < 0 < lifts["a"]  # the tiny lifts are kept in the engine's numbers


def test_written_lift_cells(written, expected_lift):
    ws = load_workbook(written)["device"]
    rows = [[c for c in row] for row in ws[ws.tables["device"].ref]]
    header = [c.value for c in rows[0]]
    at = header.index("converted rate lift")
    cells = {row[0].value: row[at] for row in rows[1:]}
    assert set(cells) == set(SEGMENTS)
    for device, lift in expected_lift.items():
        cell = cells[device]
        assert cell.value == pytest.approx(lift, abs=1e-12), device  # the real lift, tiny ones included
        if lift != 0:
            assert math.copysign(1, cell.value) == math.copysign(1, lift), device
        sections = cell.number_format.split(";")
        assert sections == ["[>=0.0005]+0.0%", "[<=-0.0005]-0.0%", '"0.0%"'], cell.number_format


@pytest.mark.libreoffice
@pytest.mark.filterwarnings("ignore:.*extension is not supported:UserWarning")
def test_libreoffice_shows_the_lifts(soffice, written, expected_lift, tmp_path):
    soffice([written], CSV_AS_SHOWN, tmp_path)
    with open(tmp_path / "r-device.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    start = next(i for i, row in enumerate(rows) if row and row[0] == "device")
    at = rows[start].index("converted rate lift")
    shown = {row[0]: row[at] for row in rows[start + 1:start + 1 + len(SEGMENTS)]}
    assert shown == {device: shown_text(lift) for device, lift in expected_lift.items()}
    total = rows[start + 1 + len(SEGMENTS)]
    assert total[0] == "Total" and total[at] == "0.0%"
