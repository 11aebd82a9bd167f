"""RFM: recency, frequency and monetary value per user, scored 1–5 and named by a segment map.

Definitions (``xlseg.rfm``):

- recency_days = days from the user's last activity date to ``as_of``; frequency = the user's activity rows;
  monetary = the sum of their values (missing values skipped).
- Cut points q1…q4 = the 20/40/60/80 % percentiles over users, with linear interpolation (Excel's
  ``PERCENTILE.INC``). score(x) = 1 + the number of cut points strictly below x: tied values share a score and
  never depend on row order (in Excel: ``=1+COUNTIF(cuts,"<"&x)``).
  F = score(frequency), M = score(monetary), R = 6 − score(recency_days).
- The segment comes from R and F through a map that partitions the 5 × 5 grid (:data:`DEFAULT_SEGMENTS`).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from xlseg.behavior.events import Events
from xlseg.behavior.facts import UserFacts, user_facts
from xlseg.behavior.pushdown import open_events
from xlseg.errors import XlsegError

#: The R × F grid most RFM guides use, as a partition: every cell of the 5 × 5 grid has exactly one segment.
DEFAULT_SEGMENTS: dict[str, tuple[str, str]] = {
    "Champions": ("5", "4-5"),
    "Loyal Customers": ("3-4", "4-5"),
    "Potential Loyalists": ("4-5", "2-3"),
    "New Customers": ("5", "1"),
    "Promising": ("4", "1"),
    "Need Attention": ("3", "3"),
    "About To Sleep": ("3", "1-2"),
    "At Risk": ("1-2", "3-4"),
    "Can't Lose Them": ("1-2", "5"),
    "Hibernating": ("1-2", "1-2"),
}
PERCENTS = (20.0, 40.0, 60.0, 80.0)


def rfm(
    events: object,
    user: str | None = None,
    time: str | None = None,
    value: str | None = None,
    *,
    as_of: object = None,
    segments: object = "default",
    tz: str | None = None,
    engine: str = "auto",
    memory_limit: str | None = None,
) -> pd.DataFrame:
    """One row per active user: the user column, ``recency_days``, ``frequency``, ``monetary``, ``R``, ``F``,
    ``M``, ``segment``. ``.attrs["cuts"]`` holds the cut points q1…q4 of recency_days, frequency and
    monetary, ``.attrs["notes"]`` what was cleaned.

    Args:
        events: the activity table; ``user``, ``time``, ``value`` its id, date and amount columns.
        as_of: the first day after the analysed data (default: the day after the last activity).
        tz: an IANA zone (``"Europe/Berlin"``): times with a zone (``…Z``, ``+02:00``) count as local days there
            (default: UTC days).
        engine, memory_limit: as in :func:`xlseg.breakdown`. ``events`` may also be a source its own engine reduces
            (a glob of Parquet/CSV files, a DuckDB relation or ``(connection, "table")``, an Ibis table, a PySpark
            DataFrame): only per-user facts come back (:mod:`xlseg.behavior.pushdown`).
        segments: ``"default"`` (:data:`DEFAULT_SEGMENTS`) or a map segment → (R range, F range) as a dict,
            a DataFrame or range values with columns segment, R, F (``"4-5"``, ``"3"``); it must give every
            R × F cell exactly one segment.
    """
    grid = segment_grid(segments)
    ev = open_events(events, user, time, value, as_of=as_of, tz=tz,
                     engine=engine, memory_limit=memory_limit)
    return rfm_of(ev, grid)


def rfm_of(ev: Events, grid: np.ndarray | None = None) -> pd.DataFrame:
    """:func:`rfm` of events already read (``grid`` from :func:`segment_grid`; default map by default)."""
    facts = user_facts(ev)
    table = rfm_table(facts, ev.as_of, segment_grid() if grid is None else grid)
    table.insert(0, ev.user, ev.ids.to_numpy()[facts.rows > 0])
    table.attrs["notes"] = list(ev.notes)
    return table


def cut_points(values: np.ndarray) -> np.ndarray:
    """The 20/40/60/80 % percentiles with linear interpolation (``PERCENTILE.INC``)."""
    return np.percentile(np.asarray(values, dtype=float), PERCENTS, method="linear")


def score(values: np.ndarray, cuts: np.ndarray) -> np.ndarray:
    """1 + the number of cut points strictly below each value."""
    return 1 + np.searchsorted(cuts, values, side="left")


def rfm_table(facts: UserFacts, as_of: int, grid: np.ndarray) -> pd.DataFrame:
    """Step 2: RFM of the users with activity from the per-user facts (rows in user-code order)."""
    active = facts.rows > 0
    recency = (as_of - facts.last_day[active]).astype(np.int64)
    frequency = facts.rows[active]
    monetary = facts.value_sum[active] if facts.value_sum is not None else np.full(int(active.sum()), np.nan)
    cuts = {"recency_days": cut_points(recency), "frequency": cut_points(frequency)}
    r = 6 - score(recency, cuts["recency_days"])
    f = score(frequency, cuts["frequency"])
    table = pd.DataFrame({"recency_days": recency, "frequency": frequency, "monetary": monetary, "R": r, "F": f})
    if facts.value_sum is not None:
        cuts["monetary"] = cut_points(monetary)
        table["M"] = score(monetary, cuts["monetary"])
    else:
        table["M"] = pd.array([pd.NA] * len(table), dtype="Int64")
    table["segment"] = grid[r - 1, f - 1]
    table.attrs["cuts"] = {name: [float(c) for c in points] for name, points in cuts.items()}
    return table


def segment_grid(segments: object = "default") -> np.ndarray:
    """A 5 × 5 array of segment names indexed [R−1, F−1], from a segment map (see :func:`rfm`)."""
    rules = _rules(DEFAULT_SEGMENTS if isinstance(segments, str) and segments == "default" else segments)
    grid = np.full((5, 5), None, dtype=object)
    for name, (r_range, f_range) in rules.items():
        for r in r_range:
            for f in f_range:
                if grid[r - 1, f - 1] is not None:
                    raise XlsegError(f"segment map: R={r} F={f} is in both '{grid[r - 1, f - 1]}' and '{name}'; "
                                     "each R × F cell needs exactly one segment")
                grid[r - 1, f - 1] = name
    empty = [(r + 1, f + 1) for r in range(5) for f in range(5) if grid[r, f] is None]
    if empty:
        cells = ", ".join(f"R={r} F={f}" for r, f in empty[:4]) + (", …" if len(empty) > 4 else "")
        raise XlsegError(f"segment map leaves {cells} without a segment; each R × F cell needs exactly one")
    return grid


def _rules(segments: object) -> dict[str, tuple[list[int], list[int]]]:
    """Segment map in any accepted form → name: (R scores, F scores)."""
    if isinstance(segments, str):
        raise XlsegError(f"segments '{segments}' not understood; use 'default' or a table of segment, R, F")
    if isinstance(segments, pd.DataFrame):
        rows = segments.to_numpy().tolist()
        header = [str(c).strip().lower() for c in segments.columns]
    elif isinstance(segments, dict):
        rows = [[name, *spec] for name, spec in segments.items()]
        header = ["segment", "r", "f"]
    else:
        values = [list(row) for row in segments]  # range values: header row first
        header, rows = [str(c).strip().lower() for c in values[0]], values[1:]
    try:
        at = [header.index(name) for name in ("segment", "r", "f")]
    except ValueError:
        raise XlsegError("segment map needs the columns segment, R and F") from None
    return {str(row[at[0]]).strip(): (_scores(row[at[1]], "R"), _scores(row[at[2]], "F"))
            for row in rows if row[at[0]] is not None and str(row[at[0]]).strip()}


def _scores(spec: object, letter: str) -> list[int]:
    """``"4-5"`` / ``"4–5"`` / ``4`` / ``"3,5"`` → the scores it names (1…5)."""
    text = str(int(spec) if isinstance(spec, float) and spec.is_integer() else spec).strip()
    scores: list[int] = []
    for part in re.split(r"\s*,\s*", text):
        match = re.fullmatch(r"([1-5])(?:\s*[-–]\s*([1-5]))?", part)
        if not match:
            raise XlsegError(f"segment map: {letter} '{spec}' not understood; write a score 1-5 or a range like 4-5")
        low, high = int(match[1]), int(match[2] or match[1])
        scores.extend(range(low, high + 1))
    return scores


SUMMARY_METRICS = {"recency_days": "mean", "frequency": "mean", "monetary": ["mean", "sum"],
                   "R": "mean", "F": "mean", "M": "mean"}


def rfm_summary(table: pd.DataFrame) -> pd.DataFrame:
    """One row per segment of an :func:`rfm` table (users, share, mean recency/frequency/monetary, monetary sum,
    mean R/F/M; :func:`xlseg.breakdown` by ``segment``), default segments in map order, then the Total row."""
    from xlseg.engine.breakdowns import breakdown

    metrics = {k: v for k, v in SUMMARY_METRICS.items() if k != "M" or table["M"].notna().any()}
    if table["monetary"].isna().all():
        metrics.pop("monetary")
    frame = breakdown(table[["segment", *metrics]].copy(), "segment", metrics)
    order = list(DEFAULT_SEGMENTS)
    body = frame.iloc[:-1]
    rank = body["segment"].map({name: i for i, name in enumerate(order)}).fillna(len(order))
    return pd.concat([body.iloc[np.argsort(rank.to_numpy(), kind="stable")], frame.iloc[-1:]], ignore_index=True)


def rfm_grid(table: pd.DataFrame) -> pd.DataFrame:
    """Users per R × F cell of an :func:`rfm` table (R 5 … 1 down, F 1 … 5 across), with totals."""
    from xlseg.engine.crosstabs import crosstab

    scores = pd.DataFrame({"R": table["R"].astype(str).to_numpy(), "F": table["F"].astype(str).to_numpy()})
    counts = crosstab(scores, "R", "F")
    body, total = counts.iloc[:-1], counts.iloc[-1:]
    body = body.iloc[np.argsort(-body["R"].astype(int).to_numpy(), kind="stable")]
    return pd.concat([body, total], ignore_index=True)
