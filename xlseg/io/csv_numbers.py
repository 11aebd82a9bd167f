"""Decimal commas in CSV files: ``1.234,5`` is 1234.5 where Excel writes ``;``-separated files.

Excel saves "CSV" with the list separator of the computer's region: a comma where the decimal mark is a
point, a semicolon where it is a comma (Germany, France, Spain, Italy, the Netherlands, Brazil…). So in a
``;``-separated file, a column whose every cell reads as a decimal-comma number holds numbers, written
the way that region writes them. Such columns are rewritten in the plain form (``1234.5``) that the
cleaning reads as numbers; every other column, and every file separated otherwise, is left as it is.

A column is converted only when it is unambiguous for the whole file: at least one column has a real
decimal comma (``2,5``), no column has a decimal point that only a point-decimal reading explains
(``2.5``), and every non-blank cell of the column matches. ``1.500`` alone is ambiguous and is then read
as 1500 only when the file has decimal commas elsewhere.
"""

from __future__ import annotations

import pandas as pd

_COMMA_NUMBER = r"[+-]?(?:[0-9]{1,3}(?:\.[0-9]{3})+|[0-9]+)(?:,[0-9]+)?"
_HAS_DECIMAL_COMMA = r"[+-]?[0-9.]*,[0-9]+"
_POINT_DECIMAL = r"[+-]?[0-9]*\.[0-9]+(?:[eE][+-]?[0-9]+)?"


def decimal_comma_columns(frame: pd.DataFrame, separator: str) -> list[object]:
    """Labels of the columns of a text frame to read with decimal commas (none unless ``separator`` is ``;``)."""
    if separator != ";":
        return []
    candidates, with_comma, point_decimal = [], False, False
    for label in frame.columns:
        distinct = pd.Series(frame[label].dropna().unique(), dtype="str").str.strip()
        distinct = distinct[distinct != ""]
        if distinct.empty:
            continue
        comma_numbers = distinct.str.fullmatch(_COMMA_NUMBER)
        if comma_numbers.all():
            if distinct.str.contains(r"[.,]").any():  # whole numbers read the same either way
                candidates.append(label)
            with_comma |= bool(distinct.str.fullmatch(_HAS_DECIMAL_COMMA).any())
        elif (distinct.str.fullmatch(_POINT_DECIMAL) & ~comma_numbers).any():
            point_decimal = True
    return candidates if with_comma and not point_decimal else []


def to_point_decimals(column: pd.Series) -> pd.Series:
    """``"1.234,5"`` → ``"1234.5"`` for every cell (blanks stay missing); only for columns chosen above."""
    text = column.str.strip()
    return text.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
