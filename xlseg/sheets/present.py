"""How engine numbers are presented: Excel number formats per output column, the same numbers as text,
and the one-line captions written from a breakdown's lift, interval and p-value columns.

Knows the engine's column naming (``"<col> <agg>"``, ``… lo``/``hi``/``lift``/``p``, ``users``, ``share``,
``low_n``) but computes no statistics.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from xlseg.sheets.layout import COUNT, DATE, GENERAL, LIFT, P_VALUE, PERCENT

STAT_SUFFIXES = ("lo", "hi", "lift", "p")
LIFT_HALF_UNIT = 0.0005  # half of the 0.1% step the LIFT format shows
_COUNT_AGGS = ("count", "nunique")


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
    return decimals_format(series.to_numpy(dtype=float, na_value=np.nan))


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
        return "<0.001" if value < 0.001 else f"{value:.3f}"
    if fmt == COUNT:
        return f"{value:,.0f}"
    decimals = fmt.rpartition(".")[2].count("0") if "." in fmt else 0
    return f"{value:,.{decimals}f}"


def shown_lift(values: np.ndarray) -> np.ndarray:
    """Lift values as a result sheet holds them: those that would show as "+0.0%" or "-0.0%" become 0.

    An Excel format picks its section by the sign of the unrounded value, so a lift of -0.0001 (often
    float noise of a segment at exactly the overall value) would read "-0.0%". Only |lift| below half a
    display unit is changed, so every cell still shows the engine's value rounded to 0.1%; the numbers
    :func:`xlseg.breakdown` returns are left as they are.
    """
    values = np.asarray(values, dtype=float)
    return np.where(np.abs(values) < LIFT_HALF_UNIT, 0.0, values)


def segment_name(labels: Sequence[object]) -> str:
    """A segment's labels joined for a sentence: ``"India / Mobile"``."""
    return " / ".join(str(v) for v in labels)


def breakdown_caption(
    frame: pd.DataFrame,
    by: Sequence[str],
    metric: str,
    fmt: str,
    confidence: float = 0.95,
    body: np.ndarray | None = None,
) -> str | None:
    """One sentence from the numbers about ``metric`` (an output column of a breakdown).

    With lift and p columns: the segment with the largest significant difference (adjusted p below
    ``1 - confidence``, low-n segments excluded), e.g. "Mobile users: converted rate 6.2%, 1.24× the
    overall 5.0% (95% CI 5.3%–7.1%, n=2,731, p<0.001)." — or a sentence saying no segment differs.
    Without them: which segment has the highest value. ``body`` marks the segment rows (default: all
    but the last, the totals row).
    """
    if metric not in frame.columns or len(frame) < 2:
        return None
    rows = np.ones(len(frame), dtype=bool) if body is None else body.copy()
    if body is None:
        rows[-1] = False
    overall = float(frame[metric].iloc[-1])
    values = frame[metric].to_numpy(dtype=float, na_value=np.nan)
    level = f"{confidence:.0%}"
    lift_col, p_col = f"{metric} lift", f"{metric} p"
    if lift_col in frame.columns and p_col in frame.columns:
        alpha = 1 - confidence
        p = frame[p_col].to_numpy(dtype=float, na_value=np.nan)
        lift = frame[lift_col].to_numpy(dtype=float, na_value=np.nan)
        candidates = rows & (p < alpha) & np.isfinite(lift)
        if "low_n" in frame.columns:
            candidates &= ~frame["low_n"].to_numpy(dtype=bool)
        if not candidates.any():
            return (
                f"No segment's {metric} differs from the overall {format_number(overall, fmt)} at the {level}"
                " level (each segment vs the rest, Benjamini–Hochberg adjusted)."
            )
        index = int(np.flatnonzero(candidates)[np.argmax(np.abs(lift[candidates]))])
        ratio = lift[index] + 1
        times = f"{ratio:.1f}×" if ratio >= 1.95 or ratio < 0.05 else f"{ratio:.2f}×"
        detail = [f"n={int(frame['users'].iloc[index]):,}", f"p{format_number(p[index], P_VALUE)}"
                  if p[index] < 0.001 else f"p={format_number(p[index], P_VALUE)}"]
        lo_col, hi_col = f"{metric} lo", f"{metric} hi"
        if lo_col in frame.columns and hi_col in frame.columns:
            lo, hi = float(frame[lo_col].iloc[index]), float(frame[hi_col].iloc[index])
            detail.insert(0, f"{level} CI {format_number(lo, fmt)}–{format_number(hi, fmt)}")
        name = segment_name(frame.loc[frame.index[index], list(by)])
        return (
            f"{name} users: {metric} {format_number(values[index], fmt)}, {times} the overall"
            f" {format_number(overall, fmt)} ({', '.join(detail)})."
        )
    segment_values = np.where(rows, values, np.nan)
    if not np.isfinite(segment_values).any():
        return None
    index = int(np.nanargmax(segment_values))
    name = segment_name(frame.loc[frame.index[index], list(by)])
    return (
        f"Highest {metric}: {name} ({format_number(values[index], fmt)}, n={int(frame['users'].iloc[index]):,});"
        f" overall {format_number(overall, fmt)}."
    )
