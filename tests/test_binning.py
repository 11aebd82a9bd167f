"""Binning: tie-safe quantiles, equal width, custom edges, date periods, top-N + Other, "(missing)"."""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import xlseg
from xlseg.engine.binning import Segments, keep_top, segment
from xlseg.errors import XlsegError
from xlseg.spec import parse_dimension

MISSING = "(missing)"


def bins_of(values: object, spec: str) -> Segments:
    return segment(pd.Series(values, dtype=float, name="x"), parse_dimension({"column": "x", "bins": spec}))


def label_range(label: str) -> tuple[float, float, float]:
    """(low, high, tolerance) of the values a label claims: "<18", "65+", "18–24", "0.5–<1.25", ">0–2", "7"."""
    def number(text: str) -> float:
        return float(text.lstrip("<>"))

    def slack(text: str) -> float:  # half a unit of the last decimal shown
        decimals = len(text.partition(".")[2])
        return 0.5 * 10.0**-decimals if decimals else 0.0

    if label.startswith("<"):
        return -math.inf, number(label[1:]), 0.0
    if label.endswith("+"):
        return number(label[:-1]), math.inf, 0.0
    low, sep, high = label.partition("–")
    if not sep:
        return number(label), number(label), slack(label)
    return number(low), number(high), max(slack(low), slack(high))


def assert_every_value_in_its_label(values: np.ndarray, segments: Segments) -> None:
    labels = np.asarray(segments.labels, dtype=object)[segments.codes]
    for value, label in zip(values, labels, strict=True):
        if np.isnan(value):
            assert label == MISSING
            continue
        low, high, slack = label_range(label)
        slack = max(slack, 1e-3 * abs(value))  # labels show edges to 0.1%
        assert low - slack <= value <= high + slack, (value, label)


def assert_ordered_by_value(values: np.ndarray, segments: Segments) -> None:
    present = ~np.isnan(values)
    order = np.argsort(values[present], kind="stable")
    codes = segments.codes[present][order]
    assert (np.diff(codes) >= 0).all(), "bins must follow the values"
    assert len(set(segments.labels)) == len(segments.labels), segments.labels
    used = np.unique(segments.codes)
    assert used.tolist() == list(range(len(segments.labels))), "no empty bins"


TIES = st.sampled_from([0.0, 0.0, 0.0, 1.0, 1.0, 2.0, 5.0, 10.0, 10.0, 19.0, 100.0, -4.0, math.nan])
NUMBERS = st.one_of(TIES, st.integers(-10_000, 10_000).map(lambda i: i / 100), st.integers(-50, 50).map(float))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(values=hnp.arrays(np.float64, st.integers(1, 200), elements=NUMBERS),
       spec=st.sampled_from(["q2", "q3", "q4", "q5", "q10", "equal:1", "equal:3", "equal:7", "edges:0,1,10",
                             "edges:-1.5,0.5", "18,25,65"]))
def test_bins_never_fail_and_every_value_is_in_its_label(values: np.ndarray, spec: str) -> None:
    segments = bins_of(values, spec)
    assert len(segments.codes) == len(values)
    assert_every_value_in_its_label(values, segments)
    assert_ordered_by_value(values, segments)
    if np.isnan(values).any():
        assert segments.labels[-1] == MISSING


def test_quantile_bins_on_many_zeros_do_not_fail() -> None:
    values = np.array([0.0] * 80 + [1, 2, 3, 5, 8, 13, 21, 34, 55, 89] + [np.nan] * 5)
    for count in (2, 4, 5, 10, 20):
        segments = bins_of(values, f"q{count}")
        assert segments.labels[0] == "0"  # the mass at zero is its own bin
        assert (segments.codes[:80] == 0).all()
        assert_every_value_in_its_label(values, segments)
    assert bins_of(values, "q4").labels == ["0", "1–89", MISSING]


def test_quantile_bins_split_evenly_without_ties() -> None:
    segments = bins_of(np.arange(1, 101), "q4")
    assert segments.labels == ["1–25", "26–50", "51–75", "76–100"]
    assert np.bincount(segments.codes).tolist() == [25, 25, 25, 25]


def test_quantile_bins_match_pandas_qcut_when_edges_are_unique() -> None:
    rng = np.random.default_rng(1)
    values = rng.normal(size=500)
    codes = pd.qcut(values, 5, labels=False)
    assert bins_of(values, "q5").codes.tolist() == codes.tolist()


def test_a_constant_column_is_one_bin() -> None:
    for spec in ("q4", "equal:5"):
        segments = bins_of([3.0, 3.0, np.nan], spec)
        assert segments.labels == ["3", MISSING]
        assert segments.codes.tolist() == [0, 0, 1]


def test_an_all_missing_column_is_all_missing() -> None:
    segments = bins_of([np.nan, np.nan], "q4")
    assert segments.labels == [MISSING] and segments.codes.tolist() == [0, 0]


def test_equal_width_covers_min_and_max() -> None:
    values = np.array([0.0, 1, 22, 23, 44.5, 66, 67, 89])
    segments = bins_of(values, "equal:4")  # edges 0, 22.25, 44.5, 66.75, 89 (labels may round them)
    assert len(segments.labels) == 4 and segments.labels[0].startswith("0–") and segments.labels[-1].endswith("–89")
    assert segments.codes.tolist() == [0, 0, 0, 1, 2, 2, 3, 3]  # 44.5 opens the third bin; 89 is in the last
    assert_every_value_in_its_label(values, segments)
    integers = bins_of(np.arange(0, 90), "equal:4")
    assert integers.labels == ["0–22", "23–44", "45–66", "67–89"]
    assert np.bincount(integers.codes).tolist() == [23, 22, 22, 23]


def test_custom_edges_give_open_ended_bins() -> None:
    ages = np.array([5, 17, 18, 24, 25, 64, 65, 90, np.nan])
    segments = bins_of(ages, "edges:18,25,65")
    assert segments.labels == ["<18", "18–24", "25–64", "65+", MISSING]
    assert segments.codes.tolist() == [0, 0, 1, 1, 2, 2, 3, 3, 4]
    assert bins_of(ages, "18,25,65").labels == segments.labels  # bare numbers mean edges too


def reader_says_value_is_in(value: float, label: str) -> bool:
    """How an analyst reads a bin label: "<18", "35+", "18–<25" (25 excluded), "0–2" (both ends), ">0–<3"."""
    if label.startswith("<"):
        return value < float(label[1:])
    if label.endswith("+"):
        return value >= float(label[:-1])
    low, _, high = label.partition("–")
    above = value > float(low[1:]) if low.startswith(">") else value >= float(low)
    below = value < float(high[1:]) if high.startswith("<") else value <= float(high)
    return above and below


def test_custom_edges_on_non_integer_data_say_which_end_holds_the_edge() -> None:
    values = np.array([12.25, 17.99, 18.0, 18.5, 24.99, 25.0, 25.01, 34.9, 35.0, 35.5, np.nan])
    segments = bins_of(values, "edges:18,25,35")
    labels = np.asarray(segments.labels, dtype=object)[segments.codes]
    cut = pd.cut(values, [-np.inf, 18, 25, 35, np.inf], right=False)  # [18, 25): 25 goes to the next bin
    for value, label, interval in zip(values, labels, cut, strict=True):
        if np.isnan(value):
            assert label == MISSING
            continue
        low, high = interval.left, interval.right
        want = f"<{high:g}" if low == -np.inf else f"{low:g}+" if high == np.inf else f"{low:g}–<{high:g}"
        assert label == want, (value, label)
        assert reader_says_value_is_in(value, label), (value, label)
    assert segments.labels == ["<18", "18–<25", "25–<35", "35+", MISSING]


def test_equal_width_labels_on_non_integer_data_say_which_end_holds_the_edge() -> None:
    values = np.array([0.0, 0.25, 0.5, 1.0, 1.5, 2.0])
    segments = bins_of(values, "equal:2")
    expected = np.minimum(np.floor(values), 1).astype(int)  # [0, 1) and [1, 2]: the maximum is in the last bin
    assert segments.codes.tolist() == expected.tolist()
    labels = np.asarray(segments.labels, dtype=object)[segments.codes]
    assert all(reader_says_value_is_in(v, lab) for v, lab in zip(values, labels, strict=True)), labels
    assert segments.labels == ["0–<1", "1–2"]


def test_custom_edges_drop_empty_bins_and_keep_order() -> None:
    segments = bins_of([30.0, 31, 70], "edges:18,25,65")
    assert segments.labels == ["25–64", "65+"]


def test_bins_sort_by_value_not_alphabetically() -> None:
    df = pd.DataFrame({"sessions": [1.0, 2, 5, 9, 10, 15, 19, 20, 150], "k": ["a"] * 9})
    result = xlseg.breakdown(df, "sessions", bins={"sessions": "edges:2,10,20,100"})
    assert result["sessions"].tolist() == ["<2", "2–9", "10–19", "20–99", "100+", "Total"]
    assert result["users"].tolist() == [1, 3, 3, 1, 1, 9]


def test_unbinned_numbers_sort_by_value() -> None:
    df = pd.DataFrame({"sessions": [10.0, 2, 2, 1, 100, np.nan], "k": ["a"] * 6})
    result = xlseg.breakdown(df, "sessions", {"k": "count"})
    assert result["sessions"].tolist() == ["1", "2", "10", "100", MISSING, "Total"]


DATES = pd.to_datetime(["2023-12-31", "2024-01-01", "2024-01-07", "2024-01-08", "2024-03-31", "2024-04-01",
                        "2024-12-30", "2025-01-01", None])


@pytest.mark.parametrize(
    ("period", "labels", "counts"),
    [
        ("day", ["2023-12-31", "2024-01-01", "2024-01-07", "2024-01-08", "2024-03-31", "2024-04-01",
                 "2024-12-30", "2025-01-01"], [1] * 8),
        ("week", ["2023-W52", "2024-W01", "2024-W02", "2024-W13", "2024-W14", "2025-W01"], [1, 2, 1, 1, 1, 2]),
        ("month", ["2023-12", "2024-01", "2024-03", "2024-04", "2024-12", "2025-01"], [1, 3, 1, 1, 1, 1]),
        ("quarter", ["2023Q4", "2024Q1", "2024Q2", "2024Q4", "2025Q1"], [1, 4, 1, 1, 1]),
        ("year", ["2023", "2024", "2025"], [1, 6, 1]),
    ],
)
def test_date_periods_labels_and_order(period: str, labels: list[str], counts: list[int]) -> None:
    segments = segment(pd.Series(DATES, name="d"), parse_dimension({"column": "d", "bins": period}))
    assert segments.labels == [*labels, MISSING]
    assert np.bincount(segments.codes).tolist() == [*counts, 1]


def test_weeks_are_iso_weeks_starting_monday() -> None:
    days = pd.Series(pd.date_range("2020-12-20", "2021-01-20", freq="D"), name="d")
    segments = segment(days, parse_dimension({"column": "d", "bins": "week"}))
    labels = np.asarray(segments.labels)[segments.codes]
    iso = days.dt.isocalendar()
    assert labels.tolist() == [f"{y}-W{w:02d}" for y, w in zip(iso["year"], iso["week"], strict=True)]


def test_date_periods_through_breakdown() -> None:
    df = pd.DataFrame({"signup": DATES, "k": ["a"] * len(DATES)})
    result = xlseg.breakdown(df, "signup", {"k": "count"}, bins={"signup": "quarter"})
    assert result["signup"].tolist() == ["2023Q4", "2024Q1", "2024Q2", "2024Q4", "2025Q1", MISSING, "Total"]


def categories(labels: list[object]) -> pd.Series:
    return pd.Series(labels, dtype="category", name="c")


def test_top_n_folds_the_rest_into_other_and_keeps_missing() -> None:
    labels = ["a"] * 5 + ["b"] * 4 + ["c"] * 3 + ["d"] * 1 + [None] * 7
    segments = segment(categories(labels), parse_dimension("c", top=2))
    assert segments.labels == ["a", "b", "Other", MISSING]
    assert np.bincount(segments.codes).tolist() == [5, 4, 4, 7]


def test_a_real_other_category_merges_with_the_folded_ones() -> None:
    labels = ["a"] * 5 + ["b"] * 4 + ["Other"] * 3 + ["c"] * 2 + [None]
    segments = segment(categories(labels), parse_dimension("c", top=2))
    assert segments.labels == ["a", "b", "Other", MISSING]
    assert np.bincount(segments.codes).tolist() == [5, 4, 5, 1]


def test_top_ties_keep_display_order_and_no_fold_when_few() -> None:
    segments = segment(categories(["b", "a", "c", "c"]), parse_dimension("c", top=2))
    assert segments.labels == ["a", "c", "Other"]  # a and b tie at 1: the first in label order stays
    few = segment(categories(["b", "a"]), parse_dimension("c", top=5))
    assert few.labels == ["a", "b"]


def test_top_through_breakdown_all_spellings() -> None:
    df = pd.DataFrame({"c": ["a"] * 5 + ["b"] * 4 + ["c"] * 3 + [None] * 2, "k": ["x"] * 14})
    expected = ["a", "b", "Other", MISSING, "Total"]
    assert xlseg.breakdown(df, "c", {"k": "count"}, top=2)["c"].tolist() == expected
    assert xlseg.breakdown(df, "c", {"k": "count"}, top={"c": 2})["c"].tolist() == expected
    assert xlseg.breakdown(df, {"column": "c", "top": 2}, {"k": "count"})["c"].tolist() == expected
    assert xlseg.breakdown(df, "c", {"k": "count"}, bins={"c": "top:2"})["c"].tolist() == expected
    assert xlseg.breakdown(df, "c", {"k": "count"}, top=2)["users"].tolist() == [5, 4, 3, 2, 14]


def test_keep_top_on_segments_directly() -> None:
    segments = Segments(np.array([0, 1, 1, 2, 2, 2, 3]), ["x", "y", "z", MISSING], missing=True)
    top = keep_top(segments, 1)
    assert top.labels == ["z", "Other", MISSING]
    assert top.codes.tolist() == [1, 1, 1, 0, 0, 0, 2]


def test_call_wide_top_leaves_numeric_bins_alone() -> None:
    """``top=N`` is documented for text dimensions; quantile bins must not be folded into "Other"."""
    df = pd.DataFrame({"plan": list("aabbccdd"), "x": [1.0, 2, 3, 4, 5, 6, 7, 8]})
    result = xlseg.breakdown(df, ["plan", "x"], top=2, bins={"x": "q4"})
    assert "Other" not in result["x"].tolist()


def test_bin_errors() -> None:
    with pytest.raises(XlsegError, match="number column"):
        segment(categories(["a"]), parse_dimension({"column": "c", "bins": "q4"}))
    with pytest.raises(XlsegError, match="date"):
        bins_of([1.0], "month")
    df = pd.DataFrame({"x": np.arange(30) / 7})
    with pytest.raises(XlsegError, match=re.escape("q4")):  # a typo gets the list of specs
        xlseg.breakdown(df, "x", bins={"x": "mnth"})


def test_text_segments_sort_as_excel_does_ignoring_case():
    import xlseg

    df = pd.DataFrame({"city": ["berlin", "Amsterdam", "Zurich", "athens", "Berlin"]})
    assert xlseg.breakdown(df, "city")["city"].tolist() == ["Amsterdam", "athens", "Berlin", "berlin", "Zurich",
                                                            "Total"]
