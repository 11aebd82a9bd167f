"""Behavioural step 1 on the source's own engine: DuckDB (files past memory, relations, tables), Spark, any Ibis
backend.

:func:`open_events` is where every behavioural analysis reads its activity table. For in-memory inputs it is
:func:`xlseg.behavior.events.read_events`. For a source that its engine aggregates
(:func:`xlseg.io.sources.open_source`) it returns :class:`SourceEvents`: the raw events stay in the engine, and the
facts of :mod:`xlseg.behavior.facts` are computed there by one Ibis expression each (the same expression for
DuckDB, Spark and the others) — only the facts come back:

- per user (``GROUP BY user``): first and last day number, row count, value sum (missing and NaN values skipped);
- distinct (user, period code) pairs;
- distinct (user, day number) pairs in a window of days.

Step 2 (:mod:`~xlseg.behavior.retention`, :mod:`~xlseg.behavior.lifecycle`, :mod:`~xlseg.behavior.rfm`,
:mod:`~xlseg.behavior.engagement`, :mod:`~xlseg.behavior.activity`) is reused unchanged.

Days and periods mean the same on every engine: the day is the timestamp's calendar date as stored (naive;
day numbers count from 1970-01-01), weeks are ISO weeks (Monday start) numbered as :mod:`xlseg.behavior.periods`
numbers them (``floor((day + 3) / 7)``), months ``(year − 1970) × 12 + month − 1``, quarters ``months // 3``.
Users are numbered in the order of their ids (sorted), so tables list users by id.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from xlseg.behavior.events import Events, _ids, _join_users, read_events
from xlseg.behavior.facts import Pairs, UserFacts, distinct_pairs
from xlseg.behavior.periods import day_number, day_text
from xlseg.engine.pushdown import schema_roles
from xlseg.errors import XlsegError, column_not_found
from xlseg.io.cells import plural, quoted
from xlseg.io.sources import Source, in_memory_only, open_source
from xlseg.schema import Role


def open_events(
    events: object,
    user: str | None = None,
    time: str | None = None,
    value: str | None = None,
    *,
    users: object = None,
    as_of: object = None,
    keep: Sequence[str] = (),
    roles: Mapping[str, str] | None = None,
    tz: str | None = None,
    engine: str = "auto",
    memory_limit: str | None = None,
) -> Events:
    """The activity table as :class:`~xlseg.behavior.events.Events`: read into memory, or left in its engine.

    Arguments as :func:`~xlseg.behavior.events.read_events`, plus ``engine`` (``"auto"``, ``"pandas"`` or
    ``"duckdb"``, for file paths) and ``memory_limit`` (DuckDB's, e.g. ``"1GB"``) as in :func:`xlseg.breakdown`.
    ``roles`` and ``tz`` apply to tables read into memory only: with a source they are an error.
    """
    source = open_source(events, engine=engine, memory_limit=memory_limit)
    if source is None:
        return read_events(events, user, time, value, users=users, as_of=as_of, keep=keep, roles=roles, tz=tz)
    in_memory_only(source, roles=roles or None, tz=tz)
    return source_events(source, user, time, value, users=users, as_of=as_of, keep=keep)


@dataclass
class SourceEvents(Events):
    """Events whose rows stay in their engine; :mod:`xlseg.behavior.facts` asks :meth:`engine_facts` for facts.

    ``codes``, ``days`` and ``values`` are empty (no row comes back); ``frame`` is None.
    """

    source: Source | None = None
    events: Any = None  # Ibis expression: the kept rows as columns u (user id), dt (date), v (value)
    _index: pd.Index | None = field(default=None, repr=False)

    def engine_facts(self, key: object) -> object:
        """The fact ``key`` of :mod:`xlseg.behavior.facts` (``"users"``, ``("periods", p)``, ``("days", a, b)``),
        computed by the engine."""
        if key == "users":
            raise AssertionError("user facts are computed when the events are opened")  # pragma: no cover
        t = self.events
        if isinstance(key, tuple) and key[0] == "periods":
            return self._pairs(t.select(u=t.u, c=period_code(t.dt, str(key[1]))).distinct())
        if isinstance(key, tuple) and key[0] == "days":
            start, stop = int(key[1]), int(key[2])  # type: ignore[call-overload]
            inside = t.filter(t.dt >= _date(start), t.dt < _date(stop))
            return self._pairs(inside.select(u=inside.u, c=inside.dt.epoch_days().cast("int64")).distinct())
        raise KeyError(key)

    def _pairs(self, expr: Any) -> Pairs:
        """Distinct (user id, code) rows from the engine as (user code, code) pairs sorted by user, then code."""
        assert self.source is not None and self._index is not None
        frame = self.source.execute(expr)
        users = self._index.get_indexer(frame["u"]).astype(np.int64)
        return distinct_pairs(users, frame["c"].to_numpy(dtype=np.int64), len(self._index))  # sorts them


def _date(day: int) -> Any:
    """Day number ``day`` as an Ibis date literal."""
    import ibis

    return ibis.date(day_text(day))


def period_code(date: Any, period: str) -> Any:
    """The Ibis expression of the period code of the date ``date`` (see the module docstring)."""
    if period in ("day", "week"):
        day = date.epoch_days().cast("int64")
        return day if period == "day" else (day + 3) // 7
    months = (date.year() - 1970) * 12 + date.month() - 1
    return months if period == "month" else months // 3


def source_events(
    source: Source,
    user: str | None = None,
    time: str | None = None,
    value: str | None = None,
    *,
    users: object = None,
    as_of: object = None,
    keep: Sequence[str] = (),
) -> SourceEvents:
    """Check the columns, count the rows that are dropped, and reduce the per-user facts in ``source``'s engine."""
    import ibis

    roles = schema_roles(source, None)
    time = time or _detect(source, roles, Role.DATE, "date", "time")
    user = user or _detect(source, roles, Role.ID, "user id", "user")
    if value == "auto":
        value = next((c for c in source.columns if roles[c] == Role.METRIC and c not in (user, time)), None)
    for name in (user, time, *([value] if value else [])):
        if name not in source.columns:
            raise column_not_found(name, source.columns)
    if keep:
        raise XlsegError(f"'{keep[0]}' is a column of the activity table; on a {source.backend} source give "
                         "segment columns in the user table (users=), or read the events with engine pandas")
    schema = source.table.schema()
    t = source.table
    stamp = t[time]
    if schema[time].is_timestamp():
        date = stamp.date()
    elif schema[time].is_date():
        date = stamp
    else:
        raise XlsegError(f"column '{time}' is stored as {schema[time]} in {source.backend}, not as dates; "
                         "cast it to a timestamp in the query, or read the file with engine pandas")
    v = ibis.literal(None, type="float64")  # NaN values are skipped where they are summed, as in memory
    if value:
        dtype = schema[value]
        if not dtype.is_numeric() or dtype.is_boolean():
            raise XlsegError(f"value column '{value}' is stored as {dtype} in {source.backend}, not as numbers; "
                             "choose a column of amounts")
        v = t[value].cast("float64")
    rows = t.select(u=t[user], dt=date, v=v)
    stop = None if as_of is None else day_number(as_of)
    per_user, counts = _per_user(source, rows, stop)
    notes = list(source.notes)
    if counts["no_user"]:
        notes.append(f"dropped {plural(counts['no_user'], 'row')} with a blank user id in '{user}'")
    if counts["no_time"]:
        notes.append(f"dropped {plural(counts['no_time'], 'row')} whose time in '{time}' is blank or unreadable")
    if counts["late"]:
        notes.append(f"excluded {plural(counts['late'], 'row')} on or after as_of {day_text(stop or 0)}")
    if per_user.empty:
        if counts["first"] is None:
            raise XlsegError(f"no activity rows with both a user id in '{user}' and a date in '{time}'")
        first = day_text(counts["first"])
        raise XlsegError(f"no activity before as_of {day_text(stop or 0)}; the first is on {first}")
    if stop is None:
        stop = int(per_user["last"].max()) + 1
    kept = rows.filter(rows.u.notnull(), rows.dt < _date(stop))
    ids = _ids(per_user["u"].to_numpy(), user)
    empty = np.zeros(0, dtype=np.int64)
    facts = UserFacts(per_user["first"].to_numpy(dtype=np.int64), per_user["last"].to_numpy(dtype=np.int64),
                      per_user["n"].to_numpy(dtype=np.int64),
                      per_user["s"].to_numpy(dtype=np.float64, na_value=0.0) if value else None)
    ev = SourceEvents(user, ids, empty, empty, empty.astype(float) if value else None, stop, notes, value=value,
                      source=source, events=kept, _index=pd.Index(per_user["u"]))
    ev.cache["users"] = facts
    if users is not None:
        _join_users(ev, users)
        extra = ev.n_users - len(facts.rows)
        if extra:
            none = np.full(extra, -1, dtype=np.int64)
            ev.cache["users"] = UserFacts(np.r_[facts.first_day, none], np.r_[facts.last_day, none],
                                          np.r_[facts.rows, np.zeros(extra, dtype=np.int64)],
                                          None if facts.value_sum is None else np.r_[facts.value_sum, np.zeros(extra)])
    return ev


def _per_user(source: Source, rows: Any, stop: int | None) -> tuple[pd.DataFrame, dict[str, Any]]:
    """One ``GROUP BY user`` pass: per user with usable rows (a time, before ``stop``) their first and last day,
    row count and value sum, sorted by id; and the counts of rows without a user, without a time, on or after
    ``stop``, and the first usable day."""
    import ibis

    usable = rows.dt.notnull() if stop is None else rows.dt < _date(stop)  # a time, before stop
    number = usable & ~rows.v.isnan()  # NaN values are missing, as in memory

    # the blank user's rows form their own group; the ids are filled there so an integer id column comes back
    # as integers (a NULL in it would turn every id into a float through pandas)
    dtype = rows.u.type()
    filler = 0 if dtype.is_integer() else "" if dtype.is_string() else None
    key = rows.u if filler is None else rows.u.fill_null(filler)
    grouped = source.execute(rows.group_by(u=key, blank=rows.u.isnull()).aggregate(
        all=rows.count(), dated=rows.dt.count(),
        late=rows.dt.count(where=rows.dt >= _date(stop)) if stop is not None else ibis.literal(0),
        seen=rows.dt.min().epoch_days(), first=rows.dt.min(where=usable).epoch_days(),
        last=rows.dt.max(where=usable).epoch_days(), n=rows.dt.count(where=usable), s=rows.v.sum(where=number)))
    blank = grouped["blank"].to_numpy(dtype=bool)
    users = grouped[~blank]
    seen = users["seen"].dropna()
    counts = {"no_user": int(grouped.loc[blank, "all"].sum()), "no_time": int((users["all"] - users["dated"]).sum()),
              "late": int(users["late"].sum()), "first": int(seen.min()) if len(seen) else None}
    users = users[users["n"] > 0].sort_values("u", kind="stable").reset_index(drop=True)
    return users, counts


def _detect(source: Source, roles: Mapping[str, Role], role: Role, what: str, argument: str) -> str:
    """The first column of ``role`` by its stored type; an error listing the columns seen when there is none."""
    found = [c for c in source.columns if roles[c] == role]
    if found:
        return found[0]
    raise XlsegError(f"no {what} column found among {quoted(source.columns, limit=8)}; name it with {argument}=")
