"""Fast, typed reading of an .xlsx/.xlsm sheet with fastexcel (calamine's parser, straight to Arrow columns).

fastexcel parses the sheet in Rust and releases the GIL while it does, so the CLI starts the read in a
background thread (:func:`prefetch`) *before* importing pandas, scipy and openpyxl: parsing and imports
overlap on two cores. Measured on a 200,000-row, 9-column sheet: 1.5 s for parse and imports together,
against 2.7 s for calamine's parse, ``to_python`` and a DataFrame of Python objects, plus 1.2 s of imports.

The fast path is taken only when it hands over exactly the cells the row-by-row reader would: every column
of one type (``dtype_coercion="strict"`` over all rows, so a column mixing text and numbers falls back),
headers taken from the sheet as they are (no generated names for blank headers, no renamed duplicates, no
date headers that fastexcel would format its own way). Otherwise :func:`take` returns ``None`` and
:mod:`xlseg.io.readers` reads the rows with python-calamine, where every cleaning rule applies as for a range.
This module imports no pandas: the CLI imports it first.

Error cells (``#N/A``, ``#DIV/0!``…): fastexcel reads them as nulls and lists them, with their position and
calamine's error kind, in ``to_arrow_with_errors()`` (no slower than ``to_arrow()``). :attr:`TypedSheet.errors`
hands them on, so :mod:`xlseg.io.readers` can put the codes back as an Excel range shows them and the cleaning
counts them. python-calamine's rows show error cells as ``""`` (python-calamine issue #105); the row reader
takes their codes from the sheet XML instead (:mod:`xlseg.io.xlsx_errors`). fastexcel itself fails on ``#NAME?``
cells (then the row reader serves), and both libraries refuse ``#SPILL!``, ``#CALC!`` and ``#GETTING_DATA``
cells outright (then :mod:`xlseg.io.readers` reads the sheet with openpyxl).
"""

from __future__ import annotations

import logging
import os
import re
import threading
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xlseg.parallel import threads_available

logger = logging.getLogger(__name__)
# fastexcel logs "Could not determine dtype for column N, falling back to string" for empty columns; the
# cleaning reports empty columns itself, so keep that out of the user's terminal.
logging.getLogger("fastexcel").setLevel(logging.ERROR)

_DEDUPED = re.compile(r"^(.*)_(\d+)$")  # fastexcel renames a second "plan" to "plan_1"
_DATE_LIKE = re.compile(r"^\d{4}-\d{2}-\d{2}")
# CellError.detail reads "Expected float but got 'Error(Div0)'" (calamine's CellErrorType, Debug-printed)
_ERROR_DETAIL = re.compile(r"got 'Error\((\w+)\)")
ERROR_KINDS = {"Div0": "#DIV/0!", "NA": "#N/A", "Name": "#NAME?", "Null": "#NULL!", "Num": "#NUM!", "Ref": "#REF!",
               "Value": "#VALUE!", "GettingData": "#GETTING_DATA"}
_pending: dict[tuple[str, object, float], Future[TypedSheet | None]] = {}


@dataclass(frozen=True)
class TypedSheet:
    """A sheet read as typed columns: the header texts, an Arrow table of the data rows, and its error cells.

    ``errors`` maps a column position to ``(data row, error code)`` pairs (row 0 = first row under the
    header); those cells are nulls in ``table``.
    """

    headers: list[str]
    table: Any  # pyarrow.Table or RecordBatch
    errors: dict[int, list[tuple[int, str]]] = field(default_factory=dict)


def prefetch(path: str | os.PathLike[str], sheet: str | int | None = None) -> None:
    """Start reading ``path`` in a background thread; :func:`take` later collects the result."""
    key = _key(path, sheet)
    if key is None or key in _pending or not threads_available():
        return  # without threads (Pyodide) take() reads the sheet when it is needed
    future: Future[TypedSheet | None] = Future()

    def work() -> None:
        try:
            future.set_result(read_typed(Path(path), sheet))
        except BaseException:  # noqa: BLE001 - never leave take() waiting: fall back to the row reader
            future.set_result(None)

    # a daemon thread: a command that fails meanwhile exits at once instead of waiting for the parse
    threading.Thread(target=work, name="xlseg-read", daemon=True).start()
    _pending[key] = future


def take(path: str | os.PathLike[str], sheet: str | int | None = None) -> TypedSheet | None:
    """The typed sheet (from a running :func:`prefetch` when there is one), or None to use the row reader."""
    key = _key(path, sheet)
    future = _pending.pop(key, None) if key is not None else None
    return future.result() if future is not None else read_typed(Path(path), sheet)


def read_typed(path: Path, sheet: str | int | None = None) -> TypedSheet | None:
    """Read a sheet as typed Arrow columns, or None when only the row reader gives the exact cells."""
    try:
        import fastexcel
    except ImportError:  # not installed (no Pyodide build, so not a dependency there): the row reader serves
        return None
    try:
        reader = fastexcel.read_excel(str(path))
        position = _sheet_position(reader.sheet_names, sheet)
        if position is None:
            return None
        loaded = reader.load_sheet(position, schema_sample_rows=None, dtype_coercion="strict")
        columns = loaded.available_columns()
        headers = [column.name for column in columns]
        generated = any(column.column_name_from != "looked_up" for column in columns)
        if not headers or generated or _renamed_or_formatted(headers):
            return None
        table, cell_errors = loaded.to_arrow_with_errors()
        errors = error_cells(cell_errors.errors if cell_errors is not None else [])
        return None if errors is None else TypedSheet(headers, table, errors)
    except Exception as exc:  # noqa: BLE001 - any doubt: the row reader reads it and reports problems properly
        logger.debug("fast .xlsx read of %s not used: %s", path, exc)
        return None


def error_cells(cell_errors: list[Any]) -> dict[int, list[tuple[int, str]]] | None:
    """Group fastexcel's ``CellError`` s by column as ``(data row, code)``; None if one is not an error cell.

    With ``dtype_coercion="strict"`` fastexcel only lists error cells, but anything else it might list (a
    value it could not convert) sends the sheet to the row reader rather than being counted as an error.
    """
    errors: dict[int, list[tuple[int, str]]] = {}
    for cell in cell_errors:
        match = _ERROR_DETAIL.search(cell.detail)
        if match is None or match.group(1) not in ERROR_KINDS:
            return None
        row, column = cell.offset_position
        errors.setdefault(column, []).append((row, ERROR_KINDS[match.group(1)]))
    return errors


def _sheet_position(names: list[str], sheet: str | int | None) -> int | None:
    if sheet is None:
        return 0 if names else None
    if isinstance(sheet, int):
        return sheet if 0 <= sheet < len(names) else None
    return names.index(sheet) if sheet in names else None


def _renamed_or_formatted(headers: list[str]) -> bool:
    """Headers fastexcel may have changed: de-duplicated names, dates it formatted, blank headers."""
    present = set(headers)
    for header in headers:
        match = _DEDUPED.match(header)
        if match and match.group(1) in present:
            return True
        if _DATE_LIKE.match(header) or not header.strip():
            return True
    return False


def _key(path: str | os.PathLike[str], sheet: str | int | None) -> tuple[str, object, float] | None:
    try:
        resolved = Path(path).resolve()
        return str(resolved), sheet, resolved.stat().st_mtime
    except OSError:
        return None
