"""How one cell reads as text (labels, headers, messages), and small wording helpers for notes."""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd

from xlseg.io.whitespace import squash_spaces

EXCEL_DIGITS = 15


def cell_text(cell: object) -> str:
    """How a single cell reads as a label: ``2024.0`` → ``"2024"``, a date → ``"2024-01-31"``."""
    if cell is None or (not isinstance(cell, tuple) and pd.isna(cell)):
        return ""
    if isinstance(cell, str):
        return squash_spaces(cell)
    if isinstance(cell, bool | np.bool_):
        return "TRUE" if cell else "FALSE"
    if isinstance(cell, int | np.integer):
        return str(int(cell))
    if isinstance(cell, float | np.floating):
        return str(int(cell)) if float(cell).is_integer() else format(float(cell), f".{EXCEL_DIGITS}g")
    if is_date(cell):
        stamp = pd.Timestamp(cell)
        return stamp.strftime("%Y-%m-%d") if stamp == stamp.normalize() else stamp.isoformat(sep=" ")
    if isinstance(cell, tuple):  # a MultiIndex column
        return " ".join(t for t in map(cell_text, cell) if t)
    return cell_text(str(cell))


def is_date(value: object) -> bool:
    """Whether a cell holds a date or datetime (``datetime``, ``date``, ``Timestamp``, ``datetime64``)."""
    return isinstance(value, dt.date | np.datetime64)


def quoted(names: list[str], limit: int = 5) -> str:
    """``'a', 'b', 'c'`` (at most ``limit`` names, then "…")."""
    shown = ", ".join(f"'{n}'" for n in names[:limit])
    return shown + (", …" if len(names) > limit else "")


def plural(n: int, word: str) -> str:
    """``"1 cell"``, ``"3 cells"``."""
    return f"{n} {word}{'' if n == 1 else 's'}"


_NUMBER_LABEL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_DIGIT_RUNS = re.compile(r"([0-9]+(?:\.[0-9]+)?)")


def label_sort_key(label: str) -> tuple[object, ...]:
    """How segment labels sort: number-like labels by value (``2`` before ``10``) and before text; text as
    Excel sorts it (case-insensitive), with runs of digits compared as numbers (``Group 2`` before ``Group 10``)."""
    text = str(label).strip()
    if _NUMBER_LABEL.fullmatch(text):
        return (0, float(text), text)
    parts = _DIGIT_RUNS.split(text.casefold())  # text at even positions, numbers at odd ones
    return (1, tuple(float(p) if i % 2 else p for i, p in enumerate(parts)), text)
