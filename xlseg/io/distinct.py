"""A column's distinct values, cleaned once (whitespace, error codes, kinds), so rules run per value, not per row."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from xlseg.io.cells import is_date
from xlseg.io.missing import NA_WORDS, MissingWords
from xlseg.io.whitespace import ODD_SPACES as _ODD_SPACES
from xlseg.io.whitespace import SPACES as _SPACES

ERROR_CODES = frozenset(
    {"#N/A", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#NULL!", "#SPILL!", "#CALC!", "#GETTING_DATA"}
)


FLAG_WORDS = {  # English, and how Excel users in other languages write yes/no and TRUE/FALSE
    **dict.fromkeys(["true", "yes", "y", "1", "1.0"], True),
    **dict.fromkeys(["false", "no", "n", "0", "0.0"], False),
    **dict.fromkeys(["ja", "wahr", "oui", "vrai", "sí", "si", "verdadero", "sim", "verdadeiro", "vero", "waar"], True),
    **dict.fromkeys(["nein", "falsch", "non", "faux", "falso", "não", "nao", "nee", "onwaar"], False),
}


_NEEDS_SPACE_FIX = f"[{_ODD_SPACES}]|  |^ | $"
_ARROW_FROM = 1000  # distinct text values from which Arrow string methods beat Python's


@dataclass
class Distinct:
    """The distinct values of a column, cleaned, with per-value facts (all arrays align with ``raw``)."""

    raw: np.ndarray  # the distinct input values (objects)
    value: np.ndarray  # cleaned: text normalised, None where missing
    kind: np.ndarray  # "missing" | "text" | "number" | "bool" | "date" | "other"
    error: np.ndarray  # an Excel error value
    spaces_only: np.ndarray  # text holding only whitespace
    trimmed: np.ndarray  # text changed by whitespace normalisation
    cells: np.ndarray  # how many rows hold each value
    missing_word: np.ndarray | None = None  # a missing-value word (NA, NULL, a user's token…), read as missing

    _matches: dict[str, np.ndarray] = field(default_factory=dict)

    def read_as_missing(self, mask: np.ndarray) -> None:
        """Make the values of ``mask`` missing-value words: missing, and counted in the notes."""
        if not mask.any():
            return
        self.kind = np.where(mask, "missing", self.kind)
        self.value = np.where(mask, None, self.value)
        self.missing_word = mask if self.missing_word is None else self.missing_word | mask
        self.__dict__.pop("text", None)
        self.__dict__.pop("truth", None)
        self._matches.clear()

    def where(self, kind: str) -> np.ndarray:
        """Mask of values of ``kind``."""
        return self.kind == kind

    @cached_property
    def text(self) -> pd.Series:
        """The (cleaned, non-blank) text values as a ``str`` Series, for vectorised string methods."""
        return text_series(self.value[self.where("text")])

    def text_matches(self, pattern: str) -> np.ndarray:
        """Mask of text values matching ``pattern`` in full (cached per pattern)."""
        if pattern not in self._matches:
            mask = np.zeros(len(self.value), dtype=bool)
            mask[self.where("text")] = self.text.str.fullmatch(pattern).to_numpy(dtype=bool)
            self._matches[pattern] = mask
        return self._matches[pattern]

    @cached_property
    def truth(self) -> np.ndarray:
        """True/False per value in the flag vocabulary, None elsewhere (and for missing values)."""
        out = np.full(len(self.value), None, dtype=object)
        for kind in ("bool", "number"):
            mask = self.where(kind)
            out[mask] = [{1.0: True, 0.0: False}.get(float(v)) for v in self.value[mask]]
        out[self.where("text")] = self.text.str.lower().map(FLAG_WORDS).to_numpy(dtype=object)
        return np.where(pd.isna(out), None, out)


def distinct_values(series: pd.Series, missing: MissingWords | None = None) -> tuple[np.ndarray, Distinct]:
    """Factorize a column and clean its distinct values; returns (row codes, distinct values).

    Missing-value words (:data:`~xlseg.io.missing.NA_WORDS` and ``missing``'s tokens) read as missing.
    """
    if isinstance(series.dtype, pd.CategoricalDtype):
        codes, uniques = series.cat.codes.to_numpy(), series.cat.categories
    else:
        codes, uniques = pd.factorize(series)
    raw = np.asarray(uniques, dtype=object)
    kind = _kinds(raw, all_text=isinstance(uniques.dtype, pd.StringDtype))
    value, blank, error, spaces_only, trimmed = _clean_text(raw, kind)
    kind = np.where(blank | error, "missing", kind)
    value = np.where(kind == "missing", None, value)
    cells = np.bincount(codes + 1, minlength=len(raw) + 1)[1:]  # code -1 (missing) lands in slot 0
    d = Distinct(raw, value, kind, error, spaces_only, trimmed, cells)
    d.read_as_missing(_missing_words(d, missing or MissingWords()))
    return codes, d


def _missing_words(d: Distinct, missing: MissingWords) -> np.ndarray:
    """Mask of the values that are missing-value words or the user's tokens (text, or numbers)."""
    mask = np.zeros(len(d.value), dtype=bool)
    text = d.where("text")
    if text.any():
        mask[text] = d.text.isin(NA_WORDS | missing.texts).to_numpy(dtype=bool)
        if missing.numbers:  # "-999.0" in a CSV is the token -999
            numbers_in_text = pd.to_numeric(d.text, errors="coerce").to_numpy(dtype=float)
            mask[text] |= missing.number_mask(numbers_in_text)
    numbers = d.where("number")
    if missing.numbers and numbers.any():
        mask[numbers] = missing.number_mask(d.value[numbers].astype(float))
    return mask


def _kinds(raw: np.ndarray, all_text: bool) -> np.ndarray:
    """The kind of each distinct value."""
    if all_text:
        return np.full(len(raw), "text", dtype=object)
    return np.array([_kind(v) for v in raw], dtype=object)


def _kind(value: object) -> str:
    """``"text"``, ``"bool"``, ``"number"``, ``"date"`` or ``"other"`` for one cell."""
    if isinstance(value, str):
        return "text"
    if isinstance(value, bool | np.bool_):
        return "bool"
    if isinstance(value, int | float | np.integer | np.floating):
        return "number"
    if is_date(value):
        return "date"
    return "other"


def _clean_text(raw: np.ndarray, kind: np.ndarray) -> tuple[np.ndarray, ...]:
    """Normalise whitespace in text values; masks of blank, error, whitespace-only and trimmed values."""
    value = raw.copy()
    blank, error, spaces_only, trimmed = (np.zeros(len(raw), dtype=bool) for _ in range(4))
    text = kind == "text"
    if text.any():
        original = text_series(raw[text])
        cleaned = _normalise_spaces(original)
        value[text] = cleaned.to_numpy(dtype=object)
        blank[text] = (cleaned == "").to_numpy()
        error[text] = cleaned.isin(ERROR_CODES).to_numpy()
        spaces_only[text] = ((cleaned == "") & (original != "")).to_numpy()
        trimmed[text] = ((cleaned != original) & (cleaned != "")).to_numpy() & ~error[text]
    return value, blank, error, spaces_only, trimmed


def text_series(values: np.ndarray) -> pd.Series:
    """Text values as a Series for vectorised string methods.

    Many values go into a ``str`` (Arrow) Series, whose string methods run in C; a few go into an
    ``object`` Series, whose fixed cost per method is lower. The patterns used here behave the same
    in both engines (no ``\\d``/``\\s``, which mean more in Python's re than in RE2).
    """
    return pd.Series(values, dtype="str" if len(values) > _ARROW_FROM else object)


def _normalise_spaces(text: pd.Series) -> pd.Series:
    """Trim text and turn inner whitespace runs into one space (regex only on the values that need it)."""
    odd = text.str.contains(_NEEDS_SPACE_FIX, regex=True).to_numpy(dtype=bool)
    if not odd.any():
        return text
    fixed = text.copy()
    fixed[odd] = text[odd].str.replace(_SPACES, " ", regex=True).str.strip(" ")
    return fixed


def sample_matches(d: Distinct, pattern: str, share: float = 0.25, size: int = 100) -> bool:
    """At least ``share`` of up to ``size`` evenly spread text values match ``pattern``: a cheap look that spares
    the full scan of columns that clearly hold something else (emails, names)."""
    text = np.flatnonzero(d.where("text"))
    if len(text) <= size:
        return True
    picked = text[np.linspace(0, len(text) - 1, size).astype(int)]
    hits = sum(re.fullmatch(pattern, d.value[i]) is not None for i in picked)
    return hits >= share * size
