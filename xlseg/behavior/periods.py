"""Calendar periods on day numbers (days since 1970-01-01): codes, starts and labels.

Period codes are consecutive integers, so "the next period" is ``code + 1``: days are day numbers, weeks
are ISO weeks (Monday start) counted from the week of 1970-01-01, months are months since 1970-01 and
quarters are quarters since 1970Q1. Labels are those of the binning code (:func:`xlseg.engine.binning.period_labels`):
``1997-01-05``, ``1997-W01``, ``1997-01``, ``1997Q1``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from xlseg.engine.binning import PERIOD_FREQ, period_labels
from xlseg.errors import XlsegError

PERIODS = ("day", "week", "month", "quarter")


def check_period(period: str) -> str:
    """The period name, lower-cased; an error naming the choices for anything else."""
    name = str(period).strip().lower()
    if name not in PERIODS:
        raise XlsegError(f"period '{period}' not understood; use one of {', '.join(PERIODS)}")
    return name


#: From this many days on, codes are looked up in a table over the span of days (one gather, not a date
#: conversion per row).
LOOKUP_ROWS = 100_000


def period_codes(days: np.ndarray, period: str) -> np.ndarray:
    """The period code of each day number (int64)."""
    days = np.asarray(days, dtype=np.int64)
    if period == "day":
        return days
    if days.size >= LOOKUP_ROWS:
        low, high = int(days.min()), int(days.max())
        if high - low < days.size:
            return period_codes(np.arange(low, high + 1), period)[days - low]
    if period == "week":  # 1970-01-01 is a Thursday: day -3 is the Monday that starts week 0
        return (days + 3) // 7
    months = days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    return months if period == "month" else months // 3


def period_start(codes: np.ndarray, period: str) -> np.ndarray:
    """The first day (day number) of each period code."""
    codes = np.asarray(codes, dtype=np.int64)
    if period == "day":
        return codes
    if period == "week":
        return codes * 7 - 3
    months = codes if period == "month" else codes * 3
    return months.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)


def labels(codes: np.ndarray, period: str) -> list[str]:
    """The label of each period code, as breakdown bins write it (``1997-01``)."""
    starts = pd.DatetimeIndex(period_start(codes, period).astype("datetime64[D]"))
    return period_labels(starts.to_period(PERIOD_FREQ[period]), period)


def offset_name(period: str, offset: int) -> str:
    """Column name of a retention offset: ``Month 0``, ``Week 3``."""
    return f"{period.capitalize()} {offset}"


def day_number(value: object, what: str = "as_of") -> int:
    """A date (text ``YYYY-MM-DD``, ``date``, ``Timestamp``) as a day number; an error for anything else."""
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError):
        stamp = None
    if stamp is None or pd.isna(stamp):
        raise XlsegError(f"{what} '{value}' is not a date; write it as YYYY-MM-DD")
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert("UTC").tz_localize(None)
    return int(np.datetime64(stamp.normalize(), "D").astype(np.int64))


def day_text(day: int) -> str:
    """A day number as ``YYYY-MM-DD``."""
    return str(np.datetime64(int(day), "D"))
