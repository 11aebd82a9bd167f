"""The engine: what each segment's numbers are, as tidy DataFrames (no xlwings, no openpyxl).

``breakdowns`` and ``crosstabs`` are the analyses; ``binning`` makes segments of numbers and dates,
``grouping`` combines dimensions into levels, ``kernels`` and ``measures`` aggregate per group, ``stats``
holds the intervals and tests, ``versus`` compares a group with the rest from moments alone, and ``auto``
chooses the dimensions and default bins of auto mode.
"""
