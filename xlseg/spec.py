"""What to segment: dimensions (with binning), metrics and their aggregations, as plain values.

Every face speaks this vocabulary: the Python API passes dicts and lists, Excel formulas and the CLI
pass short strings. The parsers here turn both into the same small objects, and
:func:`Dimension.to_dict` / :func:`metrics_to_text` turn them back, so a spec can live in a config sheet.

Grammar of the strings:

* metrics: ``"session_length:mean,median; converted:rate"`` — ``column:agg[,agg...]`` joined by ``;``.
* bins: ``"q4"`` or ``"quantile:4"`` (tie-safe quantile bins), ``"width:10"`` (bins 10 wide, edges at
  multiples of 10: ``0–9``, ``10–19``, …), ``"equal:5"`` (5 bins of equal width from the minimum to the
  maximum), ``"edges:18,25,35"`` or ``"18,25,35"`` (custom edges; values below the first
  edge and from the last edge up get their own bins, e.g. ``"<18"`` and ``"35+"``),
  ``"day" | "week" | "month" | "quarter" | "year"`` (date periods), ``"top:5"`` (the 5 largest
  categories, the rest folded into "Other").
"""

from __future__ import annotations

import datetime as dt
import math
import numbers
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from xlseg.errors import XlsegError

V = TypeVar("V")

BASIC_AGGREGATIONS = ("mean", "median", "sum", "min", "max", "count", "nunique", "rate")
PERIODS = ("day", "week", "month", "quarter", "year")
_AGG_ALIASES = {"avg": "mean", "average": "mean", "distinct": "nunique", "n": "count"}
_PERCENTILE = re.compile(r"^p(\d{1,2})$")
MAX_BINS = 1000  # quantile and equal-width bins; more would not fit a readable sheet (and width:1e9 would hang)
NUMERIC_BINS = ("quantile", "width", "equal", "edges")  # binnings that need a number column


def normalize_aggregation(name: str) -> str:
    """Return the canonical name of an aggregation, or raise a one-line error listing the valid ones."""
    agg = str(name).strip().lower()
    agg = _AGG_ALIASES.get(agg, agg)
    if agg in BASIC_AGGREGATIONS:
        return agg
    match = _PERCENTILE.match(agg)
    if match and 1 <= int(match.group(1)) <= 99:
        return f"p{int(match.group(1))}"
    raise XlsegError(
        f"unknown aggregation '{name}'; use one of {', '.join(BASIC_AGGREGATIONS)} or a percentile p1…p99"
    )


def percentile_of(agg: str) -> float | None:
    """The quantile (0–1) an aggregation stands for: ``median`` → 0.5, ``p90`` → 0.9, others → None."""
    if agg == "median":
        return 0.5
    match = _PERCENTILE.match(agg)
    return int(match.group(1)) / 100 if match else None


MetricList = list[tuple[str, str]]


def column_name(value: object) -> str:
    """A column named in an argument as the text its header reads as after loading: ``10`` → ``"10"``,
    ``10.0`` → ``"10"``, ``True`` → ``"TRUE"``, a date → ``"2024-01-31"`` (headers of ``pd.read_csv(header=None)``,
    numpy arrays, dates and booleans are read as text the same way; see :func:`xlseg.io.headers.header_texts`)."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool) or getattr(getattr(value, "dtype", None), "kind", "") == "b":
        return "TRUE" if value else "FALSE"
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real) and float(value).is_integer():
        return str(int(value))
    if type(value).__name__ == "datetime64":  # numpy's, without importing numpy here
        value = value.astype("datetime64[us]").item()
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d") if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.strftime("%Y-%m-%d")
    return str(value).strip()


def named(mapping: Mapping[object, V] | None) -> dict[str, V]:
    """A column → setting mapping (``bins``, ``roles``, ``top``) keyed by :func:`column_name`; a key given twice
    (``10`` and ``"10"``) is an error."""
    out: dict[str, V] = {}
    for key, setting in (mapping or {}).items():
        name = column_name(key)
        if name in out:
            raise XlsegError(f"column '{name}' is named twice (as {key!r} and as another key reading '{name}'); "
                             "keep one")
        out[name] = setting
    return out


def parse_metrics(metrics: object) -> MetricList:
    """Turn any accepted metrics form into a list of ``(column, aggregation)`` pairs, in order.

    Accepts ``None``; a mapping column → aggregation or list of aggregations; a string in the
    ``"col:agg,agg; col:agg"`` grammar; or a sequence of such strings / ``(column, agg)`` pairs.
    A column given without aggregation (``"revenue"``) means ``mean``. Duplicates are dropped.
    """
    pairs: MetricList = []
    if metrics is None:
        return pairs
    if isinstance(metrics, Mapping):
        for column, aggs in metrics.items():
            agg_list = [aggs] if isinstance(aggs, str) else list(aggs)
            pairs.extend((column_name(column), normalize_aggregation(a)) for a in agg_list)
    elif isinstance(metrics, str):
        for part in re.split(r"[;\n]", metrics):
            if part.strip():
                pairs.extend(_parse_metric_text(part))
    elif isinstance(metrics, Sequence):
        for item in metrics:
            if item is None or (isinstance(item, str) and not item.strip()):
                continue
            if isinstance(item, tuple) and len(item) == 2:
                pairs.append((column_name(item[0]), normalize_aggregation(item[1])))
            else:
                pairs.extend(parse_metrics(str(item)))
    else:
        raise XlsegError(f"metrics must be text like 'revenue:mean,sum', not {type(metrics).__name__}")
    return list(dict.fromkeys(pairs))


def _parse_metric_text(text: str) -> MetricList:
    column, sep, aggs = text.rpartition(":")
    if not sep:
        column, aggs = text, "mean"
    column = column.strip()
    if not column:
        raise XlsegError(f"metric '{text.strip()}' has no column name; write it as 'column:agg'")
    return [(column, normalize_aggregation(a)) for a in aggs.split(",") if a.strip()]


def metrics_to_text(metrics: MetricList) -> str:
    """The inverse of :func:`parse_metrics` for strings: ``[("a","mean"),("a","sum")]`` → ``"a:mean,sum"``."""
    grouped: dict[str, list[str]] = {}
    for column, agg in metrics:
        grouped.setdefault(column, []).append(agg)
    return "; ".join(f"{c}:{','.join(aggs)}" for c, aggs in grouped.items())


@dataclass(frozen=True)
class Binning:
    """How to turn a column into segments.

    ``kind`` is one of ``"quantile"``, ``"width"`` (bins ``step`` wide at multiples of ``step``),
    ``"equal"`` (``count`` bins of equal width), ``"edges"``, ``"period"``, ``"top"``.
    """

    kind: str
    count: int | None = None
    edges: tuple[float, ...] = ()
    period: str | None = None
    step: float | None = None

    def to_text(self) -> str:
        """The spec string that parses back to this binning."""
        if self.kind == "width":
            return f"width:{self.step:g}"
        if self.kind in ("quantile", "equal", "top"):
            return f"{self.kind}:{self.count}"
        if self.kind == "edges":
            return "edges:" + ",".join(f"{e:g}" for e in self.edges)
        return str(self.period)


def parse_bins(spec: object) -> Binning:
    """Parse a bin spec (see module docstring); a list of numbers means custom edges."""
    if isinstance(spec, Binning):
        return spec
    if isinstance(spec, Sequence) and not isinstance(spec, str):
        return _edges_binning(spec, original=spec)
    text = str(spec).strip().lower()
    if text in PERIODS:
        return Binning("period", period=text)
    width = re.fullmatch(r"width\s*[:=]?\s*(\S+)", text)
    if width:
        return Binning("width", step=_bin_step(spec, width.group(1)))
    match = re.fullmatch(r"(q|quantile|quantiles|equal|top)\s*[:=]?\s*(-?\d+)", text)
    if match:
        kind = {"q": "quantile", "quantiles": "quantile"}.get(match.group(1), match.group(1))
        return Binning(kind, count=_bin_count(spec, kind, int(match.group(2))))
    prefixed = text.startswith("edges")
    if prefixed:
        text = text.partition(":")[2] or text.partition("=")[2]
    parts = [p for p in re.split(r"[,;\s]+", text) if p]
    if not prefixed and len(parts) == 1 and re.fullmatch(r"[0-9]+", parts[0]):  # =SEG_BINS(D2:D501, 4)
        raise XlsegError(f"bin spec '{spec}' is one number; use q{parts[0]} for {parts[0]} groups of equal size, "
                         f"width:{parts[0]} for bins {parts[0]} wide, equal:{parts[0]} for {parts[0]} bins of "
                         f"equal width or edges:{parts[0]} to cut at {parts[0]}")
    if parts and re.search(r"\d", text):  # numbers: custom edges; anything else (a typo like "mnth"): the list
        return _edges_binning(parts, original=spec)
    raise XlsegError(
        f"bin spec '{spec}' not understood; use q4, width:10, equal:5, edges:18,25,35, top:5 or one of "
        f"{', '.join(PERIODS)}"
    )


def _bin_step(spec: object, text: str) -> float:
    """The width of a ``width:10`` spec: a positive finite number."""
    try:
        step = float(text)
    except ValueError:
        step = math.nan
    if not math.isfinite(step) or step <= 0:
        raise XlsegError(f"bin spec '{spec}' needs a positive width, e.g. width:10 for bins 10 wide "
                         "(equal:10 gives 10 bins of equal width)")
    return step


def _bin_count(spec: object, kind: str, count: int) -> int:
    """The count of a ``q4`` / ``equal:5`` / ``top:5`` spec, checked: at least 1, at most :data:`MAX_BINS` bins."""
    if count < 1:
        raise XlsegError(f"bin spec '{spec}' needs a count of at least 1")
    if kind != "top" and count > MAX_BINS:
        raise XlsegError(f"bin spec '{spec}' asks for {count:,} bins; use at most {MAX_BINS:,}, e.g. q10 or equal:20")
    return count


def _edges_binning(values: Sequence[object], original: object) -> Binning:
    try:
        edges = tuple(float(v) for v in values)
    except (TypeError, ValueError):
        raise XlsegError(
            f"bin spec '{original}' not understood; custom edges must be numbers like 18,25,35"
        ) from None
    if not all(math.isfinite(e) for e in edges):
        raise XlsegError(
            f"bin edges {original} must be finite numbers; the bins below the first edge and from the last"
            " edge up are added already"
        )
    if not edges or any(b <= a for a, b in zip(edges, edges[1:], strict=False)):
        raise XlsegError(f"bin edges {original} must be increasing numbers")
    return Binning("edges", edges=edges)


@dataclass(frozen=True)
class Dimension:
    """One segmentation dimension: a column, optionally binned or limited to its top categories."""

    column: str
    binning: Binning | None = None
    top: int | None = None

    def to_dict(self) -> dict[str, object]:
        """A plain dict that :func:`parse_dimension` turns back into this dimension."""
        out: dict[str, object] = {"column": self.column}
        if self.binning is not None:
            out["bins"] = self.binning.to_text()
        if self.top is not None:
            out["top"] = self.top
        return out


def parse_dimension(item: object, bins: Mapping[str, object] | None = None, top: object = None) -> Dimension:
    """Build a :class:`Dimension` from a name, a dict (``{"column":..., "bins":..., "top":...}``) or a Dimension.

    ``bins`` (column → spec) and ``top`` (an int for every text dimension, or column → int) are the
    call-wide options; an explicit setting on the item wins.
    """
    if isinstance(item, Dimension):
        return item
    if isinstance(item, Mapping):
        column = column_name(item.get("column", ""))
        spec = item.get("bins")
        top_n = item.get("top")
    else:
        column, spec, top_n = column_name(item), None, None
    if not column:
        raise XlsegError("a segment dimension has no column name")
    if spec is None and bins:
        spec = named(bins).get(column)
    if top_n is None and top is not None:
        # a call-wide top=N is for categories; bins (already few, in value order) are not folded into "Other"
        top_n = named(top).get(column) if isinstance(top, Mapping) else (top if spec is None else None)
    binning = parse_bins(spec) if spec is not None else None
    if binning is not None and binning.kind == "top":
        binning, top_n = None, binning.count
    return Dimension(column, binning, whole_number(top_n, "top"))


def whole_number(value: object, name: str, minimum: int = 1) -> int | None:
    """``value`` as an int (Excel hands 5 as 5.0); None stays None; one-line error naming ``name`` otherwise."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise XlsegError(f"{name} must be a whole number, not '{value}'") from None
    if number != int(number):
        raise XlsegError(f"{name} must be a whole number, not {value}")
    if number < minimum:
        raise XlsegError(f"{name} must be at least {minimum}, not {int(number)}")
    return int(number)


def parse_by(by: object, bins: Mapping[str, object] | None = None, top: object = None) -> list[Dimension]:
    """Parse the ``by`` argument: one column name, a comma-separated string, or a list of items."""
    if by is None:
        raise XlsegError("say which column(s) to segment by, e.g. by='geography'")
    if isinstance(by, (str, Mapping, Dimension)):
        items: list[object] = [p for p in str(by).split(",")] if isinstance(by, str) else [by]
    elif isinstance(by, Iterable):
        items = list(by)
    else:  # one column named by a number, date or boolean (headers from pd.read_csv(header=None))
        items = [by]
    dims = [parse_dimension(i, bins, top) for i in items if not (isinstance(i, str) and not i.strip())]
    if not dims:
        raise XlsegError("say which column(s) to segment by, e.g. by='geography'")
    names = [d.column for d in dims]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise XlsegError(f"column '{repeated[0]}' appears twice in by; segment by each column once")
    return dims


@dataclass
class Options:
    """Call-wide engine options shared by breakdown, compare and report."""

    min_size: int | None = None
    sort: str | None = None
    ascending: bool = False
    confidence: float = 0.95
    intervals: bool = False
    compare: bool = False
    subtotals: bool = False

    def __post_init__(self) -> None:
        try:
            self.confidence = float(self.confidence)
        except (TypeError, ValueError):
            self.confidence = -1.0
        if not 0 < self.confidence < 1:
            raise XlsegError("confidence must be a number between 0 and 1, e.g. 0.95")
        self.min_size = whole_number(self.min_size, "min_size")


# ----------------------------------------------------------------------- breakdowns and crosstabs

Breakdown = list[object]  # one breakdown's items: column names or dimension dicts
Crosstab = tuple[list[object], list[object]]


def parse_breakdowns(by: object) -> list[Breakdown] | None:
    """The breakdowns asked for, one item list each; None (auto mode) when ``by`` is None.

    A string is one breakdown (``"geography,device"`` = one breakdown by both); a mapping is one dimension;
    any other sequence holds one breakdown per item (an item may itself be a list or a dimension dict).
    """
    if by is None:
        return None
    breakdowns: list[Breakdown] = []
    for item in _items(by):
        if isinstance(item, str):
            parts: Breakdown = [p.strip() for p in item.split(",") if p.strip()]
        elif isinstance(item, Mapping):
            parts = [dict(item)]
        else:
            parts = _items(item)
        if not parts:
            raise XlsegError("an empty breakdown; name the column(s), e.g. by='geography'")
        breakdowns.append(parts)
    if not breakdowns:
        raise XlsegError("say which column(s) to segment by, e.g. by='geography'")
    return breakdowns


def parse_crosstab(item: object) -> Crosstab:
    """A crosstab as (row items, column items), from ``"rows:columns"`` text or a ``(rows, columns)`` pair."""
    if isinstance(item, str):
        rows, sep, cols = item.partition(":")
        if not sep or not rows.strip() or not cols.strip():
            raise XlsegError(f"crosstab '{item}' not understood; write it as ROWS:COLUMNS, e.g. geography:device")
        return [r.strip() for r in rows.split(",") if r.strip()], [c.strip() for c in cols.split(",") if c.strip()]
    try:
        rows_item, cols_item = item  # type: ignore[misc]
    except (TypeError, ValueError):
        raise XlsegError(f"crosstab {item!r} must be 'rows:columns' or a (rows, columns) pair") from None
    return _items(rows_item), _items(cols_item)


def _items(value: object) -> list[object]:
    """One item (a name, a dimension dict, a column named by a number or date) as a list of one; a list as is."""
    if isinstance(value, str | Mapping) or not isinstance(value, Iterable):
        return [value]
    return list(value)


def column_of(item: object) -> str:
    """The column a breakdown or crosstab item names (a name, or a dimension dict's ``"column"``)."""
    return column_name(item["column"]) if isinstance(item, Mapping) else column_name(item)


def requested_columns(breakdowns: Sequence[Breakdown], metrics: MetricList, crosstabs: Sequence[Crosstab]
                      ) -> list[str]:
    """Every column named by the breakdowns, then the metrics, then the crosstabs (in that order)."""
    wanted = [column_of(item) for items in breakdowns for item in items]
    wanted += [column for column, _ in metrics]
    wanted += [column_of(item) for rows, cols in crosstabs for item in [*rows, *cols]]
    return wanted
