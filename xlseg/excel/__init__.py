"""The Excel faces: the formulas written once (``formulas``, with argument parsing in ``args``), registered for
the classic add-in (``udfs``) and for Office.js / xlwings Lite and Server (``officejs``); the "segment this
table" macro (``macros``) and the demo .xlsm (``workbook``)."""
