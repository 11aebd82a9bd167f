"""Aggregate one column over many groupings at once.

A :class:`Grouping` is a set of groups plus how to find them: row ids for statistics that need the rows
(median, percentiles, distinct counts) and, for every grouping but the finest, a map from the finest
groups so that additive statistics (count, sum, mean, variance, min, max, rate) roll up from a single
pass over the rows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from xlseg.engine.kernels import Moments, group_nunique, group_quantiles
from xlseg.errors import XlsegError
from xlseg.schema import Role
from xlseg.spec import percentile_of

NUMERIC_AGGREGATIONS_ORDER = ("count", "nunique", "min", "max", "median", "mean", "sum", "rate")  # for messages
ROLE_AGGREGATIONS: dict[Role, set[str] | None] = {
    Role.METRIC: None,  # None: every aggregation except rate
    Role.FLAG: None,
    Role.DATE: {"min", "max", "count", "nunique", "median"},
    Role.DIMENSION: {"count", "nunique"},
    Role.ID: {"count", "nunique"},
}


@dataclass
class Grouping:
    """Groups to aggregate over.

    Attributes:
        size: number of group ids.
        row_ids: returns the group id of every row; ``None`` when one group holds every row.
        from_finest: group id of each finest group (``None`` for the finest grouping itself).
    """

    size: int
    row_ids: Callable[[], np.ndarray] | None
    from_finest: np.ndarray | None
    dims: tuple[int, ...] = ()  # the dimensions (positions) whose segments define the groups


ADDITIVE = ("mean", "sum", "min", "max", "count", "rate")  # computed from Moments, rolled up from the finest groups


@dataclass
class ColumnResult:
    """Aggregated values of one column for one grouping, plus the moments behind mean and rate."""

    values: dict[str, np.ndarray]
    moments: Moments | None


def check_aggregation(column: str, role: Role, agg: str) -> None:
    """Raise a one-line error when ``agg`` makes no sense for a column of this role."""
    if agg == "rate" and role != Role.FLAG:
        raise XlsegError(
            f"'{column}' is not a flag column (TRUE/FALSE, Yes/No, 1/0), so it has no rate; use mean or sum"
        )
    allowed = ROLE_AGGREGATIONS[role]
    if allowed is not None and agg not in allowed and not (role == Role.DATE and percentile_of(agg) is not None):
        article = "an" if role.value[0] in "aeiou" else "a"
        usable = [a for a in NUMERIC_AGGREGATIONS_ORDER if a in allowed]
        usable += ["a percentile p1…p99"] if role == Role.DATE else []
        listed = ", ".join(usable[:-1]) + f" or {usable[-1]}"
        raise XlsegError(f"'{column}' is {article} {role.value} column; use {listed}, not '{agg}'")


def numeric_values(series: pd.Series, role: Role) -> np.ndarray:
    """The column as float64 (flags 1/0, dates as seconds since 1970), missing as NaN."""
    if role == Role.DATE:
        seconds = series.astype("datetime64[s]")
        out = seconds.to_numpy().astype(np.int64).astype(float)
        out[seconds.isna().to_numpy()] = np.nan
        return out
    return series.to_numpy(dtype=float, na_value=np.nan)


def aggregate_column(
    series: pd.Series,
    role: Role,
    aggs: list[str],
    groupings: list[Grouping],
    *,
    spread: bool,
    sizes: np.ndarray | None = None,
) -> list[ColumnResult]:
    """Every aggregation in ``aggs`` of one column, for every grouping (the finest grouping first).

    ``sizes`` are the rows per finest group when the caller already counted them.
    """
    finest = groupings[0]
    numeric = role not in (Role.DIMENSION, Role.ID)
    values = numeric_values(series, role) if numeric else None
    results = [ColumnResult({}, None) for _ in groupings]

    additive = [a for a in aggs if a in ADDITIVE]
    if additive:
        counted = values if values is not None else np.where(series.isna().to_numpy(), np.nan, 0.0)
        extremes = any(a in ("min", "max") for a in additive)
        base = Moments.from_rows(
            _ids(finest), finest.size, counted, spread=spread, extremes=extremes, sizes=sizes
        )
        add_moments(results, base, additive, groupings)

    quantile_aggs = [a for a in aggs if percentile_of(a) is not None]
    if quantile_aggs and values is not None:
        qs = [percentile_of(a) or 0.0 for a in quantile_aggs]
        for grouping, result in zip(groupings, results, strict=True):
            ids = grouping.row_ids() if grouping.row_ids is not None else None
            for agg, column in zip(quantile_aggs, group_quantiles(ids, grouping.size, values, qs), strict=True):
                result.values[agg] = column

    if "nunique" in aggs:
        codes = pd.factorize(series, use_na_sentinel=True)[0].astype(np.int64)
        for grouping, result in zip(groupings, results, strict=True):
            ids = grouping.row_ids() if grouping.row_ids is not None else None
            result.values["nunique"] = group_nunique(ids, grouping.size, codes).astype(float)
    return results


def add_moments(results: list[ColumnResult], base: Moments, additive: list[str], groupings: list[Grouping]) -> None:
    """Fill the additive aggregations of every grouping from the Moments of the finest groups (rolled up)."""
    for grouping, result in zip(groupings, results, strict=True):
        moments = base if grouping.from_finest is None else base.rollup(grouping.from_finest, grouping.size)
        result.moments = moments
        for agg in additive:
            result.values[agg] = _from_moments(moments, agg)


def _ids(grouping: Grouping) -> np.ndarray:
    if grouping.row_ids is None:
        raise ValueError("the finest grouping needs row ids")
    return grouping.row_ids()


def _from_moments(moments: Moments, agg: str) -> np.ndarray:
    if agg in ("mean", "rate"):
        return moments.mean()
    if agg == "sum":
        return moments.total
    if agg == "count":
        return moments.count
    extreme = moments.minimum if agg == "min" else moments.maximum
    assert extreme is not None
    return extreme
