"""Run xlwings' Windows-only UDF machinery on Linux, for the formula and macro registration tests.

Nothing here imitates xlseg or xlwings: only the pywin32 modules (``pythoncom``, ``pywintypes``,
``win32com``, ``win32com.client``, ``win32timezone``) are replaced by empty stand-ins, so that xlwings'
own code can be imported and run:

* :func:`real_xlwings_decorators` imports ``xlwings.udfs`` and imports modules afresh while
  ``xw.func``/``xw.arg``/``xw.ret``/``xw.sub``/``xw.script`` are its real ``xlfunc``/``xlarg``/``xlret``/
  ``xlsub`` (on Linux they are no-ops), so functions carry the metadata *Import Functions* reads.
* :func:`vba_module` runs ``xlwings.udfs.generate_vba_wrapper``: the VBA *Import Functions* puts into Excel.
* :func:`windows_value_engine` registers an ``"excel"`` engine whose value cleaning is the code of
  ``xlwings/_xlwindows.py`` itself (``_clean_value_data_element``, ``Engine.clean_value_data`` and
  ``Engine.prepare_xl_data_element``, extracted from the installed source and executed), so
  ``xlwings.conversion.read``/``write`` treat values as they do for a COM range on Windows.
* :func:`call_like_excel` repeats ``xlwings.udfs.call_udf``'s argument loop (omitted argument → default,
  each value through ``conversion.read`` with the argument's options) and its ``conversion.write`` of
  the result.

Everything is restored on exit (``sys.modules``, the decorators, the engines).
"""

from __future__ import annotations

import ast
import datetime as dt
import importlib
import io
import sys
import types
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

#: What COM hands a UDF for an omitted optional argument (``call_udf`` checks for it).
MISSING = -2147352572
#: COM's codes for error cells (0x800A0000 + Excel's error number); xlwings maps only the first four kinds here
#: (and #NAME?, #NUM!, #NULL!) to text, newer errors such as #SPILL! and #CALC! stay ints.
COM_ERRORS = {"#DIV/0!": -2146826281, "#N/A": -2146826246, "#VALUE!": -2146826273, "#REF!": -2146826265,
              "#SPILL!": -2146826243, "#CALC!": -2146826238}
_PYWIN32 = ("pythoncom", "pywintypes", "win32com", "win32com.client", "win32timezone")


class _ComError(Exception):
    """Stand-in for ``pywintypes.com_error``."""


class _TimeType(dt.datetime):
    """Stand-in for ``pywintypes.TimeType`` (a datetime subclass in pywin32)."""


def _pywin32_modules() -> dict[str, types.ModuleType]:
    pythoncom = types.ModuleType("pythoncom")
    pythoncom.CoInitialize = lambda: None  # type: ignore[attr-defined]
    pywintypes = types.ModuleType("pywintypes")
    pywintypes.com_error = _ComError  # type: ignore[attr-defined]
    pywintypes.TimeType = _TimeType  # type: ignore[attr-defined]
    win32com = types.ModuleType("win32com")
    client = types.ModuleType("win32com.client")
    client.Dispatch = lambda *a, **k: None  # type: ignore[attr-defined]
    win32com.client = client  # type: ignore[attr-defined]
    win32timezone = types.ModuleType("win32timezone")
    win32timezone.TimeZoneInfo = type("TimeZoneInfo", (), {"utc": staticmethod(lambda: dt.UTC)})  # type: ignore
    return {"pythoncom": pythoncom, "pywintypes": pywintypes, "win32com": win32com, "win32com.client": client,
            "win32timezone": win32timezone}


@contextmanager
def pywin32_stubs() -> Iterator[None]:
    """Put stand-ins for the pywin32 modules into ``sys.modules`` (restored, with xlwings.udfs, on exit)."""
    saved = {name: sys.modules.get(name) for name in (*_PYWIN32, "xlwings.udfs")}
    sys.modules.update(_pywin32_modules())
    try:
        yield
    finally:
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module


@contextmanager
def real_xlwings_decorators(*module_names: str) -> Iterator[dict[str, types.ModuleType]]:
    """Import ``module_names`` afresh with xlwings' real registration decorators; yield them by name."""
    import xlwings

    with pywin32_stubs():
        udfs = importlib.import_module("xlwings.udfs")
        real = {"func": udfs.xlfunc, "arg": udfs.xlarg, "ret": udfs.xlret, "sub": udfs.xlsub, "script": udfs.xlsub}
        saved_attrs = {name: getattr(xlwings, name) for name in real}
        saved_modules = {name: sys.modules.pop(name, None) for name in module_names}
        for name, decorator in real.items():
            setattr(xlwings, name, decorator)
        try:
            yield {name: importlib.import_module(name) for name in module_names}
        finally:
            for name, decorator in saved_attrs.items():
                setattr(xlwings, name, decorator)
            for name, module in saved_modules.items():
                if module is None:
                    sys.modules.pop(name, None)
                else:
                    sys.modules[name] = module


class _Workbook:
    """What ``generate_vba_wrapper`` reads from the COM workbook: its name."""

    def __init__(self, name: str) -> None:
        self.Name = name
        self.FullName = f"C:\\Users\\analyst\\{name}"


def vba_module(module: types.ModuleType, module_name: str, workbook_name: str = "demo.xlsm") -> str:
    """The VBA that *Import Functions* writes for ``module`` (needs :func:`real_xlwings_decorators`)."""
    udfs = sys.modules["xlwings.udfs"]
    out = io.StringIO()
    udfs.generate_vba_wrapper(module_name, module, out, _Workbook(workbook_name))
    return out.getvalue()


def _windows_engine_source() -> types.SimpleNamespace:
    """Execute the value-cleaning code of the installed ``xlwings/_xlwindows.py`` and return it."""
    import numpy as np
    import pandas as pd
    import xlwings
    from xlwings.utils import np_datetime_to_datetime

    path = Path(xlwings.__file__).with_name("_xlwindows.py")
    tree = ast.parse(path.read_text(encoding="utf-8"))
    wanted_functions = {"_com_time_to_datetime", "_datetime_to_com_time", "_clean_value_data_element"}
    body: list[ast.stmt] = []
    for node in tree.body:
        is_function = isinstance(node, ast.FunctionDef) and node.name in wanted_functions
        is_error_map = isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "cell_errors"
                                                             for t in node.targets)
        if is_function or is_error_map:
            body.append(node)
        elif isinstance(node, ast.ClassDef) and node.name == "Engine":
            methods = [n for n in node.body if isinstance(n, ast.FunctionDef)
                       and n.name in ("prepare_xl_data_element", "clean_value_data")]
            body.append(ast.ClassDef(name="Engine", bases=[], keywords=[], body=methods, decorator_list=[],
                                     type_params=[]))
    modules = _pywin32_modules()
    namespace: dict[str, Any] = {
        "dt": dt, "np": np, "pd": pd, "pywintypes": modules["pywintypes"],
        "win32timezone": modules["win32timezone"], "np_datetime_to_datetime": np_datetime_to_datetime,
        "time_types": (dt.date, dt.datetime, modules["pywintypes"].TimeType, np.datetime64),
    }
    exec(compile(ast.fix_missing_locations(ast.Module(body=body, type_ignores=[])), str(path), "exec"), namespace)
    engine = namespace["Engine"]
    missing = {"_clean_value_data_element", "cell_errors"} - set(namespace)
    assert not missing and hasattr(engine, "clean_value_data"), f"xlwings' _xlwindows.py changed: {missing}"
    return types.SimpleNamespace(
        name="excel", type="desktop", clean_value_data=engine.clean_value_data,
        prepare_xl_data_element=engine.prepare_xl_data_element,
    )


@contextmanager
def windows_value_engine() -> Iterator[None]:
    """Register an ``"excel"`` engine that cleans values with xlwings' Windows code (removed on exit)."""
    import xlwings
    from xlwings.main import Engine

    engines = xlwings.engines
    saved = (list(engines.engines), dict(engines.engines_by_name))
    engines.add(Engine(impl=_windows_engine_source()))
    try:
        yield
    finally:
        engines.engines, engines.engines_by_name = saved


def com_values(rows: list[list[Any]]) -> tuple[tuple[Any, ...], ...]:
    """A range's ``Value`` as COM hands it over: a tuple of row tuples, errors as COM error codes.

    Cells given as ``"#N/A"``-style strings from :data:`COM_ERRORS` become the error codes; ints become
    floats (Excel stores every number as a double); ``None`` stays ``None`` (an empty cell).
    """

    def cell(value: Any) -> Any:
        if isinstance(value, str) and value in COM_ERRORS:
            return COM_ERRORS[value]
        if isinstance(value, int) and not isinstance(value, bool):
            return float(value)
        return value

    return tuple(tuple(cell(v) for v in row) for row in rows)


def call_like_excel(func: Any, *args: Any) -> Any:
    """Call a registered UDF as ``xlwings.udfs.call_udf`` does and return what goes back to Excel.

    Pass :data:`MISSING` for an omitted argument. Each argument goes through ``xlwings.conversion.read``
    with its registered options, the result through ``xlwings.conversion.write`` with the return options.
    Needs :func:`windows_value_engine`.
    """
    from xlwings import conversion

    info = func.__xlfunc__
    args_info = info["args"]
    converted = list(args)
    for i, arg in enumerate(converted):
        arg_info = args_info[min(i, len(args_info) - 1)]
        if isinstance(arg, int) and arg == MISSING:
            converted[i] = arg_info.get("optional", None)
        else:
            converted[i] = conversion.read(None, arg, arg_info["options"])
    result = func(*converted)
    return conversion.write(result, None, info["ret"]["options"])


# ----------------------------------------------------------------------------------------- remote engine
# xlwings' remote engine (``xw.Book(json=...)``) is part of xlwings PRO: it needs XLWINGS_LICENSE_KEY set
# before xlwings is imported. The tests that use it run in a subprocess with the noncommercial licence of
# this open-source project (see tests/test_macros.py and tests/test_xlwings_writer.py).

REMOTE_LICENSE = {"XLWINGS_LICENSE_KEY": "noncommercial"}


def run_remote_tests(test_file: str) -> None:
    """Run ``test_file`` with pytest in a subprocess that has the noncommercial xlwings licence set.

    Fails unless the child collected tests and every one of them passed: a child that skips them (the
    licence did not reach it, xlwings changed) or collects nothing must not look like success.
    """
    import os
    import re
    import subprocess

    here = Path(__file__).parent
    env = {**os.environ, **REMOTE_LICENSE}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-o", "addopts=", str(here / test_file)],
        capture_output=True, text=True, env=env, cwd=here.parent, timeout=900,
    )
    output = f"{done.stdout[-6000:]}{done.stderr}"
    assert done.returncode == 0, f"{test_file} failed in the licensed subprocess:\n{output}"
    collected = re.search(r"collected (\d+) items?", done.stdout)
    summary = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""
    outcome = re.fullmatch(r"=+ (\d+) passed in [^=]+=+", summary)
    assert collected and int(collected.group(1)) > 0, f"{test_file}: the child collected no tests:\n{output}"
    assert outcome and outcome.group(1) == collected.group(1), (
        f"{test_file}: the child ran {collected.group(1)} tests but reported {summary!r}"
        " (every test must pass; none may be skipped)"
    )


def remote_cell(value: Any) -> Any:
    """A cell value as the Office.js client sends it in book data (empty "", dates as ISO text with Z)."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime | dt.date):
        moment = value if isinstance(value, dt.datetime) else dt.datetime.combine(value, dt.time())
        return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    if isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


def remote_book_json(sheets: dict[str, list[list[Any]]], *, active: int = 0, selection: str = "A1") -> dict:
    """The book data the Office.js client hands xlwings' remote engine (``xw.Book(json=...)``)."""
    import xlwings

    width = {name: max((len(r) for r in rows), default=0) for name, rows in sheets.items()}
    return {
        "client": "Office.js",
        "version": xlwings.__version__,
        "book": {"name": "Book1.xlsx", "active_sheet_index": active, "selection": selection},
        "names": [],
        "sheets": [
            {"name": name, "values": [[remote_cell(v) for v in row] + [""] * (width[name] - len(row)) for row in rows]
             or [[]], "pictures": [], "tables": []}
            for name, rows in sheets.items()
        ],
    }


class Replay:
    """Apply the JSON actions xlwings' remote engine recorded to a model of the workbook's cells.

    Tracks sheet names by position (addSheet / sheetDelete / setSheetName), and per sheet the values
    (setValues) and number formats (setNumberFormat) of each cell, keyed by 1-based ``(row, col)``. Every
    action that targets a sheet is also listed per sheet *name* in :attr:`touched`.
    """

    def __init__(self, sheet_names: list[str]) -> None:
        self.order = list(sheet_names)
        self.values: dict[str, dict[tuple[int, int], Any]] = {name: {} for name in sheet_names}
        self.formats: dict[str, dict[tuple[int, int], str]] = {name: {} for name in sheet_names}
        self.touched: dict[str, list[dict]] = {}
        self.deleted: list[str] = []

    def apply(self, actions: list[dict]) -> Replay:
        """Apply ``actions`` in order; returns self."""
        for action in actions:
            func, args, position = action["func"], action["args"], action["sheet_position"]
            if func == "addSheet":
                index, name = args
                self.order.insert(index, name)
                self.values[name], self.formats[name] = {}, {}
                continue
            sheet = self.order[position] if position is not None else None
            if sheet is not None:
                self.touched.setdefault(sheet, []).append(action)
            if func == "sheetDelete":
                self.deleted.append(self.order.pop(position))
            elif func == "setSheetName":
                self.order[position] = args[0]
            elif func == "setValues":
                for i, row in enumerate(action["values"]):
                    for j, value in enumerate(row):
                        self.values[sheet][(action["start_row"] + i + 1, action["start_column"] + j + 1)] = value
            elif func == "setNumberFormat":
                for i in range(action["row_count"]):
                    for j in range(action["column_count"]):
                        self.formats[sheet][(action["start_row"] + i + 1, action["start_column"] + j + 1)] = args[0]
        return self

    def cells(self, sheet: str) -> dict[tuple[int, int], Any]:
        """Non-empty cells of ``sheet`` as written (strings still carry their leading apostrophe)."""
        return {k: v for k, v in self.values[sheet].items() if v not in (None, "")}
