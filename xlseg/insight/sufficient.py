"""Step 1 of the scan: per-group sufficient statistics of a metric for every segment and pair of segments.

Rows are grouped once by the combination of all dimensions (:func:`xlseg.engine.grouping.build_levels`,
one pass over combined integer codes); count, sum and the sum of squared deviations (m2) of the metric per
occupied combination come from that pass (:class:`xlseg.engine.kernels.Moments`). Every one-dimension
segment and every pair of values of two dimensions is then a roll-up of those cells — no further pass over
the rows and no groupby per pair. The result, :class:`SegmentStats`, is all that step 2
(:mod:`xlseg.insight.scan`) reads: another engine (DuckDB ``GROUPING SETS``, Spark) can produce the same
arrays and reuse the rest.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

import numpy as np

from xlseg.engine.binning import Segments
from xlseg.engine.grouping import build_levels
from xlseg.engine.kernels import Moments, group_sizes


@dataclass
class SegmentStats:
    """Sufficient statistics of one metric for every candidate segment, plus the overall ones.

    Attributes:
        first, first_code: the (first) dimension index and its segment code of each candidate.
        second, second_code: the second dimension and code of a pair; -1 for a one-dimension segment.
        users: rows in each candidate (with or without a metric value).
        moments: count of metric values, their sum and m2 for each candidate.
        overall_users: rows in the table.
        overall: the same moments for all rows (arrays of length 1).
    """

    first: np.ndarray
    first_code: np.ndarray
    second: np.ndarray
    second_code: np.ndarray
    users: np.ndarray
    moments: Moments
    overall_users: int
    overall: Moments


def segment_statistics(segments: list[Segments], values: np.ndarray, depth: int = 2) -> SegmentStats:
    """Statistics of ``values`` (float, NaN = missing) for every segment of each dimension and, with
    ``depth=2``, every occupied pair of values of two dimensions. Empty candidates are left out."""
    rows = len(values)
    finest = build_levels(segments, rows)[-1]
    ids = finest.ids(rows)
    sizes = group_sizes(ids, finest.size)
    cells = Moments.from_rows(ids, finest.size, values, spread=True, sizes=sizes)
    return candidate_statistics(segments, finest.codes, sizes, cells, rows, depth)


def candidate_statistics(segments: list[Segments], cell_codes: list[np.ndarray], sizes: np.ndarray,
                         cells: Moments, rows: int, depth: int = 2) -> SegmentStats:
    """Every candidate's statistics rolled up from the cells of the finest combination of all dimensions:
    ``cell_codes`` (each dimension's segment code of every cell), ``sizes`` (users per cell) and ``cells``
    (count, sum and m2 per cell). The in-memory scan computes the cells from the rows; a pushed-down scan
    (:mod:`xlseg.insight.pushdown`) rolls them up from the groups its engine returned."""
    occupied = np.flatnonzero(sizes)
    # keep the occupied combinations only: every roll-up below then reads at most `rows` cells
    cells = Moments(cells.count[occupied], cells.total[occupied], cells.m2[occupied] if cells.m2 is not None else None)
    cell_users = sizes[occupied].astype(float)
    cell_mean = np.nan_to_num(cells.mean())  # computed once for every roll-up below
    every_value = bool(np.array_equal(cells.count, cell_users))  # no missing value: users = count
    cell_codes = [codes[occupied].astype(np.int64) for codes in cell_codes]
    widths = [max(len(s.labels), 1) for s in segments]
    parts: list[tuple[int, np.ndarray, int, np.ndarray, np.ndarray, Moments]] = []
    groupings: list[tuple[int, ...]] = [(j,) for j in range(len(segments))]
    if depth >= 2:
        groupings += list(combinations(range(len(segments)), 2))
    for dims in groupings:
        if len(dims) == 1:
            key, size = cell_codes[dims[0]], widths[dims[0]]
        else:
            i, j = dims
            key, size = cell_codes[i] * widths[j] + cell_codes[j], widths[i] * widths[j]
        rolled = cells.rollup(key, size, cell_mean)
        users = rolled.count if every_value else np.bincount(key, cell_users, size)
        kept = np.flatnonzero(users)
        moments = Moments(rolled.count[kept], rolled.total[kept], rolled.m2[kept] if rolled.m2 is not None else None)
        if len(dims) == 1:
            parts.append((dims[0], kept, -1, np.full(kept.size, -1), users[kept], moments))
        else:
            i, j = dims
            parts.append((i, kept // widths[j], j, kept % widths[j], users[kept], moments))
    overall = cells.rollup(np.zeros(len(cell_users), dtype=np.intp), 1)
    return SegmentStats(
        first=np.concatenate([np.full(p[1].size, p[0]) for p in parts]),
        first_code=np.concatenate([p[1] for p in parts]),
        second=np.concatenate([np.full(p[1].size, p[2]) for p in parts]),
        second_code=np.concatenate([p[3] for p in parts]),
        users=np.concatenate([p[4] for p in parts]).astype(np.int64),
        moments=Moments(np.concatenate([p[5].count for p in parts]), np.concatenate([p[5].total for p in parts]),
                        np.concatenate([p[5].m2 for p in parts if p[5].m2 is not None])),
        overall_users=rows,
        overall=overall,
    )
