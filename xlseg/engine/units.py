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

from xlseg.engine.binning import Segments, segment
from xlseg.engine.kernels import group_sizes
from xlseg.engine.measures import ColumnResult, Grouping, aggregate_column, check_aggregation
from xlseg.errors import XlsegError
from xlseg.io.load import load_table, rates_as_flags
from xlseg.schema import Role, Table
from xlseg.spec import Dimension


class Units(Protocol):
    """The input of an aggregation: roles, segments per dimension, group sizes and per-column results."""

    roles: Mapping[str, Role]

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

    def aggregate(
        self, column: str, aggs: list[str], groupings: list[Grouping], *, spread: bool, sizes: np.ndarray
    ) -> list[ColumnResult]:
        """Every aggregation of ``column`` for every grouping (finest first), as :func:`aggregate_column`."""
        ...


class RowUnits:
    """A cleaned in-memory :class:`Table`: every row is a unit."""

    def __init__(self, table: Table, dimensions: Sequence[Dimension]) -> None:
        self.table, self.dimensions, self.roles = table, list(dimensions), table.roles

    @property
    def count(self) -> int:
        """Rows of the table."""
        return len(self.table.frame)

    def users(self) -> int:
        """Rows of the table (one user per row)."""
        return self.count

    def segments(self) -> list[Segments]:
        """Each dimension segmented from the rows."""
        return [segment(self.table.frame[d.column], d) for d in self.dimensions]

    def sizes(self, ids: np.ndarray, size: int) -> np.ndarray:
        """Rows per group."""
        return group_sizes(ids, size)

    def check(self, column: str, agg: str) -> None:
        """:func:`check_metric` on the table."""
        check_metric(self.table, column, agg)

    def aggregate(
        self, column: str, aggs: list[str], groupings: list[Grouping], *, spread: bool, sizes: np.ndarray
    ) -> list[ColumnResult]:
        """:func:`aggregate_column` over the rows."""
        return aggregate_column(self.table.frame[column], self.roles[column], aggs, groupings, spread=spread,
                                sizes=sizes)


def check_metric(table: Table, column: str, agg: str) -> None:
    """:func:`check_aggregation`, except that a column without any value says so (its role is only a guess)."""
    try:
        check_aggregation(column, table.roles[column], agg)
    except XlsegError:
        if table.frame[column].isna().all():
            raise XlsegError(f"'{column}' has no values (every cell is blank), so it has no {agg}") from None
        raise


def load_input(data: object, roles: Mapping[str, str] | None, columns: list[str], rates: Sequence[str] = ()) -> Table:
    """Load the needed columns; columns asked for as rates become flags when they hold only yes/no values."""
    table = load_table(data, roles=roles, columns=list(dict.fromkeys(columns)))
    return rates_as_flags(table, [c for c in rates if c not in (roles or {})])


def open_units(
    data: object,
    dimensions: Sequence[Dimension],
    metrics: Sequence[tuple[str, str]],
    *,
    roles: Mapping[str, str] | None = None,
    engine: str = "auto",
    memory_limit: str | None = None,
    spread: bool = False,
) -> Units:
    """The units of ``data`` for these dimensions and metrics: pushed down to the source's engine when ``data``
    is a DuckDB relation, an Ibis table, a PySpark DataFrame or a file for DuckDB (see :func:`xlseg.io.sources.
    open_source`), rows in memory otherwise."""
    from xlseg.io.sources import open_source

    source = open_source(data, engine=engine, memory_limit=memory_limit)
    if source is not None:
        from xlseg.engine.pushdown import GroupedUnits

        return GroupedUnits.compute(source, dimensions, metrics, roles=roles, spread=spread)
    columns = [d.column for d in dimensions] + [c for c, _ in metrics]
    table = load_input(data, roles, columns, [c for c, agg in metrics if agg == "rate"])
    return RowUnits(table, dimensions)
