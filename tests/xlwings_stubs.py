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
#: COM's codes for error cells, as ``xlwings/_xlwindows.py`` maps them.
COM_ERRORS = {"#DIV/0!": -2146826281, "#N/A": -2146826246, "#VALUE!": -2146826273, "#REF!": -2146826265}
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
