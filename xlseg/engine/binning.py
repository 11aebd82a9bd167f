"""Turn one clean column into segment codes and readable, ordered labels.

Every dimension becomes ``Segments(codes, labels)``: ``codes`` is an int64 array with one entry per row
in ``range(len(labels))``, and ``labels`` are in display order (bins by value, periods by time, text
alphabetically), with "Other" and "(missing)" last. Missing values are never dropped: they get the
"(missing)" segment.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from xlseg.engine.kernels import smallest_int
from xlseg.errors import XlsegError, declare_role
from xlseg.io.cells import label_sort_key
from xlseg.schema import MISSING_LABEL, OTHER_LABEL
from xlseg.spec import MAX_BINS, Binning, Dimension

MAX_DISTINCT_VALUES = 1000  # an unbinned number/date column with more distinct values needs bins


@dataclass
class Segments:
    """Per-row segment codes and the label of each code.

    ``codes`` is a signed integer array of any width (int8 for most category columns); widen it before
    arithmetic (``np.multiply(codes, n, dtype=np.intp)``), never multiply it in its own type.
    """

    codes: np.ndarray
    labels: list[str]
    missing: bool = False  # the last label is the segment of missing values (see :func:`missing_label`)


def missing_label(labels: list[str]) -> str:
    """The label of the missing-values segment: "(missing)", unless a real value is already called that.

    A category literally named "(missing)" keeps its name; the blanks are then "(missing value)" (or
    "(missing value 2)" …), so the two never share a row label or get folded together.
    """
    taken = set(labels)
    if MISSING_LABEL not in taken:
        return MISSING_LABEL
    candidates = (f"(missing value{'' if n == 1 else f' {n}'})" for n in range(1, len(taken) + 2))
    return next(label for label in candidates if label not in taken)


def segment(series: pd.Series, dimension: Dimension, flag_words: tuple[str, str] | None = None) -> Segments:
    """Codes and labels for ``series`` segmented as ``dimension`` says (binning, then top-N).

    ``flag_words`` (the file's false and true words, :attr:`xlseg.schema.Table.flag_words`) label a flag's
    segments instead of FALSE/TRUE."""
    binning = dimension.binning
    if binning is None:
        result = _distinct_values(series, flag_words)
    elif binning.kind == "period":
        result = _periods(series, binning.period or "month")
    else:
        result = _numeric_bins(series, binning)
    if dimension.top is not None:
        result = keep_top(result, dimension.top)
    return result


def segment_groups(
    keys: pd.Series,
    dimension: Dimension,
    weights: np.ndarray,
    bins: tuple[list[Bin], bool] | None = None,
) -> Segments:
    """Codes and labels for pre-aggregated groups: ``keys`` holds one key per group (the value, the period's
    first moment, or — with ``bins`` (bins, whole numbers) — the bin index), ``weights`` the users behind each.

    The same labels, order and top-N as :func:`segment` gives for the rows behind the groups."""
    binning = dimension.binning
    if bins is not None:
        codes = keys.to_numpy(dtype=float, na_value=np.nan)
        result = bin_segments(np.where(np.isnan(codes), -1, codes).astype(np.int64), *bins)
    elif binning is not None and binning.kind == "period":
        result = _periods(keys, binning.period or "month")
    elif pd.api.types.is_bool_dtype(keys.dtype) or (keys.dtype == object and keys.map(type).isin([bool]).any()):
        result = _distinct_values(keys.astype("boolean"))
    else:
        result = _distinct_values(keys)
    if dimension.top is not None:
        result = keep_top(result, dimension.top, weights)
    return result


def _with_missing(codes: np.ndarray, labels: list[str]) -> Segments:
    """Give code -1 (missing) its own "(missing)" label at the end, when any row has it.

    Codes keep a narrow integer type when they have one (category codes are often int8): widening
    millions of codes to int64 is a pass over memory that grouping does not need.
    """
    if codes.dtype.kind != "i":
        codes = codes.astype(np.int64)
    missing = codes < 0
    if missing.any():
        dtype = np.promote_types(codes.dtype, smallest_int(len(labels)))
        codes = np.where(missing, np.array(len(labels), dtype=dtype), codes.astype(dtype, copy=False))
        return Segments(codes, [*labels, missing_label(labels)], missing=True)
    return Segments(codes, labels)



def _distinct_values(series: pd.Series, flag_words: tuple[str, str] | None = None) -> Segments:
    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return _categories(series)
    if pd.api.types.is_bool_dtype(dtype):
        values = series.astype("boolean")
        codes = np.where(values.isna().to_numpy(), -1, values.fillna(False).to_numpy(dtype=bool).astype(np.int64))
        return _with_missing(codes, list(flag_words or ("FALSE", "TRUE")))
    if pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_datetime64_any_dtype(dtype):
        codes, uniques = pd.factorize(series, sort=True)
        if len(uniques) > MAX_DISTINCT_VALUES:
            hint = "a period such as month" if pd.api.types.is_datetime64_any_dtype(dtype) else "bins such as q4"
            raise XlsegError(f"column '{series.name}' has {len(uniques):,} distinct values; segment it with {hint}")
        return _with_missing(codes, _format_values(uniques))
    return _categories(series.astype("category"))


def _categories(series: pd.Series) -> Segments:
    """Segments of a categorical: an ordered one keeps its category order; others sort by
    :func:`~xlseg.io.cells.label_sort_key` (numbers by value, text as Excel sorts it)."""
    categories = [str(c) for c in series.cat.categories]
    if series.cat.ordered:
        order = list(range(len(categories)))
    else:
        keys = [label_sort_key(c) for c in categories]
        order = sorted(range(len(categories)), key=keys.__getitem__)
    if order == list(range(len(categories))):  # already in label order: the codes are the segment codes
        return _with_missing(series.cat.codes.to_numpy(), categories)
    rank = np.empty(len(categories) + 1, dtype=smallest_int(len(categories)))
    rank[order] = np.arange(len(categories))
    rank[-1] = -1  # code -1 (missing) indexes the last slot
    codes = rank[series.cat.codes.to_numpy()]
    return _with_missing(codes, [categories[i] for i in order])


def _format_values(uniques: pd.Index) -> list[str]:
    if pd.api.types.is_datetime64_any_dtype(uniques.dtype):
        has_time = bool((uniques != uniques.normalize()).any())
        return [v.strftime("%Y-%m-%d %H:%M" if has_time else "%Y-%m-%d") for v in uniques]
    values = np.asarray(uniques, dtype=float)
    return _format_numbers(values)


def _format_numbers(values: np.ndarray) -> list[str]:
    """Shortest decimal rendering that keeps distinct values distinct and each value within 0.1% of its text
    (whole numbers without decimals): 0.01 is "0.01" and 1.01 is "1.01", never "0" or "1"."""
    finite = values[np.isfinite(values)]
    if finite.size == 0 or np.all(finite == np.round(finite)):
        return [_plain(v, 0) for v in values]
    for decimals in range(1, 10):
        texts = [_plain(v, decimals) for v in values]
        shown = np.array([float(t) for t, v in zip(texts, values, strict=True) if math.isfinite(v)])
        if len(set(texts)) == len(set(values.tolist())) and np.all(np.abs(shown - finite) <= 1e-3 * np.abs(finite)):
            return texts
    return [repr(float(v)) for v in values]


LONG_NUMBER = 1e15  # from here on numbers are shown in Python's shortest form (1e+308, not 309 digits)


def _plain(value: float, decimals: int) -> str:
    if not math.isfinite(value):
        return str(value)
    if abs(value) >= LONG_NUMBER:
        return repr(float(value)).removesuffix(".0")
    text = f"{value:.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _periods(series: pd.Series, period: str) -> Segments:
    if not pd.api.types.is_datetime64_any_dtype(series.dtype):
        raise XlsegError(
            f"'{period}' bins need a date column; '{series.name}' is not read as dates "
            f"(declare it: {declare_role(str(series.name), 'date')})"
        )
    periods = series.dt.to_period(PERIOD_FREQ[period])
    codes, uniques = pd.factorize(periods, sort=True)
    return _with_missing(codes, period_labels(pd.PeriodIndex(uniques), period))


#: pandas frequency of each calendar period (weeks are ISO weeks: Monday to Sunday).
PERIOD_FREQ = {"day": "D", "week": "W-SUN", "month": "M", "quarter": "Q", "year": "Y"}


def period_labels(periods: pd.PeriodIndex, period: str) -> list[str]:
    """The label of each period: ``1997-01-05`` (day), ``1997-W01`` (ISO week), ``1997-01``, ``1997Q1``, ``1997``."""
    if period == "week":
        return [f"{p.start_time.isocalendar().year}-W{p.start_time.isocalendar().week:02d}" for p in periods]
    return [str(p) for p in periods]


@dataclass(frozen=True)
class Bin:
    """One numeric bin: its ends and whether each end belongs to it."""

    low: float
    high: float
    low_closed: bool
    high_closed: bool


def _numeric_bins(series: pd.Series, binning: Binning) -> Segments:
    if binning.kind in ("quantile", "width", "equal") and not _is_number_column(series):
        raise XlsegError(
            f"'{binning.to_text()}' bins need a number column; '{series.name}' is not read as numbers "
            f"(declare it: {declare_role(str(series.name), 'metric')})"
        )
    if binning.kind == "edges" and not _is_number_column(series):
        raise XlsegError(
            f"custom bin edges need a number column; '{series.name}' is not read as numbers "
            f"(declare it: {declare_role(str(series.name), 'metric')})"
        )
    values = series.to_numpy(dtype=float, na_value=np.nan)
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return _with_missing(np.full(len(values), -1), [])
    facts = BinFacts(
        cuts=np.quantile(finite, np.linspace(0, 1, (binning.count or 4) + 1)) if binning.kind == "quantile" else None,
        low=float(finite.min()),
        high=float(finite.max()),
        integers=bool(np.all(finite == np.round(finite))) and float(np.abs(finite).max()) < LONG_NUMBER,
    )
    bins = make_bins(binning, facts)
    return bin_segments(_assign(values, bins), bins, facts.integers)


@dataclass(frozen=True)
class BinFacts:
    """What bin edges depend on, computed from the finite values of a column (in memory, or by a SQL
    engine with exact queries): the quantile cut points (quantile bins only), minimum, maximum, and whether
    every value is a whole number below :data:`LONG_NUMBER` (labels without decimals)."""

    cuts: np.ndarray | None
    low: float
    high: float
    integers: bool


def make_bins(binning: Binning, facts: BinFacts) -> list[Bin]:
    """The bins of ``binning`` for a column with these facts (contiguous, ordered by value)."""
    if binning.kind == "quantile":
        assert facts.cuts is not None
        return _quantile_bins(facts.cuts)
    if binning.kind == "equal":
        return _equal_bins(facts.low, facts.high, binning.count or 4)
    if binning.kind == "width":
        return _step_bins(facts.low, facts.high, binning.step or 1.0, binning.to_text())
    return _edge_bins(binning.edges)


def bin_segments(codes: np.ndarray, bins: list[Bin], integers: bool) -> Segments:
    """Segments from bin indexes (-1 = missing): labelled, bins without rows dropped."""
    return _drop_empty(_with_missing(codes, _bin_labels(bins, integers)))


def _is_number_column(series: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype)


def _quantile_bins(cuts: np.ndarray) -> list[Bin]:
    """Quantile bins that never fail on ties: a value hit by two or more cut points becomes its own bin."""
    unique, hits = np.unique(cuts, return_counts=True)
    mass = set(unique[hits > 1].tolist())
    if len(unique) == 1:
        return [Bin(unique[0], unique[0], True, True)]
    bins: list[Bin] = []
    last = len(unique) - 1
    for j, value in enumerate(unique.tolist()):
        if value in mass:
            bins.append(Bin(value, value, True, True))
        if j < last:
            upper = float(unique[j + 1])
            bins.append(Bin(value, upper, value not in mass, j + 1 == last and upper not in mass))
    return bins


def _step_bins(low: float, high: float, step: float, spec: str) -> list[Bin]:
    """Bins ``step`` wide with edges at multiples of ``step`` (``[0, 10)``, ``[10, 20)``…) covering the values."""
    first, last = math.floor(low / step), math.floor(high / step)
    if last - first + 1 > MAX_BINS:
        raise XlsegError(f"bin spec '{spec}' makes {last - first + 1:,} bins on these values; use a wider width "
                         f"(at most {MAX_BINS:,} bins) or equal:10 for 10 bins of equal width")
    edges = [_multiple(k, step) for k in range(first, last + 2)]
    return [Bin(a, b, True, False) for a, b in zip(edges, edges[1:], strict=False)]


def _multiple(k: int, step: float) -> float:
    """``k × step`` without binary noise (``3 × 0.1`` is 0.3, not 0.30000000000000004)."""
    return float(f"{k * step:.12g}")


def _equal_bins(low: float, high: float, count: int) -> list[Bin]:
    """``count`` bins of equal width from the minimum to the maximum (the last one closed)."""
    if low == high:
        return [Bin(low, high, True, True)]
    steps = np.linspace(0.0, 1.0, count + 1)
    edges = low * (1 - steps) + high * steps  # not low + (high - low) * steps: high - low overflows near ±1.8e308
    edges[0], edges[-1] = low, high
    return [
        Bin(float(a), float(b), True, i == count - 1) for i, (a, b) in enumerate(zip(edges, edges[1:], strict=False))
    ]


def _edge_bins(edges: tuple[float, ...]) -> list[Bin]:
    bins = [Bin(-math.inf, edges[0], False, False)]
    bins += [Bin(a, b, True, False) for a, b in zip(edges, edges[1:], strict=False)]
    bins.append(Bin(edges[-1], math.inf, True, False))
    return bins


def _assign(values: np.ndarray, bins: list[Bin]) -> np.ndarray:
    """Bin index of every value (bins are contiguous and ordered); NaN → -1."""
    ends = np.array([b.high for b in bins])
    closed = np.array([b.high_closed for b in bins])
    filled = np.where(np.isnan(values), 0.0, values)
    index = np.searchsorted(ends, filled, side="left")
    index = np.minimum(index, len(bins) - 1)
    on_open_end = (ends[index] == filled) & ~closed[index]
    index = np.minimum(index + on_open_end, len(bins) - 1)
    return np.where(np.isnan(values), -1, index)


def _bin_labels(bins: list[Bin], integers: bool) -> list[str]:
    finite = np.array([v for b in bins for v in (b.low, b.high) if math.isfinite(v)])
    texts = dict(zip(finite.tolist(), _format_numbers(finite), strict=False))
    labels = []
    for b in bins:
        if b.low == -math.inf:
            labels.append(f"<{texts[b.high]}")
        elif b.high == math.inf:
            labels.append(f"{texts[b.low]}+")
        elif b.low == b.high:
            labels.append(texts[b.low])
        elif integers:
            low = math.ceil(b.low) if b.low_closed else math.floor(b.low) + 1
            high = math.floor(b.high) if b.high_closed else math.ceil(b.high) - 1
            labels.append(str(low) if low == high else f"{low}–{high}")
        else:
            labels.append(_range_label(texts[b.low], texts[b.high], b.low_closed, b.high_closed))
    return labels


def _range_label(low: str, high: str, low_closed: bool, high_closed: bool) -> str:
    """A bin of non-whole numbers that says which ends it includes: ``"18–<25"`` holds 18 up to but not
    including 25 (custom edges and equal width), ``"0–1.5"`` both ends, ``">0–<3.2"`` neither."""
    return f"{'' if low_closed else '>'}{low}–{'' if high_closed else '<'}{high}"


def _drop_empty(segments: Segments) -> Segments:
    """Renumber codes so that only bins holding rows remain (order kept)."""
    used = np.bincount(segments.codes, minlength=len(segments.labels)) > 0
    if used.all():
        return segments
    new_code = np.cumsum(used) - 1
    labels = [lab for lab, u in zip(segments.labels, used, strict=True) if u]
    return Segments(new_code[segments.codes], labels, missing=segments.missing)  # the missing segment has rows


def keep_top(segments: Segments, top: int, weights: np.ndarray | None = None) -> Segments:
    """Keep the ``top`` largest segments (ties: display order), fold the rest into "Other"; the missing segment
    stays as it is (a category literally named "(missing)" is an ordinary category).

    ``weights``: users behind each code (when the codes are of pre-aggregated groups, not of rows)."""
    counts = np.bincount(segments.codes, weights, minlength=len(segments.labels))
    values = len(segments.labels) - 1 if segments.missing else len(segments.labels)
    # a category already called "Other" is folded together with the rest
    real = [i for i in range(values) if segments.labels[i] != OTHER_LABEL]
    if len(real) <= top:
        return segments
    kept = set(sorted(real, key=lambda i: (-counts[i], i))[:top])
    new_labels = [segments.labels[i] for i in real if i in kept] + [OTHER_LABEL]
    other = len(new_labels) - 1
    mapping = np.full(len(segments.labels), other, dtype=np.int64)
    for new, old in enumerate(i for i in real if i in kept):
        mapping[old] = new
    if segments.missing:
        new_labels.append(segments.labels[-1])
        mapping[-1] = len(new_labels) - 1
    return Segments(mapping[segments.codes], new_labels, missing=segments.missing)
