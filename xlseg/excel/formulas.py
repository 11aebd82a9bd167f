"""The SEG_* formulas, written once for every Excel face: one registry from which the faces are made.

Two faces show these formulas in Excel:

* :mod:`xlseg.excel.udfs` — the classic xlwings add-in (Windows desktop Excel, VBA wrappers made by
  *Import Functions*);
* :mod:`xlseg.excel.officejs` — Office.js custom functions for xlwings Lite (Excel on Mac, on the web and
  on Windows, Python in the browser through Pyodide) and xlwings Server.

Both are generated from :data:`FORMULAS`: the formula's body (argument parsing, the call into the engine,
what spills, the message for an empty result and for any error), its arguments with their descriptions
and converter options, and its description. A face only applies its own xlwings decorators to a fresh
copy of each registered function, so the names, arguments, descriptions, options text and results are
the same by construction.

**Adding a formula** is one change, here: write the body as a plain function named like the Excel
function (``SEG_…``), with one :class:`Param` per argument, and decorate it with :func:`formula`::

    @formula(Param("data", DATA_DOC, TABLE_ARG), Param("by", BY_DOC))
    def SEG_SOMETHING(data: Any, by: Any) -> Any:
        \"\"\"What it returns, in one or two sentences (Excel shows this as the description).\"\"\"
        return spill(engine_call(data, column_names(by, "by")), "No segments: ...")

Both faces then have it (``tests/test_officejs.py`` checks that their names are equal).

Results: a table comes back as plain cell rows (:func:`spill`): the header, then one row per record,
missing values as ``None`` (an empty cell in both faces), numpy scalars as Python numbers and
timestamps as ``datetime``. Any problem comes back as one sentence (:func:`excel_errors`).
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from xlseg.engine.binning import segment
from xlseg.engine.breakdowns import breakdown, metric_name
from xlseg.engine.crosstabs import crosstab
from xlseg.errors import XlsegError, column_not_found
from xlseg.excel.args import column_names, error_texts, is_blank, metrics_text, parse_options, sentence
from xlseg.excel.behavior_args import (
    ACTIVITY_OPTIONS,
    ENGAGEMENT_OPTIONS,
    EVENTS_DOC,
    LIFECYCLE_OPTIONS,
    PERIOD_DOC,
    RETENTION_OPTIONS,
    RFM_OPTIONS,
    TIME_DOC,
    USER_DOC,
    behavior_options,
    column,
    events_table,
    period_text,
    plain,
)
from xlseg.io.load import load_table
from xlseg.schema import Role, Table
from xlseg.spec import normalize_aggregation, parse_bins, parse_dimension

logger = logging.getLogger(__name__)

#: How a table argument is read: a 2-D list of values, errors as their text ("#N/A") so they are counted.
TABLE_ARG = {"ndim": 2, "err_to_str": True}
#: Options are read as a 2-D block so that a key/value row is never confused with two text entries.
OPTIONS_ARG = {"ndim": 2}

DATA_DOC = "The table: a range or Excel Table with the header row on top, e.g. A1:I501 or Users[#All]."
BY_DOC = 'Column(s) to segment by: "geography", "geography, device", or a range of column names.'
METRICS_DOC = 'Optional. What to measure, e.g. "session_length:mean,median; converted:rate", or a range of such texts.'
OPTIONS_DOC = (
    'Optional. Settings as text, e.g. "min_size=30; compare; intervals; bins=age:q4; top=5; sort=users", '
    "or a two-column range of names and values."
)

BREAKDOWN_OPTIONS = ("bins", "top", "min_size", "sort", "ascending", "confidence", "intervals", "compare",
                     "subtotals", "roles")
CROSSTAB_OPTIONS = ("bins", "top", "roles", "totals")
COMPARE_OPTIONS = ("bins", "top", "min_size", "sort", "ascending", "confidence", "roles")
PROFILE_OPTIONS = ("roles",)
COMPARE_MIN_SIZE = 30  # segments smaller than this are flagged in SEG_COMPARE unless min_size says otherwise


# ----------------------------------------------------------------------------------------- the registry


@dataclass(frozen=True)
class Param:
    """One argument of a formula: its name, the description Excel shows, and xlwings converter options."""

    name: str
    doc: str
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Formula:
    """A registered formula: its cell-safe body and its arguments, in order."""

    name: str
    body: Callable[..., Any]
    params: tuple[Param, ...]

    @property
    def doc(self) -> str:
        """The description Excel shows (the docstring as one paragraph)."""
        return self.body.__doc__ or ""

    def face(self, module: str) -> Callable[..., Any]:
        """A fresh function object for a face module to decorate (xlwings stores its metadata on it).

        It has the body's name, signature (through ``__wrapped__``), docstring and type hints, and
        belongs to ``module``, so that xlwings finds it there by name.
        """
        body = self.body

        @functools.wraps(body)
        def face(*args: Any) -> Any:
            return body(*args)

        face.__module__ = module
        face.__qualname__ = self.name
        return face


#: Every formula, by its Excel name, in the order they were defined. Both faces are made from this.
FORMULAS: dict[str, Formula] = {}


def formula(*params: Param) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a formula body under its function name (see the module docstring).

    The body is made cell-safe (:func:`excel_errors`) and returned, so it stays callable from Python.

    Raises:
        ValueError: when the parameters don't name the function's arguments in order, or the name is taken.
    """

    def register(body: Callable[..., Any]) -> Callable[..., Any]:
        import inspect

        names = list(inspect.signature(body).parameters)
        if names != [p.name for p in params]:
            raise ValueError(f"{body.__name__}: Param names {[p.name for p in params]} must be {names}")
        if body.__name__ in FORMULAS:
            raise ValueError(f"formula {body.__name__} is registered twice")
        safe = excel_errors(body)
        FORMULAS[body.__name__] = Formula(body.__name__, safe, params)
        return safe

    return register


def excel_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Make ``func`` safe to call from a cell: every exception becomes one short sentence.

    Error cells xlwings leaves as COM codes become their text first (:func:`~xlseg.excel.args.error_texts`).
    An :class:`~xlseg.errors.XlsegError` shows its own message; anything else shows a generic sentence
    naming the function (the traceback goes to the log, never into the cell). The docstring is folded
    into one paragraph, because Excel's function wizard shows it as the description.
    """

    @functools.wraps(func)
    def wrapper(*args: Any) -> Any:
        try:
            return func(*(error_texts(arg) for arg in args))
        except XlsegError as exc:
            return sentence(str(exc))
        except Exception as exc:  # noqa: BLE001 - a formula must never raise into Excel
            logger.exception("%s failed", func.__name__)
            return f"{func.__name__} failed unexpectedly ({type(exc).__name__}); check the arguments."

    wrapper.__doc__ = " ".join((func.__doc__ or "").split())
    return wrapper


def spill(frame: pd.DataFrame, empty_message: str) -> list[list[object]] | str:
    """The cells a result table spills into (header row first), or a message when there is nothing to show.

    Missing values become ``None`` (an empty cell; Office.js would show NaN as ``#NUM!``), numpy scalars
    Python numbers, timestamps ``datetime``: values every face writes the same way.
    """
    if frame.empty:
        return empty_message
    header: list[object] = [_cell(name) for name in frame.columns]
    body = frame.astype(object).where(frame.notna(), None).to_numpy().tolist()
    return [header, *([_cell(value) for value in row] for row in body)]


def _cell(value: object) -> object:
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if hasattr(value, "item") and not isinstance(value, str | dt.datetime):
        return value.item()  # a numpy scalar left in an object column
    return value


# ----------------------------------------------------------------------------------------- the formulas


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
    table = load_table(data, roles=settings.pop("roles", None),
                       columns=list(dict.fromkeys(row_names + column_list + ([value_name] if value_name else []))))
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
    Param("spec", 'Optional. "q4" (quartiles), "width:5" (5 equal bins), "edges:18,25,35", "month", "top:5". '
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
    return profile_rows(load_table(data, roles=settings.get("roles")))


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
    if binning is not None and binning.kind in ("quantile", "width", "edges"):
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
    return load_table(data, roles=settings.pop("roles", None), columns=list(dict.fromkeys(columns)))


def _default_aggregation(table: Table, column: str) -> str:
    """``rate`` for a yes/no (flag) column, ``mean`` otherwise."""
    if column not in table.roles:
        raise column_not_found(column, table.roles)
    return "rate" if table.roles[column] == Role.FLAG else "mean"


# ----------------------------------------------------------------------------------------- behaviour (activity tables)
# Bodies only; arguments, options and docs in xlseg.excel.behavior_args, the analyses in xlseg.behavior.


@formula(Param("events", EVENTS_DOC, TABLE_ARG), Param("user", USER_DOC), Param("time", TIME_DOC),
         Param("period", PERIOD_DOC),
         Param("options", 'Optional. "mode=on_or_after; counts; as_of=2024-07-01; by=device".', OPTIONS_ARG))
def SEG_RETENTION(events: Any, user: Any = None, time: Any = None, period: Any = None,  # noqa: N802
                  options: Any = None) -> Any:
    """Cohort retention: one row per cohort (period of first activity) with its users and the share active
    N periods later (Month 0, Month 1, ...; blank when not reached), then an All row (user-weighted mean).
    """
    from xlseg.behavior.retention import retention

    settings = behavior_options(options, RETENTION_OPTIONS, "SEG_RETENTION")
    table = events_table(events, settings)
    frame = retention(table, column(user, "user"), column(time, "time"), period=period_text(period), **settings)
    return spill(frame, "No cohorts: the table has no activity.")


@formula(Param("events", EVENTS_DOC, TABLE_ARG), Param("user", USER_DOC), Param("time", TIME_DOC),
         Param("period", PERIOD_DOC),
         Param("options", 'Optional. "as_of=2024-07-01" (the first day after the data).', OPTIONS_ARG))
def SEG_LIFECYCLE(events: Any, user: Any = None, time: Any = None, period: Any = None,  # noqa: N802
                  options: Any = None) -> Any:
    """Per period: new, returning, resurrecting and dormant users (dormant negative), active users and the
    quick ratio (new + resurrecting) / dormant. active = new + returning + resurrecting.
    """
    from xlseg.behavior.lifecycle import lifecycle

    settings = behavior_options(options, LIFECYCLE_OPTIONS, "SEG_LIFECYCLE")
    table = events_table(events, settings)
    frame = lifecycle(table, column(user, "user"), column(time, "time"), period=period_text(period), **settings)
    return spill(frame, "No periods: the table has no activity.")


@formula(Param("events", EVENTS_DOC, TABLE_ARG), Param("user", USER_DOC), Param("time", TIME_DOC),
         Param("value", 'The amount column (revenue), e.g. "amount".'),
         Param("options", 'Optional. "summary" (one row per segment); "as_of=2024-07-01".', OPTIONS_ARG))
def SEG_RFM(events: Any, user: Any, time: Any, value: Any, options: Any = None) -> Any:  # noqa: N802
    """Per user: recency_days, frequency, monetary, R/F/M scores 1-5 (=1+COUNTIF(cuts,"<"&x) over the
    PERCENTILE.INC 20/40/60/80% cut points) and the segment. Option summary: one row per segment.
    """
    from xlseg.behavior.rfm import rfm, rfm_summary

    settings = behavior_options(options, RFM_OPTIONS, "SEG_RFM")
    summary = settings.pop("summary", False)
    if is_blank(value):
        raise XlsegError('SEG_RFM needs the amount column as its 4th argument, e.g. "amount"')
    table = events_table(events, settings)
    frame = rfm(table, column(user, "user"), column(time, "time"), column(value, "value"), **settings)
    return spill(rfm_summary(frame) if summary else frame, "No users: the table has no activity.")


@formula(Param("events", EVENTS_DOC, TABLE_ARG), Param("user", USER_DOC), Param("time", TIME_DOC),
         Param("window", "Optional. Days before as_of to look at (default 28)."),
         Param("options", 'Optional. "summary" (DAU, WAU, MAU, stickiness); "as_of=2024-07-01".', OPTIONS_ARG))
def SEG_ENGAGEMENT(events: Any, user: Any = None, time: Any = None, window: Any = None,  # noqa: N802
                   options: Any = None) -> Any:
    """The power-user curve: users active on exactly 1, 2, ... days of the window (default 28 days before
    as_of), their share and the share active at least that many days. Option summary: DAU, WAU, MAU, stickiness.
    """
    from xlseg.behavior.engagement import engagement

    settings = behavior_options(options, ENGAGEMENT_OPTIONS, "SEG_ENGAGEMENT")
    summary = settings.pop("summary", False)
    days = 28 if is_blank(window) else window
    table = events_table(events, settings)
    frame = engagement(table, column(user, "user"), column(time, "time"), window=days, **settings)
    if summary:
        return [["measure", "value"], *([k, v] for k, v in frame.attrs["summary"].items())]
    return spill(frame, "No days: the window is empty.")


@formula(Param("events", EVENTS_DOC, TABLE_ARG), Param("user", USER_DOC), Param("time", TIME_DOC),
         Param("value", 'Optional. The amount column (revenue), e.g. "amount".'),
         Param("options", 'Optional. "as_of=2024-07-01; period=week" (lifecycle stage period).', OPTIONS_ARG))
def SEG_ACTIVITY(events: Any, user: Any = None, time: Any = None, value: Any = None,  # noqa: N802
                 options: Any = None) -> Any:
    """One row per user: first/last seen, recency, tenure, events, active days (all, last 7, last 28), value
    sum, R/F/M and segment, lifecycle stage and engagement tier - a table to segment with SEG_BREAKDOWN.
    """
    from xlseg.behavior.activity import activity

    settings = behavior_options(options, ACTIVITY_OPTIONS, "SEG_ACTIVITY")
    table = events_table(events, settings)
    frame = activity(table, column(user, "user"), column(time, "time"), column(value, "value"), **settings)
    return spill(plain(frame), "No users: the table has no activity.")
