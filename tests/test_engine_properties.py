"""Property tests: every figure of ``breakdown`` against a plain pandas computation written here.

Random tables (1–300 rows) with 1–3 text dimensions (small alphabets, missing labels), a float metric
(NaN, ties, zeros, negatives), a nullable boolean flag and a date column. For every aggregation, with and
without subtotals, every segment row, every subtotal row and the grand total is compared with
``DataFrame.groupby(dropna=False)`` on the raw data; the "(missing)" segment is pandas' NaN group.
Intervals and p-values are compared with scipy / statsmodels computed on the rows themselves.
"""

from __future__ import annotations

import math
import warnings
from unittest import mock

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy import stats as sps
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportion_confint, proportions_ztest

import xlseg
from xlseg import parallel

MISSING = "(missing)"
TOTAL = "Total"
DIMS = ["d0", "d1", "d2"]
ROLES = {"d0": "dimension", "d1": "dimension", "d2": "dimension", "m": "metric", "f": "flag", "dt": "date"}
METRIC_AGGS = ["mean", "median", "sum", "min", "max", "count", "nunique", "p10", "p90"]
DATE_AGGS = ["min", "max", "median", "count", "nunique", "p10", "p90"]
FLAG_AGGS = ["rate", "count", "sum", "mean"]

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FEWER = settings(SETTINGS, max_examples=35)  # for properties the others already cover in part

ALPHABETS = [["a", "b"], ["x", "y", "Zed", "é"], ["one", "two", "three", "B", "a"]]
TIED_FLOATS = [0.0, 0.0, 1.0, -1.0, 2.5, 2.5, -3.75, 100.0, 0.001, math.nan, math.nan]
DATES = [pd.Timestamp("2024-01-01") + pd.Timedelta(days=int(d)) for d in (0, 1, 15, 31, 45, 90, 200, 366, 400)]


def _codes(n: int, high: int) -> st.SearchStrategy[np.ndarray]:
    """n codes in -1..high (-1 = missing)."""
    return hnp.arrays(np.int8, n, elements=st.integers(-1, high))


@st.composite
def tables(draw: st.DrawFn, max_dims: int = 3) -> pd.DataFrame:
    n = draw(st.integers(1, 300))
    dims = draw(st.integers(1, max_dims))
    data: dict[str, object] = {"user_id": np.arange(1, n + 1)}
    for j in range(dims):
        alphabet = np.array([*ALPHABETS[j], None], dtype=object)  # code -1 picks None
        codes = draw(_codes(n, len(ALPHABETS[j]) - 1))
        codes[0] = max(codes[0], 0)  # no column is entirely empty
        data[DIMS[j]] = pd.Series(alphabet[codes], dtype=object)
    number = st.one_of(st.sampled_from(TIED_FLOATS), st.integers(-10**6, 10**6).map(lambda i: i / 1000))
    values = draw(hnp.arrays(np.float64, n, elements=number))
    if np.isnan(values).all():
        values[0] = 0.0
    data["m"] = values
    flags = draw(_codes(n, 1))
    flags[0] = max(flags[0], 0)
    data["f"] = pd.array(np.where(flags < 0, None, flags == 1).tolist(), dtype="boolean")
    dates = draw(_codes(n, len(DATES) - 1))
    dates[0] = max(dates[0], 0)
    data["dt"] = pd.Series([DATES[i] if i >= 0 else pd.NaT for i in dates], dtype="datetime64[ns]")
    return pd.DataFrame(data)  # rows may be blank in every column a breakdown loads: still users


def roles_of(df: pd.DataFrame) -> dict[str, str]:
    return {c: r for c, r in ROLES.items() if c in df.columns}


def dims_of(df: pd.DataFrame) -> list[str]:
    return [c for c in DIMS if c in df.columns]


def label_order(series: pd.Series) -> list[str]:
    """Display order of a text dimension: labels sorted as Excel sorts text (ignoring case), "(missing)" last."""
    labels = sorted({str(v) for v in series.dropna()}, key=lambda label: (label.casefold(), label))
    return labels + ([MISSING] if series.isna().any() else [])


def key_of(labels: object) -> tuple[str, ...]:
    labels = labels if isinstance(labels, tuple) else (labels,)
    return tuple(MISSING if pd.isna(v) else str(v) for v in labels)


def quantile_of(agg: str) -> float | None:
    if agg == "median":
        return 0.5
    if agg.startswith("p"):
        return int(agg[1:]) / 100
    return None


def reference(values: pd.Series, agg: str) -> object:
    """The aggregation of all of a column's values (the grand total), with plain pandas Series methods."""
    q = quantile_of(agg)
    present = values.dropna()
    if agg == "count":
        return int(values.count())
    if agg == "nunique":
        return int(values.nunique(dropna=True))
    if q is not None:
        return present.quantile(q, interpolation="linear") if len(present) else np.nan
    if agg == "sum":
        return present.astype(float).sum()
    if agg in ("mean", "rate"):
        return present.astype(float).mean() if len(present) else np.nan
    return getattr(present, agg)() if len(present) else np.nan


def grouped_reference(grouped: pd.core.groupby.SeriesGroupBy, agg: str) -> pd.Series:
    """The aggregation per group, with pandas' own groupby methods."""
    q = quantile_of(agg)
    if q is not None and agg != "median":
        return grouped.quantile(q, interpolation="linear")
    method = {"rate": "mean"}.get(agg, agg)
    return getattr(grouped, method)()


def expected_table(
    df: pd.DataFrame, by: list[str], metrics: dict[str, list[str]], subtotals: bool
) -> dict[tuple[str, ...], dict[str, object]]:
    """Every expected output row keyed by its labels: segments, subtotals (when asked) and the grand total."""
    out: dict[tuple[str, ...], dict[str, object]] = {}
    depths = range(1, len(by) + 1) if subtotals else [len(by)]
    for depth in depths:
        grouped = df.groupby(by[:depth], dropna=False, sort=False)
        columns = {"users": grouped.size()}
        for column, aggs in metrics.items():
            for agg in aggs:
                columns[f"{column} {agg}"] = grouped_reference(grouped[column], agg)
        frame = pd.DataFrame(columns)
        for labels, row in zip(frame.index, frame.to_dict("records"), strict=True):
            out[key_of(labels) + (TOTAL,) * (len(by) - depth)] = row
    total: dict[str, object] = {"users": len(df)}
    for column, aggs in metrics.items():
        for agg in aggs:
            total[f"{column} {agg}"] = reference(df[column], agg)
    out[(TOTAL,) * len(by)] = total
    return out


def expected_order(df: pd.DataFrame, by: list[str], keys: list[tuple[str, ...]]) -> list[tuple[str, ...]]:
    """Label order: each dimension by its display order, a subtotal after its detail rows, Total last."""
    ranks = [{label: i for i, label in enumerate(label_order(df[c]))} for c in by]

    def sort_key(key: tuple[str, ...]) -> tuple[float, ...]:
        return tuple(math.inf if label == TOTAL else ranks[j][label] for j, label in enumerate(key))

    return sorted(keys, key=sort_key)


def assert_close(actual: object, expected: object, what: str) -> None:
    if isinstance(expected, pd.Timestamp) or isinstance(actual, (pd.Timestamp, np.datetime64)):
        a, e = pd.Timestamp(actual), pd.Timestamp(expected)
        if pd.isna(e):
            assert pd.isna(a), f"{what}: {a!r} != NaT"
            return
        assert not pd.isna(a), f"{what}: NaT != {e}"
        assert abs((a - e).total_seconds()) <= 1, f"{what}: {a} != {e}"
        return
    if pd.isna(expected):
        assert pd.isna(actual), f"{what}: {actual!r} != NaN"
        return
    assert not pd.isna(actual), f"{what}: NaN != {expected!r}"
    assert math.isclose(float(actual), float(expected), rel_tol=1e-9, abs_tol=1e-9), f"{what}: {actual} != {expected}"


def rows_by_key(result: pd.DataFrame, by: list[str]) -> dict[tuple[str, ...], dict[str, object]]:
    keys = [tuple(r) for r in result[by].itertuples(index=False, name=None)]
    assert len(set(keys)) == len(keys), f"duplicate rows: {keys}"
    return dict(zip(keys, result.to_dict("records"), strict=True))


def check_breakdown(df: pd.DataFrame, by: list[str], metrics: dict[str, list[str]], subtotals: bool) -> pd.DataFrame:
    result = xlseg.breakdown(df, by, metrics, subtotals=subtotals, roles=roles_of(df))
    expected = expected_table(df, by, metrics, subtotals)
    got = rows_by_key(result, by)
    assert set(got) == set(expected)
    assert list(got) == expected_order(df, by, list(expected))
    names = by + ["users", "share"] + [f"{c} {a}" for c, aggs in metrics.items() for a in aggs]
    assert list(result.columns) == names
    assert result["users"].dtype == np.int64
    for key, want in expected.items():
        row = got[key]
        assert row["users"] == want["users"], key
        assert row["share"] == want["users"] / len(df), key  # exact: the same division
        for name in names[len(by) + 2:]:
            assert_close(row[name], want[name], f"{key} {name}")
    return result


@SETTINGS
@given(df=tables(), subtotals=st.booleans())
def test_metric_aggregations_match_pandas(df: pd.DataFrame, subtotals: bool) -> None:
    check_breakdown(df, dims_of(df), {"m": METRIC_AGGS}, subtotals)


@SETTINGS
@given(df=tables(), subtotals=st.booleans())
def test_flag_and_date_aggregations_match_pandas(df: pd.DataFrame, subtotals: bool) -> None:
    check_breakdown(df, dims_of(df), {"f": FLAG_AGGS, "dt": DATE_AGGS}, subtotals)


@FEWER
@given(df=tables(), subtotals=st.booleans())
def test_columns_aggregated_in_threads_match_pandas(df: pd.DataFrame, subtotals: bool) -> None:
    # large tables clean and aggregate their columns in threads; force that path on small random tables
    with mock.patch.object(parallel, "PARALLEL_ROWS", 1):
        check_breakdown(df, dims_of(df), {"m": METRIC_AGGS, "f": FLAG_AGGS, "dt": DATE_AGGS}, subtotals)


@FEWER
@given(df=tables(), subtotals=st.booleans(), data=st.data())
def test_any_order_of_dimensions_and_counts_without_metrics(df: pd.DataFrame, subtotals: bool, data) -> None:
    by = list(data.draw(st.permutations(dims_of(df))))
    result = check_breakdown(df, by, {}, subtotals)  # only the dimensions are loaded
    detail = result[~result[by].eq(TOTAL).any(axis=1)]
    assert detail["users"].sum() == len(df)
    assert math.isclose(detail["share"].sum(), 1.0)


@FEWER
@given(df=tables(max_dims=1))
def test_missing_segment_is_pandas_nan_group(df: pd.DataFrame) -> None:
    result = xlseg.breakdown(df, "d0", {"m": ["sum", "count"]}, roles=roles_of(df))
    missing = result[result["d0"] == MISSING]
    nan_rows = df[df["d0"].isna()]
    if nan_rows.empty:
        assert missing.empty
    else:
        assert missing["users"].tolist() == [len(nan_rows)]
        assert_close(missing["m sum"].iloc[0], nan_rows["m"].sum(), "missing sum")
        assert missing["m count"].tolist() == [nan_rows["m"].count()]
        assert result.index[-2] == missing.index[0]  # "(missing)" is the last segment, before Total


# --------------------------------------------------------------------------- statistics on random tables


def _raw_welch(a: np.ndarray, b: np.ndarray) -> float:
    if len(a) < 2 or len(b) < 2:
        return np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return float(sps.ttest_ind(a, b, equal_var=False).pvalue)


def _raw_ztest(a: np.ndarray, b: np.ndarray) -> float:
    if len(a) == 0 or len(b) == 0:
        return np.nan
    if a.sum() + b.sum() in (0, len(a) + len(b)):
        return 1.0  # everyone (or no one) has the flag: statsmodels divides 0 by 0; no difference to test
    return float(proportions_ztest([a.sum(), b.sum()], [len(a), len(b)])[1])


def _bh(raw: dict[tuple[str, ...], float]) -> dict[tuple[str, ...], float]:
    keys = [k for k, p in raw.items() if not np.isnan(p)]
    out = dict.fromkeys(raw, np.nan)
    if keys:
        adjusted = multipletests([raw[k] for k in keys], method="fdr_bh")[1]
        out.update(zip(keys, adjusted, strict=True))
    return out


def assert_close_p(actual: float, expected: float, what: str) -> None:
    if np.isnan(expected):
        assert np.isnan(actual), f"{what}: {actual} != NaN"
    else:
        assert actual == pytest.approx(expected, rel=1e-6, abs=1e-10), what


@SETTINGS
@given(df=tables(max_dims=2), subtotals=st.booleans(), confidence=st.sampled_from([0.8, 0.9, 0.95, 0.99]))
def test_intervals_and_p_values_match_scipy_and_statsmodels(df: pd.DataFrame, subtotals: bool, confidence: float):
    by = dims_of(df)
    result = xlseg.breakdown(
        df, by, {"m": "mean", "f": "rate"}, subtotals=subtotals, roles=roles_of(df),
        intervals=True, compare=True, confidence=confidence,
    )
    got = rows_by_key(result, by)
    overall_mean = df["m"].mean()
    overall_rate = df["f"].dropna().astype(float).mean()
    total = got[(TOTAL,) * len(by)]
    assert pd.isna(total["m mean p"]) and pd.isna(total["f rate p"])
    if overall_mean != 0:
        assert total["m mean lift"] == pytest.approx(0.0, abs=1e-12)
    depths = range(1, len(by) + 1) if subtotals else [len(by)]
    for depth in depths:  # Benjamini–Hochberg adjusts across the segments of one level
        raw_mean, raw_rate, degenerate = {}, {}, False
        keys = by[:depth] if depth > 1 else by[0]  # a one-element list would make the group keys tuples
        for labels, index in df.groupby(keys, dropna=False, sort=False).groups.items():
            key = key_of(labels) + (TOTAL,) * (len(by) - depth)
            inside = df.index.isin(index)
            a, b = df.loc[inside, "m"].dropna().to_numpy(), df.loc[~inside, "m"].dropna().to_numpy()
            raw_mean[key] = _raw_welch(a, b)
            # with no spread on either side scipy's p depends on rounding in its variance; tested in test_stats.py
            degenerate |= len(a) >= 2 and len(b) >= 2 and np.ptp(a) == 0 and np.ptp(b) == 0
            fa = df.loc[inside, "f"].dropna().astype(float).to_numpy()
            fb = df.loc[~inside, "f"].dropna().astype(float).to_numpy()
            raw_rate[key] = _raw_ztest(fa, fb)
            row = got[key]
            if len(a) >= 2 and np.ptp(a) > 0:
                lo, hi = sps.t.interval(confidence, len(a) - 1, loc=a.mean(), scale=sps.sem(a))
                assert row["m mean lo"] == pytest.approx(lo, rel=1e-7, abs=1e-9), key
                assert row["m mean hi"] == pytest.approx(hi, rel=1e-7, abs=1e-9), key
            elif len(a) < 2:
                assert pd.isna(row["m mean lo"]) and pd.isna(row["m mean hi"]), key
            else:  # all values equal: a zero-width interval at the value
                assert row["m mean lo"] == pytest.approx(a[0]) and row["m mean hi"] == pytest.approx(a[0]), key
            if len(fa):
                lo, hi = proportion_confint(fa.sum(), len(fa), alpha=1 - confidence, method="wilson")
                assert row["f rate lo"] == pytest.approx(lo, rel=1e-9, abs=1e-12), key
                assert row["f rate hi"] == pytest.approx(hi, rel=1e-9, abs=1e-12), key
            else:
                assert pd.isna(row["f rate lo"]) and pd.isna(row["f rate hi"]), key
            if len(a) and overall_mean != 0:
                assert row["m mean lift"] == pytest.approx(a.mean() / overall_mean - 1, rel=1e-7, abs=1e-9), key
            if len(fa) and overall_rate > 0:
                assert row["f rate lift"] == pytest.approx(fa.mean() / overall_rate - 1, rel=1e-9, abs=1e-12), key
        if not degenerate:
            for key, p in _bh(raw_mean).items():
                assert_close_p(got[key]["m mean p"], p, f"{key} mean p")
        for key, p in _bh(raw_rate).items():
            assert_close_p(got[key]["f rate p"], p, f"{key} rate p")
