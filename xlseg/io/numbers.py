"""Numbers: numeric text, infinities, number ids and the number facts role inference needs."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from xlseg.io.amounts import read_amounts
from xlseg.io.cells import EXCEL_DIGITS, cell_text, plural
from xlseg.io.distinct import Distinct, text_series

NUMBER = r"[+-]?(?:(?:0|[1-9][0-9]{0,2}(?:,[0-9]{3})+|[1-9][0-9]*)(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
ID_ROWS = 20  # more distinct values than this (and nothing repeated) can make a column an id
LONG_DIGITS = rf"[+-]?[0-9]{{{EXCEL_DIGITS + 1},}}"


def without_infinities(
    values: np.ndarray, name: str, cells: np.ndarray | None = None
) -> tuple[np.ndarray, list[str]]:
    """Excel holds no infinite number: ±inf become missing (in a new array; the caller's data stay as they
    are), and a note says how many cells. ``cells`` counts the rows of each value when ``values`` are a
    column's distinct values."""
    infinite = np.isinf(values)
    if not infinite.any():
        return values, []
    count = int(infinite.sum() if cells is None else cells[infinite].sum())
    return np.where(infinite, np.nan, values), [f"{plural(count, 'infinite value')} in '{name}' read as missing"]


@dataclass
class NumberStats:
    """What role inference needs to know of a number column, from one pass over it."""

    missing: np.ndarray | None  # bool per row; None when nothing is missing
    present: int
    low: float
    high: float

    @classmethod
    def of(cls, values: np.ndarray) -> NumberStats:
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


def is_zero_one(values: np.ndarray, stats: NumberStats | None = None) -> bool:
    """Only 0 and 1 (and blanks), both present."""
    stats = stats or NumberStats.of(values)
    if stats.present == 0 or stats.low != 0 or stats.high != 1:
        return False  # a metric column is rejected without another pass
    return bool(np.isin(stats.present_values(values), (0, 1)).all())


def is_row_number(values: np.ndarray, stats: NumberStats | None = None) -> bool:
    """More than ``ID_ROWS`` distinct whole numbers filling a contiguous range (1…n, 1001…1000+n)."""
    stats = stats or NumberStats.of(values)
    n = stats.present
    if n <= ID_ROWS or stats.high - stats.low + 1 != n:
        return False  # a metric column is rejected without another pass
    present = stats.present_values(values)
    return bool(np.all(present == np.floor(present)) and pd.unique(present).size == n)


def number_ids(series: pd.Series, values: np.ndarray) -> pd.Series:
    """Numeric ids as text: whole numbers without ``.0``."""
    if pd.api.types.is_integer_dtype(series.dtype):
        return series.astype("str").reset_index(drop=True)
    whole = np.isnan(values) | (values == np.floor(values))
    if whole.all() and np.nanmax(np.abs(values), initial=0) < 2**53:
        return pd.Series(values).astype("Int64").astype("str")
    return pd.Series([cell_text(v) or None for v in values], dtype="str")


def to_metric(name: str, d: Distinct, text_source: bool) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Numbers (and numeric text, booleans as 1/0) as float64."""
    numeric_text = d.text_matches(NUMBER)
    values = number_values(d)
    values[d.where("bool")] = d.value[d.where("bool")].astype(float)
    bad = (d.kind != "missing") & ~(d.where("number") | d.where("bool") | numeric_text)
    notes = []
    if bad.any():
        amounts, _ = read_amounts(name, d)
        if amounts is not None:  # percent or currency text (and maybe a few unreadable cells)
            return amounts.values, np.zeros(len(bad), dtype=bool), [amounts.note]
    if numeric_text.any() and not text_source:
        n = int(d.cells[numeric_text].sum())
        notes.append(f"'{name}' held {plural(n, 'number')} stored as text; converted")
    return values.astype("float64"), bad, notes


def number_values(d: Distinct) -> np.ndarray:
    """Float value of numbers and numeric text (thousands separators removed), NaN elsewhere."""
    out = np.full(len(d.value), np.nan)
    numbers = d.where("number")
    out[numbers] = d.value[numbers].astype(float)
    numeric_text = d.text_matches(NUMBER)
    if numeric_text.any():
        text = text_series(d.value[numeric_text]).str.replace(",", "", regex=False)
        out[numeric_text] = text.astype("float64").to_numpy()
    return out
