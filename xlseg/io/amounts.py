"""Amounts as systems export them: percent text (``9.1%``, ``-3 %``) and currency text (``$1,234``, ``1 224.88 €``,
``€1.234,50``, ``CHF 1'234.50``, ``(1,234.00)``).

Rules (whole column, on its distinct text values, spaces already normalised so non-breaking and narrow
no-break spaces are plain spaces):

- **Percent**: a number followed by ``%`` (a space between is allowed) is the number / 100: ``9.1%`` → 0.091.
  The column keeps a percent number format in outputs (:attr:`xlseg.schema.Table.formats`).
- **Currency**: a number with a currency symbol (``$ € £ ¥``) or an ISO code (``USD``, ``EUR``, ``CHF``…)
  before or after it; a sign before or after the symbol; accounting negatives in parentheses
  (``(1,234.00)`` is −1234). Plain numbers in the same column are amounts in that currency when at least
  half the cells name it (``1``, ``2``, ``$5`` stays text: more likely codes). A column
  mixing currencies stays text with a note: amounts in two currencies are never summed.
- **Separators**: thousands as ``,`` ``.`` space or ``'`` in groups of three; the decimal mark is decided per
  column, as the decimal-comma CSV rule does: a comma is decimal when some value has a comma followed by
  other than three digits (``2,5``, ``1.234,50``) and no value has such a point; the other way round for
  a point; a column with both stays text with a note. Without evidence (``$1,234`` only) a separator
  followed by exactly three digits is a thousands separator.
- **Unreadable cells**: a few cells that are neither (``n/a``, ``see note``) become missing and are
  counted in the note, when they are at most :data:`UNREADABLE_SHARE` (2 %) of the non-blank cells;
  otherwise the column stays text and the note says why.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from xlseg.io.cells import plural
from xlseg.io.distinct import Distinct, sample_matches

UNREADABLE_SHARE = 0.02  # at most this share of a column's non-blank cells may be unreadable (become missing)
PERCENT_FORMAT = "0.0%"
SYMBOLS = {"$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY", "₹": "INR", "₩": "KRW", "₽": "RUB", "₺": "TRY",
           "R$": "BRL", "US$": "USD", "CA$": "CAD", "A$": "AUD", "kr": "SEK/NOK/DKK", "zł": "PLN", "Fr.": "CHF"}
CODES = ("USD", "EUR", "GBP", "JPY", "CHF", "CNY", "CAD", "AUD", "NZD", "SEK", "NOK", "DKK", "PLN", "CZK", "HUF",
         "INR", "BRL", "MXN", "ZAR", "SGD", "HKD", "KRW", "TRY", "RUB", "ILS", "AED", "SAR", "THB")
_CURRENCY = "|".join(re.escape(c) for c in sorted([*SYMBOLS, *CODES], key=len, reverse=True))
_NUMBER = r"[0-9](?:[0-9 .,']*[0-9])?"
_AMOUNT = re.compile(
    rf"(?P<open>\()?(?P<s1>[+-])?(?:(?P<c1>{_CURRENCY}) ?)?(?P<s2>[+-])?(?P<num>{_NUMBER})"
    rf"(?: ?(?P<c2>{_CURRENCY}))?(?P<close>\))?")
_PERCENT = re.compile(rf"(?P<s1>[+-])?(?P<num>{_NUMBER}) ?%")
_LOOSE = rf"\(?[+-]?(?:{_CURRENCY})? ?[+-]?[0-9][0-9 .,']*(?: ?(?:{_CURRENCY}|%))?\)?"  # a cheap first look


@dataclass
class Amounts:
    """What a column of amount text reads as (arrays align with the distinct values)."""

    values: np.ndarray  # float per distinct value, NaN where missing or unreadable
    unreadable: np.ndarray  # non-blank values that are not amounts (missing when the share allows)
    percent: bool
    currency: str | None  # ISO code (or symbol's code) of a currency column
    decimal: str  # "." or ","
    note: str


def read_amounts(name: str, d: Distinct) -> tuple[Amounts | None, str | None]:
    """The column's amounts when every non-blank value is text and (all but a few) are percent or currency
    amounts; else None and, when the column looked like amounts, a note saying why it stays text.
    Computed once per column (role inference, conversion and notes all ask)."""
    key = f"\0amounts\0{name}"  # cached beside the pattern masks of these distinct values
    if key not in d._matches:
        d._matches[key] = _read_amounts(name, d)  # type: ignore[assignment]
    return d._matches[key]  # type: ignore[return-value]


def _read_amounts(name: str, d: Distinct) -> tuple[Amounts | None, str | None]:
    present = d.kind != "missing"
    if not present.any() or not (d.kind[present] == "text").all():
        return None, None
    if not sample_matches(d, _LOOSE):
        return None, None
    loose = d.text_matches(_LOOSE)
    if not loose.any() or d.cells[loose].sum() * 2 < d.cells[present].sum():  # mostly not amounts: no note
        return None, None
    texts = d.value.copy()
    percent = np.zeros(len(texts), dtype=bool)
    parts: list[tuple[int, str, str | None, bool]] = []  # (index, number text, currency, negative)
    for i in np.flatnonzero(present):
        text = texts[i]
        match = _PERCENT.fullmatch(text)
        if match:
            percent[i] = True
            parts.append((i, match["num"], None, match["s1"] == "-"))
            continue
        match = _AMOUNT.fullmatch(text)
        if match and bool(match["open"]) == bool(match["close"]) and not (match["s1"] and match["s2"]):
            if match["c1"] and match["c2"]:
                continue
            code = _code(match["c1"] or match["c2"])
            negative = bool(match["open"]) or "-" in (match["s1"] or "", match["s2"] or "")
            parts.append((i, match["num"], code, negative))
    if not parts:
        return None, None
    currencies = sorted({c for _, _, c, _ in parts if c})
    percents = int(percent.sum())
    if percents and (currencies or percents < len(parts)):
        return None, None  # percent and something else: not one kind of amount
    marked = int(sum(d.cells[i] for i, _, c, _ in parts if c))
    if not percents and marked * 2 < d.cells[present].sum():
        return None, None  # mostly plain numbers: one "$5" among codes does not make amounts
    if len(currencies) > 1:
        return None, f"'{name}' mixes currencies ({', '.join(currencies)}); kept as text, never summed across them"
    decimal = _decimal_mark([num for _, num, _, _ in parts])
    if decimal is None:
        return None, (f"'{name}' holds amounts with a decimal point in some cells and a decimal comma in others; "
                      "kept as text")
    values = np.full(len(texts), np.nan)
    for i, num, _, negative in parts:
        number = _to_number(num, decimal)
        if number is not None:
            values[i] = (-number if negative else number) / (100 if percents else 1)
    unreadable = present & np.isnan(values)
    cells = int(d.cells[present].sum())
    bad_cells = int(d.cells[unreadable].sum())
    what = "percentages" if percents else f"amounts in {currencies[0]}"
    if bad_cells > cells * UNREADABLE_SHARE:
        example = texts[np.flatnonzero(unreadable)[0]]
        return None, (f"'{name}' looks like {what} but {plural(bad_cells, 'cell')} (like '{example}') are not; "
                      f"kept as text (at most {UNREADABLE_SHARE:.0%} may be unreadable)")
    mark = {",": " (decimal comma)", ".": " (decimal point)", "": ""}[decimal]
    note = f"read '{name}' as {'percentages (9.1% → 0.091)' if percents else what}{mark}"
    if bad_cells:
        shown = ", ".join(f"'{t}'" for t in pd.unique(texts[unreadable])[:3])
        note += f"; {plural(bad_cells, 'unreadable cell')} ({shown}) read as missing"
    return Amounts(values, unreadable, bool(percents), currencies[0] if currencies else None, decimal, note), None


def few_unreadable(d: Distinct, unreadable: np.ndarray) -> bool:
    """The ``unreadable`` values fill at most :data:`UNREADABLE_SHARE` of the column's non-blank cells."""
    return int(d.cells[unreadable].sum()) <= int(d.cells[d.kind != "missing"].sum()) * UNREADABLE_SHARE


def unreadable_note(name: str, d: Distinct, unreadable: np.ndarray) -> str:
    """``2 unreadable cells ('see note', 'tbd') in 'ts' read as missing``."""
    shown = ", ".join(f"'{t}'" for t in pd.unique(d.value[unreadable])[:3])
    return f"{plural(int(d.cells[unreadable].sum()), 'unreadable cell')} ({shown}) in '{name}' read as missing"


def _code(currency: str | None) -> str | None:
    return None if currency is None else SYMBOLS.get(currency, currency)


def _decimal_mark(numbers: list[str]) -> str | None:
    """``","`` or ``"."`` for the column, ``""`` when no value tells (every separator is then a thousands
    separator), None when some values need a decimal point and others a decimal comma."""
    comma = point = False
    for num in numbers:
        last = max(num.rfind(","), num.rfind("."))
        if last < 0:
            continue
        mark, digits = num[last], len(num) - last - 1
        if num.count(mark) > 1:  # 1.234.567: the mark groups thousands, so the other one is decimal
            comma |= mark == "."
            point |= mark == ","
        elif digits != 3 or ("," in num and "." in num) or re.search("[ ']", num[:last]):
            comma |= mark == ","
            point |= mark == "."
    if comma and point:
        return None
    return "," if comma else "." if point else ""


def _to_number(num: str, decimal: str) -> float | None:
    """``num`` (digits and separators) as a float, with ``decimal`` as the decimal mark; None when the
    thousands groups are not groups of three or the separators are mixed."""
    integer, _, fraction = num.rpartition(decimal) if decimal and decimal in num else (num, "", "")
    if decimal and decimal in integer:
        return None
    separators = set(re.sub("[0-9]", "", integer))
    if len(separators) > 1:
        return None
    if separators:
        groups = integer.split(separators.pop())
        if not (1 <= len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:])):
            return None
    digits = re.sub("[^0-9]", "", integer)
    if fraction and not fraction.isdigit():
        return None
    return float(f"{digits}.{fraction}" if fraction else digits)
