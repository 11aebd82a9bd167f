"""Odd and hostile tables found by fuzzing the faces: each test is one failure seen before its fix."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from xlseg.cli import main
from xlseg.engine.breakdowns import breakdown
from xlseg.errors import XlsegError
from xlseg.excel.udfs import SEG_BINS, SEG_BREAKDOWN
from xlseg.reporting import report
from xlseg.spec import parse_bins


def _labels_frame() -> pd.DataFrame:
    """A category literally named "(missing)" beside real blanks (and a numeric column, so no row is empty)."""
    label = ["(missing)"] * 3 + [None] * 2 + ["a"] * 5 + ["b"] * 4 + ["c"]
    return pd.DataFrame({"label": label, "x": np.arange(len(label), dtype=float)})


def test_a_category_named_missing_keeps_its_own_row_apart_from_blanks() -> None:
    """Before: two rows both labelled "(missing)" (3 and 2 users)."""
    df = _labels_frame()
    result = breakdown(df, "label")
    expected = df["label"].fillna("<blank>").value_counts()
    assert result["label"].tolist() == ["(missing)", "a", "b", "c", "(missing value)", "Total"]
    assert result["users"].tolist() == [expected["(missing)"], 5, 4, 1, expected["<blank>"], len(df)]


def test_top_n_never_folds_blank_rows_into_other() -> None:
    """Before: with top=2 the 2 blank rows went into Other and the real "(missing)" category kept the label."""
    df = _labels_frame()
    result = breakdown(df, "label", top=2).set_index("label")["users"]
    blanks = int(df["label"].isna().sum())
    assert result["(missing value)"] == blanks == 2
    assert result["Other"] == int(df["label"].isin(["(missing)", "c"]).sum()) == 4
    assert result["Total"] == len(df)


@pytest.mark.parametrize("spec", ["edges:-inf,20", "edges:20,inf", "edges:nan,20", "edges:1e400"])
def test_edges_must_be_finite(spec: str) -> None:
    """Before: KeyError: -inf from the label formatter (CLI: internal error, exit 1)."""
    with pytest.raises(XlsegError, match="finite numbers"):
        parse_bins(spec)
    rows = [["age", "x"], *([float(a), 1.0] for a in range(10, 60))]
    assert SEG_BREAKDOWN(rows, "age", None, f"bins=age:{spec}").startswith("Bin edges")


@pytest.mark.parametrize("spec", ["equal:1000000000", "q5000"])
def test_too_many_bins_is_an_error_not_a_hang(spec: str) -> None:
    """Before: equal:1000000000 ran for minutes building a billion labels."""
    with pytest.raises(XlsegError, match="at most 1,000"):
        parse_bins(spec)


def test_negative_bin_count_says_so() -> None:
    """Before: "custom edges must be numbers like 18,25,35" for equal:-1."""
    with pytest.raises(XlsegError, match="count of at least 1"):
        parse_bins("equal:-1")


def test_equal_width_bins_near_the_float_limit() -> None:
    """Before: high - low overflowed to inf, the edges became NaN and SEG_BINS failed with KeyError."""
    values = [1.0, 1e308, -1e308, 5e307, -2.0]
    labels = [row[0] for row in SEG_BINS([[v] for v in values], "equal:4")]
    edges = np.array([-1e308, -5e307, 0.0, 5e307, 1e308])
    expected_bins = np.clip(np.searchsorted(edges, values, side="right") - 1, 0, 3)
    assert expected_bins.tolist() == [2, 3, 0, 3, 1]
    assert len({(label, b) for label, b in zip(labels, expected_bins, strict=True)}) == len(set(labels)) == 4
    assert labels == ["0–<5e+307", "5e+307–1e+308", "-1e+308–<-5e+307", "5e+307–1e+308", "-5e+307–<0"]
    assert max(len(label) for label in labels) < 40  # not 309-digit integers


def test_control_characters_in_titles_and_names_write_a_file(tmp_path: Path) -> None:
    """Before: openpyxl IllegalCharacterError ("internal error") for --title 'a\\x01b' or such a column name."""
    df = pd.DataFrame({"lab\x01el": ["a", "b"] * 20, "x": np.arange(40.0)})
    path = report(df, by=["lab\x01el"], title="Q3\x01 users").to_excel(tmp_path / "r.xlsx")
    book = load_workbook(path)
    assert book["Summary"]["A1"].value == "Q3\ufffd users"
    assert book.worksheets[1]["A1"].value == "By lab\ufffdel"


def test_left_out_breakdowns_keep_column_names_with_colons_whole() -> None:
    """Before: "'dim 6 [x]" left out… — the name was cut at its colon and lost its closing quote."""
    rng = np.random.default_rng(0)
    df = pd.DataFrame({f"dim {i} [x]: part {i}": rng.choice(list("abc"), 200) for i in range(8)})
    result = report(df)
    notes = [line for block in result.sheets[0].blocks for line in block.notes if "Left out" in line]
    assert len(notes) == 1 and "Left out: 'dim 6 [x]: part 6', 'dim 7 [x]: part 7': at most 6" in notes[0]


def test_a_wide_table_gets_one_left_out_line_naming_eight_columns() -> None:
    rng = np.random.default_rng(1)
    df = pd.DataFrame({f"c{i}": rng.choice(list("abc"), 100) for i in range(30)})
    notes = [line for block in report(df).sheets[0].blocks for line in block.notes if "Left out" in line]
    assert len(notes) == 1
    assert "'c6', 'c7', 'c8', 'c9', 'c10', 'c11', 'c12', 'c13' and 16 more: at most 6 breakdowns" in notes[0]


@pytest.mark.parametrize("value", ["TRUE", "FALSE", 1, 0])
def test_rate_of_a_flag_column_with_one_value(value: object) -> None:
    """Before: "'converted' is not a flag column … use mean or sum" when every user had the same TRUE/0."""
    df = pd.DataFrame({"device": ["ios", "web", "ios", "android"] * 10, "converted": [value] * 40})
    result = breakdown(df, "device", "converted:rate")
    expected = 1.0 if value in ("TRUE", 1) else 0.0
    assert result["converted rate"].tolist() == [expected] * 4


def test_rate_of_a_number_column_is_still_refused() -> None:
    df = pd.DataFrame({"device": ["ios", "web"] * 10, "revenue": np.arange(20.0)})
    with pytest.raises(XlsegError, match="not a flag column"):
        breakdown(df, "device", "revenue:rate")


@pytest.fixture
def blank_column_csv(tmp_path: Path) -> Path:
    path = tmp_path / "users.csv"
    pd.DataFrame({"device": ["ios", "web", "ios"] * 20, "revenue": np.arange(60.0), "coupon": [None] * 60}
                 ).to_csv(path, index=False)
    return path


def test_report_by_an_all_blank_column(blank_column_csv: Path, tmp_path: Path) -> None:
    """Before: "column 'coupon' not found; columns are 'device', 'revenue'" though the file has it."""
    out = tmp_path / "r.xlsx"
    assert main(["report", str(blank_column_csv), "-o", str(out), "--by", "coupon", "--quiet"]) == 0
    frame = report(blank_column_csv, by=["coupon"]).frames["coupon"][0]
    assert frame["coupon"].tolist() == ["(missing)", "Total"]
    assert frame["users"].tolist() == [60, 60]


def test_bins_for_an_unknown_column_is_an_error(blank_column_csv: Path, tmp_path: Path, capsys) -> None:
    """Before: --bins Revenue=q4 (a typo) was ignored and the report written without bins."""
    code = main(["report", str(blank_column_csv), "-o", str(tmp_path / "r.xlsx"), "--by", "revenue",
                 "--bins", "Revenue=q4", "--quiet"])
    assert code == 2
    assert capsys.readouterr().err.strip() == "xlseg: error: column 'Revenue' not found; did you mean 'revenue'?"
    assert not (tmp_path / "r.xlsx").exists()
