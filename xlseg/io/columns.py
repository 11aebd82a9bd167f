"""Clean one column: a fast path by dtype, or through its distinct values into the values of its role."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from pandas.api.extensions import take

from xlseg.errors import XlsegError, declare_role
from xlseg.io.amounts import (
    PERCENT_FORMAT,
    UNREADABLE_SHARE,
    few_unreadable,
    read_amounts,
    unreadable_note,
)
from xlseg.io.cells import EXCEL_DIGITS, cell_text, label_sort_key, plural
from xlseg.io.codes import code_categories, few_codes
from xlseg.io.dates import (
    EPOCH,
    TextDates,
    find_text_dates,
    has_zones,
    iso_dates,
    order_question,
    to_date,
    zoned_times,
)
from xlseg.io.distinct import Distinct, distinct_values
from xlseg.io.missing import NA_MARKS, MissingWords, missing_note
from xlseg.io.numbers import (
    LONG_DIGITS,
    NUMBER,
    NumberStats,
    is_row_number,
    is_zero_one,
    number_ids,
    number_values,
    to_metric,
    without_infinities,
)
from xlseg.io.roles import dtype_role, id_like, infer_role
from xlseg.io.timestamps import epoch_hint, epoch_to_times, local_note, naive_in_zone
from xlseg.schema import Role


@dataclass
class Column:
    """One cleaned column: values (row-aligned with the input), role, notes, and which cells were errors."""

    values: pd.Series | pd.api.extensions.ExtensionArray | np.ndarray
    role: Role
    notes: list[str] = field(default_factory=list)
    error_cells: np.ndarray | None = None  # bool per row: error values and missing-value words (a filled cell)
    is_empty: bool = False  # no value and no error in any row
    date_order: str | None = None  # "dmy"/"mdy": slash dates were read in this order
    order_question: str | None = None  # slash dates that read either way: the note (or, declared, the error)
    instants: bool = False  # dates read as UTC from zones or epoch numbers (``tz=`` makes them local)
    number_format: str | None = None  # the format the input text implied (percent text: "0.0%")
    flag_words: tuple[str, str] | None = None  # a flag read from words: the file's (false, true) spelling


def clean_column(
    series: pd.Series,
    name: str,
    declared: Role | None,
    text_source: bool,
    order: str | None = None,
    order_from: str | None = None,
    missing: MissingWords | None = None,
) -> Column:
    """Clean one column, taking a fast path when its dtype already says what it is.

    ``order`` ("dmy"/"mdy") says how slash dates read: declared, or (``order_from``) taken from another column.
    ``missing`` holds the user's extra missing-value tokens (the usual words are always missing).
    """
    if declared == Role.DATE and order == EPOCH:
        return _epoch_column(series, name)
    natural = dtype_role(series.dtype)
    if natural == Role.FLAG and declared in (None, Role.FLAG):
        return _finish(pd.array(series, dtype="boolean"), Role.FLAG)
    if natural == Role.METRIC and declared in (None, Role.METRIC, Role.DIMENSION):
        return _numeric_column(series, name, declared, missing)
    if natural == Role.DATE and declared in (None, Role.DATE):
        return _datetime_column(series, name)
    return _by_values(series, name, declared or natural, text_source, order, order_from, missing)


def to_local(column: Column, name: str, tz: str) -> None:
    """Show a column of instants (naive UTC) as naive local times in ``tz``; the note names the zone."""
    column.values = naive_in_zone(column.values, tz).array
    column.notes.append(local_note(name, tz))


def _finish(values: object, role: Role, notes: list[str] | None = None) -> Column:
    """Wrap finished values; a column is empty when every cell is missing."""
    is_empty = bool(pd.isna(values).all()) if len(values) else True
    return Column(values, role, notes or [], is_empty=is_empty)


def _numeric_column(series: pd.Series, name: str, declared: Role | None, missing: MissingWords | None) -> Column:
    """A numeric dtype column: metric, or a 0/1 flag, a code dimension or an id when inferred."""
    values = series.to_numpy(dtype="float64", na_value=np.nan)
    values, notes = without_infinities(values, name)
    tokens = missing.number_mask(values) if missing else None
    if tokens is not None and tokens.any():
        found = pd.unique(values[tokens])
        counts = [int((values == v).sum()) for v in found]
        notes.append(missing_note(name, [cell_text(v) for v in found], counts))
        values = np.where(tokens, np.nan, values)
        series = pd.Series(values, name=series.name)
    column = _numeric_role(series, values, name, declared, notes)
    if tokens is not None and tokens.any():  # a row holding a token is a user with a missing value
        column.error_cells, column.is_empty = tokens, False
    return column


def _numeric_role(series: pd.Series, values: np.ndarray, name: str, declared: Role | None, notes: list[str]) -> Column:
    """The cleaned numbers as a metric, or (inferred) an id, a 0/1 flag or a dimension of codes."""
    if declared == Role.DIMENSION:
        return _finish(code_categories(values), Role.DIMENSION, notes)
    if declared is None:
        stats = NumberStats.of(values)
        if (id_like(name) and not few_codes(values)) or is_row_number(values, stats):  # the name first: cheaper
            return _finish(number_ids(series, values), Role.ID, notes)
        if is_zero_one(values, stats):
            return _finish(pd.arrays.BooleanArray(values == 1, np.isnan(values)), Role.FLAG, notes)
        hint = epoch_hint(name, values)
        notes = notes + [hint] if hint else notes
        if few_codes(values):
            return _finish(code_categories(values), Role.DIMENSION, notes)
    return _finish(values, Role.METRIC, notes)


def _datetime_column(series: pd.Series, name: str) -> Column:
    """A datetime64 column; time-zone-aware times become naive UTC."""
    if isinstance(series.dtype, pd.DatetimeTZDtype):
        values = naive_in_zone(series, "UTC").array
        column = _finish(values, Role.DATE, [f"'{name}' held time-zone-aware times; converted to UTC"])
        column.instants = True
        return column
    return _finish(series.array, Role.DATE)


def _epoch_column(series: pd.Series, name: str) -> Column:
    """A column declared ``date:epoch``: Unix seconds or milliseconds (numbers or numeric text) as UTC times."""
    codes, d = distinct_values(series)
    numbers = number_values(d)
    bad = (d.kind != "missing") & ~np.isfinite(numbers)
    times, unit = epoch_to_times(numbers)
    bad |= (d.kind != "missing") & np.isnat(times)
    if bad.any():
        row = int(np.flatnonzero(np.isin(codes, np.flatnonzero(bad)))[0])
        shown = cell_text(d.raw[codes[row]]) or str(d.raw[codes[row]])
        raise XlsegError(f"'{name}' is a date:epoch column but holds '{shown}' (data row {row + 1}); use Unix "
                         "seconds or milliseconds since 1970-01-01 UTC")
    values = take(times, codes, allow_fill=True, fill_value=np.datetime64("NaT"))
    unit_name = "milliseconds" if unit == "ms" else "seconds"
    column = _finish(pd.array(values, dtype="datetime64[us]"), Role.DATE,
                     _value_notes(name, d) + [f"read '{name}' as Unix epoch {unit_name} (UTC times)"])
    column.instants = True
    return column


def _by_values(
    series: pd.Series,
    name: str,
    declared: Role | None,
    text_source: bool,
    order: str | None = None,
    order_from: str | None = None,
    missing: MissingWords | None = None,
) -> Column:
    """Clean a column through its distinct values, then expand back to rows."""
    codes, d = distinct_values(series, missing)
    _marks_in_numbers(d)
    text_dates = find_text_dates(d, order, short_years=declared == Role.DATE) if declared in (None, Role.DATE) else None
    role = declared or infer_role(name, d, text_dates)
    question = order_question(name, d, codes, text_dates, declared is not None)
    if question and role == Role.DATE:  # declared: settled with the other columns, or an error
        return Column(series.array, role, order_question=question)
    if text_dates is not None and text_dates.order and role == Role.DATE:
        text_dates.order_from = order_from
    values_of, notes = _convert(name, role, d, codes, declared is not None, text_source, text_dates)
    notes = _value_notes(name, d) + notes
    if role in (Role.DIMENSION, Role.ID) and declared is None:
        why_text = read_amounts(name, d)[1] or _why_not_times(name, d)  # looked like amounts or times: say why not
        notes += [why_text] if why_text else []
    if role == Role.METRIC:  # numeric text beyond float range ("1e400") is infinite
        values_of, infinite_notes = without_infinities(values_of, name, d.cells)
        notes += infinite_notes
        hint = epoch_hint(name, values_of) if declared is None else None  # CSV numbers arrive as text
        notes += [hint] if hint else []
    if role == Role.DIMENSION and _is_clean_categorical(series, d):
        values = series.array
    elif role == Role.DIMENSION:
        values = _categories(values_of, codes, d, keep_order=isinstance(series.dtype, pd.CategoricalDtype))
        if _ordered(series, d):
            values = values.as_ordered()
    else:
        values = take(values_of, codes, allow_fill=True)
    column = _finish(values, role, notes)
    lost = d.error.copy() if d.missing_word is None else d.error | d.missing_word
    if role in (Role.METRIC, Role.DATE):  # unreadable cells read as missing: their rows are not empty
        lost |= (d.kind != "missing") & np.asarray(pd.isna(values_of), dtype=bool)
    if lost.any():  # the row of such a cell is a user with a missing value, not an empty row
        column.error_cells = np.isin(codes, np.flatnonzero(lost))
        column.is_empty = False
    if role == Role.DATE and text_dates is not None and text_dates.separator == "/" and text_dates.mask.any():
        column.date_order = text_dates.order
    column.order_question = question
    column.instants = role == Role.DATE and has_zones(d)
    if role == Role.METRIC and (d.kind == "text").any():
        amounts = read_amounts(name, d)[0]
        column.number_format = PERCENT_FORMAT if amounts is not None and amounts.percent else None
    if role == Role.FLAG:
        column.flag_words = flag_words(d)
    return column


def _marks_in_numbers(d: Distinct) -> None:
    """Lone punctuation (``-``, ``?``, ``.``) is missing in a column whose other values are all numbers."""
    text = d.where("text")
    if not text.any():
        return
    marks = np.zeros(len(d.value), dtype=bool)
    marks[text] = d.text.isin(NA_MARKS).to_numpy(dtype=bool)
    others = (d.kind != "missing") & ~marks
    if marks.any() and others.any() and (d.where("number") | d.text_matches(NUMBER))[others].all():
        d.read_as_missing(marks)


def _convert(
    name: str,
    role: Role,
    d: Distinct,
    codes: np.ndarray,
    declared: bool,
    text_source: bool,
    text_dates: TextDates | None = None,
) -> tuple[object, list[str]]:
    """Per-distinct-value results for ``role`` (aligned with ``d.raw``), and notes.

    For a declared role, a value that does not fit is an error naming it and its first data row.
    """
    if role == Role.METRIC:
        values, bad, notes = to_metric(name, d, text_source)
    elif role == Role.FLAG:
        values, bad, notes = _to_flag(d)
    elif role == Role.DATE:
        values, bad, notes = to_date(name, d, serials=declared, text_source=text_source, text_dates=text_dates)
    else:
        values, bad, notes = _to_labels(name, d, role)
    if bad.any() and not declared and role == Role.DATE and zoned_times(d).any() and few_unreadable(d, bad):
        notes.append(unreadable_note(name, d, bad))  # a few cells of an inferred log's times: missing, counted
    elif bad.any():
        raise _misfit(name, role, d, codes, bad)
    return values, notes


def flag_words(d: Distinct) -> tuple[str, str] | None:
    """The file's words for false and true (the most frequent spelling of each) when the flag was read from
    text (``No``/``Yes``, ``N``/``Y``, ``Nein``/``Ja``), else None (booleans and 1/0 read as FALSE/TRUE)."""
    text = d.where("text")
    truths = d.truth
    words = []
    for truth in (False, True):
        mask = text & np.array([t is truth for t in truths], dtype=bool)
        if not mask.any():
            return None
        best = int(np.flatnonzero(mask)[np.argmax(d.cells[mask])])
        words.append(str(d.value[best]))
    if any(w.casefold() in ("0", "1", "0.0", "1.0", "true", "false") for w in words):
        return None
    return words[0], words[1]


def _to_flag(d: Distinct) -> tuple[pd.api.extensions.ExtensionArray, np.ndarray, list[str]]:
    """The flag vocabulary as a pandas ``boolean`` array."""
    truths = d.truth
    bad = (d.kind != "missing") & np.array([t is None for t in truths], dtype=bool)
    return pd.array(np.where(bad, None, truths), dtype="boolean"), bad, []


def _to_labels(name: str, d: Distinct, role: Role) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Every value as its text label (numbers without ``.0``, dates ISO, booleans TRUE/FALSE)."""
    labels = d.value.copy()  # text is already clean; missing is None
    others = ~d.where("text") & ~d.where("missing")
    labels[others] = [cell_text(v) for v in d.value[others]]
    if role == Role.DIMENSION and _numbers_only(d):  # "4.0" in a CSV → "4", as the number reads
        numeric_text = d.text_matches(NUMBER)
        labels[numeric_text] = [cell_text(v) for v in number_values(d)[numeric_text]]
    notes = []
    if role == Role.ID and d.text_matches(LONG_DIGITS).any():
        notes.append(f"'{name}' holds numbers longer than {EXCEL_DIGITS} digits; kept as text")
    if d.where("number").any() and (d.where("text") & ~d.text_matches(NUMBER)).any():
        notes.append(f"'{name}' mixes text and numbers; numbers read as text labels")
    return labels, np.zeros(len(labels), dtype=bool), notes


def _why_not_times(name: str, d: Distinct) -> str | None:
    """The note for a column mostly of ISO times with zones that keeps too many other cells to be read as times."""
    present = d.kind != "missing"
    zoned = zoned_times(d)
    if not zoned.any() or d.cells[zoned].sum() * 2 < d.cells[present].sum():
        return None
    other = present & ~iso_dates(d)
    example = d.value[np.flatnonzero(other)[0]] if other.any() else ""
    return (f"'{name}' looks like ISO 8601 times but {plural(int(d.cells[other].sum()), 'cell')} (like '{example}') "
            f"are not; kept as text (at most {UNREADABLE_SHARE:.0%} may be unreadable)")
def _ordered(series: pd.Series, d: Distinct) -> bool:
    """Segments with a meaningful order: an ordered categorical input, or labels that are all numbers."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        return bool(series.cat.ordered)
    return _numbers_only(d)


def _numbers_only(d: Distinct) -> bool:
    """Every present value is a number or number text (and there is one)."""
    present = d.kind != "missing"
    return bool(present.any() and (d.where("number") | d.text_matches(NUMBER))[present].all())


def _is_clean_categorical(series: pd.Series, d: Distinct) -> bool:
    """A categorical whose categories are already clean ``str`` labels: it can pass through as is."""
    if not isinstance(series.dtype, pd.CategoricalDtype) or series.cat.categories.dtype != "str":
        return False
    return bool((d.kind == "text").all() and not d.trimmed.any() and d.missing_word is None)


def _categories(labels: np.ndarray, codes: np.ndarray, d: Distinct, keep_order: bool) -> pd.Categorical:
    """A categorical from per-distinct-value labels (equal labels merge).

    Categories keep the input's order for a categorical input, follow the numbers/dates for a column of
    numbers or dates, and are sorted as text otherwise.
    """
    label_codes, categories = pd.factorize(labels)
    order = _category_order(categories, label_codes, d, keep_order)
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    remap = np.append(np.append(rank, -1)[label_codes], -1)  # code -1 (missing) stays -1
    identity = np.array_equal(remap[:-1], np.arange(len(remap) - 1))
    new_codes = codes if identity else remap[codes]  # clean, ordered input: keep its codes as they are
    return pd.Categorical.from_codes(new_codes, categories=pd.Index(categories[order], dtype="str"), validate=False)


def _category_order(categories: np.ndarray, label_codes: np.ndarray, d: Distinct, keep_order: bool) -> np.ndarray:
    """Positions of ``categories`` in display order."""
    if keep_order:
        return np.arange(len(categories))
    present = d.kind != "missing"
    for kind in ("number", "date"):
        if present.any() and (d.kind[present] == kind).all():
            first = pd.Series(d.value[present]).groupby(label_codes[present]).first()
            key = first.astype(float) if kind == "number" else pd.to_datetime(first, utc=True)
            return np.argsort(key.to_numpy(), kind="stable")
    keys = [label_sort_key(c) for c in np.asarray(categories, dtype=str)]
    return np.array(sorted(range(len(keys)), key=keys.__getitem__), dtype=np.intp)


def _misfit(name: str, role: Role, d: Distinct, codes: np.ndarray, bad: np.ndarray) -> XlsegError:
    """The error for the first row holding a value that does not fit the declared ``role``."""
    row = int(np.flatnonzero(np.isin(codes, np.flatnonzero(bad)))[0])
    shown = cell_text(d.raw[codes[row]]) or str(d.raw[codes[row]])
    fix = {
        Role.FLAG: "use TRUE/FALSE, Yes/No or 1/0",
        Role.METRIC: f"use numbers, or declare it a dimension: {declare_role(name, 'dimension')}",
        Role.DATE: "use dates, text like 2024-03-01, 31.12.2024 or 12/31/2024, or Excel date numbers",
    }[role]
    return XlsegError(f"'{name}' is a {role.value} column but holds '{shown}' (data row {row + 1}); {fix}")


def _value_notes(name: str, d: Distinct) -> list[str]:
    """Notes on error values, whitespace-only cells and trimmed labels."""
    notes = []
    if d.error.any():
        error_codes = [cell_text(v) for v in d.raw[d.error]]
        counts = pd.Series(d.cells[d.error], index=error_codes).groupby(level=0, sort=False).sum()
        counts = counts.sort_values(ascending=False, kind="stable")
        codes = ", ".join(counts.index)
        notes.append(f"{plural(int(counts.sum()), 'error cell')} ({codes}) in '{name}' read as missing")
    if d.spaces_only.any():
        n = int(d.cells[d.spaces_only].sum())
        notes.append(f"{plural(n, 'cell')} in '{name}' held only spaces; read as missing")
    if d.missing_word is not None:
        words = [cell_text(v) for v in d.raw[d.missing_word]]
        notes.append(missing_note(name, words, [int(c) for c in d.cells[d.missing_word]]))
    if d.trimmed.any():
        n = int(d.cells[d.trimmed].sum())
        notes.append(f"trimmed stray spaces in {plural(n, 'cell')} of '{name}'")
    return notes
