"""Writers paint :class:`~xlseg.sheets.layout.SheetLayout` s and compute no number.

``openpyxl_writer`` paints new .xlsx files, ``templates`` fills a styled template, ``save`` chooses between
them and writes atomically (``atomic``); ``xlwings_writer`` paints into live Excel.
"""
