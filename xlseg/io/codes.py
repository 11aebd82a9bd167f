"""Integer codes: a number column of a few whole values (a 1–7 scale, a cylinder count, a survey year).

"A few" means 2–12 distinct whole numbers within a range of 100 (so 1984…2024 qualifies, a regional GDP
of 8,298…13,566 repeated per region does not), each used by 3 rows or more on average.

Such a column is a **dimension** by default, its segments ordered by value, and still a number when a
metric is asked of it (the mean of a 1–5 rating is legitimate): see :func:`code_numbers` and
:mod:`xlseg.io.asked`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from xlseg.io.cells import cell_text

MAX_CODES = 12  # at most this many distinct whole numbers make a code column
ROWS_PER_CODE = 3  # ... each used by this many rows on average (a small table's revenues stay numbers)
MAX_CODE_SPAN = 100  # ... within this range (a scale, a count, years): a regional GDP repeated per region is a number
_SAMPLE = 4096  # a first look at this many rows rejects most metric columns without a full pass


def few_codes(values: np.ndarray) -> bool:
    """Whether float ``values`` (NaN = missing) are 2…:data:`MAX_CODES` distinct whole numbers within a
    range of :data:`MAX_CODE_SPAN`, each used by :data:`ROWS_PER_CODE` rows on average."""
    head = values[:_SAMPLE]
    head = head[~np.isnan(head)]
    if len(pd.unique(head)) > MAX_CODES:
        return False
    present = values[~np.isnan(values)]
    distinct = pd.unique(present)
    return is_code_set(distinct, len(present))


def is_code_set(distinct: np.ndarray, present: int) -> bool:
    """The rule of :func:`few_codes` on the distinct values and the count of present cells."""
    distinct = np.asarray(distinct, dtype=float)
    return bool(
        2 <= len(distinct) <= MAX_CODES
        and present >= ROWS_PER_CODE * len(distinct)
        and np.all(distinct == np.round(distinct))
        and float(distinct.max() - distinct.min()) <= MAX_CODE_SPAN
    )


def code_categories(values: np.ndarray) -> pd.Categorical:
    """An ordered categorical of the numbers' labels (``4``, ``6``, ``8``), categories by value."""
    codes, uniques = pd.factorize(values, sort=True)  # NaN → -1
    labels = pd.Index([cell_text(v) for v in uniques], dtype="str")
    return pd.Categorical.from_codes(codes, categories=labels, ordered=True, validate=False)


def code_numbers(series: pd.Series) -> np.ndarray | None:
    """The numbers behind a dimension whose labels are all numbers (``"1"``…``"7"``), or None."""
    if not isinstance(series.dtype, pd.CategoricalDtype):
        return None
    numbers = pd.to_numeric(pd.Series(series.cat.categories, dtype=object), errors="coerce").to_numpy(dtype=float)
    if len(numbers) == 0 or np.isnan(numbers).any():
        return None
    codes = series.cat.codes.to_numpy()
    return np.where(codes < 0, np.nan, numbers[np.maximum(codes, 0)])
