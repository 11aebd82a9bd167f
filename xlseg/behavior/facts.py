"""Step 1: reduce the raw events to compact facts — the only code that reads every activity row.

Every behavioural definition (:mod:`~xlseg.behavior.retention`, :mod:`~xlseg.behavior.lifecycle`,
:mod:`~xlseg.behavior.rfm`, :mod:`~xlseg.behavior.engagement`, :mod:`~xlseg.behavior.activity`) is computed
from these facts only. Another engine provides the same facts from its own tables (in SQL:
``SELECT DISTINCT user, period …``, ``GROUP BY user`` with ``MIN/MAX/COUNT(*)/SUM``) and reuses step 2 as is.

All facts are on integer codes: users ``0 … n_users-1`` (see :class:`~xlseg.behavior.events.Events`),
day numbers (days since 1970-01-01) and period codes (:mod:`xlseg.behavior.periods`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from xlseg.behavior.events import Events
from xlseg.behavior.periods import period_codes
from xlseg.engine.kernels import group_sizes, group_sums

#: Distinct pairs are found with a bitmap of users × span when it has at most this many cells, else by sorting.
BITMAP_CELLS = 400_000_000


@dataclass
class UserFacts:
    """Per user code: first and last activity day, number of activity rows, sum of values.

    ``first_day``/``last_day`` are -1 and ``rows`` is 0 for users without activity; ``value_sum`` skips missing
    values (0.0 when none) and is None without a value column.
    """

    first_day: np.ndarray
    last_day: np.ndarray
    rows: np.ndarray
    value_sum: np.ndarray | None


@dataclass
class Pairs:
    """Distinct (user code, period or day code) pairs, sorted by user then code."""

    user: np.ndarray
    code: np.ndarray


def _reduced(ev: Events, key: object, compute: Callable[[], object]) -> object:
    """The fact ``key``, reduced once per events: by the source's engine when the rows stay there
    (:class:`xlseg.behavior.pushdown.SourceEvents` has ``engine_facts``), else by ``compute`` from the rows."""
    if key not in ev.cache:
        engine_facts = getattr(ev, "engine_facts", None)
        ev.cache[key] = engine_facts(key) if engine_facts is not None else compute()
    return ev.cache[key]


def user_facts(ev: Events) -> UserFacts:
    """First/last day, row count and value sum per user (``GROUP BY user``)."""
    return _reduced(ev, "users", lambda: _user_facts(ev))  # type: ignore[return-value]


def _user_facts(ev: Events) -> UserFacts:
    n = ev.n_users
    rows = group_sizes(ev.codes, n)
    first = np.full(n, np.iinfo(np.int64).max)
    last = np.full(n, -1, dtype=np.int64)
    np.minimum.at(first, ev.codes, ev.days)
    np.maximum.at(last, ev.codes, ev.days)
    first[rows == 0] = -1
    value_sum = None
    if ev.values is not None:
        present = ~np.isnan(ev.values)
        value_sum = group_sums(ev.codes[present], n, ev.values[present])
    return UserFacts(first, last, rows, value_sum)


def active_periods(ev: Events, period: str) -> Pairs:
    """Distinct (user, period) pairs of activity (``SELECT DISTINCT user, period``)."""
    return _reduced(ev, ("periods", period),  # type: ignore[return-value]
                    lambda: distinct_pairs(ev.codes, period_codes(ev.days, period), ev.n_users))


def active_days(ev: Events, start: int, stop: int) -> Pairs:
    """Distinct (user, day) pairs of activity on days ``start <= day < stop``."""
    def compute() -> Pairs:
        inside = (ev.days >= start) & (ev.days < stop)
        return distinct_pairs(ev.codes[inside], ev.days[inside], ev.n_users)

    return _reduced(ev, ("days", start, stop), compute)  # type: ignore[return-value]


def distinct_pairs(users: np.ndarray, codes: np.ndarray, n_users: int) -> Pairs:
    """Distinct (user, code) pairs sorted by user then code, on integer keys ``user * span + code``."""
    if users.size == 0:
        return Pairs(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))
    low = int(codes.min())
    span = int(codes.max()) - low + 1
    keys = users.astype(np.int64) * span + (codes - low)
    if n_users * span <= BITMAP_CELLS:
        seen = np.zeros(n_users * span, dtype=bool)
        seen[keys] = True
        keys = np.flatnonzero(seen)
    else:
        keys = np.unique(keys)
    return Pairs(keys // span, keys % span + low)
