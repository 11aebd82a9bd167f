"""Excel formulas (classic xlwings UDFs): ``=SEG_BREAKDOWN(...)`` and friends, spilling tables onto the sheet.

Point xlwings at this module (``UDF Modules`` = ``xlseg.excel.udfs`` in the ``xlwings.conf`` sheet, or the
add-in's setting) and click *Import Functions*. The formulas themselves live in
:mod:`xlseg.excel.formulas` (one registry, shared with the Office.js face :mod:`xlseg.excel.officejs`);
this module only registers each of them with the classic add-in's decorators. To add a formula, add it
there: it appears here (and in Office.js) without a change to this file.

Each function takes the table as the range's values, header row first, exactly as Excel hands them over
(``ndim=2``, error cells as ``"#N/A"`` text), so :func:`xlseg.io.load.load_table` applies every cleaning
rule with the header intact (blank and duplicate headers are named, error cells counted, whole numbers
arriving as floats handled). A DataFrame argument would let pandas guess types and turn headers into an
index first.

The functions are not run while the function wizard is open (``call_in_wizard=False``): each call reads
and segments the whole table, which would make typing in the wizard lag on a large table.

A function never raises into Excel: any problem comes back as one short sentence in the cell (see
:func:`xlseg.excel.formulas.excel_errors`). On Linux and macOS without Excel, ``xw.func`` and friends are
no-ops and these are plain Python functions.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import xlwings as xw

from xlseg.excel.formulas import FORMULAS, Formula, bin_labels, excel_errors, profile_rows

CATEGORY = "xlseg"


def classic(formula: Formula) -> Callable[..., Any]:
    """``formula`` registered with the classic add-in's decorators (``@xw.func``, ``@xw.arg``, ``@xw.ret``)."""
    face = formula.face(__name__)
    for param in formula.params:
        face = xw.arg(param.name, doc=param.doc, **param.options)(face)
    face = xw.ret(index=False)(face)
    return xw.func(category=CATEGORY, call_in_wizard=False)(face)


globals().update({name: classic(formula) for name, formula in FORMULAS.items()})

__all__ = [*FORMULAS, "bin_labels", "excel_errors", "profile_rows"]
