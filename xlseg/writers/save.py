"""Save result sheets as a new .xlsx file: painted plain by :mod:`~xlseg.writers.openpyxl_writer`, or into a
template by :mod:`~xlseg.writers.templates`; either way written atomically."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from xlseg.sheets.layout import SheetLayout
from xlseg.writers.atomic import atomic_write
from xlseg.writers.openpyxl_writer import build_workbook
from xlseg.writers.templates import fill_template


def write_workbook(
    sheets: Sequence[SheetLayout],
    path: str | os.PathLike[str],
    *,
    template: str | os.PathLike[str] | None = None,
    values: Mapping[str, object] | None = None,
) -> Path:
    """Paint ``sheets`` into a new workbook and save it atomically at ``path``; returns the path.

    ``template``: a styled .xlsx/.xltx to fill instead (read, never modified); see :mod:`xlseg.writers.templates`.
    ``values``: extra or overriding ``{{ value }}`` placeholders for the template.
    """
    if template is not None:
        return fill_template(sheets, path, template, values=values)
    wb = build_workbook(sheets)
    return atomic_write(path, lambda temp: wb.save(temp))
