"""How engine numbers are presented: Excel number formats per output column, the same numbers as text,
and the one-line captions written from a breakdown's lift, interval and p-value columns.

Knows the engine's column naming (``"<col> <agg>"``, ``… lo``/``hi``/``lift``/``p``, ``users``, ``share``,
``low_n``) but computes no statistics.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from xlseg.sheets.layout import CODE, COUNT, DATE, GENERAL, LIFT, P_VALUE, PERCENT

STAT_SUFFIXES = ("lo", "hi", "lift", "p")
LIFT_HALF_UNIT = 0.0005  # half of the 0.1% step the LIFT format shows
_COUNT_AGGS = ("count", "nunique")
_ORDER_AGGS = ("min", "max", "median", "mean")  # and p1…p99: figures in the column's own units
_CODE_NAME = re.compile(r"(^|[^a-z])(year|yr|jahr|code|zip|postcode|plz|id)([^a-z]|$)", re.IGNORECASE)
YEARS = (1000, 2999)


def split_stat(name: str, columns: Sequence[str]) -> tuple[str, str | None]:
    """``("converted rate", "lo")`` for ``"converted rate lo"`` when ``"converted rate"`` is a column, else
    ``(name, None)``."""
    base, _, suffix = name.rpartition(" ")
    if suffix in STAT_SUFFIXES and base in columns:
        return base, suffix
    return name, None


def aggregation_of(metric: str) -> str:
    """The aggregation word of a metric column name: ``"session_length mean"`` → ``"mean"``."""
    return metric.rpartition(" ")[2]


def number_format(name: str, frame: pd.DataFrame) -> str:
    """The Excel number format for an engine output column.

    users and counts ``#,##0``; share, rates and their intervals ``0.0%``; lift ``+0.0%``; p ``0.000``
    (``<0.001`` below); dates ``yyyy-mm-dd``; a metric whose input was percent text ``0.0%`` (from
    ``frame.attrs["formats"]``); other numbers with decimals chosen from their size.
    """
    series = frame[name]
    columns = list(frame.columns)
    if name == "users":
        return COUNT
    if name == "share":
        return PERCENT
    if name == "low_n" or pd.api.types.is_bool_dtype(series.dtype):
        return GENERAL
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        return DATE
    base, stat = split_stat(name, columns)
    if stat == "lift":
        return LIFT
    if stat == "p":
        return P_VALUE
    if stat in ("lo", "hi"):
        return number_format(base, frame)
    agg = aggregation_of(base)
    if base in frame.attrs.get("formats", {}):  # the input's own format (percent text), set by the engine
        return frame.attrs["formats"][base]
    if agg == "rate":
        return PERCENT
    if agg in _COUNT_AGGS:
        return COUNT
    if not pd.api.types.is_numeric_dtype(series.dtype):
        return GENERAL
    values = series.to_numpy(dtype=float, na_value=np.nan)
    if _code_like(base, agg, values):
        return CODE if _whole(values) else "0.0"
    return decimals_format(values)


def _whole(values: np.ndarray) -> bool:
    finite = values[np.isfinite(values)]
    return bool(np.all(finite == np.round(finite)))


def _code_like(metric: str, agg: str, values: np.ndarray) -> bool:
    """Figures in the units of a year or code column (its min, max, median, percentiles or mean), which
    read wrong with a thousands separator ("2,019"): every value between 1000 and 2999 (years), or the
    column is named like a year, code or id (``birth_year``, ``zip``, ``store id``)."""
    if agg not in _ORDER_AGGS and not re.fullmatch(r"p\d{1,2}", agg):
        return False
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return False
    column = metric.rpartition(" ")[0]
    years = bool(np.all((finite >= YEARS[0]) & (finite <= YEARS[1])))
    return years or (bool(_CODE_NAME.search(column)) and _whole(values))


def decimals_format(values: np.ndarray) -> str:
    """A format with sensible decimals: whole numbers ``#,##0``; otherwise by the typical size of the values."""
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return "0.00"
    if np.all(finite == np.round(finite)):
        return COUNT
    typical = float(np.median(np.abs(finite)))
    if typical >= 1000:
        return COUNT
    if typical >= 100:
        return "#,##0.0"
    if typical >= 0.1:
        return "#,##0.00"
    return "0.0000"


def format_number(value: float, fmt: str) -> str:
    """``value`` as text the way the Excel format ``fmt`` (one of ours) shows it."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    if fmt == PERCENT:
        return f"{value:.1%}"
    if fmt == LIFT:
        return "0.0%" if abs(value) < LIFT_HALF_UNIT else f"{value:+.1%}"
    if fmt == P_VALUE:
        return "<0.001" if value < 0.001 else f"{value:.{p_decimals(value)}f}"
    decimals = fmt.rpartition(".")[2].count("0") if "." in fmt else 0
    separator = "," if "#,##" in fmt else ""
    return f"{value:{separator}.{decimals}f}"


def p_decimals(p: float) -> int:
    """Decimals that show ``p`` (at least 0.001) with three significant digits: 0.497, 0.0497, 0.00497."""
    if not math.isfinite(p) or p >= 0.1:
        return 3
    return 4 if p >= 0.01 else 5


def p_format(p: float) -> str:
    """The number format of one p-value cell: "<0.001" below 0.001, else three significant digits, so a p
    of 0.0497 (significant at 5%) never shows as "0.050"."""
    if not math.isfinite(p) or p < 0.001:
        return P_VALUE
    return "0." + "0" * p_decimals(p)


_BIN_LABEL = re.compile(r"^(<|≥|>|\d|-\d|\.\d).*([–+]|\d)$|^\d{4}-\d{2}(-\d{2})?$|^\d{4}(-Q\d|-W\d{2})$")


def segment_name(labels: Sequence[object], by: Sequence[str] | None = None) -> str:
    """A segment as a phrase that reads as a sentence for any label.

    With the dimension names: ``"Cylinders = 8"``, ``"device = Mobile, plan = Pro"``; a bin or period label
    follows its column without "=" (``"age 18–<25"``, ``"signup 2024-03"``). Without them: the labels
    joined, ``"India / Mobile"``.
    """
    if by is None:
        return " / ".join(str(v) for v in labels)
    parts = []
    for column, label in zip(by, labels, strict=True):
        text = str(label)
        parts.append(f"{column} {text}" if _BIN_LABEL.match(text) and not text.isdigit() else f"{column} = {text}")
    return ", ".join(parts)


@dataclass
class Finding:
    """One significant difference of a segment from the overall value, as a sentence.

    ``strength`` is how far the segment's value is from the overall value as a ratio, in either direction:
    ``|ln(value / overall)|`` (×2 and ×0.5 are equally strong); ``p`` breaks ties (smaller first).
    """

    sentence: str
    strength: float
    p: float
    metric: str = ""
    sheet: str = ""

    @property
    def rank_key(self) -> tuple[float, float]:
        """Sort key: strongest first, then the smaller p."""
        return (-self.strength, self.p)


def _times(ratio: float) -> str:
    return f"{ratio:.1f}×" if ratio >= 1.95 or ratio < 0.05 else f"{ratio:.2f}×"


def _p_text(p: float) -> str:
    return f"p{format_number(p, P_VALUE)}" if p < 0.001 else f"p={format_number(p, P_VALUE)}"


def _rows_of(frame: pd.DataFrame, body: np.ndarray | None) -> np.ndarray:
    rows = np.ones(len(frame), dtype=bool) if body is None else body.copy()
    if body is None:
        rows[-1] = False
    return rows


def _values_behind(frame: pd.DataFrame, n: Sequence[float] | np.ndarray | None) -> np.ndarray:
    """Values behind each row's figure: ``n`` (non-missing values of the metric's column) or the users."""
    return np.asarray(n if n is not None else frame["users"].to_numpy(dtype=float), dtype=float)


def findings(
    frame: pd.DataFrame,
    by: Sequence[str],
    metric: str,
    fmt: str,
    confidence: float = 0.95,
    body: np.ndarray | None = None,
    n: Sequence[float] | np.ndarray | None = None,
) -> list[Finding]:
    """Every segment whose ``metric`` differs significantly from the overall value, strongest first.

    Significant: the adjusted p (``"<metric> p"``) below ``1 - confidence`` and not a low-n row. Each finding
    is a sentence such as "device = Mobile: converted rate 6.2%, 1.24× the overall 5.0% (95% CI 5.3%–7.1%,
    n=2,731, p<0.001)." where ``n`` counts the values behind the figure (non-missing values of the column;
    default: the segment's users). Empty without lift and p columns.
    """
    lift_col, p_col = f"{metric} lift", f"{metric} p"
    if metric not in frame.columns or lift_col not in frame.columns or p_col not in frame.columns:
        return []
    rows = _rows_of(frame, body)
    overall = float(frame[metric].iloc[-1])
    values = frame[metric].to_numpy(dtype=float, na_value=np.nan)
    p = frame[p_col].to_numpy(dtype=float, na_value=np.nan)
    lift = frame[lift_col].to_numpy(dtype=float, na_value=np.nan)
    counts = _values_behind(frame, n)
    significant = rows & (p < 1 - confidence) & np.isfinite(lift) & (lift > -1)
    if "low_n" in frame.columns:
        significant &= ~frame["low_n"].to_numpy(dtype=bool)
    level = f"{confidence:.0%}"
    out = []
    for index in np.flatnonzero(significant):
        detail = [f"n={int(counts[index]):,}", _p_text(p[index])]
        lo_col, hi_col = f"{metric} lo", f"{metric} hi"
        if lo_col in frame.columns and hi_col in frame.columns:
            lo, hi = float(frame[lo_col].iloc[index]), float(frame[hi_col].iloc[index])
            detail.insert(0, f"{level} CI {format_number(lo, fmt)}–{format_number(hi, fmt)}")
        name = segment_name(frame.loc[frame.index[index], list(by)].tolist(), by)
        sentence = (f"{name}: {metric} {format_number(values[index], fmt)}, {_times(lift[index] + 1)} the overall"
                    f" {format_number(overall, fmt)} ({', '.join(detail)}).")
        out.append(Finding(sentence, abs(math.log1p(lift[index])), float(p[index]), metric))
    return sorted(out, key=lambda f: f.rank_key)


def breakdown_caption(
    frame: pd.DataFrame,
    by: Sequence[str],
    metric: str,
    fmt: str,
    confidence: float = 0.95,
    body: np.ndarray | None = None,
    n: Sequence[float] | np.ndarray | None = None,
    min_size: int | None = None,
) -> str | None:
    """One sentence from the numbers about ``metric`` (an output column of a breakdown).

    With lift and p columns: the strongest finding (see :func:`findings`), or — only when no shown segment
    differs — a sentence saying so, which also says when significant segments were left out for having
    fewer than ``min_size`` users. Without them: which segment has the highest value. ``body`` marks the
    segment rows (default: all but the last, the totals row); ``n`` the values behind each row's figure.
    """
    if metric not in frame.columns or len(frame) < 2:
        return None
    rows = _rows_of(frame, body)
    overall = float(frame[metric].iloc[-1])
    values = frame[metric].to_numpy(dtype=float, na_value=np.nan)
    level = f"{confidence:.0%}"
    lift_col, p_col = f"{metric} lift", f"{metric} p"
    if lift_col in frame.columns and p_col in frame.columns:
        found = findings(frame, by, metric, fmt, confidence, body, n)
        if found:
            return found[0].sentence
        p = frame[p_col].to_numpy(dtype=float, na_value=np.nan)
        small = rows & (p < 1 - confidence)
        small &= frame["low_n"].to_numpy(dtype=bool) if "low_n" in frame.columns else False
        k = int(small.sum())
        if k:
            size = f"≥ {min_size:,} users" if min_size is not None else "enough users"
            return (
                f"No segment with {size} has a {metric} that differs from the overall {format_number(overall, fmt)}"
                f" at the {level} level; {k} smaller {'one does' if k == 1 else 'ones do'} (grey rows, too few"
                " users to trust)."
            )
        return (
            f"No segment's {metric} differs from the overall {format_number(overall, fmt)} at the {level}"
            " level (each segment vs the rest, Benjamini–Hochberg adjusted)."
        )
    segment_values = np.where(rows, values, np.nan)
    if not np.isfinite(segment_values).any():
        return None
    index = int(np.nanargmax(segment_values))
    name = segment_name(frame.loc[frame.index[index], list(by)].tolist(), by)
    counts = _values_behind(frame, n)
    return (
        f"Highest {metric}: {name} ({format_number(values[index], fmt)}, n={int(counts[index]):,});"
        f" overall {format_number(overall, fmt)}."
    )
