"""The clean table every face hands to the engine: a DataFrame plus the role of each column."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

import pandas as pd


class Role(StrEnum):
    """What a column is for in segmentation."""

    DIMENSION = "dimension"  # categories to segment by (text labels)
    METRIC = "metric"  # numbers to aggregate (float64)
    FLAG = "flag"  # booleans (pandas "boolean" dtype) -> rates
    DATE = "date"  # datetime64 -> periods
    ID = "id"  # identifiers (text); counted distinct, never aggregated


MISSING_LABEL = "(missing)"
OTHER_LABEL = "Other"
TOTAL_LABEL = "Total"


def totals_label(labels: Iterable[str]) -> str:
    """The label of total and subtotal rows: "Total", unless a real segment label reads the same.

    A real category "Total" (compared ignoring case and surrounding spaces) makes it "Total (all)", and
    if that is taken too, "Total (all 2)", "Total (all 3)", …: the first candidate no real label matches,
    so totals rows can always be found by their label.
    """
    taken = {str(label).strip().casefold() for label in labels}
    candidate, n = TOTAL_LABEL, 1
    while candidate.casefold() in taken:
        candidate = f"{TOTAL_LABEL} (all)" if n == 1 else f"{TOTAL_LABEL} (all {n})"
        n += 1
    return candidate


@dataclass
class Table:
    """A cleaned input table.

    Attributes:
        frame: the clean data. Dimensions are ``category`` dtype whose categories are stripped
            ``str`` labels (missing as NaN, turned into "(missing)" by the engine); ids are ``str``
            text; metrics ``float64``; flags pandas ``"boolean"``; dates ``datetime64``. Columns that
            needed no cleaning may share memory with the input, read-only: ``frame.copy()`` before editing.
        roles: column name -> :class:`Role`, in column order.
        notes: one short sentence per cleaning step that changed something
            (e.g. "dropped 3 empty rows", "2 error cells (#N/A) in 'revenue' read as missing").
        source_rows: data rows in the input before empty rows were dropped.
        formats: column → the Excel number format its input text implied (percent text → ``"0.0%"``), for
            outputs of that column's values (means, sums, percentiles); other columns are not listed.
        flag_words: for flags read from words, the file's spelling of (false, true), e.g. ``("No", "Yes")``:
            a flag segmented as a dimension keeps these labels instead of FALSE/TRUE.
    """

    frame: pd.DataFrame
    roles: dict[str, Role]
    notes: list[str] = field(default_factory=list)
    source_rows: int = 0
    formats: dict[str, str] = field(default_factory=dict)
    flag_words: dict[str, tuple[str, str]] = field(default_factory=dict)

    def columns_with(self, role: Role) -> list[str]:
        """Names of the columns that have ``role``, in table order."""
        return [c for c, r in self.roles.items() if r == role]
