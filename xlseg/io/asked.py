"""Honour what was asked: a column asked for a number statistic (mean, sum, p90…) or numeric bins is read
as numbers when its values are numbers, whatever role inference gave it.

- A dimension of integer codes (a 1–5 rating, :mod:`xlseg.io.codes`) is segmented by value by default, and
  its mean is legitimate when asked for.
- A column that merely looks like an id (an ``…_id`` name, or whole numbers 1…n) is read as numbers when
  a number statistic is asked of it, with a note: the request is honoured, not refused.

Text labels (a real dimension) and text ids are left alone; the engine then says which aggregations fit.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

import numpy as np
import pandas as pd

from xlseg.io.codes import code_numbers
from xlseg.io.numbers import NUMBER
from xlseg.schema import Role, Table

NOT_NUMERIC = frozenset({"count", "nunique", "rate"})  # aggregations that need no numbers


def metrics_as_asked(table: Table, metrics: Iterable[tuple[str, str]], numeric_bins: Iterable[str] = (),
                     segmented: Iterable[str] = ()) -> Table:
    """``table`` with code dimensions and number-like ids asked for a number statistic (``metrics``: column,
    aggregation pairs) or for numeric bins (``numeric_bins``) read as metrics. Columns in ``segmented`` (the
    unbinned ``by`` columns) keep their role, since they are segmented by their labels."""
    kept = set(segmented)
    wanted = dict.fromkeys([c for c, agg in metrics if agg not in NOT_NUMERIC] + list(numeric_bins))
    frame, roles, notes = table.frame, dict(table.roles), list(table.notes)
    for column in wanted:
        role = roles.get(column)
        if column in kept or role not in (Role.DIMENSION, Role.ID):
            continue
        numbers = _numbers(frame[column])
        if numbers is None:
            continue
        if frame is table.frame:
            frame = frame.copy(deep=False)
        frame[column] = numbers
        roles[column] = Role.METRIC
        if role == Role.ID:
            notes.append(f"'{column}' looks like an id but was asked for numbers; read as numbers")
        else:
            notes.append(f"'{column}' (a dimension of number codes) read as numbers where a statistic asks for them")
    if frame is table.frame:
        return table
    return dataclasses.replace(table, frame=frame, roles=roles, notes=notes)


def _numbers(series: pd.Series) -> np.ndarray | None:
    """The column's values as floats when every present value is a number (or number text), else None."""
    coded = code_numbers(series)
    if coded is not None:
        return coded
    if isinstance(series.dtype, pd.CategoricalDtype):
        return None
    text = series.astype("str").where(series.notna())
    present = text.dropna()
    if present.empty or not present.str.fullmatch(NUMBER).all():
        return None
    return pd.to_numeric(text.str.replace(",", "", regex=False), errors="coerce").to_numpy(dtype=float)
