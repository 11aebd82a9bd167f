"""``xlseg.crosstab`` against ``pd.crosstab`` / ``groupby`` computed here, with totals from the data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import xlseg
from xlseg import XlsegError

MISSING = "(missing)"


@pytest.fixture
def df() -> pd.DataFrame:
    rng = np.random.default_rng(5)
    n = 300
    return pd.DataFrame(
        {
            "plan": rng.choice(["Free", "Pro", "Team", None], n, p=[0.5, 0.3, 0.15, 0.05]),
            "device": rng.choice(["Mobile", "Desktop", "Tablet"], n, p=[0.6, 0.35, 0.05]),
            "country": rng.choice(["US", "UK"], n),
            "revenue": np.where(rng.random(n) < 0.1, np.nan, np.round(rng.gamma(2.0, 20.0, n), 2)),
            "converted": rng.random(n) < 0.3,
        }
    )


def labelled(frame: pd.DataFrame, *columns: str) -> pd.DataFrame:
    out = frame.copy()
    for c in columns:
        out[c] = out[c].fillna(MISSING)
    return out


def as_pivot(result: pd.DataFrame, rows: str) -> pd.DataFrame:
    return result.set_index(rows).rename_axis(None).rename(columns=str)


def reference_crosstab(frame: pd.DataFrame, rows: str, columns: str, normalize: object = False) -> pd.DataFrame:
    data = labelled(frame, rows, columns)
    ref = pd.crosstab(data[rows], data[columns], margins=True, margins_name="Total", normalize=normalize)
    return ref.rename_axis(None).rename_axis(None, axis=1)


def order_like(result: pd.DataFrame, ref: pd.DataFrame) -> pd.DataFrame:
    return ref.reindex(index=result.index, columns=result.columns)


def test_counts_match_pd_crosstab_with_margins(df: pd.DataFrame) -> None:
    result = as_pivot(xlseg.crosstab(df, "plan", "device"), "plan")
    ref = reference_crosstab(df, "plan", "device")
    assert result.index.tolist() == ["Free", "Pro", "Team", MISSING, "Total"]
    assert result.columns.tolist() == ["Desktop", "Mobile", "Tablet", "Total"]
    pd.testing.assert_frame_equal(result, order_like(result, ref), check_dtype=False)


@pytest.mark.parametrize("normalize", ["row", "column", "all"])
def test_normalize_matches_pd_crosstab(df: pd.DataFrame, normalize: str) -> None:
    result = as_pivot(xlseg.crosstab(df, "plan", "device", normalize=normalize), "plan")
    pandas_name = {"row": "index", "column": "columns", "all": "all"}[normalize]
    ref = reference_crosstab(df, "plan", "device", normalize=pandas_name)
    # pandas leaves out the margin it normalized by (the all-ones column or row); xlseg shows it as 1
    if normalize == "row":
        ref["Total"] = 1.0
    if normalize == "column":
        ref.loc["Total"] = 1.0
    pd.testing.assert_frame_equal(result, order_like(result, ref), check_dtype=False, rtol=1e-12)


def test_sum_normalized_by_row_is_the_share_of_the_row_sum(df: pd.DataFrame) -> None:
    result = as_pivot(xlseg.crosstab(df, "plan", "device", "revenue", "sum", normalize="row"), "plan")
    data = labelled(df, "plan")
    sums = data.pivot_table(index="plan", columns="device", values="revenue", aggfunc="sum")
    expected = sums.div(data.groupby("plan")["revenue"].sum(), axis=0)
    assert result.loc["Pro", "Mobile"] == pytest.approx(expected.loc["Pro", "Mobile"])
    assert result.loc["Total", "Desktop"] == pytest.approx(
        df.loc[df["device"] == "Desktop", "revenue"].sum() / df["revenue"].sum()
    )
    assert result["Total"].tolist() == pytest.approx([1.0] * len(result))


@pytest.mark.parametrize("agg", ["mean", "median", "sum", "min", "max", "count", "nunique", "p90"])
def test_aggregations_with_totals_from_the_rows(df: pd.DataFrame, agg: str) -> None:
    result = as_pivot(xlseg.crosstab(df, "plan", "device", "revenue", agg), "plan")
    data = labelled(df, "plan")

    def aggregate(values: pd.Series) -> float:
        if agg == "p90":
            return values.quantile(0.9)
        return getattr(values, agg)()

    for plan in result.index:
        in_row = data if plan == "Total" else data[data["plan"] == plan]
        for device in result.columns:
            cell = in_row if device == "Total" else in_row[in_row["device"] == device]
            expected = aggregate(cell["revenue"])
            if agg == "sum" and cell.empty:
                expected = np.nan  # an empty cell is blank, as in a PivotTable
            got = result.loc[plan, device]
            assert (np.isnan(got) and np.isnan(expected)) or got == pytest.approx(expected), (plan, device)


def test_totals_are_not_aggregates_of_aggregates() -> None:
    """The mean of cell means (and pandas' pivot_table margins with several aggfuncs) is not the total mean."""
    df = pd.DataFrame({"r": ["a", "a", "a", "a", "b"], "c": ["x", "x", "x", "y", "y"],
                       "v": [1.0, 1.0, 1.0, 10.0, 100.0]})
    mean = as_pivot(xlseg.crosstab(df, "r", "c", "v", "mean"), "r")
    median = as_pivot(xlseg.crosstab(df, "r", "c", "v", "median"), "r")
    assert mean.loc["a", "Total"] == pytest.approx(13 / 4)  # not (1 + 10) / 2
    assert mean.loc["Total", "y"] == pytest.approx(55.0)
    assert mean.loc["Total", "Total"] == pytest.approx(113 / 5)
    assert median.loc["a", "Total"] == 1.0  # not the median of the cell medians (5.5)
    assert median.loc["Total", "Total"] == 1.0
    assert median.loc["Total", "y"] == 55.0
    assert mean.loc["Total", "Total"] != pytest.approx(np.mean([1.0, 10.0, 100.0]))  # mean of cell means


def test_flag_rate_crosstab(df: pd.DataFrame) -> None:
    result = as_pivot(xlseg.crosstab(df, "country", "device", "converted", "rate"), "country")
    expected = df.pivot_table(index="country", columns="device", values="converted", aggfunc="mean")
    assert result.loc["US", "Mobile"] == pytest.approx(expected.loc["US", "Mobile"])
    assert result.loc["Total", "Total"] == pytest.approx(df["converted"].mean())


def test_several_row_and_column_dimensions(df: pd.DataFrame) -> None:
    result = xlseg.crosstab(df, ["country", "plan"], "device")
    counts = labelled(df, "plan").groupby(["country", "plan"]).size()
    detail = result.iloc[:-1].set_index(["country", "plan"])
    assert detail["Total"].tolist() == counts.reindex(detail.index).tolist()
    two = xlseg.crosstab(df, "plan", ["country", "device"])
    assert "UK / Mobile" in two.columns
    uk_mobile = ((df["country"] == "UK") & (df["device"] == "Mobile")).sum()
    assert two["UK / Mobile"].iloc[-1] == uk_mobile


def test_without_totals(df: pd.DataFrame) -> None:
    result = xlseg.crosstab(df, "plan", "device", totals=False)
    assert "Total" not in result.columns and "Total" not in result["plan"].tolist()
    assert result[["Desktop", "Mobile", "Tablet"]].to_numpy().sum() == len(df)


def test_a_real_total_category_keeps_its_numbers() -> None:
    df = pd.DataFrame({"r": ["a", "a", "b", "b", "b"], "c": ["Total", "x", "Total", "Total", "x"]})
    result = xlseg.crosstab(df, "r", "c")
    assert result.shape[1] == 4  # r, the real "Total" category, x and the totals column
    assert result["Total"].tolist() == [2, 3, 5]  # the totals column
    real = [c for c in result.columns if c not in ("r", "x", "Total")]
    assert len(real) == 1 and "Total" in real[0]
    assert result[real[0]].tolist() == [1, 2, 3]


def test_crosstab_errors(df: pd.DataFrame) -> None:
    with pytest.raises(XlsegError, match="count or sum"):
        xlseg.crosstab(df, "plan", "device", "revenue", "mean", normalize="row")
    with pytest.raises(XlsegError, match="row, column or all"):
        xlseg.crosstab(df, "plan", "device", normalize="index")
    with pytest.raises(XlsegError, match="value column"):
        xlseg.crosstab(df, "plan", "device", agg="mean")
    with pytest.raises(XlsegError, match="both a row and a column"):
        xlseg.crosstab(df, "plan", "plan")
    with pytest.raises(XlsegError, match="did you mean 'device'"):
        xlseg.crosstab(df, "plan", "devise")
    with pytest.raises(XlsegError, match="flag"):
        xlseg.crosstab(df, "plan", "device", "revenue", "rate")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=st.data(),
    normalize=st.sampled_from([None, "row", "column", "all"]),
)
def test_random_counts_match_pd_crosstab(data: st.DataObject, normalize: str | None) -> None:
    n = data.draw(st.integers(1, 200))
    rows = np.array(["a", "b", "c", None], dtype=object)[data.draw(hnp.arrays(np.int8, n, elements=st.integers(0, 3)))]
    cols = np.array(["x", "y", None], dtype=object)[data.draw(hnp.arrays(np.int8, n, elements=st.integers(0, 2)))]
    frame = pd.DataFrame({"r": rows, "c": cols, "v": np.arange(n) % 7 + 0.5})
    frame.loc[0, ["r", "c"]] = ["a", "x"]
    result = as_pivot(xlseg.crosstab(frame, "r", "c", normalize=normalize), "r")
    pandas_name = {None: False, "row": "index", "column": "columns", "all": "all"}[normalize]
    ref = reference_crosstab(frame, "r", "c", normalize=pandas_name)
    if normalize == "row":
        ref["Total"] = 1.0
    if normalize == "column":
        ref.loc["Total"] = 1.0
    assert set(result.index) == set(ref.index) and set(result.columns) == set(ref.columns)
    pd.testing.assert_frame_equal(result, order_like(result, ref), check_dtype=False, rtol=1e-12)


def test_a_row_dimension_named_total_keeps_its_labels():
    df = pd.DataFrame({"Total": ["a", "b", "a"], "c": ["x", "y", "y"]})
    result = xlseg.crosstab(df, "Total", "c")
    assert result.columns.tolist() == ["Total", "x", "y", "Total (all)"]
    assert result["Total"].tolist() == ["a", "b", "Total"]
    assert result["Total (all)"].tolist() == [2, 1, 3]


def test_a_column_category_named_total_is_named_after_its_dimension():
    df = pd.DataFrame({"plan": ["Free", "Pro", "Free", "Pro"], "device": ["Total", "Mobile", "Total", "Total"]})
    result = xlseg.crosstab(df, "plan", "device")
    assert result.columns.tolist() == ["plan", "Mobile", "Total (device)", "Total"]
    expected = pd.crosstab(df["plan"], df["device"], margins=True, margins_name="All")
    assert result["Total (device)"].tolist() == expected["Total"].tolist()  # the real category
    assert result["Total"].tolist() == expected["All"].tolist()  # the margin
    assert result["plan"].tolist() == ["Free", "Pro", "Total"]
