"""Title rows above the header and footer rows under the data, as people save report-like tables.

- **Title**: a first row holding one non-empty cell (``"Survey 2024"``), optionally a blank row, then a
  row of several text cells is read as a title over the header: the header is the later row, and a note
  says so. ``header_row=N`` (1 = the first row of the range or file) chooses the header row explicitly.
- **Footer**: under the last data row, rows that start with ``Source``/``Note`` (any case), a row
  labelled ``Total``/``Grand total`` whose numbers are the sums of the rows above, and a row holding a
  single cell of words in the first column (of a table of three or more columns; a text with a space or a
  colon that is no value of that column above) are dropped with a note, as are blank rows between them.
  A row labelled "Total" whose numbers are not the sums stays data.
"""

from __future__ import annotations

import re
from dataclasses import replace

import numpy as np
import pandas as pd

from xlseg.errors import XlsegError
from xlseg.io.cells import plural
from xlseg.io.readers import RawTable

_UNNAMED = re.compile(r"Unnamed: \d+(?:_level_\d+)?")  # pandas' name for a blank header cell
_NOTE = re.compile(r"(?:source|sources|note|notes)\b", re.IGNORECASE)
_TOTAL = re.compile(r"(?:grand\s+)?totals?\s*:?", re.IGNORECASE)
_FOOTER_LOOKBACK = 10  # footer rows looked at, at most


def header_and_footer(raw: RawTable, header_row: int | None = None) -> RawTable:
    """``raw`` with the header taken from ``header_row`` (or after a title row) and footer rows dropped."""
    raw = _header_at(raw, header_row) if header_row is not None else _after_title(raw)
    return _without_footer(raw)


def _blank(cell: object) -> bool:
    if cell is None:
        return True
    if isinstance(cell, str):
        return not cell.strip()
    try:
        return bool(pd.isna(cell))
    except (TypeError, ValueError):
        return False


def _filled(cells: list[object]) -> list[int]:
    return [j for j, cell in enumerate(cells) if not _blank(cell)]


def _header_at(raw: RawTable, header_row: int) -> RawTable:
    """The header from row ``header_row`` (1-based); rows above it are skipped."""
    if isinstance(header_row, bool) or not isinstance(header_row, int | np.integer) or header_row < 1:
        raise XlsegError(f"header_row must be a whole number from 1 (the first row), not '{header_row}'")
    if header_row == 1:
        return raw
    if header_row - 1 > len(raw.frame):
        raise XlsegError(f"header_row {header_row} is past the table's last row ({len(raw.frame) + 1})")
    headers = raw.frame.iloc[header_row - 2].tolist()
    frame = raw.frame.iloc[header_row - 1:].reset_index(drop=True)
    note = f"read the header from row {header_row}; skipped {plural(header_row - 1, 'row')} above it"
    return replace(raw, headers=headers, frame=frame, notes=[*raw.notes, note])


def _after_title(raw: RawTable) -> RawTable:
    """Skip a title row (one non-empty cell) and an optional blank row above a row of text headers."""
    width = len(raw.headers)
    title = [j for j in _filled(raw.headers) if not _UNNAMED.fullmatch(str(raw.headers[j]))]
    if width < 2 or len(title) != 1 or raw.frame.empty:
        return raw
    for skip in (0, 1):
        if skip >= len(raw.frame):
            return raw
        cells = raw.frame.iloc[skip].tolist()
        filled = _filled(cells)
        if skip == 0 and not filled:
            continue
        if len(filled) >= 2 and all(isinstance(cells[j], str) for j in filled):
            text = str(raw.headers[title[0]]).strip()
            frame = raw.frame.iloc[skip + 1:].reset_index(drop=True)
            note = f"skipped the title row '{text}' above the header" + (" and a blank row" if skip else "")
            return replace(raw, headers=cells, frame=frame, notes=[*raw.notes, note])
        return raw
    return raw


def _without_footer(raw: RawTable) -> RawTable:
    """Drop footer rows (and blank rows among them) under the last data row."""
    frame, n = raw.frame, len(raw.frame)
    end, dropped, found = n, [], False
    for i in range(n - 1, max(n - 1 - _FOOTER_LOOKBACK, -1), -1):
        cells = frame.iloc[i].tolist()
        filled = _filled(cells)
        if not filled:
            end = i
            continue
        kind = _footer_kind(frame, i, cells, filled)
        if kind is None:
            break
        dropped.append(kind)
        end, found = i, True
    if not found:
        return raw
    shown = "; ".join(reversed(dropped))
    note = f"dropped {plural(len(dropped), 'footer row')} under the data ({shown})"
    return replace(raw, frame=frame.iloc[:end].reset_index(drop=True), notes=[*raw.notes, note])


def _footer_kind(frame: pd.DataFrame, i: int, cells: list[object], filled: list[int]) -> str | None:
    """What footer row ``i`` is (its first text, shortened), or None when it is a data row."""
    first = cells[filled[0]]
    if not isinstance(first, str):
        return None
    text = " ".join(first.split())
    shown = f"'{text[:60]}…'" if len(text) > 60 else f"'{text}'"
    if _NOTE.match(text) and (len(filled) == 1 or text.split()[0].endswith(":")):
        return shown
    if _TOTAL.fullmatch(text) and _sums_above(frame, i, filled[1:]):
        return shown
    if len(filled) == 1 and _lone_remark(frame, i, cells, filled[0], text):
        return shown
    return None


def _lone_remark(frame: pd.DataFrame, i: int, cells: list[object], j: int, text: str) -> bool:
    """A single text cell in the first column of a table of 3+ columns, under a fuller row: a remark
    ("Prepared by…", "Data as of…") when it reads as words (a space or a colon) and is no value of its column."""
    if j != 0 or len(cells) < 3 or i == 0 or len(_filled(frame.iloc[i - 1].tolist())) < 2:
        return False
    if " " not in text and ":" not in text:
        return False
    above = frame.iloc[:i, 0].astype(object).map(lambda v: " ".join(v.split()) if isinstance(v, str) else v)
    return not bool((above == text).any())


def _sums_above(frame: pd.DataFrame, i: int, positions: list[int]) -> bool:
    """Every other filled cell of row ``i`` is a number equal to the sum of its column above (and one is)."""
    if not positions:
        return False
    for j in positions:
        value = pd.to_numeric(pd.Series([frame.iat[i, j]]), errors="coerce").iloc[0]
        above = pd.to_numeric(frame.iloc[:i, j], errors="coerce")
        if pd.isna(value) or above.isna().all() or not np.isclose(float(value), float(above.sum()), rtol=1e-9):
            return False
    return True
