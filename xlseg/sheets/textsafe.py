"""Text that stays text: user-derived strings a spreadsheet must never read as formulas or error values.

Labels come from user data (``=1+1``, ``+SUM(A1)``, ``-2``, ``@x``, ``#N/A``, a leading TAB). A writer
must store them as literal text: openpyxl by forcing ``data_type = "s"`` and ``quotePrefix`` (the cell then
keeps its leading ``'`` when the user edits it), xlwings by an ``@`` number format or a leading ``'``.
This module decides which strings are risky (after OWASP's CSV-injection rules) and cleans the characters
a worksheet cannot hold at all.
"""

from __future__ import annotations

import re

from xlseg.errors import XlsegError

MAX_CELL_CHARS = 32_767
#: Strings Excel would store as error values when typed into a cell.
ERROR_CODES = frozenset({"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA",
                         "#SPILL!", "#CALC!", "#FIELD!", "#BLOCKED!", "#CONNECT!", "#BUSY!", "#UNKNOWN!",
                         "#PYTHON!", "#EXTERNAL!"})
#: First characters that make spreadsheets (or CSV importers) read a string as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
# XML 1.0 forbids these in a worksheet (openpyxl raises IllegalCharacterError); TAB, LF and CR are allowed.
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def needs_protection(text: str) -> bool:
    """True when a spreadsheet could read ``text`` as a formula or an error value instead of a label."""
    return text.startswith(FORMULA_STARTS) or text.strip().upper() in ERROR_CODES


def clean_text(text: object, what: str = "a label") -> str:
    """``text`` as a string a worksheet can hold: control characters become U+FFFD (shown as �).

    Raises:
        XlsegError: when the text is longer than Excel's 32,767 characters per cell (``what`` names it).
    """
    value = str(text)
    if len(value) > MAX_CELL_CHARS:
        raise XlsegError(
            f"{what} has {len(value):,} characters; an Excel cell holds at most {MAX_CELL_CHARS:,}"
            f" (starts with {value[:30]!r})"
        )
    return _ILLEGAL.sub("\ufffd", value)


def single_line(text: object) -> str:
    """``text`` on one line (TAB, CR, LF and control characters become spaces): for headers and names."""
    return re.sub(r"[\x00-\x1f\x7f]+", " ", str(text)).strip()
