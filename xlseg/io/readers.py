"""Get a table's cells as they arrived, before any cleaning.

Every input shape becomes a :class:`RawTable`: the header cells as a list, and the data cells in a
frame whose columns are numbered ``0 … n-1`` and whose rows keep the input order. Cleaning and
role inference live in :mod:`xlseg.io.load`; nothing here changes a value.

Files:

- ``.xlsx`` / ``.xlsm`` are read as typed Arrow columns by fastexcel when that gives exactly the cells
  (see :mod:`xlseg.io.xlsx_fast`), else with python-calamine directly (measured on a 200,000-row, 8-column
  sheet: 2.2 s against 5.0 s for ``pd.read_excel(engine="calamine")``), which also hands over cells
  exactly like an Excel range: numbers as floats, dates as ``date``/``datetime``, booleans, and
  ``""`` for blank cells. Error cells (``#N/A``…) arrive as their codes, as in an Excel range, when the
  fast path reads the sheet (fastexcel lists them); the row reader gets them from calamine as ``""``
  (python-calamine issue #105) and puts their codes back from the sheet's XML (:mod:`xlseg.io.xlsx_errors`).
  A sheet that calamine refuses (newer error codes such as ``#SPILL!`` or ``#CALC!``) is read with
  openpyxl, which is slower but hands every error over as its code. Without fastexcel and python-calamine
  (Pyodide, where xlwings Lite runs, has no build of them) every sheet is read with openpyxl.
- ``.csv`` is read as text (every cell a string, blank cells missing), so that the same cleaning rules
  apply as for an Excel range: ``"007"`` stays a label, ``"NA"`` is a missing-value word
  (:mod:`xlseg.io.missing`), numbers (and dates, also regional ones like ``31.12.2024``) are converted
  only when the whole column is numeric (dates). UTF-8 (with or without BOM) is tried first, then
  Windows-1252; the separator is the most frequent of ``,`` ``;`` and tab in the header line (or in the
  first line holding one, under a title line).
- ``.parquet`` is read with pandas (pyarrow) and treated like a DataFrame.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from xlseg.errors import XlsegError, did_you_mean
from xlseg.io import xlsx_fast
from xlseg.io.csv_numbers import decimal_comma_columns, to_point_decimals
from xlseg.io.xlsx_errors import error_cells
from xlseg.parallel import threads_available

EXCEL_SUFFIXES = (".xlsx", ".xlsm")
SUPPORTED_SUFFIXES = (".csv", *EXCEL_SUFFIXES, ".parquet")
_TITLE_LINES = 50  # the separator and width of a CSV file come from its first lines (a title line has neither)


@dataclass(frozen=True)
class RawTable:
    """Cells as they arrived.

    Attributes:
        headers: the header cells, one per column, unconverted (may be blank, numbers, dates…).
        frame: the data cells; columns numbered ``0 … len(headers)-1``, a fresh ``RangeIndex``.
        text_source: every cell arrived as text (CSV), so converting text to numbers or dates is
            expected and not worth a note.
        notes: what reading had to do (e.g. an encoding fallback).
    """

    headers: list[object]
    frame: pd.DataFrame
    text_source: bool = False
    notes: list[str] = field(default_factory=list)


def from_rows(rows: Sequence[object]) -> RawTable:
    """Split a range's values (header row first) into headers and data cells.

    A flat list (what xlwings hands over for a single-column range) is read as one column.
    Short rows are padded with blanks.
    """
    if isinstance(rows, str) or not isinstance(rows, Sequence) or len(rows) == 0:
        raise XlsegError("the table is empty; select a range with a header row and data below it")
    if not any(isinstance(row, list | tuple) for row in rows):
        rows = [[value] for value in rows]
    elif not _rectangular(rows):
        rows = _padded(rows)
    width = len(rows[0])
    frame = pd.DataFrame(rows[1:], columns=range(width)) if len(rows) > 1 else _no_rows(width)
    return RawTable(list(rows[0]), frame)


def _rectangular(rows: Sequence[object]) -> bool:
    """Every row is a list/tuple of the same length (checked with C-speed ``map``; 200k rows in ~10 ms)."""
    if not all(map(isinstance, rows, [(list, tuple)] * len(rows))):
        return False
    return len(set(map(len, rows))) == 1  # type: ignore[arg-type]


def _padded(rows: Sequence[object]) -> list[list[object]]:
    """Rows of unequal length (or single values among rows) padded with blanks to one width."""
    rows = [list(row) if isinstance(row, list | tuple) else [row] for row in rows]
    width = max(map(len, rows))
    return [row + [None] * (width - len(row)) for row in rows]


def from_frame(df: pd.DataFrame) -> RawTable:
    """Wrap a DataFrame without copying or changing it (its index is not used)."""
    frame = df.set_axis(range(df.shape[1]), axis=1).reset_index(drop=True)
    return RawTable(list(df.columns), frame)


def read_file(path: str | os.PathLike[str], *, sheet: str | int | None = None) -> RawTable:
    """Read a .csv, .xlsx/.xlsm or .parquet file; ``sheet`` (name or 0-based index) picks an Excel sheet.

    Raises:
        XlsegError: unsupported extension, missing file, unreadable file, unknown sheet.
    """
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise XlsegError(f"can't read '{p.name}': use a {', '.join(SUPPORTED_SUFFIXES)} file")
    if not p.is_file():
        raise XlsegError(f"file not found: '{p}'")
    if suffix in EXCEL_SUFFIXES:
        typed = xlsx_fast.take(p, sheet)
        if typed is not None:
            return RawTable(typed.headers, _typed_frame(typed.table, typed.errors))
        return from_rows(read_excel_rows(p, sheet=sheet))
    if sheet is not None:
        raise XlsegError(f"'{p.name}' has no sheets; leave sheet empty for {suffix} files")
    if suffix == ".csv":
        return _read_csv(p)
    return from_frame(_read_parquet(p))


def read_excel_rows(path: Path, *, sheet: str | int | None = None) -> list[list[object]]:
    """Return a workbook sheet's used range as rows of values, like an Excel range (blanks are ``""``).

    Without python-calamine (it has no build for Pyodide, where xlwings Lite runs) the sheet is read with
    openpyxl, which gives the same cells, slower.
    """
    try:
        from python_calamine import CalamineError, CalamineWorkbook
    except ImportError:
        return _openpyxl_sheet(path, sheet)

    try:
        workbook = CalamineWorkbook.from_path(str(path))
    except (CalamineError, OSError, ValueError) as exc:
        raise XlsegError(f"can't read '{path.name}' as an Excel workbook ({exc})") from exc
    try:
        index = _sheet_index(workbook.sheet_names, sheet, path.name)
        name = workbook.sheet_names[index]

        def parse(errors: Callable[[], list[tuple[int, int, str]]]) -> list[list[object]]:
            try:
                worksheet = workbook.get_sheet_by_index(index)
                return _with_error_codes(worksheet.to_python(), worksheet.start, errors())
            except CalamineError as exc:  # e.g. "Unsupported cell error value '#SPILL!'": newer error codes
                return _openpyxl_rows(path, name, exc)

        if threads_available():
            with ThreadPoolExecutor(max_workers=1) as pool:
                # inflating the sheet XML releases the GIL: the error scan runs while calamine parses (+4% wall)
                rows = parse(pool.submit(error_cells, path, name).result)
        else:  # no threads (Pyodide): the scan after the parse
            rows = parse(lambda: error_cells(path, name))
    finally:
        workbook.close()
    if not rows:
        raise XlsegError(f"sheet '{name}' of '{path.name}' is empty")
    return rows


def _openpyxl_sheet(path: Path, sheet: str | int | None) -> list[list[object]]:
    """A sheet's used range read with openpyxl alone (no python-calamine installed)."""
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - zip, XML or format errors: an unreadable workbook, in one line
        raise XlsegError(f"can't read '{path.name}' as an Excel workbook ({exc})") from exc
    try:
        name = workbook.sheetnames[_sheet_index(workbook.sheetnames, sheet, path.name)]
        rows = _used_range([list(row) for row in workbook[name].iter_rows(values_only=True)])
    finally:
        workbook.close()
    if not rows:
        raise XlsegError(f"sheet '{name}' of '{path.name}' is empty")
    return rows


def _with_error_codes(
    rows: list[list[object]], start: tuple[int, int] | None, errors: list[tuple[int, int, str]]
) -> list[list[object]]:
    """Put error codes back into the cells calamine gave as blanks (``rows`` begins at ``start``)."""
    if not errors or not start:
        return rows
    top, left = start
    for row, column, code in errors:
        r, c = row - top, column - left
        if 0 <= r < len(rows) and 0 <= c < len(rows[r]) and rows[r][c] == "":
            rows[r][c] = code
    return rows


def _openpyxl_rows(path: Path, sheet_name: str, reason: Exception) -> list[list[object]]:
    """The sheet's used range read with openpyxl (slower, but it reads every error code as its text).

    Used when calamine refuses a sheet; blanks become ``""`` as calamine gives them.
    """
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
        try:
            cells = [list(row) for row in workbook[sheet_name].iter_rows(values_only=True)]
        finally:
            workbook.close()
    except Exception as exc:  # noqa: BLE001 - any failure here is an unreadable sheet, reported in one line
        raise XlsegError(f"can't read sheet '{sheet_name}' of '{path.name}' ({reason}; openpyxl: {exc})") from exc
    return _used_range(cells)


def _used_range(cells: list[list[object]]) -> list[list[object]]:
    """Rows and columns from the first to the last non-blank cell, with blanks as ``""``."""
    filled = [[value is not None and value != "" for value in row] for row in cells]
    rows = [i for i, row in enumerate(filled) if any(row)]
    columns = [j for row in filled for j, cell in enumerate(row) if cell]
    if not rows:
        return []
    left, right = min(columns), max(columns) + 1
    return [
        [("" if value is None else value) for value in (row + [None] * right)[left:right]]
        for row in cells[rows[0] : rows[-1] + 1]
    ]


def _typed_frame(table: object, errors: dict[int, list[tuple[int, str]]] | None = None) -> pd.DataFrame:
    """Arrow columns as a frame numbered ``0 … n-1``; times in microseconds, as the row reader gives them.

    ``errors`` (column position → ``(row, code)`` pairs, cells that are null in ``table``) are put back as
    their codes (``"#N/A"``), as an Excel range hands them over, so the cleaning counts them.
    """
    frame = table.to_pandas()  # type: ignore[attr-defined]
    frame = frame.set_axis(range(frame.shape[1]), axis=1)
    for position in frame.columns:
        if pd.api.types.is_datetime64_any_dtype(frame[position].dtype):
            frame[position] = frame[position].astype("datetime64[us]")
    for position, cells in (errors or {}).items():
        frame[position] = _with_codes(frame[position], cells)
    return frame


def _with_codes(column: pd.Series, cells: list[tuple[int, str]]) -> pd.Series:
    """``column`` as objects with the error ``(row, code)`` cells written in (the cells were null)."""
    values = column.astype(object).to_numpy(copy=True)
    rows, codes = zip(*cells, strict=True)
    values[list(rows)] = list(codes)
    return pd.Series(values, index=column.index, dtype=object)


def _sheet_index(names: list[str], sheet: str | int | None, file_name: str) -> int:
    """Position of ``sheet`` (name or 0-based index; None = first) among ``names``."""
    if sheet is None:
        return 0
    if isinstance(sheet, int):
        if not -len(names) <= sheet < len(names):
            raise XlsegError(f"'{file_name}' has {len(names)} sheet(s); sheet index {sheet} is out of range")
        return sheet % len(names)
    if sheet not in names:
        hint = did_you_mean(sheet, names) or "; sheets are " + ", ".join(f"'{n}'" for n in names)
        raise XlsegError(f"sheet '{sheet}' not found in '{file_name}'{hint}")
    return names.index(sheet)


def _read_csv(path: Path) -> RawTable:
    """Read every cell of a CSV file as text; the first line is the header."""
    notes = []
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        text = path.read_text(encoding="cp1252", errors="replace")
        notes.append(f"read '{path.name}' as Windows-1252 text (it is not UTF-8)")
    if not text.strip():
        raise XlsegError(f"'{path.name}' is empty")
    separator = _separator(text)
    try:
        cells = pd.read_csv(
            io.StringIO(text), header=None, dtype=str, sep=separator, names=range(_width(text, separator)),
            keep_default_na=False, na_values=[""], skip_blank_lines=False,
        )
    except pd.errors.ParserError as exc:
        raise XlsegError(f"can't read '{path.name}' as CSV ({str(exc).strip()})") from exc
    headers, frame = cells.iloc[0].tolist(), cells.iloc[1:].reset_index(drop=True)
    converted = decimal_comma_columns(frame, separator)
    if converted:
        frame = frame.copy()
        for label in converted:
            frame[label] = to_point_decimals(frame[label])
        names = ", ".join(f"'{headers[label]}'" for label in converted)
        notes.append(f"read {names} with decimal commas (1.234,5 = 1234.5), as in a ';'-separated Excel file")
    return RawTable(headers, frame, text_source=True, notes=notes)


def _separator(text: str) -> str:
    """The most frequent of comma, semicolon and tab in the header line (comma on a tie); when the first line
    holds none (a title line), in the first line that holds one."""
    from itertools import islice

    for line in islice(io.StringIO(text), _TITLE_LINES):  # the first lines only: no split of a large file
        if any(mark in line for mark in ",;\t"):
            return max([",", ";", "\t"], key=line.count)
    return ","


def _width(text: str, separator: str) -> int:
    """Fields of the widest of the first lines, so a title line of one field does not set the width."""
    import csv
    from itertools import islice

    rows = islice(csv.reader(io.StringIO(text), delimiter=separator), _TITLE_LINES)
    return max((len(row) for row in rows), default=1)


def _read_parquet(path: Path) -> pd.DataFrame:
    """Read a Parquet file with pandas."""
    try:
        return pd.read_parquet(path)
    except ImportError as exc:
        raise XlsegError("reading .parquet files needs pyarrow: pip install pyarrow") from exc
    except (OSError, ValueError) as exc:
        raise XlsegError(f"can't read '{path.name}' as Parquet ({exc})") from exc


def _no_rows(width: int) -> pd.DataFrame:
    """An empty data frame with ``width`` numbered columns."""
    return pd.DataFrame({i: pd.Series([], dtype=object) for i in range(width)})
