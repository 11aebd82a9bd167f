"""The Office.js face (xlwings Lite / xlwings Server) through xlwings' own server code, against the classic add-in.

``xlwings.server`` (``custom_functions_meta``, ``custom_functions_call``, ``custom_scripts_call``) and the
remote engine ``xw.Book(json=...)`` are xlwings PRO code, used here under the noncommercial licence of this
open-source project: ``XLWINGS_LICENSE_KEY=noncommercial`` must be set before xlwings is imported, so
tests/test_officejs.py runs this file in a subprocess with it; in a plain pytest run it is skipped.

The parity table: each case is called once as classic Excel calls a UDF (a COM range's values through
xlwings' Windows value cleaning, ``call_like_excel``) and once as Office.js calls a custom function (a JSON
payload as the add-in sends it: every argument a matrix, numbers as JSON numbers, dates as serial numbers,
error cells as ``{"type": "Error", ...}`` objects, empty cells as ``""`` or ``null``, omitted arguments as
``null``), through ``custom_functions_call``. Both must write the same cells.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import sys
import types

import pytest
from xlwings_stubs import MISSING

from xlseg.demo import make_users

pytestmark = pytest.mark.skipif(
    os.environ.get("XLWINGS_LICENSE_KEY") != "noncommercial",
    reason="runs in a subprocess with the noncommercial xlwings licence (see tests/test_officejs.py)",
)

if os.environ.get("XLWINGS_LICENSE_KEY") == "noncommercial":
    import xlwings as xw
    from xlwings import server
    from xlwings.utils import datetime_to_xlserial
    from xlwings_stubs import (
        Replay,
        call_like_excel,
        com_values,
        real_xlwings_decorators,
        remote_book_json,
        windows_value_engine,
    )

    from xlseg.excel import officejs
    from xlseg.excel.formulas import FORMULAS
    from xlseg.excel.macros import segment_selection as classic_macro

OFFICE_ERRORS = {"#N/A": "NotAvailable", "#DIV/0!": "Div0", "#VALUE!": "Value", "#REF!": "Ref"}


@pytest.fixture(scope="module")
def classic():
    """``xlseg.excel.udfs`` with the classic add-in's real decorators (pywin32 stubbed)."""
    with real_xlwings_decorators("xlseg.excel.udfs") as modules, windows_value_engine():
        yield modules["xlseg.excel.udfs"]


def sheet_rows(n: int = 80, seed: int = 11) -> list[list[object]]:
    """A users table as it sits on a sheet: header row, numbers, dates, booleans, one error and one blank."""
    frame = make_users(n, seed=seed).drop(columns=["user_id"])
    rows: list[list[object]] = [list(frame.columns)]
    for record in frame.itertuples(index=False):
        rows.append([v.to_pydatetime() if hasattr(v, "to_pydatetime") else (v.item() if hasattr(v, "item") else v)
                     for v in record])
    rows[3][list(frame.columns).index("converted")] = "#N/A"
    rows[5][list(frame.columns).index("session_length")] = None
    rows[7][list(frame.columns).index("revenue")] = "#DIV/0!"
    return rows


def office_cell(value: object, empty: object = "") -> object:
    """A cell as Office.js hands it to a custom function: serial dates, error objects, whole numbers as ints."""
    if value is None:
        return empty
    if isinstance(value, dt.datetime | dt.date):
        return datetime_to_xlserial(value if isinstance(value, dt.datetime) else dt.datetime(*value.timetuple()[:3]))
    if isinstance(value, str) and value in OFFICE_ERRORS:
        return {"type": "Error", "basicValue": value, "errorType": OFFICE_ERRORS[value]}
    if isinstance(value, float) and value.is_integer():
        return int(value)  # a JS number that is whole arrives in Python as an int (Pyodide and JSON alike)
    return value


def office_arg(value: object, empty: object = "") -> object:
    """An argument as Office.js sends it: always a matrix (``dimensionality: matrix``); omitted → null."""
    if value is MISSING:
        return None
    rows = value if isinstance(value, list) and value and isinstance(value[0], list) else [[value]]
    if isinstance(value, list) and value and not isinstance(value[0], list):
        rows = [[v] for v in value]
    return [[office_cell(v, empty) for v in row] for row in rows]


def call_officejs(name: str, *args: object, empty: object = "") -> object:
    payload = {
        "func_name": name, "args": [office_arg(a, empty) for a in args], "caller_address": "Sheet1!K2",
        "formula_name": name, "version": xw.__version__, "client": "Office.js", "runtime": "1.4",
        "culture_info_name": "en-US", "date_format": "M/d/yyyy",
    }
    payload = json.loads(json.dumps(payload))  # exactly what survives the wire (xlwings Server)
    return asyncio.run(server.custom_functions_call(payload, officejs))


def classic_arg(value: object) -> object:
    if value is MISSING:
        return MISSING
    if isinstance(value, list):
        return com_values(value if isinstance(value[0], list) else [[v] for v in value])
    return value


def call_classic(module: types.ModuleType, name: str, *args: object) -> object:
    return call_like_excel(getattr(module, name), *(classic_arg(a) for a in args))


def cells(values: object) -> list[list[object]]:
    """Written cells in one comparable form: a date as its serial number, empty as ""."""

    def one(value: object) -> object:
        if isinstance(value, dict) and value.get("type") == "FormattedNumber":
            return value["basicValue"]
        if isinstance(value, dt.datetime):
            return datetime_to_xlserial(value)
        return "" if value is None else value

    assert isinstance(values, list)
    return [[one(v) for v in row] for row in values]


def column(rows: list[list[object]], name: str) -> list[object]:
    return [row[rows[0].index(name)] for row in rows[1:]]


def parity_cases() -> list[tuple[str, tuple[object, ...]]]:
    rows = sheet_rows()
    return [
        ("SEG_BREAKDOWN", (rows, "device", "converted:rate; session_length:mean,median", MISSING)),
        ("SEG_BREAKDOWN", (rows, "geography, device", "converted:rate", "min_size=5; compare; intervals; top=4")),
        ("SEG_BREAKDOWN", (rows, ["plan", "device"], MISSING, [["subtotals", True], ["min_size", 10]])),
        ("SEG_BREAKDOWN", (rows, "signup_date", "revenue:sum", "bins=signup_date:quarter; roles=signup_date:date")),
        ("SEG_BREAKDOWN", (rows, "session_length", "converted", "bins=session_length:q4")),
        ("SEG_CROSSTAB", (rows, "plan", "device", MISSING, MISSING, MISSING, MISSING)),
        ("SEG_CROSSTAB", (rows, "geography", "device", "session_length", "median", "row", "top=3")),
        ("SEG_COMPARE", (rows, "plan", "converted:rate", MISSING)),
        ("SEG_COMPARE", (rows, "device", "session_length", "min_size=15; sort=lift")),
        ("SEG_BINS", (column(rows, "session_length"), "edges:5,10,15")),
        ("SEG_BINS", (column(rows, "signup_date"), "month")),
        ("SEG_BINS", (column(rows, "device"), MISSING)),
        ("SEG_PROFILE", (rows, "roles=signup_date:date")),
        # errors: one sentence in the cell, in both
        ("SEG_BREAKDOWN", (rows, "devce", MISSING, MISSING)),
        ("SEG_COMPARE", (rows, "plan", "revenue:median", MISSING)),
        ("SEG_BREAKDOWN", (rows, "device", MISSING, "min_sise=3")),
        ("SEG_BINS", ([["a", 1], ["b", 2]], MISSING)),
        ("SEG_BREAKDOWN", ([["device", "converted"]], "device", MISSING, MISSING)),
    ]


def test_metadata_lists_every_formula_with_its_parameters_and_descriptions(classic):
    meta = server.custom_functions_meta(officejs)
    functions = {f["name"]: f for f in meta["functions"]}
    assert set(functions) == set(FORMULAS) == {n for n in vars(classic) if n.startswith("SEG_")}
    for name, function in functions.items():
        info = getattr(classic, name).__xlfunc__
        assert function["id"] == name and function["description"] == info["ret"]["doc"]
        assert function["result"] == {"dimensionality": "matrix", "type": "any"}
        params = [(p["name"], p["description"], p.get("optional", False)) for p in function["parameters"]]
        assert params == [(a["name"], a["doc"], "optional" in a) for a in info["args"]]
    # the metadata for one function, as Excel receives it (printed for the record: pytest -s)
    print(json.dumps(functions["SEG_COMPARE"], indent=2))


def test_custom_function_options_match_the_classic_converters(classic):
    for name in FORMULAS:
        office, addin = getattr(officejs, name).__xlfunc__, getattr(classic, name).__xlfunc__
        for a, b in zip(office["args"], addin["args"], strict=True):
            same = {k: v for k, v in a["options"].items() if k != "convert"}
            assert same == {k: v for k, v in b["options"].items() if k != "convert"}, (name, a["name"])


@pytest.mark.parametrize(("name", "args"), parity_cases(), ids=lambda v: v if isinstance(v, str) else "")
def test_officejs_spills_the_same_cells_as_the_classic_addin(classic, name, args):
    addin = cells(call_classic(classic, name, *args))
    office = cells(call_officejs(name, *args))
    if name == "SEG_PROFILE":  # the one difference, said in a note: Office.js handed the dates over as serials
        serials = [row for row in office if "held Excel date serial numbers" in str(row[0])]
        assert len(serials) == 1
        office.remove(serials[0])
    assert office == addin
    if len(addin) == 1 and len(addin[0]) == 1:  # a message: one sentence
        text = addin[0][0]
        assert isinstance(text, str) and text.endswith((".", "?")) and "\n" not in text and len(text) < 200


def test_empty_cells_sent_as_null_read_like_empty_strings(classic):
    rows = sheet_rows(40, seed=5)
    as_null = cells(call_officejs("SEG_BREAKDOWN", rows, "device", "session_length:mean", MISSING, empty=None))
    assert as_null == cells(call_classic(classic, "SEG_BREAKDOWN", rows, "device", "session_length:mean", MISSING))


def test_dates_arrive_as_serials_and_need_a_declared_role():
    """Office.js hands no number formats: undeclared, a date column is numbers (documented in the README)."""
    rows = sheet_rows(40, seed=5)
    profile = cells(call_officejs("SEG_PROFILE", rows, MISSING))
    roles = {row[0]: row[1] for row in profile[1:] if row[0] in rows[0]}
    assert roles["signup_date"] != "date"
    declared = cells(call_officejs("SEG_PROFILE", rows, "roles=signup_date:date"))
    assert {row[0]: row[1] for row in declared[1:] if row[0] in rows[0]}["signup_date"] == "date"


def test_behaviour_formulas_read_serial_dates_with_a_declared_time_role(classic):
    """An activity table through Office.js (dates as serials): with roles=time:date the lifecycle and RFM are the
    classic add-in's; without it the cell says how to declare the role."""
    events = make_users(60, seed=4)[["user_id", "signup_date", "revenue"]].rename(columns={"signup_date": "time"})
    rows: list[list[object]] = [["user_id", "time", "revenue"]]
    for k, record in enumerate(events.itertuples(index=False)):
        for repeat in range(1 + k % 3):  # repeat users on later days
            rows.append([f"u{record.user_id}", record.time.to_pydatetime() + dt.timedelta(days=40 * repeat),
                         float(record.revenue)])
    for name, args in [("SEG_LIFECYCLE", ("user_id", "time", "week", "roles=time:date")),
                       ("SEG_RFM", ("user_id", "time", "revenue", "roles=time:date; summary"))]:
        office = cells(call_officejs(name, rows, *args))
        assert office == cells(call_classic(classic, name, rows, *args)) and len(office) > 3, name
    message = call_officejs("SEG_LIFECYCLE", rows, "user_id", "time", MISSING, MISSING)
    assert "roles" in message[0][0] and "date" in message[0][0]


def test_lite_main_py_that_imports_the_functions_registers_them_all():
    """xlwings Lite reads main.py: ``from xlseg.excel.officejs import *`` is all it needs."""
    main = types.ModuleType("main")
    exec("from xlseg.excel.officejs import *", main.__dict__)  # noqa: S102 - the user's main.py
    sys.modules["main"] = main
    try:
        names = [f["name"] for f in server.custom_functions_meta(main)["functions"]]
        scripts = [s["function_name"] for s in server.custom_scripts_meta(main)]
        result = call_officejs("SEG_BINS", [1, 2, 3, 4], "equal:2")
    finally:
        del sys.modules["main"]
    assert sorted(names) == sorted(FORMULAS) and scripts == ["segment_selection"]
    assert len(result) == 4 and result[0] == result[1] != result[2] == result[3]  # two equal-width bins


def run_script(sheets, selection):
    data = remote_book_json(sheets, selection=selection)
    book = xw.Book(json=data)
    names = [s["name"] for s in data["sheets"]]
    asyncio.run(server.custom_scripts_call(officejs, "segment_selection", typehint_to_value={xw.Book: book}))
    actions = book.impl.json()["actions"]
    return Replay(names).apply(actions), actions


def test_script_writes_the_same_sheets_as_the_macro():
    rows = sheet_rows(120, seed=2)
    sheets = {"Data": rows}
    replay, actions = run_script(sheets, "B3")
    data = remote_book_json(sheets, selection="B3")
    book = xw.Book(json=data)
    classic_macro(book)
    assert actions == book.impl.json()["actions"]
    assert len(replay.order) > 2 and replay.order[0] == "Data"
    assert server.custom_scripts_meta(officejs)[0]["name"] == "Segment selection"


def test_script_tells_the_user_in_one_sentence():
    _, actions = run_script({"Data": [["a", "b"], [1, 2]], "Empty": [[None]]}, "Z99")
    alerts = [a["args"][0] for a in actions if a["func"] == "alert"]
    assert len(alerts) == 1 and alerts[0].endswith(".") and "\n" not in alerts[0]
