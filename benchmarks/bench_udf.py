"""Question 3: what does =SEG_BREAKDOWN(...) on a 100k-row range cost on the Python side?

The range arrives as xlwings hands it to a UDF: a list of row lists, header first, numbers as float,
dates as ``datetime``, booleans as bool, blanks as None. Timed, interleaved:

(a) the read path SEG_BREAKDOWN really takes: xlwings' converter with the options its ``@xw.arg("data")``
    declares (``ndim=2, err_to_str=True``: the per-cell cleaning, no DataFrame), then ``xlseg.load_table``
    of those values (header detection, cleaning, roles); for reference xlwings' DataFrame converter and
    plain ``pd.DataFrame(rows[1:], columns=rows[0])``;
(b) the whole UDF call the way ``xlwings.udfs.call_udf`` makes it: every argument through the converter
    its ``@xw.arg`` declares, ``xlseg.excel.udfs.SEG_BREAKDOWN(...)``, and the result through the ``@xw.ret``
    converter back to the list of lists Excel spills. The spilled values are checked against a pandas
    groupby of the range (users, mean and median session length, conversion rate, revenue sum per
    segment); wrong numbers mark the case "not ranked".

Excel is not needed: xlwings' converters run on Linux once an engine named "excel" exists, so a stand-in
engine with the same per-cell cleaning as the Windows one (minus COM date objects) is registered here.
The registration metadata (``__xlfunc__``) comes from xlwings' real ``xlfunc/xlarg/xlret`` with the
pywin32 modules stubbed, as in the add-in's tests.

    python benchmarks/bench_udf.py            # 100,000 rows, 5 runs
    python benchmarks/bench_udf.py --quick
"""

from __future__ import annotations

import datetime as dt
import importlib
import importlib.util
import sys
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

import data  # noqa: E402
from _timing import Case, bench_args, print_table, run_interleaved  # noqa: E402

BY = "geography,device"
METRICS = "session_length:mean,median; converted:rate; revenue:sum"
READ_CASE = "(a) SEG_BREAKDOWN's read: xlwings ndim=2 values + xlseg.load_table"
DF_OPTIONS = {"convert": pd.DataFrame, "index": False, "header": True}
#: COM error codes as xlwings' Windows engine maps them (xlwings/_xlwindows.py ``cell_errors``).
CELL_ERRORS = {
    -2146826281: "#DIV/0!",
    -2146826246: "#N/A",
    -2146826259: "#NAME?",
    -2146826288: "#NULL!",
    -2146826252: "#NUM!",
    -2146826265: "#REF!",
    -2146826273: "#VALUE!",
}


def range_values(rows: int) -> list[list[object]]:
    """The demo table as an Excel range's values, with a few blank cells (None) as real sheets have."""
    frame = data.users(rows).copy()
    rng = np.random.default_rng(1)
    frame["session_length"] = frame["session_length"].mask(rng.random(rows) < 0.01)
    frame["geography"] = frame["geography"].mask(rng.random(rows) < 0.005)
    return data.excel_range_values(frame)


class _StandInExcel:
    """The per-cell work xlwings' Windows engine does on UDF values, without COM (see _xlwindows.py)."""

    name = "excel"
    type = "desktop"

    @staticmethod
    def clean_value_data(
        rows: list[list[Any]], datetime_builder: Any, empty_as: Any, number_builder: Any, err_to_str: bool
    ) -> list[list[Any]]:
        """Same branches as ``xlwings._xlwindows._clean_value_data_element``, cell by cell."""

        def clean(value: Any) -> Any:
            if value in ("", None):
                return empty_as
            if isinstance(value, dt.date | dt.datetime | np.datetime64):
                return value  # on Windows a pywintypes time is rebuilt into a datetime here
            if number_builder is not None and isinstance(value, float):
                return number_builder(value)
            if isinstance(value, int) and value in CELL_ERRORS:
                return CELL_ERRORS[value] if err_to_str else None
            return value

        return [[clean(c) for c in row] for row in rows]

    @staticmethod
    def prepare_xl_data_element(x: Any, date_format: Any) -> Any:
        """Same branches as the Windows engine's, except datetimes are not turned into COM times."""
        if isinstance(x, dt.date | dt.datetime | np.datetime64):
            return x
        if pd.isna(x):
            return ""
        if isinstance(x, np.floating | float) and np.isnan(x):
            return ""
        if isinstance(x, np.number):
            return float(x)
        if x is None:
            return ""
        return x


def xlwings_ready() -> str:
    """Make xlwings' converters usable without Excel; return "" or why not."""
    try:
        import xlwings
        import xlwings.main
    except ImportError as exc:
        return f"xlwings not installed ({exc})"
    if "excel" not in xlwings.engines.engines_by_name:
        xlwings.engines.add(xlwings.main.Engine(impl=_StandInExcel()))
    return ""


def _stub_pywin32() -> None:
    """Stub the pywin32 modules so ``xlwings.udfs`` (the real registration decorators) imports on Linux."""

    def stub(name: str) -> types.ModuleType:
        module = types.ModuleType(name)

        def __getattr__(attr: str) -> type:
            if attr.startswith("__"):
                raise AttributeError(attr)
            return type(attr, (), {})

        module.__getattr__ = __getattr__  # type: ignore[method-assign]
        return module

    for name in ("pythoncom", "pywintypes", "win32com", "win32com.client"):
        sys.modules.setdefault(name, stub(name))


def load_seg_breakdown() -> tuple[Callable[..., Any] | None, str]:
    """Return ``xlseg.excel.udfs.SEG_BREAKDOWN`` carrying xlwings' ``__xlfunc__`` metadata, and a note."""
    try:
        udfs = importlib.import_module("xlseg.excel.udfs")
        func = udfs.SEG_BREAKDOWN
    except Exception as exc:  # written by another developer: any failure means "not available"
        return None, f"xlseg.excel.udfs.SEG_BREAKDOWN: not available ({type(exc).__name__}: {exc})"[:200]
    if hasattr(func, "__xlfunc__"):
        return func, ""
    original = func
    try:  # run the module's code again, in a fresh module, with the real decorators for the Linux no-ops
        _stub_pywin32()
        import xlwings
        import xlwings.udfs as xlw_udfs

        saved = (xlwings.func, xlwings.arg, xlwings.ret)
        xlwings.func, xlwings.arg, xlwings.ret = xlw_udfs.xlfunc, xlw_udfs.xlarg, xlw_udfs.xlret
        try:
            spec = importlib.util.spec_from_file_location(udfs.__name__, udfs.__file__)
            assert spec is not None and spec.loader is not None
            fresh = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(fresh)
            func = fresh.SEG_BREAKDOWN
        finally:
            xlwings.func, xlwings.arg, xlwings.ret = saved
        if hasattr(func, "__xlfunc__"):
            return func, ""
        note = "SEG_BREAKDOWN has no xlwings registration metadata"
    except Exception as exc:
        note = f"registration metadata unavailable ({type(exc).__name__}: {exc})"
    return original, note + "; assumed data = DataFrame(index=False, header=True), ret index=False"


def call_like_xlwings(func: Callable[..., Any], args: list[Any]) -> Any:
    """What ``xlwings.udfs.call_udf`` does for a synchronous UDF: convert args, call, convert result."""
    from xlwings import conversion

    info = getattr(func, "__xlfunc__", None)
    if info is None:
        arg_options = [DF_OPTIONS] + [{}] * (len(args) - 1)
        ret_options: dict[str, Any] = {"index": False}
    else:
        specs = info["args"]
        arg_options = [specs[min(i, len(specs) - 1)]["options"] for i in range(len(args))]
        ret_options = info["ret"]["options"]
    converted = [conversion.read(None, arg, opts) for arg, opts in zip(args, arg_options, strict=True)]
    return conversion.write(func(*converted), None, ret_options)


def expected_spill(values: list[list[object]]) -> pd.DataFrame:
    """The figures SEG_BREAKDOWN must spill, from the definition: a pandas groupby of the range's rows
    (a blank geography is the "(missing)" segment)."""
    frame = pd.DataFrame(values[1:], columns=values[0])
    frame["geography"] = frame["geography"].fillna("(missing)")
    grouped = frame.groupby(["geography", "device"])
    return pd.DataFrame({
        "users": grouped.size(), "session_length mean": grouped["session_length"].mean(),
        "session_length median": grouped["session_length"].median(),
        "converted rate": grouped["converted"].mean(), "revenue sum": grouped["revenue"].sum(),
    })


def check_spill(spilled: Any, expected: pd.DataFrame) -> str:
    """"" when the spilled rows (header first, Total last) hold the expected figures, else what differs."""
    header, rows = spilled[0], spilled[1:-1]
    got = pd.DataFrame(rows, columns=header).set_index(["geography", "device"])
    got = got.replace("", np.nan)[list(expected.columns)].astype(float).sort_index()
    want = expected.sort_index()
    if list(got.index) != list(want.index):
        return f"{len(got)} segments spilled, expected {len(want)}"
    for column in want.columns:
        if not np.allclose(got[column].to_numpy(), want[column].to_numpy(dtype=float), rtol=1e-9, atol=0):
            return f"'{column}' differs from the pandas groupby"
    return ""


def main() -> None:
    """Build the range values once, then time (a) and (b) interleaved and print the ratio."""
    args = bench_args(__doc__.splitlines()[0], rows=100_000, quick_rows=5_000, repeat=5)
    values = range_values(args.rows)
    notes = [f"{args.rows:,} rows × {len(values[0])} columns, ~1% blank session_length, ~0.5% blank geography"]
    problem = xlwings_ready()
    if problem:
        print(f"xlwings: {problem}; nothing to measure", file=sys.stderr)
        sys.exit(1)
    from xlwings import conversion

    from xlseg.excel.udfs import TABLE_ARG
    from xlseg.io.load import load_table

    cases = [
        Case(
            READ_CASE,
            lambda: load_table(conversion.read(None, values, TABLE_ARG)),
            f"@xw.arg options {TABLE_ARG}, then the cleaned Table",
        ),
        Case(
            "xlwings raw read (ndim=2, err_to_str): the per-cell cleaning alone",
            lambda: conversion.read(None, values, TABLE_ARG),
            "the part of (a) before xlseg",
        ),
        Case(
            "xlwings DataFrame converter read (for reference)",
            lambda: conversion.read(None, values, DF_OPTIONS),
            "index=False, header=True: not the path SEG_BREAKDOWN takes",
        ),
        Case(
            "pd.DataFrame(rows[1:], columns=rows[0])",
            lambda: pd.DataFrame(values[1:], columns=values[0]),
            "reference",
        ),
    ]
    func, note = load_seg_breakdown()
    if note:
        notes.append(note)
    if func is not None:
        call_args = [values, BY, METRICS]
        cases.insert(
            0,
            Case(
                "(b) SEG_BREAKDOWN full call",
                lambda: call_like_xlwings(func, call_args),
                f'by="{BY}", metrics="{METRICS}"',
            ),
        )
    print(f"\n## bench_udf: SEG_BREAKDOWN on a {args.rows:,}-row range\n")
    results = run_interleaved(cases, args.repeat, warmup=not args.quick)
    by_name = {r.case.name: r for r in results}
    full, read = by_name.get("(b) SEG_BREAKDOWN full call"), by_name[READ_CASE]
    if full is not None and not full.error:
        problem = check_spill(full.output, expected_spill(values))
        if problem:
            full.error = f"wrong numbers: {problem}"
        else:
            notes.append("spilled values checked against a pandas groupby of the range (rtol 1e-9)")
    print_table(f"UDF argument → spilled values, {args.rows:,} rows", results, reference=READ_CASE)
    if full is not None and not full.error and full.times and read.times:
        spilled = full.output
        shape = f"{len(spilled)}×{len(spilled[0])}" if isinstance(spilled, list) and spilled else "?"
        print(
            f"\n(b)/(a) = {full.median / read.median:.2f}: the full SEG_BREAKDOWN call costs that many times "
            f"the read it really takes (xlwings values + load_table); spilled {shape} values."
        )
    elif full is not None and full.error:
        notes.append(f"SEG_BREAKDOWN failed: {full.error}")
    for line in notes:
        print(f"- {line}")


if __name__ == "__main__":
    main()
