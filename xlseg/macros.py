"""The macro under its first module name, for workbooks whose *UDF Modules* say ``xlseg.macros``.

The macro lives in :mod:`xlseg.excel.macros` (workbooks made by ``xlseg workbook`` now name that module);
this module re-exports it so that older workbooks keep working.
"""

from xlseg.excel.macros import SegmentSelection, segment_selection

__all__ = ["SegmentSelection", "segment_selection"]
