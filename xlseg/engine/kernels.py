"""Group reductions on integer group ids: one pass over the rows, then cheap roll-ups to coarser levels.

Rows are labelled with dense group ids (``0 <= id < size``). Additive statistics (counts, sums, sums
of squared deviations, minima, maxima) are computed once at the finest level with ``np.bincount`` and
*rolled up* to coarser levels (subtotals, grand total) through a ``parent`` map — never by averaging
averages. Order statistics (median, percentiles) and distinct counts are not additive and are computed
per level from the rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


def group_sizes(ids: np.ndarray, size: int) -> np.ndarray:
    """Rows per group."""
    return np.bincount(ids, minlength=size).astype(np.int64)


def group_sums(ids: np.ndarray, size: int, values: np.ndarray) -> np.ndarray:
    """Sum of ``values`` per group, added in row order (the same additions as ``np.bincount``).

    ``np.add.at`` reads a read-only array in place, where ``np.bincount`` first copies it; pandas hands
    out read-only views of its columns, so this saves a copy of every metric column.
    """
    sums = np.zeros(size)
    np.add.at(sums, ids, np.asarray(values, dtype=np.float64))  # float64 values take numpy's fast path
    return sums


@dataclass
class Moments:
    """Per-group count of non-missing values, their sum, the sum of squared deviations from the group mean
    (``m2``, only when asked for) and minimum/maximum (only when asked for)."""

    count: np.ndarray
    total: np.ndarray
    m2: np.ndarray | None = None
    minimum: np.ndarray | None = None
    maximum: np.ndarray | None = None

    @classmethod
    def from_rows(
        cls,
        ids: np.ndarray,
        size: int,
        values: np.ndarray,
        *,
        spread: bool = False,
        extremes: bool = False,
        sizes: np.ndarray | None = None,
    ) -> Moments:
        """One pass (two when ``spread``) over the rows; NaN values are left out.

        ``sizes`` (rows per group, when already known) saves a pass for columns without missing values.
        """
        missing = np.isnan(values)
        valid = ~missing if missing.any() else None  # None: every value is present
        if valid is None:
            filled = values
            count = (sizes if sizes is not None else group_sizes(ids, size)).astype(float)
        else:
            filled = np.where(missing, 0.0, values)
            count = np.bincount(ids, valid, size)
        total = group_sums(ids, size, filled)
        moments = cls(count, total)
        if spread:
            mean = moments.mean()
            deviation = filled - np.nan_to_num(mean)[ids]
            if valid is not None:
                deviation[missing] = 0.0
            moments.m2 = group_sums(ids, size, deviation * deviation)
        if extremes:
            moments.minimum = np.full(size, np.inf)
            moments.maximum = np.full(size, -np.inf)
            present_ids, present = (ids, values) if valid is None else (ids[valid], values[valid])
            np.fmin.at(moments.minimum, present_ids, present)
            np.fmax.at(moments.maximum, present_ids, present)
            empty = count == 0
            moments.minimum[empty] = np.nan
            moments.maximum[empty] = np.nan
        return moments

    def mean(self) -> np.ndarray:
        """Mean per group (NaN where a group has no value)."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(self.count > 0, self.total / np.where(self.count > 0, self.count, 1), np.nan)

    def variance(self) -> np.ndarray:
        """Sample variance (ddof=1) per group; NaN below two values."""
        if self.m2 is None:
            raise ValueError("variance needs Moments computed with spread=True")
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(self.count > 1, self.m2 / np.maximum(self.count - 1, 1), np.nan)

    def rollup(self, parent: np.ndarray, size: int, fine_mean: np.ndarray | None = None) -> Moments:
        """The same statistics for coarser groups; ``parent[g]`` is the coarse group of fine group ``g``.

        ``fine_mean`` (``np.nan_to_num(self.mean())``, when the caller rolls the same groups up many ways)
        saves recomputing it.
        """
        count = np.bincount(parent, self.count, size)
        total = np.bincount(parent, self.total, size)
        rolled = Moments(count, total)
        if self.m2 is not None:
            # Chan et al.: m2 of a union = sum of m2 + sum of n_g * (mean_g - mean)^2
            fine_mean = np.nan_to_num(self.mean()) if fine_mean is None else fine_mean
            coarse_mean = np.nan_to_num(rolled.mean())
            between = self.count * (fine_mean - coarse_mean[parent]) ** 2
            rolled.m2 = np.bincount(parent, self.m2 + between, size)
        if self.minimum is not None and self.maximum is not None:
            rolled.minimum = np.full(size, np.inf)
            rolled.maximum = np.full(size, -np.inf)
            has = self.count > 0
            np.fmin.at(rolled.minimum, parent[has], self.minimum[has])
            np.fmax.at(rolled.maximum, parent[has], self.maximum[has])
            rolled.minimum[count == 0] = np.nan
            rolled.maximum[count == 0] = np.nan
        return rolled


def group_quantiles(
    ids: np.ndarray | None, size: int, values: np.ndarray, quantiles: list[float]
) -> list[np.ndarray]:
    """Per-group quantiles with linear interpolation (numpy's default, Excel's PERCENTILE.INC); NaN left out.

    ``ids=None`` means one group holding every row. Rows are bucketed by group with a stable (radix) sort
    of the small group ids, then each group is partitioned around the needed ranks: O(n), no full sort.
    """
    valid = ~np.isnan(values)
    if ids is None:
        present = values[valid] if not valid.all() else values
        if present.size == 0:
            return [np.full(1, np.nan) for _ in quantiles]
        return [np.atleast_1d(v) for v in np.quantile(present, quantiles)]
    if not valid.all():
        ids, values = ids[valid], values[valid]
    counts = np.bincount(ids, minlength=size)
    starts = np.cumsum(counts) - counts
    occupied = np.flatnonzero(counts)
    if occupied.size > _PARTITION_GROUP_LIMIT:
        order = np.lexsort((values, ids))
        return _quantiles_of_sorted(values[order], counts, starts, quantiles)
    grouped = values[np.argsort(ids.astype(smallest_int(size), copy=False), kind="stable")]
    results = [np.full(size, np.nan) for _ in quantiles]
    for group in occupied.tolist():
        chunk = grouped[starts[group] : starts[group] + counts[group]]
        for result, value in zip(results, np.quantile(chunk, quantiles), strict=True):
            result[group] = value
    return results


_PARTITION_GROUP_LIMIT = 2000  # above this many groups a vectorized full sort beats a loop over groups


def _quantiles_of_sorted(
    ordered: np.ndarray, counts: np.ndarray, starts: np.ndarray, quantiles: list[float]
) -> list[np.ndarray]:
    """Linear-interpolation quantiles of groups stored contiguously and sorted within each group."""
    results = []
    last = starts + np.maximum(counts - 1, 0)
    for q in quantiles:
        position = starts + q * np.maximum(counts - 1, 0)
        low = np.minimum(np.floor(position).astype(np.int64), max(ordered.size - 1, 0))
        high = np.minimum(np.minimum(low + 1, last), max(ordered.size - 1, 0))
        if ordered.size == 0:
            results.append(np.full(counts.size, np.nan))
            continue
        value = ordered[low] + (position - low) * (ordered[high] - ordered[low])
        results.append(np.where(counts > 0, value, np.nan))
    return results


def group_nunique(ids: np.ndarray | None, size: int, value_codes: np.ndarray) -> np.ndarray:
    """Distinct non-missing values per group; ``value_codes`` are factorized values (-1 = missing).

    ``ids=None`` means one group holding every row.
    """
    present = value_codes >= 0
    if ids is None:
        return np.array([len(np.unique(value_codes[present]))], dtype=np.int64)
    width = int(value_codes.max()) + 1 if present.any() else 1
    pairs = ids[present].astype(np.int64) * width + value_codes[present]
    distinct = pd.unique(pairs)
    return np.bincount(distinct // width, minlength=size).astype(np.int64)


def smallest_int(largest: int) -> np.dtype:
    """The narrowest signed integer type that holds ``largest``."""
    for dtype in (np.int8, np.int16, np.int32):
        if largest <= np.iinfo(dtype).max:
            return np.dtype(dtype)
    return np.dtype(np.int64)
