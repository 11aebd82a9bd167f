"""Instants: ISO 8601 text with a zone (``…Z``, ``+02:00``, ``+0200``), time-zone-aware datetimes, Unix epoch
numbers, and the one helper that turns instants into naive local times of a zone (:func:`naive_in_zone`).

Excel cells hold no zone, so xlseg keeps every date column naive. Instants (text with a zone, aware datetimes,
epoch numbers) are read as UTC; ``load_table(tz="Europe/Berlin")`` then shows them as Berlin wall-clock times,
before any day, week or month is cut ("active on Monday" depends on whose Monday). Notes name the zone.

A column of ISO times with zones whose other cells are at most 2 % of its cells (``invalid``, ``see log``) is
read as times all the same; those cells become missing and are counted in a note (their rows are kept).
More than that, it stays text with a note saying why (:data:`xlseg.io.amounts.UNREADABLE_SHARE`).

Epoch numbers (role ``date:epoch``) are seconds or milliseconds since 1970-01-01 UTC, decided from the
magnitude of the column's largest absolute value: below ``1e11`` seconds (1e11 s is the year 5138), else
milliseconds (1e11 ms is 1973-03-03). A numeric column named like a time (``ts``, ``time``, ``…_at``,
``timestamp``, ``epoch``…) whose values all fall in 2000-01-01…2100-01-01 as seconds or milliseconds gets a
note suggesting the role.
"""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd

from xlseg.errors import XlsegError

ZONE = r"(?:Z|z|[+-][0-9]{2}(?::?[0-9]{2})?)"  # Z, +02:00, +0200, +02
#: A zone only counts after a time of day: in ``2024-08-12`` the ``-12`` is the day, not an offset.
ZONED_TIME = rf"[0-9]:[0-9]{{2}}(?:[.,:][0-9]*)? ?{ZONE}$"
EPOCH_MS_FROM = 1e11
_EPOCH_MAX_MICROS = 253402300800 * 10**6  # 10000-01-01  # |value| at or above this: milliseconds, else seconds
_PLAUSIBLE = (pd.Timestamp("2000-01-01").timestamp(), pd.Timestamp("2100-01-01").timestamp())
_TIME_NAME = re.compile(r"(?:^|[\s_.\-])(?:ts|time|timestamp|epoch|unix|datetime)$|_at$|At$|[a-z]Time$",
                        re.IGNORECASE)


def check_zone(tz: str | None) -> str | None:
    """``tz`` when it names an IANA time zone (``Europe/Berlin``, ``UTC``); a one-line error otherwise."""
    if tz is None:
        return None
    try:
        ZoneInfo(str(tz))
    except (ZoneInfoNotFoundError, ValueError):
        raise XlsegError(f"unknown time zone '{tz}'; use an IANA name like Europe/Berlin, "
                         "America/New_York or UTC") from None
    return str(tz)


def naive_in_zone(values: pd.Series | pd.api.extensions.ExtensionArray | np.ndarray,
                  tz: str | None) -> pd.Series:
    """Instants as naive wall-clock times in ``tz`` (naive input is taken as UTC; ``tz=None`` means UTC).

    The one definition of "make this column local" for every stage (input cleaning, behaviour analyses).
    """
    series = pd.Series(values)
    if not isinstance(series.dtype, pd.DatetimeTZDtype):
        series = series.dt.tz_localize("UTC")
    return series.dt.tz_convert(tz or "UTC").dt.tz_localize(None)


def _iso_normal(texts: pd.Series) -> pd.Series:
    """ISO text as pandas' ISO 8601 parser takes it: ``,`` fractions as ``.``, no space before the zone."""
    odd = texts.str.contains(",|z$| [Z+-]").to_numpy(dtype=bool)  # one scan; most exports need no change
    if not odd.any():
        return texts
    fixed = texts[odd].str.replace(",", ".", regex=False).str.replace("z$", "Z", regex=True)
    out = texts.copy()
    out[odd] = fixed.str.replace(" (?=[Z+-][0-9:]*$)", "", regex=True)
    return out


def iso_valid(texts: pd.Series) -> np.ndarray:
    """Mask of ISO 8601 text (zoned or not) that names a real date and time."""
    parsed = pd.to_datetime(_iso_normal(texts), format="ISO8601", utc=True, errors="coerce")
    return parsed.notna().to_numpy()


def parse_iso(texts: pd.Series) -> tuple[np.ndarray, list[str], bool]:
    """ISO 8601 text as naive ``datetime64[us]``, the distinct UTC offsets found (``[]`` when none), and whether
    some text had no zone while others had one.

    Text with a zone becomes UTC; in a column that has zones, text without one is read as UTC too (noted).
    """
    texts = _iso_normal(texts)
    zoned = texts.str.contains(ZONED_TIME).to_numpy(dtype=bool)
    if not zoned.any():
        return pd.to_datetime(texts, format="ISO8601").astype("datetime64[us]").to_numpy(), [], False
    stamps = pd.to_datetime(texts, format="ISO8601", utc=True).dt.tz_localize(None)
    tails = pd.unique(texts[zoned].str.slice(-6))  # the zone is in the last 6 characters; few distinct tails
    offsets = sorted({_offset_label(re.search(f"{ZONE}$", str(t)).group()) for t in tails})
    return stamps.astype("datetime64[us]").to_numpy(), offsets, not zoned.all()


def _offset_label(text: str) -> str:
    """``Z`` → ``UTC``; ``+0200``/``+02`` → ``+02:00``."""
    if text in ("Z", "z"):
        return "UTC"
    digits = text[1:].replace(":", "")
    return f"{text[0]}{digits[:2]}:{digits[2:4] or '00'}"


def zone_note(name: str, offsets: list[str], unzoned: bool) -> str:
    """The note for a column of ISO text with zones, read as UTC."""
    if offsets == ["UTC"] and not unzoned:
        return f"read '{name}' as UTC times (ISO 8601 with Z)"
    shown = ", ".join(offsets)
    what = "mixed UTC offsets" if len(offsets) > 1 else f"UTC offset {shown}"
    note = f"'{name}' held ISO 8601 times with {what} ({shown}); converted to UTC" if len(offsets) > 1 else (
        f"'{name}' held ISO 8601 times with {what}; converted to UTC")
    if unzoned:
        note += "; times without a zone in it were read as UTC"
    return note


def local_note(name: str, tz: str) -> str:
    """The note for a column of instants shown in ``tz``."""
    return f"'{name}' shown as local times in {tz} (Excel holds no zone)"


def epoch_to_times(values: np.ndarray) -> tuple[np.ndarray, str]:
    """Epoch numbers (seconds or milliseconds, from the magnitude) as naive UTC ``datetime64[us]``, and the unit
    (NaT where a value is missing or beyond the year 9999)."""
    finite = values[np.isfinite(values)]
    unit = "ms" if finite.size and np.abs(finite).max() >= EPOCH_MS_FROM else "s"
    micros = np.round(values * (1e3 if unit == "ms" else 1e6))
    out = np.full(len(values), np.datetime64("NaT"), dtype="datetime64[us]")
    ok = np.isfinite(micros) & (np.abs(micros) < _EPOCH_MAX_MICROS)
    out[ok] = micros[ok].astype("int64").astype("datetime64[us]")
    return out, unit


def epoch_hint(name: str, values: np.ndarray) -> str | None:
    """A note suggesting ``date:epoch`` for a numeric column named like a time holding plausible epoch values."""
    if not _TIME_NAME.search(name):
        return None
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return None
    low, high = float(finite.min()), float(finite.max())
    for scale in (1.0, 1e3):
        if _PLAUSIBLE[0] * scale <= low and high <= _PLAUSIBLE[1] * scale:
            unit = "seconds" if scale == 1.0 else "milliseconds"
            return (f"'{name}' looks like Unix epoch {unit}; read as numbers. To read it as times, declare "
                    f"roles={{'{name}': 'date:epoch'}} (CLI --role {name}=date:epoch)")
    return None
