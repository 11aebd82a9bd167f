"""The segmentation engine: breakdowns as tidy pandas DataFrames (crosstabs in :mod:`xlseg.engine.crosstabs`).

Pure pandas/numpy: this module imports neither xlwings nor openpyxl. Every face (formulas, macro,
report, CLI) calls :func:`breakdown` and :func:`~xlseg.engine.crosstabs.crosstab`.

Totals and subtotals are computed from the rows (additive statistics rolled up from the finest groups,
order statistics recomputed per level), never by aggregating aggregates.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from xlseg.engine.binning import Segments
from xlseg.engine.grouping import Level, build_levels
from xlseg.engine.kernels import Moments
from xlseg.engine.measures import ColumnResult, Grouping
from xlseg.engine.stats import benjamini_hochberg
from xlseg.engine.units import Units, open_units
from xlseg.engine.versus import interval, p_against_rest, rest_of
from xlseg.errors import XlsegError
from xlseg.parallel import map_columns
from xlseg.schema import Role, totals_label
from xlseg.spec import Dimension, Options, parse_by, parse_metrics

COMPARABLE = ("mean", "rate")  # aggregations that get intervals, lift and tests


def metric_name(column: str, agg: str) -> str:
    """Output column name of a metric: ``"session_length mean"``."""
    return f"{column} {agg}"


def breakdown(
    data: object,
    by: object,
    metrics: object = None,
    *,
    bins: Mapping[str, object] | None = None,
    top: int | Mapping[str, int] | None = None,
    min_size: int | None = None,
    sort: str | None = None,
    ascending: bool = False,
    confidence: float = 0.95,
    intervals: bool = False,
    compare: bool = False,
    subtotals: bool = False,
    roles: Mapping[str, str] | None = None,
    tz: str | None = None,
    na_values: object = None,
    header_row: int | None = None,
    engine: str = "auto",
    memory_limit: str | None = None,
) -> pd.DataFrame:
    """One row per segment of the ``by`` columns, then a totals row labelled "Total".

    When a real segment of any ``by`` column is labelled "Total" (ignoring case), the total and subtotal
    rows are labelled "Total (all)" instead (see :func:`xlseg.schema.totals_label`).

    Args:
        data: a DataFrame, a 2-D list with a header row (as Excel hands a range over), a file path
            (.csv, .xlsx, .xlsm, .parquet; a glob of Parquet/CSV files), a :class:`~xlseg.schema.Table`, or a
            source whose own engine aggregates (a DuckDB relation, ``(duckdb connection, "table")``, an Ibis
            table expression, a PySpark DataFrame): only per-group statistics come back.
        by: a column name, a comma-separated string of names, or a list of names / dimension dicts
            (``{"column": "age", "bins": "q4"}``).
        metrics: what to aggregate: ``{"session_length": ["mean", "median"], "converted": "rate"}`` or
            ``"session_length:mean,median; converted:rate"``. Aggregations: mean, median, sum, min, max,
            count, nunique, rate (flags) and percentiles p1…p99.
        bins: column → bin spec (``"q4"``, ``"width:10"`` (bins 10 wide), ``"equal:5"`` (5 bins of equal
            width), ``"edges:18,25,35"``, ``"month"``, ``"top:5"``).
        top: keep the N largest categories of every text dimension (or column → N), fold the rest into "Other".
        min_size: segments with fewer users get ``low_n = True`` (flagged, not hidden).
        sort: ``"users"`` or an output column name (e.g. ``"converted rate"``) to sort segments by,
            descending unless ``ascending``; default: label order (bins by value).
        confidence: level of the intervals (default 0.95).
        intervals: add ``"<metric> lo"`` / ``"<metric> hi"`` columns for means (t) and rates (Wilson).
        compare: add ``"<metric> lift"`` (segment / overall − 1) and ``"<metric> p"`` (segment vs the rest:
            Welch t for means, two-proportion z for rates; Benjamini–Hochberg adjusted across segments).
        subtotals: with several ``by`` columns, also give a subtotal row for every grouping level.
        roles: declare column roles the inference gets wrong, e.g. ``{"signup": "date"}``.
        tz: show times with a zone (``…Z``, ``+02:00``, aware datetimes, ``date:epoch``) as local times in this
            IANA zone (``"Europe/Berlin"``) before periods are cut; default UTC.
        na_values: extra cell values that mean "missing" (``["-999", "unknown"]``), besides the usual
            ``NA``, ``N/A``, ``NULL``, ``None``, ``NaN``… (see :mod:`xlseg.io.missing`).
        header_row: the row of ``data`` holding the header (1 = first; default: the first, or the row
            under a title row; see :mod:`xlseg.io.title_rows`).
        engine: for file paths: ``"pandas"`` (read into memory), ``"duckdb"`` (aggregate in DuckDB, for
            files past memory) or ``"auto"`` (DuckDB for globs and files above
            :data:`xlseg.io.sources.AUTO_DUCKDB_BYTES`).
        memory_limit: DuckDB's memory limit for file paths run on DuckDB (e.g. ``"1GB"``).

    Returns:
        Columns: the ``by`` columns (text labels), ``users``, ``share``, one column per metric, then
        the optional statistics columns and ``low_n``.
    """
    dimensions = parse_by(by, bins, top)
    pairs = parse_metrics(metrics)
    options = Options(min_size, sort, ascending, confidence, intervals, compare, subtotals)
    outputs = {"users", "share", "low_n"} | {metric_name(c, a) for c, a in pairs}
    clash = next((d.column for d in dimensions if d.column in outputs), None)
    if clash is not None:
        raise XlsegError(f"column '{clash}' has the name of an output column; rename it to segment by it")
    units = open_units(data, dimensions, pairs, roles=roles, engine=engine, memory_limit=memory_limit,
                       spread=options.intervals or options.compare, na_values=na_values, header_row=header_row,
                       tz=tz)
    frame = _Breakdown(units, dimensions, pairs, options).frame()
    frame.attrs["formats"] = input_formats(units.formats, pairs)
    return frame


def input_formats(formats: Mapping[str, str], pairs: Sequence[tuple[str, str]]) -> dict[str, str]:
    """Output column → the number format its input implied (a mean of percent text shows as a percent);
    counts and rates keep their own formats. Sheets read it from ``frame.attrs["formats"]``."""
    return {metric_name(c, a): formats[c] for c, a in pairs if c in formats and a not in ("count", "nunique", "rate")}


@dataclass
class _Breakdown:
    units: Units
    dimensions: list[Dimension]
    pairs: list[tuple[str, str]]
    options: Options

    def frame(self) -> pd.DataFrame:
        units = self.units
        rows = units.count
        if rows == 0 or units.users() == 0:
            raise XlsegError("the table has no data rows to segment")
        segments = units.segments()
        levels = build_levels(segments, rows)
        shown = list(range(len(levels))) if self.options.subtotals else [0, len(levels) - 1]
        groupings = _level_groupings(levels, shown)
        finest = levels[-1]
        finest_sizes = units.sizes(finest.ids(rows), finest.size)
        users = _users(levels, shown, finest_sizes)
        stats_needed = self.options.intervals or self.options.compare
        by_column = _by_column(self.pairs)
        for column, aggs in by_column.items():
            for agg in aggs:
                units.check(column, agg)

        def aggregate(column: str) -> list[ColumnResult]:
            return units.aggregate(column, by_column[column], groupings, spread=stats_needed, sizes=finest_sizes)

        columns: dict[str, list[np.ndarray]] = {}
        for column, results in zip(by_column, map_columns(aggregate, by_column, rows), strict=True):
            for agg in by_column[column]:
                self._add_metric(columns, column, agg, units.metric_role(column, by_column[column]), results)
        return self._assemble(levels, shown, segments, users, columns)

    def _add_metric(
        self, out: dict[str, list[np.ndarray]], column: str, agg: str, role: Role, results: list[ColumnResult]
    ) -> None:
        # results are in `shown` order reversed (finest first); store them coarse-to-fine
        ordered = results[::-1]
        name = metric_name(column, agg)
        values = [r.values[agg] for r in ordered]
        out[name] = [as_output(v, role, agg) for v in values]
        if agg not in COMPARABLE or not (self.options.intervals or self.options.compare):
            return
        moments = [r.moments for r in ordered]
        overall = moments[0]
        assert overall is not None and all(m is not None for m in moments)
        if self.options.intervals:
            bounds = [interval(m, agg, self.options.confidence) for m in moments if m is not None]
            out[f"{name} lo"] = [b[0] for b in bounds]
            out[f"{name} hi"] = [b[1] for b in bounds]
        if self.options.compare:
            total_value = values[0][0]
            with np.errstate(invalid="ignore", divide="ignore"):
                out[f"{name} lift"] = [v / total_value - 1 for v in values]
            out[f"{name} p"] = [
                np.full(1, np.nan) if i == 0 else benjamini_hochberg(_p_against_rest(m, overall, agg))
                for i, m in enumerate(moments)
                if m is not None
            ]

    def _assemble(
        self,
        levels: list[Level],
        shown: list[int],
        segments: list[Segments],
        users: list[np.ndarray],
        metrics: dict[str, list[np.ndarray]],
    ) -> pd.DataFrame:
        """One row per non-empty group of every shown level, in display order, as a DataFrame."""
        keep = [u > 0 for u in users]
        names = [d.column for d in self.dimensions]
        total = totals_label(label for s in segments for label in s.labels)
        parts: dict[str, list[np.ndarray]] = {name: [] for name in [*names, "users", *metrics]}
        level_of, codes = [], [[] for _ in names]
        for position, index in enumerate(shown):
            level, rows = levels[index], keep[position]
            count = int(rows.sum())
            for j, name in enumerate(names):
                if j < level.depth:
                    group_codes = level.codes[j][rows]
                    parts[name].append(np.asarray(segments[j].labels, dtype=object)[group_codes])
                    codes[j].append(group_codes.astype(float))
                else:
                    parts[name].append(np.full(count, total, dtype=object))
                    codes[j].append(np.full(count, np.inf))  # subtotal and total rows sort after their groups
            parts["users"].append(users[position][rows])
            for metric, per_level in metrics.items():
                parts[metric].append(per_level[position][rows])
            level_of.append(np.full(count, index))
        columns = {name: np.concatenate(chunks) for name, chunks in parts.items()}
        order = self._order(columns, np.concatenate(level_of), [np.concatenate(c) for c in codes])
        frame = {name: columns[name][order] for name in names}
        frame = {name: pd.array(values, dtype="str") for name, values in frame.items()}
        user_counts = columns["users"][order].astype(np.int64)
        frame["users"] = user_counts
        frame["share"] = user_counts / users[0][0]
        frame.update({metric: columns[metric][order] for metric in metrics})
        if self.options.min_size is not None:
            frame["low_n"] = user_counts < self.options.min_size
        return pd.DataFrame(frame)

    def _order(self, columns: dict[str, np.ndarray], level: np.ndarray, codes: list[np.ndarray]) -> np.ndarray:
        """Row order: label order by default; with ``sort``, by value (within each parent when there are
        subtotals). Subtotal rows follow their group's detail rows and the grand total comes last."""
        sort = self.options.sort
        if sort is None:
            return np.lexsort(codes[::-1])
        if sort not in columns or sort in [d.column for d in self.dimensions]:
            raise XlsegError(
                f"cannot sort by '{sort}'; sort by users or one of the metric columns (segments are in label order "
                "without sort)"
            )
        values = self._sort_key(np.asarray(columns[sort], dtype=float))
        if not self.options.subtotals:
            return np.lexsort([*codes[::-1], values, (level == 0).astype(float)])
        keys = []
        for j in range(len(codes)):
            prefix = list(zip(*(codes[i] for i in range(j + 1)), strict=True))
            at_level = np.flatnonzero(level == j + 1)
            lookup = {prefix[r]: values[r] for r in at_level}
            value = np.array([lookup.get(p, np.inf) for p in prefix])
            keys += [np.where(np.isinf(codes[j]), np.inf, value), codes[j]]
        return np.lexsort(keys[::-1])

    def _sort_key(self, values: np.ndarray) -> np.ndarray:
        key = values if self.options.ascending else -values
        return np.where(np.isnan(key), np.inf, key)  # missing values sort last


def _by_column(pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for column, agg in pairs:
        grouped.setdefault(column, []).append(agg)
    return grouped


def _level_groupings(levels: list[Level], shown: list[int]) -> list[Grouping]:
    """Groupings for the shown levels, finest first, each with a map from the finest groups."""
    finest = levels[-1]
    groupings = []
    for index in reversed(shown):
        level = levels[index]
        dims = tuple(range(index))
        if index == len(levels) - 1:
            groupings.append(Grouping(level.size, lambda lv=level: lv.row_ids, None, dims))
            continue
        mapping = np.arange(finest.size)
        for j in range(len(levels) - 1, index, -1):
            parent = levels[j].parent
            assert parent is not None
            mapping = parent[mapping]
        row_ids = None if index == 0 else (lambda lv=level: lv.row_ids)
        groupings.append(Grouping(level.size, row_ids, mapping, dims))
    return groupings


def _users(levels: list[Level], shown: list[int], finest_sizes: np.ndarray) -> list[np.ndarray]:
    """Rows per group for the shown levels (coarse to fine), rolled up from the finest level."""
    per_level = {len(levels) - 1: finest_sizes}
    for j in range(len(levels) - 1, 0, -1):
        parent = levels[j].parent
        assert parent is not None
        per_level[j - 1] = np.bincount(parent, per_level[j], levels[j - 1].size).astype(np.int64)
    return [per_level[i] for i in shown]


def as_output(values: np.ndarray, role: Role, agg: str) -> np.ndarray:
    if role == Role.DATE and agg not in ("count", "nunique"):
        seconds = np.where(np.isnan(values), np.nan, np.round(values))
        return pd.to_datetime(seconds, unit="s").to_numpy()
    if agg in ("count", "nunique"):
        return values.astype(np.int64)
    return values


def _p_against_rest(moments: Moments, overall: Moments, agg: str) -> np.ndarray:
    """p-values of each group against everyone outside it."""
    overall_m2 = None if overall.m2 is None else overall.m2[0]
    return p_against_rest(moments, rest_of(moments, overall.count[0], overall.total[0], overall_m2), agg)
