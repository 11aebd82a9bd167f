"""Read an activity table (one row per event, order or session) into integer-coded events.

The input takes every form :func:`xlseg.load_table` takes and gets the same cleaning and notes. Then:

- the user column becomes dense integer codes (a blank id drops the row, counted in the notes);
- the time column becomes day numbers (days since 1970-01-01; the time of day is not used). A time column
  that is not wholly dates is read as ISO text where it can be, and rows whose time is blank or unreadable are
  dropped and counted;
- activity on or after ``as_of`` (the first day *after* the analysed data; default: the day after the last
  activity) is excluded with a note;
- the value column (revenue) must be numeric: anything else is an error naming the column;
- with a user table, its ids are matched to the activity's ids (``12``, ``12.0`` and ``"12"`` are one user);
  its users without activity get codes after the active ones, and both "users without activity" and
  "activity of users without a row in the user table" are counted in the notes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path

import numpy as np
import pandas as pd

from xlseg.behavior.periods import day_number, day_text
from xlseg.behavior.typed import typed_columns
from xlseg.errors import XlsegError, column_not_found
from xlseg.io.cells import cell_text, plural, quoted
from xlseg.io.codes import code_numbers
from xlseg.io.load import load_table
from xlseg.io.timestamps import check_zone
from xlseg.schema import Role, Table


@dataclass
class Events:
    """Activity rows as integer codes, ready for :mod:`xlseg.behavior.facts`.

    Attributes:
        user: name of the user column.
        ids: the id of each user code (codes ``0 … n_users-1``); active users first.
        codes: user code of each activity row (int64).
        days: day number of each activity row (int64, days since 1970-01-01), all before ``as_of``.
        values: the value (revenue) of each row as float64 (NaN when missing), or None without a value column.
        as_of: day number of the first day after the analysed data.
        notes: one sentence per cleaning step that changed something.
        attributes: with a user table, one row per user code (aligned with ``ids``) holding its columns
            except the id; else None.
        frame: the cleaned activity table (for segment columns such as ``by``), rows aligned with ``codes``.
        cache: facts already computed from these events, so several analyses reduce the rows once.
        value: name of the value column, or None.
    """

    user: str
    ids: pd.Series
    codes: np.ndarray
    days: np.ndarray
    values: np.ndarray | None
    as_of: int
    notes: list[str] = field(default_factory=list)
    attributes: pd.DataFrame | None = None
    frame: pd.DataFrame | None = None
    cache: dict[object, object] = field(default_factory=dict, repr=False)  # facts already reduced (facts.py)
    value: str | None = None

    @property
    def n_users(self) -> int:
        """Number of user codes (active users, plus users of the user table without activity)."""
        return len(self.ids)


def read_events(
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
) -> Events:
    """Clean ``events`` and code its users, days and values (see the module docstring).

    ``user``/``time`` default to the table's first id and date columns, ``value="auto"`` to its first numeric
    column (or none); ``keep`` names further activity columns to keep in ``Events.frame``. ``users`` is a user
    table (any input form) with the ``user`` column. ``tz`` (an IANA zone such as ``"Europe/Berlin"``) reads
    times with a zone (``2024-03-01T10:00:00Z``) as local times there, so days and periods are local days; without
    it they are UTC (see :func:`xlseg.load_table`).
    """
    auto_value = value == "auto"
    named = [user, time, *([value] if value and not auto_value else []), *keep]
    wanted = None if user is None or time is None or auto_value else list(dict.fromkeys(named))
    typed = None if wanted is None else typed_columns(events, user, time, value, keep=keep, roles=roles)
    if typed is not None:  # typed Arrow columns: nothing to clean (tz only moves times with a zone)
        check_zone(tz)
        frame, notes, integer_ids = typed.frame, [], typed.ids
    else:
        events, integer_ids = _integer_ids(events, user, wanted, roles)
        if integer_ids is not None:  # whole-number ids need no cleaning: load the other columns only
            wanted = [c for c in wanted or () if c != user]
        table = load_table(events, columns=wanted, roles=roles, tz=tz)
        time = time or _detect(table, Role.DATE, "date", "time")
        user = user or _detect(table, Role.ID, "user id", "user")
        if auto_value:
            value = next((c for c in table.columns_with(Role.METRIC) if c not in (user, time)), None)
        for name in (time, *([value] if value else []), *keep, *([user] if integer_ids is None else [])):
            if name not in table.frame.columns:
                raise column_not_found(name, table.frame.columns)
        frame, notes = table.frame, list(table.notes)

    if integer_ids is not None and len(integer_ids) == len(frame):  # no row was dropped as empty
        codes, uniques = factorize_integers(integer_ids)
    else:
        if integer_ids is not None:
            table = load_table(events, columns=list(dict.fromkeys(named)), roles=roles, tz=tz)
            frame, notes = table.frame, list(table.notes)
        codes, uniques = pd.factorize(frame[user], use_na_sentinel=True)
    days, unreadable = _days(frame[time], time)
    drop = codes < 0
    if drop.any():
        notes.append(f"dropped {plural(int(drop.sum()), 'row')} with a blank user id in '{user}'")
    bad_time = unreadable & ~drop
    if bad_time.any():
        notes.append(f"dropped {plural(int(bad_time.sum()), 'row')} whose time in '{time}' is blank or unreadable")
    drop |= unreadable
    present_days = days[~drop] if drop.any() else days
    if present_days.size == 0:
        raise XlsegError(f"no activity rows with both a user id in '{user}' and a date in '{time}'")
    if as_of is None:
        stop = int(present_days.max()) + 1
    else:
        stop = day_number(as_of)
        late = ~drop & (days >= stop)
        if late.any():
            notes.append(f"excluded {plural(int(late.sum()), 'row')} on or after as_of {day_text(stop)}")
        drop |= late
        if drop.all():
            first = day_text(int(present_days.min()))
            raise XlsegError(f"no activity before as_of {day_text(stop)}; the first is on {first}")
    values = _values(frame, value) if value else None
    if drop.any():
        keep_rows = ~drop
        codes, days, frame = codes[keep_rows], days[keep_rows], frame[keep_rows].reset_index(drop=True)
        values = values[keep_rows] if values is not None else None
        codes, uniques = _recode(codes, uniques)
    ids = _ids(uniques, user)
    result = Events(user, ids, codes.astype(np.int64, copy=False), days, values, stop, notes, None, frame,
                    value=value)
    if users is not None:
        _join_users(result, users)
    return result


def _integer_ids(events: object, user: str | None, wanted: list[str] | None,
                 roles: Mapping[str, str] | None) -> tuple[object, np.ndarray | None]:
    """``(events, ids)``: the user column as integers when it is a numpy integer column of a DataFrame or a
    Parquet file (read here once) and all needed columns are named; else ``(events, None)``.

    Such ids are never blank and hold no text to clean, so factorizing the numbers gives the users the
    cleaned text would (at 10M rows this saves turning every id into text and hashing the text).
    """
    if user is None or wanted is None or (roles and user in roles):
        return events, None
    if isinstance(events, str | PathLike) and Path(events).suffix.lower() == ".parquet":
        import pyarrow.parquet as pq

        schema = pq.read_schema(events)
        if user not in schema.names or not str(schema.field(user).type).startswith(("int", "uint")):
            return events, None
        events = pd.read_parquet(events)  # what load_table reads; handed on as the DataFrame
    if not isinstance(events, pd.DataFrame) or user not in events.columns:
        return events, None
    dtype = events[user].dtype if list(events.columns).count(user) == 1 else None
    if not isinstance(dtype, np.dtype) or not np.issubdtype(dtype, np.integer):
        return events, None
    return events, events[user].to_numpy()


#: Integer ids are coded through a table over their range (no hashing) when the range is at most this many
#: times the number of rows; wider ranges are hashed by ``pd.factorize``.
DENSE_IDS = 2


def factorize_integers(ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``pd.factorize(ids)`` for an integer array: codes in order of first appearance and the distinct ids.

    When the ids fill a range of at most :data:`DENSE_IDS` × their count (user ids usually do), each id's first
    row is found with one ``np.minimum.at`` over a table indexed by id, with no hashing (at 10M rows of 1M users
    this is several times faster than hashing, whose table lookups miss the cache); else ``pd.factorize``.
    """
    ids = np.asarray(ids)
    if ids.size == 0:
        return pd.factorize(ids)
    low, high = int(ids.min()), int(ids.max())
    if low >= 0 and high < DENSE_IDS * ids.size:  # index the table by the id itself: no shifted copy
        low = 0
    span = high - low + 1
    if span > DENSE_IDS * ids.size:
        return pd.factorize(ids)
    slots = ids if low == 0 else np.subtract(ids, ids.dtype.type(low), dtype=ids.dtype)
    slots = slots.astype(np.intp, copy=False)
    rows = np.arange(ids.size, dtype=np.intp)
    first_row = np.full(span, ids.size, dtype=np.intp)
    np.minimum.at(first_row, slots, rows)
    is_first = np.zeros(ids.size, dtype=bool)
    is_first[first_row[first_row < ids.size]] = True
    in_order = slots[np.flatnonzero(is_first)]  # the ids' slots in order of first appearance
    code_of = first_row  # reused: only the slots of present ids are read back
    code_of[in_order] = np.arange(in_order.size, dtype=np.intp)
    codes = np.take(code_of, slots, out=rows)  # rows is not needed any more
    uniques = (in_order + low).astype(pd.factorize(ids[:1])[1].dtype)
    return codes, uniques


def is_activity_table(table: Table) -> bool:
    """Whether ``table`` looks like an activity log: a date column and an id column whose ids repeat."""
    if not table.columns_with(Role.DATE):
        return False
    for name in table.columns_with(Role.ID):
        ids = table.frame[name]
        if ids.nunique() < ids.notna().sum():
            return True
    return False


def _detect(table: Table, role: Role, what: str, argument: str) -> str:
    """The first column of ``role``; an error listing the columns seen when there is none."""
    found = table.columns_with(role)
    if found:
        return found[0]
    seen = quoted([str(c) for c in table.frame.columns], limit=8)
    raise XlsegError(f"no {what} column found among {seen}; name it with {argument}=")


def _days(series: pd.Series, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Day numbers of a time column and a mask of the rows without a readable time."""
    if not pd.api.types.is_datetime64_any_dtype(series.dtype):
        if pd.api.types.is_numeric_dtype(series.dtype) or pd.api.types.is_bool_dtype(series.dtype):
            raise XlsegError(
                f"column '{name}' holds numbers, not dates; declare Excel date serials with roles={{'{name}': 'date'}}"
            )
        text = series.astype("str").where(series.notna())
        parsed = pd.to_datetime(text, errors="coerce", format="ISO8601", utc=True)
        if parsed.notna().sum() == 0:
            example = series.dropna().iloc[0] if series.notna().any() else ""
            raise XlsegError(f"column '{name}' holds no readable dates (e.g. '{example}'); use a date column for time")
        series = parsed.dt.tz_localize(None)
    elif getattr(series.dtype, "tz", None) is not None:
        series = series.dt.tz_convert("UTC").dt.tz_localize(None)
    raw = series.to_numpy()
    if raw.dtype.kind != "M":
        raw = series.to_numpy(dtype="datetime64[us]")
    return day_numbers(raw), np.isnat(raw)


#: Units of a datetime64 array per day.
_PER_DAY = {"D": 1, "h": 24, "m": 1440, "s": 86_400, "ms": 86_400_000, "us": 86_400_000_000,
            "ns": 86_400_000_000_000}


def day_numbers(times: np.ndarray) -> np.ndarray:
    """Day numbers (int64, days since 1970-01-01, the time of day dropped) of a datetime64 array.

    The same as ``times.astype("datetime64[D]").astype(np.int64)`` (which rounds down, also before 1970) in one
    integer division instead of two full-size copies; NaT rows give meaningless numbers (mask them with
    ``np.isnat``).
    """
    unit, count = np.datetime_data(times.dtype)
    per_day = _PER_DAY.get(unit)
    if per_day is None or count != 1:
        return times.astype("datetime64[D]").astype(np.int64)
    ticks = times.view(np.int64)
    return ticks.copy() if per_day == 1 else np.floor_divide(ticks, per_day)


def _values(frame: pd.DataFrame, name: str) -> np.ndarray:
    """The value column as float64; an error naming the column when it is not numeric."""
    series = frame[name]
    numbers = code_numbers(series)  # a few whole amounts (1…7) read as a dimension of number codes
    if numbers is not None:
        return numbers
    if pd.api.types.is_bool_dtype(series.dtype) or not pd.api.types.is_numeric_dtype(series.dtype):
        present = series.dropna()
        if present.empty:
            return np.full(len(series), np.nan)
        example = cell_text(present.iloc[0])
        raise XlsegError(f"value column '{name}' is not numeric (it holds '{example}'); choose a column of amounts")
    return series.to_numpy(dtype=np.float64, na_value=np.nan)


def _recode(codes: np.ndarray, uniques: object) -> tuple[np.ndarray, object]:
    """Dense codes again after rows were dropped (ids whose rows all went are gone)."""
    used = np.zeros(len(uniques), dtype=bool)
    used[codes] = True
    if used.all():
        return codes, uniques
    new = np.cumsum(used) - 1
    return new[codes], uniques[used]


def _ids(uniques: object, name: str) -> pd.Series:
    """The user ids as a Series; whole-number float ids (``12.0``) become integers."""
    ids = pd.Series(np.asarray(uniques) if not isinstance(uniques, pd.Index) else uniques, name=name)
    if pd.api.types.is_float_dtype(ids.dtype) and np.all(np.mod(ids.to_numpy(), 1) == 0):
        ids = ids.astype(np.int64)
    if isinstance(ids.dtype, pd.CategoricalDtype):
        ids = ids.astype("str")
    return ids.reset_index(drop=True)


def id_keys(ids: pd.Series) -> pd.Series:
    """Ids as text for matching two tables: ``12``, ``12.0`` and ``"12"`` are one key."""
    if pd.api.types.is_float_dtype(ids.dtype) and np.all(np.mod(ids.dropna().to_numpy(), 1) == 0):
        ids = ids.astype("Int64")
    if pd.api.types.is_integer_dtype(ids.dtype):
        return ids.astype("str")
    return ids.map(cell_text).astype("str")


def _join_users(ev: Events, users: object) -> None:
    """Match the user table to the activity: attributes per user code, users without activity appended."""
    table = load_table(users)
    if ev.user not in table.frame.columns:
        raise XlsegError(
            f"the user table has no column '{ev.user}' to match the activity's users; "
            f"its columns are {quoted([str(c) for c in table.frame.columns], limit=8)}"
        )
    frame = table.frame
    keys = id_keys(frame[ev.user])
    present = frame[ev.user].notna().to_numpy()
    notes = [f"user table: {n}" for n in table.notes]
    if not present.all():
        notes.append(f"user table: dropped {plural(int((~present).sum()), 'row')} with a blank '{ev.user}'")
    duplicated = keys.duplicated() & present
    if duplicated.any():
        raise XlsegError(
            f"the user table has {plural(int(duplicated.sum()), 'repeated id')} in '{ev.user}' "
            f"(e.g. '{keys[duplicated].iloc[0]}'); it needs one row per user"
        )
    frame, keys = frame[present].reset_index(drop=True), keys[present].reset_index(drop=True)
    active_keys = id_keys(ev.ids)
    position = pd.Index(keys).get_indexer(active_keys)
    unmatched = int((position < 0).sum())
    if unmatched:
        notes.append(f"{plural(unmatched, 'user')} with activity have no row in the user table")
    inactive = np.setdiff1d(np.arange(len(frame)), position[position >= 0])
    if inactive.size:
        notes.append(f"{plural(int(inactive.size), 'user')} of the user table have no activity")
    attributes = frame.drop(columns=[ev.user])
    order = np.concatenate([position, inactive])
    aligned = attributes.reindex(np.where(order < 0, -1, order)) if unmatched else attributes.iloc[order]
    ev.attributes = aligned.reset_index(drop=True)
    extra = frame[ev.user].iloc[inactive].reset_index(drop=True)
    if len(extra):
        extra_ids = _ids(extra.to_numpy(), ev.user)
        if extra_ids.dtype != ev.ids.dtype:
            ev.ids = ev.ids.astype(object)
            extra_ids = extra_ids.astype(object)
        ev.ids = pd.concat([ev.ids, extra_ids], ignore_index=True)
    ev.notes.extend(notes)
