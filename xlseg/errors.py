"""Errors xlseg raises for bad input: one line, saying what to fix."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar


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


# Which face is talking to the user: error messages that tell the user to declare a role spell it the way that
# face takes it. Faces set it with :func:`speaking_as`; the Python API is the default.
_FACE: ContextVar[str] = ContextVar("xlseg_face", default="api")
FACES = ("api", "cli", "excel")


@contextmanager
def speaking_as(face: str) -> Iterator[None]:
    """Within the block, :func:`declare_role` spells declarations as ``face`` (api, cli, excel) takes them."""
    if face not in FACES:
        raise ValueError(f"unknown face {face!r}")
    token = _FACE.set(face)
    try:
        yield
    finally:
        _FACE.reset(token)


def declare_role(column: str, role: str) -> str:
    """How the current face declares ``column``'s role: ``roles={'age': 'metric'}`` (Python),
    ``--role age=metric`` (command line) or ``roles=age:metric`` (Excel options)."""
    face = _FACE.get()
    if face == "cli":
        return f"--role {column}={role}"
    if face == "excel":
        return f"roles={column}:{role}"
    return f"roles={{'{column}': '{role}'}}"
