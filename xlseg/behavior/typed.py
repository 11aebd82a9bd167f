"""Fast path of :func:`~xlseg.behavior.events.read_events` for typed Arrow columns (Parquet files, pyarrow and
polars tables): whole-number user ids, timestamps and numeric values that need no cleaning.

Such columns are what :func:`xlseg.load_table` would hand back unchanged: integer ids are never blank and hold
no text, a time-zone-free timestamp or date is already a date (``tz`` only moves instants with a zone), and
numbers are numbers (missing as NaN). So only the three named columns are read (a Parquet file's other columns
are not decoded) and they go to numpy without a pandas conversion.

The path is taken only when nothing else could change the result: no ``keep`` columns or declared roles for
them, each name occurs once among the (trimmed) headers, and no text column comes before the user column (only a
text cell can start a footer row such as ``Note: …``, and an integer id fills every row, so no row is empty).
Anything else returns None and the general path reads the table.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from os import PathLike
from pathlib import Path

import numpy as np
import pandas as pd

from xlseg.io.headers import header_texts
from xlseg.io.title_rows import _UNNAMED


@dataclass
class TypedColumns:
    """The named columns of an activity table as numpy arrays, read without cleaning."""

    ids: np.ndarray  # integer user ids, no missing
    frame: pd.DataFrame  # the time column (datetime64) and the value column (float64), sharing the arrays


def typed_columns(
    events: object, user: str, time: str, value: str | None, *, keep: Sequence[str] = (),
    roles: Mapping[str, str] | None = None,
) -> TypedColumns | None:
    """The user, time and value columns of a Parquet file or Arrow table when all three are typed so that
    cleaning would not change them (see the module docstring); else None."""
    if keep or (roles and ({user, time, value} & set(roles))):
        return None
    schema = _schema(events)
    if schema is None:
        return None
    names = [user, time, *([value] if value else [])]
    headers, _ = header_texts(list(schema.names))
    if len(set(names)) < len(names) or any(headers.count(n) != 1 or n not in schema.names or _UNNAMED.fullmatch(n)
                                           for n in names):
        return None
    fields = {n: schema.field(n) for n in names}
    if not (_is_integer(fields[user].type) and _is_plain_time(fields[time].type)
            and (value is None or _is_number(fields[value].type))):
        return None
    if any(_is_text(schema.field(i).type) for i in range(schema.names.index(user))):
        return None
    table = _read(events, names)
    ids = table.column(user)
    if ids.null_count:
        return None
    ids = ids.to_numpy()
    times = table.column(time).to_numpy()
    if times.dtype.kind != "M":  # a date column: day numbers as datetime64[D]
        times = np.asarray(times, dtype="datetime64[D]")
    frame = {time: times}
    if value:
        frame[value] = table.column(value).to_numpy().astype(np.float64, copy=False)
    return TypedColumns(ids, pd.DataFrame(frame, copy=False))


def _schema(events: object) -> object:
    """The Arrow schema of a Parquet path or an Arrow-exporting table (not a pandas DataFrame); else None."""
    if isinstance(events, str | PathLike):
        if Path(events).suffix.lower() != ".parquet" or not Path(events).is_file():
            return None
        import pyarrow.parquet as pq

        try:
            return pq.read_schema(events)
        except (OSError, ValueError):
            return None  # the general path reports it
    if isinstance(events, pd.DataFrame) or not hasattr(events, "__arrow_c_stream__"):
        return None
    import pyarrow as pa

    return events.schema if isinstance(events, pa.Table) else pa.table(events).schema


def _read(events: object, names: list[str]) -> object:
    """The named columns as a pyarrow Table."""
    import pyarrow as pa

    if isinstance(events, str | PathLike):
        import pyarrow.parquet as pq

        table = pq.read_table(events, columns=names)
    else:
        table = (events if isinstance(events, pa.Table) else pa.table(events)).select(names)
    return table


def _is_integer(kind: object) -> bool:
    import pyarrow as pa

    return pa.types.is_integer(kind)


def _is_number(kind: object) -> bool:
    import pyarrow as pa

    return pa.types.is_integer(kind) or pa.types.is_floating(kind)


def _is_plain_time(kind: object) -> bool:
    """A timestamp without a zone, or a date (a zone-aware timestamp goes the general way: ``tz`` moves it)."""
    import pyarrow as pa

    return (pa.types.is_timestamp(kind) and kind.tz is None) or pa.types.is_date32(kind)


def _is_text(kind: object) -> bool:
    import pyarrow as pa

    checks = ("is_string", "is_large_string", "is_string_view", "is_dictionary", "is_binary", "is_large_binary")
    return any(getattr(pa.types, check, lambda _: False)(kind) for check in checks)  # string views: pyarrow >= 16
