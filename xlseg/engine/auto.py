"""Auto mode: which dimensions a table is segmented by, and the default bins of numeric and date columns.

Used by the report's auto mode (:mod:`xlseg.sheets.choose`) and by the segment scan (:mod:`xlseg.insight`),
so both segment a table the same way.

* **dimensions**: text dimensions with 2–:data:`MAX_LEVELS` distinct values in table order; text
  dimensions with up to :data:`MAX_TOP_LEVELS` values as their top :data:`TOP_N` + "Other"; more distinct
  values are skipped (say ``--by col --top N`` to include them). The first date column by month (by week when
  it spans less than three months). The first numeric metric in quartiles (``q4``), when it has more than
  :data:`FEW_VALUES` distinct values.
* **default bins** (:func:`default_bins`): a date column named without bins by month, a numeric column with
  more than :data:`MANY_DISTINCT` values in quartiles.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import pandas as pd

from xlseg.io.codes import code_numbers
from xlseg.schema import Role, Table
from xlseg.spec import column_of

MAX_LEVELS = 15
MAX_TOP_LEVELS = 200
TOP_N = 10
FEW_VALUES = 20
MAX_BREAKDOWNS = 6
MANY_DISTINCT = 20  # a numeric `by` column with more distinct values gets default bins (q4)


@dataclass
class Choice:
    """One breakdown: its ``by`` items (engine form: names or dimension dicts) and why it was chosen."""

    by: list[object]
    why: str

    @property
    def columns(self) -> list[str]:
        """The column names of the dimensions."""
        return [str(d["column"]) if isinstance(d, dict) else str(d) for d in self.by]


def distinct_count(series: pd.Series) -> int:
    """Distinct non-missing values (categories actually present for category columns)."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        return int(series.cat.remove_unused_categories().cat.categories.size)
    return int(series.nunique(dropna=True))


def choose_dimensions(table: Table) -> tuple[list[Choice], list[str]]:
    """Auto-mode breakdowns for ``table`` and notes on the columns skipped."""
    choices: list[Choice] = []
    skipped: list[str] = []
    frame = table.frame
    for column in table.columns_with(Role.DIMENSION):
        n = distinct_count(frame[column])
        if n < 2:
            skipped.append(f"'{column}' skipped: only {n} distinct value.")
        elif n <= MAX_LEVELS:
            kind = "a column of number codes" if code_numbers(frame[column]) is not None else "a text column"
            choices.append(Choice([column], f"'{column}': {kind} with {n} values."))
        elif n <= MAX_TOP_LEVELS:
            choices.append(Choice([{"column": column, "top": TOP_N}],
                                  f"'{column}': its {TOP_N} largest of {n:,} values, the rest as Other."))
        else:
            skipped.append(f"'{column}' skipped: {n:,} distinct values (use --by {column} --top 10).")
    dates = table.columns_with(Role.DATE)
    if dates:
        column = dates[0]
        values = frame[column].dropna()
        span = (values.max() - values.min()).days if len(values) else 0
        period = "month" if span >= 90 else "week"
        choices.append(Choice([{"column": column, "bins": period}], f"'{column}' by {period}: the date column."))
    metrics = [c for c in table.columns_with(Role.METRIC) if distinct_count(frame[c]) > FEW_VALUES]
    if metrics:
        column = metrics[0]
        choices.append(Choice([{"column": column, "bins": "q4"}],
                              f"'{column}' in quartiles (4 groups of about equal size): the first numeric column."))
    if len(choices) > MAX_BREAKDOWNS:
        skipped.append(_left_out([_subject(extra) for extra in choices[MAX_BREAKDOWNS:]]))
        choices = choices[:MAX_BREAKDOWNS]
    return choices, skipped


LISTED_LEFT_OUT = 8  # columns named in the one "left out" line; the rest are counted


def _left_out(subjects: list[str]) -> str:
    """One Summary line for the breakdowns beyond the auto-mode limit (a wide table has dozens)."""
    named = ", ".join(subjects[:LISTED_LEFT_OUT])
    more = len(subjects) - LISTED_LEFT_OUT
    rest = f" and {more} more" if more > 0 else ""
    return f"Left out: {named}{rest}: at most {MAX_BREAKDOWNS} breakdowns in auto mode (name others with --by)."


def _subject(choice: Choice) -> str:
    """What a choice's reason is about: ``'device'`` of ``"'device': a text column with 3 values."``.

    The reason follows the last ``": "`` (reasons hold none), so a column name with a colon stays whole.
    """
    return choice.why.rsplit(": ", 1)[0]


def default_bins(item: object, table: Table, bins: Mapping[str, object],
                 distinct: Callable[[str], int] | None = None) -> object:
    """A ``by`` item with default bins: dates without a bin spec by month; numeric columns with many values in
    quartiles. Items with a spec (in ``bins`` or their own dict) and text columns are returned as they are.

    ``distinct``: a column's distinct count when the table's rows are elsewhere (a pushed-down source's
    profile); default: counted in ``table.frame``."""
    column = column_of(item)
    if column in bins or (isinstance(item, Mapping) and "bins" in item):
        return item
    role = table.roles.get(column)
    count = distinct or (lambda name: distinct_count(table.frame[name]))
    if role == Role.DATE:
        spec = "month"
    elif role == Role.METRIC and count(column) > MANY_DISTINCT:
        spec = "q4"
    else:
        return item
    return {**item, "bins": spec} if isinstance(item, Mapping) else {"column": column, "bins": spec}
