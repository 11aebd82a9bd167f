"""The registry of SEG_* formulas: how a formula body is declared once for every Excel face.

:func:`formula` registers a plain function named like the Excel function, with one :class:`Param` per
argument, into :data:`FORMULAS`; the faces (:mod:`xlseg.excel.udfs`, :mod:`xlseg.excel.officejs`) decorate a
fresh copy of each (:meth:`Formula.face`). Every body is made cell-safe by :func:`excel_errors`, and tables
spill as plain cell rows (:func:`spill`). The shared argument descriptions live here too, so every formula
module words them the same way. :mod:`xlseg.excel.formulas` lists the modules that hold formulas.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from xlseg.errors import XlsegError, speaking_as
from xlseg.excel.args import error_texts, sentence

logger = logging.getLogger(__name__)

#: How a table argument is read: a 2-D list of values, errors as their text ("#N/A") so they are counted.
TABLE_ARG = {"ndim": 2, "err_to_str": True}
#: Options are read as a 2-D block so that a key/value row is never confused with two text entries.
OPTIONS_ARG = {"ndim": 2}

DATA_DOC = "The table: a range or Excel Table with the header row on top, e.g. A1:I501 or Users[#All]."
BY_DOC = 'Column(s) to segment by: "geography", "geography, device", or a range of column names.'
METRICS_DOC = 'Optional. What to measure, e.g. "session_length:mean,median; converted:rate", or a range of such texts.'
OPTIONS_DOC = (
    'Optional. Settings as text, e.g. "min_size=30; compare; intervals; bins=age:q4; top=5; sort=users; na=-999", '
    "or a two-column range of names and values."
)


@dataclass(frozen=True)
class Param:
    """One argument of a formula: its name, the description Excel shows, and xlwings converter options."""

    name: str
    doc: str
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Formula:
    """A registered formula: its cell-safe body and its arguments, in order."""

    name: str
    body: Callable[..., Any]
    params: tuple[Param, ...]

    @property
    def doc(self) -> str:
        """The description Excel shows (the docstring as one paragraph)."""
        return self.body.__doc__ or ""

    def face(self, module: str) -> Callable[..., Any]:
        """A fresh function object for a face module to decorate (xlwings stores its metadata on it).

        It has the body's name, signature (through ``__wrapped__``), docstring and type hints, and
        belongs to ``module``, so that xlwings finds it there by name.
        """
        body = self.body

        @functools.wraps(body)
        def face(*args: Any) -> Any:
            return body(*args)

        face.__module__ = module
        face.__qualname__ = self.name
        return face


#: Every formula, by its Excel name, in the order they were defined. Both faces are made from this.
FORMULAS: dict[str, Formula] = {}


def formula(*params: Param) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a formula body under its function name (see the module docstring).

    The body is made cell-safe (:func:`excel_errors`) and returned, so it stays callable from Python.

    Raises:
        ValueError: when the parameters don't name the function's arguments in order, or the name is taken.
    """

    def register(body: Callable[..., Any]) -> Callable[..., Any]:
        import inspect

        names = list(inspect.signature(body).parameters)
        if names != [p.name for p in params]:
            raise ValueError(f"{body.__name__}: Param names {[p.name for p in params]} must be {names}")
        if body.__name__ in FORMULAS:
            raise ValueError(f"formula {body.__name__} is registered twice")
        safe = excel_errors(body)
        FORMULAS[body.__name__] = Formula(body.__name__, safe, params)
        return safe

    return register


def excel_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Make ``func`` safe to call from a cell: every exception becomes one short sentence.

    Error cells xlwings leaves as COM codes become their text first (:func:`~xlseg.excel.args.error_texts`).
    An :class:`~xlseg.errors.XlsegError` shows its own message; anything else shows a generic sentence
    naming the function (the traceback goes to the log, never into the cell). The docstring is folded
    into one paragraph, because Excel's function wizard shows it as the description.
    """

    @functools.wraps(func)
    def wrapper(*args: Any) -> Any:
        try:
            with speaking_as("excel"):  # a message that suggests a role says roles=col:role
                return func(*(error_texts(arg) for arg in args))
        except XlsegError as exc:
            return sentence(str(exc))
        except Exception as exc:  # noqa: BLE001 - a formula must never raise into Excel
            logger.exception("%s failed", func.__name__)
            return f"{func.__name__} failed unexpectedly ({type(exc).__name__}); check the arguments."

    wrapper.__doc__ = " ".join((func.__doc__ or "").split())
    return wrapper


def spill(frame: pd.DataFrame, empty_message: str) -> list[list[object]] | str:
    """The cells a result table spills into (header row first), or a message when there is nothing to show.

    Missing values become ``None`` (an empty cell; Office.js would show NaN as ``#NUM!``), numpy scalars
    Python numbers, timestamps ``datetime``: values every face writes the same way.
    """
    if frame.empty:
        return empty_message
    header: list[object] = [_cell(name) for name in frame.columns]
    body = frame.astype(object).where(frame.notna(), None).to_numpy().tolist()
    return [header, *([_cell(value) for value in row] for row in body)]


def _cell(value: object) -> object:
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if hasattr(value, "item") and not isinstance(value, str | dt.datetime):
        return value.item()  # a numpy scalar left in an object column
    return value


