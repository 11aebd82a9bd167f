"""The "segment this table" macro: registration through xlwings' real code, the region logic, and (in a
subprocess) the macro itself on xlwings' remote engine.

xlwings' remote engine is part of xlwings PRO; this open-source project uses it under the noncommercial
licence (``XLWINGS_LICENSE_KEY=noncommercial``), which must be set before xlwings is imported. So those
cases (tests/test_macros_remote.py) run in a subprocess that has it; nothing else needs a key.
"""

from __future__ import annotations

import pytest
from xlwings_stubs import call_like_excel, real_xlwings_decorators, run_remote_tests, vba_module, windows_value_engine

from xlseg.excel.macros import current_region, source_key


def test_remote_engine_cases():
    run_remote_tests("test_macros_remote.py")


def test_import_functions_creates_the_macro_subs():
    with real_xlwings_decorators("xlseg.excel.macros") as modules:
        vba = vba_module(modules["xlseg.excel.macros"], "xlseg.excel.macros")
    assert "Sub SegmentSelection()\n" in vba  # no arguments: listed in Alt+F8 and assignable to a button
    assert 'XLPy.CallUDF "xlseg.excel.macros", "SegmentSelection", Array(), ThisWorkbook, Application.Caller' in vba
    assert "Sub segment_selection(Optional book)" in vba
    assert "Function " not in vba


def test_the_subs_survive_xlwings_call_path(monkeypatch):
    """call_udf converts a Sub's return value too: its type hint must name a converter xlwings has."""
    with real_xlwings_decorators("xlseg.excel.macros") as modules, windows_value_engine():
        macros = modules["xlseg.excel.macros"]
        calls = []
        monkeypatch.setattr(macros, "segment_selection", lambda book=None: calls.append(book) or ["Summary"])
        assert call_like_excel(macros.SegmentSelection) == [[""]]
        assert calls == [None]


def test_udf_modules_of_the_workbook_register_formulas_and_macro_together():
    with real_xlwings_decorators("xlseg.excel.udfs", "xlseg.excel.macros") as modules:
        vba = "".join(vba_module(modules[name], name) for name in ("xlseg.excel.udfs", "xlseg.excel.macros"))
    formulas = [name for name in vars(modules["xlseg.excel.udfs"]) if name.startswith("SEG_")]
    assert len(formulas) >= 7 and vba.count("Function SEG_") == len(formulas) and vba.count("Sub ") == 2


GRID = [
    ["title", None, None, None, None, None],
    [None, None, None, None, None, None],
    [None, "a", "b", None, "x", None],
    [None, 1, 2, None, "y", None],
    [None, 3, None, None, None, None],
    [None, None, None, 5, None, None],  # touches the block diagonally: part of the region
    [None, None, None, None, None, None],
]


@pytest.mark.parametrize(
    ("cell", "region"),
    [((3, 1), (2, 1, 5, 4)), ((5, 3), (5, 3, 5, 3)), ((2, 4), (2, 4, 3, 4)), ((0, 0), (0, 0, 0, 0))],
)
def test_current_region_grows_like_excel(cell, region):
    assert current_region(GRID, *cell) == region


def test_source_key_ignores_case_like_sheet_names():
    assert source_key("Data") == source_key("DATA") != source_key("Data2")
    assert len(source_key("x")) == 8
