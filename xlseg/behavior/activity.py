"""One row per user describing their behaviour — a normal xlseg input for breakdowns by attribute.

``xlseg.breakdown(xlseg.activity(ev, "user_id", "time", "revenue", users=u), ["geography", "segment"],
"monetary:mean")`` segments behaviour by attribute.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from xlseg.behavior.engagement import days_active
from xlseg.behavior.events import Events
from xlseg.behavior.facts import active_days, active_periods, user_facts
from xlseg.behavior.lifecycle import last_period_states
from xlseg.behavior.periods import check_period, period_codes
from xlseg.behavior.pushdown import open_events
from xlseg.behavior.retention import first_periods
from xlseg.behavior.rfm import DEFAULT_SEGMENTS, rfm_table, segment_grid
from xlseg.errors import XlsegError

NEVER_ACTIVE = "never active"
#: Lifecycle stages of a user in the last period, in the order tables show them.
STAGES = ("new", "returning", "resurrecting", "dormant", "inactive", NEVER_ACTIVE)
#: Engagement tiers on days active in the last 28 days: name → the fewest days of the tier.
DEFAULT_TIERS: dict[str, int] = {"inactive": 0, "light": 1, "regular": 4, "frequent": 12, "power": 20}


def activity(
    events: object,
    user: str | None = None,
    time: str | None = None,
    value: str | None = None,
    *,
    users: object = None,
    as_of: object = None,
    period: str = "month",
    tiers: Mapping[str, int] | None = None,
    segments: object = "default",
    tz: str | None = None,
    engine: str = "auto",
    memory_limit: str | None = None,
) -> pd.DataFrame:
    """One row per user: the user column, ``first_seen``, ``last_seen``, ``recency_days`` (days from the last
    activity to ``as_of``), ``tenure_days`` (days from the first activity to ``as_of``), ``events`` (rows),
    ``active_days`` (distinct days), ``active_days_7`` and ``active_days_28`` (distinct days in the last 7 / 28
    days before as_of), ``monetary`` (value sum; only with ``value``), ``R``, ``F``, ``M``, ``segment`` (as
    :func:`xlseg.rfm`), ``lifecycle`` (stage in the last ``period``: new, returning, resurrecting, dormant,
    inactive), ``engagement`` (tier by ``active_days_28``: :data:`DEFAULT_TIERS`, or ``tiers`` name → fewest
    days), then with ``users`` the user table's columns; its users without activity are kept as "never active".
    ``tz`` (an IANA zone) counts times with a zone (``…Z``) as local days there (default: UTC days).
    ``engine``/``memory_limit`` as in :func:`xlseg.breakdown`: ``events`` may also be a source its own engine
    reduces (Parquet glob, DuckDB relation, Ibis table, PySpark DataFrame; :mod:`xlseg.behavior.pushdown`).
    """
    check_period(period)  # bad options fail before the events are read
    _tiers(tiers)
    segment_grid(segments)
    ev = open_events(events, user, time, value, users=users, as_of=as_of, tz=tz,
                     engine=engine, memory_limit=memory_limit)
    return activity_of(ev, period=period, tiers=tiers, segments=segments)


def activity_of(
    ev: Events, *, period: str = "month", tiers: Mapping[str, int] | None = None, segments: object = "default"
) -> pd.DataFrame:
    """:func:`activity` of events already read."""
    period = check_period(period)
    tier_names, tier_edges = _tiers(tiers)
    grid = segment_grid(segments)
    facts = user_facts(ev)
    n = ev.n_users
    active = facts.rows > 0
    first_day = int(facts.first_day[active].min())  # the first activity day
    days = active_days(ev, first_day, ev.as_of)
    pairs = active_periods(ev, period)
    last = int(period_codes(np.array([ev.as_of - 1]), period)[0])

    def dates(day: np.ndarray) -> np.ndarray:
        out = day.astype("datetime64[D]").astype("datetime64[us]")
        out[~active] = np.datetime64("NaT")
        return out

    def when_active(values: np.ndarray) -> np.ndarray:
        return np.where(active, values, np.nan)

    table = pd.DataFrame({
        ev.user: ev.ids.to_numpy(),
        "first_seen": dates(facts.first_day),
        "last_seen": dates(facts.last_day),
        "recency_days": when_active(ev.as_of - facts.last_day),
        "tenure_days": when_active(ev.as_of - facts.first_day),
        "events": facts.rows,
        "active_days": days_active(days, first_day, ev.as_of, n),
        "active_days_7": days_active(days, ev.as_of - 7, ev.as_of, n),
        "active_days_28": days_active(days, ev.as_of - 28, ev.as_of, n),
    })
    scores = rfm_table(facts, ev.as_of, grid)
    if facts.value_sum is not None:
        table["monetary"] = facts.value_sum
    for column in ("R", "F", "M"):
        filled = np.full(n, np.nan)
        filled[active] = scores[column].to_numpy(dtype=float, na_value=np.nan)
        table[column] = filled
    segment = np.full(n, NEVER_ACTIVE, dtype=object)
    segment[active] = scores["segment"].to_numpy()
    table["segment"] = pd.Categorical(segment, categories=_segment_order(grid))
    table["lifecycle"] = pd.Categorical(last_period_states(pairs, first_periods(pairs, n), last, n),
                                        categories=STAGES)
    tier = np.searchsorted(tier_edges, table["active_days_28"].to_numpy(), side="right") - 1
    table["engagement"] = pd.Categorical.from_codes(tier, categories=tier_names)
    if ev.attributes is not None:
        table = pd.concat([table, ev.attributes.reset_index(drop=True)], axis=1)
    table.attrs["notes"] = list(ev.notes)
    return table


def _segment_order(grid: np.ndarray) -> list[str]:
    """Segment names as categories: the default map's order (else by first R × F cell), then "never active"."""
    names = list(dict.fromkeys(grid[::-1].ravel().tolist()))
    default = [name for name in DEFAULT_SEGMENTS if name in names]
    return [*default, *[name for name in names if name not in default], NEVER_ACTIVE]


def _tiers(tiers: Mapping[str, int] | None) -> tuple[list[str], np.ndarray]:
    """Tier names and their lowest day counts, sorted; the lowest must be 0 so every user has a tier."""
    spec = dict(DEFAULT_TIERS if tiers is None else tiers)
    try:
        items = sorted(((int(low), str(name)) for name, low in spec.items()))
    except (TypeError, ValueError):
        raise XlsegError("tiers must map each tier name to the fewest days active of the tier, e.g. light=1") from None
    if not items or items[0][0] != 0:
        raise XlsegError("tiers must start at 0 days active (e.g. inactive=0) so every user gets a tier")
    return [name for _, name in items], np.array([low for low, _ in items])
