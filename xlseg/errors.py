"""Errors xlseg raises for bad input: one line, saying what to fix."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class XlsegError(ValueError):
    """Bad input or an impossible request; the message is one actionable line.

    Faces (formulas, macros, CLI) show ``str(error)`` to the user as it is, so the
    message must never be a traceback and must say what to change.
    """


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    """Return ``"; did you mean 'x'?"`` for the closest candidate, or ``""`` when none is close."""
    choices = [str(c) for c in candidates]
    lowered = {c.lower(): c for c in choices}
    if name.lower() in lowered:
        return f"; did you mean '{lowered[name.lower()]}'?"
    match = difflib.get_close_matches(name, choices, n=1, cutoff=0.6)
    return f"; did you mean '{match[0]}'?" if match else ""


def column_not_found(name: str, columns: Iterable[str]) -> XlsegError:
    """Build the standard "column not found" error with a suggestion."""
    cols = [str(c) for c in columns if str(c)]
    if not cols:
        return XlsegError(f"column '{name}' not found: the table has no column names; its first row must be the header")
    hint = did_you_mean(name, cols)
    if not hint:
        shown = ", ".join(f"'{c}'" for c in cols[:8]) + (", …" if len(cols) > 8 else "")
        hint = f"; columns are {shown}"
    return XlsegError(f"column '{name}' not found{hint}")
