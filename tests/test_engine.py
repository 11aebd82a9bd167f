"""``xlseg.breakdown``: the seed example, options, statistics edge cases and error messages.

Every figure is checked against a computation written here with plain pandas / scipy / statsmodels.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps
from statsmodels.stats.proportion import proportion_confint

import xlseg
from xlseg import XlsegError

SEED = pd.DataFrame(
    {
        "user_id": [1, 2, 3, 4, 5, 6, 7, 8],
        "geography": ["USA", "USA", "UK", "UK", "India", "India", "India", "USA"],
        "device": ["Mobile", "Desktop", "Mobile", "Desktop", "Mobile", "Desktop", "Mobile", "Mobile"],
    }
)


@pytest.fixture
def users() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    n = 400
    return pd.DataFrame(
        {
            "plan": rng.choice(["Free", "Pro", "Team"], n, p=[0.6, 0.3, 0.1]),
            "device": rng.choice(["Mobile", "Desktop"], n),
            "revenue": np.round(rng.gamma(2.0, 20.0, n), 2),
            "converted": rng.random(n) < 0.3,
        }
    )


# ------------------------------------------------------------------------------------------- the seed


def test_seed_geography_by_device_gives_the_seed_counts() -> None:
    result = xlseg.breakdown(SEED, ["geography", "device"])
    seed_counts = SEED.groupby(["geography", "device"]).size().reset_index(name="user_count")
    detail = result.iloc[:-1]
    assert detail[["geography", "device"]].values.tolist() == seed_counts[["geography", "device"]].values.tolist()
    assert detail["users"].tolist() == seed_counts["user_count"].tolist()
    assert detail["share"].tolist() == (seed_counts["user_count"] / 8).tolist()
    assert result.iloc[-1].to_dict() == {"geography": "Total", "device": "Total", "users": 8, "share": 1.0}
    assert list(result.columns) == ["geography", "device", "users", "share"]


def test_seed_with_subtotals_and_every_input_shape() -> None:
    result = xlseg.breakdown(SEED, "geography, device", subtotals=True)
    assert result[["geography", "device", "users"]].values.tolist() == [
        ["India", "Desktop", 1], ["India", "Mobile", 2], ["India", "Total", 3],
        ["UK", "Desktop", 1], ["UK", "Mobile", 1], ["UK", "Total", 2],
        ["USA", "Desktop", 1], ["USA", "Mobile", 2], ["USA", "Total", 3],
        ["Total", "Total", 8],
    ]  # fmt: skip
    rows = [list(SEED.columns)] + SEED.values.tolist()  # an Excel range: header row, then values
    pd.testing.assert_frame_equal(xlseg.breakdown(rows, "geography, device", subtotals=True), result)
    table = xlseg.load_table(SEED)
    pd.testing.assert_frame_equal(xlseg.breakdown(table, ["geography", "device"], subtotals=True), result)


def test_breakdown_does_not_modify_its_input() -> None:
    before = SEED.copy()
    xlseg.breakdown(SEED, ["geography", "device"], top=1, min_size=2)
    pd.testing.assert_frame_equal(SEED, before)


# ----------------------------------------------------------------------------------- missing values


def test_users_blank_in_every_requested_column_still_count() -> None:
    df = pd.DataFrame({"user_id": ["u1", "u2", "u3", "u4"], "plan": ["Free", None, "Pro", None],
                       "revenue": [1.0, np.nan, 2.0, 3.0]})
    result = xlseg.breakdown(df, "plan")  # loads only 'plan': users u2 and u4 are blank there
    assert result["plan"].tolist() == ["Free", "Pro", "(missing)", "Total"]
    assert result["users"].tolist() == [1, 1, 2, 4]
    # the same users whichever metrics are asked for
    with_metric = xlseg.breakdown(df, "plan", {"revenue": "count"})
    assert with_metric["users"].tolist() == [1, 1, 2, 4]


def test_missing_labels_get_their_own_segment_last() -> None:
    df = pd.DataFrame({"plan": ["Pro", None, "Free", "  ", "Pro"], "revenue": [1.0, 2.0, 3.0, 4.0, 5.0]})
    result = xlseg.breakdown(df, "plan", {"revenue": ["sum", "count"]})
    assert result["plan"].tolist() == ["Free", "Pro", "(missing)", "Total"]
    assert result["users"].tolist() == [1, 2, 2, 5]
    assert result["revenue sum"].tolist() == [3.0, 6.0, 6.0, 15.0]


# ---------------------------------------------------------------------------------------- options


def test_min_size_flags_small_segments_without_hiding_them(users: pd.DataFrame) -> None:
    result = xlseg.breakdown(users, ["plan", "device"], min_size=30)
    expected = users.groupby(["plan", "device"]).size()
    detail = result.iloc[:-1]
    assert len(detail) == len(expected)
    assert detail["low_n"].tolist() == (expected < 30).tolist()
    assert detail["low_n"].any() and not detail["low_n"].all()
    assert not result["low_n"].iloc[-1]
    assert "low_n" not in xlseg.breakdown(users, "plan").columns
    assert xlseg.breakdown(users, "plan", min_size=5.0)["low_n"].tolist() == [False] * 4  # Excel's 5 is 5.0


def test_sort_by_users_and_by_metric(users: pd.DataFrame) -> None:
    by_users = xlseg.breakdown(users, "plan", sort="users")
    counts = users["plan"].value_counts()
    assert by_users["plan"].tolist()[:-1] == counts.index.tolist()
    assert by_users["plan"].iloc[-1] == "Total"
    ascending = xlseg.breakdown(users, "plan", sort="users", ascending=True)
    assert ascending["plan"].tolist()[:-1] == counts.index.tolist()[::-1]
    by_rate = xlseg.breakdown(users, "plan", {"converted": "rate"}, sort="converted rate")
    rates = users.groupby("plan")["converted"].mean().sort_values(ascending=False)
    assert by_rate["plan"].tolist()[:-1] == rates.index.tolist()
    assert by_rate["converted rate"].tolist()[:-1] == pytest.approx(rates.tolist())


def test_sort_with_subtotals_sorts_within_each_parent(users: pd.DataFrame) -> None:
    result = xlseg.breakdown(users, ["plan", "device"], {"revenue": "mean"}, sort="revenue mean", subtotals=True)
    plan_means = users.groupby("plan")["revenue"].mean().sort_values(ascending=False)
    subtotal_rows = result[(result["device"] == "Total") & (result["plan"] != "Total")]
    assert subtotal_rows["plan"].tolist() == plan_means.index.tolist()
    for plan in plan_means.index:
        block = result[result["plan"] == plan]
        assert block["device"].iloc[-1] == "Total"  # the subtotal follows its detail rows
        means = block["revenue mean"].iloc[:-1].tolist()
        assert means == sorted(means, reverse=True)
    assert result.iloc[-1][["plan", "device"]].tolist() == ["Total", "Total"]


def test_sort_puts_missing_values_last_both_ways() -> None:
    df = pd.DataFrame({"g": list("abcd"), "v": [2.0, np.nan, 1.0, 3.0], "k": ["x"] * 4})
    assert xlseg.breakdown(df, "g", {"v": "mean"}, sort="v mean")["g"].tolist() == ["d", "a", "c", "b", "Total"]
    descending = xlseg.breakdown(df, "g", {"v": "mean"}, sort="v mean", ascending=True)
    assert descending["g"].tolist() == ["c", "a", "d", "b", "Total"]


def test_sort_by_a_segment_column_is_a_clear_error() -> None:
    with pytest.raises(XlsegError, match="sort"):
        xlseg.breakdown(SEED, "geography", sort="geography")


def test_statistics_columns_only_when_asked(users: pd.DataFrame) -> None:
    metrics = {"revenue": ["mean", "median"], "converted": "rate"}
    plain = xlseg.breakdown(users, "plan", metrics)
    assert list(plain.columns) == ["plan", "users", "share", "revenue mean", "revenue median", "converted rate"]
    intervals = xlseg.breakdown(users, "plan", metrics, intervals=True)
    assert list(intervals.columns) == [
        "plan", "users", "share", "revenue mean", "revenue mean lo", "revenue mean hi", "revenue median",
        "converted rate", "converted rate lo", "converted rate hi",
    ]  # fmt: skip
    compare = xlseg.breakdown(users, "plan", metrics, compare=True)
    assert list(compare.columns) == [
        "plan", "users", "share", "revenue mean", "revenue mean lift", "revenue mean p", "revenue median",
        "converted rate", "converted rate lift", "converted rate p",
    ]  # fmt: skip
    both = xlseg.breakdown(users, "plan", metrics, compare=True, intervals=True, min_size=10)
    assert both.columns[-1] == "low_n"
    assert {"revenue mean lo", "revenue mean lift", "converted rate hi", "converted rate p"} <= set(both.columns)


def test_confidence_level_is_used(users: pd.DataFrame) -> None:
    narrow = xlseg.breakdown(users, "plan", {"converted": "rate"}, intervals=True, confidence=0.8)
    wide = xlseg.breakdown(users, "plan", {"converted": "rate"}, intervals=True, confidence=0.99)
    assert (wide["converted rate lo"] < narrow["converted rate lo"]).all()
    pro = users[users["plan"] == "Pro"]["converted"]
    lo, hi = proportion_confint(pro.sum(), len(pro), alpha=0.01, method="wilson")
    row = wide[wide["plan"] == "Pro"].iloc[0]
    assert row["converted rate lo"] == pytest.approx(lo) and row["converted rate hi"] == pytest.approx(hi)


@pytest.mark.parametrize("confidence", [0, 1, 1.5, -0.2, "high", None])
def test_bad_confidence_is_a_clear_error(confidence: object) -> None:
    with pytest.raises(XlsegError, match="confidence"):
        xlseg.breakdown(SEED, "geography", confidence=confidence)


# ------------------------------------------------------------------------ statistics: edge cases


def test_one_user_segment_has_no_interval_or_test_but_no_crash() -> None:
    df = pd.DataFrame({"g": ["solo", "b", "b", "b", "c", "c"], "v": [1.0, 2, 4, 3, 3, 5],
                       "f": [True, False, True, True, False, True]})
    result = xlseg.breakdown(df, "g", {"v": ["mean", "median", "p90"], "f": "rate"}, intervals=True, compare=True)
    solo = result[result["g"] == "solo"].iloc[0]
    assert solo["v mean"] == 1.0 and solo["v median"] == 1.0 and solo["v p90"] == 1.0
    assert np.isnan(solo["v mean lo"]) and np.isnan(solo["v mean hi"]) and np.isnan(solo["v mean p"])
    lo, hi = proportion_confint(1, 1, method="wilson")
    assert solo["f rate lo"] == pytest.approx(lo) and solo["f rate hi"] == pytest.approx(hi)
    assert solo["v mean lift"] == pytest.approx(1.0 / df["v"].mean() - 1)
    # the two testable segments are adjusted between themselves only
    b = df[df["g"] == "b"]["v"]
    p_b = sps.ttest_ind(b, df[df["g"] != "b"]["v"], equal_var=False).pvalue
    p_c = sps.ttest_ind(df[df["g"] == "c"]["v"], df[df["g"] != "c"]["v"], equal_var=False).pvalue
    adjusted = sps.false_discovery_control([p_b, p_c])
    assert result[result["g"] == "b"]["v mean p"].iloc[0] == pytest.approx(adjusted[0])
    assert result[result["g"] == "c"]["v mean p"].iloc[0] == pytest.approx(adjusted[1])


def test_table_of_one_user() -> None:
    df = pd.DataFrame({"g": ["a"], "v": [5.0], "f": [True]})
    result = xlseg.breakdown(df, "g", {"v": ["mean", "median", "p10", "sum"], "f": "rate"},
                             intervals=True, compare=True, min_size=2)
    assert result["users"].tolist() == [1, 1]
    assert result["v p10"].tolist() == [5.0, 5.0]
    assert result["v mean p"].isna().all() and result["f rate p"].isna().all()
    assert result["low_n"].tolist() == [True, True]


def test_all_equal_values_give_zero_width_intervals_and_p_one() -> None:
    df = pd.DataFrame({"g": list("aabbbcc"), "v": [5.0] * 7})
    result = xlseg.breakdown(df, "g", {"v": "mean"}, intervals=True, compare=True)
    assert result["v mean"].tolist() == [5.0] * 4
    assert result["v mean lo"].tolist() == [5.0] * 4 and result["v mean hi"].tolist() == [5.0] * 4
    assert result["v mean lift"].tolist() == [0.0] * 4
    assert result["v mean p"].iloc[:-1].tolist() == [1.0, 1.0, 1.0]


def test_flag_that_is_all_true() -> None:
    df = pd.DataFrame({"g": list("aabbbc"), "f": [True] * 6})
    result = xlseg.breakdown(df, "g", {"f": ["rate", "sum", "count"]}, intervals=True, compare=True)
    assert result["f rate"].tolist() == [1.0] * 4
    assert result["f sum"].tolist() == [2.0, 3.0, 1.0, 6.0]
    for n, (_, row) in zip([2, 3, 1, 6], result.iterrows(), strict=True):
        lo, hi = proportion_confint(n, n, method="wilson")
        assert row["f rate lo"] == pytest.approx(lo) and row["f rate hi"] == pytest.approx(1.0)
    assert result["f rate lift"].tolist() == [0.0] * 4
    assert result["f rate p"].iloc[:-1].tolist() == [1.0, 1.0, 1.0]  # no difference to find
    assert np.isnan(result["f rate p"].iloc[-1])


def test_segment_without_any_value_of_the_metric() -> None:
    df = pd.DataFrame({"g": ["a", "a", "b", "b", "b"], "v": [np.nan, np.nan, 1.0, 2.0, 4.0],
                       "f": pd.array([None, None, True, False, True], dtype="boolean")})
    result = xlseg.breakdown(df, "g", {"v": ["mean", "sum", "count", "min", "median"], "f": ["rate", "count"]},
                             intervals=True, compare=True)
    a = result[result["g"] == "a"].iloc[0]
    assert a["users"] == 2 and a["v count"] == 0 and a["f count"] == 0 and a["v sum"] == 0.0
    for column in ["v mean", "v min", "v median", "v mean lo", "v mean p", "v mean lift", "f rate", "f rate lo",
                   "f rate p"]:
        assert np.isnan(a[column]), column
    b = result[result["g"] == "b"].iloc[0]
    assert np.isnan(b["v mean p"])  # the rest has no values to compare with
    assert b["v mean lift"] == pytest.approx(0.0)


def test_lift_is_relative_to_the_overall_value(users: pd.DataFrame) -> None:
    result = xlseg.breakdown(users, "plan", {"revenue": "mean", "converted": "rate"}, compare=True)
    for _, row in result.iloc[:-1].iterrows():
        part = users[users["plan"] == row["plan"]]
        assert row["revenue mean lift"] == pytest.approx(part["revenue"].mean() / users["revenue"].mean() - 1)
        assert row["converted rate lift"] == pytest.approx(part["converted"].mean() / users["converted"].mean() - 1)


def test_many_groups_quantiles_match_pandas() -> None:
    """Thousands of segments (the vectorized quantile path), with ties and missing values."""
    rng = np.random.default_rng(11)
    n = 12_000
    df = pd.DataFrame({"a": rng.integers(0, 70, n).astype(str), "b": rng.integers(0, 60, n).astype(str),
                       "v": np.where(rng.random(n) < 0.1, np.nan, rng.integers(0, 20, n) / 4)})
    df["a"] = "a" + df["a"]
    df["b"] = "b" + df["b"]
    result = xlseg.breakdown(df, ["a", "b"], {"v": ["median", "p10", "p99", "nunique", "max"]}, subtotals=True)
    detail = result[(result["a"] != "Total") & (result["b"] != "Total")].set_index(["a", "b"])
    grouped = df.groupby(["a", "b"])["v"]
    assert len(detail) > 2000
    pd.testing.assert_series_equal(detail["v median"], grouped.median().reindex(detail.index), check_names=False)
    pd.testing.assert_series_equal(detail["v p10"], grouped.quantile(0.1).reindex(detail.index), check_names=False)
    pd.testing.assert_series_equal(detail["v p99"], grouped.quantile(0.99).reindex(detail.index), check_names=False)
    assert detail["v nunique"].tolist() == grouped.nunique().reindex(detail.index).tolist()
    subtotal = result[(result["b"] == "Total") & (result["a"] != "Total")].set_index("a")
    pd.testing.assert_series_equal(subtotal["v median"], df.groupby("a")["v"].median().reindex(subtotal.index),
                                   check_names=False)
    assert result["v p10"].iloc[-1] == df["v"].quantile(0.1)


@pytest.mark.parametrize("widths", [(3, 4, 5), (200, 3, 2), (130, 300, 2)])
def test_ids_in_narrow_and_wide_integer_types_match_pandas(widths: tuple[int, int, int]) -> None:
    """Codes stay int8/int16 where they fit; combined ids must not overflow (130 × 300 × 2 > int16)."""
    rng = np.random.default_rng(sum(widths))
    n = 40_000
    df = pd.DataFrame({name: pd.Series(rng.integers(0, w, n)).map(lambda i, p=name: f"{p}{i:03d}")
                       for name, w in zip("abc", widths, strict=True)})
    df.loc[rng.random(n) < 0.02, "a"] = None  # "(missing)" makes the first dimension one label wider
    df["v"] = rng.normal(10, 3, n)
    result = xlseg.breakdown(df, ["a", "b", "c"], {"v": ["mean", "sum"]}, subtotals=True)
    detail = result[(result[["a", "b", "c"]] != "Total").all(axis=1)]
    keyed = df.fillna({"a": "(missing)"})
    expected = keyed.groupby(["a", "b", "c"])["v"].agg(["size", "mean", "sum"])
    got = detail.set_index(["a", "b", "c"]).reindex(expected.index)
    assert got["users"].tolist() == expected["size"].tolist()
    np.testing.assert_allclose(got["v mean"], expected["mean"], rtol=1e-12)
    np.testing.assert_allclose(got["v sum"], expected["sum"], rtol=1e-12)
    middle = result[(result["a"] != "Total") & (result["b"] != "Total") & (result["c"] == "Total")]
    assert middle.set_index(["a", "b"])["users"].sort_index().tolist() == keyed.groupby(["a", "b"]).size().tolist()


def test_date_metrics_come_back_as_dates() -> None:
    df = pd.DataFrame({"g": ["a", "a", "b"], "signup": pd.to_datetime(["2024-01-01", "2024-01-04", "2023-05-06"])})
    result = xlseg.breakdown(df, "g", {"signup": ["min", "max", "median", "count"]})
    assert pd.api.types.is_datetime64_any_dtype(result["signup min"])
    assert result["signup median"].tolist() == [pd.Timestamp("2024-01-02 12:00"), pd.Timestamp("2023-05-06"),
                                                pd.Timestamp("2024-01-01")]
    assert result["signup count"].tolist() == [2, 1, 3]


# ------------------------------------------------------------------------------------------ errors


def _error(**kwargs: object) -> str:
    with pytest.raises(XlsegError) as info:
        xlseg.breakdown(**kwargs)
    message = str(info.value)
    assert "\n" not in message and len(message) < 300
    return message


def test_error_unknown_column_suggests_the_closest(users: pd.DataFrame) -> None:
    assert "did you mean 'plan'" in _error(data=users, by="plna")
    assert "did you mean 'revenue'" in _error(data=users, by="plan", metrics={"revenu": "mean"})
    assert "did you mean 'device'" in _error(data=users, by="Device")


def test_error_unknown_aggregation_lists_the_valid_ones(users: pd.DataFrame) -> None:
    message = _error(data=users, by="plan", metrics={"revenue": "averge"})
    assert "averge" in message and "mean" in message and "p1" in message
    assert "p0" in _error(data=users, by="plan", metrics="revenue:p0")
    assert "p100" in _error(data=users, by="plan", metrics="revenue:p100")


def test_error_rate_on_a_number_column(users: pd.DataFrame) -> None:
    message = _error(data=users, by="plan", metrics={"revenue": "rate"})
    assert "'revenue'" in message and "flag" in message and "mean" in message


def test_error_mean_on_a_text_column(users: pd.DataFrame) -> None:
    message = _error(data=users, by="plan", metrics={"device": "mean"})
    assert "'device'" in message and "mean" in message and "nunique" in message


def test_error_bad_bin_specs(users: pd.DataFrame) -> None:
    assert "q0" in _error(data=users, by="revenue", bins={"revenue": "q0"})
    assert "increasing" in _error(data=users, by="revenue", bins={"revenue": "edges:50,10"})
    assert "number" in _error(data=users, by="plan", bins={"plan": "q4"})
    assert "date" in _error(data=users, by="revenue", bins={"revenue": "month"})


def test_error_unbinned_number_column_with_many_values(users: pd.DataFrame) -> None:
    df = pd.DataFrame({"x": np.arange(2000) / 3, "g": ["a"] * 2000})
    assert "q4" in _error(data=df, by="x")


def test_error_no_by(users: pd.DataFrame) -> None:
    assert "segment by" in _error(data=users, by=None)
    assert "segment by" in _error(data=users, by=" , ")
    assert "twice" in _error(data=users, by="plan, plan")


@pytest.mark.parametrize("name", ["users", "share"])
def test_segment_column_named_like_an_output_column_is_refused(name: str) -> None:
    """A dimension called like an output column would be overwritten by the count: a clear error instead."""
    df = pd.DataFrame({name: ["a", "b", "b"], "v": [1.0, 2.0, 3.0]})
    expected = f"column '{name}' has the name of an output column; rename it to segment by it"
    with pytest.raises(XlsegError, match=f"^{re.escape(expected)}$"):
        xlseg.breakdown(df, name, {"v": "mean"})


def test_error_aggregation_that_does_not_fit_the_column_role() -> None:
    df = pd.DataFrame({"g": ["a", "b"] * 15, "uid": [f"u{i}" for i in range(30)],
                       "signup": pd.to_datetime(["2024-01-01", "2024-02-01"] * 15)})
    assert _error(data=df, by="g", metrics={"uid": "mean"}) == "'uid' is an id column; use count or nunique, not 'mean'"
    message = _error(data=df, by="g", metrics={"signup": "sum"})
    assert message.startswith("'signup' is a date column;") and "median" in message and "percentile" in message
    assert xlseg.breakdown(df, "g", {"signup": ["p25", "min"]})["signup p25"].notna().all()


def test_a_metric_column_without_values_says_so() -> None:
    df = pd.DataFrame({"g": ["a", "b"], "h": ["x", "y"], "empty": [None, None]})
    message = "'empty' has no values (every cell is blank), so it has no mean"
    with pytest.raises(XlsegError, match=re.escape(message)):
        xlseg.breakdown(df, "g", "empty:mean")
    with pytest.raises(XlsegError, match=re.escape(message)):
        xlseg.crosstab(df, "g", "h", "empty", "mean")
    assert xlseg.breakdown(df, "g", "empty:count")["empty count"].tolist() == [0, 0, 0]
