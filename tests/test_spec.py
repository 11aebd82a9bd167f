"""spec: parsing of metrics, bins and dimensions, their round trips and their one-line errors."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xlseg.errors import XlsegError
from xlseg.spec import (
    Binning,
    Dimension,
    Options,
    metrics_to_text,
    normalize_aggregation,
    parse_bins,
    parse_by,
    parse_dimension,
    parse_metrics,
    percentile_of,
)


def test_metrics_every_accepted_form_gives_the_same_pairs() -> None:
    expected = [("session_length", "mean"), ("session_length", "median"), ("converted", "rate")]
    assert parse_metrics({"session_length": ["mean", "median"], "converted": "rate"}) == expected
    assert parse_metrics("session_length:mean,median; converted:rate") == expected
    assert parse_metrics(" session_length : Mean , MEDIAN ;\nconverted:rate ") == expected
    assert parse_metrics(["session_length:mean,median", "converted:rate"]) == expected
    assert parse_metrics([("session_length", "mean"), ("session_length", "median"), ("converted", "rate")]) == expected
    assert parse_metrics(None) == []
    assert parse_metrics("") == []
    assert parse_metrics(["", None, "converted:rate"]) == [("converted", "rate")]


def test_metrics_defaults_aliases_and_duplicates() -> None:
    assert parse_metrics("revenue") == [("revenue", "mean")]
    assert parse_metrics("revenue:avg,average,mean,distinct,n") == [
        ("revenue", "mean"), ("revenue", "nunique"), ("revenue", "count")
    ]  # fmt: skip
    assert parse_metrics("a:p05,p5,P90") == [("a", "p5"), ("a", "p90")]
    assert parse_metrics("time: in: app:sum") == [("time: in: app", "sum")]  # the last colon splits


@given(st.lists(st.tuples(st.sampled_from(["a", "revenue", "session length", "x_1"]),
                          st.sampled_from(["mean", "median", "sum", "min", "max", "count", "nunique", "rate",
                                           "p1", "p10", "p99"])), max_size=8))
@settings(max_examples=100, deadline=None)
def test_metrics_text_round_trip(pairs: list[tuple[str, str]]) -> None:
    unique = list(dict.fromkeys(pairs))
    grouped_order = sorted(unique, key=lambda p: [c for c, _ in unique].index(p[0]))
    assert parse_metrics(metrics_to_text(unique)) == grouped_order


@pytest.mark.parametrize("bad", ["revenue:average_ish", "revenue:p0", "revenue:p100", "revenue:p", "x:mean,modes"])
def test_metrics_unknown_aggregation(bad: str) -> None:
    with pytest.raises(XlsegError, match="unknown aggregation") as info:
        parse_metrics(bad)
    assert "\n" not in str(info.value) and "p1…p99" in str(info.value)


def test_metrics_errors() -> None:
    with pytest.raises(XlsegError, match="no column name"):
        parse_metrics(":mean")
    with pytest.raises(XlsegError, match="metrics must be text"):
        parse_metrics(42)


def test_aggregation_names_and_percentiles() -> None:
    assert normalize_aggregation(" Median ") == "median"
    assert normalize_aggregation("p07") == "p7"
    assert percentile_of("median") == 0.5 and percentile_of("p90") == 0.9 and percentile_of("mean") is None


@pytest.mark.parametrize(
    ("spec", "binning"),
    [
        ("q4", Binning("quantile", count=4)),
        ("quantile:5", Binning("quantile", count=5)),
        ("Quantiles=3", Binning("quantile", count=3)),
        ("equal:5", Binning("equal", count=5)), ("width:10", Binning("width", step=10.0)),
        ("equal 7", Binning("equal", count=7)),
        ("top:5", Binning("top", count=5)),
        ("edges:18,25,35", Binning("edges", edges=(18.0, 25.0, 35.0))),
        ("18; 25 35", Binning("edges", edges=(18.0, 25.0, 35.0))),
        ([0, 0.5, 10], Binning("edges", edges=(0.0, 0.5, 10.0))),
        ("edges=-5,0", Binning("edges", edges=(-5.0, 0.0))),
        (" Month ", Binning("period", period="month")),
        ("week", Binning("period", period="week")),
    ],
)
def test_parse_bins(spec: object, binning: Binning) -> None:
    assert parse_bins(spec) == binning
    assert parse_bins(binning.to_text()) == binning  # round trip through text
    assert parse_bins(binning) is binning


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("q0", "at least 1"),
        ("edges:25,18", "increasing"),
        ("edges:18,18", "increasing"),
        ("18,abc", "numbers"),
        ("", "not understood"),
        ("mnth", "month"),
        ("decile", "q4"),
    ],
)
def test_parse_bins_errors(spec: str, message: str) -> None:
    with pytest.raises(XlsegError, match=message) as info:
        parse_bins(spec)
    assert "\n" not in str(info.value)


def test_parse_by_forms() -> None:
    assert parse_by("geography") == [Dimension("geography")]
    assert parse_by(" geography , device ") == [Dimension("geography"), Dimension("device")]
    assert parse_by(["geography", {"column": "age", "bins": "q4"}]) == [
        Dimension("geography"), Dimension("age", Binning("quantile", count=4))
    ]  # fmt: skip
    assert parse_by({"column": "plan", "top": 3.0}) == [Dimension("plan", None, 3)]  # Excel hands 3 as 3.0


def test_parse_by_applies_call_wide_bins_and_top() -> None:
    dims = parse_by("age, plan, signup", bins={"age": "q4", "signup": "month"}, top=5)
    assert dims == [
        Dimension("age", Binning("quantile", count=4)),
        Dimension("plan", None, 5),
        Dimension("signup", Binning("period", period="month")),
    ]
    assert parse_by("plan, device", top={"plan": 2}) == [Dimension("plan", None, 2), Dimension("device")]
    # an explicit setting on the item wins over the call-wide one
    assert parse_by([{"column": "plan", "top": 1}], top=5) == [Dimension("plan", None, 1)]
    assert parse_by([{"column": "age", "bins": "q2"}], bins={"age": "q4"})[0].binning == Binning("quantile", count=2)
    # "top:N" as a bin spec is the same as top=N
    assert parse_by("plan", bins={"plan": "top:3"}) == [Dimension("plan", None, 3)]


@pytest.mark.parametrize(
    "dimension",
    [Dimension("plan"), Dimension("plan", None, 3), Dimension("age", Binning("edges", edges=(18.0, 25.5))),
     Dimension("signup", Binning("period", period="quarter")), Dimension("x", Binning("equal", count=4), 2)],
)
def test_dimension_dict_round_trip(dimension: Dimension) -> None:
    assert parse_dimension(dimension.to_dict()) == dimension
    assert parse_dimension(dimension) is dimension


@pytest.mark.parametrize(
    ("by", "message"),
    [(None, "segment by"), ("", "segment by"), (" , ", "segment by"), ("a, b, a", "twice"),
     ([{"bins": "q4"}], "no column name")],
)
def test_parse_by_errors(by: object, message: str) -> None:
    with pytest.raises(XlsegError, match=message):
        parse_by(by)


@pytest.mark.parametrize(("top", "message"), [(0, "at least 1"), (2.5, "whole number"), ("many", "whole number")])
def test_top_must_be_a_whole_number(top: object, message: str) -> None:
    with pytest.raises(XlsegError, match=message):
        parse_by("plan", top=top)


def test_options_validate() -> None:
    assert Options(min_size=5.0).min_size == 5
    assert Options(confidence="0.9").confidence == 0.9
    for bad in (0, 1, "x", None):
        with pytest.raises(XlsegError, match="confidence"):
            Options(confidence=bad)
    with pytest.raises(XlsegError, match="min_size"):
        Options(min_size=-1)


@pytest.mark.parametrize("spec", [4, "4", " 10 "])
def test_one_bare_number_is_not_guessed(spec):
    """=SEG_BINS(D2:D501, 4): quartiles, widths or a cut at 4? The message offers all three."""
    with pytest.raises(XlsegError, match=r"is one number; use q(4|10) for .* groups of equal size, width:"):
        parse_bins(spec)
    number = str(spec).strip()
    assert parse_bins(f"edges:{number}").edges == (float(number),)  # said explicitly, it is a cut
