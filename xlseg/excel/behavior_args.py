"""Arguments of the behavioural formulas (SEG_RETENTION, SEG_LIFECYCLE, SEG_RFM, SEG_ENGAGEMENT, SEG_ACTIVITY in
:mod:`xlseg.excel.formulas`): their descriptions, their options and how an ``as_of`` date arrives from a cell.

Options are given as for the other formulas, as text (``"mode=on_or_after; counts; as_of=2024-07-01"``) or as a
key/value range; ``roles=time:date`` declares a column's role (Office.js hands dates over as serial numbers).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from xlseg.errors import XlsegError, did_you_mean
from xlseg.excel.args import cell_text, column_names, is_blank, option_pairs, to_bool
from xlseg.io.load import load_table

EVENTS_DOC = "The activity table (one row per event, order or session), header row on top, e.g. Events[#All]."
USER_DOC = 'Optional. The user id column, e.g. "user_id"; empty: the first id column.'
TIME_DOC = 'Optional. The date or time column, e.g. "time"; empty: the first date column.'
PERIOD_DOC = 'Optional. "day", "week" (ISO, Monday start), "month" (default) or "quarter".'
EXCEL_EPOCH = dt.date(1899, 12, 30)  # day 0 of Excel's 1900 date system (serial 1 = 1900-01-01)

#: Options each formula takes (besides its positional arguments).
RETENTION_OPTIONS = ("mode", "counts", "as_of", "by", "roles", "tz")
LIFECYCLE_OPTIONS = ("as_of", "roles", "tz")
RFM_OPTIONS = ("as_of", "summary", "roles", "tz")
ENGAGEMENT_OPTIONS = ("as_of", "summary", "roles", "tz")
ACTIVITY_OPTIONS = ("as_of", "period", "roles", "tz")


def behavior_options(value: object, allowed: tuple[str, ...], function: str) -> dict[str, Any]:
    """Options text (``"mode=on_or_after; counts; as_of=2024-07-01"``) or a key/value range, as keyword values."""
    out: dict[str, Any] = {}
    for key, raw in option_pairs(value):
        name = key.strip().lower().replace(" ", "_").replace("-", "_")
        if name not in allowed:
            hint = did_you_mean(name, allowed) or f"; it takes {', '.join(allowed)}"
            raise XlsegError(f"{function} does not take the option '{key.strip()}'{hint}")
        if name == "roles":
            column, _, role = cell_text(raw).partition(":")
            if not column.strip() or not role.strip():
                raise XlsegError("option roles needs column:role, e.g. roles=time:date")
            out.setdefault("roles", {})[column.strip()] = role.strip()
            continue
        if name in out:
            raise XlsegError(f"option '{name}' is given twice; keep one")
        if name in ("counts", "summary"):
            out[name] = to_bool(raw, name)
        elif name == "as_of":
            out[name] = as_of_value(raw)
        elif raw is True:
            raise XlsegError(f"option '{name}' needs a value, e.g. {name}=...")
        else:
            out[name] = cell_text(raw)
    return out


def as_of_value(raw: object) -> object:
    """A date cell, ``YYYY-MM-DD`` text or an Excel date serial (``45474``) as a date."""
    if isinstance(raw, dt.date):
        return raw
    text = cell_text(raw)
    if isinstance(raw, int | float) and not isinstance(raw, bool) or text.isdigit():
        return EXCEL_EPOCH + dt.timedelta(days=int(float(text)))
    return text


def events_table(events: Any, settings: dict[str, Any]) -> Any:
    """The activity table, read with the ``roles`` and ``tz`` options (popped from ``settings``) when given."""
    reading = {key: settings.pop(key) for key in ("roles", "tz") if key in settings}
    return load_table(events, **reading) if reading else events


def column(value: Any, what: str) -> str | None:
    """A column name argument, or None when the cell is empty."""
    return None if is_blank(value) else column_names(value, what)[0]


def period_text(value: Any) -> str:
    """The period argument; ``month`` when empty."""
    return "month" if is_blank(value) else cell_text(value)


def plain(frame: pd.DataFrame) -> pd.DataFrame:
    """Categorical columns as text, so :func:`~xlseg.excel.formulas.spill` writes their labels."""
    kinds = {c: object for c in frame.columns if isinstance(frame[c].dtype, pd.CategoricalDtype)}
    return frame.astype(kinds) if kinds else frame
