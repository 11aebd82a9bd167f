"""Crosstabs: the pivot of rows × columns with grand totals computed from the rows, not from the cells."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from xlseg.engine.binning import Segments
from xlseg.engine.breakdowns import as_output
from xlseg.engine.grouping import Level, build_levels, cross
from xlseg.engine.measures import Grouping
from xlseg.engine.units import open_units
from xlseg.errors import XlsegError
from xlseg.schema import TOTAL_LABEL, totals_label
from xlseg.spec import column_name, normalize_aggregation, parse_by

MAX_CROSSTAB_CELLS = 5_000_000


def crosstab(
    data: object,
    rows: object,
    columns: object,
    value: str | None = None,
    agg: str = "count",
    normalize: str | None = None,
    totals: bool = True,
    *,
    bins: Mapping[str, object] | None = None,
    top: int | Mapping[str, int] | None = None,
    roles: Mapping[str, str] | None = None,
    tz: str | None = None,
    na_values: object = None,
    header_row: int | None = None,
    engine: str = "auto",
    memory_limit: str | None = None,
) -> pd.DataFrame:
    """The pivot of ``rows`` × ``columns`` with correct grand totals.

    Args:
        data: any input accepted by :func:`breakdown`.
        rows: the row dimension(s): a name, comma-separated names or a list.
        columns: the column dimension(s); several are joined into one header ("Mobile / Free").
        value: the column to aggregate; ``None`` counts users.
        agg: the aggregation of ``value`` (count, sum, mean, median, rate, min, max, nunique, p1…p99).
        normalize: None, "row", "column" or "all": divide each cell by its row, column or grand total
            (only for count and sum).
        totals: add a "Total" column and a "Total" row computed from the rows (the row is "Total (all)"
            when a row segment is itself labelled "Total").
        bins, top, roles, na_values, header_row, tz, engine, memory_limit: as in :func:`breakdown`.

    Returns:
        One column per row dimension (labels), one column per column segment, and "Total".
    """
    agg = normalize_aggregation(agg)
    value = None if value is None else column_name(value)
    if normalize not in (None, "row", "column", "all"):
        raise XlsegError(f"normalize must be row, column or all, not '{normalize}'")
    if normalize is not None and agg not in ("count", "sum"):
        raise XlsegError(f"normalize works with count or sum, not {agg}")
    if value is None and agg != "count":
        raise XlsegError(f"agg '{agg}' needs a value column to aggregate")
    row_dims = parse_by(rows, bins, top)
    column_dims = parse_by(columns, bins, top)
    overlap = {d.column for d in row_dims} & {d.column for d in column_dims}
    if overlap:
        raise XlsegError(f"column '{sorted(overlap)[0]}' is both a row and a column of the crosstab")
    units = open_units(data, row_dims + column_dims, [(value, agg)] if value else [], roles=roles, engine=engine,
                       memory_limit=memory_limit, na_values=na_values, header_row=header_row, tz=tz)
    n = units.count
    if n == 0 or units.users() == 0:
        raise XlsegError("the table has no data rows to segment")
    segments = units.segments()
    row_segments, column_segments = segments[: len(row_dims)], segments[len(row_dims):]
    row_level = build_levels(row_segments, n)[-1]
    column_level = build_levels(column_segments, n)[-1]
    if row_level.size * column_level.size > MAX_CROSSTAB_CELLS:
        raise XlsegError("the crosstab would have too many cells; bin the columns or use top=N")
    cells, to_row, to_column = cross(row_level, column_level, n)
    row_positions = tuple(range(len(row_dims)))
    column_positions = tuple(range(len(row_dims), len(row_dims) + len(column_dims)))
    groupings = [
        Grouping(cells.size, lambda: cells.row_ids, None, row_positions + column_positions),
        Grouping(row_level.size, lambda: row_level.row_ids, to_row, row_positions),
        Grouping(column_level.size, lambda: column_level.row_ids, to_column, column_positions),
        Grouping(1, None, np.zeros(cells.size, dtype=np.int64), ()),
    ]
    assert cells.row_ids is not None
    cell_sizes = units.sizes(cells.row_ids, cells.size)  # one pass over the units; margins roll up from it
    users = [cell_sizes if g.from_finest is None else np.bincount(g.from_finest, cell_sizes, g.size).astype(np.int64)
             for g in groupings]
    if value is None:
        values = [u.astype(np.int64) for u in users]
    else:
        role = units.metric_role(value, [agg])
        units.check(value, agg)
        results = units.aggregate(value, [agg], groupings, spread=False, sizes=cell_sizes)
        values = [as_output(r.values[agg], role, agg) for r in results]
        if agg == "sum":  # a cell without users has no sum (blank, as in a PivotTable), not 0
            values[0] = np.where(users[0] == 0, np.nan, values[0])
    return _pivot(values, users, row_level, column_level, row_segments, column_segments,
                  [d.column for d in row_dims], [d.column for d in column_dims], normalize, totals)


def _pivot(
    values: list[np.ndarray],
    users: list[np.ndarray],
    row_level: Level,
    column_level: Level,
    row_segments: Sequence[Segments],
    column_segments: Sequence[Segments],
    row_names: list[str],
    column_names: list[str],
    normalize: str | None,
    totals: bool,
) -> pd.DataFrame:
    cell_values, row_totals, column_totals, grand = values
    _, row_users, column_users, _ = users
    grid = cell_values.reshape(row_level.size, column_level.size)
    if normalize == "row":
        grid, row_totals, column_totals = grid / row_totals[:, None], row_totals / row_totals, column_totals / grand
    elif normalize == "column":
        grid = grid / column_totals[None, :]
        column_totals, row_totals = column_totals / column_totals, row_totals / grand
    elif normalize == "all":
        grid, row_totals, column_totals = grid / grand, row_totals / grand, column_totals / grand
    if normalize is not None:
        grand = np.ones(1)
    row_keep = np.flatnonzero(row_users > 0)
    column_keep = np.flatnonzero(column_users > 0)
    out: dict[str, object] = {}
    total_row = totals_label(label for s in row_segments for label in s.labels)
    for j, name in enumerate(row_names):
        labels = np.asarray(row_segments[j].labels, dtype=object)
        out[name] = list(labels[row_level.codes[j][row_keep]]) + ([total_row] if totals else [])
    for k in column_keep:
        header = " / ".join(column_segments[j].labels[column_level.codes[j][k]] for j in range(len(column_segments)))
        if header in out or (totals and header == TOTAL_LABEL):  # a real "Total" category must not be overwritten
            header = f"{header} ({' / '.join(column_names)})"  # "Total (device)": the device called Total
        out[header] = list(grid[row_keep, k]) + ([column_totals[k]] if totals else [])
    if totals:
        header = TOTAL_LABEL if TOTAL_LABEL not in out else f"{TOTAL_LABEL} (all)"  # a row dimension named "Total"
        out[header] = list(row_totals[row_keep]) + [grand[0]]
    return pd.DataFrame(out)
