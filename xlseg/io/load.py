"""Turn what the user hands over into a clean :class:`~xlseg.schema.Table`.

:func:`load_table` accepts an Excel range's values (a 2-D list, header row first), a DataFrame, a
``.csv`` / ``.xlsx`` / ``.xlsm`` / ``.parquet`` path, or a :class:`Table`. It returns a new frame (the
input is never modified) plus each column's role and one note per cleaning step that changed something.

Cleaning rules
--------------
- **Title and footer rows** (:mod:`xlseg.io.title_rows`): a title row above the header is skipped,
  ``header_row=N`` names the header row, and ``Source:``/``Total``/remark rows under the data are dropped.
- **Missing-value words** (:mod:`xlseg.io.missing`): ``NA``, ``N/A``, ``NULL``, ``None``, ``NaN``… are
  missing in every column, ``-``/``--``/``?``/``.`` in a column that is otherwise numbers, plus the
  user's ``na_values``; counted in the notes. Their rows are users with missing values, not empty rows.
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
  ``;``-separated CSV file, see :mod:`xlseg.io.csv_numbers`). Digit strings
  longer than 15 digits (Excel keeps 15 significant digits) stay text and make the column an id.
- **Dates**: datetimes (also ``date`` and pandas ``Timestamp``) and ISO text (``2024-03-01``,
  ``2024-03-01 10:00``) when the whole column is dates. Excel serial numbers (``45352`` →
  2024-03-01, 1900 date system) only in a column declared a date. Time-zone-aware times are converted
  to UTC and the zone dropped.
- **Instants** (ISO text with ``Z``/offsets, ``date:epoch`` numbers) and ``tz=``: see
  :mod:`xlseg.io.timestamps`. **Percent and currency text**: see :mod:`xlseg.io.amounts`.
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
   text → **id**, unless the values are a handful (2–12) each repeated (3 rows per value on average): a
   ``party_id`` of party names is a dimension.
2. Real booleans, or values all in the flag vocabulary with exactly two distinct spellings
   (case-insensitive), one true and one false (``Yes``/``No``, ``1``/``0``, …) → **flag**.
3. All dates (or ISO date text), or all regional text dates of one known order → **date**.
4. Any digit string longer than 15 digits → **id**.
5. All numbers (or numeric text) → **metric**; except whole numbers that are all distinct, more than
   20 of them, and fill a contiguous range (row numbers, auto-increment keys) → **id**, and 2–12
   distinct whole numbers within a range of 100, used by 3 rows each on average (a 1–7 scale, a year;
   :mod:`xlseg.io.codes`)
   → **dimension**, ordered by value (still averaged when a statistic asks for it). Distinct
   numbers alone are not enough: a small table's revenues are often all distinct.
6. Other text → **dimension**; except all-distinct text in more than 20 rows (names, emails) → **id**.

Output dtypes: dimensions ``category`` (str labels, ordered for number codes and ordered input;
missing stays NaN, the engine shows it as "(missing)"), ids ``str``, metrics ``float64``, flags
``boolean``, dates ``datetime64`` (``[us]`` when converted here). Columns that are already clean
(numbers, bools, datetimes, categories with clean labels) pass through without per-row Python work;
text columns are cleaned on their distinct values.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from os import PathLike
from pathlib import Path

import numpy as np
import pandas as pd

from xlseg.errors import XlsegError, column_not_found
from xlseg.io.cells import plural
from xlseg.io.columns import Column, clean_column, to_local
from xlseg.io.dates import slash_order_of
from xlseg.io.distinct import FLAG_WORDS
from xlseg.io.headers import check_headers, column_letter, header_texts
from xlseg.io.missing import MissingWords
from xlseg.io.readers import RawTable, from_frame, from_rows, read_file
from xlseg.io.roles import declared_roles
from xlseg.io.timestamps import check_zone
from xlseg.io.title_rows import header_and_footer
from xlseg.parallel import map_columns
from xlseg.schema import Role, Table
from xlseg.spec import column_name, named


def load_table(
    data: object,
    *,
    roles: Mapping[str, str | Role] | None = None,
    columns: Sequence[str] | None = None,
    sheet: str | int | None = None,
    keep: Sequence[str] = (),
    tz: str | None = None,
    na_values: object = None,
    header_row: int | None = None,
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
        tz: an IANA time zone (``"Europe/Berlin"``): instants (ISO text with ``Z``/offsets, time-zone-aware
            datetimes, ``date:epoch`` numbers) become naive local times there, before periods are cut
            (default: UTC). Dates without a zone are left as written. See :mod:`xlseg.io.timestamps`.
        na_values: extra tokens that mean "missing" (one or a list; ``"-999"`` also matches the number),
            besides the usual words (``NA``, ``N/A``, ``NULL``, ``None``, ``NaN``…; see :mod:`xlseg.io.missing`).
        header_row: the row holding the header (1 = the first row of the range or file); rows above it are
            skipped. Default: the first row, or the row after a title row (see :mod:`xlseg.io.title_rows`).

    Raises:
        XlsegError: unknown column or role, blank or duplicate header (both columns are named), a value
            that does not fit a declared role, no data rows, or an unreadable input.
    """
    if columns is not None:  # names may be numbers, dates or booleans: compared as their header text
        one = isinstance(columns, str) or not isinstance(columns, Iterable)
        columns = [column_name(c) for c in ([columns] if one else columns)]
    roles, keep = named(roles) if roles else roles, [column_name(k) for k in keep]
    if isinstance(data, Table):
        if tz is not None:
            raise XlsegError("tz applies while a table is read; this one is already read: pass the data itself, "
                             "or load_table(data, tz=...) first")
        if na_values is not None or header_row is not None:
            raise XlsegError("na_values and header_row say how to read a table; this one is read already "
                             "(give them where it is loaded)")
        return _retable(data, roles, columns)
    tz = check_zone(tz)
    missing = MissingWords.of(na_values)
    raw = header_and_footer(_read(data, sheet), header_row)
    headers, header_notes = header_texts(raw.headers)
    declared, orders = declared_roles(roles, headers)
    wanted = _wanted_positions(headers, columns)
    cleaned = _clean_columns(raw, headers, declared, orders, wanted, missing)
    keep_named = set(declared) | set(columns or ()) | set(keep)
    dropped_columns = [i for i, c in cleaned.items() if c.is_empty and headers[i] not in keep_named]
    kept = [i for i in wanted if i not in dropped_columns]
    check_headers(headers, kept)
    for i in kept:
        if cleaned[i].instants and tz is not None:
            to_local(cleaned[i], headers[i], tz)
    return _assemble(raw, headers, {i: cleaned[i] for i in kept}, header_notes, dropped_columns)


def _clean_columns(
    raw: RawTable, headers: list[str], declared: dict[str, Role], orders: dict[str, str], wanted: list[int],
    missing: MissingWords | None = None,
) -> dict[int, Column]:
    """Clean the wanted columns (in threads for large tables); errors surface in column order."""
    jobs = {i: (raw.frame[i], headers[i], declared.get(headers[i]), raw.text_source, orders.get(headers[i]), None,
                missing) for i in wanted}
    results = map_columns(lambda job: clean_column(*job), jobs.values(), len(raw.frame))
    cleaned = dict(zip(jobs, results, strict=True))
    if any(c.order_question for c in cleaned.values()):
        _settle_date_orders(raw, headers, declared, orders, cleaned, missing)
    return cleaned


def _settle_date_orders(
    raw: RawTable, headers: list[str], declared: dict[str, Role], orders: dict[str, str], cleaned: dict[int, Column],
    missing: MissingWords | None = None,
) -> None:
    """Read slash dates that fit both day/month and month/day in the order of the table's other slash-date
    columns (when they agree); otherwise keep them as text with a note, or fail for a declared date column."""
    known: dict[str, str] = {}  # order -> the first column read in it
    for i in range(len(headers)):
        if i in cleaned:
            order = cleaned[i].date_order
        elif headers[i]:  # a column not loaded (``columns``): look at its values all the same
            order = slash_order_of(raw.frame[i], orders.get(headers[i]))
        else:
            continue
        if order:
            known.setdefault(order, headers[i])
    for i, column in cleaned.items():
        if not column.order_question:
            continue
        if len(known) == 1:
            (order, source), = known.items()
            cleaned[i] = clean_column(raw.frame[i], headers[i], declared.get(headers[i]), raw.text_source,
                                       order, source, missing)
        elif column.role == Role.DATE:
            raise XlsegError(column.order_question)
        else:
            column.notes.append(column.order_question)


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
    declared, orders = declared_roles(roles, names)
    keep = [names[i] for i in _wanted_positions(names, columns)]
    frame, new_roles, notes, words = table.frame[keep], {}, list(table.notes), {}
    for name in keep:
        new_roles[name] = declared.get(name, table.roles[name])
        if new_roles[name] != table.roles[name]:
            column = clean_column(frame[name], name, new_roles[name], text_source=False, order=orders.get(name))
            if column.order_question:
                raise XlsegError(column.order_question)
            frame = frame.assign(**{name: column.values})
            notes += column.notes
            if column.flag_words:
                words[name] = column.flag_words
        elif name in table.flag_words:
            words[name] = table.flag_words[name]
    formats = {name: fmt for name, fmt in table.formats.items() if name in keep and new_roles[name] == Role.METRIC}
    return Table(frame, new_roles, notes, table.source_rows, formats=formats, flag_words=words)


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


def _assemble(
    raw: RawTable, headers: list[str], columns: dict[int, Column], header_notes: list[str], dropped: list[int]
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
        shown = ", ".join(f"'{headers[i]}' ({column_letter(i)})" if headers[i] else column_letter(i)
                          for i in dropped)
        notes.append(f"dropped {plural(len(dropped), 'empty column')}: {shown}")
    if empty.any():
        frame = frame[~empty].reset_index(drop=True)
        notes.append(f"dropped {plural(int(empty.sum()), 'empty row')}")
    if frame.empty:
        raise XlsegError("the table has no data under its header row")
    notes += [note for c in columns.values() for note in c.notes]
    roles = {headers[i]: c.role for i, c in columns.items()}
    formats = {headers[i]: c.number_format for i, c in columns.items() if c.number_format}
    words = {headers[i]: c.flag_words for i, c in columns.items() if c.flag_words}
    return Table(frame, roles, notes, source_rows=len(raw.frame), formats=formats, flag_words=words)


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
