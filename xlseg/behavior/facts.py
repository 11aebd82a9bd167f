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
from xlseg.engine.kernels import group_sizes

#: Distinct pairs are found with a bitmap of users × span when it has at most this many cells, else by sorting.
BITMAP_CELLS = 400_000_000
#: Rows per chunk where the rows are gone through chunk by chunk (the chunk's temporaries stay in the cache).
CHUNK_ROWS = 1 << 20


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
    value_sum = None if ev.values is None else _value_sums(ev.codes, ev.values, n)
    return UserFacts(first, last, rows, value_sum)


def _value_sums(codes: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """Sum of the non-missing values per user code, added in row order as :func:`group_sums` adds them.

    Chunk by chunk, a missing value adds +0.0, which leaves every partial sum as it is (they start at +0.0, so
    none is -0.0): the same sums as skipping those rows, without full-size copies of the rows that are present.
    """
    sums = np.zeros(n)
    for start in range(0, len(values), CHUNK_ROWS):
        chunk = values[start:start + CHUNK_ROWS]
        missing = np.isnan(chunk)
        np.add.at(sums, codes[start:start + CHUNK_ROWS], np.where(missing, 0.0, chunk) if missing.any() else chunk)
    return sums


def active_periods(ev: Events, period: str) -> Pairs:
    """Distinct (user, period) pairs of activity (``SELECT DISTINCT user, period``)."""
    return _reduced(ev, ("periods", period), lambda: _period_pairs(ev, period))  # type: ignore[return-value]


def _period_pairs(ev: Events, period: str) -> Pairs:
    """:func:`active_periods` without a full-size array of period codes or keys: the period of each day is
    looked up in a table over the span of days, and the (user, period) keys are marked in a bitmap chunk by
    chunk. Falls back to :func:`distinct_pairs` when the bitmap or the table would be too large."""
    if ev.days.size == 0:
        return distinct_pairs(ev.codes, ev.days, ev.n_users)
    first_day, last_day = int(ev.days.min()), int(ev.days.max())
    table = period_codes(np.arange(first_day, last_day + 1), period)
    low, span = int(table[0]), int(table[-1]) - int(table[0]) + 1
    if ev.n_users * span > BITMAP_CELLS or last_day - first_day >= max(ev.days.size, 1 << 16):
        return distinct_pairs(ev.codes, period_codes(ev.days, period), ev.n_users)
    table -= low
    seen = np.zeros(ev.n_users * span, dtype=bool)
    for start in range(0, ev.days.size, CHUNK_ROWS):
        stop = start + CHUNK_ROWS
        keys = np.take(table, ev.days[start:stop] - first_day)
        keys += ev.codes[start:stop] * span
        seen[keys] = True
    return _marked_pairs(seen, span, low)


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
    keys = np.multiply(users, span, dtype=np.int64)  # one full-size array, added to in place
    keys += codes
    if low:
        keys -= low
    if n_users * span <= BITMAP_CELLS:
        seen = np.zeros(n_users * span, dtype=bool)
        seen[keys] = True
        del keys
        return _marked_pairs(seen, span, low)
    return _split_keys(np.unique(keys), span, low)


def _marked_pairs(seen: np.ndarray, span: int, low: int) -> Pairs:
    """The pairs whose keys ``user * span + (code - low)`` are marked in the bitmap ``seen``."""
    return _split_keys(np.flatnonzero(seen), span, low)


def _split_keys(keys: np.ndarray, span: int, low: int) -> Pairs:
    """Sorted keys ``user * span + (code - low)`` back to pairs."""
    user, code = np.divmod(keys, span)
    if low:
        code += low
    return Pairs(user, code)
