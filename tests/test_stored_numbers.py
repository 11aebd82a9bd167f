"""Stored numbers are exact and shown honestly (issue 10, item 10).

* p-values: the cell holds the engine's p; it shows "<0.001" or three significant digits, so 0.0497 (shaded
  significant at 5%) never reads "0.050";
* years and code-like integers show without a thousands separator ("1987", not "1,987");
* (tiny lifts: tests/test_lift_display.py).

What a reader sees is what LibreOffice Calc shows when it exports the sheets "as shown".
"""

from __future__ import annotations

import csv
import math

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from xlseg.reporting import report
from xlseg.sheets.blocks import breakdown_block
from xlseg.sheets.layout import SheetLayout
from xlseg.sheets.present import format_number, number_format, p_format
from xlseg.writers.save import write_workbook

CSV_AS_SHOWN = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,true,false,false,-1"
P_VALUES = [0.0497, 0.5, 0.0004, 0.00321, 0.012]


def three_significant(p: float) -> str:
    """Written from the definition: "<0.001", else the decimals that give three significant digits."""
    return "<0.001" if p < 0.001 else f"{p:.{max(3, 2 - math.floor(math.log10(p)))}f}"


def _p_frame() -> pd.DataFrame:
    n = len(P_VALUES)
    return pd.DataFrame({
        "g": [f"s{i}" for i in range(n)] + ["Total"],
        "users": [100] * n + [100 * n], "share": [1 / n] * n + [1.0],
        "x rate": [0.1] * n + [0.1], "x rate lift": [0.1, 0.0, -0.2, 0.3, 0.0001] + [0.0],
        "x rate p": P_VALUES + [np.nan], "low_n": [False] * (n + 1),
    })


@pytest.fixture(scope="module")
def people() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    n = 600
    return pd.DataFrame({"plan": rng.choice(["Free", "Pro"], n), "birth_year": rng.integers(1950, 2006, n),
                         "zip": rng.integers(10000, 99999, n), "spend": rng.integers(1000, 90000, n)})


@pytest.fixture(scope="module")
def written(people, tmp_path_factory):
    root = tmp_path_factory.mktemp("stored")
    people_report = report(people, by="plan", metrics="birth_year:median,mean,min; zip:min; spend:median")
    path = people_report.to_excel(root / "people.xlsx")
    block = breakdown_block(_p_frame(), ["g"], table_name="pvalues", chart=False, caption=False)
    p_path = write_workbook([SheetLayout("p", "p-values", None, [block])], root / "p.xlsx")
    return root, path, p_path


def _as_shown(soffice, files, root, book, sheet):
    soffice(files, CSV_AS_SHOWN, root / "csv")
    with open(root / "csv" / f"{book}-{sheet}.csv", newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def test_p_formats_give_three_significant_digits():
    for p in P_VALUES + [0.1, 0.0999, 0.001, 0.00999, 1.0]:
        assert format_number(p, p_format(p) if p >= 0.001 else "[<0.001]\"<0.001\";0.000") == three_significant(p)
    assert p_format(0.0497) == "0.0000" and p_format(0.5) == "0.000" and p_format(0.004) == "0.00000"


def test_years_and_codes_have_no_thousands_separator(people):
    frame = pd.DataFrame({"birth_year median": [1987.0, 1990.0], "birth_year mean": [1987.4, 1990.1],
                          "zip min": [10011.0, 10020.0], "spend median": [4500.0, 51000.0],
                          "spend sum": [1500.0, 2500.0]})
    formats = {c: number_format(c, frame) for c in frame.columns}
    assert formats == {"birth_year median": "0", "birth_year mean": "0.0", "zip min": "0",
                       "spend median": "#,##0", "spend sum": "#,##0"}
    assert format_number(1987.0, "0") == "1987" and format_number(1987.44, "0.0") == "1987.4"


@pytest.mark.libreoffice
@pytest.mark.filterwarnings("ignore:.*extension is not supported:UserWarning")
def test_libreoffice_shows_exact_p_values_and_plain_years(soffice, written, people):
    root, path, p_path = written
    rows = _as_shown(soffice, [p_path, path], root, "p", "p")
    start = next(i for i, row in enumerate(rows) if row and row[0] == "g")
    at = rows[start].index("x rate p")
    assert [row[at] for row in rows[start + 1:start + 1 + len(P_VALUES)]] == [three_significant(p) for p in P_VALUES]
    ws = load_workbook(p_path)["p"]
    stored = [ws.cell(start + 2 + i, at + 1).value for i in range(len(P_VALUES))]
    assert stored == P_VALUES  # the cells hold the p-values themselves
    lift_at = rows[start].index("x rate lift")
    assert rows[start + 5][lift_at] == "0.0%" and ws.cell(start + 6, lift_at + 1).value == 0.0001

    rows = _as_shown(soffice, [path], root, "people", "plan")
    start = next(i for i, row in enumerate(rows) if row and row[0] == "plan")
    header = rows[start]
    expected = people.groupby("plan").agg(median=("birth_year", "median"), minimum=("birth_year", "min"),
                                          zipmin=("zip", "min"), spend=("spend", "median"))
    medians = [*expected["median"], people["birth_year"].median()]
    decimals = 0 if all(float(m).is_integer() for m in medians) else 1  # a median of an even count may end in .5
    for row in rows[start + 1:start + 3]:
        plan = row[0]
        assert row[header.index("birth_year median")] == f"{expected.loc[plan, 'median']:.{decimals}f}"
        assert row[header.index("birth_year min")] == str(expected.loc[plan, "minimum"])
        assert row[header.index("zip min")] == str(expected.loc[plan, "zipmin"])
        assert row[header.index("spend median")] == f"{math.floor(expected.loc[plan, 'spend'] + 0.5):,}"  # half up
