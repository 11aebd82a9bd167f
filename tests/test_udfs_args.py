"""Arguments as Excel hands them over: names, metrics and options from cells and ranges."""

from __future__ import annotations

import datetime as dt

import pytest

from xlseg.errors import XlsegError
from xlseg.excel.args import cell_text, column_names, metrics_text, option_pairs, parse_options, to_bool


def test_column_names_from_a_cell_or_a_range():
    assert column_names("geography, device", "by") == ["geography", "device"]
    assert column_names(["geography", None, "device"], "by") == ["geography", "device"]
    assert column_names([["geography"], ["device"]], "by") == ["geography", "device"]
    assert column_names(2024.0, "by") == ["2024"]  # a numeric header typed as a number
    with pytest.raises(XlsegError, match="by is empty"):
        column_names([None, "  "], "by")


def test_metrics_from_a_range_are_joined():
    assert metrics_text([["converted:rate"], ["revenue:sum,mean"]]) == "converted:rate; revenue:sum,mean"
    assert metrics_text(None) is None


def test_cell_text_renders_what_the_user_typed():
    assert cell_text(5.0) == "5" and cell_text(2.5) == "2.5" and cell_text(True) == "TRUE"
    assert cell_text(dt.datetime(2024, 3, 1)) == "2024-03-01"


@pytest.mark.parametrize("value", [True, 1.0, "yes", "TRUE", "y", "on", "x"])
def test_yes(value):
    assert to_bool(value, "compare") is True


@pytest.mark.parametrize("value", [False, 0.0, "no", "false", "N", "off", None])
def test_no(value):
    assert to_bool(value, "compare") is False


def test_options_text():
    options = parse_options("min_size=30; compare\nbins=age:q4; bins = revenue:edges:0,10,100; top=5; confidence=90")
    assert options.values == {
        "min_size": 30, "compare": True, "bins": {"age": "q4", "revenue": "edges:0,10,100"}, "top": 5,
        "confidence": 0.9,
    }


def test_options_key_value_range_with_comments_and_unset_keys():
    block = [["min_size", 50.0, "smallest segment"], ["compare", True, None], ["top", None, "unset"],
             [None, None, None], ["roles", "signup:date", None], ["top", "geography:3", None]]
    assert option_pairs(block)[0] == ("min_size", 50.0)
    assert parse_options(block).values == {"min_size": 50, "compare": True, "roles": {"signup": "date"},
                                           "top": {"geography": 3}}


def test_options_one_column_range_holds_text_entries():
    assert parse_options([["compare"], ["min_size=10"]]).values == {"compare": True, "min_size": 10}


def test_repeatable_lists_for_the_config_sheet():
    values = parse_options([["by", "geography"], ["by", "plan, device"], ["crosstab", "geography:device"]]).values
    assert values == {"by": ["geography", "plan, device"], "crosstab": ["geography:device"]}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("compar", "unknown option 'compar'; did you mean 'compare'?"),
        ("min_size=abc", "min_size must be a whole number"),
        ("min_size=3; min_size=4", "given twice"),
        ("bins=q4", "bins needs column:value, e.g. bins=age:q4"),
        ("bins=age:q4; bins=age:q5", "given twice for column 'age'"),
        ("sort", "option 'sort' needs a value"),
        ("compare=maybe", "compare must be TRUE or FALSE"),
        ("top=5; top=geo:3", "both for all columns and per column"),
    ],
)
def test_option_errors(text, message):
    with pytest.raises(XlsegError, match=message):
        parse_options(text)


def test_engine_kwargs_refuses_options_a_function_does_not_take():
    with pytest.raises(XlsegError, match="SEG_CROSSTAB does not take the option 'compare'"):
        parse_options("compare").engine_kwargs(("bins", "top"), "SEG_CROSSTAB")


def test_error_texts_converts_only_int_com_codes_and_keeps_clean_rows():
    from xlseg.excel.args import error_texts

    spill, calc = -2146826243, -2146826238  # 0x800A0000 + 2045 / 2050, as COM hands them over
    clean = ["Mobile", 1.0, None]
    rows = [["device", "revenue", "x"], clean, ["Desktop", spill, float(calc)], [True, 2.0, calc]]
    out = error_texts(rows)
    assert out == [["device", "revenue", "x"], clean, ["Desktop", "#SPILL!", float(calc)], [True, 2.0, "#CALC!"]]
    assert out[1] is clean  # a row without codes is not rebuilt
    assert rows[2][1] == spill  # the caller's values are not altered
    assert error_texts([spill, 3.0]) == ["#SPILL!", 3.0]  # a one-column range
    assert error_texts(spill) == "#SPILL!" and error_texts(True) is True


def test_a_range_without_a_header_row_says_so():
    from xlseg.excel import udfs

    message = udfs.SEG_BREAKDOWN([[None, None], [None, None]], "device")
    assert message == "Column 'device' not found: the table has no column names; its first row must be the header."
