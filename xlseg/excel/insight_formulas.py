"""The insight formulas: SEG_SCAN (which segments stand out) and SEG_GAP (what explains a gap)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from xlseg.errors import XlsegError
from xlseg.excel.args import cell_text, column_names, flatten, is_blank, metrics_text, parse_options
from xlseg.excel.registry import DATA_DOC, OPTIONS_ARG, TABLE_ARG, Param, formula, spill
from xlseg.insight.gap import gap
from xlseg.insight.scan import scan

SCAN_OPTIONS = ("by", "depth", "min_size", "confidence", "top", "bins", "roles")
GAP_OPTIONS = ("bins", "top", "confidence", "roles")


@formula(
    Param("data", DATA_DOC, TABLE_ARG),
    Param("metric", 'One metric: "converted:rate" (a yes/no column) or "session_length:mean".'),
    Param("options", 'Optional. e.g. "by=device, plan, geography; depth=1; min_size=50; top=20; confidence=0.9". '
          "Default by: the columns a report would segment by.", OPTIONS_ARG),
)
def SEG_SCAN(data: Any, metric: Any, options: Any = None) -> Any:  # noqa: N802 - Excel name
    """Which segments stand out: every segment and every pair of two columns' values against everyone else,
    ranked by impact (users x difference), p-values adjusted for all segments tested (Benjamini-Hochberg).
    """
    settings = parse_options(options).engine_kwargs(SCAN_OPTIONS, "SEG_SCAN")
    by = settings.pop("by", None)
    frame = scan(data, _one_metric_text(metric, "SEG_SCAN"), by=column_names(by, "by") if by else None, **settings)
    facts = frame.attrs
    note = (f"Tested {facts['tested']:,} segments ({facts['skipped']:,} under {facts['min_size']:,} users skipped);"
            f" p adjusted across all {facts['tested']:,} (Benjamini-Hochberg); {facts['significant']:,} below"
            f" {facts['alpha']:.2g}.")
    return _with_lines(frame, [note, *[f"Note: {n}" for n in facts.get("notes", [])]])


@formula(
    Param("data", DATA_DOC, TABLE_ARG),
    Param("by", 'The one column whose segments explain the gap, e.g. "department".'),
    Param("metric", 'One metric: "admitted:rate" (a yes/no column) or "revenue:mean".'),
    Param("between", 'The two groups as COLUMN:A:B, e.g. "gender:Male:Female", or a range of the three.'),
    Param("options", 'Optional. e.g. "confidence=0.9; bins=age:q4; top=10".', OPTIONS_ARG),
)
def SEG_GAP(data: Any, by: Any, metric: Any, between: Any, options: Any = None) -> Any:  # noqa: N802 - Excel name
    """Why the overall value differs between groups A and B: the gap split into a rate effect (segments
    differ) and a mix effect (A and B hold different segments), per segment and in total (Kitagawa).
    """
    settings = parse_options(options).engine_kwargs(GAP_OPTIONS, "SEG_GAP")
    names = column_names(by, "by")
    if len(names) != 1:
        raise XlsegError("SEG_GAP splits the gap by one column, e.g. \"department\"")
    parts = [cell_text(cell) for cell in flatten(between)]
    if is_blank(between) or not parts:
        raise XlsegError('between is empty; give the groups as COLUMN:A:B, e.g. "gender:Male:Female"')
    frame = gap(data, names[0], _one_metric_text(metric, "SEG_GAP"),
                between=parts[0] if len(parts) == 1 else tuple(parts), **settings)
    facts = frame.attrs
    return _with_lines(frame, [facts["explanation"], *[f"Note: {n}" for n in facts.get("notes", [])]])


def _one_metric_text(metric: Any, function: str) -> str:
    text = metrics_text(metric)
    if text is None:
        raise XlsegError('metric is empty; give one column, e.g. "converted:rate"')
    if ";" in text:
        raise XlsegError(f'{function} takes one metric, e.g. "converted:rate"')
    return text


def _with_lines(frame: pd.DataFrame, lines: list[str]) -> list[list[object]]:
    """The frame's cells (:func:`~xlseg.excel.registry.spill`; the header alone when it has no rows), then an
    empty row and one line of text per entry in the first column."""
    width = len(frame.columns)
    cells = spill(frame, "")
    rows: list[list[object]] = cells if isinstance(cells, list) else [list(map(str, frame.columns))]
    return [*rows, [None] * width, *([line, *[None] * (width - 1)] for line in lines)]
