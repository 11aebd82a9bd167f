"""The xlwings writer: helpers here, the painting itself on xlwings' remote engine in a subprocess.

xlwings' remote engine is part of xlwings PRO; this open-source project uses it under the noncommercial
licence (``XLWINGS_LICENSE_KEY=noncommercial``), which must be set before xlwings is imported. So the
engine tests (tests/test_xlwings_writer_remote.py) run in a subprocess that has it, and the rest of the
test suite, like xlseg itself, never needs a key.
"""

from __future__ import annotations

from xlwings_stubs import run_remote_tests

from xlseg.sheets.layout import Block, Column, Row
from xlseg.writers.xlwings_writer import _format_runs, _runs, excel_value


def test_remote_engine_cases():
    run_remote_tests("test_xlwings_writer_remote.py")


def test_strings_get_a_text_prefix_and_others_pass():
    assert excel_value("=1+1") == "'=1+1"
    assert excel_value("'quoted") == "''quoted"
    assert excel_value("") is None and excel_value(None) is None
    assert excel_value(2.5) == 2.5 and excel_value(True) is True


def test_number_formats_go_out_in_runs_of_columns():
    block = Block(columns=[Column("seg"), Column("users", "#,##0"), Column("n", "#,##0"), Column("share", "0.0%"),
                           Column("note"), Column("x", "0.0%")], stub=1,
                  rows=[Row(("a", 1, 2, 0.5, "", 0.1)), Row(("b", 3, 4, 0.2, "", 0.3)),
                        Row(("c", 5, 6, 0.7, "", 9.0), formats={5: "0.00"})])
    block.top = 1  # header on row 1, body rows 2-4, columns A-F
    assert sorted(_format_runs(block)) == [("#,##0", (2, 2, 4, 3)), ("0.0%", (2, 4, 4, 4)), ("0.0%", (2, 6, 3, 6)),
                                           ("0.00", (4, 6, 4, 6))]
    assert _runs([3, 4, 5, 8, 10, 11]) == [(3, 5), (8, 8), (10, 11)]
