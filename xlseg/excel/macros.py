"""The "segment this table" macro: the selected table → a segmentation report written next to it.

Run it from Excel with the xlwings add-in: *Run main* in a workbook made by ``xlseg workbook`` (its
companion ``<name>.py`` calls :func:`segment_selection`), ``Alt+F8 → SegmentSelection`` after *Import
Functions* (``UDF Modules`` includes ``xlseg.excel.macros``), or ``RunPython "import xlseg.excel.macros;
xlseg.excel.macros.segment_selection()"`` from your own VBA.

Rules it keeps:

* It only adds sheets (placed after the data sheet); it never writes into a sheet it did not create.
* Each result sheet is marked with a workbook-level defined name ``xlseg_<key>_<n>`` pointing at its A1,
  where ``<key>`` identifies the data sheet. Running again on the same data sheet deletes exactly the
  sheets those names point at (and the names), then writes the new results. Sheet names alone are never
  trusted: a user's sheet called "Summary" is left alone and the result gets "Summary (2)".
* Labels are written as text (see :mod:`xlseg.writers.xlwings_writer`).
* Settings come from an optional sheet named ``xlseg`` with key/value rows (see :mod:`xlseg.excel.args`):
  ``by`` (repeatable), ``metrics``, ``crosstab`` (repeatable), ``bins``, ``top``, ``min_size``,
  ``confidence``, ``roles``, ``title``, ``main`` (the headline metric, ``revenue:mean``), ``na`` (repeatable),
  ``header_row``, ``tz``, ``scan`` (a metric such as ``converted:rate``: adds the "What stands out" sheet) and
  ``gap`` (``gender:Male:Female``: adds the gap sheet for the first ``by`` and metric). Without it, the report
  chooses breakdowns from the column roles.
* An activity table (a date column and an id column whose ids repeat: one row per event) gets the
  behavioural sheets instead (:func:`xlseg.behavior_report.behavior_report`: retention, lifecycle,
  engagement, RFM); of the settings, ``roles`` and ``title`` apply.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import xlwings as xw

from xlseg.behavior.events import is_activity_table
from xlseg.errors import XlsegError, speaking_as
from xlseg.excel.args import error_texts, is_blank, parse_options, sentence
from xlseg.io.load import load_table
from xlseg.reporting import report
from xlseg.sheets.layout import SheetLayout
from xlseg.writers.xlwings_writer import add_sheets

logger = logging.getLogger(__name__)

CONFIG_SHEET = "xlseg"
MARK_PREFIX = "xlseg_"
#: Settings the xlseg sheet may hold (the keys of :func:`xlseg.reporting.report` the macro passes on).
MACRO_SETTINGS = ("by", "metrics", "crosstab", "bins", "top", "min_size", "confidence", "roles", "title", "main",
                  "scan", "gap", "tz", "na_values", "header_row")
#: Settings that say how to read the table (also used to tell an activity table from a user table).
READING_SETTINGS = ("roles", "tz", "na_values", "header_row")
_sub = getattr(xw, "sub", xw.script)  # xlwings Server's decorators have no ``sub``


@xw.script
def segment_selection(book: Any = None) -> list[str]:
    """Segment the selected table (or the table around the selected cell) and write the result sheets.

    Args:
        book: the workbook (an ``xw.Book``); default: the workbook that called the macro.

    Returns:
        The names of the result sheets written; ``[]`` when a problem was shown to the user instead.
    """
    book = book if book is not None else xw.Book.caller()
    try:
        with speaking_as("excel"):
            return run(book)
    except XlsegError as exc:
        _tell(book, str(exc))
    except Exception as exc:  # noqa: BLE001 - show one line in Excel; the traceback goes to the log
        logger.exception("segment_selection failed")
        _tell(book, f"xlseg could not segment this table ({type(exc).__name__}: {exc})"[:250])
    return []


@_sub
def SegmentSelection() -> Any:  # noqa: N802 - the macro name Excel shows (Alt+F8 lists Subs without arguments)
    """Segment the selected table and write the result sheets after it (xlseg)."""
    # "-> Any", not "-> None": xlwings turns the return hint into a converter, and NoneType has none
    segment_selection()
    return None


def run(book: Any) -> list[str]:
    """Do the work of :func:`segment_selection`, raising :class:`XlsegError` for the user's mistakes."""
    selection = book.selection
    if selection is None:
        raise XlsegError("select a table (or one cell inside it) first")
    sheet = selection.sheet
    if _is_result_sheet(book, sheet):
        raise XlsegError("this is an xlseg result sheet; select a cell in your data and run it again")
    if sheet.name.casefold() == CONFIG_SHEET:
        raise XlsegError("this is the xlseg settings sheet; select a cell in your data and run it again")
    found = table_around(sheet, selection)
    settings = read_settings(book)
    title = settings.pop("title", None)
    reading = {key: settings[key] for key in READING_SETTINGS if key in settings}
    table = load_table(found.values, **reading)
    if is_activity_table(table):  # one row per event: the behavioural sheets
        from xlseg.behavior_report import behavior_report

        result = behavior_report(table, title=title or f"Behaviour in {sheet.name}!{found.address}")
    else:
        result = report(found.values, title=title or f"Segments of {sheet.name}!{found.address}", **settings)
    remove_results(book, sheet)
    new_sheets = write_results(book, sheet, result.sheets)
    new_sheets[0].activate()
    return [s.name for s in new_sheets]


def write_results(book: Any, source: Any, layouts: Sequence[SheetLayout]) -> list[Any]:
    """Add the result sheets after ``source``, marking each with its defined name as soon as it exists.

    A run that fails halfway (Excel busy, a sheet that cannot be painted) thus leaves only marked sheets,
    which the next run on the same data sheet recognises and replaces.
    """
    key = source_key(source.name)

    def mark(new: Any, n: int) -> None:
        book.names.add(f"{MARK_PREFIX}{key}_{n}", f"={_quoted(new.name)}!$A$1")

    return add_sheets(book, layouts, after=source, on_sheet=mark)


@dataclass
class FoundTable:
    """The values of the table to segment, header row first, and where it is (``A1:I501``)."""

    values: list[list[object]]
    address: str


def table_around(sheet: Any, selection: Any) -> FoundTable:
    """The selected range, or for a single selected cell the block of filled cells around it.

    The block grows like Excel's *current region* (Ctrl+A): rows and columns are added while a filled cell
    touches its edge, also diagonally. Only the sheet's used range is read, so a whole-column selection
    (``A:I``) reads only the rows in use.
    """
    used = sheet.used_range
    values = _grid(error_texts(used.options(ndim=2, err_to_str=True).value))
    top, left = used.row, used.column
    if selection.shape == (1, 1):
        r, c = selection.row - top, selection.column - left
        if not (0 <= r < len(values) and 0 <= c < len(values[0])) or is_blank(values[r][c]):
            raise XlsegError("the selected cell is empty; select a cell inside your table (or the whole table)")
        r1, c1, r2, c2 = current_region(values, r, c)
    else:
        r1, c1 = max(selection.row - top, 0), max(selection.column - left, 0)
        r2 = min(selection.row + selection.shape[0] - 1 - top, len(values) - 1)
        c2 = min(selection.column + selection.shape[1] - 1 - left, len(values[0]) - 1)
        if r1 > r2 or c1 > c2:
            raise XlsegError("the selection is empty; select your table (or one cell inside it)")
    block = [row[c1:c2 + 1] for row in values[r1:r2 + 1]]
    if len(block) < 2:
        raise XlsegError("select a table with a header row and at least one row of data below it")
    address = sheet.range((top + r1, left + c1), (top + r2, left + c2)).get_address(False, False)
    return FoundTable(block, address)


def _grid(value: object) -> list[list[object]]:
    if not isinstance(value, list):
        return [[value]]
    return [list(row) for row in value]


def current_region(values: list[list[object]], row: int, col: int) -> tuple[int, int, int, int]:
    """``(top, left, bottom, right)`` (0-based, inclusive) of the filled block around ``values[row][col]``."""
    height, width = len(values), len(values[0])

    def filled(r: int, c1: int, c2: int) -> bool:
        return 0 <= r < height and any(not is_blank(values[r][c]) for c in range(max(c1, 0), min(c2, width - 1) + 1))

    def filled_col(c: int, r1: int, r2: int) -> bool:
        return 0 <= c < width and any(not is_blank(values[r][c]) for r in range(max(r1, 0), min(r2, height - 1) + 1))

    top = bottom = row
    left = right = col
    while True:
        grown = False
        if filled(top - 1, left - 1, right + 1):
            top, grown = top - 1, True
        if filled(bottom + 1, left - 1, right + 1):
            bottom, grown = bottom + 1, True
        if filled_col(left - 1, top - 1, bottom + 1):
            left, grown = left - 1, True
        if filled_col(right + 1, top - 1, bottom + 1):
            right, grown = right + 1, True
        if not grown:
            return top, left, bottom, right


def read_settings(book: Any) -> dict[str, Any]:
    """The report settings from the ``xlseg`` sheet (key/value rows, header row "setting" optional)."""
    sheet = next((s for s in book.sheets if s.name.casefold() == CONFIG_SHEET), None)
    if sheet is None:
        return {}
    rows = _grid(sheet.used_range.options(ndim=2).value)
    if rows and isinstance(rows[0][0], str) and rows[0][0].strip().lower() == "setting":
        rows = rows[1:]
    if not rows or len(rows[0]) < 2:
        return {}
    try:
        values = parse_options([row[:2] for row in rows]).engine_kwargs(MACRO_SETTINGS, "the xlseg sheet")
    except XlsegError as exc:
        raise XlsegError(f"in the xlseg sheet: {exc}") from None
    settings: dict[str, Any] = {}
    for key, value in values.items():
        if key == "metrics":
            settings["metrics"] = "; ".join(value)
        elif key == "crosstab":
            settings["crosstabs"] = value
        else:
            settings[key] = value
    return settings


def source_key(sheet_name: str) -> str:
    """Eight hex digits that identify a data sheet in the marks of its result sheets."""
    return hashlib.sha1(sheet_name.casefold().encode("utf-8")).hexdigest()[:8]


def _marks(book: Any, key: str | None = None) -> list[Any]:
    """xlseg's defined names (all, or those of one data sheet's results)."""
    prefix = MARK_PREFIX + (f"{key}_" if key else "")
    return [n for n in book.names if n.name.startswith(prefix) and "!" not in n.name]


def _marked_sheet(name: Any) -> Any | None:
    """The sheet a mark points at, or None when it points nowhere (the sheet was deleted)."""
    try:
        return name.refers_to_range.sheet
    except Exception:  # noqa: BLE001 - a #REF! name or one the engine cannot resolve
        return None


def _is_result_sheet(book: Any, sheet: Any) -> bool:
    for mark in _marks(book):
        marked = _marked_sheet(mark)
        if marked is not None and marked.name == sheet.name:
            return True
    return False


def remove_results(book: Any, source: Any) -> list[str]:
    """Delete the result sheets xlseg made earlier from ``source`` (found by their marks); return their names."""
    removed: list[tuple[int, Any]] = []
    for mark in _marks(book, source_key(source.name)):
        sheet = _marked_sheet(mark)
        mark.delete()
        if sheet is not None and sheet.name != source.name:
            removed.append((sheet.index, sheet))
    names = []
    for _, sheet in sorted(removed, key=lambda pair: -pair[0]):  # last first: positions stay valid
        names.append(sheet.name)
        sheet.delete()
    return names


def _quoted(sheet_name: str) -> str:
    """A sheet name as a formula reference: ``'My sheet'``."""
    return "'" + sheet_name.replace("'", "''") + "'"


def _tell(book: Any, message: str) -> None:
    """Show ``message`` to the user in Excel (a message box)."""
    book.app.alert(sentence(message), title="xlseg")
