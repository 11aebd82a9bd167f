"""Cleaning rules of xlseg.io.load.load_table, each on a messy table shaped as Excel hands it over."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import xlseg
from xlseg.errors import XlsegError
from xlseg.io.load import load_table
from xlseg.schema import Role, Table

NBSP = "\xa0"


def labels(series: pd.Series) -> list[object]:
    """Values with missing as None, for readable comparisons."""
    return [None if pd.isna(v) else v for v in series.tolist()]


def one_column(name: str, values: list[object], **options: object) -> Table:
    """Load a range with column ``name`` beside a numbered column, so rows with a blank in ``name`` stay."""
    rows = [[name, "row"]] + [[value, float(i)] for i, value in enumerate(values, start=1)]
    return load_table(rows, **options)


# ------------------------------------------------------------------------------ a whole Excel range


def excel_range() -> list[list[object]]:
    """A selection as xlwings hands it over: floats, None blanks, a trailing empty row, an empty column."""
    return [
        ["user_id", f" country{NBSP}", "device", "revenue", "converted", "signup", None],
        [1.0, "UK ", "Mobile", 10.0, True, dt.datetime(2024, 3, 1), None],
        [2.0, "UK", "Desktop", "#N/A", False, dt.datetime(2024, 3, 2), None],
        [3.0, None, "Mobile", 2.5, None, dt.datetime(2024, 3, 3, 10, 30), None],
        [4.0, f"India{NBSP}", "Mobile", "#DIV/0!", True, dt.datetime(2024, 3, 4), None],
        [None, None, None, None, None, None, None],
    ]


def test_excel_range_values_dtypes_roles_and_notes():
    table = load_table(excel_range())
    frame = table.frame

    assert list(frame.columns) == ["user_id", "country", "device", "revenue", "converted", "signup"]
    assert table.roles == {
        "user_id": Role.ID, "country": Role.DIMENSION, "device": Role.DIMENSION,
        "revenue": Role.METRIC, "converted": Role.FLAG, "signup": Role.DATE,
    }
    assert labels(frame["user_id"]) == ["1", "2", "3", "4"]  # whole floats, no ".0"
    assert frame["user_id"].dtype == "str"
    assert labels(frame["country"]) == ["UK", "UK", None, "India"]
    assert list(frame["country"].cat.categories) == ["India", "UK"]
    assert frame["country"].cat.categories.dtype == "str"
    assert frame["revenue"].dtype == "float64"
    assert labels(frame["revenue"]) == [10.0, None, 2.5, None]
    assert frame["converted"].dtype == "boolean"
    assert labels(frame["converted"]) == [True, False, None, True]
    assert pd.api.types.is_datetime64_dtype(frame["signup"])
    assert frame["signup"].iloc[2] == pd.Timestamp("2024-03-03 10:30")
    assert table.source_rows == 5
    assert table.notes == [
        "trimmed spaces in headers 'country'",
        "dropped 1 empty column: G",
        "dropped 1 empty row",
        "trimmed stray spaces in 2 cells of 'country'",
        "2 error cells (#N/A, #DIV/0!) in 'revenue' read as missing",
    ]


def test_dataframe_input_is_not_modified():
    df = pd.DataFrame({
        " plan ": pd.Series(["pro ", "free", None, "#N/A"], dtype=object),
        "seats": ["1", "2", "3", "1,000"],
        "tier": pd.Categorical([" a", "a", "b", None]),
        "when": pd.to_datetime(["2024-01-01 10:00"] * 4).tz_localize("Europe/Paris"),
        "n": pd.array([1, None, 3, 4], dtype="Int64"),
    }).set_axis([10, 11, 12, 13])
    before = df.copy(deep=True)

    table = load_table(df)

    pd.testing.assert_frame_equal(df, before)
    assert list(df["tier"].cat.categories) == [" a", "a", "b"]
    assert labels(table.frame["plan"]) == ["pro", "free", None, None]
    assert labels(table.frame["seats"]) == [1.0, 2.0, 3.0, 1000.0]
    assert labels(table.frame["tier"]) == ["a", "a", "b", None]
    assert list(table.frame.index) == [0, 1, 2, 3]


def test_dataframe_matches_the_equivalent_range():
    rows = excel_range()
    df = pd.DataFrame(rows[1:], columns=rows[0])
    from_range, from_frame = load_table(rows), load_table(df)
    pd.testing.assert_frame_equal(from_range.frame, from_frame.frame)
    assert from_range.roles == from_frame.roles


# ------------------------------------------------------------------------------------------ headers


def test_headers_are_trimmed_including_non_breaking_and_inner_runs():
    table = load_table([[f"{NBSP}plan ", "\u3000total\n revenue\t", "a\u200b"], ["x", 1.0, "y"], ["z", 2.0, "w"]])
    assert list(table.frame.columns) == ["plan", "total revenue", "a"]
    assert table.notes[0] == "trimmed spaces in headers 'plan', 'total revenue', 'a'"


def test_numeric_and_date_headers_become_text():
    rows = [[2024.0, 2.5, dt.datetime(2024, 1, 31), True], ["a", "b", "c", "d"], ["e", "f", "g", "h"]]
    table = load_table(rows)
    assert list(table.frame.columns) == ["2024", "2.5", "2024-01-31", "TRUE"]
    assert "read number/date headers as text: '2024', '2.5', '2024-01-31', 'TRUE'" in table.notes
    df = pd.DataFrame([["a", "b"], ["c", "d"]], columns=[2024, pd.Timestamp("2024-01-31")])
    assert list(load_table(df).frame.columns) == ["2024", "2024-01-31"]


@pytest.mark.parametrize("blank", [None, "", "  ", NBSP])
def test_blank_header_over_data_names_the_column(blank):
    rows = [["a", "b", blank], [1.0, "x", 5.0], [2.0, "y", 6.0]]
    with pytest.raises(XlsegError, match=r"^column C \(3rd\) has a blank header; give it a name$"):
        load_table(rows)


def test_blank_header_over_an_empty_column_is_dropped_not_an_error():
    rows = [["a", None, "b", ""], [1.0, None, "x", ""], [2.0, "", "y", None]]
    table = load_table(rows)
    assert list(table.frame.columns) == ["a", "b"]
    assert "dropped 2 empty columns: B, D" in table.notes


def test_duplicate_headers_name_both_columns():
    rows = [["plan", "seats", "plan "], ["a", 1.0, "b"]]
    with pytest.raises(XlsegError, match=r"^header 'plan' appears twice, in columns A \(1st\) and C \(3rd\); "
                                         r"rename one of them$"):
        load_table(rows)


def test_column_letters_beyond_z():
    rows = [[f"c{i}" for i in range(27)] + [None], [1.0] * 28]
    with pytest.raises(XlsegError, match=r"column AB \(28th\)"):
        load_table(rows)


# ------------------------------------------------------------------------------ empty rows, columns


def test_empty_rows_inside_and_at_the_end_are_dropped_and_order_kept():
    rows = [["name", "score"], ["c", 3.0], [None, None], ["", "  "], ["a", 1.0], ["b", None], [None, None]]
    table = load_table(rows)
    assert labels(table.frame["name"]) == ["c", "a", "b"]
    assert labels(table.frame["score"]) == [3.0, 1.0, None]
    assert table.source_rows == 6
    assert "dropped 3 empty rows" in table.notes


def test_named_empty_column_is_dropped_unless_asked_for():
    rows = [["name", "notes", "score"], ["a", None, 1.0], ["b", "", 2.0]]
    assert list(load_table(rows).frame.columns) == ["name", "score"]
    assert "dropped 1 empty column: 'notes' (B)" in load_table(rows).notes
    kept = load_table(rows, roles={"notes": "dimension"})
    assert labels(kept.frame["notes"]) == [None, None]
    assert list(load_table(rows, columns=["notes", "name"]).frame.columns) == ["name", "notes"]


def test_a_row_of_error_values_is_not_empty():
    rows = [["a", "b"], [1.0, 2.0], ["#N/A", "#REF!"]]
    table = load_table(rows)
    assert len(table.frame) == 2
    assert table.roles == {"a": Role.METRIC, "b": Role.METRIC}


def test_no_data_rows_is_an_error():
    with pytest.raises(XlsegError, match="no data under its header row"):
        load_table([["a", "b"], [None, None]])
    with pytest.raises(XlsegError, match="the table is empty"):
        load_table([])


# ------------------------------------------------------------------------------------ error values


ERRORS = ["#N/A", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#NULL!", "#SPILL!", "#CALC!", "#GETTING_DATA"]


def test_every_excel_error_value_reads_as_missing_and_is_counted():
    rows = [["revenue", "segment"]] + [[e, e] for e in ERRORS] + [[1.5, "a"], [2.0, "b"]]
    table = load_table(rows)
    assert table.roles["revenue"] == Role.METRIC
    assert labels(table.frame["revenue"]) == [None] * 10 + [1.5, 2.0]
    assert labels(table.frame["segment"]) == [None] * 10 + ["a", "b"]
    assert table.notes[0] == f"10 error cells ({', '.join(ERRORS)}) in 'revenue' read as missing"


def test_error_notes_count_cells_most_frequent_first():
    rows = [["x"], ["#DIV/0!"], [" #N/A "], ["#N/A"], [3.0]]
    assert load_table(rows).notes == ["3 error cells (#N/A, #DIV/0!) in 'x' read as missing"]


def test_labels_that_look_like_errors_or_formulas_stay_text():
    rows = [["fan"], ["#1 fan"], ["=1+1"], ["N/A pending"], ["#n/a"], ["+44 20"], ["-"]]
    table = load_table(rows)
    assert labels(table.frame["fan"]) == ["#1 fan", "=1+1", "N/A pending", "#n/a", "+44 20", "-"]
    assert table.roles["fan"] == Role.DIMENSION
    assert table.notes == []


# ---------------------------------------------------------------------------------- category labels


def test_labels_are_trimmed_and_merged_and_blanks_are_missing():
    table = one_column("country", ["UK", " UK", f"UK{NBSP}", "United  Kingdom", "", "   ", None, "India"])
    column = table.frame["country"]
    assert column.dtype == "category"
    assert list(column.cat.categories) == ["India", "UK", "United Kingdom"]
    assert labels(column) == ["UK", "UK", "UK", "United Kingdom", None, None, None, "India"]
    assert table.notes == [
        "1 cell in 'country' held only spaces; read as missing",
        "trimmed stray spaces in 3 cells of 'country'",
    ]


def test_dirty_categorical_dataframe_column_is_cleaned_and_keeps_category_order():
    df = pd.DataFrame({
        "size": pd.Categorical(["L ", "S", "L", None, " "], categories=["S", "L", "L ", " "]),
        "row": [1.0, 2.0, 3.0, 4.0, 5.0],
    })
    column = load_table(df).frame["size"]
    assert list(column.cat.categories) == ["S", "L"]
    assert labels(column) == ["L", "S", "L", None, None]


def test_numbers_among_labels_become_text_labels():
    rows = [["plan"], ["pro"], [2.0], ["free"], [2.5]]
    table = load_table(rows)
    assert labels(table.frame["plan"]) == ["pro", "2", "free", "2.5"]
    assert "'plan' mixes text and numbers; numbers read as text labels" in table.notes


def test_declared_dimension_of_numbers_sorts_categories_by_value():
    table = one_column("grade", [10.0, 9.0, None, 100.0], roles={"grade": "dimension"})
    assert list(table.frame["grade"].cat.categories) == ["9", "10", "100"]
    assert labels(table.frame["grade"]) == ["10", "9", None, "100"]


# ------------------------------------------------------------------------------------------- flags


@pytest.mark.parametrize(
    ("yes", "no"),
    [(True, False), ("TRUE", "FALSE"), ("true", "false"), ("Yes", "No"), ("YES", "no"), ("Y", "N"),
     ("y", "n"), (1.0, 0.0), ("1", "0")],
)
def test_flag_vocabulary_with_blanks(yes, no):
    table = one_column("converted", [yes, no, None, "", yes])
    assert table.roles["converted"] == Role.FLAG
    assert table.frame["converted"].dtype == "boolean"
    assert labels(table.frame["converted"]) == [True, False, None, None, True]


def test_flags_from_dataframe_dtypes():
    df = pd.DataFrame({
        "b": [True, False, True], "nb": pd.array([True, None, False], dtype="boolean"),
        "i": [1, 0, 1], "f": [1.0, np.nan, 0.0], "s": ["Yes", "No", "Yes"],
    })
    table = load_table(df)
    assert set(table.roles.values()) == {Role.FLAG}
    assert all(dtype == "boolean" for dtype in table.frame.dtypes)
    assert labels(table.frame["f"]) == [True, None, False]
    assert labels(table.frame["s"]) == [True, False, True]


def test_mixed_spellings_are_not_inferred_a_flag_but_accepted_when_declared():
    values = ["Yes", "N", "TRUE", 0.0, None]
    assert one_column("ok", values).roles["ok"] == Role.DIMENSION
    declared = one_column("ok", values, roles={"ok": Role.FLAG})
    assert labels(declared.frame["ok"]) == [True, False, True, False, None]


def test_one_sided_text_is_not_a_flag_but_real_booleans_are():
    assert load_table([["a"], ["Yes"], ["Yes"]]).roles["a"] == Role.DIMENSION
    assert one_column("a", [True, None]).roles["a"] == Role.FLAG


def test_declared_flag_with_another_value_names_value_and_data_row():
    with pytest.raises(XlsegError) as error:
        one_column("converted", ["Yes", "No", None, "maybe", "Yes", "perhaps"], roles={"converted": "flag"})
    assert str(error.value) == (
        "'converted' is a flag column but holds 'maybe' (data row 4); use TRUE/FALSE, Yes/No or 1/0"
    )


def test_declared_flag_on_numbers_rejects_other_numbers():
    df = pd.DataFrame({"clicked": [0, 1, 2]})
    with pytest.raises(XlsegError, match=r"'clicked' is a flag column but holds '2' \(data row 3\)"):
        load_table(df, roles={"clicked": "flag"})


# ---------------------------------------------------------------------------- numbers stored as text


def test_numbers_stored_as_text_convert_when_the_whole_column_is_numeric():
    table = one_column("sessions", ["3", 4.0, " 1,200 ", "-2.5", "1e3", ".5", None, "#N/A"])
    assert table.roles["sessions"] == Role.METRIC
    assert labels(table.frame["sessions"]) == [3.0, 4.0, 1200.0, -2.5, 1000.0, 0.5, None, None]
    assert "'sessions' held 5 numbers stored as text; converted" in table.notes


@pytest.mark.parametrize("odd", ["abc", "007", "12%", "$5", "1.234,5", "1,23", "inf"])  # "nan" is missing
def test_a_single_non_number_keeps_the_column_text(odd):
    table = load_table([["code"], ["1"], ["2"], [odd]])
    assert table.roles["code"] == Role.DIMENSION
    assert labels(table.frame["code"]) == ["1", "2", odd]


def test_declared_metric_with_text_is_an_error():
    with pytest.raises(XlsegError, match=r"^'revenue' is a metric column but holds 'pending' \(data row 2\); "):
        load_table([["revenue"], ["5"], ["pending"]], roles={"revenue": "metric"})


def test_sixteen_digit_ids_stay_text_exactly():
    ids = ["1234567890123456", "9007199254740993", "0000000000000001", "12345678901234567890"]
    table = load_table([["account"]] + [[i] for i in ids])
    assert table.roles["account"] == Role.ID
    assert table.frame["account"].dtype == "str"
    assert labels(table.frame["account"]) == ids
    assert "'account' holds numbers longer than 15 digits; kept as text" in table.notes


# ------------------------------------------------------------------------------------------- dates


def test_real_datetimes_dates_and_timestamps():
    values = [dt.datetime(2024, 3, 1), dt.date(2024, 3, 2), pd.Timestamp("2024-03-03 08:00"), None]
    table = one_column("day", values)
    assert table.roles["day"] == Role.DATE
    assert table.frame["day"].dtype == "datetime64[us]"
    assert labels(table.frame["day"]) == [
        pd.Timestamp("2024-03-01"), pd.Timestamp("2024-03-02"), pd.Timestamp("2024-03-03 08:00"), None,
    ]


def test_iso_text_dates_when_the_whole_column_parses():
    table = one_column("day", ["2024-03-01", "2024-03-01 10:00", " 2024-12-31T23:59:59 ", ""])
    assert table.roles["day"] == Role.DATE
    assert labels(table.frame["day"]) == [
        pd.Timestamp("2024-03-01"), pd.Timestamp("2024-03-01 10:00"), pd.Timestamp("2024-12-31 23:59:59"), None,
    ]
    assert "'day' held dates as text; converted" in table.notes


def test_impossible_iso_date_keeps_the_column_text():
    table = load_table([["day"], ["2024-03-01"], ["2024-02-30"]])
    assert table.roles["day"] == Role.DIMENSION


def test_declared_date_column_of_excel_serials():
    values = [45352.0, 45353.5, None, 1.0, 59.0, 61.0, "2024-03-05"]
    table = one_column("signup", values, roles={"signup": "date"})
    assert table.roles["signup"] == Role.DATE
    assert labels(table.frame["signup"]) == [
        pd.Timestamp("2024-03-01"), pd.Timestamp("2024-03-02 12:00"), None, pd.Timestamp("1900-01-01"),
        pd.Timestamp("1900-02-28"), pd.Timestamp("1900-03-01"), pd.Timestamp("2024-03-05"),
    ]
    assert "'signup' held Excel date serial numbers; converted to dates" in table.notes


def test_serials_are_numbers_unless_declared():
    assert load_table([["signup"], [45352.0], [45360.0]]).roles["signup"] == Role.METRIC


def test_declared_date_with_other_text_is_an_error():
    with pytest.raises(XlsegError, match=r"^'signup' is a date column but holds '2024/03/01' \(data row 2\)"):
        load_table([["signup"], [45352.0], ["2024/03/01"]], roles={"signup": "date"})
    with pytest.raises(XlsegError, match=r"holds '-3' \(data row 1\)"):
        load_table([["signup"], [-3.0]], roles={"signup": "date"})


def test_time_zone_aware_datetimes_become_naive_utc():
    paris = dt.timezone(dt.timedelta(hours=1))
    rows = [["at"], [dt.datetime(2024, 1, 1, 10, tzinfo=paris)], [dt.datetime(2024, 1, 2, 10, tzinfo=dt.UTC)]]
    table = load_table(rows)
    assert labels(table.frame["at"]) == [pd.Timestamp("2024-01-01 09:00"), pd.Timestamp("2024-01-02 10:00")]
    assert table.notes == ["'at' held time-zone-aware times; converted to UTC"]
    df = pd.DataFrame({"at": pd.to_datetime(["2024-01-01 10:00"]).tz_localize("Europe/Paris")})
    from_frame = load_table(df)
    assert from_frame.frame["at"].dt.tz is None
    assert from_frame.frame["at"].iloc[0] == pd.Timestamp("2024-01-01 09:00")
    assert from_frame.notes == ["'at' held time-zone-aware times; converted to UTC"]


# ---------------------------------------------------------------------------------- role inference


@pytest.mark.parametrize("name", ["id", "ID", "user_id", "user id", "userId", "accountID", "uuid", "order-guid"])
def test_id_like_names_make_ids(name):
    table = load_table([[name], [5.0], [5.0], [7.0]])
    assert table.roles[name] == Role.ID
    assert labels(table.frame[name]) == ["5", "5", "7"]


@pytest.mark.parametrize("name", ["paid", "valid", "Android", "grid"])
def test_names_merely_ending_in_id_are_not_ids(name):
    assert load_table([[name], [5.0], [7.0]]).roles[name] == Role.METRIC


def test_contiguous_distinct_whole_numbers_make_an_id_but_distinct_revenues_do_not():
    row_numbers = load_table([["n"]] + [[float(i)] for i in range(101, 130)])
    assert row_numbers.roles["n"] == Role.ID
    assert labels(row_numbers.frame["n"])[:2] == ["101", "102"]
    revenues = load_table([["revenue"]] + [[float(i * 7)] for i in range(1, 30)])
    assert revenues.roles["revenue"] == Role.METRIC
    few = load_table([["n"]] + [[float(i)] for i in range(1, 21)])
    assert few.roles["n"] == Role.METRIC


def test_distinct_text_makes_an_id_only_with_more_than_20_rows():
    assert load_table([["email"]] + [[f"u{i}@x.com"] for i in range(21)]).roles["email"] == Role.ID
    assert load_table([["email"]] + [[f"u{i}@x.com"] for i in range(20)]).roles["email"] == Role.DIMENSION
    repeated = [[f"u{i}@x.com"] for i in range(30)] + [["u1@x.com"]]
    assert load_table([["email"]] + repeated).roles["email"] == Role.DIMENSION


def test_numeric_id_columns_become_text_without_decimals():
    df = pd.DataFrame({
        "id": pd.array([1, None, 3], dtype="Int64"), "account_id": [1.0, np.nan, 1e15 + 1], "x": [1.5, 2.5, 3.5],
    })
    table = load_table(df)
    assert table.roles == {"id": Role.ID, "account_id": Role.ID, "x": Role.METRIC}
    assert labels(table.frame["id"]) == ["1", None, "3"]
    assert labels(table.frame["account_id"]) == ["1", None, "1000000000000001"]
    assert table.frame["id"].dtype == "str"


def test_dataframe_dtypes_give_roles():
    df = pd.DataFrame({
        "plan": pd.Categorical(["1", "0"]), "score": [1.5, 2.0], "when": pd.to_datetime(["2024-01-01"] * 2),
    })
    assert load_table(df).roles == {"plan": Role.DIMENSION, "score": Role.METRIC, "when": Role.DATE}


# ------------------------------------------------------------------------------ roles and columns


def test_roles_override_inference():
    rows = [["zip", "rating", "ok"], [75001.0, 4.0, "Yes"], [10115.0, 5.0, "No"]]
    table = load_table(rows, roles={"zip": "id", "rating": Role.DIMENSION, "ok": "DIMENSION"})
    assert table.roles == {"zip": Role.ID, "rating": Role.DIMENSION, "ok": Role.DIMENSION}
    assert labels(table.frame["zip"]) == ["75001", "10115"]
    assert labels(table.frame["ok"]) == ["Yes", "No"]


def test_unknown_role_column_or_role_name():
    rows = [["device", "n"], ["a", 1.0]]
    with pytest.raises(XlsegError, match=r"^column 'devce' not found; did you mean 'device'\?$"):
        load_table(rows, roles={"devce": "dimension"})
    with pytest.raises(XlsegError, match=r"^unknown role 'category' for 'device'; use one of dimension, metric"):
        load_table(rows, roles={"device": "category"})


def test_columns_restrict_the_result_and_are_validated():
    rows = [["a", "b", "c"], ["x", 1.0, "#N/A"], ["y", 2.0, "z"]]
    table = load_table(rows, columns=["b", "a"])
    assert list(table.frame.columns) == ["a", "b"]
    assert table.roles == {"a": Role.DIMENSION, "b": Role.METRIC}
    assert table.notes == []  # 'c' was never cleaned
    with pytest.raises(XlsegError, match=r"^column 'd' not found; columns are 'a', 'b', 'c'$"):
        load_table(rows, columns=["d"])
    assert list(load_table(rows, columns="b").frame.columns) == ["b"]


def test_table_input_is_returned_or_re_roled():
    table = load_table([["plan", "n"], ["a", 1.0], ["b", 0.0], ["a", 1.0]])
    assert load_table(table) is table
    assert table.roles["n"] == Role.FLAG
    as_metric = load_table(table, roles={"n": "metric"}, columns=["n"])
    assert isinstance(as_metric, Table)
    assert as_metric.roles == {"n": Role.METRIC}
    assert labels(as_metric.frame["n"]) == [1.0, 0.0, 1.0]
    assert table.roles["n"] == Role.FLAG  # the original is untouched


def test_unsupported_input_type():
    with pytest.raises(XlsegError, match="can't read a int as a table"):
        load_table(3)


# ------------------------------------------------------------------------------------ fast paths


def test_clean_dataframe_columns_pass_through_unchanged():
    rng = np.random.default_rng(1)
    df = pd.DataFrame({
        "device": pd.Categorical(rng.choice(["Mobile", "Desktop"], 1000)),
        "revenue": rng.gamma(2.0, 10.0, 1000),
        "converted": rng.random(1000) < 0.3,
        "signup": pd.date_range("2024-01-01", periods=1000, freq="h"),
    })
    table = load_table(df)
    np.testing.assert_array_equal(table.frame["revenue"].to_numpy(), df["revenue"].to_numpy())
    np.testing.assert_array_equal(table.frame["device"].cat.codes, df["device"].cat.codes)
    assert table.frame["converted"].astype(bool).tolist() == df["converted"].tolist()
    assert (table.frame["signup"] == df["signup"]).all()
    assert table.notes == []


# ------------------------------------------------------------------------------- property: shapes agree


cells = st.one_of(
    st.none(), st.sampled_from(["a", " a", "b\xa0", "", "#N/A", "Yes", "No"]),
    st.floats(min_value=-1e6, max_value=1e6, allow_nan=False).map(lambda x: round(x, 2)),
)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(cells, min_size=3, max_size=3), min_size=1, max_size=25))
def test_range_and_dataframe_of_the_same_cells_agree(body):
    rows = [["p", "q", "r"], *body]
    df = pd.DataFrame(body, columns=["p", "q", "r"], dtype=object)
    try:
        from_range = load_table(rows)
    except XlsegError:
        with pytest.raises(XlsegError):
            load_table(df)
        return
    from_frame = load_table(df)
    pd.testing.assert_frame_equal(from_range.frame, from_frame.frame)
    assert from_range.roles == from_frame.roles
    assert from_range.notes == from_frame.notes
    nonblank = [r for r in body if any(c is not None and str(c).strip() for c in r)]
    assert len(from_range.frame) == len(nonblank)


def test_threaded_cleaning_of_large_tables_matches_the_serial_path(monkeypatch):
    import xlseg.parallel as parallel_module
    from xlseg.demo import make_users

    users = make_users(3000)
    users.loc[5, "geography"] = "  Brazil\xa0"
    monkeypatch.setattr(parallel_module, "PARALLEL_ROWS", 1)  # threads on
    threaded = load_table(users, roles={"sessions": "dimension"})
    monkeypatch.setattr(parallel_module, "PARALLEL_ROWS", 10**9)  # threads off
    serial = load_table(users, roles={"sessions": "dimension"})
    pd.testing.assert_frame_equal(threaded.frame, serial.frame)
    assert threaded.roles == serial.roles and threaded.notes == serial.notes
    assert threaded.frame.loc[5, "geography"] == "Brazil"


def test_threaded_cleaning_reports_the_first_bad_column(monkeypatch):
    import xlseg.parallel as parallel_module

    monkeypatch.setattr(parallel_module, "PARALLEL_ROWS", 1)
    rows = [["a", "b"], ["maybe", "x"], ["Yes", "y"]]
    with pytest.raises(XlsegError, match="'a' is a flag column"):
        load_table(rows, roles={"a": "flag", "b": "flag"})


def test_infinite_numbers_are_missing_with_a_note_and_the_input_is_untouched():
    """Excel holds no infinity: ±inf (a DataFrame, or text beyond float range) is a missing value, counted."""
    df = pd.DataFrame({"g": list("aabbc"), "r": [1.0, np.inf, 2.0, -np.inf, 3.0]})
    before = df.copy()
    table = load_table(df)
    assert table.notes == ["2 infinite values in 'r' read as missing"]
    pd.testing.assert_frame_equal(df, before)
    result = xlseg.breakdown(df, "g", "r:mean,sum")
    finite = df.assign(r=df["r"].replace([np.inf, -np.inf], np.nan))
    expected = finite.groupby("g")["r"].agg(["mean", "sum"])
    assert result["r mean"].iloc[:-1].tolist() == expected["mean"].tolist()
    assert result["r sum"].iloc[-1] == finite["r"].sum()
    from_text = load_table([["g", "r"], ["a", "1e400"], ["b", "2"]])
    assert from_text.frame["r"].isna().tolist() == [True, False]
    assert "1 infinite value in 'r' read as missing" in from_text.notes


def test_arrow_tables_and_polars_frames_are_read_like_the_pandas_frame():
    """Anything exporting an Arrow stream (pyarrow Table, polars DataFrame) gives the pandas frame's table."""
    import pyarrow as pa

    users = xlseg.make_users(400, seed=5)
    expected = load_table(users)
    for data in [pa.Table.from_pandas(users, preserve_index=False)] + _polars_frames(users):
        table = load_table(data)
        assert table.roles == expected.roles
        pd.testing.assert_frame_equal(table.frame, expected.frame, check_dtype=False)
        assert xlseg.breakdown(data, "device")["users"].tolist() == xlseg.breakdown(users, "device")["users"].tolist()


def _polars_frames(users: pd.DataFrame) -> list[object]:
    try:
        import polars as pl
    except ImportError:  # polars is an optional benchmark baseline; the pyarrow Table covers the interface
        return []
    return [pl.from_pandas(users)]


def test_an_unknown_input_type_names_it():
    with pytest.raises(XlsegError, match=r"^can't read a dict as a table; pass a range's values"):
        load_table({"a": [1]})
