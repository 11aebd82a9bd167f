"""The Excel faces: formulas (``udfs``, with argument parsing in ``args``), the "segment this table" macro
(``macros``) and the demo .xlsm (``workbook``)."""
