"""The formula registry that both Excel faces are made from, and (in a subprocess) the Office.js face itself.

``xlseg.excel.officejs`` is made with ``xlwings.server`` (xlwings PRO code): its tests
(tests/test_officejs_remote.py) run in a subprocess with ``XLWINGS_LICENSE_KEY=noncommercial`` set before
xlwings is imported, the noncommercial licence of this open-source project; nothing else here needs a key.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from xlwings_stubs import run_remote_tests

from xlseg.excel import formulas, udfs
from xlseg.excel.formulas import FORMULAS, Param, formula

OFFICEJS = Path(formulas.__file__).with_name("officejs.py")


def test_officejs_cases_through_xlwings_server_code():
    run_remote_tests("test_officejs_remote.py")


def test_both_faces_are_made_from_the_one_registry():
    """The classic face has exactly the registered formulas; the Office.js face builds its set from the same
    dict (read from its source here, since importing it needs the licence; the subprocess checks the names)."""
    assert {name for name in vars(udfs) if name.startswith("SEG_")} == set(FORMULAS)
    assert set(FORMULAS) >= {"SEG_BREAKDOWN", "SEG_CROSSTAB", "SEG_COMPARE", "SEG_BINS", "SEG_PROFILE"}
    source = ast.parse(OFFICEJS.read_text(encoding="utf-8"))
    defined = {node.name for node in source.body if isinstance(node, ast.FunctionDef)}
    assert not {name for name in defined if name.startswith("SEG_")}, "Office.js must not define a formula itself"


def test_registry_refuses_parameters_that_do_not_match_the_signature():
    with pytest.raises(ValueError, match="must be"):

        @formula(Param("data", "d"), Param("options", "o"))
        def SEG_MISMATCH(data, by):  # noqa: N802
            return data

    assert "SEG_MISMATCH" not in FORMULAS


def test_a_registered_formula_is_cell_safe_and_its_description_one_paragraph():
    for name, entry in FORMULAS.items():
        assert entry.doc and "\n" not in entry.doc and entry.body.__name__ == name
    assert entry.body(None) .endswith(".")  # the last one, called with nonsense: a sentence, not a raise


def test_spill_writes_missing_as_empty_and_numbers_as_python_numbers():
    import numpy as np
    import pandas as pd

    frame = pd.DataFrame({"device": ["ios", "web"], "users": np.array([3, 4]), "mean": [1.5, np.nan],
                          "day": pd.to_datetime(["2024-01-02", None])})
    rows = formulas.spill(frame, "nothing")
    assert rows[0] == ["device", "users", "mean", "day"]
    assert rows[1][:3] == ["ios", 3, 1.5] and type(rows[1][1]) is int and rows[1][3].year == 2024
    assert rows[2][2] is None and rows[2][3] is None
    assert formulas.spill(frame.iloc[0:0], "nothing") == "nothing"
