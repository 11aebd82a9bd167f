"""Excel formulas for activity tables: ``=SEG_RETENTION(...)``, ``SEG_LIFECYCLE``, ``SEG_RFM``, ``SEG_ENGAGEMENT``,
``SEG_ACTIVITY`` — the behavioural analyses of :mod:`xlseg.behavior`, spilled as tables.

A module of its own (listed in ``UDF Modules`` beside :mod:`xlseg.excel.udfs`), with the same conventions: the
activity table arrives as the range's values, header first (:data:`~xlseg.excel.udfs.TABLE_ARG`), options as text
or a key/value range, and any problem comes back as one sentence in the cell (:func:`~xlseg.excel.udfs.excel_errors`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import xlwings as xw

from xlseg.errors import XlsegError, did_you_mean
from xlseg.excel.args import cell_text, column_names, is_blank, option_pairs, to_bool, to_number
from xlseg.excel.udfs import CATEGORY, OPTIONS_ARG, TABLE_ARG, excel_errors

EVENTS_DOC = "The activity table (one row per event, order or session), header row on top, e.g. Events[#All]."
USER_DOC = 'Optional. The user id column, e.g. "user_id"; empty: the first id column.'
TIME_DOC = 'Optional. The date or time column, e.g. "time"; empty: the first date column.'
PERIOD_DOC = 'Optional. "day", "week" (ISO, Monday start), "month" (default) or "quarter".'
EXCEL_EPOCH = dt.date(1899, 12, 30)  # day 0 of Excel's 1900 date system (serial 1 = 1900-01-01)

#: Options each formula takes (besides its positional arguments).
RETENTION_OPTIONS = ("mode", "counts", "as_of", "by")
LIFECYCLE_OPTIONS = ("as_of",)
RFM_OPTIONS = ("as_of", "summary")
ENGAGEMENT_OPTIONS = ("as_of", "summary")
ACTIVITY_OPTIONS = ("as_of", "period")


def behavior_options(value: object, allowed: tuple[str, ...], function: str) -> dict[str, Any]:
    """Options text (``"mode=on_or_after; counts; as_of=2024-07-01"``) or a key/value range, as keyword values."""
    out: dict[str, Any] = {}
    for key, raw in option_pairs(value):
        name = key.strip().lower().replace(" ", "_").replace("-", "_")
        if name not in allowed:
            hint = did_you_mean(name, allowed) or f"; it takes {', '.join(allowed)}"
            raise XlsegError(f"{function} does not take the option '{key.strip()}'{hint}")
        if name in out:
            raise XlsegError(f"option '{name}' is given twice; keep one")
        if name in ("counts", "summary"):
            out[name] = to_bool(raw, name)
        elif name == "as_of":
            out[name] = as_of_value(raw)
        elif raw is True:
            raise XlsegError(f"option '{name}' needs a value, e.g. {name}=...")
        else:
            out[name] = cell_text(raw)
    return out


def as_of_value(raw: object) -> object:
    """A date cell, ``YYYY-MM-DD`` text or an Excel date serial (``45474``) as a date."""
    if isinstance(raw, dt.date):
        return raw
    text = cell_text(raw)
    if isinstance(raw, int | float) and not isinstance(raw, bool) or text.isdigit():
        return EXCEL_EPOCH + dt.timedelta(days=int(float(text)))
    return text


def _column(value: Any, what: str) -> str | None:
    return None if is_blank(value) else column_names(value, what)[0]


def _period(value: Any) -> str:
    return "month" if is_blank(value) else cell_text(value)


def _cells(frame: pd.DataFrame) -> pd.DataFrame:
    """A frame xlwings can write: plain objects, missing values as None (empty cells)."""
    out = frame.astype(object)
    return out.where(frame.notna(), None)


@xw.func(category=CATEGORY, call_in_wizard=False)
@xw.arg("events", doc=EVENTS_DOC, **TABLE_ARG)
@xw.arg("user", doc=USER_DOC)
@xw.arg("time", doc=TIME_DOC)
@xw.arg("period", doc=PERIOD_DOC)
@xw.arg("options", doc='Optional. "mode=on_or_after; counts; as_of=2024-07-01; by=device".', **OPTIONS_ARG)
@xw.ret(index=False)
@excel_errors
def SEG_RETENTION(events: Any, user: Any = None, time: Any = None, period: Any = None,  # noqa: N802
                  options: Any = None) -> Any:
    """Cohort retention: one row per cohort (period of first activity) with its users and the share active
    N periods later (Month 0, Month 1, ...; blank when not reached), then an All row (user-weighted mean).
    """
    from xlseg.behavior.retention import retention

    settings = behavior_options(options, RETENTION_OPTIONS, "SEG_RETENTION")
    frame = retention(events, _column(user, "user"), _column(time, "time"), period=_period(period),
                      **settings)
    return _cells(frame)


@xw.func(category=CATEGORY, call_in_wizard=False)
@xw.arg("events", doc=EVENTS_DOC, **TABLE_ARG)
@xw.arg("user", doc=USER_DOC)
@xw.arg("time", doc=TIME_DOC)
@xw.arg("period", doc=PERIOD_DOC)
@xw.arg("options", doc='Optional. "as_of=2024-07-01" (the first day after the data).', **OPTIONS_ARG)
@xw.ret(index=False)
@excel_errors
def SEG_LIFECYCLE(events: Any, user: Any = None, time: Any = None, period: Any = None,  # noqa: N802
                  options: Any = None) -> Any:
    """Per period: new, returning, resurrecting and dormant users (dormant negative), active users and the
    quick ratio (new + resurrecting) / dormant. active = new + returning + resurrecting.
    """
    from xlseg.behavior.lifecycle import lifecycle

    settings = behavior_options(options, LIFECYCLE_OPTIONS, "SEG_LIFECYCLE")
    frame = lifecycle(events, _column(user, "user"), _column(time, "time"), period=_period(period),
                      **settings)
    return _cells(frame)


@xw.func(category=CATEGORY, call_in_wizard=False)
@xw.arg("events", doc=EVENTS_DOC, **TABLE_ARG)
@xw.arg("user", doc=USER_DOC)
@xw.arg("time", doc=TIME_DOC)
@xw.arg("value", doc='The amount column (revenue), e.g. "amount".')
@xw.arg("options", doc='Optional. "summary" (one row per segment); "as_of=2024-07-01".', **OPTIONS_ARG)
@xw.ret(index=False)
@excel_errors
def SEG_RFM(events: Any, user: Any, time: Any, value: Any, options: Any = None) -> Any:  # noqa: N802
    """Per user: recency_days, frequency, monetary, R/F/M scores 1-5 (=1+COUNTIF(cuts,"<"&x) over the
    PERCENTILE.INC 20/40/60/80% cut points) and the segment. Option summary: one row per segment.
    """
    from xlseg.behavior.rfm import rfm, rfm_summary

    settings = behavior_options(options, RFM_OPTIONS, "SEG_RFM")
    summary = settings.pop("summary", False)
    if is_blank(value):
        raise XlsegError('SEG_RFM needs the amount column as its 4th argument, e.g. "amount"')
    frame = rfm(events, _column(user, "user"), _column(time, "time"), _column(value, "value"), **settings)
    return _cells(rfm_summary(frame) if summary else frame)


@xw.func(category=CATEGORY, call_in_wizard=False)
@xw.arg("events", doc=EVENTS_DOC, **TABLE_ARG)
@xw.arg("user", doc=USER_DOC)
@xw.arg("time", doc=TIME_DOC)
@xw.arg("window", doc="Optional. Days before as_of to look at (default 28).")
@xw.arg("options", doc='Optional. "summary" (DAU, WAU, MAU, stickiness); "as_of=2024-07-01".', **OPTIONS_ARG)
@xw.ret(index=False)
@excel_errors
def SEG_ENGAGEMENT(events: Any, user: Any = None, time: Any = None, window: Any = None,  # noqa: N802
                   options: Any = None) -> Any:
    """The power-user curve: users active on exactly 1, 2, ... days of the window (default 28 days before
    as_of), their share and the share active at least that many days. Option summary: DAU, WAU, MAU, stickiness.
    """
    from xlseg.behavior.engagement import engagement

    settings = behavior_options(options, ENGAGEMENT_OPTIONS, "SEG_ENGAGEMENT")
    summary = settings.pop("summary", False)
    days = 28 if is_blank(window) else to_number(window, "window")
    frame = engagement(events, _column(user, "user"), _column(time, "time"), window=days, **settings)
    if summary:
        return [["measure", "value"], *([k, v] for k, v in frame.attrs["summary"].items())]
    return _cells(frame)


@xw.func(category=CATEGORY, call_in_wizard=False)
@xw.arg("events", doc=EVENTS_DOC, **TABLE_ARG)
@xw.arg("user", doc=USER_DOC)
@xw.arg("time", doc=TIME_DOC)
@xw.arg("value", doc='Optional. The amount column (revenue), e.g. "amount".')
@xw.arg("options", doc='Optional. "as_of=2024-07-01; period=week" (lifecycle stage period).', **OPTIONS_ARG)
@xw.ret(index=False)
@excel_errors
def SEG_ACTIVITY(events: Any, user: Any = None, time: Any = None, value: Any = None,  # noqa: N802
                 options: Any = None) -> Any:
    """One row per user: first/last seen, recency, tenure, events, active days (all, last 7, last 28), value
    sum, R/F/M and segment, lifecycle stage and engagement tier - a table to segment with SEG_BREAKDOWN.
    """
    from xlseg.behavior.activity import activity

    settings = behavior_options(options, ACTIVITY_OPTIONS, "SEG_ACTIVITY")
    frame = activity(events, _column(user, "user"), _column(time, "time"), _column(value, "value"), **settings)
    return _cells(frame)
