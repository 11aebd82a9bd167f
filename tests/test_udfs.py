"""The Excel formulas: registration through xlwings' real code, and calls shaped as Excel makes them.

Registration: with pywin32 stubbed, ``xlwings.udfs`` imports on Linux and its real decorators attach the
metadata that *Import Functions* reads; ``generate_vba_wrapper`` writes the VBA Excel would import.
Calls: every argument goes through ``xlwings.conversion.read`` with the registered options and the
Windows engine's own value cleaning, starting from a range's values as COM hands them over (tuples of
rows, numbers as floats, error cells as COM error codes); the result through ``conversion.write``.
"""

from __future__ import annotations

import datetime as dt
import math
import re

import numpy as np
import pandas as pd
import pytest
from xlwings_stubs import (
    MISSING,
    call_like_excel,
    com_values,
    real_xlwings_decorators,
    vba_module,
    windows_value_engine,
)

import xlseg
from xlseg.demo import make_users

SIGNATURES = {
    "SEG_BREAKDOWN": "data, by, Optional metrics, Optional options",
    "SEG_CROSSTAB": "data, rows, columns, Optional value, Optional agg, Optional normalize, Optional options",
    "SEG_COMPARE": "data, by, metric, Optional options",
    "SEG_BINS": "values, Optional spec",
    "SEG_PROFILE": "data, Optional options",
    "SEG_SCAN": "data, metric, Optional options",
    "SEG_GAP": "data, by, metric, between, Optional options",
    # behaviour (activity tables), tested in tests/test_behavior_udfs.py
    "SEG_RETENTION": "events, Optional user, Optional time, Optional period, Optional options",
    "SEG_LIFECYCLE": "events, Optional user, Optional time, Optional period, Optional options",
    "SEG_RFM": "events, user, time, value, Optional options",
    "SEG_ENGAGEMENT": "events, Optional user, Optional time, Optional window, Optional options",
    "SEG_ACTIVITY": "events, Optional user, Optional time, Optional value, Optional options",
}


@pytest.fixture(scope="module")
def udfs():
    """``xlseg.excel.udfs`` imported with xlwings' real UDF decorators (pywin32 stubbed)."""
    with real_xlwings_decorators("xlseg.excel.udfs") as modules, windows_value_engine():
        yield modules["xlseg.excel.udfs"]


@pytest.fixture(scope="module")
def users() -> pd.DataFrame:
    return make_users(400, seed=7)


def excel_rows(frame: pd.DataFrame) -> list[list[object]]:
    """A DataFrame as Excel holds it on a sheet: header row, numbers as floats, dates, booleans."""
    rows: list[list[object]] = [list(frame.columns)]
    for record in frame.itertuples(index=False):
        row = []
        for value in record:
            if isinstance(value, pd.Timestamp):
                value = value.to_pydatetime()
            elif isinstance(value, np.bool_ | bool):
                value = bool(value)
            elif isinstance(value, np.integer | np.floating):
                value = float(value)
            row.append(value)
        rows.append(row)
    return rows


def spilled_frame(values: list[list[object]]) -> pd.DataFrame:
    """What a spilled table shows, read back as a frame (header on top, "" as missing)."""
    frame = pd.DataFrame(values[1:], columns=values[0])
    return frame.replace("", np.nan)


def assert_same_table(spilled: list[list[object]], expected: pd.DataFrame) -> None:
    assert spilled[0] == list(expected.columns)
    got = spilled_frame(spilled)
    for column in expected.columns:
        want = expected[column].tolist()
        have = got[column].tolist()
        for a, b in zip(have, want, strict=True):
            if isinstance(b, float | np.floating) and math.isnan(b):
                assert a is None or (isinstance(a, float) and math.isnan(a)), (column, a, b)
            elif isinstance(b, float | np.floating):
                assert a == pytest.approx(float(b), rel=1e-12), column
            else:
                assert a == b, column


def message(result: object) -> str:
    """The one cell a message spills into (``conversion.write`` hands Excel ``[[text]]``)."""
    assert isinstance(result, list) and len(result) == 1 and len(result[0]) == 1, result
    assert isinstance(result[0][0], str)
    return result[0][0]


def assert_excel_types(values: list[list[object]]) -> None:
    """Everything written back is a type COM turns into a cell value."""
    for row in values:
        for cell in row:
            assert type(cell) in (str, float, int, bool, dt.datetime), type(cell)


# ----------------------------------------------------------------------------------------- registration


def test_vba_wrapper_declares_every_function_with_its_arguments(udfs):
    vba = vba_module(udfs, "xlseg.excel.udfs")
    for name, arguments in SIGNATURES.items():
        assert f"Function {name}({arguments})" in vba
        args = ", ".join(a.removeprefix("Optional ") for a in arguments.split(", "))
        call = f'XLPy.CallUDF("xlseg.excel.udfs", "{name}", Array({args}), ThisWorkbook, Application.Caller)'
        assert f"{name} = {call}" in vba
    assert len(re.findall(r"^Function ", vba, flags=re.M)) == len(SIGNATURES)
    # not recomputed on every keystroke in the function wizard (a big table would make typing lag)
    wizard_guard = 'If (Not Application.CommandBars("Standard").Controls(1).Enabled) Then Exit Function'
    assert vba.count(wizard_guard) == len(SIGNATURES)


def test_function_wizard_texts_fit_excel(udfs):
    """Excel cuts descriptions at 255 characters; every function and argument has one of its own."""
    for name in SIGNATURES:
        info = getattr(udfs, name).__xlfunc__
        assert info["category"] == "xlseg"
        assert 40 < len(info["ret"]["doc"]) <= 255 and "\n" not in info["ret"]["doc"], name
        for arg in info["args"]:
            assert not arg["doc"].startswith("Positional argument"), (name, arg["name"])
            assert len(arg["doc"]) <= 255


def test_tables_arrive_as_raw_values_and_results_spill_without_index(udfs):
    for name in ("SEG_BREAKDOWN", "SEG_CROSSTAB", "SEG_COMPARE", "SEG_PROFILE", "SEG_SCAN", "SEG_GAP"):
        info = getattr(udfs, name).__xlfunc__
        assert info["args"][0]["options"]["ndim"] == 2 and info["args"][0]["options"]["err_to_str"] is True
        assert info["ret"]["options"]["index"] is False
        assert "expand" not in info["ret"]["options"]
        assert info["args"][-1]["options"]["ndim"] == 2  # options: a key/value row is never read as two entries


# ----------------------------------------------------------------------------------------- calls


def test_breakdown_spills_the_engine_table(udfs, users):
    spilled = call_like_excel(udfs.SEG_BREAKDOWN, com_values(excel_rows(users)), "geography, device",
                              "session_length:mean,median; converted:rate", MISSING)
    expected = xlseg.breakdown(users, ["geography", "device"], "session_length:mean,median; converted:rate")
    assert_same_table(spilled, expected)
    assert_excel_types(spilled)


def test_breakdown_takes_ranges_of_names_and_an_options_range(udfs, users):
    by_range = (("geography",), ("plan",))  # a 2-row column of names, as COM hands it over
    metrics_range = (("converted:rate",), ("revenue:sum",))
    options = (("min_size", 30.0), ("compare", True), ("intervals", "yes"), ("top", 5.0))
    spilled = call_like_excel(udfs.SEG_BREAKDOWN, com_values(excel_rows(users)), by_range, metrics_range, options)
    expected = xlseg.breakdown(users, ["geography", "plan"], "converted:rate; revenue:sum", min_size=30,
                               compare=True, intervals=True, top=5)
    assert_same_table(spilled, expected)
    assert spilled[0][-1] == "low_n"


def test_breakdown_options_as_text_with_bins(udfs, users):
    spilled = call_like_excel(udfs.SEG_BREAKDOWN, com_values(excel_rows(users)), "session_length",
                              "converted:rate", "bins=session_length:q4; sort=users; ascending")
    expected = xlseg.breakdown(users, "session_length", "converted:rate", bins={"session_length": "q4"},
                               sort="users", ascending=True)
    assert_same_table(spilled, expected)


def test_crosstab_counts_and_rates(udfs, users):
    data = com_values(excel_rows(users))
    spilled = call_like_excel(udfs.SEG_CROSSTAB, data, "geography", "device", MISSING, MISSING, "row", MISSING)
    assert_same_table(spilled, xlseg.crosstab(users, "geography", "device", normalize="row"))
    spilled = call_like_excel(udfs.SEG_CROSSTAB, data, "plan", "device", "converted", MISSING, MISSING, MISSING)
    assert_same_table(spilled, xlseg.crosstab(users, "plan", "device", "converted", "rate"))
    spilled = call_like_excel(udfs.SEG_CROSSTAB, data, "plan", "device", "revenue", "sum", MISSING, "totals=no")
    assert_same_table(spilled, xlseg.crosstab(users, "plan", "device", "revenue", "sum", totals=False))


def test_compare_each_segment_against_the_rest(udfs, users):
    spilled = call_like_excel(udfs.SEG_COMPARE, com_values(excel_rows(users)), "plan", "converted", MISSING)
    expected = xlseg.breakdown(users, "plan", {"converted": "rate"}, intervals=True, compare=True, min_size=30)
    assert_same_table(spilled, expected)
    assert spilled[0] == ["plan", "users", "share", "converted rate", "converted rate lo", "converted rate hi",
                          "converted rate lift", "converted rate p", "low_n"]
    means = call_like_excel(udfs.SEG_COMPARE, com_values(excel_rows(users)), "device", "session_length",
                            "min_size=100; sort=lift")
    assert means[0][3] == "session_length mean"
    lifts = [row[6] for row in means[1:-1]]
    assert lifts == sorted(lifts, reverse=True) and means[-1][0] == "Total"


def test_bins_one_label_per_value_in_place(udfs):
    ages = [[23.0], [None], [41.0], [17.0], ["#N/A"], [35.0], [25.0]]
    spilled = call_like_excel(udfs.SEG_BINS, com_values(ages), "edges:18,25,35")
    assert spilled == [["18–24"], ["(missing)"], ["35+"], ["<18"], ["(missing)"], ["35+"], ["25–34"]]
    row = call_like_excel(udfs.SEG_BINS, com_values([["b", " a", "b", None]]), MISSING)
    assert row == [["b", "a", "b", "(missing)"]]


def test_bins_defaults_quartiles_for_numbers_and_months_for_dates(udfs, users):
    values = com_values([[v] for v in users["session_length"].tolist()])
    spilled = [r[0] for r in call_like_excel(udfs.SEG_BINS, values, MISSING)]
    expected = xlseg.breakdown(users, "session_length", bins={"session_length": "q4"})
    assert sorted(set(spilled)) == sorted(expected["session_length"][:-1])
    assert pd.Series(spilled).value_counts().to_dict() == dict(
        zip(expected["session_length"][:-1], expected["users"][:-1], strict=True))
    dates = com_values([[dt.datetime(2024, 1, 31)], [dt.datetime(2024, 2, 1)]])
    assert call_like_excel(udfs.SEG_BINS, dates, MISSING) == [["2024-01"], ["2024-02"]]
    serials = com_values([[45322.0], [45323.0]])  # Excel serial numbers of the same two days
    assert call_like_excel(udfs.SEG_BINS, serials, "month") == [["2024-01"], ["2024-02"]]


def test_profile_reports_roles_and_cleaning(udfs):
    rows = [
        ["user id", " country ", "spend", "converted", "signup"],
        [1, "Brazil", 10.5, "Yes", dt.datetime(2024, 1, 5)],
        [2, "India\u00a0", "#N/A", "No", dt.datetime(2024, 2, 5)],
        [None, None, None, None, None],
        [3, "Brazil", 7, "Yes", None],
    ]
    spilled = call_like_excel(udfs.SEG_PROFILE, com_values(rows), MISSING)
    assert spilled[0] == ["column", "role", "filled", "missing", "distinct"]
    by_name = {row[0]: row[1:] for row in spilled[1:6]}
    assert by_name == {
        "user id": ["id", 3, 0, 3],
        "country": ["dimension", 3, 0, 2],
        "spend": ["metric", 2, 1, 2],
        "converted": ["flag", 3, 0, 2],
        "signup": ["date", 2, 1, 2],
    }
    text = " ".join(str(row[0]) for row in spilled[6:])
    assert "3 data rows of 4" in text and "empty row" in text and "#N/A" in text
    assert_excel_types(spilled)


def test_newer_error_values_are_missing_not_numbers(udfs):
    """#SPILL! and #CALC! reach Python as COM codes (xlwings maps only the classic errors to text)."""
    rows = [["device", "revenue"], ["Mobile", 10.0], ["Mobile", "#SPILL!"], ["Desktop", "#CALC!"], ["Desktop", 4.0]]
    profile = call_like_excel(udfs.SEG_PROFILE, com_values(rows), MISSING)
    assert profile[2][:4] == ["revenue", "metric", 2, 2]
    assert any("#SPILL!" in str(row[0]) and "#CALC!" in str(row[0]) for row in profile)
    spilled = call_like_excel(udfs.SEG_BREAKDOWN, com_values(rows), "device", "revenue:sum", MISSING)
    assert [r[3] for r in spilled[1:]] == [4.0, 10.0, 14.0]


def test_whole_numbers_arrive_as_floats_and_stay_labels(udfs):
    rows = com_values([["cohort", "n"], [2024, 1], [2025, 2], [2024, 3]])
    spilled = call_like_excel(udfs.SEG_BREAKDOWN, rows, "cohort", "n:sum", MISSING)
    assert [r[0] for r in spilled[1:]] == ["2024", "2025", "Total"]
    assert [r[3] for r in spilled[1:]] == [4.0, 2.0, 6.0]


def test_text_that_looks_like_a_formula_or_error_stays_a_label(udfs):
    rows = [["segment", "x"], ["=1+1", 1], ["#1 fan", 2], ["@home", 3]]
    spilled = call_like_excel(udfs.SEG_BREAKDOWN, com_values(rows), "segment", "x:sum", MISSING)
    assert [r[0] for r in spilled[1:]] == ["#1 fan", "=1+1", "@home", "Total"]


# ----------------------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("name", "args", "expected"),
    [
        ("SEG_BREAKDOWN", ("devise", MISSING, MISSING), "column 'devise' not found; did you mean 'device'?"),
        ("SEG_BREAKDOWN", ("device", "converted:avrage", MISSING), "unknown aggregation 'avrage'"),
        ("SEG_BREAKDOWN", ("device", MISSING, "compar"), "Unknown option 'compar'; did you mean 'compare'?"),
        ("SEG_BREAKDOWN", ("device", MISSING, "min_size=2.5"), "min_size must be a whole number, not 2.5"),
        ("SEG_BREAKDOWN", ("device", MISSING, "totals=no"), "SEG_BREAKDOWN does not take the option 'totals'"),
        ("SEG_BREAKDOWN", (None, MISSING, MISSING), "By is empty"),
        ("SEG_CROSSTAB", ("device", "device", MISSING, MISSING, MISSING, MISSING), "both a row and a column"),
        ("SEG_CROSSTAB", ("plan", "device", MISSING, MISSING, "rows", MISSING), "normalize must be row"),
        ("SEG_COMPARE", ("plan", "revenue:median", MISSING), "SEG_COMPARE compares means and rates"),
        ("SEG_COMPARE", ("plan", "revenue, converted", MISSING), "SEG_COMPARE takes one metric"),
        ("SEG_BREAKDOWN", ("geography", "revenue:rate", MISSING), "revenue"),
    ],
)
def test_errors_are_one_short_sentence(udfs, users, name, args, expected):
    result = message(call_like_excel(getattr(udfs, name), com_values(excel_rows(users.head(50))), *args))
    assert expected.lower() in result.lower()
    assert "\n" not in result and "Traceback" not in result and len(result) < 200
    assert result.endswith((".", "?"))


def test_messy_headers_are_named_in_the_message(udfs):
    blank = com_values([["a", None, "c"], ["x", 1, 2]])
    assert "Column B (2nd) has a blank header" in message(call_like_excel(udfs.SEG_PROFILE, blank, MISSING))
    duplicate = com_values([["a", "b", "b"], ["x", 1, 2]])
    assert "'b'" in message(call_like_excel(udfs.SEG_BREAKDOWN, duplicate, "b", MISSING, MISSING))
    assert "'b'" in message(call_like_excel(udfs.SEG_PROFILE, duplicate, MISSING))


def test_empty_table_spills_a_message(udfs):
    header_only = com_values([["device", "converted"]])
    for func, args in [(udfs.SEG_BREAKDOWN, ("device", MISSING, MISSING)), (udfs.SEG_PROFILE, (MISSING,)),
                       (udfs.SEG_COMPARE, ("device", "converted", MISSING))]:
        assert "row" in message(call_like_excel(func, header_only, *args)).lower()


def test_unexpected_failure_is_a_generic_sentence_naming_the_function(udfs, monkeypatch):
    def broken(*args, **kwargs):
        raise KeyError("internal detail")

    from xlseg.excel import segment_formulas

    monkeypatch.setattr(segment_formulas, "breakdown", broken)
    result = message(call_like_excel(udfs.SEG_BREAKDOWN, com_values([["a"], ["x"]]), "a", MISSING, MISSING))
    assert result == "SEG_BREAKDOWN failed unexpectedly (KeyError); check the arguments."


def test_bins_refuses_a_header_and_a_block(udfs):
    with_header = com_values([["age"], [23.0], [41.0]])
    assert "looks like a header" in message(call_like_excel(udfs.SEG_BINS, with_header, "q4"))
    block = com_values([[1.0, 2.0], [3.0, 4.0]])
    assert "one column" in message(call_like_excel(udfs.SEG_BINS, block, MISSING))


def test_plain_python_call_without_xlwings_registration(users):
    """On a machine without Excel the formulas are plain functions (xw.func is a no-op)."""
    from xlseg.excel import udfs as plain

    result = plain.SEG_BREAKDOWN(excel_rows(users), "device", "converted:rate", None)
    assert result[0] == ["device", "users", "share", "converted rate"] and result[-1][0] == "Total"


def test_options_tz_reaches_breakdown_and_crosstab_through_xlwings(udfs):
    rows = (("ts", "plan"), ("2024-09-08T23:30:00Z", "a"), ("2024-09-09T00:30:00Z", "b"),
            ("2024-09-09T05:00:00Z", "a"))
    spilled = call_like_excel(udfs.SEG_BREAKDOWN, rows, "plan", "ts:min", (("tz", "America/New_York"),))
    assert spilled[1][:2] == ["a", 2]  # the earliest of plan a: 23:30 UTC is 19:30 in New York
    assert spilled[1][-1].replace(tzinfo=None) == dt.datetime(2024, 9, 8, 19, 30)
    crossed = call_like_excel(udfs.SEG_CROSSTAB, rows, "plan", "ts", MISSING, MISSING, MISSING,
                              "tz=Asia/Tokyo; bins=ts:day")
    assert crossed[0] == ["plan", "2024-09-09", "Total"]  # in UTC the first event is on 8 September


def test_formula_like_column_headers_spill_as_the_same_text(udfs, users):
    """Headers such as "=1+1" or "+cost" come back as the header text (a spilled value is never parsed as a
    formula by Excel), and they select their columns like any name."""
    renamed = users.rename(columns={"plan": "=1+1", "session_length": "+cost", "device": "@dev"})
    spilled = call_like_excel(udfs.SEG_BREAKDOWN, com_values(excel_rows(renamed)), "=1+1, @dev", "+cost:mean",
                              MISSING)
    header = spilled[0]
    assert header[:2] == ["=1+1", "@dev"] and "+cost mean" in header
    got = spilled_frame(spilled)
    expected = renamed.groupby(["=1+1", "@dev"])["+cost"].mean()
    for _, row in got.iloc[:-1].iterrows():
        assert row["+cost mean"] == pytest.approx(expected[(row["=1+1"], row["@dev"])])
