"""Read arguments the way Excel hands them over: cell values, ranges of values and option tables.

Excel gives a formula (through xlwings) floats for every number (``5`` arrives as ``5.0``), ``None`` for
blank cells and omitted arguments, ``True``/``False`` for booleans, ``datetime`` for date cells, and a
range as a list (one row or column) or a list of lists. The helpers here turn those into what the
engine's parsers (:mod:`xlseg.spec`) expect, so the formulas, the macro's config sheet and the CLI share
one vocabulary.

Options (the last argument of the formulas, and the rows of the ``xlseg`` config sheet) are key/value
pairs, given either as text or as a range:

* text: ``"min_size=30; compare; bins=age:q4; bins=signup_date:month"`` — entries separated by ``;`` or
  line breaks, ``key=value``; a key alone means yes (``compare`` = ``compare=yes``);
* a range of two (or more) columns: a key in the first cell of each row and its value in the second;
  a blank value leaves the key unset, further columns are ignored (room for comments);
* a one-column range: each cell is read like a text entry.

``na=VALUE`` (repeatable) adds a cell value meaning "missing" (``NA``, ``N/A``, ``NULL``… are already);
``header_row=N`` says which row of the range holds the column names (default: the first, or the row under a
title row).

Column-wise settings (``bins``, ``top``, ``roles``) take ``column:value`` and may be repeated, one column
each: ``bins=age:q4; bins=revenue:edges:0,10,100``. ``top`` also takes a plain number for every column.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from xlseg.errors import XlsegError, did_you_mean
from xlseg.spec import whole_number

#: Option keys, what their values are, and how to explain them in one line.
BOOL_KEYS = ("intervals", "compare", "subtotals", "ascending", "totals")
NUMBER_KEYS = ("min_size", "confidence", "depth", "header_row")
TEXT_KEYS = ("sort", "normalize", "agg", "value", "title", "scan", "gap", "tz")
PER_COLUMN_KEYS = ("bins", "roles")  # column:value, repeatable
LIST_KEYS = ("by", "metrics", "crosstab", "na_values")  # repeatable, kept in order (config sheet)
ALL_KEYS = (*BOOL_KEYS, *NUMBER_KEYS, *TEXT_KEYS, *PER_COLUMN_KEYS, "top", *LIST_KEYS)

_TRUE = {"true", "yes", "y", "1", "on", "x"}
_FALSE = {"false", "no", "n", "0", "off", ""}


def is_blank(value: object) -> bool:
    """True for what Excel hands over for an empty cell or an omitted argument."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    return isinstance(value, float) and math.isnan(value)


#: Excel's error numbers (``CVErr``) and their text; COM hands an error cell over as ``0x800A0000 + number``.
EXCEL_ERRORS = {2000: "#NULL!", 2007: "#DIV/0!", 2015: "#VALUE!", 2023: "#REF!", 2029: "#NAME?", 2036: "#NUM!",
                2042: "#N/A", 2043: "#GETTING_DATA", 2045: "#SPILL!", 2046: "#CONNECT!", 2047: "#BLOCKED!",
                2048: "#UNKNOWN!", 2049: "#FIELD!", 2050: "#CALC!", 2051: "#BUSY!", 2222: "#PYTHON!"}
_COM_ERROR_BASE = -2146828288  # 0x800A0000 as a signed 32-bit int


def error_texts(rows: object) -> object:
    """Replace COM error codes left in range values by their text (``-2146826245`` → ``"#SPILL!"``).

    xlwings turns only the seven classic errors into text (``err_to_str=True``); newer ones (``#SPILL!``,
    ``#CALC!``, ``#BUSY!`` …) reach Python as large negative ints and would be read as numbers. Excel
    hands every real number over as a float, so an ``int`` in that range can only be an error.
    """
    if isinstance(rows, list):
        return [error_texts(item) if _may_hold_errors(item) else item for item in rows]
    if isinstance(rows, int) and not isinstance(rows, bool):
        number = rows - _COM_ERROR_BASE
        if 2000 <= number <= 2300:
            return EXCEL_ERRORS.get(number, "#N/A")
    return rows


_COM_ERRORS = frozenset(range(_COM_ERROR_BASE + 2000, _COM_ERROR_BASE + 2301))


def _may_hold_errors(item: object) -> bool:
    """False for a row none of whose cells equals an error code, decided in C by ``set.isdisjoint``.

    A row without errors (nearly every row) is then kept as it is instead of being rebuilt cell by cell.
    """
    if not isinstance(item, list):
        return True
    try:
        return not _COM_ERRORS.isdisjoint(item)
    except TypeError:  # a nested list (unhashable): look inside
        return True


def sentence(message: str) -> str:
    """A message on one line as a sentence: a capital first letter (unless the first word names something,
    like ``min_size`` or ``xlseg``) and a final full stop."""
    text = " ".join(message.split())
    if not text:
        return "Something is wrong with the arguments."
    first = text.split(" ", 1)[0]
    if first.isalpha() and first.islower() and first != "xlseg":
        text = text[0].upper() + text[1:]
    return text if text.endswith((".", "?", "!")) else text + "."


def flatten(value: object) -> list[object]:
    """The cells of a value, a row/column (list) or a block (list of lists), row by row, blanks dropped."""
    if isinstance(value, list | tuple):
        cells: list[object] = []
        for item in value:
            cells.extend(flatten(item))
        return cells
    return [] if is_blank(value) else [value]


def cell_text(value: object) -> str:
    """A cell value as the text a user typed: ``2024.0`` → ``"2024"``, ``True`` → ``"TRUE"``, stripped."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime) and value == dt.datetime.combine(value.date(), dt.time()):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def column_names(value: object, what: str) -> list[str]:
    """Column names from a cell (``"geography, device"``) or a range of names (one per cell).

    Raises:
        XlsegError: when no name is given; ``what`` names the argument (e.g. ``"by"``).
    """
    names: list[str] = []
    for cell in flatten(value):
        if isinstance(cell, str):
            names.extend(part.strip() for part in cell.split(",") if part.strip())
        else:
            names.append(cell_text(cell))
    if not names:
        raise XlsegError(f"{what} is empty; give a column name such as \"geography\" or a range of names")
    return names


def metrics_text(value: object) -> str | None:
    """Metrics from a cell (``"session_length:mean,median; converted:rate"``) or a range of such cells."""
    parts = [cell_text(cell) for cell in flatten(value)]
    return "; ".join(parts) if parts else None


def to_bool(value: object, what: str) -> bool:
    """An Excel yes/no: TRUE/FALSE, 1/0, yes/no, y/n, on/off (a blank means no)."""
    if isinstance(value, bool):
        return value
    if value is None:
        return False
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    text = cell_text(value).lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise XlsegError(f"{what} must be TRUE or FALSE, not '{cell_text(value)}'")


def to_number(value: object, what: str) -> float:
    """A number from a cell (a float, or text such as ``"0.9"``)."""
    if isinstance(value, bool):
        raise XlsegError(f"{what} must be a number, not {cell_text(value)}")
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise XlsegError(f"{what} must be a number, not '{cell_text(value)}'") from None


@dataclass
class Options:
    """Parsed option pairs; ``values`` holds only the keys that were given."""

    values: dict[str, Any]

    def engine_kwargs(self, allowed: Iterable[str], function: str) -> dict[str, Any]:
        """The options as keyword arguments for an engine call, refusing keys ``function`` doesn't take."""
        allowed = tuple(allowed)
        for key in self.values:
            if key not in allowed:
                raise XlsegError(f"{function} does not take the option '{key}'; it takes {', '.join(allowed)}")
        return dict(self.values)


def parse_options(value: object) -> Options:
    """Parse options given as text or as a key/value range (see the module docstring).

    Raises:
        XlsegError: for an unknown key, a value of the wrong kind, or a key given twice.
    """
    out: dict[str, Any] = {}
    for key, raw in option_pairs(value):
        _add_option(out, key, raw)
    return Options(out)


def option_pairs(value: object) -> list[tuple[str, object]]:
    """The ``(key, raw value)`` pairs of options text or of a key/value range, in order."""
    if is_blank(value):
        return []
    if isinstance(value, list | tuple) and value and all(isinstance(row, list | tuple) for row in value):
        if max(len(row) for row in value) == 1:
            return [pair for row in value for cell in row if not is_blank(cell)
                    for pair in _text_pairs(cell_text(cell))]
        return [(cell_text(row[0]), row[1]) for row in value
                if len(row) >= 2 and not is_blank(row[0]) and not is_blank(row[1])]
    pairs = []
    for cell in flatten(value):
        pairs.extend(_text_pairs(cell_text(cell)))
    return pairs


def _text_pairs(text: str) -> list[tuple[str, object]]:
    pairs: list[tuple[str, object]] = []
    for entry in re.split(r"[;\n\r]+", text):
        entry = entry.strip()
        if not entry:
            continue
        key, sep, raw = entry.partition("=")
        pairs.append((key, raw.strip() if sep else True))
    return pairs


def _canonical_key(key: str) -> str:
    name = re.sub(r"[\s\-]+", "_", key.strip().lower())
    name = {"min_n": "min_size", "minimum_size": "min_size", "bin": "bins", "role": "roles", "metric": "metrics",
            "level": "confidence", "na": "na_values", "na_value": "na_values", "header": "header_row"}.get(name, name)
    if name not in ALL_KEYS:
        hint = did_you_mean(name, ALL_KEYS) or "; options are " + ", ".join(ALL_KEYS)
        raise XlsegError(f"unknown option '{key.strip()}'{hint}")
    return name


def _add_option(out: dict[str, Any], key: str, raw: object) -> None:
    name = _canonical_key(key)
    if name in PER_COLUMN_KEYS or (name == "top" and _has_column(raw)):
        column, setting = _column_setting(raw, name)
        target = out.setdefault(name, {})
        if not isinstance(target, dict):
            raise XlsegError("top is given both for all columns and per column; use one form")
        if column in target:
            raise XlsegError(f"option {name} is given twice for column '{column}'")
        target[column] = whole_number(setting, f"top for '{column}'") if name == "top" else setting
        return
    if name in LIST_KEYS:
        out.setdefault(name, []).append(cell_text(raw))
        return
    if name in out:
        raise XlsegError(f"option '{name}' is given twice; keep one")
    if name in BOOL_KEYS:
        out[name] = to_bool(raw, name)
    elif name in ("min_size", "top", "depth", "header_row"):
        out[name] = whole_number(raw, name)
    elif name == "confidence":
        level = to_number(raw, "confidence")
        out[name] = level / 100 if 1 < level < 100 else level  # "95" means 95 %
    elif raw is True:
        raise XlsegError(f"option '{name}' needs a value, e.g. {name}=...")
    else:
        out[name] = cell_text(raw)


def _has_column(raw: object) -> bool:
    return isinstance(raw, str) and ":" in raw


def _column_setting(raw: object, name: str) -> tuple[str, str]:
    """Split ``column:setting`` at the first colon."""
    column, sep, setting = cell_text(raw).partition(":")
    if not sep:
        raise XlsegError(f"option {name} needs column:value, e.g. {_EXAMPLES[name]}")
    column, setting = column.strip(), setting.strip()
    if not column or not setting:
        raise XlsegError(f"option {name} needs column:value, e.g. {_EXAMPLES[name]}")
    return column, setting


_EXAMPLES = {"bins": "bins=age:q4", "roles": "roles=signup:date", "top": "top=geography:5"}

