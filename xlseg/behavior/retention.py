"""Cohort retention: the share of each cohort active ``N`` periods after it started.

Definitions (``xlseg.retention``):

- A user's cohort is the period of their first activity, or of their signup date (``users`` + ``cohort=``);
  then users who never came back still count in the cohort size, and activity before signup is not counted.
- ``mode="on"``: cell (cohort, N) = users of the cohort active in period cohort+N ÷ cohort size.
  ``mode="on_or_after"``: … active in any period ≥ cohort+N.
- A cell whose period cohort+N is after the last period (the period of ``as_of − 1 day``) is blank, not 0.
- The ``All`` row is the user-weighted mean over the cohorts that have reached the offset: the sum of their
  counts ÷ the sum of their sizes (with ``counts=True``: the sum of their counts).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from xlseg.behavior.events import Events
from xlseg.behavior.facts import Pairs, active_periods
from xlseg.behavior.periods import check_period, labels, offset_name, period_codes
from xlseg.behavior.pushdown import open_events
from xlseg.errors import XlsegError, column_not_found
from xlseg.io.cells import cell_text, plural
from xlseg.schema import MISSING_LABEL

MODES = ("on", "on_or_after")
ALL_LABEL = "All"
#: Stand-in for "no cohort" in an array of period codes.
NO_COHORT = np.iinfo(np.int64).min


def retention(
    events: object,
    user: str | None = None,
    time: str | None = None,
    *,
    period: str = "month",
    mode: str = "on",
    users: object = None,
    cohort: str | None = None,
    by: str | None = None,
    counts: bool = False,
    as_of: object = None,
    tz: str | None = None,
    engine: str = "auto",
    memory_limit: str | None = None,
) -> pd.DataFrame:
    """Cohort retention: one row per cohort, then an ``All`` row.

    Columns: ``cohort`` (period label, e.g. ``1997-01``), ``users`` (cohort size), then ``"<Period> <N>"``
    (``Month 0``, ``Month 1``, …) holding the share of the cohort active in period cohort+N (``mode="on"``) or in
    any period from cohort+N on (``mode="on_or_after"``); user counts with ``counts=True``. Offsets the cohort has
    not reached by ``as_of`` are blank. With ``by``, one block of cohorts (and its ``All`` row) per segment of that
    column (of the user table, or of the activity table: its value at the user's first activity), with a leading
    segment column. ``.attrs["notes"]`` says what was cleaned.

    Args:
        events: the activity table (DataFrame, Arrow, file path, range values).
        user, time: its user id and date columns (default: the first id and date columns).
        period: ``day``, ``week`` (ISO, Monday start), ``month`` or ``quarter``.
        users: a user table with the ``user`` column (needed for ``cohort``; may hold ``by``).
        cohort: a date column of ``users`` (e.g. ``signup_date``) whose period is the cohort.
        as_of: the first day after the analysed data (default: the day after the last activity).
        tz: an IANA zone (``"Europe/Berlin"``): times with a zone (``…Z``, ``+02:00``) count as local days there
            (default: UTC days).
        engine, memory_limit: as in :func:`xlseg.breakdown`. ``events`` may also be a source its own engine reduces
            (a glob of Parquet/CSV files, a DuckDB relation or ``(connection, "table")``, an Ibis table, a PySpark
            DataFrame): only per-user facts come back (:mod:`xlseg.behavior.pushdown`).
    """
    period = check_period(period)
    if mode not in MODES:
        raise XlsegError(f"mode '{mode}' not understood; use 'on' or 'on_or_after'")
    if cohort is not None and users is None:
        raise XlsegError(f"cohort='{cohort}' is a column of the user table; pass it as users=")
    keep = [by] if by is not None and not _in_users(users, by) else []
    ev = open_events(events, user, time, users=users, as_of=as_of, keep=keep, tz=tz,
                     engine=engine, memory_limit=memory_limit)
    return retention_of(ev, period=period, mode=mode, cohort=cohort, by=by, counts=counts)


def retention_of(
    ev: Events, *, period: str = "month", mode: str = "on", cohort: str | None = None, by: str | None = None,
    counts: bool = False,
) -> pd.DataFrame:
    """:func:`retention` of events already read (facts reduced once, shared with other analyses)."""
    pairs = active_periods(ev, period)
    last = int(period_codes(np.array([ev.as_of - 1]), period)[0])
    notes = list(ev.notes)
    if cohort is None:
        cohorts = first_periods(pairs, ev.n_users)
    else:
        cohorts = signup_periods(ev, cohort, period, last, notes)
        early = (cohorts[pairs.user] != NO_COHORT) & (pairs.code < cohorts[pairs.user])
        if early.any():
            notes.append(f"{plural(int(early.sum()), 'user-' + period)} of activity before signup not counted")
    if by is None:
        table = retention_table(pairs, cohorts, last, period, mode=mode, counts=counts)
    else:
        table = _by_segment(ev, pairs, cohorts, last, period, mode, counts, by)
    table.attrs["notes"] = notes
    return table


def first_periods(pairs: Pairs, n_users: int) -> np.ndarray:
    """Each user's first active period (pairs are sorted by user, then period); NO_COHORT without activity."""
    first = np.full(n_users, NO_COHORT, dtype=np.int64)
    starts = np.flatnonzero(np.r_[True, pairs.user[1:] != pairs.user[:-1]]) if pairs.user.size else np.zeros(0, int)
    first[pairs.user[starts]] = pairs.code[starts]
    return first


def retention_table(
    pairs: Pairs, cohorts: np.ndarray, last: int, period: str, *, mode: str = "on", counts: bool = False
) -> pd.DataFrame:
    """Step 2: the retention table from distinct (user, period) pairs and each user's cohort period.

    ``cohorts`` holds a period code per user code (NO_COHORT: not in any cohort); ``last`` is the last
    period code. Activity in periods before the user's cohort is not counted.
    """
    member = cohorts != NO_COHORT
    low = int(cohorts[member].min()) if member.any() else last
    span = max(last - low + 1, 0)  # periods from the first cohort to the last period
    slot_sizes = np.bincount(cohorts[member] - low, minlength=span)[:span]
    cohort_slots = np.flatnonzero(slot_sizes)
    cohort_codes, sizes = cohort_slots + low, slot_sizes[cohort_slots].astype(np.int64)
    start = cohorts[pairs.user]  # each pair's cohort period (gathered once, then turned into a cell in place)
    counted = (start != NO_COHORT) & (pairs.code >= start)
    if mode == "on":  # pairs are distinct: one per active user and period
        codes = pairs.code
        if not counted.all():
            start, codes = start[counted], codes[counted]
        start -= low
        start *= span
        start += codes
        start -= low  # (cohort slot, period slot) as one number
        cells = np.bincount(start, minlength=span * span).reshape(span, span)
    else:  # the last active period of each user (pairs are sorted by user then period) from its cohort on
        ends = np.flatnonzero(np.r_[pairs.user[1:] != pairs.user[:-1], True]) if pairs.user.size else start[:0]
        who, latest = pairs.user[ends], pairs.code[ends]
        reached_by = (cohorts[who] != NO_COHORT) & (latest >= cohorts[who])
        who, latest = who[reached_by], latest[reached_by]
        cells = np.bincount((cohorts[who] - low) * span + (latest - low), minlength=span * span).reshape(span, span)
        cells = np.cumsum(cells[:, ::-1], axis=1)[:, ::-1]  # active in that period or later
    # row i of the grid: offset N of cohort i is period slot (cohort slot + N); slots past the last are 0
    width = span if len(cohort_slots) else 0
    at = cohort_slots[:, None] + np.arange(width)[None, :]
    grid = np.where(at < span, cells[cohort_slots[:, None], np.minimum(at, span - 1)], 0).astype(np.int64)
    reached = cohort_codes[:, None] + np.arange(grid.shape[1])[None, :] <= last
    all_counts = np.where(reached, grid, 0).sum(axis=0)
    all_sizes = np.where(reached, sizes[:, None], 0).sum(axis=0)
    if counts:
        body = np.vstack([grid, all_counts[None, :]]).astype(float)
    else:
        with np.errstate(invalid="ignore", divide="ignore"):
            body = np.vstack([grid / np.maximum(sizes, 1)[:, None], all_counts / np.maximum(all_sizes, 1)])
    blank = np.vstack([~reached, np.zeros((1, grid.shape[1]), dtype=bool)])
    body[blank] = np.nan
    table = pd.DataFrame({"cohort": [*labels(cohort_codes, period), ALL_LABEL],
                          "users": np.r_[sizes, sizes.sum()].astype(np.int64)})
    columns = {offset_name(period, n): body[:, n] for n in range(grid.shape[1])}
    table = pd.concat([table, pd.DataFrame(columns)], axis=1)
    if counts:
        table = table.astype({name: "Int64" for name in columns})
    return table


def _in_users(users: object, column: str) -> bool:
    """Whether ``column`` is a column of the user table (read its header only when it is a frame)."""
    if users is None:
        return False
    if isinstance(users, pd.DataFrame):
        return column in users.columns
    return True  # files and ranges: looked up after loading; a missing column is reported there


def signup_periods(ev: Events, column: str, period: str, last: int, notes: list[str]) -> np.ndarray:
    """Each user's cohort (or "new" period): the period of the user table's ``column``; none when the date is
    missing or after ``as_of``."""
    if ev.attributes is None or column not in ev.attributes.columns:
        raise column_not_found(column, [] if ev.attributes is None else ev.attributes.columns)
    dates = ev.attributes[column]
    if not pd.api.types.is_datetime64_any_dtype(dates.dtype):
        raise XlsegError(f"cohort column '{column}' of the user table is not dates; declare it or pick a date column")
    raw = dates.to_numpy(dtype="datetime64[us]")
    missing = np.isnat(raw)
    codes = period_codes(raw.astype("datetime64[D]").astype(np.int64), period)
    late = ~missing & (codes > last)
    if missing.any():
        notes.append(f"{plural(int(missing.sum()), 'user')} without a '{column}' date left out of the cohorts")
    if late.any():
        notes.append(f"{plural(int(late.sum()), 'user')} with '{column}' on or after as_of left out of the cohorts")
    return np.where(missing | late, NO_COHORT, codes)


def user_segments(ev: Events, column: str) -> tuple[np.ndarray, list[str]]:
    """Segment code per user code and the segment labels: the user table's column, or else the activity
    table's value at the user's first activity. Missing values form the "(missing)" segment."""
    if ev.attributes is not None and column in ev.attributes.columns:
        values = ev.attributes[column]
    else:
        if ev.frame is None or column not in ev.frame.columns:
            raise column_not_found(column, [] if ev.frame is None else ev.frame.columns)
        order = np.lexsort((ev.days, ev.codes))
        first_rows = order[np.r_[True, ev.codes[order][1:] != ev.codes[order][:-1]]]
        values = pd.Series(pd.NA, index=range(ev.n_users), dtype=object)
        values.iloc[ev.codes[first_rows]] = ev.frame[column].iloc[first_rows].to_numpy()
    text = values.map(lambda v: cell_text(v) if not pd.isna(v) else MISSING_LABEL).astype(object)
    codes, uniques = pd.factorize(text, sort=True)
    return codes, [str(u) for u in uniques]


def _by_segment(
    ev: Events, pairs: Pairs, cohorts: np.ndarray, last: int, period: str, mode: str, counts: bool, by: str
) -> pd.DataFrame:
    """One retention block per segment of ``by``, with a leading segment column."""
    segment_of, names = user_segments(ev, by)
    blocks = []
    for code, name in enumerate(names):
        mine = segment_of == code
        in_segment = np.where(mine, cohorts, NO_COHORT)
        if not (in_segment != NO_COHORT).any():
            continue
        keep = mine[pairs.user]
        block = retention_table(Pairs(pairs.user[keep], pairs.code[keep]), in_segment, last, period,
                                mode=mode, counts=counts)
        block.insert(0, by, name)
        blocks.append(block)
    return pd.concat(blocks, ignore_index=True)
