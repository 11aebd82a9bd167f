"""The built-in demo table: deterministic, well-typed, and carrying the effects the demo is meant to show."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from xlseg.demo import COUNTRIES, make_users

COLUMNS = [
    "user_id",
    "geography",
    "device",
    "plan",
    "signup_date",
    "sessions",
    "session_length",
    "converted",
    "revenue",
]


@pytest.fixture(scope="module")
def users() -> pd.DataFrame:
    return make_users()


def test_same_seed_gives_identical_frame(users: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(users, make_users(5000, seed=42), check_exact=True)


def test_other_seed_gives_other_data(users: pd.DataFrame) -> None:
    other = make_users(5000, seed=7)
    assert not other["session_length"].equals(users["session_length"])


def test_size_is_respected() -> None:
    assert len(make_users(123)) == 123
    assert len(make_users(1)) == 1


def test_columns_and_dtypes(users: pd.DataFrame) -> None:
    assert list(users.columns) == COLUMNS
    assert users["user_id"].dtype == np.int64
    assert users["sessions"].dtype == np.int64
    assert users["session_length"].dtype == np.float64
    assert users["revenue"].dtype == np.float64
    assert users["converted"].dtype == bool
    assert pd.api.types.is_datetime64_dtype(users["signup_date"])
    for col in ("geography", "device", "plan"):
        assert pd.api.types.is_string_dtype(users[col]), col
        assert users[col].dtype == pd.Series(["x"]).dtype  # pandas' default text dtype


def test_empty_table_keeps_columns_and_dtypes(users: pd.DataFrame) -> None:
    empty = make_users(0)
    assert len(empty) == 0
    assert empty.dtypes.equals(users.dtypes)


def test_negative_n_is_an_error() -> None:
    with pytest.raises(ValueError, match="n must be"):
        make_users(-1)


def test_ids_unique_and_no_missing_values(users: pd.DataFrame) -> None:
    assert users["user_id"].is_unique
    assert users["user_id"].is_monotonic_increasing
    assert not users.isna().any().any()


def test_value_ranges(users: pd.DataFrame) -> None:
    assert set(users["device"]) == {"Mobile", "Desktop", "Tablet"}
    assert set(users["plan"]) == {"Free", "Basic", "Pro"}
    assert set(users["geography"]) == {name for name, _ in COUNTRIES}
    assert (users["sessions"] >= 1).all()
    assert (users["session_length"] > 0).all()
    span = users["signup_date"].max() - users["signup_date"].min()
    assert pd.Timedelta(days=480) <= span <= pd.Timedelta(days=560)  # about 18 months
    assert users["signup_date"].is_monotonic_increasing  # ids follow signup order
    assert (users["signup_date"] == users["signup_date"].dt.normalize()).all()  # whole days


def test_geography_is_skewed_with_a_long_tail(users: pd.DataFrame) -> None:
    shares = users["geography"].value_counts(normalize=True)
    assert len(shares) == 12
    assert 0.28 <= shares.iloc[0] <= 0.42
    assert shares.iloc[-1] < 0.04
    assert shares.iloc[0] > 2 * shares.iloc[2]


def test_conversion_is_rare_and_revenue_only_for_converters(users: pd.DataFrame) -> None:
    rate = users["converted"].mean()
    assert 0.03 <= rate <= 0.08
    assert (users.loc[~users["converted"], "revenue"] == 0.0).all()
    assert (users.loc[users["converted"], "revenue"] > 0.0).all()


def test_long_watching_country(users: pd.DataFrame) -> None:
    brazil = users["geography"] == "Brazil"
    ratio = users.loc[brazil, "session_length"].mean() / users.loc[~brazil, "session_length"].mean()
    assert ratio >= 1.6
    p = stats.ttest_ind(
        users.loc[brazil, "session_length"], users.loc[~brazil, "session_length"], equal_var=False
    ).pvalue
    assert p < 1e-6


def test_device_changes_session_length(users: pd.DataFrame) -> None:
    means = users.groupby("device")["session_length"].mean()
    assert means["Desktop"] > 1.15 * means["Mobile"]


def test_mobile_converts_better_than_desktop_and_pro_better_than_free(users: pd.DataFrame) -> None:
    by_device = users.groupby("device")["converted"].agg(["sum", "count"])
    assert by_device.loc["Mobile", "sum"] / by_device.loc["Mobile", "count"] > (
        by_device.loc["Desktop", "sum"] / by_device.loc["Desktop", "count"]
    )
    table = by_device.loc[["Mobile", "Desktop"]]
    contingency = np.column_stack([table["sum"], table["count"] - table["sum"]])
    assert stats.chi2_contingency(contingency).pvalue < 0.001

    by_plan = users.groupby("plan")["converted"].mean()
    assert by_plan["Pro"] > 2 * by_plan["Free"]
    assert by_plan["Free"] < by_plan["Basic"] < by_plan["Pro"]


def test_some_segments_are_not_significant(users: pd.DataFrame) -> None:
    """Geography has no effect on conversion: most countries must not differ from the rest."""
    pvalues = []
    for country in users["geography"].unique():
        inside = users["geography"] == country
        contingency = [
            [users.loc[inside, "converted"].sum(), (~users.loc[inside, "converted"]).sum()],
            [users.loc[~inside, "converted"].sum(), (~users.loc[~inside, "converted"]).sum()],
        ]
        pvalues.append(stats.chi2_contingency(contingency).pvalue)
    assert sum(p > 0.05 for p in pvalues) >= 9
