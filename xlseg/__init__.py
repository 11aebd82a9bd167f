"""xlseg: user segmentation for Excel, computed in Python.

Public API (imported lazily so that ``import xlseg`` and the CLI start fast):

* :func:`xlseg.breakdown` — one row per segment with users, share, metrics, totals and statistics.
* :func:`xlseg.crosstab` — rows × columns pivot with correct grand totals.
* :func:`xlseg.load_table` — clean any input (Excel range values, DataFrame, file) into a :class:`Table`.
* :func:`xlseg.report` — a report workbook (Summary, one sheet per breakdown, crosstab heatmaps):
  ``xlseg.report(df, by=["device", "geography,plan"]).to_excel("report.xlsx")``.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "breakdown": "xlseg.engine",
    "crosstab": "xlseg.engine",
    "load_table": "xlseg.table",
    "report": "xlseg.reporting",
    "Report": "xlseg.reporting",
    "Table": "xlseg.schema",
    "Role": "xlseg.schema",
    "XlsegError": "xlseg.errors",
    "make_users": "xlseg.demo",
}

__all__ = [  # noqa: F822 - names resolve lazily through __getattr__
    "Report",
    "Role",
    "Table",
    "XlsegError",
    "breakdown",
    "crosstab",
    "load_table",
    "make_users",
    "report",
]

if TYPE_CHECKING:
    from xlseg.demo import make_users
    from xlseg.engine import breakdown, crosstab
    from xlseg.errors import XlsegError
    from xlseg.reporting import Report, report
    from xlseg.schema import Role, Table
    from xlseg.table import load_table


def __getattr__(name: str) -> Any:
    """Import public names on first use."""
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'xlseg' has no attribute {name!r}")
