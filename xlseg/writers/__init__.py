"""Writers paint :class:`~xlseg.layout.SheetLayout` s: ``openpyxl_writer`` into new .xlsx files.

Writers know no statistics and decide no positions; see :mod:`xlseg.layout` for the contract.
"""
