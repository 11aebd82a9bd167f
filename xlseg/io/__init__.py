"""Input: whatever the user hands over (range values, DataFrame, Arrow, CSV/XLSX/Parquet) → a clean Table.

``readers`` turns each input shape into raw columns (``xlsx_fast``, ``xlsx_header``, ``xlsx_errors``,
``csv_numbers`` for the file formats); ``load`` applies the cleaning rules column by column (``headers``,
``cells``, ``distinct``, ``roles``, ``dates``, ``numbers``, ``columns``) and writes the notes. Nothing here
imports the engine, the sheets or the writers.
"""
