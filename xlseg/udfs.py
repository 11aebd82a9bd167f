"""The Excel formulas under their first module name, for workbooks whose *UDF Modules* say ``xlseg.udfs``.

The formulas live in :mod:`xlseg.excel.udfs` (workbooks made by ``xlseg workbook`` now name that module);
this module re-exports every one of them so that older workbooks keep working.
"""

from xlseg.excel import udfs as _udfs
from xlseg.excel.formulas import FORMULAS as _FORMULAS

globals().update({name: getattr(_udfs, name) for name in _FORMULAS})

__all__ = list(_FORMULAS)
