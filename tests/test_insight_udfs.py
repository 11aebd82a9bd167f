"""=SEG_SCAN and =SEG_GAP through xlwings' real registration and argument/return converters, as Excel calls them.

The spilled values are compared with :func:`xlseg.scan` / :func:`xlseg.gap` (whose numbers tests/test_scan.py
and tests/test_gap.py check against independent computations); the last lines are the counts of tested and
skipped segments and the gap's plain-language explanation.
"""

from __future__ import annotations

import numpy as np
import pytest
from test_gap import berkeley
from test_udfs import assert_excel_types, assert_same_table, excel_rows, message
from xlwings_stubs import MISSING, call_like_excel, com_values, real_xlwings_decorators, windows_value_engine

import xlseg
from xlseg.demo import make_users


@pytest.fixture(scope="module")
def udfs():
    with real_xlwings_decorators("xlseg.excel.udfs") as modules, windows_value_engine():
        yield modules["xlseg.excel.udfs"]


def _table_part(spilled: list[list[object]]) -> tuple[list[list[object]], list[object]]:
    """The spilled table (up to the empty row) and the text lines under it."""
    blank = next(i for i, row in enumerate(spilled) if all(v in ("", None) for v in row))
    return spilled[:blank], [row[0] for row in spilled[blank + 1:]]


def _blank_as_missing(frame):
    """An empty ``explained_by`` spills as an empty cell, which reads back as missing."""
    return frame.astype({"explained_by": object}).replace({"explained_by": {"": np.nan}})


def test_scan_spills_the_ranked_table_and_says_what_was_tested(udfs):
    users = make_users(2000, seed=3)
    spilled = call_like_excel(udfs.SEG_SCAN, com_values(excel_rows(users)), "converted:rate",
                              "by=device, plan, geography; min_size=40; top=15")
    table, lines = _table_part(spilled)
    expected = xlseg.scan(users, "converted:rate", by=["device", "plan", "geography"], min_size=40)
    assert_same_table(table, _blank_as_missing(expected.head(15)))
    assert_excel_types(table)
    facts = expected.attrs
    assert lines[0].startswith(f"Tested {facts['tested']:,} segments ({facts['skipped']:,} under 40 users skipped)")


def test_scan_options_as_a_range_and_depth_one(udfs):
    users = make_users(800, seed=4)
    options = (("by", "device"), ("by", "plan"), ("depth", 1.0))
    spilled = call_like_excel(udfs.SEG_SCAN, com_values(excel_rows(users)), "session_length:mean", options)
    table, _ = _table_part(spilled)
    assert_same_table(table, _blank_as_missing(xlseg.scan(users, "session_length:mean", by=["device", "plan"],
                                                          depth=1)))
    assert {row[0] for row in table[1:]} <= {"device", "plan"}


def test_gap_spills_the_decomposition_and_the_reversal_sentence(udfs):
    data = com_values(excel_rows(berkeley()))
    spilled = call_like_excel(udfs.SEG_GAP, data, "department", "admitted:rate", "gender:Male:Female", MISSING)
    table, lines = _table_part(spilled)
    expected = xlseg.gap(berkeley(), "department", "admitted:rate", between=("gender", "Male", "Female"))
    assert_same_table(table, expected)
    assert lines[0] == expected.attrs["explanation"] and "but within department" in lines[0]
    as_range = call_like_excel(udfs.SEG_GAP, data, "department", "admitted", (("gender", "Male", "Female"),),
                               MISSING)
    assert as_range == spilled


@pytest.mark.parametrize("name, args, expected", [
    ("SEG_SCAN", ("convrted:rate", MISSING), "Column 'convrted' not found; did you mean 'converted'?"),
    ("SEG_SCAN", ("converted:rate", "depth=3"), "Depth must be 1 or 2, not 3."),
    ("SEG_SCAN", ("converted:rate", "sort=users"), "SEG_SCAN does not take the option 'sort'"),
    ("SEG_GAP", ("plan", "converted:rate", "device:Mobile:Phone", MISSING), "'Phone' is not a value of 'device'"),
    ("SEG_GAP", ("plan, geography", "converted:rate", "device:Mobile:Desktop", MISSING), "by one column"),
    ("SEG_GAP", ("plan", "converted:rate", MISSING, MISSING), "Between is empty"),
])
def test_problems_are_one_sentence_in_the_cell(udfs, name, args, expected):
    data = com_values(excel_rows(make_users(300, seed=5)))
    text = message(call_like_excel(getattr(udfs, name), data, *args))
    assert text.startswith(expected) or expected in text, text
