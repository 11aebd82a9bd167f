"""Behaviour report workbooks: Summary, Retention, Lifecycle, Engagement, RFM and (with a user table) segments
by user attribute — as layouts, then a file, like :func:`xlseg.report`.

:func:`behavior_report` reads the activity table once (:func:`xlseg.behavior.events.read_events`), reduces it to
facts once (cached on the events) and computes every analysis from them.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from xlseg.behavior.activity import activity_of
from xlseg.behavior.engagement import check_window, engagement_of
from xlseg.behavior.events import Events
from xlseg.behavior.facts import user_facts
from xlseg.behavior.lifecycle import lifecycle_of
from xlseg.behavior.periods import check_period, day_text
from xlseg.behavior.pushdown import open_events
from xlseg.behavior.retention import retention_of
from xlseg.behavior.rfm import rfm_grid, rfm_of, rfm_summary
from xlseg.engine.crosstabs import crosstab
from xlseg.reporting import Progress, Report
from xlseg.schema import Role
from xlseg.sheets.behavior_blocks import (
    attribute_sheet,
    behavior_summary_sheet,
    engagement_sheet,
    lifecycle_sheet,
    retention_sheet,
    rfm_sheet,
)
from xlseg.sheets.layout import SheetLayout, assign_names

MAX_ATTRIBUTE_VALUES = 30  # user attributes with more distinct values get no segment table


def behavior_report(
    events: object,
    user: str | None = None,
    time: str | None = None,
    value: str | None = None,
    *,
    users: object = None,
    period: str = "month",
    mode: str = "on",
    window: int = 28,
    as_of: object = None,
    tz: str | None = None,
    title: str | None = None,
    summary_name: str = "Summary",
    progress: Progress | None = None,
    engine: str = "auto",
    memory_limit: str | None = None,
) -> Report:
    """The behavioural sheets of an activity table (see the module docstring).

    ``user``/``time`` default to the first id and date columns; ``value`` (revenue) to the first numeric column
    (none: RFM without monetary scores). ``users`` is a user table joined by the user column: its text columns
    get tables of RFM segment and engagement tier. ``tz`` counts zoned times (``…Z``) as local days in that
    IANA zone. ``engine``/``memory_limit`` as in :func:`xlseg.breakdown`: ``events`` may also be a source its own
    engine aggregates (a glob of Parquet files, a DuckDB relation, an Ibis table, a PySpark DataFrame; see
    :mod:`xlseg.behavior.pushdown`). ``summary_name`` names the Summary sheet (the demo appends
    these sheets to its user report).
    """
    say = progress or (lambda _message: None)
    period, window = check_period(period), check_window(window)
    source = Path(events) if isinstance(events, (str, os.PathLike)) else None
    say("reading the activity table")
    ev = open_events(events, user, time, value if value is not None else "auto", users=users, as_of=as_of, tz=tz,
                     engine=engine, memory_limit=memory_limit)
    say("retention")
    retention = retention_of(ev, period=period, mode=mode)
    say("lifecycle")
    life = lifecycle_of(ev, period=period)
    say("engagement")
    engaged = engagement_of(ev, window)
    say("RFM")
    scores = rfm_of(ev)
    sheets = [
        retention_sheet(retention, period, mode=mode),
        lifecycle_sheet(life, period),
        engagement_sheet(engaged, engaged.attrs["summary"], window),
        rfm_sheet(rfm_summary(scores), rfm_grid(scores), scores.attrs["cuts"]),
    ]
    frames: dict[str, list[pd.DataFrame]] = {"Retention": [retention], "Lifecycle": [life],
                                             "Engagement": [engaged], "RFM": [scores]}
    if ev.attributes is not None:
        say("segments by user attribute")
        tables = _attribute_tables(ev, period)
        if tables:
            sheets.append(attribute_sheet(tables))
            frames["Segments by attribute"] = [t for _, _, t in tables]
    summary = behavior_summary_sheet(
        title=title or (f"Behaviour of {source.name}" if source else "Behavioural segmentation"),
        facts=_facts(ev, period, window),
        notes=ev.notes,
        contents=[(s.name, s.title) for s in sheets],
        name=summary_name,
    )
    all_sheets: list[SheetLayout] = [summary, *sheets]
    assign_names(all_sheets)
    return Report(all_sheets, frames, None, source)


def _facts(ev: Events, period: str, window: int) -> list[tuple[str, object]]:
    per_user = user_facts(ev)
    with_activity = per_user.rows > 0
    active = int(with_activity.sum())
    facts: list[tuple[str, object]] = [
        ("Activity rows analysed", int(per_user.rows.sum())),
        ("Users with activity", active),
        ("First activity", day_text(int(per_user.first_day[with_activity].min()))),
        ("Last activity", day_text(int(per_user.last_day.max()))),
        ("as_of (first day after the data)", day_text(ev.as_of)),
        ("Period", period),
        ("Engagement window (days)", window),
        ("User column", ev.user),
    ]
    if ev.value is not None:
        facts.append(("Value column", ev.value))
    if ev.attributes is not None:
        facts.append(("Users in the user table without activity", ev.n_users - active))
    return facts


def _attribute_tables(ev: Events, period: str) -> list[tuple[str, str, pd.DataFrame]]:
    """Row shares of RFM segment and engagement tier by each text attribute of the user table."""
    table = activity_of(ev, period=period)
    attributes = [c for c in ev.attributes.columns  # type: ignore[union-attr]
                  if isinstance(table[c].dtype, pd.CategoricalDtype) or pd.api.types.is_string_dtype(table[c].dtype)]
    out = []
    for column in attributes:
        if table[column].nunique() > MAX_ATTRIBUTE_VALUES:
            continue
        for what in ("segment", "engagement"):
            out.append((column, what, crosstab(table, column, what, normalize="row", roles={what: Role.DIMENSION})))
    return out


#: The demo's activity ends with the signup window on 2025-07-01: analyse up to the last whole month.
DEMO_AS_OF = "2025-07-01"


def add_demo_behavior(result: Report, users: pd.DataFrame, *, seed: int = 42, progress: Progress | None = None) -> None:
    """Append the behavioural sheets of the demo's activity log (:func:`xlseg.demo.make_activity`, consistent with
    ``users``) to the demo report, their summary as the "Behaviour" sheet."""
    from xlseg.demo import make_activity

    say = progress or (lambda _message: None)
    say(f"generating the demo activity log of {len(users):,} users")
    events = make_activity(users, seed=seed)
    behaviour = behavior_report(events, "user_id", "time", "amount", users=users[["user_id", "geography", "device",
                                                                                 "plan"]],
                                as_of=DEMO_AS_OF, title="xlseg demo: app activity", summary_name="Behaviour",
                                progress=say)
    result.sheets.extend(behaviour.sheets)
    for name, frames in behaviour.frames.items():
        result.frames[name] = frames
    assign_names(result.sheets)
