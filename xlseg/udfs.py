"""The Excel formulas under their first module name, for workbooks whose *UDF Modules* say ``xlseg.udfs``.

The formulas live in :mod:`xlseg.excel.udfs` (workbooks made by ``xlseg workbook`` now name that module);
this module re-exports them so that older workbooks keep working.
"""

from xlseg.excel.udfs import SEG_BINS, SEG_BREAKDOWN, SEG_COMPARE, SEG_CROSSTAB, SEG_GAP, SEG_PROFILE, SEG_SCAN

__all__ = ["SEG_BINS", "SEG_BREAKDOWN", "SEG_COMPARE", "SEG_CROSSTAB", "SEG_GAP", "SEG_PROFILE", "SEG_SCAN"]
