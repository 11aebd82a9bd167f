"""Why an overall number differs between two groups: Kitagawa's rate/mix decomposition of the gap.

With segment shares ``w`` and segment values ``r`` (rates or means) in groups A and B, and overall values
``R = Σ w·r``, Kitagawa (E. M. Kitagawa, "Components of a difference between two rates", JASA 50, 1955)
splits the gap exactly, with no residual:

    R_B − R_A = Σ (r_B − r_A)·(w_A + w_B)/2   [rate effect: the segments behave differently]
              + Σ (w_B − w_A)·(r_A + r_B)/2   [mix effect: the groups are made of different segments]

Shares are of the users with a metric value (what the overall value averages over). A segment present in
only one group has no value in the other; it contributes to the mix effect only (its missing value is taken
equal to the other group's, so its rate term is 0 and its mix term is its whole ``w·r``). When the overall gap
and the rate effect have opposite signs the comparison reverses within segments — Simpson's paradox — and
the result says so in one sentence.

Two steps, like the scan: per-(group, segment) count, sum and m2 from one pass over combined codes
(:func:`group_statistics`), then :func:`decompose` from those statistics only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import special

from xlseg.engine.auto import default_bins
from xlseg.engine.binning import Segments, segment
from xlseg.engine.breakdowns import metric_name
from xlseg.engine.kernels import Moments
from xlseg.engine.measures import numeric_values
from xlseg.engine.units import check_metric
from xlseg.errors import XlsegError, column_not_found
from xlseg.insight.common import GapStatistics, check_gap_metric, halves, label_code
from xlseg.insight.scan import parse_scan_metric
from xlseg.io.load import load_table, rates_as_flags
from xlseg.schema import Role, Table, totals_label
from xlseg.spec import Dimension, column_of, parse_by, parse_dimension

GROUP_COLUMN = "group"  # the group column when two tables are compared


def gap(
    data: object,
    *args: object,
    between: object = None,
    names: Sequence[str] = ("before", "after"),
    bins: Mapping[str, object] | None = None,
    top: int | None = None,
    confidence: float = 0.95,
    roles: Mapping[str, str] | None = None,
    engine: str = "auto",
    memory_limit: str | None = None,
) -> pd.DataFrame:
    """Split the gap in a metric between two groups into a rate effect and a mix effect (Kitagawa 1955).

    Two forms::

        gap(data, "department", "admitted:rate", between=("gender", "Male", "Female"))   # one table
        gap(before, after, "plan", "converted:rate")                                       # two tables

    Args:
        data: the table (first form) or the first of two tables (second form): a DataFrame, Excel range values,
            a file path or a :class:`~xlseg.schema.Table`.
        args: ``by, metric`` (first form) or ``after, by, metric`` (second form). ``by`` is one column (a name
            or a dimension dict; numbers with many values in quartiles, dates by month, as auto mode does);
            ``metric`` is ``"column:rate"`` / ``"column:mean"`` or a column name.
        between: ``(column, a, b)`` or ``"column:a:b"``: the groups A and B are the rows whose ``column``
            reads ``a`` and ``b`` (other rows are left out, with a note).
        names: the labels of the two tables in the second form (default "before", "after").
        bins, top: binning of ``by`` as in :func:`xlseg.breakdown`.
        confidence: the level of the rate effect's interval (shares taken as fixed, normal approximation).
        roles: column role overrides.
        engine, memory_limit: as in :func:`xlseg.breakdown`. The table(s) may also be sources their own engine
            aggregates (a DuckDB relation, ``(connection, "table")``, an Ibis table, a PySpark DataFrame, or
            Parquet/CSV files for DuckDB); per-segment counts and sums are then computed there
            (:mod:`xlseg.insight.pushdown`). Two sources are segmented together; a numeric ``by`` column
            binned by value needs both tables in one source (use ``between=``).

    Returns:
        One row per segment of ``by`` and a Total row: ``segment``, ``share <A>``, ``share <B>``,
        ``<metric> <A>``, ``<metric> <B>``, ``rate effect``, ``mix effect``, ``total`` (rate + mix: the
        segment's part of the gap). ``attrs``: ``a``, ``b``, ``by``, ``metric``, ``overall_a``, ``overall_b``,
        ``gap``, ``rate_effect``, ``mix_effect``, ``rate_effect_lo`` / ``rate_effect_hi``, ``simpson`` (the gap
        and the rate effect have opposite signs), ``explanation`` (one plain sentence) and ``notes``.
    """
    if between is not None:
        if len(args) != 2:
            raise XlsegError("gap(data, by, metric, between=(column, a, b)) takes by and metric after the data")
        by, metric = args
        column, a, b = parse_between(between)
        return _one_table(data, by, metric, column, a, b, bins, top, confidence, roles, engine, memory_limit)
    if len(args) != 3:
        raise XlsegError("say which groups to compare: gap(data, by, metric, between=(column, a, b)) or "
                         "gap(before, after, by, metric)")
    after, by, metric = args
    if len(names) != 2 or str(names[0]) == str(names[1]):
        raise XlsegError("names must be two different labels, e.g. names=('2024', '2025')")
    by_item = _by_item(by)
    column, agg = parse_scan_metric(metric)
    from xlseg.io.sources import open_source

    sources = [open_source(t, engine=engine, memory_limit=memory_limit) for t in (data, after)]
    if sources[0] is not None and sources[1] is not None:
        from xlseg.insight.pushdown import gap_statistics_two

        found = gap_statistics_two(sources, by_item, column, agg, [str(n) for n in names], bins, top, roles)
        return _finish(found, column, GROUP_COLUMN, str(names[0]), str(names[1]), confidence)
    if sources[0] is not None or sources[1] is not None:
        which = next(s for s in sources if s is not None)
        raise XlsegError(f"compare two tables of the same kind: one is a {which.backend} source, the other is read "
                         "into memory; give both as sources (or both as tables in memory)")
    by_column = column_of(by_item)
    tables = [_load(t, roles, [by_column, column], column, agg) for t in (data, after)]
    frames = []
    for label, table in zip(names, tables, strict=True):
        frame = table.frame[[by_column, column]].copy()
        for c in (by_column, column):
            if isinstance(frame[c].dtype, pd.CategoricalDtype):
                frame[c] = frame[c].astype(object)
        frame[GROUP_COLUMN] = str(label)
        frames.append(frame)
    role_a, role_b = tables[0].roles[column], tables[1].roles[column]
    if role_a != role_b:
        raise XlsegError(f"'{column}' is read as {role_a.value} in the first table and {role_b.value} in the second;"
                         " declare its role (roles=...)")
    combined = pd.concat(frames, ignore_index=True)
    combined[GROUP_COLUMN] = combined[GROUP_COLUMN].astype("category")
    table = Table(combined, {by_column: tables[0].roles[by_column], column: role_a, GROUP_COLUMN: Role.DIMENSION},
                  notes=[f"{names[0]}: {n}" for n in tables[0].notes] + [f"{names[1]}: {n}" for n in tables[1].notes])
    return _gap_of(table, by, column, agg, GROUP_COLUMN, str(names[0]), str(names[1]), bins, top, confidence)


def parse_between(between: object) -> tuple[str, str, str]:
    """``(column, a, b)`` from ``("gender", "Male", "Female")`` or ``"gender:Male:Female"``."""
    parts = between.split(":") if isinstance(between, str) else list(between)  # type: ignore[call-overload]
    parts = [str(p).strip() for p in parts]
    if len(parts) != 3 or not all(parts):
        raise XlsegError(f"between '{between}' not understood; write it as COLUMN:A:B, e.g. gender:Male:Female")
    if parts[1] == parts[2]:
        raise XlsegError(f"between compares two different groups; '{parts[1]}' is given twice")
    return parts[0], parts[1], parts[2]


def _by_item(by: object) -> object:
    dims = parse_by(by)
    if len(dims) != 1:
        raise XlsegError("the gap is split by one column; give one, e.g. by='department'")
    return dims[0].to_dict()


def _load(data: object, roles: Mapping[str, str] | None, columns: list[str], column: str, agg: str | None) -> Table:
    table = load_table(data, roles=roles, columns=list(dict.fromkeys(columns)))
    if agg == "rate" and column not in (roles or {}):
        table = rates_as_flags(table, [column])
    return table


def _one_table(data: object, by: object, metric: object, group: str, a: str, b: str,
               bins: Mapping[str, object] | None, top: int | None, confidence: float,
               roles: Mapping[str, str] | None, engine: str = "auto", memory_limit: str | None = None
               ) -> pd.DataFrame:
    column, agg = parse_scan_metric(metric)
    by_item = _by_item(by)
    by_column = column_of(by_item)
    if group in (by_column, column):
        raise XlsegError(f"'{group}' names the groups; split the gap by another column than the groups and the metric")
    from xlseg.io.sources import open_source

    source = open_source(data, engine=engine, memory_limit=memory_limit)
    if source is not None:
        from xlseg.insight.pushdown import gap_statistics

        return _finish(gap_statistics(source, by_item, column, agg, group, (a, b), bins, top, roles), column, group,
                       a, b, confidence)
    table = _load(data, roles, [by_column, column, group], column, agg)
    return _gap_of(table, by, column, agg, group, a, b, bins, top, confidence)


def _gap_of(table: Table, by: object, column: str, agg: str | None, group: str, a: str, b: str,
            bins: Mapping[str, object] | None, top: int | None, confidence: float) -> pd.DataFrame:
    for name in (column, group):
        if name not in table.roles:
            raise column_not_found(name, table.roles)
    agg = agg or ("rate" if table.roles[column] == Role.FLAG else "mean")
    check_metric(table, column, agg)
    check_gap_metric(column, agg)
    dimension = parse_dimension(default_bins(_by_item(by), table, bins or {}), bins, top)
    segments = segment(table.frame[dimension.column], dimension)
    groups = segment(table.frame[group], Dimension(group))
    codes = [label_code(groups, label, group) for label in (a, b)]
    in_a, in_b = groups.codes == codes[0], groups.codes == codes[1]
    values = numeric_values(table.frame[column], table.roles[column])
    moments_a, moments_b = group_statistics(segments, values, in_a, in_b)
    found = GapStatistics(moments_a, moments_b, segments, dimension, agg, list(table.notes),
                          int((~(in_a | in_b)).sum()), int(np.isnan(values[in_a | in_b]).sum()))
    return _finish(found, column, group, a, b, confidence)


def _finish(found: GapStatistics, column: str, group: str, a: str, b: str, confidence: float) -> pd.DataFrame:
    """Step 2 and the notes, from the step-1 statistics (in memory or from an engine)."""
    frame = decompose(found.a, found.b, found.segments.labels, metric_name(column, found.agg), found.agg, a, b,
                      confidence)
    notes = list(found.notes)
    if found.left_out:
        notes.append(f"{found.left_out:,} rows with '{group}' neither {a} nor {b} left out.")
    if found.missing:
        notes.append(f"{found.missing:,} rows without a value of '{column}' left out of shares and values.")
    frame.attrs.update(by=found.dimension.column, notes=notes)
    frame.attrs["explanation"] = explain(frame.attrs, found.dimension.column, found.agg)
    return frame


def group_statistics(segments: Segments, values: np.ndarray, in_a: np.ndarray, in_b: np.ndarray
                     ) -> tuple[Moments, Moments]:
    """Step 1: count, sum and m2 of ``values`` per segment in group A and in group B (one pass over
    combined codes: group × segment)."""
    width = max(len(segments.labels), 1)
    keep = in_a | in_b
    ids = np.where(in_b[keep], width, 0) + segments.codes[keep].astype(np.intp)
    return halves(Moments.from_rows(ids, 2 * width, values[keep], spread=True), width)


def decompose(a: Moments, b: Moments, labels: Sequence[str], metric: str, agg: str, name_a: str, name_b: str,
              confidence: float = 0.95) -> pd.DataFrame:
    """Step 2: Kitagawa's rate and mix effects per segment and in total, from per-segment moments only."""
    present = (a.count > 0) | (b.count > 0)
    if a.count.sum() == 0 or b.count.sum() == 0:
        empty = name_a if a.count.sum() == 0 else name_b
        raise XlsegError(f"group '{empty}' has no rows with a value to compare")
    w_a, w_b = a.count / a.count.sum(), b.count / b.count.sum()
    r_a, r_b = a.mean(), b.mean()
    r_a, r_b = np.where(np.isnan(r_a), r_b, r_a), np.where(np.isnan(r_b), r_a, r_b)  # one-group segments: mix only
    rate = (r_b - r_a) * (w_a + w_b) / 2
    mix = (w_b - w_a) * (r_a + r_b) / 2
    overall_a, overall_b = a.total.sum() / a.count.sum(), b.total.sum() / b.count.sum()
    keep = np.flatnonzero(present)
    total_label = totals_label(labels)
    frame = pd.DataFrame({
        "segment": pd.array([*np.asarray(labels, dtype=object)[keep], total_label], dtype="str"),
        f"share {name_a}": np.append(w_a[keep], 1.0),
        f"share {name_b}": np.append(w_b[keep], 1.0),
        f"{metric} {name_a}": np.append(np.where(a.count > 0, a.mean(), np.nan)[keep], overall_a),
        f"{metric} {name_b}": np.append(np.where(b.count > 0, b.mean(), np.nan)[keep], overall_b),
        "rate effect": np.append(rate[keep], rate.sum()),
        "mix effect": np.append(mix[keep], mix.sum()),
        "total": np.append((rate + mix)[keep], overall_b - overall_a),
    })
    lo, hi = _rate_interval(a, b, w_a, w_b, agg, confidence, float(rate.sum()))
    frame.attrs.update(a=name_a, b=name_b, metric=metric, agg=agg, overall_a=float(overall_a),
                       overall_b=float(overall_b), gap=float(overall_b - overall_a), rate_effect=float(rate.sum()),
                       mix_effect=float(mix.sum()), rate_effect_lo=lo, rate_effect_hi=hi, confidence=confidence,
                       simpson=bool((overall_b - overall_a) * rate.sum() < 0))
    return frame


def _rate_interval(a: Moments, b: Moments, w_a: np.ndarray, w_b: np.ndarray, agg: str, confidence: float,
                   effect: float) -> tuple[float, float]:
    """Normal interval of the rate effect with the shares taken as fixed: Var = Σ ((w_A+w_B)/2)² (V_A + V_B),
    V the variance of a segment's value (r(1−r)/n for a rate, s²/n for a mean); one-group segments add 0."""
    both = (a.count > 0) & (b.count > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        var_a, var_b = (_variance_of_value(m, agg) for m in (a, b))
        weight = ((w_a + w_b) / 2) ** 2
        variance = float(np.sum(np.where(both, weight * (var_a + var_b), 0.0)))
    z = float(special.ndtri(0.5 + confidence / 2))
    half = z * float(np.sqrt(variance)) if np.isfinite(variance) else float("nan")
    return effect - half, effect + half


def _variance_of_value(m: Moments, agg: str) -> np.ndarray:
    """Sampling variance of each segment's value: r(1−r)/n for a rate, s²/n for a mean."""
    with np.errstate(invalid="ignore", divide="ignore"):
        if agg == "rate":
            r = m.mean()
            return r * (1 - r) / m.count
        return m.variance() / m.count


def explain(facts: Mapping[str, object], by: str, agg: str) -> str:
    """One plain sentence about the gap: the reversal when there is one, else how it splits."""
    a, b = facts["a"], facts["b"]
    gap_, rate, mix = float(facts["gap"]), float(facts["rate_effect"]), float(facts["mix_effect"])  # type: ignore[arg-type]

    def size(x: float) -> str:
        if agg == "rate":
            points = abs(x) * 100
            return f"{points:.1f} point{'' if round(points, 1) == 1 else 's'}"
        return f"{abs(x):,.3g}"

    def side(x: float) -> str:
        return "above" if x > 0 else "below"

    if gap_ == 0:
        return f"Overall {b} and {a} are equal; within {by} segments {b} is {size(rate)} {side(rate)} {a}."
    if facts.get("simpson"):
        return (f"Overall {b} is {size(gap_)} {side(gap_)} {a}, but within {by} segments {b} is {size(rate)} "
                f"{side(rate)}; the whole gap comes from the mix of {by} segments in {b} (mix effect "
                f"{'+' if mix >= 0 else '−'}{size(mix)}).")
    return (f"Overall {b} is {size(gap_)} {side(gap_)} {a}: {size(rate)} {'of it' if rate * gap_ > 0 else 'against it'}"
            f" from different values within {by} segments (rate effect) and {size(mix)} "
            f"{'of it' if mix * gap_ > 0 else 'against it'} from a different mix of {by} segments (mix effect).")


__all__ = ["decompose", "explain", "gap", "group_statistics", "parse_between"]
