"""xlseg: user segmentation for Excel, computed in Python.

Public API (imported lazily so that ``import xlseg`` and the CLI start fast):

* :func:`xlseg.breakdown` — one row per segment with users, share, metrics, totals and statistics.
* :func:`xlseg.crosstab` — rows × columns pivot with correct grand totals.
* :func:`xlseg.retention`, :func:`xlseg.lifecycle`, :func:`xlseg.rfm`, :func:`xlseg.engagement`,
  :func:`xlseg.activity` — behavioural segmentation of an activity table (one row per event).
* :func:`xlseg.scan` — which segments (and pairs of segments) stand out, BH-adjusted across all tested.
* :func:`xlseg.gap` — a gap between two groups split into rate and mix effects (Kitagawa 1955).
* :func:`xlseg.load_table` — clean any input (Excel range values, DataFrame, file) into a :class:`Table`.
* :func:`xlseg.report` — a report workbook (Summary, one sheet per breakdown, crosstab heatmaps):
  ``xlseg.report(df, by=["device", "geography,plan"]).to_excel("report.xlsx")``.

Layout (the data walks one way; ``tests/test_architecture.py`` checks the imports):
``io`` (input → clean Table; DuckDB/Ibis/Spark sources) → ``engine`` (breakdowns, crosstabs, pushdown) →
``behavior`` and ``insight`` (analyses built on the engine) → ``sheets`` (engine-neutral result sheets) →
``writers`` (openpyxl files, templates, live Excel); the faces sit on top: ``reporting``, ``behavior_report``
and ``cli`` for files, ``excel`` for formulas (classic and Office.js) and the macro. ``errors``, ``schema`` and
``spec`` are shared by all.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from xlseg.version import __version__ as __version__

_EXPORTS = {
    "breakdown": "xlseg.engine.breakdowns",
    "crosstab": "xlseg.engine.crosstabs",
    "load_table": "xlseg.io.load",
    "report": "xlseg.reporting",
    "Report": "xlseg.reporting",
    "Table": "xlseg.schema",
    "Role": "xlseg.schema",
    "XlsegError": "xlseg.errors",
    "make_users": "xlseg.demo",
    "retention": "xlseg.behavior.retention",
    "lifecycle": "xlseg.behavior.lifecycle",
    "rfm": "xlseg.behavior.rfm",
    "engagement": "xlseg.behavior.engagement",
    "activity": "xlseg.behavior.activity",
    "scan": "xlseg.insight.scan",
    "gap": "xlseg.insight.gap",
}

__all__ = [  # noqa: F822 - names resolve lazily through __getattr__
    "Report",
    "Role",
    "Table",
    "XlsegError",
    "activity",
    "breakdown",
    "crosstab",
    "engagement",
    "gap",
    "lifecycle",
    "load_table",
    "make_users",
    "report",
    "retention",
    "rfm",
    "scan",
]

if TYPE_CHECKING:
    from xlseg.behavior.activity import activity
    from xlseg.behavior.engagement import engagement
    from xlseg.behavior.lifecycle import lifecycle
    from xlseg.behavior.retention import retention
    from xlseg.behavior.rfm import rfm
    from xlseg.demo import make_users
    from xlseg.engine.breakdowns import breakdown
    from xlseg.engine.crosstabs import crosstab
    from xlseg.errors import XlsegError
    from xlseg.insight.gap import gap
    from xlseg.insight.scan import scan
    from xlseg.io.load import load_table
    from xlseg.reporting import Report, report
    from xlseg.schema import Role, Table


def __getattr__(name: str) -> Any:
    """Import public names on first use."""
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'xlseg' has no attribute {name!r}")
