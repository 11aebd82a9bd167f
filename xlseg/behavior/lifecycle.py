"""Lifecycle: each period's active users split into new, returning and resurrecting, and those lost (dormant).

Definitions (``xlseg.lifecycle``), for each period t from the first active period to the period of ``as_of − 1``:

- active(t): users with at least one activity in t;
- new(t): active in t, and t is the period of their first activity ever — or, with a signup column, of their
  signup (then activity before the signup period is not counted, so every identity below still holds);
- returning(t): active in t and in t−1;
- resurrecting(t): active in t, not in t−1, and not new;
- dormant(t): active in t−1 and not in t, as a negative count (as PostHog plots it);
- quick_ratio(t) = (new + resurrecting) ÷ |dormant|, blank when dormant is 0.

So active(t) = new + returning + resurrecting, and active(t−1) = returning(t) + |dormant(t)|.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from xlseg.behavior.events import Events
from xlseg.behavior.facts import Pairs, active_periods
from xlseg.behavior.periods import check_period, labels, period_codes
from xlseg.behavior.pushdown import open_events
from xlseg.behavior.retention import NO_COHORT, first_periods, signup_periods
from xlseg.io.cells import plural

STATES = ("new", "returning", "resurrecting", "dormant")


def lifecycle(
    events: object,
    user: str | None = None,
    time: str | None = None,
    *,
    period: str = "month",
    users: object = None,
    signup: str | None = None,
    as_of: object = None,
    tz: str | None = None,
    engine: str = "auto",
    memory_limit: str | None = None,
) -> pd.DataFrame:
    """Lifecycle per period: ``period``, ``new``, ``returning``, ``resurrecting``, ``dormant`` (negative),
    ``active``, ``quick_ratio``; one row per period from the first active one to the period of ``as_of − 1 day``.

    Args:
        events: the activity table; ``user``/``time`` its id and date columns (default: detected).
        period: ``day``, ``week`` (ISO), ``month`` or ``quarter``.
        users, signup: a user table and its signup date column: "new" then means "signed up in this period".
        as_of: the first day after the analysed data (default: the day after the last activity).
        tz: an IANA zone (``"Europe/Berlin"``): times with a zone (``…Z``, ``+02:00``) count as local days there
            (default: UTC days).
        engine, memory_limit: as in :func:`xlseg.breakdown`. ``events`` may also be a source its own engine reduces
            (a glob of Parquet/CSV files, a DuckDB relation or ``(connection, "table")``, an Ibis table, a PySpark
            DataFrame): only per-user facts come back (:mod:`xlseg.behavior.pushdown`).
    """
    period = check_period(period)
    ev = open_events(events, user, time, users=users, as_of=as_of, tz=tz,
                     engine=engine, memory_limit=memory_limit)
    return lifecycle_of(ev, period=period, signup=signup)


def lifecycle_of(ev: Events, *, period: str = "month", signup: str | None = None) -> pd.DataFrame:
    """:func:`lifecycle` of events already read."""
    pairs = active_periods(ev, period)
    last = int(period_codes(np.array([ev.as_of - 1]), period)[0])
    notes = list(ev.notes)
    if signup is None:
        new_period = first_periods(pairs, ev.n_users)
    else:
        new_period = signup_periods(ev, signup, period, last, notes)
        start = new_period[pairs.user]
        early = (start != NO_COHORT) & (pairs.code < start)
        if early.any():
            notes.append(f"{plural(int(early.sum()), 'user-' + period)} of activity before signup not counted")
            pairs = Pairs(pairs.user[~early], pairs.code[~early])
    table = lifecycle_table(pairs, new_period, last, period)
    table.attrs["notes"] = notes
    return table


def pair_states(pairs: Pairs, new_period: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each (user, period) pair (sorted by user then period): is it new, returning; does the user stay
    active in the next period."""
    follows = np.r_[False, (pairs.user[1:] == pairs.user[:-1]) & (pairs.code[1:] == pairs.code[:-1] + 1)]
    stays = np.r_[follows[1:], False]
    is_new = pairs.code == new_period[pairs.user]
    return is_new, follows, stays


def lifecycle_table(pairs: Pairs, new_period: np.ndarray, last: int, period: str) -> pd.DataFrame:
    """Step 2: the lifecycle table from distinct (user, period) pairs and each user's "new" period."""
    first = int(pairs.code.min())
    n = last - first + 1
    is_new, returning, stays = pair_states(pairs, new_period)
    # one count per (period, state): the state's bits are new (1), returning (2) and active in the next period (4)
    key = pairs.code - first
    key *= 8
    for mask, times in ((is_new, 1), (returning, 2), (stays, 4)):  # added in place: no full-size temporaries
        for _ in range(times):
            key += mask
    by_state = np.bincount(key, minlength=8 * n)[: 8 * n].reshape(n, 8).astype(np.int64)
    active = by_state.sum(axis=1)
    new = by_state[:, 1::2].sum(axis=1)
    back = by_state[:, [2, 3, 6, 7]].sum(axis=1)
    lost = by_state[:, :4].sum(axis=1)  # active in t, not in t+1: dormant in t+1
    dormant = -np.r_[0, lost[:-1]].astype(np.int64)
    resurrecting = active - new - back
    with np.errstate(divide="ignore", invalid="ignore"):
        quick = np.where(dormant != 0, (new + resurrecting) / np.abs(dormant), np.nan)
    return pd.DataFrame({
        "period": labels(np.arange(first, last + 1), period),
        "new": new, "returning": back, "resurrecting": resurrecting, "dormant": dormant,
        "active": active, "quick_ratio": quick,
    })


def last_period_states(pairs: Pairs, new_period: np.ndarray, last: int, n_users: int) -> np.ndarray:
    """Each user's lifecycle stage in the last period: new / returning / resurrecting (active in it), dormant
    (active in the one before only), inactive (active earlier) or "never active"."""
    is_new, returning, _ = pair_states(pairs, new_period)
    stage = np.full(n_users, "never active", dtype=object)
    stage[pairs.user] = "inactive"  # overwritten below for users active in the last two periods
    before = pairs.code == last - 1
    stage[pairs.user[before]] = "dormant"
    now = pairs.code == last
    state = np.where(is_new, "new", np.where(returning, "returning", "resurrecting"))
    stage[pairs.user[now]] = state[now]
    return stage
