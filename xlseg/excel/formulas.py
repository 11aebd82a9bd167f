"""The SEG_* formulas, written once for every Excel face: one registry from which the faces are made.

Two faces show these formulas in Excel:

* :mod:`xlseg.excel.udfs` — the classic xlwings add-in (Windows desktop Excel, VBA wrappers made by
  *Import Functions*);
* :mod:`xlseg.excel.officejs` — Office.js custom functions for xlwings Lite (Excel on Mac, on the web and
  on Windows, Python in the browser through Pyodide) and xlwings Server.

Both are generated from :data:`FORMULAS`: the formula's body (argument parsing, the call into the engine,
what spills, the message for an empty result and for any error), its arguments with their descriptions
and converter options, and its description. A face only applies its own xlwings decorators to a fresh
copy of each registered function, so the names, arguments, descriptions, options text and results are
the same by construction.

The formulas live in topic modules — :mod:`~xlseg.excel.segment_formulas` (breakdowns, crosstabs, bins,
profile), :mod:`~xlseg.excel.insight_formulas` (scan, gap), :mod:`~xlseg.excel.behavior_formulas` (retention, lifecycle,
RFM, engagement, activity) — each registering its bodies with
:func:`~xlseg.excel.registry.formula`; this module imports them in the order Excel lists them.

**Adding a formula** is one change: in a topic module (a new topic module is also imported below), write the
body as a plain function named like the Excel function (``SEG_…``), with one :class:`Param` per argument,
and decorate it with :func:`formula`::

    @formula(Param("data", DATA_DOC, TABLE_ARG), Param("by", BY_DOC))
    def SEG_SOMETHING(data: Any, by: Any) -> Any:
        \"\"\"What it returns, in one or two sentences (Excel shows this as the description).\"\"\"
        return spill(engine_call(data, column_names(by, "by")), "No segments: ...")

Both faces then have it (``tests/test_officejs.py`` checks that their names are equal).

Results: a table comes back as plain cell rows (:func:`spill`): the header, then one row per record,
missing values as ``None`` (an empty cell in both faces), numpy scalars as Python numbers and
timestamps as ``datetime``. Any problem comes back as one sentence (:func:`excel_errors`).
"""

from xlseg.excel import behavior_formulas, insight_formulas, segment_formulas
from xlseg.excel.registry import FORMULAS, Formula, Param, excel_errors, formula, spill
from xlseg.excel.segment_formulas import bin_labels, profile_rows

__all__ = ["FORMULAS", "Formula", "Param", "behavior_formulas", "bin_labels", "excel_errors", "formula",
           "insight_formulas", "profile_rows", "segment_formulas", "spill"]
