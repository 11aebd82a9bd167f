"""Column roles: inferred from the values (rules in :mod:`xlseg.io.load`) or declared (``roles=``)."""

from __future__ import annotations

import re
from collections.abc import Mapping

import numpy as np
import pandas as pd

from xlseg.errors import XlsegError, column_not_found
from xlseg.io.amounts import few_unreadable, read_amounts
from xlseg.io.cells import cell_text
from xlseg.io.codes import MAX_CODES, ROWS_PER_CODE, is_code_set
from xlseg.io.dates import DATE_ORDERS, EPOCH, TextDates, all_text_dates, iso_dates, zoned_times
from xlseg.io.distinct import Distinct
from xlseg.io.numbers import ID_ROWS, LONG_DIGITS, NUMBER, is_row_number, number_values
from xlseg.schema import Role

_ID_NAME = re.compile(r"(?:^|[\s_.\-])(?:id|uuid|guid)$", re.IGNORECASE)
_CAMEL_ID = re.compile(r"[a-z](?:Id|ID)$")


def declared_roles(
    roles: Mapping[str, str | Role] | None, headers: list[str]
) -> tuple[dict[str, Role], dict[str, str]]:
    """Validate ``roles``: every name must be a column, every role a :class:`Role`. Returns the roles and,
    for dates declared as ``"date:dmy"`` / ``"date:mdy"``, how their slash dates read."""
    declared, orders = {}, {}
    for name, role in (roles or {}).items():
        if name not in headers:
            raise column_not_found(name, [h for h in headers if h])
        declared[name], order = _as_role(name, role)
        if order:
            orders[name] = order
    return declared, orders


def _as_role(name: str, role: str | Role) -> tuple[Role, str | None]:
    """Parse a role given as text (any case) or :class:`Role`; ``"date:dmy"``/``"date:mdy"`` also give the
    order of slash dates (31/12/2024 or 12/31/2024)."""
    text, colon, order = str(role).strip().lower().partition(":")
    try:
        parsed = Role(text.strip())
    except ValueError:
        choices = ", ".join(r.value for r in Role)
        raise XlsegError(f"unknown role '{role}' for '{name}'; use one of {choices} "
                         "(date:dmy or date:mdy for dates like 01/02/2024)") from None
    if colon and (parsed != Role.DATE or order.strip() not in (*DATE_ORDERS, EPOCH)):
        raise XlsegError(f"unknown role '{role}' for '{name}'; only a date takes an order: date:dmy (31/12/2024) "
                         "or date:mdy (12/31/2024); or date:epoch (Unix seconds or milliseconds)")
    return parsed, order.strip() or None


def dtype_role(dtype: object) -> Role | None:
    """The role a dtype already implies (bool → flag, number → metric, datetime → date, category →
    dimension), or None for text and mixed columns."""
    if pd.api.types.is_bool_dtype(dtype):
        return Role.FLAG
    if pd.api.types.is_numeric_dtype(dtype):
        return Role.METRIC
    if isinstance(dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(dtype):
        return Role.DATE
    return Role.DIMENSION if isinstance(dtype, pd.CategoricalDtype) else None


def id_like(name: str) -> bool:
    """``id``, ``uuid``, ``guid``, ``user_id``, ``user id``, ``userId``, ``userID``."""
    return bool(_ID_NAME.search(name) or _CAMEL_ID.search(name))


def infer_role(name: str, d: Distinct, text_dates: TextDates | None = None) -> Role:
    """Role of a column from its distinct values (rules in the module docstring)."""
    present = d.kind != "missing"
    kinds = set(d.kind[present])
    if not kinds:
        return Role.DIMENSION
    repeated = _few_repeated_values(d, present)
    if id_like(name) and kinds <= {"text", "number"} and not repeated:
        return Role.ID
    if _looks_like_flag(d, present):
        return Role.FLAG
    if kinds <= {"date", "text"} and (d.where("date") | iso_dates(d)).sum() == present.sum():
        return Role.DATE
    if kinds <= {"date", "text"} and zoned_times(d).any() and few_unreadable(d, present & ~iso_dates(d)):
        return Role.DATE  # an activity log's ISO times with zones, but for a few unreadable cells
    if all_text_dates(d, text_dates) and text_dates.order:
        return Role.DATE
    if kinds <= {"text", "number"} and d.text_matches(LONG_DIGITS).any():
        return Role.ID
    if kinds <= {"text", "number"} and (d.where("number") | d.text_matches(NUMBER)).sum() == present.sum():
        numbers = number_values(d)[present].astype(float)
        if (d.cells[present] == 1).all() and is_row_number(numbers):
            return Role.ID
        return Role.DIMENSION if is_code_set(pd.unique(numbers), int(d.cells[present].sum())) else Role.METRIC
    if read_amounts(name, d)[0] is not None:  # percent or currency text
        return Role.METRIC
    all_distinct = (d.cells[present] == 1).all() and len(set(d.value[present])) == present.sum()
    return Role.ID if all_distinct and present.sum() > ID_ROWS else Role.DIMENSION


def _few_repeated_values(d: Distinct, present: np.ndarray) -> bool:
    """A handful of values, each repeated (a party stored as ``party_id``): evidence against an id."""
    distinct = int(present.sum())
    return 2 <= distinct <= MAX_CODES and int(d.cells[present].sum()) >= ROWS_PER_CODE * distinct


def _looks_like_flag(d: Distinct, present: np.ndarray) -> bool:
    """Real booleans, or exactly two spellings of the flag vocabulary, one true and one false."""
    truths = d.truth[present]
    if any(t is None for t in truths):
        return False
    if (d.kind[present] == "bool").all():
        return True
    spellings = {cell_text(v).casefold() for v in d.value[present]}
    return len(spellings) == 2 and set(truths) == {True, False}
