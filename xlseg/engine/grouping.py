"""Dense group ids for combinations of segment codes, level by level.

``build_levels([geo, device])`` gives three :class:`Level` objects: the grand total (no dimension),
geography, and geography × device. Each finer level knows, for each of its groups, the parent group one
level up, so additive statistics computed once at the finest level roll up to every coarser level
without another pass over the rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from xlseg.engine.binning import Segments
from xlseg.engine.kernels import smallest_int

_DENSE_LIMIT = 4_000_000  # combinations above this (and above 2× the rows) are compressed with factorize


@dataclass
class Level:
    """Groups formed by the first ``depth`` dimensions.

    Attributes:
        row_ids: group id of every row (``None`` for the grand total: every row is group 0).
        size: number of group ids (some may hold no row).
        codes: for each dimension in this level, the segment code of every group id.
        parent: group id one level up for every group id (``None`` for the grand total).
    """

    row_ids: np.ndarray | None
    size: int
    codes: list[np.ndarray]
    parent: np.ndarray | None

    @property
    def depth(self) -> int:
        """How many dimensions define this level."""
        return len(self.codes)

    def ids(self, rows: int) -> np.ndarray:
        """Group id of every row (zeros for the grand total)."""
        return self.row_ids if self.row_ids is not None else np.zeros(rows, dtype=np.intp)


def total_level() -> Level:
    """The grand-total level: one group holding every row."""
    return Level(None, 1, [], None)


def refine(level: Level, segments: Segments, rows: int) -> Level:
    """Split every group of ``level`` by one more dimension."""
    width = max(len(segments.labels), 1)
    size = level.size * width
    ids = segments.codes if level.row_ids is None else _combine(level.row_ids, width, segments.codes, size)
    if size > max(_DENSE_LIMIT, 2 * rows):
        ids, uniques = pd.factorize(ids)
        ids = ids.astype(np.int64, copy=False)
        group_keys = np.asarray(uniques, dtype=np.int64)
        size = len(group_keys)
    else:
        group_keys = np.arange(size, dtype=np.int64)
    parent = group_keys // width
    codes = [c[parent] for c in level.codes] + [group_keys % width]
    return Level(ids, size, codes, parent)


def _combine(outer: np.ndarray, width: int, inner: np.ndarray, size: int) -> np.ndarray:
    """``outer * width + inner`` (all below ``size``) in the narrowest integer type that holds ``size``.

    Narrow ids halve the memory traffic of this pass; the finest level is widened once, for ``np.bincount``.
    """
    ids = np.multiply(outer, width, dtype=smallest_int(size))
    np.add(ids, inner, out=ids)
    return ids


def build_levels(dimensions: list[Segments], rows: int) -> list[Level]:
    """The grand total followed by one level per prefix of ``dimensions`` (finest last).

    The finest level's row ids are platform integers (what ``np.bincount`` reads without a copy);
    coarser levels may keep the narrow codes of their dimension.
    """
    levels = [total_level()]
    for segments in dimensions:
        levels.append(refine(levels[-1], segments, rows))
    finest = levels[-1]
    if finest.row_ids is not None:
        finest.row_ids = finest.row_ids.astype(np.intp, copy=False)
    return levels


def cross(row_level: Level, column_level: Level, rows: int) -> tuple[Level, np.ndarray, np.ndarray]:
    """Cells of a crosstab: every (row group, column group) pair, with maps from cell to row and column group."""
    size = row_level.size * column_level.size
    ids = _combine(row_level.ids(rows), column_level.size, column_level.ids(rows), size).astype(np.intp, copy=False)
    keys = np.arange(size, dtype=np.int64)
    to_row, to_column = keys // column_level.size, keys % column_level.size
    codes = [c[to_row] for c in row_level.codes] + [c[to_column] for c in column_level.codes]
    return Level(ids, size, codes, to_row), to_row, to_column
