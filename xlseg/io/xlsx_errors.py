"""Error cells (``#N/A``, ``#DIV/0!`` …) of an .xlsx sheet, found in the sheet's XML.

python-calamine's row reader hands error cells over as blanks (python-calamine issue #105), so on the
sheets that take that path (see :mod:`xlseg.io.xlsx_fast`) the cleaning could not count them. This module
streams the sheet's XML out of the zip and picks out the cells typed ``t="e"``; the row reader then puts
their codes back, as an Excel range hands them over, and the cleaning counts them as missing values.
A chunk without the text ``t="e"`` is skipped with one ``bytes.find``, so the cost is the decompression.
"""

from __future__ import annotations

import os
import re
import zipfile
from typing import IO

from xlseg.io.xlsx_header import sheet_part

_CHUNK = 1 << 22  # bytes of XML per step
_ERROR_CELL = re.compile(
    rb'<c\b(?=[^>]*\bt="e")[^>]*?\br="([A-Z]{1,3})([0-9]+)"[^>]*>'  # a cell typed as an error, attributes in any order
    rb"(?:<f[^>]*/>|<f[^>]*>[^<]*</f>)?"  # its formula, if any
    rb"<v>([^<]*)</v>"
)
_ROW_END = b"</row>"


def error_cells(path: str | os.PathLike[str], sheet: str | int | None) -> list[tuple[int, int, str]]:
    """``(row, column, code)`` of every error cell of the sheet, 0-based; empty when there are none or the
    sheet's XML can't be found for sure."""
    try:
        with zipfile.ZipFile(path) as book:
            part = sheet_part(book, sheet)
            if part is None:
                return []
            with book.open(part) as xml:
                return _scan(xml)
    except (OSError, zipfile.BadZipFile, KeyError):
        return []


def _scan(xml: IO[bytes]) -> list[tuple[int, int, str]]:
    """Read the XML in chunks cut after a ``</row>``, so no cell is split between two chunks."""
    found: list[tuple[int, int, str]] = []
    pending = b""
    while chunk := xml.read(_CHUNK):
        data = pending + chunk
        cut = data.rfind(_ROW_END)
        if cut < 0:  # no row end yet: read on
            pending = data
            continue
        cut += len(_ROW_END)
        found += _errors_in(data[:cut])
        pending = data[cut:]
    return found + _errors_in(pending)


def _errors_in(xml: bytes) -> list[tuple[int, int, str]]:
    """The error cells of a piece of sheet XML; a piece without ``t="e"`` is skipped by one ``bytes.find``."""
    if b't="e"' not in xml:
        return []
    return [(int(row) - 1, _column_index(column.decode()), code.decode())
            for column, row, code in _ERROR_CELL.findall(xml)]


def _column_index(letters: str) -> int:
    """``"A"`` → 0, ``"AB"`` → 27."""
    index = 0
    for letter in letters:
        index = index * 26 + ord(letter) - ord("A") + 1
    return index - 1
