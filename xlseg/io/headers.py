"""Header rules: header cells as text (with notes), blank and duplicate headers as errors naming the column."""

from __future__ import annotations

from xlseg.errors import XlsegError
from xlseg.io.cells import cell_text, quoted


def header_texts(cells: list[object]) -> tuple[list[str], list[str]]:
    """Header cells as text, plus notes on what was trimmed or converted."""
    texts, trimmed, converted = [], [], []
    for cell in cells:
        text = cell_text(cell)
        texts.append(text)
        if isinstance(cell, str) and text != cell and text:
            trimmed.append(text)
        elif not isinstance(cell, str) and text:
            converted.append(text)
    notes = []
    if trimmed:
        notes.append(f"trimmed spaces in headers {quoted(trimmed)}")
    if converted:
        notes.append(f"read number/date headers as text: {quoted(converted)}")
    return texts, notes


def check_headers(headers: list[str], positions: list[int]) -> None:
    """Blank or duplicate headers over kept columns are errors."""
    first_seen: dict[str, int] = {}
    for i in positions:
        name = headers[i]
        if not name:
            raise XlsegError(f"column {_column_ref(i)} has a blank header; give it a name")
        if name in first_seen:
            raise XlsegError(
                f"header '{name}' appears twice, in columns {_column_ref(first_seen[name])} and "
                f"{_column_ref(i)}; rename one of them"
            )
        first_seen[name] = i


def column_letter(position: int) -> str:
    """Excel column letters for a 0-based position: 0 → ``"A"``, 27 → ``"AB"``."""
    letters, n = "", position + 1
    while n:
        n, rest = divmod(n - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _column_ref(position: int) -> str:
    """``"C (3rd)"`` for position 2: the column letter within the table, and the ordinal."""
    k = position + 1
    suffix = "th" if 10 <= k % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(k % 10, "th")
    return f"{column_letter(position)} ({k}{suffix})"
