"""Missing-value words (issue 10, item 1) in every input path: CSV as R writes it, .xlsx, range values, DataFrames.

Expected figures come from the same table held with real NaN and computed with plain pandas.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from openpyxl import Workbook, load_workbook
from workbook_helpers import table_frame
from xlwings_stubs import call_like_excel, com_values, real_xlwings_decorators, windows_value_engine

from xlseg.cli import main
from xlseg.demo import make_users
from xlseg.engine.breakdowns import breakdown
from xlseg.engine.crosstabs import crosstab
from xlseg.io.load import load_table
from xlseg.reporting import report
from xlseg.schema import MISSING_LABEL, Role

WORDS = ["NA", "N/A", "n/a", "NaN", "null", "NULL", "None", "#N/A"]


@pytest.fixture(scope="module")
def truth() -> pd.DataFrame:
    """400 demo users with missing session lengths, revenues and plans (real NaN: the reference)."""
    users = make_users(400, seed=11)[["geography", "plan", "sessions", "session_length", "revenue"]].copy()
    rng = np.random.default_rng(5)
    for column, n in [("session_length", 40), ("revenue", 12), ("plan", 9)]:
        users.loc[rng.choice(len(users), n, replace=False), column] = np.nan
    return users


def marked(truth: pd.DataFrame) -> pd.DataFrame:
    """``truth`` as text with each missing cell spelt by one of the missing-value words, in turn."""
    cycle = iter(WORDS * 100)
    return truth.astype(object).map(lambda v: next(cycle) if pd.isna(v) else v if isinstance(v, str) else f"{v:.17g}")


def expected(truth: pd.DataFrame) -> pd.DataFrame:
    """Mean session length and revenue sum per plan with plain pandas (missing plan as its own group)."""
    grouped = truth.assign(plan=truth["plan"].fillna(MISSING_LABEL)).groupby("plan", sort=True)
    return pd.DataFrame({"users": grouped.size(), "mean": grouped["session_length"].mean(),
                         "sum": grouped["revenue"].sum()})


def check_breakdown(data: object, truth: pd.DataFrame, **kwargs: object) -> None:
    out = breakdown(data, "plan", "session_length:mean; revenue:sum", **kwargs).set_index("plan")
    want = expected(truth)
    got = out.drop(index="Total")
    assert got.index[-1] == MISSING_LABEL  # the missing plans form their own segment, last
    got = got.loc[want.index]
    np.testing.assert_array_equal(got["users"], want["users"])
    np.testing.assert_allclose(got["session_length mean"], want["mean"], rtol=1e-12)
    np.testing.assert_allclose(got["revenue sum"], want["sum"], rtol=1e-12)
    assert out.loc["Total", "session_length mean"] == pytest.approx(truth["session_length"].mean(), rel=1e-12)


def word_count_note(table, column: str) -> str:
    return next(n for n in table.notes if n.startswith(tuple("0123456789")) and f"in '{column}' held missing" in n)


def test_csv_as_r_writes_it(truth, tmp_path):
    """Before: one "NA" made session_length a text dimension of ~360 values, with no note on CSV."""
    path = tmp_path / "users.csv"
    truth.to_csv(path, index=False, na_rep="NA")
    table = load_table(path)
    assert table.roles["session_length"] == Role.METRIC and table.roles["revenue"] == Role.METRIC
    assert word_count_note(table, "session_length") == (
        "40 cells in 'session_length' held missing-value words (NA 40); read as missing")
    assert word_count_note(table, "plan").startswith("9 cells in 'plan'")
    check_breakdown(path, truth)


@pytest.mark.parametrize("shape", ["rows", "frame", "xlsx"])
def test_every_word_in_every_input_path(truth, tmp_path, shape):
    text = marked(truth)
    rows = [list(text.columns), *text.itertuples(index=False, name=None)]
    if shape == "rows":
        data: object = [list(r) for r in rows]
    elif shape == "frame":
        data = text
    else:
        book = Workbook()
        for r in rows:
            book.active.append(list(r))
        data = tmp_path / "users.xlsx"
        book.save(data)
    table = load_table(data)
    assert table.roles["session_length"] == Role.METRIC
    n_words = int(truth["session_length"].isna().sum())
    assert table.frame["session_length"].isna().sum() == n_words
    counted = sum(int(n.split()[0]) for n in table.notes if "'session_length'" in n and "missing" in n)
    assert counted == n_words  # words and #N/A error cells, every one counted in a note
    check_breakdown(data, truth)


def test_lone_punctuation_only_in_number_columns():
    rows = [["grade", "score", "comment"], ["A", "12.5", "-"], ["-", "?", "ok"], ["B", ".", "?"], ["A", "--", "fine"],
            ["C", "7", "-"]]
    table = load_table(rows)
    assert table.roles["score"] == Role.METRIC
    assert table.frame["score"].isna().tolist() == [False, True, True, True, False]
    assert "3 cells in 'score' held missing-value words" in " ".join(table.notes)
    assert table.frame["grade"].tolist()[1] == "-"  # a text column keeps its "-" label
    assert table.frame["comment"].tolist()[0] == "-"


def test_a_row_of_missing_words_is_a_user_not_an_empty_row():
    """A one-column range of scores: "-" and "NA" are users without a score (a blank row is dropped)."""
    rows = [["score"], ["4"], ["-"], ["NA"], [""], ["5"], ["?"]]
    table = load_table(rows)
    assert table.frame["score"].tolist()[:1] == [4.0] and len(table.frame) == 5
    assert table.notes == ["dropped 1 empty row",
                           "3 cells in 'score' held missing-value words (- 1, NA 1, ? 1); read as missing",
                           "'score' held 2 numbers stored as text; converted"]
    numbers = load_table(pd.DataFrame({"score": [4.0, -999.0, 5.0]}), na_values=-999)
    assert len(numbers.frame) == 3 and numbers.frame["score"].isna().tolist() == [False, True, False]


def test_na_values_option_in_every_face(truth, tmp_path):
    """A user's own marker (-999 in numbers, "unknown" in text) is read as missing when asked."""
    data = truth.copy()
    data["session_length"] = data["session_length"].fillna(-999.0)
    data["plan"] = data["plan"].astype(object).where(data["plan"].notna(), "unknown")
    table = load_table(data, na_values=["-999", "unknown"])
    assert table.frame["session_length"].isna().sum() == 40 and table.frame["plan"].isna().sum() == 9
    assert "40 cells in 'session_length' held missing-value words (-999 40); read as missing" in table.notes
    check_breakdown(data, truth, na_values=["-999", "unknown"])
    counts = crosstab(data, "plan", "geography", na_values="unknown").set_index("plan")
    assert counts.loc[MISSING_LABEL, "Total"] == 9
    # CLI: --na, repeatable
    path, out = tmp_path / "users.csv", tmp_path / "report.xlsx"
    data.to_csv(path, index=False)
    assert main(["report", str(path), "-o", str(out), "--by", "plan", "--metric", "session_length:mean",
                 "--na", "-999", "--na", "unknown", "--quiet"]) == 0
    sheet = table_frame(load_workbook(out)["plan"], "plan").set_index("plan")
    assert sheet.loc[MISSING_LABEL, "users"] == 9
    assert sheet.loc["Total", "session_length mean"] == pytest.approx(truth["session_length"].mean(), rel=1e-9)
    # report(): the Summary's Missing column counts the words
    summary = report(data, by="plan", na_values=["-999", "unknown"]).to_excel(tmp_path / "r.xlsx")
    assert summary_missing(summary, "plan") == 9 and summary_missing(summary, "session_length") == 40


def summary_missing(path, column: str) -> int:
    """The Missing count of ``column`` in the Summary sheet's table of columns."""
    columns = table_frame(load_workbook(path)["Summary"], "columns").set_index("Column")
    return int(columns.loc[column, "Missing"])


def test_summary_counts_a_text_dimensions_na(truth, tmp_path):
    path = tmp_path / "users.csv"
    truth.to_csv(path, index=False, na_rep="NA")
    out = report(path, by="plan").to_excel(tmp_path / "r.xlsx")
    assert summary_missing(out, "plan") == 9
    assert summary_missing(out, "session_length") == 40


def test_excel_formula_na_option(truth):
    data = truth.copy()
    data["plan"] = data["plan"].astype(object).where(data["plan"].notna(), "unknown")
    rows = [list(data.columns), *[[None if v != v else v for v in r] for r in data.itertuples(index=False)]]
    with real_xlwings_decorators("xlseg.excel.udfs") as modules, windows_value_engine():
        udfs = modules["xlseg.excel.udfs"]
        spilled = call_like_excel(udfs.SEG_BREAKDOWN, com_values(rows), "plan", "session_length:mean", "na=unknown")
    labels = [r[0] for r in spilled]
    assert MISSING_LABEL in labels and "unknown" not in labels
    assert spilled[labels.index(MISSING_LABEL)][1] == 9
