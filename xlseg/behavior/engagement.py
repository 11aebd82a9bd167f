"""Engagement: the power-user curve and DAU / WAU / MAU / stickiness over a window of days.

Definitions (``xlseg.engagement``), over the ``window`` days before ``as_of`` (days as_of−window … as_of−1):

- days active of a user = distinct days with activity in the window;
- the curve: for k = 1…window, ``users`` with exactly k days active, ``share`` of the users active in the
  window, and ``share_at_least`` of them active k days or more;
- DAU = mean over the window's days of the users active that day; WAU / MAU = users active in the last 7 / 28
  days before as_of; stickiness = DAU ÷ users active in the window.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from xlseg.behavior.events import Events
from xlseg.behavior.facts import Pairs, active_days
from xlseg.behavior.pushdown import open_events
from xlseg.errors import XlsegError


def engagement(
    events: object,
    user: str | None = None,
    time: str | None = None,
    *,
    window: int = 28,
    as_of: object = None,
    tz: str | None = None,
    engine: str = "auto",
    memory_limit: str | None = None,
) -> pd.DataFrame:
    """The power-user curve: ``days_active`` (1…window), ``users``, ``share``, ``share_at_least``.

    ``.attrs["summary"]`` maps DAU, WAU, MAU, users active in the window and stickiness to their values;
    ``.attrs["notes"]`` says what was cleaned. ``tz`` (an IANA zone) counts times with a zone (``…Z``) as local
    days there (default: UTC days). ``engine``/``memory_limit`` as in :func:`xlseg.breakdown`: ``events`` may
    also be a source its own engine reduces (Parquet glob, DuckDB relation, Ibis table, PySpark DataFrame;
    :mod:`xlseg.behavior.pushdown`).
    """
    window = check_window(window)
    ev = open_events(events, user, time, as_of=as_of, tz=tz,
                     engine=engine, memory_limit=memory_limit)
    return engagement_of(ev, window)


def engagement_of(ev: Events, window: int = 28) -> pd.DataFrame:
    """:func:`engagement` of events already read."""
    start = ev.as_of - max(window, 28)
    pairs = active_days(ev, start, ev.as_of)
    table = engagement_table(pairs, ev.as_of, window)
    table.attrs["notes"] = list(ev.notes)
    return table


def check_window(window: object) -> int:
    """The window as a whole number of days ≥ 1."""
    try:
        days = int(window)
    except (TypeError, ValueError):
        days = 0
    if days < 1 or days != float(window):
        raise XlsegError(f"window '{window}' must be a whole number of days, at least 1")
    return days


def days_active(pairs: Pairs, start: int, stop: int, n_users: int) -> np.ndarray:
    """Distinct active days per user code within ``start <= day < stop``."""
    inside = (pairs.code >= start) & (pairs.code < stop)
    return np.bincount(pairs.user[inside], minlength=n_users).astype(np.int64)


def engagement_table(pairs: Pairs, as_of: int, window: int) -> pd.DataFrame:
    """Step 2: the curve and its summary from distinct (user, day) pairs covering at least the last
    ``max(window, 28)`` days before ``as_of``."""
    n_users = int(pairs.user.max()) + 1 if pairs.user.size else 0
    per_user = days_active(pairs, as_of - window, as_of, n_users)
    per_user = per_user[per_user > 0]
    users = np.bincount(per_user, minlength=window + 1)[1:].astype(np.int64)
    total = int(users.sum())
    at_least = np.cumsum(users[::-1])[::-1]
    with np.errstate(invalid="ignore", divide="ignore"):
        table = pd.DataFrame({"days_active": np.arange(1, window + 1), "users": users,
                              "share": users / total, "share_at_least": at_least / total})
    inside = (pairs.code >= as_of - window) & (pairs.code < as_of)
    dau = inside.sum() / window
    wau = int((days_active(pairs, as_of - 7, as_of, n_users) > 0).sum())
    mau = int((days_active(pairs, as_of - 28, as_of, n_users) > 0).sum())
    table.attrs["summary"] = {
        "DAU (mean)": float(dau), "WAU (last 7 days)": wau, "MAU (last 28 days)": mau,
        f"users active in {window} days": total, "stickiness (DAU / window users)": dau / total if total else None,
    }
    return table
