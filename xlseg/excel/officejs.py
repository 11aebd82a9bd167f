"""The SEG_* formulas and the "segment this table" macro for Office.js: xlwings Lite and xlwings Server.

xlwings Lite (Excel on Windows, Mac and the web; Python runs in the browser through Pyodide) and xlwings
Server describe custom functions to Excel with ``xlwings.server.custom_functions_meta(module)`` and call
them with ``custom_functions_call(payload, module)``. This module is such a module: every formula of the
registry in :mod:`xlseg.excel.formulas` appears here under the same name, with the same arguments,
descriptions, options text and results as the classic add-in's :mod:`xlseg.excel.udfs`, because both are
made from the same registered bodies. **To add a formula, add it to** :mod:`xlseg.excel.formulas`; it
appears here and in the classic add-in without a change to this file (``tests/test_officejs.py`` checks
that the two sets of names are equal).

The macro is the script :func:`segment_selection` (xlwings injects the workbook, as ``xw.Book``).

Use in xlwings Lite: put ``xlseg`` into the workbook's ``requirements.txt`` and these lines into
``main.py`` (the README, section "Excel on Mac and the web", has the steps)::

    from xlseg.excel.officejs import *  # noqa: F403 - the SEG_* functions and the segment_selection script

Differences from the classic add-in that come from Office.js itself: dates arrive as serial numbers
(Office.js hands custom functions no number formats), so declare date columns with
``roles=signup:date`` in the options; and there is no function-wizard category.

Importing this module needs xlwings' PRO code (``xlwings.server``): xlwings Lite and xlwings Server
provide it; elsewhere set ``XLWINGS_LICENSE_KEY`` (``noncommercial`` for noncommercial use) first.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import xlwings as xw
from xlwings import server

from xlseg.excel import macros
from xlseg.excel.formulas import FORMULAS, Formula


def officejs(formula: Formula) -> Callable[..., Any]:
    """``formula`` registered as an Office.js custom function (``xlwings.server`` decorators)."""
    face = formula.face(__name__)
    for param in formula.params:
        face = server.arg(param.name, doc=param.doc, **param.options)(face)
    face = server.ret(index=False)(face)
    return server.func(face)


globals().update({name: officejs(formula) for name, formula in FORMULAS.items()})


@server.script(name="Segment selection")
def segment_selection(book: xw.Book) -> None:
    """Segment the selected table (or the table around the selected cell) and write the result sheets."""
    macros.segment_selection(book)


__all__ = [*FORMULAS, "segment_selection"]
