"""What the breakdown and crosstab engines aggregate over: rows in memory, or groups computed by another engine.

Both engines work on *units*: each unit has a segment code per dimension and belongs to exactly one finest
group. In memory a unit is one row (:class:`RowUnits`). For a pushed-down source (DuckDB, Spark, any Ibis
backend; :mod:`xlseg.engine.pushdown`) a unit is one group of rows that share every dimension key, with its
user count and per-column Moments computed by that engine. Everything after the units — levels, roll-ups,
statistics, ordering, layout — is the same code for both, so each number has one definition.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

import numpy as np
import pandas as pd

from xlseg.engine.binning import Segments, segment
from xlseg.engine.kernels import group_sizes
from xlseg.engine.measures import ColumnResult, Grouping, aggregate_column, check_aggregation
from xlseg.errors import XlsegError
from xlseg.io.asked import NOT_NUMERIC, metrics_as_asked
from xlseg.io.codes import code_numbers
from xlseg.io.load import load_table, rates_as_flags
from xlseg.schema import Role, Table
from xlseg.spec import NUMERIC_BINS, Dimension


class Units(Protocol):
    """The input of an aggregation: roles, segments per dimension, group sizes and per-column results."""

    roles: Mapping[str, Role]
    formats: Mapping[str, str]  # column → the number format its input text implied (percent text)

    @property
    def count(self) -> int:
        """How many units (rows, or pre-aggregated groups)."""
        ...

    def users(self) -> int:
        """Rows (users) behind all units."""
        ...

    def segments(self) -> list[Segments]:
        """Codes (one per unit) and labels of each dimension, in the order the units were opened with."""
        ...

    def sizes(self, ids: np.ndarray, size: int) -> np.ndarray:
        """Users per group, given the group id of every unit."""
        ...

    def check(self, column: str, agg: str) -> None:
        """Raise a one-line error when ``agg`` of ``column`` cannot be computed."""
        ...

    def metric_role(self, column: str, aggs: Sequence[str]) -> Role:
        """The role ``column`` is aggregated with for ``aggs`` (a dimension of number codes asked for a mean is
        aggregated as a metric)."""
        ...

    def aggregate(
        self, column: str, aggs: list[str], groupings: list[Grouping], *, spread: bool, sizes: np.ndarray
    ) -> list[ColumnResult]:
        """Every aggregation of ``column`` for every grouping (finest first), as :func:`aggregate_column`."""
        ...


class RowUnits:
    """A cleaned in-memory :class:`Table`: every row is a unit."""

    def __init__(self, table: Table, dimensions: Sequence[Dimension]) -> None:
        self.table, self.dimensions, self.roles = table, list(dimensions), table.roles
        self.formats = table.formats

    @property
    def count(self) -> int:
        """Rows of the table."""
        return len(self.table.frame)

    def users(self) -> int:
        """Rows of the table (one user per row)."""
        return self.count

    def segments(self) -> list[Segments]:
        """Each dimension segmented from the rows (a flag keeps the file's words as labels)."""
        words = self.table.flag_words
        return [segment(self.table.frame[d.column], d, words.get(d.column)) for d in self.dimensions]

    def sizes(self, ids: np.ndarray, size: int) -> np.ndarray:
        """Rows per group."""
        return group_sizes(ids, size)

    def check(self, column: str, agg: str) -> None:
        """:func:`check_metric` on the table, for the role the column is aggregated with."""
        check_metric(self.table, column, agg, metric_view(self.table, column, [agg])[1])

    def metric_role(self, column: str, aggs: Sequence[str]) -> Role:
        """See :func:`metric_view`."""
        return metric_view(self.table, column, aggs)[1]

    def aggregate(
        self, column: str, aggs: list[str], groupings: list[Grouping], *, spread: bool, sizes: np.ndarray
    ) -> list[ColumnResult]:
        """:func:`aggregate_column` over the rows (a code dimension as its numbers, see :func:`metric_view`)."""
        series, role = metric_view(self.table, column, aggs)
        return aggregate_column(series, role, aggs, groupings, spread=spread, sizes=sizes)


def metric_view(table: Table, column: str, aggs: Sequence[str]) -> tuple[pd.Series, Role]:
    """The values and role to aggregate ``column`` with: a dimension of number codes (a 1–5 rating that is
    also segmented by) is aggregated as its numbers when a number statistic is asked of it."""
    series, role = table.frame[column], table.roles[column]
    if role == Role.DIMENSION and any(agg not in NOT_NUMERIC for agg in aggs):
        numbers = code_numbers(series)
        if numbers is not None:
            return pd.Series(numbers, name=column), Role.METRIC
    return series, role


def check_metric(table: Table, column: str, agg: str, role: Role | None = None) -> None:
    """:func:`check_aggregation` (for ``role``, default the column's), except that a column without any value
    says so (its role is only a guess)."""
    try:
        check_aggregation(column, role or table.roles[column], agg)
    except XlsegError:
        if table.frame[column].isna().all():
            raise XlsegError(f"'{column}' has no values (every cell is blank), so it has no {agg}") from None
        raise


def load_input(
    data: object,
    roles: Mapping[str, str] | None,
    columns: list[str],
    rates: Sequence[str] = (),
    metrics: Sequence[tuple[str, str]] = (),
    dimensions: Sequence[Dimension] = (),
    na_values: object = None,
    header_row: int | None = None,
    tz: str | None = None,
) -> Table:
    """Load the needed columns; columns asked for as rates become flags when they hold only yes/no values, and
    code dimensions or number-like ids asked for a number statistic (or numeric bins) become metrics."""
    table = load_table(data, roles=roles, columns=list(dict.fromkeys(columns)), na_values=na_values,
                       header_row=header_row, tz=tz)
    table = rates_as_flags(table, [c for c in rates if c not in (roles or {})])
    numeric_bins = [d.column for d in dimensions if d.binning is not None and d.binning.kind in NUMERIC_BINS]
    segmented = [d.column for d in dimensions if d.binning is None] + list(roles or {})
    return metrics_as_asked(table, metrics, numeric_bins, segmented)


def open_units(
    data: object,
    dimensions: Sequence[Dimension],
    metrics: Sequence[tuple[str, str]],
    *,
    roles: Mapping[str, str] | None = None,
    engine: str = "auto",
    memory_limit: str | None = None,
    spread: bool = False,
    na_values: object = None,
    header_row: int | None = None,
    tz: str | None = None,
) -> Units:
    """The units of ``data`` for these dimensions and metrics: pushed down to the source's engine when ``data``
    is a DuckDB relation, an Ibis table, a PySpark DataFrame or a file for DuckDB (see :func:`xlseg.io.sources.
    open_source`), rows in memory otherwise."""
    from xlseg.io.sources import in_memory_only, open_source

    source = open_source(data, engine=engine, memory_limit=memory_limit)
    if source is not None:
        from xlseg.engine.pushdown import GroupedUnits

        in_memory_only(source, na_values=na_values, header_row=header_row, tz=tz)

        return GroupedUnits.compute(source, dimensions, metrics, roles=roles, spread=spread)
    columns = [d.column for d in dimensions] + [c for c, _ in metrics]
    table = load_input(data, roles, columns, [c for c, agg in metrics if agg == "rate"], metrics, dimensions,
                       na_values, header_row, tz)
    return RowUnits(table, dimensions)
