"""Turn what the user hands over into a clean :class:`~xlseg.schema.Table`.

:func:`load_table` accepts an Excel range's values (a 2-D list, header row first), a DataFrame, a
``.csv`` / ``.xlsx`` / ``.xlsm`` / ``.parquet`` path, or a :class:`Table`. It returns a new frame (the
input is never modified) plus each column's role and one note per cleaning step that changed something.

Cleaning rules
--------------
- **Whitespace**: headers and text cells are trimmed, and runs of whitespace inside them (spaces,
  tabs, line breaks, non-breaking and other Unicode spaces, zero-width spaces) become one space.
  Cells that hold nothing else are blank.
- **Headers**: numbers and dates become text (``2024.0`` → ``"2024"``, a date → ``"2024-01-31"``,
  ``True`` → ``"TRUE"``). A blank header over data is an error naming the column; so are duplicate
  headers (two columns with one name cannot be told apart in a formula, so xlseg does not guess).
- **Empty rows and columns** (only blank cells) are dropped, row order is kept. An empty column is
  kept when it is named in ``columns`` or ``roles``.
- **Error values** (``#N/A``, ``#DIV/0!``, ``#VALUE!``, ``#REF!``, ``#NAME?``, ``#NUM!``, ``#NULL!``,
  ``#SPILL!``, ``#CALC!``, ``#GETTING_DATA``; the whole cell, spaces aside) are missing and counted in
  the notes.
  Text that merely looks like an error or a formula (``"#1 fan"``, ``"=1+1"``, ``"N/A pending"``)
  stays text.
- **Numbers stored as text** are converted only when every non-blank cell of the column is a number:
  ``12``, ``-3.5``, ``1e3``, ``.5`` and comma thousands separators in groups of three (``1,234.5``).
  Not numbers: leading zeros (``"007"`` is a code), ``%``, currency signs, decimal commas (except in a
  ``;``-separated CSV file, see :mod:`xlseg.csv_numbers`). Digit strings
  longer than 15 digits (Excel keeps 15 significant digits) stay text and make the column an id.
- **Dates**: datetimes (also ``date`` and pandas ``Timestamp``) and ISO text (``2024-03-01``,
  ``2024-03-01 10:00``) when the whole column is dates. Excel serial numbers (``45352`` →
  2024-03-01, 1900 date system) only in a column declared a date. Time-zone-aware times are converted
  to UTC and the zone dropped.
- **Regional text dates**, as Excel saves them in CSV files (and as text cells or ``pd.read_csv``
  strings hold them), when every non-blank cell of the column is text in one format: ``31.12.2024``
  (day first, always), ``31/12/2024`` or ``12/31/2024``; one- or two-digit days and months, four-digit
  years, optionally a time (``14:05``, ``14:05:09``, ``2:05 PM``). Slash dates are day first when some
  first part is above 12, month first when some second part is. When no part is above 12
  (``03/01/2024``) the order comes from the table's other slash-date columns when they agree (also
  columns not loaded through ``columns``, so a breakdown reads a column like the report does); else the
  column stays text with a note saying how to declare it: ``roles={"signup": "date:dmy"}`` (or
  ``"date:mdy"``; ``roles=signup:date:dmy`` in Excel). Dotted dates never decide the order of slash
  dates. One impossible date (``31.02.2024``, ``25:00``), a second format, or a real date among the
  text (what Excel leaves after reading day/month text as month/day) keeps the whole column text; in a
  declared date column it is an error naming the cell. Two-digit years (``31.12.24``) are read only
  in a declared date column, as Excel reads them (30–99 → 1930–1999, 00–29 → 2000–2029): undeclared,
  ``2.3.10`` is more likely an app version than 2 March 2010. A note names the format
  ("read 'signup' as dates (day.month.year)").
- **Flags**: ``True``/``False``, ``TRUE``/``FALSE``, ``Yes``/``No``, ``Y``/``N``, ``1``/``0`` (also
  ``1.0``/``"1"``), and yes/no or true/false in German, French, Spanish, Portuguese, Italian and Dutch
  (``Ja``/``Nein``, ``Oui``/``Non``, ``WAHR``/``FALSCH``, ``Sí``/``No``…), case-insensitive; blanks are NA.

Role inference (``roles`` overrides it; a ``category`` column stays a dimension, a ``bool`` column a flag)
--------------------------------------------------------------------------------------------------------
1. Id-like name (``id``, ``uuid``, ``guid``, ``…_id``, ``… id``, ``userId``, ``userID``) on numbers or
   text → **id**.
2. Real booleans, or values all in the flag vocabulary with exactly two distinct spellings
   (case-insensitive), one true and one false (``Yes``/``No``, ``1``/``0``, …) → **flag**.
3. All dates (or ISO date text), or all regional text dates of one known order → **date**.
4. Any digit string longer than 15 digits → **id**.
5. All numbers (or numeric text) → **metric**; except whole numbers that are all distinct, more than
   20 of them, and fill a contiguous range (row numbers, auto-increment keys) → **id**. Distinct
   numbers alone are not enough: a small table's revenues are often all distinct.
6. Other text → **dimension**; except all-distinct text in more than 20 rows (names, emails) → **id**.

Output dtypes: dimensions ``category`` (str labels; missing stays NaN, the engine shows it as
"(missing)"), ids ``str``, metrics ``float64``, flags ``boolean``, dates ``datetime64`` (``[us]`` when
converted here). Columns that are already clean (numbers, bools, datetimes, categories with clean
labels) pass through without per-row Python work; text columns are cleaned on their distinct values.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from os import PathLike
from pathlib import Path

import numpy as np
import pandas as pd
from pandas.api.extensions import take

from xlseg.errors import XlsegError, column_not_found
from xlseg.parallel import map_columns
from xlseg.readers import RawTable, from_frame, from_rows, read_file
from xlseg.schema import Role, Table
from xlseg.whitespace import ODD_SPACES as _ODD_SPACES
from xlseg.whitespace import SPACES as _SPACES
from xlseg.whitespace import squash_spaces

ERROR_CODES = frozenset(
    {"#N/A", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#NULL!", "#SPILL!", "#CALC!", "#GETTING_DATA"}
)
FLAG_WORDS = {  # English, and how Excel users in other languages write yes/no and TRUE/FALSE
    **dict.fromkeys(["true", "yes", "y", "1", "1.0"], True),
    **dict.fromkeys(["false", "no", "n", "0", "0.0"], False),
    **dict.fromkeys(["ja", "wahr", "oui", "vrai", "sí", "si", "verdadero", "sim", "verdadeiro", "vero", "waar"], True),
    **dict.fromkeys(["nein", "falsch", "non", "faux", "falso", "não", "nao", "nee", "onwaar"], False),
}
ID_ROWS = 20  # more distinct values than this (and nothing repeated) can make a column an id
EXCEL_DIGITS = 15

_NEEDS_SPACE_FIX = f"[{_ODD_SPACES}]|  |^ | $"
_NUMBER = r"[+-]?(?:(?:0|[1-9][0-9]{0,2}(?:,[0-9]{3})+|[1-9][0-9]*)(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
_LONG_DIGITS = rf"[+-]?[0-9]{{{EXCEL_DIGITS + 1},}}"
_ISO_DATE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}(?:[ T][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,9})?)?)?"
_CLOCK = r"(?: [0-9]{1,2}:[0-9]{2}(?::[0-9]{2})?(?: [AaPp][Mm])?)?"  # 14:05, 14:05:09, 2:05 PM, 2:05:09 PM
DATE_ORDERS = ("dmy", "mdy")  # how slash dates read: 31/12/2024 or 12/31/2024 (declared as "date:dmy")
_EXCEL_CENTURY_FROM = 30  # two-digit years: 30-99 are 1930-1999, 00-29 are 2000-2029, as Excel reads them
_ID_NAME = re.compile(r"(?:^|[\s_.\-])(?:id|uuid|guid)$", re.IGNORECASE)
_CAMEL_ID = re.compile(r"[a-z](?:Id|ID)$")
_ARROW_FROM = 1000  # distinct text values from which Arrow string methods beat Python's
_EXCEL_EPOCH = pd.Timestamp("1899-12-30")
_EXCEL_MAX_SERIAL = 2958466  # 10000-01-01
_CLOCK_DAY = pd.Timestamp("1900-01-01")  # the day strptime gives a time of day alone


def load_table(
    data: object,
    *,
    roles: Mapping[str, str | Role] | None = None,
    columns: Sequence[str] | None = None,
    sheet: str | int | None = None,
    keep: Sequence[str] = (),
) -> Table:
    """Clean ``data`` into a :class:`Table` (see the module docstring for every rule).

    Args:
        data: an Excel range's values (list of rows, header first; a flat list is one column), a
            DataFrame (not modified; its index is not used), anything exporting an Arrow stream (a polars
            DataFrame, a pyarrow Table), a path to a .csv/.xlsx/.xlsm/.parquet
            file, or a :class:`Table` (returned as is unless ``roles``/``columns`` are given).
        roles: column name -> role (``"dimension"``, ``"metric"``, ``"flag"``, ``"date"``, ``"id"``),
            overriding inference and enforcing the role: a declared flag, metric or date column holding
            something else is an error naming the value and its data row (1 = first row under the header).
            ``"date:dmy"`` / ``"date:mdy"`` also say how slash dates read (31/12/2024 or 12/31/2024).
        columns: keep only these columns (in table order), so only they are cleaned.
        sheet: sheet name or 0-based index for Excel files (default: the first sheet); an error for
            CSV/Parquet files, ignored for in-memory data.
        keep: columns to keep even when every cell is blank (as columns named in ``columns`` or ``roles``
            are), without selecting them: a report keeps the columns it was asked to segment by.

    Raises:
        XlsegError: unknown column or role, blank or duplicate header (both columns are named), a value
            that does not fit a declared role, no data rows, or an unreadable input.
    """
    if isinstance(columns, str):
        columns = [columns]
    if isinstance(data, Table):
        return _retable(data, roles, columns)
    raw = _read(data, sheet)
    headers, header_notes = _header_texts(raw.headers)
    declared, orders = _declared_roles(roles, headers)
    wanted = _wanted_positions(headers, columns)
    cleaned = _clean_columns(raw, headers, declared, orders, wanted)
    keep_named = set(declared) | set(columns or ()) | set(keep)
    dropped_columns = [i for i, c in cleaned.items() if c.is_empty and headers[i] not in keep_named]
    kept = [i for i in wanted if i not in dropped_columns]
    _check_headers(headers, kept)
    return _assemble(raw, headers, {i: cleaned[i] for i in kept}, header_notes, dropped_columns)


def _clean_columns(
    raw: RawTable, headers: list[str], declared: dict[str, Role], orders: dict[str, str], wanted: list[int]
) -> dict[int, _Column]:
    """Clean the wanted columns (in threads for large tables); errors surface in column order."""
    jobs = {i: (raw.frame[i], headers[i], declared.get(headers[i]), raw.text_source, orders.get(headers[i]))
            for i in wanted}
    results = map_columns(lambda job: _clean_column(*job), jobs.values(), len(raw.frame))
    cleaned = dict(zip(jobs, results, strict=True))
    if any(c.order_question for c in cleaned.values()):
        _settle_date_orders(raw, headers, declared, orders, cleaned)
    return cleaned


def _settle_date_orders(
    raw: RawTable, headers: list[str], declared: dict[str, Role], orders: dict[str, str], cleaned: dict[int, _Column]
) -> None:
    """Read slash dates that fit both day/month and month/day in the order of the table's other slash-date
    columns (when they agree); otherwise keep them as text with a note, or fail for a declared date column."""
    known: dict[str, str] = {}  # order -> the first column read in it
    for i in range(len(headers)):
        if i in cleaned:
            order = cleaned[i].date_order
        elif headers[i]:  # a column not loaded (``columns``): look at its values all the same
            order = _slash_order_of(raw.frame[i], orders.get(headers[i]))
        else:
            continue
        if order:
            known.setdefault(order, headers[i])
    for i, column in cleaned.items():
        if not column.order_question:
            continue
        if len(known) == 1:
            (order, source), = known.items()
            cleaned[i] = _clean_column(raw.frame[i], headers[i], declared.get(headers[i]), raw.text_source,
                                       order, source)
        elif column.role == Role.DATE:
            raise XlsegError(column.order_question)
        else:
            column.notes.append(column.order_question)


# ----------------------------------------------------------------------------------------- inputs


def _read(data: object, sheet: str | int | None) -> RawTable:
    """Dispatch on the input shape."""
    if isinstance(data, pd.DataFrame):
        return from_frame(data)
    if isinstance(data, str | PathLike):
        return read_file(Path(data), sheet=sheet)
    if isinstance(data, list | tuple):
        return from_rows(data)
    if hasattr(data, "__arrow_c_stream__"):  # polars / pyarrow / duckdb tables: the Arrow PyCapsule interface
        return from_frame(_arrow_frame(data))
    module = type(data).__module__.split(".")[0]
    kind = type(data).__name__ if module == "builtins" else f"{module}.{type(data).__name__}"
    raise XlsegError(
        f"can't read a {kind} as a table; pass a range's values (rows with a header row), a pandas or polars "
        "DataFrame, a pyarrow Table or a .csv/.xlsx/.parquet path"
    )


def _arrow_frame(data: object) -> pd.DataFrame:
    """A pandas DataFrame from any object that exports an Arrow stream (text as pandas' ``str`` columns)."""
    import pyarrow as pa

    return pa.table(data).to_pandas()


def _declared_roles(
    roles: Mapping[str, str | Role] | None, headers: list[str]
) -> tuple[dict[str, Role], dict[str, str]]:
    """Validate ``roles``: every name must be a column, every role a :class:`Role`. Returns the roles and,
    for dates declared as ``"date:dmy"`` / ``"date:mdy"``, how their slash dates read."""
    declared, orders = {}, {}
    for name, role in (roles or {}).items():
        if name not in headers:
            raise column_not_found(name, [h for h in headers if h])
        declared[name], order = _as_role(name, role)
        if order:
            orders[name] = order
    return declared, orders


def _as_role(name: str, role: str | Role) -> tuple[Role, str | None]:
    """Parse a role given as text (any case) or :class:`Role`; ``"date:dmy"``/``"date:mdy"`` also give the
    order of slash dates (31/12/2024 or 12/31/2024)."""
    text, colon, order = str(role).strip().lower().partition(":")
    try:
        parsed = Role(text.strip())
    except ValueError:
        choices = ", ".join(r.value for r in Role)
        raise XlsegError(f"unknown role '{role}' for '{name}'; use one of {choices} "
                         "(date:dmy or date:mdy for dates like 01/02/2024)") from None
    if colon and (parsed != Role.DATE or order.strip() not in DATE_ORDERS):
        raise XlsegError(f"unknown role '{role}' for '{name}'; only a date takes an order: date:dmy (31/12/2024) "
                         "or date:mdy (12/31/2024)")
    return parsed, order.strip() or None


def _wanted_positions(headers: list[str], columns: Sequence[str] | None) -> list[int]:
    """Positions of the requested columns (all when ``columns`` is None), in table order."""
    if columns is None:
        return list(range(len(headers)))
    for name in columns:
        if name not in headers:
            raise column_not_found(name, [h for h in headers if h])
    return [i for i, h in enumerate(headers) if h in set(columns)]


def _retable(table: Table, roles: Mapping[str, str | Role] | None, columns: Sequence[str] | None) -> Table:
    """Apply ``roles`` overrides and a ``columns`` selection to an already clean table."""
    if roles is None and columns is None:
        return table
    names = list(table.frame.columns)
    declared, orders = _declared_roles(roles, names)
    keep = [names[i] for i in _wanted_positions(names, columns)]
    frame, new_roles, notes = table.frame[keep], {}, list(table.notes)
    for name in keep:
        new_roles[name] = declared.get(name, table.roles[name])
        if new_roles[name] != table.roles[name]:
            column = _clean_column(frame[name], name, new_roles[name], text_source=False, order=orders.get(name))
            if column.order_question:
                raise XlsegError(column.order_question)
            frame = frame.assign(**{name: column.values})
            notes += column.notes
    return Table(frame, new_roles, notes, table.source_rows)


def rates_as_flags(table: Table, rate_columns: Sequence[str]) -> Table:
    """``table`` with each column asked for as a rate read as a flag when its values are all yes/no words.

    Inference makes a flag only of two spellings (rule 2), so a converted column that is TRUE for every
    user (or 0 for every user) is a dimension (or a metric); asked for its rate, it is declared a flag here
    instead of failing with "not a flag column". Other columns are left for the "no rate" error.
    """
    frame = table.frame
    flags = {name: "flag" for name in dict.fromkeys(rate_columns)
             if name in table.roles and table.roles[name] != Role.FLAG and _only_flag_values(frame[name])}
    return _retable(table, flags, None) if flags else table


def _only_flag_values(series: pd.Series) -> bool:
    """Every present value is a flag word (``TRUE``, ``No``, ``1`` …) or the number 0 or 1; at least one."""
    present = series.dropna()
    if present.empty:
        return False
    if pd.api.types.is_numeric_dtype(present.dtype) and not pd.api.types.is_bool_dtype(present.dtype):
        return bool(present.isin((0, 1)).all())
    words = pd.unique(present.astype(str).str.lower())
    return all(word in FLAG_WORDS for word in words)


# ---------------------------------------------------------------------------------------- headers


def _header_texts(cells: list[object]) -> tuple[list[str], list[str]]:
    """Header cells as text, plus notes on what was trimmed or converted."""
    texts, trimmed, converted = [], [], []
    for cell in cells:
        text = _cell_text(cell)
        texts.append(text)
        if isinstance(cell, str) and text != cell and text:
            trimmed.append(text)
        elif not isinstance(cell, str) and text:
            converted.append(text)
    notes = []
    if trimmed:
        notes.append(f"trimmed spaces in headers {_quoted(trimmed)}")
    if converted:
        notes.append(f"read number/date headers as text: {_quoted(converted)}")
    return texts, notes


def _check_headers(headers: list[str], positions: list[int]) -> None:
    """Blank or duplicate headers over kept columns are errors."""
    first_seen: dict[str, int] = {}
    for i in positions:
        name = headers[i]
        if not name:
            raise XlsegError(f"column {_column_ref(i)} has a blank header; give it a name")
        if name in first_seen:
            raise XlsegError(
                f"header '{name}' appears twice, in columns {_column_ref(first_seen[name])} and "
                f"{_column_ref(i)}; rename one of them"
            )
        first_seen[name] = i


def _column_letter(position: int) -> str:
    """Excel column letters for a 0-based position: 0 → ``"A"``, 27 → ``"AB"``."""
    letters, n = "", position + 1
    while n:
        n, rest = divmod(n - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _column_ref(position: int) -> str:
    """``"C (3rd)"`` for position 2: the column letter within the table, and the ordinal."""
    k = position + 1
    suffix = "th" if 10 <= k % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(k % 10, "th")
    return f"{_column_letter(position)} ({k}{suffix})"


# ----------------------------------------------------------------------------------- cell → text


def _cell_text(cell: object) -> str:
    """How a single cell reads as a label: ``2024.0`` → ``"2024"``, a date → ``"2024-01-31"``."""
    if cell is None or (not isinstance(cell, tuple) and pd.isna(cell)):
        return ""
    if isinstance(cell, str):
        return squash_spaces(cell)
    if isinstance(cell, bool | np.bool_):
        return "TRUE" if cell else "FALSE"
    if isinstance(cell, int | np.integer):
        return str(int(cell))
    if isinstance(cell, float | np.floating):
        return str(int(cell)) if float(cell).is_integer() else format(float(cell), f".{EXCEL_DIGITS}g")
    if _is_date(cell):
        stamp = pd.Timestamp(cell)
        return stamp.strftime("%Y-%m-%d") if stamp == stamp.normalize() else stamp.isoformat(sep=" ")
    if isinstance(cell, tuple):  # a MultiIndex column
        return " ".join(t for t in map(_cell_text, cell) if t)
    return _cell_text(str(cell))


def _is_date(value: object) -> bool:
    """Whether a cell holds a date or datetime (``datetime``, ``date``, ``Timestamp``, ``datetime64``)."""
    return isinstance(value, dt.date | np.datetime64)


def _quoted(names: list[str], limit: int = 5) -> str:
    """``'a', 'b', 'c'`` (at most ``limit`` names, then "…")."""
    shown = ", ".join(f"'{n}'" for n in names[:limit])
    return shown + (", …" if len(names) > limit else "")


def _plural(n: int, word: str) -> str:
    """``"1 cell"``, ``"3 cells"``."""
    return f"{n} {word}{'' if n == 1 else 's'}"


# --------------------------------------------------------------------------------------- columns


@dataclass
class _Column:
    """One cleaned column: values (row-aligned with the input), role, notes, and which cells were errors."""

    values: pd.Series | pd.api.extensions.ExtensionArray | np.ndarray
    role: Role
    notes: list[str] = field(default_factory=list)
    error_cells: np.ndarray | None = None  # bool per row, only when the column had error values
    is_empty: bool = False  # no value and no error in any row
    date_order: str | None = None  # "dmy"/"mdy": slash dates were read in this order
    order_question: str | None = None  # slash dates that read either way: the note (or, declared, the error)


def _clean_column(
    series: pd.Series,
    name: str,
    declared: Role | None,
    text_source: bool,
    order: str | None = None,
    order_from: str | None = None,
) -> _Column:
    """Clean one column, taking a fast path when its dtype already says what it is.

    ``order`` ("dmy"/"mdy") says how slash dates read: declared, or (``order_from``) taken from another column.
    """
    natural = _dtype_role(series.dtype)
    if natural == Role.FLAG and declared in (None, Role.FLAG):
        return _finish(pd.array(series, dtype="boolean"), Role.FLAG)
    if natural == Role.METRIC and declared in (None, Role.METRIC):
        return _numeric_column(series, name, declared)
    if natural == Role.DATE and declared in (None, Role.DATE):
        return _datetime_column(series, name)
    return _by_values(series, name, declared or natural, text_source, order, order_from)


def _dtype_role(dtype: object) -> Role | None:
    """The role a dtype already implies (bool → flag, number → metric, datetime → date, category →
    dimension), or None for text and mixed columns."""
    if pd.api.types.is_bool_dtype(dtype):
        return Role.FLAG
    if pd.api.types.is_numeric_dtype(dtype):
        return Role.METRIC
    if isinstance(dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(dtype):
        return Role.DATE
    return Role.DIMENSION if isinstance(dtype, pd.CategoricalDtype) else None


def _finish(values: object, role: Role, notes: list[str] | None = None) -> _Column:
    """Wrap finished values; a column is empty when every cell is missing."""
    is_empty = bool(pd.isna(values).all()) if len(values) else True
    return _Column(values, role, notes or [], is_empty=is_empty)


def _numeric_column(series: pd.Series, name: str, declared: Role | None) -> _Column:
    """A numeric dtype column: metric, or a 0/1 flag or an id when inferred."""
    values = series.to_numpy(dtype="float64", na_value=np.nan)
    values, notes = _without_infinities(values, name)
    if declared is None:
        stats = _NumberStats.of(values)
        if _id_like(name) or _is_row_number(values, stats):
            return _finish(_number_ids(series, values), Role.ID)
        if _is_zero_one(values, stats):
            return _finish(pd.arrays.BooleanArray(values == 1, np.isnan(values)), Role.FLAG, notes)
    return _finish(values, Role.METRIC, notes)


def _without_infinities(
    values: np.ndarray, name: str, cells: np.ndarray | None = None
) -> tuple[np.ndarray, list[str]]:
    """Excel holds no infinite number: ±inf become missing (in a new array; the caller's data stay as they
    are), and a note says how many cells. ``cells`` counts the rows of each value when ``values`` are a
    column's distinct values."""
    infinite = np.isinf(values)
    if not infinite.any():
        return values, []
    count = int(infinite.sum() if cells is None else cells[infinite].sum())
    return np.where(infinite, np.nan, values), [f"{_plural(count, 'infinite value')} in '{name}' read as missing"]


@dataclass
class _NumberStats:
    """What role inference needs to know of a number column, from one pass over it."""

    missing: np.ndarray | None  # bool per row; None when nothing is missing
    present: int
    low: float
    high: float

    @classmethod
    def of(cls, values: np.ndarray) -> _NumberStats:
        missing = np.isnan(values)
        if not missing.any():
            low, high = (float(values.min()), float(values.max())) if len(values) else (np.nan, np.nan)
            return cls(None, len(values), low, high)
        present = int(len(values) - missing.sum())
        if present == 0:
            return cls(missing, 0, np.nan, np.nan)
        return cls(missing, present, float(np.nanmin(values)), float(np.nanmax(values)))

    def present_values(self, values: np.ndarray) -> np.ndarray:
        return values if self.missing is None else values[~self.missing]


def _id_like(name: str) -> bool:
    """``id``, ``uuid``, ``guid``, ``user_id``, ``user id``, ``userId``, ``userID``."""
    return bool(_ID_NAME.search(name) or _CAMEL_ID.search(name))


def _is_zero_one(values: np.ndarray, stats: _NumberStats | None = None) -> bool:
    """Only 0 and 1 (and blanks), both present."""
    stats = stats or _NumberStats.of(values)
    if stats.present == 0 or stats.low != 0 or stats.high != 1:
        return False  # a metric column is rejected without another pass
    return bool(np.isin(stats.present_values(values), (0, 1)).all())


def _is_row_number(values: np.ndarray, stats: _NumberStats | None = None) -> bool:
    """More than ``ID_ROWS`` distinct whole numbers filling a contiguous range (1…n, 1001…1000+n)."""
    stats = stats or _NumberStats.of(values)
    n = stats.present
    if n <= ID_ROWS or stats.high - stats.low + 1 != n:
        return False  # a metric column is rejected without another pass
    present = stats.present_values(values)
    return bool(np.all(present == np.floor(present)) and pd.unique(present).size == n)


def _number_ids(series: pd.Series, values: np.ndarray) -> pd.Series:
    """Numeric ids as text: whole numbers without ``.0``."""
    if pd.api.types.is_integer_dtype(series.dtype):
        return series.astype("str").reset_index(drop=True)
    whole = np.isnan(values) | (values == np.floor(values))
    if whole.all() and np.nanmax(np.abs(values), initial=0) < 2**53:
        return pd.Series(values).astype("Int64").astype("str")
    return pd.Series([_cell_text(v) or None for v in values], dtype="str")


def _datetime_column(series: pd.Series, name: str) -> _Column:
    """A datetime64 column; time-zone-aware times become naive UTC."""
    if isinstance(series.dtype, pd.DatetimeTZDtype):
        values = series.dt.tz_convert("UTC").dt.tz_localize(None).array
        return _finish(values, Role.DATE, [f"'{name}' held time-zone-aware times; converted to UTC"])
    return _finish(series.array, Role.DATE)


# ------------------------------------------------------------------------------ by distinct values


@dataclass
class _Distinct:
    """The distinct values of a column, cleaned, with per-value facts (all arrays align with ``raw``)."""

    raw: np.ndarray  # the distinct input values (objects)
    value: np.ndarray  # cleaned: text normalised, None where missing
    kind: np.ndarray  # "missing" | "text" | "number" | "bool" | "date" | "other"
    error: np.ndarray  # an Excel error value
    spaces_only: np.ndarray  # text holding only whitespace
    trimmed: np.ndarray  # text changed by whitespace normalisation
    cells: np.ndarray  # how many rows hold each value

    _matches: dict[str, np.ndarray] = field(default_factory=dict)

    def where(self, kind: str) -> np.ndarray:
        """Mask of values of ``kind``."""
        return self.kind == kind

    @cached_property
    def text(self) -> pd.Series:
        """The (cleaned, non-blank) text values as a ``str`` Series, for vectorised string methods."""
        return _text_series(self.value[self.where("text")])

    def text_matches(self, pattern: str) -> np.ndarray:
        """Mask of text values matching ``pattern`` in full (cached per pattern)."""
        if pattern not in self._matches:
            mask = np.zeros(len(self.value), dtype=bool)
            mask[self.where("text")] = self.text.str.fullmatch(pattern).to_numpy(dtype=bool)
            self._matches[pattern] = mask
        return self._matches[pattern]

    @cached_property
    def truth(self) -> np.ndarray:
        """True/False per value in the flag vocabulary, None elsewhere (and for missing values)."""
        out = np.full(len(self.value), None, dtype=object)
        for kind in ("bool", "number"):
            mask = self.where(kind)
            out[mask] = [{1.0: True, 0.0: False}.get(float(v)) for v in self.value[mask]]
        out[self.where("text")] = self.text.str.lower().map(FLAG_WORDS).to_numpy(dtype=object)
        return np.where(pd.isna(out), None, out)


def _distinct(series: pd.Series) -> tuple[np.ndarray, _Distinct]:
    """Factorize a column and clean its distinct values; returns (row codes, distinct values)."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        codes, uniques = series.cat.codes.to_numpy(), series.cat.categories
    else:
        codes, uniques = pd.factorize(series)
    raw = np.asarray(uniques, dtype=object)
    kind = _kinds(raw, all_text=isinstance(uniques.dtype, pd.StringDtype))
    value, blank, error, spaces_only, trimmed = _clean_text(raw, kind)
    kind = np.where(blank | error, "missing", kind)
    value = np.where(kind == "missing", None, value)
    cells = np.bincount(codes + 1, minlength=len(raw) + 1)[1:]  # code -1 (missing) lands in slot 0
    return codes, _Distinct(raw, value, kind, error, spaces_only, trimmed, cells)


def _kinds(raw: np.ndarray, all_text: bool) -> np.ndarray:
    """The kind of each distinct value."""
    if all_text:
        return np.full(len(raw), "text", dtype=object)
    return np.array([_kind(v) for v in raw], dtype=object)


def _kind(value: object) -> str:
    """``"text"``, ``"bool"``, ``"number"``, ``"date"`` or ``"other"`` for one cell."""
    if isinstance(value, str):
        return "text"
    if isinstance(value, bool | np.bool_):
        return "bool"
    if isinstance(value, int | float | np.integer | np.floating):
        return "number"
    if _is_date(value):
        return "date"
    return "other"


def _clean_text(raw: np.ndarray, kind: np.ndarray) -> tuple[np.ndarray, ...]:
    """Normalise whitespace in text values; masks of blank, error, whitespace-only and trimmed values."""
    value = raw.copy()
    blank, error, spaces_only, trimmed = (np.zeros(len(raw), dtype=bool) for _ in range(4))
    text = kind == "text"
    if text.any():
        original = _text_series(raw[text])
        cleaned = _normalise_spaces(original)
        value[text] = cleaned.to_numpy(dtype=object)
        blank[text] = (cleaned == "").to_numpy()
        error[text] = cleaned.isin(ERROR_CODES).to_numpy()
        spaces_only[text] = ((cleaned == "") & (original != "")).to_numpy()
        trimmed[text] = ((cleaned != original) & (cleaned != "")).to_numpy() & ~error[text]
    return value, blank, error, spaces_only, trimmed


def _text_series(values: np.ndarray) -> pd.Series:
    """Text values as a Series for vectorised string methods.

    Many values go into a ``str`` (Arrow) Series, whose string methods run in C; a few go into an
    ``object`` Series, whose fixed cost per method is lower. The patterns used here behave the same
    in both engines (no ``\\d``/``\\s``, which mean more in Python's re than in RE2).
    """
    return pd.Series(values, dtype="str" if len(values) > _ARROW_FROM else object)


def _normalise_spaces(text: pd.Series) -> pd.Series:
    """Trim text and turn inner whitespace runs into one space (regex only on the values that need it)."""
    odd = text.str.contains(_NEEDS_SPACE_FIX, regex=True).to_numpy(dtype=bool)
    if not odd.any():
        return text
    fixed = text.copy()
    fixed[odd] = text[odd].str.replace(_SPACES, " ", regex=True).str.strip(" ")
    return fixed


def _by_values(
    series: pd.Series,
    name: str,
    declared: Role | None,
    text_source: bool,
    order: str | None = None,
    order_from: str | None = None,
) -> _Column:
    """Clean a column through its distinct values, then expand back to rows."""
    codes, d = _distinct(series)
    text_dates = _text_dates(d, order, short_years=declared == Role.DATE) if declared in (None, Role.DATE) else None
    role = declared or _infer_role(name, d, text_dates)
    question = _order_question(name, d, codes, text_dates, declared is not None)
    if question and role == Role.DATE:  # declared: settled with the other columns, or an error
        return _Column(series.array, role, order_question=question)
    if text_dates is not None and text_dates.order and role == Role.DATE:
        text_dates.order_from = order_from
    values_of, notes = _convert(name, role, d, codes, declared is not None, text_source, text_dates)
    notes = _value_notes(name, d) + notes
    if role == Role.METRIC:  # numeric text beyond float range ("1e400") is infinite
        values_of, infinite_notes = _without_infinities(values_of, name, d.cells)
        notes += infinite_notes
    if role == Role.DIMENSION and _is_clean_categorical(series, d):
        values = series.array
    elif role == Role.DIMENSION:
        values = _categories(values_of, codes, d, keep_order=isinstance(series.dtype, pd.CategoricalDtype))
    else:
        values = take(values_of, codes, allow_fill=True)
    column = _finish(values, role, notes)
    if d.error.any():
        column.error_cells = np.isin(codes, np.flatnonzero(d.error))
        column.is_empty = False
    if role == Role.DATE and text_dates is not None and text_dates.separator == "/" and text_dates.mask.any():
        column.date_order = text_dates.order
    column.order_question = question
    return column


def _infer_role(name: str, d: _Distinct, text_dates: _TextDates | None = None) -> Role:
    """Role of a column from its distinct values (rules in the module docstring)."""
    present = d.kind != "missing"
    kinds = set(d.kind[present])
    if not kinds:
        return Role.DIMENSION
    if _id_like(name) and kinds <= {"text", "number"}:
        return Role.ID
    if _looks_like_flag(d, present):
        return Role.FLAG
    if kinds <= {"date", "text"} and (d.where("date") | _iso_dates(d)).sum() == present.sum():
        return Role.DATE
    if _all_text_dates(d, text_dates) and text_dates.order:
        return Role.DATE
    if kinds <= {"text", "number"} and d.text_matches(_LONG_DIGITS).any():
        return Role.ID
    if kinds <= {"text", "number"} and (d.where("number") | d.text_matches(_NUMBER)).sum() == present.sum():
        numbers = _numbers(d)[present].astype(float)
        return Role.ID if (d.cells[present] == 1).all() and _is_row_number(numbers) else Role.METRIC
    all_distinct = (d.cells[present] == 1).all() and len(set(d.value[present])) == present.sum()
    return Role.ID if all_distinct and present.sum() > ID_ROWS else Role.DIMENSION


def _looks_like_flag(d: _Distinct, present: np.ndarray) -> bool:
    """Real booleans, or exactly two spellings of the flag vocabulary, one true and one false."""
    truths = d.truth[present]
    if any(t is None for t in truths):
        return False
    if (d.kind[present] == "bool").all():
        return True
    spellings = {_cell_text(v).casefold() for v in d.value[present]}
    return len(spellings) == 2 and set(truths) == {True, False}


def _iso_dates(d: _Distinct) -> np.ndarray:
    """Mask of text values that are ISO dates that really exist."""
    mask = d.text_matches(_ISO_DATE).copy()
    if mask.any():
        parsed = pd.to_datetime(_text_series(d.value[mask]), format="ISO8601", errors="coerce")
        mask[np.flatnonzero(mask)[parsed.isna().to_numpy()]] = False
    return mask


@dataclass
class _TextDates:
    """The text values of a column that are dates in a regional format (31.12.2024, 31/12/2024, 12/31/2024)."""

    separator: str  # "." (always day first) or "/"
    order: str | None  # "dmy" or "mdy"; None when every value reads both ways (all parts up to 12)
    mask: np.ndarray  # values (aligned with the distinct values) that are real dates in this format
    values: np.ndarray | None  # their datetimes (``datetime64[us]``), when the order is known
    short_years: bool = False  # some values have two-digit years
    order_from: str | None = None  # the column whose order was taken (this one's values fit either)

    @property
    def label(self) -> str:
        """``"day.month.year"``, ``"day/month/year"`` or ``"month/day/year"``."""
        parts = ("day", "month", "year") if self.order == "dmy" else ("month", "day", "year")
        return self.separator.join(parts)


def _regional_pattern(separator: str, short_years: bool) -> str:
    """The pattern of a day.month.year / slash date with an optional time (two-digit years when asked)."""
    year = "(?:[0-9]{4}|[0-9]{2})" if short_years else "[0-9]{4}"
    sep = re.escape(separator)
    return f"[0-9]{{1,2}}{sep}[0-9]{{1,2}}{sep}{year}{_CLOCK}"


def _text_dates(d: _Distinct, order: str | None = None, *, short_years: bool = False) -> _TextDates | None:
    """The column's regional text dates, in the format of its first text value (None when that is not one).

    Dots are always day first. Slashes follow ``order`` when given, else the values: day first when a first
    part is above 12, month first when a second part is; when no part is above 12 the order stays unknown.
    Values that are not real dates in the chosen order (``31.02.2024``) are left out of the mask.
    """
    text = d.where("text")
    if not text.any():
        return None
    first = d.value[np.flatnonzero(text)[0]]
    for separator in "./":
        pattern = _regional_pattern(separator, short_years)
        if re.fullmatch(pattern, first):
            break
    else:
        return None
    mask = d.text_matches(pattern).copy()
    candidates = _text_series(d.value[mask])
    if separator == ".":
        order = "dmy"
    elif order is None:
        order = _slash_order(candidates)
    parsed = _parse_regional(candidates, separator, order or "dmy")  # all parts <= 12: valid in either order
    valid = parsed.notna().to_numpy()
    mask[np.flatnonzero(mask)[~valid]] = False
    short = short_years and bool(candidates.str.contains(r"^[0-9]+.[0-9]+.[0-9]{2}(?: |$)").any())
    values = parsed[valid].to_numpy() if order else None
    return _TextDates(separator, order, mask, values, short)


def _slash_order(text: pd.Series) -> str | None:
    """``"dmy"`` when some first part is above 12, ``"mdy"`` when some second part is, None when neither.

    When both happen, the order of the first value that tells (so the values of the other order are the
    ones that do not read as dates).
    """
    above_12 = "(?:1[3-9]|[2-9][0-9])/"  # the values matched a slash date, so parts have one or two digits
    day_first = text.str.contains("^" + above_12).to_numpy(dtype=bool)
    month_first = text.str.contains("^[0-9]+/" + above_12).to_numpy(dtype=bool)
    if day_first.any() and month_first.any():
        return "dmy" if np.argmax(day_first) < np.argmax(month_first) else "mdy"
    return "dmy" if day_first.any() else "mdy" if month_first.any() else None


def _parse_regional(text: pd.Series, separator: str, order: str) -> pd.Series:
    """Regional date text as ``datetime64[us]`` (NaT where it is not a real date), with exact formats.

    The date parts and the times (``14:05``, ``14:05:09``, ``2:05 PM``, ``2:05:09 PM``) are parsed apart, each
    on its distinct values: a column of times to the minute has ~200k distinct values but only a few hundred
    days and 1,440 minutes. Two-digit years are read as Excel does (30-99 are 1930-1999, 00-29 2000-2029).
    """
    day_month = ("%d{0}%m{0}" if order == "dmy" else "%m{0}%d{0}").format(separator)
    has_clock = text.str.contains(" ", regex=False).to_numpy(dtype=bool)
    days = text.str.replace(" .*", "", regex=True) if has_clock.any() else text
    day_codes, day_texts = pd.factorize(days)
    day_texts = _text_series(np.asarray(day_texts, dtype=object))
    shapes = np.where(day_texts.str.contains("[./][0-9]{2}$").to_numpy(dtype=bool), 1, 0)
    out = _parse_shapes(day_texts, shapes, [day_month + "%Y", day_month + "%y"]).to_numpy()[day_codes]
    if has_clock.any():
        clock_codes, clock_texts = pd.factorize(text.str.replace("^[^ ]* ?", "", regex=True))
        clock_texts = _text_series(np.asarray(clock_texts, dtype=object))
        colons = clock_texts.str.count(":").to_numpy()
        ampm = clock_texts.str.contains("[AaPp][Mm]$").to_numpy(dtype=bool)
        shapes = np.select([ampm & (colons == 2), ampm, colons == 2, colons == 1], [4, 3, 2, 1], 0)
        clocks = _parse_shapes(clock_texts, shapes, ["", "%H:%M", "%H:%M:%S", "%I:%M %p", "%I:%M:%S %p"])
        out = out + (clocks - _CLOCK_DAY).to_numpy()[clock_codes]
    return pd.Series(out, index=text.index)


def _parse_shapes(texts: pd.Series, shapes: np.ndarray, formats: list[str]) -> pd.Series:
    """``texts`` parsed with ``formats[shape]`` each (``""``: an empty time, midnight); NaT where invalid."""
    out = pd.Series(pd.NaT, index=texts.index, dtype="datetime64[us]")
    for shape in np.unique(shapes):
        rows = shapes == shape
        if not formats[shape]:
            out[rows] = _CLOCK_DAY
            continue
        parsed = pd.to_datetime(texts[rows], format=formats[shape], errors="coerce").astype("datetime64[us]")
        if formats[shape].endswith("%y"):
            late = parsed.dt.year >= 2000 + _EXCEL_CENTURY_FROM
            parsed[late] = parsed[late] - pd.DateOffset(years=100)
        out[rows] = parsed.to_numpy()
    return out


def _all_text_dates(d: _Distinct, text_dates: _TextDates | None) -> bool:
    """Every non-blank value is text and a regional date."""
    present = d.kind != "missing"
    return text_dates is not None and bool(present.any()) and bool((text_dates.mask == present).all())


def _slash_order_of(series: pd.Series, order: str | None) -> str | None:
    """The order of a column's slash dates when the whole column is slash dates and tells it (else None)."""
    text_like = pd.api.types.is_object_dtype(series.dtype) or isinstance(series.dtype, pd.StringDtype)
    if not text_like or series.isna().all():
        return None
    first = series.loc[series.first_valid_index()]  # cheap look before factorizing a column not loaded
    # (a blank first cell, "" after squashing spaces, proves nothing: look at the whole column then)
    if not isinstance(first, str) or not re.fullmatch(_regional_pattern("/", False) + "|", squash_spaces(first)):
        return None
    _, d = _distinct(series)
    text_dates = _text_dates(d, order)
    if text_dates is None or text_dates.separator != "/" or not _all_text_dates(d, text_dates):
        return None
    return text_dates.order


def _order_question(
    name: str, d: _Distinct, codes: np.ndarray, text_dates: _TextDates | None, declared: bool
) -> str | None:
    """For slash dates that read either way (``01/02/2024``), the note or error saying how to declare them."""
    if text_dates is None or text_dates.order or not text_dates.mask.any():
        return None
    if not declared and not _all_text_dates(d, text_dates):
        return None
    row = int(np.flatnonzero(np.isin(codes, np.flatnonzero(text_dates.mask)))[0])
    example = d.value[codes[row]]
    how = (f"declare the order: roles={{'{name}': 'date:dmy'}} (day first) or 'date:mdy' (month first); "
           f"in Excel roles={name}:date:dmy")
    if declared:
        return (f"'{name}' is a date column but '{example}' (data row {row + 1}) reads as day/month or "
                f"month/day, and no value tells which; {how}")
    return f"'{name}' holds dates that read as day/month or month/day (like '{example}'); kept as text: {how}"


# ---------------------------------------------------------------------------------- conversions


def _convert(
    name: str,
    role: Role,
    d: _Distinct,
    codes: np.ndarray,
    declared: bool,
    text_source: bool,
    text_dates: _TextDates | None = None,
) -> tuple[object, list[str]]:
    """Per-distinct-value results for ``role`` (aligned with ``d.raw``), and notes.

    For a declared role, a value that does not fit is an error naming it and its first data row.
    """
    if role == Role.METRIC:
        values, bad, notes = _to_metric(name, d, text_source)
    elif role == Role.FLAG:
        values, bad, notes = _to_flag(d)
    elif role == Role.DATE:
        values, bad, notes = _to_date(name, d, serials=declared, text_source=text_source, text_dates=text_dates)
    else:
        values, bad, notes = _to_labels(name, d, role)
    if bad.any():
        raise _misfit(name, role, d, codes, bad)
    return values, notes


def _to_metric(name: str, d: _Distinct, text_source: bool) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Numbers (and numeric text, booleans as 1/0) as float64."""
    numeric_text = d.text_matches(_NUMBER)
    values = _numbers(d)
    values[d.where("bool")] = d.value[d.where("bool")].astype(float)
    bad = (d.kind != "missing") & ~(d.where("number") | d.where("bool") | numeric_text)
    notes = []
    if numeric_text.any() and not text_source:
        n = int(d.cells[numeric_text].sum())
        notes.append(f"'{name}' held {_plural(n, 'number')} stored as text; converted")
    return values.astype("float64"), bad, notes


def _numbers(d: _Distinct) -> np.ndarray:
    """Float value of numbers and numeric text (thousands separators removed), NaN elsewhere."""
    out = np.full(len(d.value), np.nan)
    numbers = d.where("number")
    out[numbers] = d.value[numbers].astype(float)
    numeric_text = d.text_matches(_NUMBER)
    if numeric_text.any():
        text = _text_series(d.value[numeric_text]).str.replace(",", "", regex=False)
        out[numeric_text] = text.astype("float64").to_numpy()
    return out


def _to_flag(d: _Distinct) -> tuple[pd.api.extensions.ExtensionArray, np.ndarray, list[str]]:
    """The flag vocabulary as a pandas ``boolean`` array."""
    truths = d.truth
    bad = (d.kind != "missing") & np.array([t is None for t in truths], dtype=bool)
    return pd.array(np.where(bad, None, truths), dtype="boolean"), bad, []


def _to_date(
    name: str, d: _Distinct, *, serials: bool, text_source: bool, text_dates: _TextDates | None = None
) -> tuple[pd.api.extensions.ExtensionArray, np.ndarray, list[str]]:
    """Datetimes, ISO text, regional text dates (``text_dates``, when their order is known) and (when
    ``serials``) Excel serial numbers as ``datetime64[us]``."""
    out = pd.Series(pd.NaT, index=range(len(d.value)), dtype="datetime64[us]")
    notes: list[str] = []
    dates, iso = d.where("date"), _iso_dates(d)
    if dates.any():
        out[dates], aware = _datetimes(d.value[dates])
        if aware:
            notes.append(f"'{name}' held time-zone-aware times; converted to UTC")
    if iso.any():
        out[iso] = pd.to_datetime(_text_series(d.value[iso]), format="ISO8601").to_numpy()
        if not text_source:
            notes.append(f"'{name}' held dates as text; converted")
    regional = np.zeros(len(d.value), dtype=bool)
    if text_dates is not None and text_dates.order and text_dates.mask.any():
        regional = text_dates.mask
        out[regional] = text_dates.values
        notes.append(_regional_note(name, text_dates))
    numbers = d.where("number") & serials
    if numbers.any():
        days = d.value[numbers].astype(float)
        valid = (days >= 1) & (days < _EXCEL_MAX_SERIAL)
        numbers[np.flatnonzero(numbers)[~valid]] = False
        out[numbers] = _from_serials(days[valid])
        notes.append(f"'{name}' held Excel date serial numbers; converted to dates")
    bad = (d.kind != "missing") & ~(dates | iso | regional | numbers)
    return out.array, bad, notes


def _regional_note(name: str, text_dates: _TextDates) -> str:
    """``read 'signup' as dates (day.month.year)``, and where the order or the century came from."""
    extra = ""
    if text_dates.order_from:
        extra += f", as in '{text_dates.order_from}': its own values read either way"
    if text_dates.short_years:
        first = _EXCEL_CENTURY_FROM
        extra += f"; two-digit years {first}-99 as 19.., 00-{first - 1} as 20.., as Excel reads them"
    return f"read '{name}' as dates ({text_dates.label}{extra})"


def _datetimes(values: np.ndarray) -> tuple[np.ndarray, bool]:
    """Date/datetime objects as naive ``datetime64[us]``; aware ones converted to UTC."""
    aware = any(getattr(v, "tzinfo", None) is not None for v in values)
    stamps = pd.to_datetime(pd.Series(values, dtype=object), utc=aware)
    if aware:
        stamps = stamps.dt.tz_localize(None)
    return stamps.astype("datetime64[us]").to_numpy(), aware


def _from_serials(days: np.ndarray) -> np.ndarray:
    """Excel 1900-system serials to datetimes (serials below 61 undo Excel's phantom 1900-02-29)."""
    shift = np.where(days < 61, 1.0, 0.0)
    stamps = _EXCEL_EPOCH + pd.to_timedelta(days + shift, unit="D")
    return stamps.round("ms").astype("datetime64[us]").to_numpy()


def _to_labels(name: str, d: _Distinct, role: Role) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Every value as its text label (numbers without ``.0``, dates ISO, booleans TRUE/FALSE)."""
    labels = d.value.copy()  # text is already clean; missing is None
    others = ~d.where("text") & ~d.where("missing")
    labels[others] = [_cell_text(v) for v in d.value[others]]
    notes = []
    if role == Role.ID and d.text_matches(_LONG_DIGITS).any():
        notes.append(f"'{name}' holds numbers longer than {EXCEL_DIGITS} digits; kept as text")
    if d.where("number").any() and (d.where("text") & ~d.text_matches(_NUMBER)).any():
        notes.append(f"'{name}' mixes text and numbers; numbers read as text labels")
    return labels, np.zeros(len(labels), dtype=bool), notes


def _is_clean_categorical(series: pd.Series, d: _Distinct) -> bool:
    """A categorical whose categories are already clean ``str`` labels: it can pass through as is."""
    if not isinstance(series.dtype, pd.CategoricalDtype) or series.cat.categories.dtype != "str":
        return False
    return bool((d.kind == "text").all() and not d.trimmed.any())


def _categories(labels: np.ndarray, codes: np.ndarray, d: _Distinct, keep_order: bool) -> pd.Categorical:
    """A categorical from per-distinct-value labels (equal labels merge).

    Categories keep the input's order for a categorical input, follow the numbers/dates for a column of
    numbers or dates, and are sorted as text otherwise.
    """
    label_codes, categories = pd.factorize(labels)
    order = _category_order(categories, label_codes, d, keep_order)
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    remap = np.append(np.append(rank, -1)[label_codes], -1)  # code -1 (missing) stays -1
    identity = np.array_equal(remap[:-1], np.arange(len(remap) - 1))
    new_codes = codes if identity else remap[codes]  # clean, ordered input: keep its codes as they are
    return pd.Categorical.from_codes(new_codes, categories=pd.Index(categories[order], dtype="str"), validate=False)


def _category_order(categories: np.ndarray, label_codes: np.ndarray, d: _Distinct, keep_order: bool) -> np.ndarray:
    """Positions of ``categories`` in display order."""
    if keep_order:
        return np.arange(len(categories))
    present = d.kind != "missing"
    for kind in ("number", "date"):
        if present.any() and (d.kind[present] == kind).all():
            first = pd.Series(d.value[present]).groupby(label_codes[present]).first()
            key = first.astype(float) if kind == "number" else pd.to_datetime(first, utc=True)
            return np.argsort(key.to_numpy(), kind="stable")
    return np.argsort(np.asarray(categories, dtype=str), kind="stable")


def _misfit(name: str, role: Role, d: _Distinct, codes: np.ndarray, bad: np.ndarray) -> XlsegError:
    """The error for the first row holding a value that does not fit the declared ``role``."""
    row = int(np.flatnonzero(np.isin(codes, np.flatnonzero(bad)))[0])
    shown = _cell_text(d.raw[codes[row]]) or str(d.raw[codes[row]])
    fix = {
        Role.FLAG: "use TRUE/FALSE, Yes/No or 1/0",
        Role.METRIC: "use numbers, or declare it a dimension",
        Role.DATE: "use dates, text like 2024-03-01, 31.12.2024 or 12/31/2024, or Excel date numbers",
    }[role]
    return XlsegError(f"'{name}' is a {role.value} column but holds '{shown}' (data row {row + 1}); {fix}")


def _value_notes(name: str, d: _Distinct) -> list[str]:
    """Notes on error values, whitespace-only cells and trimmed labels."""
    notes = []
    if d.error.any():
        error_codes = [_cell_text(v) for v in d.raw[d.error]]
        counts = pd.Series(d.cells[d.error], index=error_codes).groupby(level=0, sort=False).sum()
        counts = counts.sort_values(ascending=False, kind="stable")
        codes = ", ".join(counts.index)
        notes.append(f"{_plural(int(counts.sum()), 'error cell')} ({codes}) in '{name}' read as missing")
    if d.spaces_only.any():
        n = int(d.cells[d.spaces_only].sum())
        notes.append(f"{_plural(n, 'cell')} in '{name}' held only spaces; read as missing")
    if d.trimmed.any():
        n = int(d.cells[d.trimmed].sum())
        notes.append(f"trimmed stray spaces in {_plural(n, 'cell')} of '{name}'")
    return notes


# -------------------------------------------------------------------------------------- assembly


def _assemble(
    raw: RawTable, headers: list[str], columns: dict[int, _Column], header_notes: list[str], dropped: list[int]
) -> Table:
    """Put the cleaned columns together, drop empty rows, and collect the notes in reading order."""
    if not columns:
        raise XlsegError("the table has no data under its header row")
    # copy=False: no block consolidation (a full copy of every number column at 10M rows). Arrays that are
    # views of the caller's data come from pandas' copy-on-write to_numpy and are read-only, so the caller's
    # table can't be changed through ours.
    frame = pd.DataFrame({headers[i]: c.values for i, c in columns.items()}, index=pd.RangeIndex(len(raw.frame)),
                         copy=False)
    empty = _empty_rows(frame, columns.values())
    others = [i for i in range(len(raw.frame.columns)) if i not in columns]
    if empty.any() and others:
        empty = _blank_elsewhere(raw, others, empty)
    notes = list(raw.notes) + header_notes
    if dropped:
        shown = ", ".join(f"'{headers[i]}' ({_column_letter(i)})" if headers[i] else _column_letter(i)
                          for i in dropped)
        notes.append(f"dropped {_plural(len(dropped), 'empty column')}: {shown}")
    if empty.any():
        frame = frame[~empty].reset_index(drop=True)
        notes.append(f"dropped {_plural(int(empty.sum()), 'empty row')}")
    if frame.empty:
        raise XlsegError("the table has no data under its header row")
    notes += [note for c in columns.values() for note in c.notes]
    roles = {headers[i]: c.role for i, c in columns.items()}
    return Table(frame, roles, notes, source_rows=len(raw.frame))


def _blank_elsewhere(raw: RawTable, positions: list[int], empty: np.ndarray) -> np.ndarray:
    """Keep as empty only the rows also blank in the columns that were not loaded (a ``columns`` selection
    must not drop a user whose loaded cells happen to be blank)."""
    rows = np.flatnonzero(empty)
    still_empty = np.ones(len(rows), dtype=bool)
    for position in positions:
        cells = raw.frame.iloc[rows, position]
        text = cells.astype(object).map(lambda v: v.strip() if isinstance(v, str) else v)
        still_empty &= (cells.isna() | (text == "")).to_numpy(dtype=bool)
    out = empty.copy()
    out[rows] = still_empty
    return out


def _empty_rows(frame: pd.DataFrame, columns: object) -> np.ndarray:
    """Rows where every cell is missing and none was an error value."""
    empty = np.ones(len(frame), dtype=bool)
    for name in frame.columns:  # column by column, stopping as soon as no row can be empty
        empty &= frame[name].isna().to_numpy()
        if not empty.any():
            return empty
    for column in columns:
        if column.error_cells is not None:
            empty = empty & ~column.error_cells
    return empty
