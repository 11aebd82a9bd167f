"""Missing-value words: what R, databases and people type for "no value" (``NA``, ``NULL``, ``-``, …).

Every text cell that is one of :data:`NA_WORDS` (pandas' default missing-value set, case as pandas has it)
reads as missing in every column. The lone punctuation marks of :data:`NA_MARKS` (``-``, ``--``, ``?``,
``.``) read as missing only in a column whose other values are all numbers: in a text column ``-`` may be
a real label. Extra tokens come from the user (``na_values=`` / ``--na`` / Excel ``na=``); a token that is
a number (``-999``) also matches number cells. Every replacement is counted in the notes.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from xlseg.errors import XlsegError
from xlseg.io.cells import plural
from xlseg.io.whitespace import squash_spaces

# pandas' default ``na_values`` (pandas._libs.parsers.STR_NA_VALUES), minus the blank string, plus "none"/"NONE"
NA_WORDS = frozenset({
    "NA", "N/A", "n/a", "#N/A N/A", "#NA", "<NA>", "NULL", "null", "NaN", "-NaN", "nan", "-nan", "None",
    "none", "NONE", "1.#IND", "-1.#IND", "1.#QNAN", "-1.#QNAN",
})
NA_MARKS = frozenset({"-", "--", "?", "."})


@dataclass(frozen=True)
class MissingWords:
    """The user's extra missing-value tokens: as text (matched after spaces are trimmed) and as numbers."""

    texts: frozenset[str] = frozenset()
    numbers: frozenset[float] = frozenset()

    @classmethod
    def of(cls, na_values: Iterable[object] | str | None) -> MissingWords:
        """Parse ``na_values`` (one token or a list of them; numbers allowed). Blank tokens are an error."""
        if na_values is None:
            return cls()
        tokens = [na_values] if isinstance(na_values, str | int | float) else list(na_values)
        texts, numbers = set(), set()
        for token in tokens:
            if isinstance(token, bool) or not isinstance(token, str | int | float):
                raise XlsegError(f"missing-value token {token!r} is not text or a number; use e.g. na_values=['-999']")
            text = squash_spaces(str(token))
            if not text:
                raise XlsegError("a missing-value token is blank; blank cells are missing already")
            texts.add(text)
            number = _as_number(text)
            if number is not None:
                numbers.add(number)
                texts.add(format(number, "g") if number != int(number) else str(int(number)))
        return cls(frozenset(texts), frozenset(numbers))

    def __bool__(self) -> bool:
        return bool(self.texts)

    def number_mask(self, values: np.ndarray) -> np.ndarray:
        """Which float ``values`` are one of the numeric tokens."""
        if not self.numbers:
            return np.zeros(len(values), dtype=bool)
        return np.isin(values, np.array(sorted(self.numbers), dtype=float))


def _as_number(text: str) -> float | None:
    try:
        number = float(text)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def missing_note(name: str, words: list[str], counts: list[int]) -> str:
    """``"12 cells in 'income' held missing-value words (NA 10, - 2); read as missing"``."""
    order = sorted(range(len(words)), key=lambda i: -counts[i])
    shown = ", ".join(f"{words[i]} {counts[i]}" for i in order[:6]) + (", …" if len(order) > 6 else "")
    return f"{plural(sum(counts), 'cell')} in '{name}' held missing-value words ({shown}); read as missing"
