"""Names Excel accepts: sheet names, table names and defined names.

openpyxl writes whatever name it is given; Excel then refuses or "repairs" the file. The rules here are
Excel's own:

* sheet names: 1–31 characters, none of ``[ ] : * ? / \\``, no control characters, no leading or
  trailing apostrophe, not ``History`` (reserved), unique ignoring case within a workbook;
* table and defined names (one namespace per workbook): start with a letter, ``_`` or ``\\``, then
  letters, digits, ``_`` or ``.``; at most 255 characters; not ``R``/``C`` and nothing that reads as a
  cell reference (``A1``, ``XFD100``, ``R1C1``, ``R2``, ``C3``); unique ignoring case.

:class:`NameBook` hands out valid, unique names for one workbook, remembering the names already taken
(e.g. the sheets of a user's workbook when a macro adds result sheets).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable

MAX_SHEET_NAME = 31
MAX_TABLE_NAME = 255
RESERVED_SHEET_NAMES = frozenset({"history"})
#: Built-in defined names Excel uses itself (compared case-insensitively, with or without ``_xlnm.``).
RESERVED_DEFINED_NAMES = frozenset(
    {"print_area", "print_titles", "_filterdatabase", "criteria", "extract", "database", "consolidate_area",
     "sheet_title", "auto_open", "auto_close"}
)
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\\x00-\x1f\x7f]")
_CELL_A1 = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d+)$")
_CELL_R1C1 = re.compile(r"^[Rr](\d*)[Cc](\d*)$|^[Rr]\d*$|^[Cc]\d*$")
_MAX_COLUMN = 16_384
_MAX_ROW = 1_048_576


def column_number(letters: str) -> int:
    """1-based number of a column given by its letters: ``"A"`` → 1, ``"XFD"`` → 16384."""
    number = 0
    for ch in letters.upper():
        number = number * 26 + (ord(ch) - 64)
    return number


def column_letter(number: int) -> str:
    """Letters of a 1-based column number: 1 → ``"A"``, 16384 → ``"XFD"``."""
    if not 1 <= number <= _MAX_COLUMN:
        raise ValueError(f"column {number} is outside Excel's 1..{_MAX_COLUMN}")
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def looks_like_cell_reference(name: str) -> bool:
    """True when Excel would read ``name`` as a cell reference (A1 or R1C1 style), e.g. ``"A1"``, ``"R1C1"``."""
    match = _CELL_A1.match(name)
    if match:
        return column_number(match.group(1)) <= _MAX_COLUMN and 1 <= int(match.group(2)) <= _MAX_ROW
    return bool(_CELL_R1C1.match(name))


def is_valid_sheet_name(name: str) -> bool:
    """True when Excel accepts ``name`` as a sheet name (uniqueness aside)."""
    return (
        0 < len(name) <= MAX_SHEET_NAME
        and not _SHEET_FORBIDDEN.search(name)
        and not name.startswith("'")
        and not name.endswith("'")
        and name.strip() != ""
        and name.casefold() not in RESERVED_SHEET_NAMES
    )


def clean_sheet_name(text: str, fallback: str = "Sheet") -> str:
    """Turn any text into a valid sheet name (not yet unique): forbidden characters become ``_``.

    Control characters are dropped and there is no leading or trailing apostrophe. A text longer than 31
    characters keeps its beginning and its end with ``…`` between (``"session_length (q4) × …plan_tier"``),
    so breakdowns that differ only in their last dimension keep different names. An empty result becomes
    ``fallback`` and ``History`` becomes ``History_``.
    """
    name = _full_sheet_text(text)
    if len(name) > MAX_SHEET_NAME:
        name = _middle_cut(name)
    if not name:
        name = fallback
    if name.casefold() in RESERVED_SHEET_NAMES:
        name = name + "_"
    return name


ELLIPSIS = "\u2026"
_TAIL = 11  # characters of the end a shortened sheet name keeps


def _full_sheet_text(text: str) -> str:
    name = re.sub(r"\s+", " ", str(text))
    name = "".join(ch for ch in name if unicodedata.category(ch) != "Cc")
    return _trim(re.sub(r"[\[\]:*?/\\]+", "_", name))


def _middle_cut(name: str) -> str:
    """``name`` shortened to 31 characters by cutting its middle: the start (to a word end when one is near)
    and the last few characters (from a word start when one is near), joined by ``…``."""
    tail = name[-_TAIL:]
    space = tail.find(" ")
    if 0 <= space < 5:
        tail = tail[space + 1:]
    tail = _trim(tail)
    head = name[: MAX_SHEET_NAME - 1 - len(tail)]
    space = head.rfind(" ")
    if space >= len(head) - 6:
        head = head[:space]
    return _trim(head.rstrip(" _-×")) + ELLIPSIS + tail


def _trim(name: str) -> str:
    """Strip spaces and apostrophes from both ends (repeatedly: "' 'x" → "x")."""
    return name.strip(" '")


def is_valid_table_name(name: str) -> bool:
    """True when Excel accepts ``name`` as a table or defined name (uniqueness aside)."""
    return (
        0 < len(name) <= MAX_TABLE_NAME
        and re.fullmatch(r"[A-Za-z_\\][A-Za-z0-9_.]*", name) is not None
        and not looks_like_cell_reference(name)
        and name.casefold().removeprefix("_xlnm.") not in RESERVED_DEFINED_NAMES
    )


def clean_table_name(text: str, fallback: str = "Table") -> str:
    """Turn any text into a valid table/defined name (not yet unique), keeping it readable.

    Accents are folded to ASCII, every run of other characters becomes ``_``; a name that would start
    with a digit or read as a cell reference gets a ``T_`` prefix.
    """
    ascii_text = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode("ascii")
    name = re.sub(r"[^A-Za-z0-9_.]+", "_", ascii_text).strip("_.")
    name = re.sub(r"_+", "_", name)
    if not name:
        name = fallback
    if not re.match(r"[A-Za-z_]", name) or looks_like_cell_reference(name) or not is_valid_table_name(name):
        name = "T_" + name
    return name[:MAX_TABLE_NAME]


class NameBook:
    """Hands out valid, unique sheet and table names for one workbook.

    Args:
        sheets: sheet names already in the workbook (compared ignoring case).
        tables: table and defined names already in the workbook (one namespace, compared ignoring case).
    """

    def __init__(self, sheets: Iterable[str] = (), tables: Iterable[str] = ()) -> None:
        self._sheets = {s.casefold() for s in sheets}
        self._tables = {t.casefold() for t in tables}

    def sheet(self, text: str, fallback: str = "Sheet") -> str:
        """A valid sheet name for ``text``, unique in this workbook.

        On a clash, a name shortened from a longer text gets four hex digits of that text (``…~3fa2``), so
        two different texts never end up as names differing only by a counter; otherwise (or when the
        same text comes twice) the ``"Name (2)"`` style.
        """
        base = clean_sheet_name(text, fallback)
        name = base
        if name.casefold() in self._sheets and len(_full_sheet_text(text)) > MAX_SHEET_NAME:
            digest = "~" + hashlib.sha1(str(text).encode("utf-8")).hexdigest()[:4]
            name = _middle_cut(_full_sheet_text(text)[: MAX_SHEET_NAME + _TAIL] + digest)
        n = 1
        while name.casefold() in self._sheets:
            n += 1
            suffix = f" ({n})"
            name = _trim(base[: MAX_SHEET_NAME - len(suffix)]) + suffix
        self._sheets.add(name.casefold())
        return name

    def table(self, text: str, fallback: str = "Table") -> str:
        """A valid table/defined name for ``text``, unique in this workbook; ``name_2`` style on clashes."""
        base = clean_table_name(text, fallback)
        name, n = base, 1
        while name.casefold() in self._tables:
            n += 1
            suffix = f"_{n}"
            name = base[: MAX_TABLE_NAME - len(suffix)] + suffix
        self._tables.add(name.casefold())
        return name
