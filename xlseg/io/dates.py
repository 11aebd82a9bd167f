"""Dates in every form a table holds them: datetimes, ISO text, regional text dates (31.12.2024, 31/12/2024,
12/31/2024) and Excel serial numbers (see the rules in :mod:`xlseg.io.load`)."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from xlseg.errors import declare_role
from xlseg.io.distinct import Distinct, distinct_values, sample_matches, text_series
from xlseg.io.timestamps import ZONE, ZONED_TIME, iso_valid, parse_iso, zone_note
from xlseg.io.whitespace import squash_spaces

_ISO_DATE = (r"[0-9]{4}-[0-9]{2}-[0-9]{2}(?:[ T][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:[.,][0-9]{1,9})?)?"
             rf" ?{ZONE}?)?")  # a zone (Z, +02:00) only after a time: see xlseg.io.timestamps
_CLOCK = r"(?: [0-9]{1,2}:[0-9]{2}(?::[0-9]{2})?(?: [AaPp][Mm])?)?"  # 14:05, 14:05:09, 2:05 PM, 2:05:09 PM
ISO_PREFIX = "[0-9]{4}-[0-9]{2}-[0-9]{2}.*"  # what every ISO date starts with (a cheap first look)
DATE_ORDERS = ("dmy", "mdy")  # how slash dates read: 31/12/2024 or 12/31/2024 (declared as "date:dmy")
EPOCH = "epoch"  # "date:epoch": Unix seconds or milliseconds (xlseg.io.timestamps)
_EXCEL_CENTURY_FROM = 30  # two-digit years: 30-99 are 1930-1999, 00-29 are 2000-2029, as Excel reads them
_EXCEL_EPOCH = pd.Timestamp("1899-12-30")
_EXCEL_MAX_SERIAL = 2958466  # 10000-01-01
_CLOCK_DAY = pd.Timestamp("1900-01-01")  # the day strptime gives a time of day alone


def iso_dates(d: Distinct) -> np.ndarray:
    """Mask of text values that are ISO dates that really exist (computed once per column)."""
    key = "\0iso dates"  # cached beside the pattern masks: role inference, zones and conversion all ask
    if key not in d._matches:
        mask = d.text_matches(_ISO_DATE).copy()
        if mask.any():
            mask[np.flatnonzero(mask)[~iso_valid(text_series(d.value[mask]))]] = False
        d._matches[key] = mask
    return d._matches[key]


def zoned_times(d: Distinct) -> np.ndarray:
    """Mask of ISO text values with a zone (``Z``, ``+02:00``) that are real times."""
    if not sample_matches(d, ISO_PREFIX):  # a column of something else (emails, names): no full scan
        return np.zeros(len(d.value), dtype=bool)
    zoned = d.text_matches(f".*{ZONED_TIME.removesuffix('$')}")
    return zoned & iso_dates(d) if zoned.any() else zoned


def has_zones(d: Distinct) -> bool:
    """Some value is an instant: ISO text with a zone (``Z``, ``+02:00``) or a time-zone-aware datetime."""
    if zoned_times(d).any():
        return True
    return any(getattr(v, "tzinfo", None) is not None for v in d.value[d.where("date")])


@dataclass
class TextDates:
    """The text values of a column that are dates in a regional format (31.12.2024, 31/12/2024, 12/31/2024)."""

    separator: str  # "." (always day first) or "/"
    order: str | None  # "dmy" or "mdy"; None when every value reads both ways (all parts up to 12)
    mask: np.ndarray  # values (aligned with the distinct values) that are real dates in this format
    values: np.ndarray | None  # their datetimes (``datetime64[us]``), when the order is known
    short_years: bool = False  # some values have two-digit years
    order_from: str | None = None  # the column whose order was taken (this one's values fit either)

    @property
    def label(self) -> str:
        """``"day.month.year"``, ``"day/month/year"`` or ``"month/day/year"``."""
        parts = ("day", "month", "year") if self.order == "dmy" else ("month", "day", "year")
        return self.separator.join(parts)


def _regional_pattern(separator: str, short_years: bool) -> str:
    """The pattern of a day.month.year / slash date with an optional time (two-digit years when asked)."""
    year = "(?:[0-9]{4}|[0-9]{2})" if short_years else "[0-9]{4}"
    sep = re.escape(separator)
    return f"[0-9]{{1,2}}{sep}[0-9]{{1,2}}{sep}{year}{_CLOCK}"


def find_text_dates(d: Distinct, order: str | None = None, *, short_years: bool = False) -> TextDates | None:
    """The column's regional text dates, in the format of its first text value (None when that is not one).

    Dots are always day first. Slashes follow ``order`` when given, else the values: day first when a first
    part is above 12, month first when a second part is; when no part is above 12 the order stays unknown.
    Values that are not real dates in the chosen order (``31.02.2024``) are left out of the mask.
    """
    text = d.where("text")
    if not text.any():
        return None
    first = d.value[np.flatnonzero(text)[0]]
    for separator in "./":
        pattern = _regional_pattern(separator, short_years)
        if re.fullmatch(pattern, first):
            break
    else:
        return None
    mask = d.text_matches(pattern).copy()
    candidates = text_series(d.value[mask])
    if separator == ".":
        order = "dmy"
    elif order is None:
        order = _slash_order(candidates)
    parsed = _parse_regional(candidates, separator, order or "dmy")  # all parts <= 12: valid in either order
    valid = parsed.notna().to_numpy()
    mask[np.flatnonzero(mask)[~valid]] = False
    short = short_years and bool(candidates.str.contains(r"^[0-9]+.[0-9]+.[0-9]{2}(?: |$)").any())
    values = parsed[valid].to_numpy() if order else None
    return TextDates(separator, order, mask, values, short)


def _slash_order(text: pd.Series) -> str | None:
    """``"dmy"`` when some first part is above 12, ``"mdy"`` when some second part is, None when neither.

    When both happen, the order of the first value that tells (so the values of the other order are the
    ones that do not read as dates).
    """
    above_12 = "(?:1[3-9]|[2-9][0-9])/"  # the values matched a slash date, so parts have one or two digits
    day_first = text.str.contains("^" + above_12).to_numpy(dtype=bool)
    month_first = text.str.contains("^[0-9]+/" + above_12).to_numpy(dtype=bool)
    if day_first.any() and month_first.any():
        return "dmy" if np.argmax(day_first) < np.argmax(month_first) else "mdy"
    return "dmy" if day_first.any() else "mdy" if month_first.any() else None


def _parse_regional(text: pd.Series, separator: str, order: str) -> pd.Series:
    """Regional date text as ``datetime64[us]`` (NaT where it is not a real date), with exact formats.

    The date parts and the times (``14:05``, ``14:05:09``, ``2:05 PM``, ``2:05:09 PM``) are parsed apart, each
    on its distinct values: a column of times to the minute has ~200k distinct values but only a few hundred
    days and 1,440 minutes. Two-digit years are read as Excel does (30-99 are 1930-1999, 00-29 2000-2029).
    """
    day_month = ("%d{0}%m{0}" if order == "dmy" else "%m{0}%d{0}").format(separator)
    has_clock = text.str.contains(" ", regex=False).to_numpy(dtype=bool)
    days = text.str.replace(" .*", "", regex=True) if has_clock.any() else text
    day_codes, day_texts = pd.factorize(days)
    day_texts = text_series(np.asarray(day_texts, dtype=object))
    shapes = np.where(day_texts.str.contains("[./][0-9]{2}$").to_numpy(dtype=bool), 1, 0)
    out = _parse_shapes(day_texts, shapes, [day_month + "%Y", day_month + "%y"]).to_numpy()[day_codes]
    if has_clock.any():
        clock_codes, clock_texts = pd.factorize(text.str.replace("^[^ ]* ?", "", regex=True))
        clock_texts = text_series(np.asarray(clock_texts, dtype=object))
        colons = clock_texts.str.count(":").to_numpy()
        ampm = clock_texts.str.contains("[AaPp][Mm]$").to_numpy(dtype=bool)
        shapes = np.select([ampm & (colons == 2), ampm, colons == 2, colons == 1], [4, 3, 2, 1], 0)
        clocks = _parse_shapes(clock_texts, shapes, ["", "%H:%M", "%H:%M:%S", "%I:%M %p", "%I:%M:%S %p"])
        out = out + (clocks - _CLOCK_DAY).to_numpy()[clock_codes]
    return pd.Series(out, index=text.index)


def _parse_shapes(texts: pd.Series, shapes: np.ndarray, formats: list[str]) -> pd.Series:
    """``texts`` parsed with ``formats[shape]`` each (``""``: an empty time, midnight); NaT where invalid."""
    out = pd.Series(pd.NaT, index=texts.index, dtype="datetime64[us]")
    for shape in np.unique(shapes):
        rows = shapes == shape
        if not formats[shape]:
            out[rows] = _CLOCK_DAY
            continue
        parsed = pd.to_datetime(texts[rows], format=formats[shape], errors="coerce").astype("datetime64[us]")
        if formats[shape].endswith("%y"):
            late = parsed.dt.year >= 2000 + _EXCEL_CENTURY_FROM
            parsed[late] = parsed[late] - pd.DateOffset(years=100)
        out[rows] = parsed.to_numpy()
    return out


def all_text_dates(d: Distinct, text_dates: TextDates | None) -> bool:
    """Every non-blank value is text and a regional date."""
    present = d.kind != "missing"
    return text_dates is not None and bool(present.any()) and bool((text_dates.mask == present).all())


def slash_order_of(series: pd.Series, order: str | None) -> str | None:
    """The order of a column's slash dates when the whole column is slash dates and tells it (else None)."""
    order = order if order in DATE_ORDERS else None
    text_like = pd.api.types.is_object_dtype(series.dtype) or isinstance(series.dtype, pd.StringDtype)
    if not text_like or series.isna().all():
        return None
    first = series.loc[series.first_valid_index()]  # cheap look before factorizing a column not loaded
    # (a blank first cell, "" after squashing spaces, proves nothing: look at the whole column then)
    if not isinstance(first, str) or not re.fullmatch(_regional_pattern("/", False) + "|", squash_spaces(first)):
        return None
    _, d = distinct_values(series)
    text_dates = find_text_dates(d, order)
    if text_dates is None or text_dates.separator != "/" or not all_text_dates(d, text_dates):
        return None
    return text_dates.order


def order_question(
    name: str, d: Distinct, codes: np.ndarray, text_dates: TextDates | None, declared: bool
) -> str | None:
    """For slash dates that read either way (``01/02/2024``), the note or error saying how to declare them."""
    if text_dates is None or text_dates.order or not text_dates.mask.any():
        return None
    if not declared and not all_text_dates(d, text_dates):
        return None
    row = int(np.flatnonzero(np.isin(codes, np.flatnonzero(text_dates.mask)))[0])
    example = d.value[codes[row]]
    how = f"declare the order: {declare_role(name, 'date:dmy')} (day first) or date:mdy (month first)"
    if declared:
        return (f"'{name}' is a date column but '{example}' (data row {row + 1}) reads as day/month or "
                f"month/day, and no value tells which; {how}")
    return f"'{name}' holds dates that read as day/month or month/day (like '{example}'); kept as text: {how}"


def to_date(
    name: str, d: Distinct, *, serials: bool, text_source: bool, text_dates: TextDates | None = None
) -> tuple[pd.api.extensions.ExtensionArray, np.ndarray, list[str]]:
    """Datetimes, ISO text, regional text dates (``text_dates``, when their order is known) and (when
    ``serials``) Excel serial numbers as ``datetime64[us]``."""
    out = pd.Series(pd.NaT, index=range(len(d.value)), dtype="datetime64[us]")
    notes: list[str] = []
    dates, iso = d.where("date"), iso_dates(d)
    if dates.any():
        out[dates], aware = _datetimes(d.value[dates])
        if aware:
            notes.append(f"'{name}' held time-zone-aware times; converted to UTC")
    if iso.any():
        texts = text_series(d.value[iso])
        out[iso], offsets, unzoned = parse_iso(texts)
        if offsets:
            notes.append(zone_note(name, offsets, unzoned))
        if not text_source:
            notes.append(f"'{name}' held dates as text; converted")
    regional = np.zeros(len(d.value), dtype=bool)
    if text_dates is not None and text_dates.order and text_dates.mask.any():
        regional = text_dates.mask
        out[regional] = text_dates.values
        notes.append(_regional_note(name, text_dates))
    numbers = d.where("number") & serials
    if numbers.any():
        days = d.value[numbers].astype(float)
        valid = (days >= 1) & (days < _EXCEL_MAX_SERIAL)
        numbers[np.flatnonzero(numbers)[~valid]] = False
        out[numbers] = _from_serials(days[valid])
        notes.append(f"'{name}' held Excel date serial numbers; converted to dates")
    bad = (d.kind != "missing") & ~(dates | iso | regional | numbers)
    return out.array, bad, notes


def _regional_note(name: str, text_dates: TextDates) -> str:
    """``read 'signup' as dates (day.month.year)``, and where the order or the century came from."""
    extra = ""
    if text_dates.order_from:
        extra += f", as in '{text_dates.order_from}': its own values read either way"
    if text_dates.short_years:
        first = _EXCEL_CENTURY_FROM
        extra += f"; two-digit years {first}-99 as 19.., 00-{first - 1} as 20.., as Excel reads them"
    return f"read '{name}' as dates ({text_dates.label}{extra})"


def _datetimes(values: np.ndarray) -> tuple[np.ndarray, bool]:
    """Date/datetime objects as naive ``datetime64[us]``; aware ones converted to UTC."""
    aware = any(getattr(v, "tzinfo", None) is not None for v in values)
    stamps = pd.to_datetime(pd.Series(values, dtype=object), utc=aware)
    if aware:
        stamps = stamps.dt.tz_localize(None)
    return stamps.astype("datetime64[us]").to_numpy(), aware


def _from_serials(days: np.ndarray) -> np.ndarray:
    """Excel 1900-system serials to datetimes (serials below 61 undo Excel's phantom 1900-02-29)."""
    shift = np.where(days < 61, 1.0, 0.0)
    stamps = _EXCEL_EPOCH + pd.to_timedelta(days + shift, unit="D")
    return stamps.round("ms").astype("datetime64[us]").to_numpy()
