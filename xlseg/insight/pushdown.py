"""Step 1 of the scan and the gap computed by a source's engine (DuckDB, Spark, any Ibis backend).

The engine's work is :class:`xlseg.engine.pushdown.GroupedUnits` — the same bin facts, keys and per-group
moments as a pushed-down breakdown: one exact facts query (quantile cut points, min, max of binned columns),
then one ``GROUP BY`` of every dimension key with the user count and the metric's count, sum and
``var_pop × count`` (m2) per group. Those groups (*units*) are segmented like rows (:func:`~xlseg.engine.
binning.segment_groups`: the same labels, bins and top-N) and rolled up (Chan's formula for m2):

* scan: into the cells of the finest combination of all dimensions, then every single segment and pair by
  :func:`xlseg.insight.sufficient.candidate_statistics` — the code the in-memory scan uses;
* gap: into (group, segment) moments for :func:`xlseg.insight.gap.decompose`.

Step 2 (scoring, BH, impact, ``explained_by``; Kitagawa's split) is unchanged: one definition of each number.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from xlseg.engine.auto import default_bins
from xlseg.engine.binning import Segments, segment_groups
from xlseg.engine.grouping import build_levels
from xlseg.engine.kernels import Moments
from xlseg.engine.pushdown import GroupedUnits, profile, schema_roles
from xlseg.errors import XlsegError, column_not_found
from xlseg.insight.common import (
    GapStatistics,
    check_dimensions,
    check_gap_metric,
    check_scan_metric,
    check_segments,
    halves,
    label_code,
)
from xlseg.insight.sufficient import SegmentStats, candidate_statistics
from xlseg.io.sources import Source
from xlseg.schema import Role, Table
from xlseg.spec import NUMERIC_BINS, Dimension, column_of, parse_dimension


def scan_statistics(
    source: Source,
    column: str,
    agg: str | None,
    by_items: list[object] | None,
    depth: int,
    bins: Mapping[str, object] | None,
    roles: Mapping[str, str] | None,
) -> tuple[SegmentStats, list[Segments], list[Dimension], str, list[str]]:
    """The scan's step 1 on ``source``: dimensions, their segments, every candidate's statistics, the metric's
    aggregation and the notes (as :func:`xlseg.insight.scan.scan` computes them in memory)."""
    if by_items is None:
        raise XlsegError(f"name the dimensions to scan (by=['device', 'plan']): choosing them automatically on "
                         f"{source.backend} would profile every column of the whole table")
    role_of = _roles(source, roles, [column, *(column_of(i) for i in by_items)])
    agg = agg or ("rate" if role_of[column] == Role.FLAG else "mean")
    check_scan_metric(column, agg)
    dimensions = _dimensions(source, role_of, by_items, bins)
    check_dimensions(dimensions, column)
    units = GroupedUnits.compute(source, dimensions, [(column, agg)], roles=roles, spread=True)
    segments = units.segments()
    check_segments(dimensions, segments)
    users, moments = _unit_moments(units, column)
    if users.sum() == 0:
        raise XlsegError("the table has no data rows to scan")
    if moments.count.sum() == 0:
        raise XlsegError(f"'{column}' has no values (every cell is blank), so there is nothing to scan")
    finest = build_levels(segments, len(users))[-1]
    ids = finest.ids(len(users))
    sizes = np.bincount(ids, users, finest.size).astype(np.int64)
    cells = moments.rollup(ids, finest.size)
    stats = candidate_statistics(segments, finest.codes, sizes, cells, int(users.sum()),
                                 depth if len(segments) > 1 else 1)
    return stats, segments, dimensions, agg, [*source.notes, source.aggregated_note()]


def gap_statistics(
    source: Source,
    by_item: object,
    column: str,
    agg: str | None,
    group: str,
    labels: tuple[str, str],
    bins: Mapping[str, object] | None,
    top: int | None,
    roles: Mapping[str, str] | None,
) -> GapStatistics:
    """The gap's step 1 on one ``source`` whose ``group`` column holds the two groups ``labels``: per-segment
    moments in A and in B, the segments, the dimension, the aggregation, the notes and the rows left out."""
    role_of = _roles(source, roles, [column, group, column_of(by_item)])
    agg = agg or ("rate" if role_of[column] == Role.FLAG else "mean")
    check_gap_metric(column, agg)
    dimension = _dimensions(source, role_of, [by_item], bins, top)[0]
    units = GroupedUnits.compute(source, [dimension, Dimension(group)], [(column, agg)], roles=roles, spread=True)
    segments, groups = units.segments()
    codes = [label_code(groups, label, group) for label in labels]
    in_a, in_b = groups.codes == codes[0], groups.codes == codes[1]
    users, moments = _unit_moments(units, column)
    moments_a, moments_b = _split(segments, moments, in_a, in_b)
    left_out = int(users[~(in_a | in_b)].sum())
    missing = int((users - moments.count)[in_a | in_b].sum())
    return GapStatistics(moments_a, moments_b, segments, dimension, agg, [*source.notes, source.aggregated_note()],
                         left_out, missing)


def gap_statistics_two(
    sources: Sequence[Source],
    by_item: object,
    column: str,
    agg: str | None,
    names: Sequence[str],
    bins: Mapping[str, object] | None,
    top: int | None,
    roles: Mapping[str, str] | None,
) -> GapStatistics:
    """The gap's step 1 on two sources (before, after): per-segment moments of each, segmented together (the
    same labels, periods and top-N as the two tables stacked in memory), the notes and rows without a value."""
    by_column = column_of(by_item)
    role_sets = [_roles(s, roles, [column, by_column]) for s in sources]
    if role_sets[0][column] != role_sets[1][column]:
        raise XlsegError(f"'{column}' is read as {role_sets[0][column].value} in the first table and "
                         f"{role_sets[1][column].value} in the second; declare its role (roles=...)")
    agg = agg or ("rate" if role_sets[0][column] == Role.FLAG else "mean")
    check_gap_metric(column, agg)
    if any(r[by_column] == Role.METRIC for r in role_sets) and not _has_bins(by_item, bins):
        raise XlsegError(f"'{by_column}' is a number column in two separate {sources[0].backend} sources; bin it "
                         f"with a period or split by a text column, or stack the tables with a group column and "
                         f"use between=")
    dimension = _dimensions(sources[0], role_sets[0], [by_item], bins, top)[0]
    if dimension.binning is not None and dimension.binning.kind in NUMERIC_BINS:
        raise XlsegError(f"'{dimension.binning.to_text()}' bins of '{by_column}' need the values of both tables in "
                         "one source; stack them with a group column and use between=")
    parts = [GroupedUnits.compute(s, [Dimension(by_column, binning=dimension.binning)], [(column, agg)],
                                  roles=roles, spread=True) for s in sources]
    roles_used = [p.roles[column] for p in parts]
    if roles_used[0] != roles_used[1]:
        raise XlsegError(f"'{column}' is read as {roles_used[0].value} in the first table and {roles_used[1].value}"
                         " in the second; declare its role (roles=...)")
    keys = pd.concat([p.groups["k0"] for p in parts], ignore_index=True)
    weights = np.concatenate([p.weights for p in parts])
    segments = segment_groups(keys, dimension, weights)
    first = np.arange(len(keys)) < parts[0].count
    users = np.concatenate([_unit_moments(p, column)[0] for p in parts])
    moments = [_unit_moments(p, column)[1] for p in parts]
    both = Moments(*(np.concatenate([getattr(m, f) for m in moments]) for f in ("count", "total", "m2")))
    moments_a, moments_b = _split(segments, both, first, ~first)
    notes = [f"{name}: {s.aggregated_note()}" for name, s in zip(names, sources, strict=True)]
    return GapStatistics(moments_a, moments_b, segments, dimension, agg, notes, 0, int((users - both.count).sum()))


def _roles(source: Source, roles: Mapping[str, str] | None, needed: Sequence[str]) -> dict[str, Role]:
    """The engine's roles (stored types, then ``roles``); a missing column is the usual "did you mean" error."""
    role_of = schema_roles(source, roles)
    for name in needed:
        if name not in role_of:
            raise column_not_found(name, role_of)
    return role_of


def _has_bins(item: object, bins: Mapping[str, object] | None) -> bool:
    return column_of(item) in (bins or {}) or (isinstance(item, Mapping) and "bins" in item)


def _dimensions(source: Source, role_of: dict[str, Role], items: Sequence[object],
                bins: Mapping[str, object] | None, top: int | None = None) -> list[Dimension]:
    """The dimensions with auto mode's default bins; the distinct counts those need come from one exact query."""
    needed = [column_of(i) for i in items if role_of[column_of(i)] == Role.METRIC and not _has_bins(i, bins)]
    distinct = profile(source, role_of, list(dict.fromkeys(needed))).distinct if needed else {}
    rowless = Table(pd.DataFrame(), role_of)
    return [parse_dimension(default_bins(item, rowless, bins or {}, distinct.__getitem__), bins, top)
            for item in items]


def _unit_moments(units: GroupedUnits, column: str) -> tuple[np.ndarray, Moments]:
    """Users and the metric's count, sum and m2 of every unit (group) the engine returned."""
    prefix = f"c{list(units.columns).index(column)}"
    groups = units.groups
    count = groups[f"{prefix}_n"].to_numpy(dtype=float, na_value=0.0)
    total = groups[f"{prefix}_s"].to_numpy(dtype=float, na_value=0.0)
    m2 = groups[f"{prefix}_v"].to_numpy(dtype=float, na_value=0.0) * count
    return units.weights.astype(float), Moments(count, total, m2)


def _split(segments: Segments, moments: Moments, in_a: np.ndarray, in_b: np.ndarray) -> tuple[Moments, Moments]:
    """Units' moments rolled up per segment within group A and within group B."""
    width = max(len(segments.labels), 1)
    keep = in_a | in_b
    ids = np.where(in_b[keep], width, 0) + segments.codes[keep].astype(np.intp)
    kept = Moments(moments.count[keep], moments.total[keep], None if moments.m2 is None else moments.m2[keep])
    return halves(kept.rollup(ids, 2 * width), width)
