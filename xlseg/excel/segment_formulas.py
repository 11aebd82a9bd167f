"""The segmentation formulas: SEG_BREAKDOWN, SEG_CROSSTAB, SEG_COMPARE, SEG_BINS and SEG_PROFILE."""

from __future__ import annotations

from typing import Any

from xlseg.engine.binning import segment
from xlseg.engine.breakdowns import breakdown, metric_name
from xlseg.engine.crosstabs import crosstab
from xlseg.errors import XlsegError, column_not_found
from xlseg.excel.args import column_names, is_blank, metrics_text, parse_options
from xlseg.excel.registry import (
    BY_DOC,
    DATA_DOC,
    METRICS_DOC,
    OPTIONS_ARG,
    OPTIONS_DOC,
    TABLE_ARG,
    Param,
    formula,
    spill,
)
from xlseg.io.load import load_table
from xlseg.schema import Role, Table
from xlseg.spec import NUMERIC_BINS, normalize_aggregation, parse_bins, parse_dimension

READING_OPTIONS = ("roles", "na_values", "header_row", "tz")  # how the range is read (load_table's keywords)
BREAKDOWN_OPTIONS = ("bins", "top", "min_size", "sort", "ascending", "confidence", "intervals", "compare",
                     "subtotals", *READING_OPTIONS)
CROSSTAB_OPTIONS = ("bins", "top", "totals", *READING_OPTIONS)
COMPARE_OPTIONS = ("bins", "top", "min_size", "sort", "ascending", "confidence", *READING_OPTIONS)
PROFILE_OPTIONS = READING_OPTIONS
COMPARE_MIN_SIZE = 30  # segments smaller than this are flagged in SEG_COMPARE unless min_size says otherwise


@formula(Param("data", DATA_DOC, TABLE_ARG), Param("by", BY_DOC), Param("metrics", METRICS_DOC),
         Param("options", OPTIONS_DOC, OPTIONS_ARG))
def SEG_BREAKDOWN(data: Any, by: Any, metrics: Any = None, options: Any = None) -> Any:  # noqa: N802 - Excel name
    """One row per segment of the BY columns with users, share and your metrics, then a Total row.
    Example: =SEG_BREAKDOWN(A1:I501, "device", "converted:rate"). Options add intervals, lift and
    p-values (compare), bins (bins=age:q4) and Top-N + Other (top=5).
    """
    settings = parse_options(options).engine_kwargs(BREAKDOWN_OPTIONS, "SEG_BREAKDOWN")
    frame = breakdown(data, column_names(by, "by"), metrics_text(metrics), **settings)
    return spill(frame, "No segments: the table has no rows to segment.")


@formula(
    Param("data", DATA_DOC, TABLE_ARG),
    Param("rows", 'Column(s) whose segments become the rows, e.g. "geography".'),
    Param("columns", 'Column(s) whose segments become the columns, e.g. "device".'),
    Param("value", "Optional. Column to aggregate in each cell; leave empty to count users."),
    Param("agg", "Optional. count, sum, mean, median, rate, min, max, nunique or p1-p99. "
          "Default: count, or mean (rate for a yes/no column) when a value is given."),
    Param("normalize", 'Optional. "row", "column" or "all" to show shares of the row, column or grand total.'),
    Param("options", 'Optional. Settings, e.g. "bins=age:q4; top=5; totals=no".', OPTIONS_ARG),
)
def SEG_CROSSTAB(  # noqa: N802 - Excel name
    data: Any, rows: Any, columns: Any, value: Any = None, agg: Any = None, normalize: Any = None,
    options: Any = None,
) -> Any:
    """The pivot of ROWS by COLUMNS (users, or AGG of VALUE in each cell) with a Total row and column
    computed from the data. Example: =SEG_CROSSTAB(A1:I501, "geography", "device", , , "row").
    """
    settings = parse_options(options).engine_kwargs(CROSSTAB_OPTIONS, "SEG_CROSSTAB")
    row_names, column_list = column_names(rows, "rows"), column_names(columns, "columns")
    value_name = None if is_blank(value) else column_names(value, "value")[0]
    how = None if is_blank(normalize) else str(normalize).strip().lower()
    needed = row_names + column_list + ([value_name] if value_name else [])
    table = load_table(data, columns=list(dict.fromkeys(needed)), **_reading(settings))
    if is_blank(agg):
        agg_name = "count" if value_name is None else _default_aggregation(table, value_name)
    else:
        agg_name = str(agg).strip()
    frame = crosstab(table, row_names, column_list, value_name, agg_name, how, **settings)
    return spill(frame, "No cells: the table has no rows to cross-tabulate.")


@formula(
    Param("data", DATA_DOC, TABLE_ARG),
    Param("by", BY_DOC),
    Param("metric", 'One metric: "converted" or "converted:rate" (a rate), "session_length:mean" (a mean).'),
    Param("options", 'Optional. Settings, e.g. "min_size=50; confidence=0.9; bins=age:q4; sort=lift".', OPTIONS_ARG),
)
def SEG_COMPARE(data: Any, by: Any, metric: Any, options: Any = None) -> Any:  # noqa: N802 - Excel name
    """Each segment against everyone else for one metric (a mean or a rate): value, confidence interval,
    lift over the overall value, p-value adjusted for many segments (Benjamini-Hochberg) and a flag for
    segments under min_size users (default 30).
    """
    settings = parse_options(options).engine_kwargs(COMPARE_OPTIONS, "SEG_COMPARE")
    settings.setdefault("min_size", COMPARE_MIN_SIZE)
    names = column_names(by, "by")
    column, agg = _one_metric(metric)
    table = _load_for(data, settings, names + [column])
    agg = agg or _default_aggregation(table, column)
    if agg not in ("mean", "rate"):
        raise XlsegError(f"SEG_COMPARE compares means and rates; use {column}:mean or {column}:rate")
    if settings.get("sort") == "lift":
        settings["sort"] = f"{metric_name(column, agg)} lift"
    frame = breakdown(table, names, [(column, agg)], intervals=True, compare=True, **settings)
    return spill(frame, "No segments: the table has no rows to compare.")


@formula(
    Param("values", "The column of values to put into bins, without its header, e.g. D2:D501 or Users[age].",
          TABLE_ARG),
    Param("spec", 'Optional. "q4" (quartiles), "width:10" (bins 10 wide), "equal:5" (5 equal bins), '
          '"edges:18,25,35", "month", "top:5". '
          "Default: q4 for numbers, month for dates, the values themselves for text."),
)
def SEG_BINS(values: Any, spec: Any = None) -> Any:  # noqa: N802 - Excel name
    """The bin label of every value, spilled beside your data in the same shape, so you can add a segment
    column to your own table. Example: =SEG_BINS(D2:D501, "edges:18,25,35") gives <18, 18-24, 25-34, 35+.
    """
    cells, as_row = _one_line(values)
    labels = bin_labels(cells, None if is_blank(spec) else spec)
    return [labels] if as_row else [[label] for label in labels]


@formula(
    Param("data", DATA_DOC, TABLE_ARG),
    Param("options", 'Optional. Declare roles the guess gets wrong, e.g. "roles=signup:date; roles=zip:dimension".',
          OPTIONS_ARG),
)
def SEG_PROFILE(data: Any, options: Any = None) -> Any:  # noqa: N802 - Excel name
    """What xlseg sees in your table: each column's role (dimension, metric, flag, date or id), how many
    cells are filled and missing, how many distinct values it has, and what cleaning did (rows dropped,
    error cells read as missing).
    """
    settings = parse_options(options).engine_kwargs(PROFILE_OPTIONS, "SEG_PROFILE")
    return profile_rows(load_table(data, **_reading(settings)))


# ----------------------------------------------------------------------------------------- helpers

BINS_COLUMN = "values"  # the name SEG_BINS gives the column in its messages


def bin_labels(values: list[object], spec: object = None) -> list[str]:
    """The segment label of each value (blanks get "(missing)"), in input order, for :func:`SEG_BINS`.

    ``spec`` is a bin spec (see :mod:`xlseg.spec`); without one, numbers get quartiles (``q4``), dates
    months and text keeps its (trimmed) labels.
    """
    if not values:
        raise XlsegError("SEG_BINS got no values; give a column of values such as D2:D501")
    if _looks_like_header(values):
        raise XlsegError(f"the first value '{values[0]}' looks like a header; start the range one row lower")
    binning = parse_bins(spec) if spec is not None else None
    roles = {}
    if binning is not None and binning.kind in NUMERIC_BINS:
        roles[BINS_COLUMN] = "metric"
    elif binning is not None and binning.kind == "period":
        roles[BINS_COLUMN] = "date"
    # a position column keeps blank values as rows (a table drops rows that are entirely empty)
    rows: list[list[object]] = [["position", BINS_COLUMN], *([i, v] for i, v in enumerate(values))]
    table = load_table(rows, roles=roles or None, columns=["position", BINS_COLUMN])
    series = table.frame[BINS_COLUMN]
    if len(series) != len(values):
        raise XlsegError("SEG_BINS could not keep one label per value; check the range")
    if spec is None:
        role = table.roles[BINS_COLUMN]
        spec = {Role.METRIC: "q4", Role.DATE: "month"}.get(role)
    dimension = parse_dimension({"column": BINS_COLUMN, "bins": spec})
    segments = segment(series, dimension)
    return [segments.labels[code] for code in segments.codes.tolist()]


def _one_line(values: Any) -> tuple[list[object], bool]:
    """The cells of a one-column or one-row range, and whether it was a row."""
    if not isinstance(values, list) or not values:
        return ([] if is_blank(values) else [values]), False
    if all(len(row) == 1 for row in values):
        return [row[0] for row in values], False
    if len(values) == 1:
        return list(values[0]), True
    raise XlsegError("SEG_BINS takes one column (or one row) of values, e.g. D2:D501")


def _looks_like_header(values: list[object]) -> bool:
    """A text first cell over numbers or dates only: the user included the header row."""
    first, rest = values[0], [v for v in values[1:] if not is_blank(v)]
    if not isinstance(first, str) or not rest or _is_number_text(first):
        return False
    return all(isinstance(v, int | float) and not isinstance(v, bool) for v in rest)


def _is_number_text(text: str) -> bool:
    try:
        float(text.replace(",", ""))
    except ValueError:
        return False
    return True


PROFILE_HEADER = ["column", "role", "filled", "missing", "distinct"]


def profile_rows(table: Table) -> list[list[object]]:
    """Rows for :func:`SEG_PROFILE`: a header, one row per column, then the row count and cleaning notes."""
    frame = table.frame
    width = len(PROFILE_HEADER)
    rows: list[list[object]] = [list(PROFILE_HEADER)]
    for name, role in table.roles.items():
        missing = int(frame[name].isna().sum())
        rows.append([name, str(role), len(frame) - missing, missing, int(frame[name].nunique(dropna=True))])
    rows.append([""] * width)
    kept = f"{len(frame):,} data rows" + (f" of {table.source_rows:,}" if table.source_rows != len(frame) else "")
    rows.append([kept, *[""] * (width - 1)])
    notes = table.notes or ["no cleaning was needed"]
    rows.extend([f"Note: {note}", *[""] * (width - 1)] for note in notes)
    return rows


def _one_metric(metric: Any) -> tuple[str, str | None]:
    """``(column, aggregation or None)`` from ``"converted"`` or ``"converted:rate"``."""
    text = metrics_text(metric)
    if text is None:
        raise XlsegError('metric is empty; give one column, e.g. "converted:rate"')
    if ";" in text or text.count(",") > 0:
        raise XlsegError("SEG_COMPARE takes one metric, e.g. \"converted:rate\"; use SEG_BREAKDOWN for several")
    column, sep, agg = text.rpartition(":")
    if not sep:
        return text.strip(), None
    return column.strip(), normalize_aggregation(agg)


def _load_for(data: Any, settings: dict[str, Any], columns: list[str]) -> Table:
    """Load only the needed columns once (roles applied), so the role of the metric is known."""
    return load_table(data, columns=list(dict.fromkeys(columns)), **_reading(settings))


def _reading(settings: dict[str, Any]) -> dict[str, Any]:
    """Take the options that say how to read the range (roles, na, header_row, tz) out of ``settings``."""
    return {key: settings.pop(key) for key in READING_OPTIONS if key in settings}


def _default_aggregation(table: Table, column: str) -> str:
    """``rate`` for a yes/no (flag) column, ``mean`` otherwise."""
    if column not in table.roles:
        raise column_not_found(column, table.roles)
    return "rate" if table.roles[column] == Role.FLAG else "mean"
