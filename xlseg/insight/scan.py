"""The segment scan: which segments of the users stand out, without fooling yourself by testing hundreds.

:func:`scan` segments the table by every dimension (auto mode's choice and binning by default), forms every
one-dimension segment and — with ``depth=2`` — every pair of values of two dimensions, and tests each
candidate against the rest of the users. Step 1 (:func:`xlseg.insight.sufficient.segment_statistics`)
computes per-candidate count, sum and m2; step 2 (:func:`score`) derives everything else from them:
rest, difference, lift, interval, p (two-proportion z for rates, Welch t for means), Benjamini–Hochberg
adjustment across **all** candidates tested, impact and ``explained_by``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from xlseg.engine.auto import choose_dimensions, default_bins
from xlseg.engine.binning import Segments, segment
from xlseg.engine.breakdowns import metric_name
from xlseg.engine.measures import numeric_values
from xlseg.engine.stats import benjamini_hochberg
from xlseg.engine.units import check_metric, load_input
from xlseg.engine.versus import interval, p_against_rest, rest_of
from xlseg.errors import XlsegError, column_not_found
from xlseg.insight.common import check_dimensions, check_scan_metric, check_segments
from xlseg.insight.sufficient import SegmentStats, segment_statistics
from xlseg.schema import Role, Table
from xlseg.spec import Dimension, column_of, normalize_aggregation, parse_by, parse_dimension, whole_number

SCAN_COLUMNS = ("dimension", "segment", "users", "share", "rest", "difference", "lift", "lo", "hi", "p", "impact",
                "explained_by")
PAIR_JOIN = " × "  # dimension names of a pair: "device × plan"
LABEL_JOIN = " / "  # segment labels of a pair: "Mobile / Pro"


def scan(
    data: object,
    metric: object,
    *,
    by: object = None,
    depth: int = 2,
    min_size: int | None = 30,
    confidence: float = 0.95,
    top: int | None = None,
    bins: Mapping[str, object] | None = None,
    roles: Mapping[str, str] | None = None,
    engine: str = "auto",
    memory_limit: str | None = None,
) -> pd.DataFrame:
    """Every segment (and with ``depth=2`` every pair of values of two dimensions) against the rest of the users.

    Args:
        data: a DataFrame, Excel range values (header first), a file path or a :class:`~xlseg.schema.Table`.
        metric: ``"converted:rate"``, ``"session_length:mean"``, or a column name (rate for a yes/no column,
            mean otherwise), or a ``(column, agg)`` pair.
        by: the dimensions (names or dimension dicts, as in :func:`xlseg.breakdown`); default: the ones auto
            mode chooses, with the same binning (dates by month, numbers with many values in quartiles).
        depth: 1 for single segments only, 2 to add every pair of values of two dimensions.
        min_size: candidates with fewer users are not tested (counted in ``attrs["skipped"]``).
        confidence: the interval level; a finding is significant when its adjusted p is below 1 − confidence.
        top: return only the first ``top`` rows of the ranking.
        bins: column → bin spec, as in :func:`xlseg.breakdown`.
        roles: column role overrides.
        engine, memory_limit: as in :func:`xlseg.breakdown`. ``data`` may also be a source its own engine
            aggregates (a DuckDB relation, ``(connection, "table")``, an Ibis table, a PySpark DataFrame, or
            Parquet/CSV files for DuckDB): the per-candidate counts and sums are computed there
            (:mod:`xlseg.insight.pushdown`) and ``by`` must be given.

    Returns:
        One row per tested candidate, significant ones first, then by absolute impact. Columns: ``dimension``
        (``"device"`` or ``"device × plan"``), ``segment`` (``"Mobile"`` or ``"Mobile / Pro"``), ``users``,
        ``share`` (of all users), ``"<column> <agg>"`` (the segment's value), ``rest`` (the value of everyone
        else), ``difference`` (segment − rest), ``lift`` (segment ÷ overall − 1, as in breakdowns), ``lo`` /
        ``hi`` (interval of the segment's value: Wilson / t), ``p`` (vs the rest, Benjamini–Hochberg adjusted
        across all candidates tested), ``impact`` (users with a value × difference: the excess conversions
        of a rate, the excess total of a mean) and ``explained_by`` (for a pair whose value lies inside the
        interval of one of its two single segments: that segment, e.g. ``"device = Mobile"``; else empty).
        ``attrs`` holds ``tested``, ``skipped`` (under ``min_size``), ``candidates``, ``significant``,
        ``metric``, ``overall``, ``alpha``, ``min_size``, ``depth``, ``dimensions`` and ``notes``.
    """
    depth = whole_number(depth, "depth") or 2
    if depth > 2:
        raise XlsegError(f"depth must be 1 or 2, not {depth}")
    column, agg = parse_scan_metric(metric)
    if agg is not None:
        check_scan_metric(column, agg)
    by_items = None if by is None else [d.to_dict() if isinstance(d, Dimension) else d for d in parse_by(by)]
    from xlseg.io.sources import open_source

    source = open_source(data, engine=engine, memory_limit=memory_limit)
    if source is not None:
        from xlseg.insight.pushdown import scan_statistics

        stats, segments, dimensions, agg, notes = scan_statistics(source, column, agg, by_items, depth, bins, roles)
    else:
        stats, segments, dimensions, agg, notes = _memory_statistics(data, column, agg, by_items, depth, bins,
                                                                     roles)
    frame = score(stats, segments, [d.column for d in dimensions], metric_name(column, agg), agg,
                  confidence=confidence, min_size=min_size)
    frame.attrs["notes"] = notes
    return frame.head(whole_number(top, "top")) if top is not None else frame


def _memory_statistics(data: object, column: str, agg: str | None, by_items: list[object] | None, depth: int,
                       bins: Mapping[str, object] | None, roles: Mapping[str, str] | None,
                       ) -> tuple[SegmentStats, list[Segments], list[Dimension], str, list[str]]:
    """Step 1 on a table read into memory: the dimensions, their segments and every candidate's statistics."""
    wanted = None if by_items is None else [column_of(i) for i in by_items] + [column]
    table = _load(data, roles, wanted, column, agg)
    agg = agg or ("rate" if table.roles[column] == Role.FLAG else "mean")
    check_metric(table, column, agg)
    check_scan_metric(column, agg)
    if by_items is None:
        choices, _ = choose_dimensions(table)
        by_items = [c.by[0] for c in choices if c.columns[0] != column]
        if not by_items:
            raise XlsegError("no column to scan by; name the dimensions, e.g. by=['device', 'plan']")
    dimensions = [parse_dimension(default_bins(item, table, bins or {}), bins) for item in by_items]
    check_dimensions(dimensions, column)
    segments = [segment(table.frame[d.column], d) for d in dimensions]
    check_segments(dimensions, segments)
    values = numeric_values(table.frame[column], table.roles[column])
    if len(values) == 0:
        raise XlsegError("the table has no data rows to scan")
    if np.isnan(values).all():
        raise XlsegError(f"'{column}' has no values (every cell is blank), so there is nothing to scan")
    stats = segment_statistics(segments, values, depth=depth if len(segments) > 1 else 1)
    return stats, segments, dimensions, agg, list(table.notes)


def parse_scan_metric(metric: object) -> tuple[str, str | None]:
    """``(column, aggregation or None)`` from ``"converted:rate"``, ``"converted"`` or ``("converted", "rate")``."""
    if isinstance(metric, tuple) and len(metric) == 2:
        return str(metric[0]).strip(), normalize_aggregation(metric[1])
    if not isinstance(metric, str) or not metric.strip():
        raise XlsegError('say which metric to scan, e.g. "converted:rate" or "session_length:mean"')
    if ";" in metric or "," in metric.rpartition(":")[2]:
        raise XlsegError(f"the scan takes one metric, not '{metric}'; e.g. \"converted:rate\"")
    column, sep, agg = metric.rpartition(":")
    if not sep:
        return metric.strip(), None
    if not column.strip():
        raise XlsegError(f"metric '{metric}' has no column name; write it as 'column:agg'")
    return column.strip(), normalize_aggregation(agg)


def _load(data: object, roles: Mapping[str, str] | None, wanted: list[str] | None, column: str,
          agg: str | None) -> Table:
    if isinstance(data, Table) and column not in data.roles:
        raise column_not_found(column, data.roles)
    rates = [column] if agg == "rate" else []
    if wanted is None:
        from xlseg.io.load import load_table, rates_as_flags

        table = load_table(data, roles=roles)
        if column not in table.roles:
            raise column_not_found(column, table.roles)
        return rates_as_flags(table, [c for c in rates if c not in (roles or {})])
    return load_input(data, roles, wanted, rates)


def score(
    stats: SegmentStats,
    segments: Sequence[Segments],
    names: Sequence[str],
    metric: str,
    agg: str,
    *,
    confidence: float = 0.95,
    min_size: int | None = 30,
    adjust: bool = True,
) -> pd.DataFrame:
    """Step 2: the scan's table from the sufficient statistics only (see :func:`scan` for the columns).

    ``adjust=False`` leaves the p-values unadjusted — only to show what testing many segments without a
    correction does; never report findings from it.
    """
    if not 0 < confidence < 1:
        raise XlsegError("confidence must be a number between 0 and 1, e.g. 0.95")
    minimum = whole_number(min_size, "min_size") or 1
    m, overall = stats.moments, stats.overall
    overall_value = float(overall.mean()[0])
    rest = rest_of(m, overall.count[0], overall.total[0], None if overall.m2 is None else overall.m2[0])
    value, rest_value = m.mean(), rest.mean()
    lo, hi = interval(m, agg, confidence)
    raw = p_against_rest(m, rest, agg)
    big_enough = stats.users >= minimum
    tested = big_enough & np.isfinite(raw)
    p = benjamini_hochberg(np.where(tested, raw, np.nan)) if adjust else np.where(tested, raw, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        difference = value - rest_value
        lift = value / overall_value - 1
    impact = m.count * difference
    explained = _explained_by(stats, value, lo, hi, segments, names)
    alpha = 1 - confidence
    significant = tested & (p < alpha)
    order = np.lexsort((np.arange(len(value)), -np.nan_to_num(np.abs(impact)), ~significant))
    order = order[tested[order]]
    frame = pd.DataFrame({
        "dimension": pd.array(_dimension_names(stats, names)[order], dtype="str"),
        "segment": pd.array(_segment_labels(stats, segments)[order], dtype="str"),
        "users": stats.users[order],
        "share": stats.users[order] / stats.overall_users,
        metric: value[order],
        "rest": rest_value[order],
        "difference": difference[order],
        "lift": lift[order],
        "lo": lo[order],
        "hi": hi[order],
        "p": p[order],
        "impact": impact[order],
        "explained_by": pd.array(explained[order], dtype="str"),
    })
    frame.attrs.update(tested=int(tested.sum()), skipped=int((~big_enough).sum()), candidates=len(value),
                       significant=int(significant.sum()), metric=metric, agg=agg, overall=overall_value,
                       alpha=alpha, min_size=minimum, depth=2 if (stats.second >= 0).any() else 1,
                       dimensions=list(names), adjusted=adjust)
    return frame


def _dimension_names(stats: SegmentStats, names: Sequence[str]) -> np.ndarray:
    first = np.asarray(names, dtype=object)[stats.first]
    pairs = stats.second >= 0
    out = first.copy()
    if pairs.any():
        second = np.asarray(names, dtype=object)[stats.second[pairs]]
        out[pairs] = first[pairs] + PAIR_JOIN + second
    return out


def _segment_labels(stats: SegmentStats, segments: Sequence[Segments]) -> np.ndarray:
    out = np.empty(len(stats.first), dtype=object)
    for j, seg in enumerate(segments):
        labels = np.asarray(seg.labels, dtype=object)
        mask = stats.first == j
        out[mask] = labels[stats.first_code[mask]]
    for j, seg in enumerate(segments):
        labels = np.asarray(seg.labels, dtype=object)
        mask = stats.second == j
        out[mask] = out[mask] + LABEL_JOIN + labels[stats.second_code[mask]]
    return out


def _explained_by(stats: SegmentStats, value: np.ndarray, lo: np.ndarray, hi: np.ndarray,
                  segments: Sequence[Segments], names: Sequence[str]) -> np.ndarray:
    """For each pair: the single segment whose interval holds the pair's value (the closer one when both do)."""
    out = np.full(len(value), "", dtype=object)
    single = stats.second < 0
    offsets = np.zeros(len(segments) + 1, dtype=np.int64)
    offsets[1:] = np.cumsum([len(s.labels) for s in segments])
    where = np.full(offsets[-1], -1, dtype=np.int64)  # (dimension, code) → candidate index of the single
    where[offsets[stats.first[single]] + stats.first_code[single]] = np.flatnonzero(single)
    pairs = np.flatnonzero(~single)
    if pairs.size == 0:
        return out
    parents = [where[offsets[stats.first[pairs]] + stats.first_code[pairs]],
               where[offsets[stats.second[pairs]] + stats.second_code[pairs]]]
    inside = [(lo[p] <= value[pairs]) & (value[pairs] <= hi[p]) for p in parents]
    distance = [np.where(ins, np.abs(value[pairs] - value[p]), np.inf) for p, ins in zip(parents, inside, strict=True)]
    choice = np.where(distance[1] < distance[0], 1, 0)
    chosen = np.where(choice == 1, parents[1], parents[0])
    has = inside[0] | inside[1]
    for row, parent in zip(pairs[has], chosen[has], strict=True):
        dim = int(stats.first[parent])
        out[row] = f"{names[dim]} = {segments[dim].labels[int(stats.first_code[parent])]}"
    return out


__all__ = ["SCAN_COLUMNS", "parse_scan_metric", "scan", "score"]
