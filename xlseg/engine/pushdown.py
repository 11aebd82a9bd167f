"""Breakdowns and crosstabs aggregated by the source's engine (DuckDB, Spark, any Ibis backend).

Only per-group statistics come back; the roll-ups, statistics, ordering and layout are the in-memory code.

1. *Facts* (one exact query): the quantile cut points, minimum and maximum of every binned column, so that
   bins mean the same on every engine (:class:`~xlseg.engine.binning.BinFacts`).
2. *Groups* (one query): ``GROUP BY`` the dimension keys (value, period start or bin index) with, per group,
   the user count and per metric column the count of values, sum, ``var_pop × count`` (M2), min and max;
   also the exact quantiles (DuckDB ``QUANTILE_CONT``, Spark ``PERCENTILE``) and distinct counts of each group.
   Past DuckDB's memory limit the quantiles come from a window over the sorted values, which spills to disk
   (:func:`_grouped`, :func:`_window_quantiles`).
   These groups are the *units* the in-memory engine then segments (labels, top-N with user weights) and
   rolls up (:class:`~xlseg.engine.kernels.Moments`, Chan's formula for M2).
3. *Order statistics of coarser levels* (one query per level, only when medians, percentiles or distinct
   counts are asked for): they are not additive, so each level (subtotals, totals, a top-N "Other") is
   grouped again by its own keys in the engine.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from xlseg.engine.binning import LONG_NUMBER, BinFacts, Segments, make_bins, segment_groups
from xlseg.engine.kernels import Moments
from xlseg.engine.measures import ADDITIVE, ColumnResult, Grouping, add_moments, check_aggregation
from xlseg.errors import XlsegError, column_not_found
from xlseg.io.roles import declared_roles, id_like
from xlseg.io.sources import Source
from xlseg.schema import OTHER_LABEL, Role
from xlseg.spec import Dimension, percentile_of

# DuckDB's QUANTILE_CONT holds every value of its groups (8 bytes) in growing vectors, per thread: at 10M rows it
# ran under a 1 GB limit, at 50M it did not (benchmarks/bench_scale.py). Above this many bytes per row of the
# limit, medians and percentiles go straight to the sort that spills (a failed first try costs a full read).
QUANTILE_BYTES_PER_ROW = 24
_PERIOD_UNITS = {"day": "D", "week": "W", "month": "M", "quarter": "Q", "year": "Y"}


def schema_roles(source: Source, roles: Mapping[str, str] | None) -> dict[str, Role]:
    """Roles from the engine's column types (bool → flag, number → metric, date/timestamp → date, text →
    dimension; id-like names → id), then the declared ``roles``."""
    schema = source.table.schema()
    inferred: dict[str, Role] = {}
    for name, dtype in schema.items():
        if dtype.is_boolean():
            role = Role.FLAG
        elif dtype.is_numeric():
            role = Role.ID if id_like(name) and dtype.is_integer() else Role.METRIC
        elif dtype.is_timestamp() or dtype.is_date():
            role = Role.DATE
        else:
            role = Role.ID if id_like(name) else Role.DIMENSION
        inferred[name] = role
    declared, _ = declared_roles(roles, list(schema.names))
    for name, role in declared.items():
        dtype = schema[name]
        numeric = dtype.is_numeric() or dtype.is_boolean()
        dated = dtype.is_timestamp() or dtype.is_date()
        fits = {Role.METRIC: numeric, Role.FLAG: numeric, Role.DATE: dated, Role.DIMENSION: True, Role.ID: True}[role]
        if not fits:
            raise XlsegError(f"'{name}' is stored as {dtype} in {source.backend}, so it cannot be a {role.value} "
                             f"column; cast it in the query, or read the file with engine pandas")
        inferred[name] = role
    return inferred


@dataclass
class GroupedUnits:
    """Groups of rows sharing every dimension key, aggregated by the source's engine (see the module docstring).

    Implements :class:`xlseg.engine.units.Units`.
    """

    source: Source
    dimensions: list[Dimension]
    roles: dict[str, Role]
    groups: pd.DataFrame  # one row per unit: keys k0…, n, per-column statistics
    weights: np.ndarray
    unit_segments: list[Segments]
    keys: list[Any]  # Ibis key expression of each dimension
    columns: dict[str, list[str]]  # metric column → its aggregations
    spread: bool
    dirty: set[str]  # float columns holding NaN or ±inf somewhere: aggregated without them
    _levels: dict[tuple[int, ...], pd.DataFrame] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def compute(
        cls,
        source: Source,
        dimensions: Sequence[Dimension],
        metrics: Sequence[tuple[str, str]],
        *,
        roles: Mapping[str, str] | None = None,
        spread: bool = False,
    ) -> GroupedUnits:
        """Run the facts and groups queries for these dimensions and metrics."""
        dimensions = list(dimensions)
        for name in [d.column for d in dimensions] + [c for c, _ in metrics]:
            if name not in source.columns:
                raise column_not_found(name, source.columns)
        role_of = schema_roles(source, roles)
        columns: dict[str, list[str]] = {}
        for column, agg in metrics:
            columns.setdefault(column, []).append(agg)
        _rates_as_flags(source, role_of, columns, roles or {})
        for column, aggs in columns.items():
            for agg in aggs:
                check_aggregation(column, role_of[column], agg)
        table = source.table
        facts = _bin_facts(source, dimensions)
        keys = [_key(source, d, facts.get(i)) for i, d in enumerate(dimensions)]
        named = {f"k{i}": key for i, key in enumerate(keys)}
        def groups_query(clean: set[str]) -> pd.DataFrame:
            def aggregates(quantiles: bool) -> dict[str, Any]:
                out = {"n": table.count()}
                for j, (column, aggs) in enumerate(columns.items()):
                    out.update(_column_aggregates(table, column, role_of[column], aggs, f"c{j}", spread,
                                                  column in clean, quantiles=quantiles))
                return out

            asked = _quantiles_asked(table, columns, role_of, clean)
            return _grouped(source, named, aggregates, asked)

        # Floats are read as they are first (NaN/±inf cleaning costs every row); a value that is not finite
        # shows in its group's sum (NaN and infinities propagate), and then the columns concerned are cleaned.
        groups = groups_query(set())
        dirty = {column for j, column in enumerate(columns) if f"c{j}_s" in groups and _not_finite(groups, f"c{j}")}
        if dirty:
            groups = groups_query(dirty)
        weights = groups["n"].to_numpy(dtype=np.int64)
        segments = [
            segment_groups(groups[f"k{i}"], d, weights, facts.get(i)) for i, d in enumerate(dimensions)
        ]
        return cls(source, dimensions, role_of, groups, weights, segments, keys, columns, spread, dirty)

    @property
    def count(self) -> int:
        """Groups returned by the engine."""
        return len(self.groups)

    def users(self) -> int:
        """Rows behind all groups."""
        return int(self.weights.sum())

    def segments(self) -> list[Segments]:
        """Each dimension's segments over the groups."""
        return self.unit_segments

    def sizes(self, ids: np.ndarray, size: int) -> np.ndarray:
        """Users per group id (weighted by the rows behind each unit)."""
        return np.bincount(ids, self.weights, size).astype(np.int64)

    def check(self, column: str, agg: str) -> None:
        """:func:`check_aggregation` with the engine's roles."""
        check_aggregation(column, self.roles[column], agg)

    def metric_role(self, column: str, aggs: Sequence[str]) -> Role:
        """The engine's role of ``column`` (its stored type decides it)."""
        return self.roles[column]

    @property
    def formats(self) -> dict[str, str]:
        """No input format: an engine's columns are typed, not percent text."""
        return {}

    def aggregate(
        self, column: str, aggs: list[str], groupings: list[Grouping], *, spread: bool, sizes: np.ndarray
    ) -> list[ColumnResult]:
        """Additive statistics rolled up from the units; quantiles and distinct counts from the engine."""
        prefix = f"c{list(self.columns).index(column)}"
        results = [ColumnResult({}, None) for _ in groupings]
        finest = groupings[0]
        assert finest.row_ids is not None
        unit_ids = finest.row_ids()
        additive = [a for a in aggs if a in ADDITIVE]
        if additive:
            g = self.groups
            count = g[f"{prefix}_n"].to_numpy(dtype=float, na_value=0.0)
            total = g[f"{prefix}_s"].to_numpy(dtype=float, na_value=0.0) if f"{prefix}_s" in g else np.zeros(len(g))
            units = Moments(count, total)
            if spread and f"{prefix}_v" in g:
                units.m2 = g[f"{prefix}_v"].to_numpy(dtype=float, na_value=0.0) * count
            if f"{prefix}_min" in g:
                units.minimum = g[f"{prefix}_min"].to_numpy(dtype=float, na_value=np.nan)
                units.maximum = g[f"{prefix}_max"].to_numpy(dtype=float, na_value=np.nan)
            add_moments(results, units.rollup(unit_ids, finest.size), additive, groupings)
        ordered = [a for a in aggs if percentile_of(a) is not None or a == "nunique"]
        if not ordered:
            return results
        one_to_one = np.unique(unit_ids).size == len(unit_ids)
        for grouping, result in zip(groupings, results, strict=True):
            ids = unit_ids if grouping.from_finest is None else grouping.from_finest[unit_ids]
            if grouping.from_finest is None and one_to_one:
                frame, group_ids = self.groups, ids
            else:
                frame = self._level(grouping.dims)
                group_ids = self._group_ids(frame, grouping.dims, ids)
            for agg in ordered:
                values = np.full(grouping.size, np.nan)
                values[group_ids] = frame[f"{prefix}_{_agg_name(agg)}"].to_numpy(dtype=float, na_value=np.nan)
                if agg == "nunique":
                    values = np.nan_to_num(values)
                result.values[agg] = values
        return results

    def _level(self, dims: tuple[int, ...]) -> pd.DataFrame:
        """Order statistics (quantiles, distinct counts) of every column, grouped by the (top-N folded) keys of
        ``dims``: one query per level, cached."""
        with self._lock:
            if dims not in self._levels:
                table = self.source.table
                named: dict[str, Any] = {}
                for i in dims:
                    kept = self._kept(i)
                    if kept is None:
                        named[f"k{i}"] = self.keys[i]
                    else:  # a top-N dimension: the folded key, plus whether the row is in "Other"
                        key = self.keys[i]
                        named[f"k{i}"] = _fold(key, kept)
                        named[f"o{i}"] = key.notnull() & ~key.isin(kept) if kept else key.notnull()
                ordered = {column: [a for a in aggs if percentile_of(a) is not None or a == "nunique"]
                           for column, aggs in self.columns.items()}

                def aggregates(quantiles: bool) -> dict[str, Any]:
                    out: dict[str, Any] = {"n": table.count()}
                    for j, (column, aggs) in enumerate(ordered.items()):
                        out.update(_column_aggregates(table, column, self.roles[column], aggs, f"c{j}", False,
                                                      column in self.dirty, quantiles=quantiles))
                    return out

                asked = _quantiles_asked(table, ordered, self.roles, self.dirty)
                self._levels[dims] = _grouped(self.source, named, aggregates, asked)
            return self._levels[dims]

    def _kept(self, i: int) -> list[Any] | None:
        """For a dimension folded by top-N: the keys kept (not in "Other"); None when nothing is folded."""
        dimension, segments = self.dimensions[i], self.unit_segments[i]
        if dimension.top is None or OTHER_LABEL not in segments.labels:
            return None
        other = segments.labels.index(OTHER_LABEL)
        missing = len(segments.labels) - 1 if segments.missing else -1
        codes = segments.codes
        keys = self.groups[f"k{i}"]
        kept = keys[(codes != other) & (codes != missing)]
        return [_plain(v) for v in pd.unique(kept)]

    def _group_ids(self, frame: pd.DataFrame, dims: tuple[int, ...], unit_group: np.ndarray) -> np.ndarray:
        """The group id of each row of a level's result, found through the units with the same segments."""
        if not dims:
            return np.zeros(len(frame), dtype=np.int64)
        lookup: dict[tuple[int, ...], int] = {}
        for u in range(self.count):
            lookup[tuple(int(self.unit_segments[i].codes[u]) for i in dims)] = int(unit_group[u])
        code_of = [self._code_map(i) for i in dims]
        ids = np.empty(len(frame), dtype=np.int64)
        for r in range(len(frame)):
            codes = []
            for i, mapping in zip(dims, code_of, strict=True):
                segments = self.unit_segments[i]
                if f"o{i}" in frame and bool(frame[f"o{i}"].iat[r]):
                    codes.append(segments.labels.index(OTHER_LABEL))
                else:
                    codes.append(mapping[_plain(frame[f"k{i}"].iat[r])])
            ids[r] = lookup[tuple(codes)]
        return ids

    def _code_map(self, i: int) -> dict[Any, int]:
        keys = self.groups[f"k{i}"]
        codes = self.unit_segments[i].codes
        return {_plain(k): int(c) for k, c in zip(keys, codes, strict=True)}


def _not_finite(groups: pd.DataFrame, prefix: str) -> bool:
    """Whether some group's sum is NaN or infinite although it has values (NULL sums of empty groups and
    NaN sums both arrive as NaN in pandas, so the count tells them apart)."""
    sums = groups[f"{prefix}_s"].to_numpy(dtype=float, na_value=np.nan)
    counts = groups[f"{prefix}_n"].to_numpy(dtype=float, na_value=0.0)
    return bool((~np.isfinite(sums) & (counts > 0)).any())


def _fold(key: Any, kept: list[Any]) -> Any:
    import ibis

    return ibis.ifelse(key.isin(kept), key, ibis.null(key.type())) if kept else ibis.null(key.type())


def _plain(value: Any) -> Any:
    """A hashable, engine-neutral form of a key value (missing values are None)."""
    if value is None or value is pd.NaT or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _agg_name(agg: str) -> str:
    return "u" if agg == "nunique" else f"q{agg}"


def _value(table: Any, column: str, role: Role, clean: bool = True) -> Any:
    """A column as the engine should aggregate it: floats without NaN/±inf (missing, as in memory; ``clean=False``
    when the column is known to hold none), flags as 0/1 numbers, dates as seconds since 1970."""
    import ibis

    expr = table[column]
    dtype = expr.type()
    if role == Role.DATE:
        if dtype.is_date():
            expr = expr.cast("timestamp")
        return expr.epoch_seconds().cast("float64")
    if dtype.is_boolean():
        return expr.cast("float64") if role in (Role.FLAG, Role.METRIC) else expr
    if dtype.is_floating() and clean:
        return ibis.ifelse(expr.isnan() | expr.isinf(), ibis.null("float64"), expr)
    if dtype.is_numeric() and role in (Role.FLAG, Role.METRIC):
        return expr.cast("float64")
    return expr


def _column_aggregates(table: Any, column: str, role: Role, aggs: list[str], prefix: str, spread: bool,
                       clean: bool = True, *, quantiles: bool = True) -> dict[str, Any]:
    """The engine aggregates of one column (``quantiles=False``: without its medians and percentiles, which
    :func:`_window_quantiles` then computes)."""
    value = _value(table, column, role, clean)
    out: dict[str, Any] = {}
    additive = [a for a in aggs if a in ADDITIVE]
    if role not in (Role.DIMENSION, Role.ID) and table[column].type().is_floating():
        out[f"{prefix}_s"] = value.sum()  # also shows a NaN or infinity in the group (see GroupedUnits.compute)
        out[f"{prefix}_n"] = value.count()
    if additive:
        out[f"{prefix}_n"] = value.count()
        if role not in (Role.DIMENSION, Role.ID):
            out[f"{prefix}_s"] = value.sum()
            if spread:
                out[f"{prefix}_v"] = value.var(how="pop")
            if any(a in ("min", "max") for a in additive):
                out[f"{prefix}_min"], out[f"{prefix}_max"] = value.min(), value.max()
    for agg in aggs:
        q = percentile_of(agg)
        if q is not None:
            if role in (Role.DIMENSION, Role.ID) or not quantiles:
                continue
            out[f"{prefix}_{_agg_name(agg)}"] = value.quantile(q)
        elif agg == "nunique":
            out[f"{prefix}_u"] = _value(table, column, Role.DIMENSION if role == Role.FLAG else role, clean).nunique()
    return out


def _quantiles_asked(table: Any, columns: Mapping[str, list[str]], roles: Mapping[str, Role],
                     clean: set[str]) -> list[tuple[Any, dict[str, float]]]:
    """Per metric column with medians or percentiles: its value expression and {result name: q}."""
    asked = []
    for j, (column, aggs) in enumerate(columns.items()):
        if roles[column] in (Role.DIMENSION, Role.ID):
            continue
        wanted = {f"c{j}_{_agg_name(a)}": q for a in aggs if (q := percentile_of(a)) is not None}
        if wanted:
            asked.append((_value(table, column, roles[column], column in clean), wanted))
    return asked


def _grouped(source: Source, named: dict[str, Any], aggregates: Any,
             asked: list[tuple[Any, dict[str, float]]]) -> pd.DataFrame:
    """``aggregates(True)`` grouped by the ``named`` keys in one query; if DuckDB runs out of memory on it and
    quantiles are asked for (or ``source.spill_quantiles`` is set, or the rows × :data:`QUANTILE_BYTES_PER_ROW`
    exceed the memory limit xlseg gave DuckDB), the same without them, then each column's
    quantiles from a sort that spills (:func:`_window_quantiles`), matched back to their groups by the keys."""
    table = source.table

    def run(aggs: dict[str, Any]) -> pd.DataFrame:
        return source.execute(table.group_by(**named).aggregate(**aggs) if named else table.aggregate(**aggs))

    if asked and source.backend == "duckdb" and source.memory_limit and not source.spill_quantiles:
        rows = source.execute(table.aggregate(n=table.count()))["n"].iat[0]
        source.spill_quantiles = int(rows) * QUANTILE_BYTES_PER_ROW > source.memory_limit
    if not (asked and source.spill_quantiles):
        try:
            return run(aggregates(True))
        except XlsegError as error:
            if not (asked and source.backend == "duckdb" and "out of memory" in str(error).lower()):
                raise
            source.spill_quantiles = True  # the other levels' queries go the same way at once
    frame = run(aggregates(False))
    for value, wanted in asked:
        found = source.execute(_window_quantiles(table, named, value, wanted))
        if named:
            frame = frame.merge(found, on=list(named), how="left")  # null keys match null keys
        else:
            for name in wanted:
                frame[name] = found[name].iat[0] if len(found) else np.nan
    return frame


def _window_quantiles(table: Any, named: dict[str, Any], value: Any, wanted: dict[str, float]) -> Any:
    """Exact quantiles (``QUANTILE_CONT``, PERCENTILE.INC) of ``value`` per group of the ``named`` keys from a
    window over the sorted values, which DuckDB spills to disk (``QUANTILE_CONT`` keeps each group's values in
    memory): the non-missing values are numbered in order (i = 0…n−1) and, for ``h = (n − 1)·q``, the values at
    ``floor(h)`` and ``ceil(h)`` interpolated as DuckDB does: ``lo + (h − floor(h))·(hi − lo)``."""
    import ibis

    rows = table.select(**named, _x=value)
    rows = rows.filter(rows._x.notnull())
    keys = [rows[k] for k in named]
    rows = rows.mutate(_i=ibis.row_number().over(group_by=keys, order_by=rows._x),
                       _n=rows._x.count().over(group_by=keys))

    def h(n: Any, q: float) -> Any:
        return (n - 1).cast("float64") * q

    hits = [(rows._i == h(rows._n, q).floor()) | (rows._i == h(rows._n, q).ceil()) for q in wanted.values()]
    rows = rows.filter(ibis.or_(*hits))
    ends: dict[str, Any] = {"_n": rows._n.max()}
    for name, q in wanted.items():
        ends[f"{name}_lo"] = rows._x.max(where=rows._i == h(rows._n, q).floor())
        ends[f"{name}_hi"] = rows._x.max(where=rows._i == h(rows._n, q).ceil())
    found = rows.group_by(list(named)).aggregate(**ends) if named else rows.aggregate(**ends)
    out = {}
    for name, q in wanted.items():
        at = h(found._n, q)
        lo, hi = found[f"{name}_lo"], found[f"{name}_hi"]
        out[name] = lo + (at - at.floor()) * (hi - lo)
    return found.select(*named, **out)


def _rates_as_flags(source: Source, roles: dict[str, Role], columns: dict[str, list[str]],
                    declared: Mapping[str, str]) -> None:
    """A numeric column asked for as a rate is a flag when every value is 0 or 1 (one exact query), as
    :func:`xlseg.io.load.rates_as_flags` does in memory."""
    table = source.table
    candidates = [c for c, aggs in columns.items() if "rate" in aggs and roles[c] == Role.METRIC and c not in declared]
    if not candidates:
        return
    checks = {}
    for j, column in enumerate(candidates):
        value = _value(table, column, Role.METRIC)
        checks[f"bad{j}"] = (value.notnull() & ~value.isin([0.0, 1.0])).cast("int64").sum()
        checks[f"n{j}"] = value.count()
    found = source.execute(table.aggregate(**checks))
    for j, column in enumerate(candidates):
        if int(found[f"bad{j}"].iat[0] or 0) == 0 and int(found[f"n{j}"].iat[0] or 0) > 0:
            roles[column] = Role.FLAG


def _bin_facts(source: Source, dimensions: list[Dimension]) -> dict[int, tuple[list[Any], bool]]:
    """Bins of every numerically binned dimension, from one exact query over the finite values."""
    table = source.table
    binned = [(i, d) for i, d in enumerate(dimensions) if d.binning is not None and d.binning.kind != "period"]
    if not binned:
        return {}
    schema = table.schema()
    aggregates: dict[str, Any] = {}
    asked: list[tuple[Any, dict[str, float]]] = []
    for i, d in binned:
        dtype = schema[d.column]
        if not dtype.is_numeric() or dtype.is_boolean():
            what = "custom bin edges need" if d.binning.kind == "edges" else f"'{d.binning.to_text()}' bins need"
            raise XlsegError(f"{what} a number column; '{d.column}' is stored as {dtype} in {source.backend}")
        value = _value(table, d.column, Role.METRIC)
        aggregates[f"n{i}"] = value.count()
        aggregates[f"lo{i}"], aggregates[f"hi{i}"] = value.min(), value.max()
        aggregates[f"frac{i}"] = (value != value.round()).cast("int64").sum()
        aggregates[f"abs{i}"] = value.abs().max()
        if d.binning.kind == "quantile":
            cuts = {f"q{i}_{k}": q for k, q in enumerate(np.linspace(0, 1, (d.binning.count or 4) + 1).tolist())}
            asked.append((value, cuts))
    quantiles = {name: value.quantile(q) for value, cuts in asked for name, q in cuts.items()}
    row = _grouped(source, {}, lambda with_quantiles: aggregates | (quantiles if with_quantiles else {}),
                   asked).iloc[0]
    facts = {}
    for i, d in binned:
        if int(row[f"n{i}"] or 0) == 0:
            facts[i] = ([], False)
            continue
        cuts = None
        if d.binning.kind == "quantile":
            cuts = np.array([float(row[f"q{i}_{k}"]) for k in range((d.binning.count or 4) + 1)])
        integers = int(row[f"frac{i}"]) == 0 and float(row[f"abs{i}"]) < LONG_NUMBER
        bin_facts = BinFacts(cuts, float(row[f"lo{i}"]), float(row[f"hi{i}"]), integers)
        facts[i] = (make_bins(d.binning, bin_facts), integers)
    return facts


def _key(source: Source, dimension: Dimension, bins: tuple[list[Any], bool] | None) -> Any:
    """The engine expression of a dimension's key: its value, its period's start, or its bin index."""
    import ibis

    table = source.table
    binning = dimension.binning
    column = table[dimension.column]
    dtype = column.type()
    if binning is not None and binning.kind == "period":
        if not (dtype.is_timestamp() or dtype.is_date()):
            raise XlsegError(f"'{binning.period}' bins need a date column; '{dimension.column}' is stored as {dtype} "
                             f"in {source.backend}")
        stamp = column.cast("timestamp") if dtype.is_date() else column
        return stamp.truncate(_PERIOD_UNITS[binning.period or "month"])
    if bins is not None:
        edges, _ = bins
        value = _value(table, dimension.column, Role.METRIC)
        if not edges:
            return ibis.null("int64")
        index = sum(
            ((value > b.high) | ((value == b.high) & ibis.literal(not b.high_closed))).cast("int64") for b in edges
        )
        return ibis.ifelse(value.isnull(), ibis.null("int64"), ibis.least(index, len(edges) - 1))
    if dtype.is_floating():
        return ibis.ifelse(column.isnan() | column.isinf(), ibis.null("float64"), column)
    return column


@dataclass
class Profile:
    """Exact facts about a source's columns for a report's Summary and choices (one query)."""

    rows: int
    missing: dict[str, int]
    distinct: dict[str, int]
    typical: dict[str, np.ndarray]  # numeric columns: values that give the same number format as all values


def profile(source: Source, roles: Mapping[str, Role], columns: Sequence[str]) -> Profile:
    """Rows, missing and distinct values per column, and each numeric column's typical size (exact)."""
    table = source.table
    aggregates: dict[str, Any] = {"rows": table.count()}
    asked: list[tuple[Any, dict[str, float]]] = []
    for j, column in enumerate(columns):
        value = _value(table, column, roles[column]) if roles[column] != Role.DATE else table[column]
        aggregates[f"n{j}"] = value.count()
        aggregates[f"u{j}"] = value.nunique()
        if roles[column] == Role.METRIC:
            aggregates[f"frac{j}"] = (value != value.round()).cast("int64").sum()
            asked.append((value.abs(), {f"typ{j}": 0.5}))
    medians = {name: value.median() for value, wanted in asked for name in wanted}
    row = _grouped(source, {}, lambda with_medians: aggregates | (medians if with_medians else {}), asked).iloc[0]
    rows = int(row["rows"])
    missing = {c: rows - int(row[f"n{j}"]) for j, c in enumerate(columns)}
    distinct = {c: int(row[f"u{j}"]) for j, c in enumerate(columns)}
    typical = {}
    for j, column in enumerate(columns):
        if roles[column] == Role.METRIC:
            whole = int(row[f"frac{j}"] or 0) == 0
            size = row[f"typ{j}"]
            size = float(size) if size is not None and size == size else np.nan
            # decimals_format reads the median of |values| and whether all are whole: these give the same
            typical[column] = np.array([1.0]) if whole else np.array([size, size, size + 0.5])
    return Profile(rows, missing, distinct, typical)
