"""The behavioural formulas: SEG_RETENTION, SEG_LIFECYCLE, SEG_RFM, SEG_ENGAGEMENT and SEG_ACTIVITY.

Bodies only: arguments, options and docs in :mod:`xlseg.excel.behavior_args`, the analyses in
:mod:`xlseg.behavior` (imported when a formula runs, so loading the formulas stays light).
"""

from __future__ import annotations

from typing import Any

from xlseg.errors import XlsegError
from xlseg.excel.args import is_blank
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
from xlseg.excel.registry import OPTIONS_ARG, TABLE_ARG, Param, formula, spill


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
