"""Behavioural segmentation: what users *do*, from an activity table (one row per event, order or session).

Every analysis runs in two steps, so another engine (DuckDB, Spark) can provide the first and reuse the second:

1. :mod:`xlseg.behavior.facts` — the only code that touches the raw events: it reduces them to compact facts
   on integer codes (distinct (user, period) pairs, per-user first/last day, rows and value sum, distinct
   (user, day) pairs in a window).
2. :mod:`~xlseg.behavior.retention`, :mod:`~xlseg.behavior.lifecycle`, :mod:`~xlseg.behavior.rfm`,
   :mod:`~xlseg.behavior.engagement`, :mod:`~xlseg.behavior.activity` — every definition, computed from those
   facts only.

:mod:`xlseg.behavior.events` reads and cleans the input (the same rules as :func:`xlseg.load_table`) into
integer-coded events; :mod:`xlseg.behavior.periods` maps days to calendar periods and their labels.
"""
