"""Build layout blocks and sheets from engine frames: :func:`breakdown_block`, :func:`crosstab_block`,
:func:`text_block`, :func:`summary_sheet`.

These functions only arrange numbers the engine computed; they compute no statistics.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from xlseg.sheets.layout import (
    COLORS,
    COUNT,
    GENERAL,
    Block,
    ChartSpec,
    Column,
    ConditionalFormat,
    Row,
    SheetLayout,
    cell_value,
)
from xlseg.sheets.present import (
    breakdown_caption,
    format_number,
    number_format,
    segment_name,
    shown_lift,
    split_stat,
)
from xlseg.sheets.textsafe import single_line

_NOT_METRICS = ("users", "share", "low_n")
WIDE_TABLE = 12  # tables with more columns get their chart below, so a printed page stays readable


def header_names(names: Sequence[object]) -> list[str]:
    """One-line, non-empty header texts, unique ignoring case (``"x"``, ``"x (2)"``), as Excel tables need."""
    out: list[str] = []
    seen: set[str] = set()
    for i, name in enumerate(names):
        text = single_line(cell_value(name, "a column name") or "") or f"Column{i + 1}"
        candidate, n = text, 1
        while candidate.casefold() in seen:
            n += 1
            candidate = f"{text} ({n})"
        seen.add(candidate.casefold())
        out.append(candidate)
    return out


def _label_width(header: str, labels: Sequence[object]) -> float:
    longest = max([len(str(v)) for v in labels] + [len(header)], default=8)
    return float(min(max(longest + 2, 10), 40))


def _number_width(header: str, texts: Sequence[str]) -> float:
    longest_word = max((len(w) for w in header.split()), default=6)
    longest_value = max((len(t) for t in texts), default=6)
    return float(min(max(longest_word + 2, longest_value + 3, 9), 18))


def _row_kinds(frame: pd.DataFrame, by: Sequence[str], subtotals: bool, totals: bool) -> list[str]:
    """Each row's kind: "body", "subtotal" (with ``subtotals``) or "total" (the last row, with ``totals``).

    Subtotal rows carry the grand total's label ("Total", or "Total (all)" when a real segment is called
    "Total", see :func:`xlseg.schema.totals_label`) in their rolled-up columns; the label is read from the
    last row, so a real "Total" segment stays a body row.
    """
    kinds = ["body"] * len(frame)
    if subtotals and by and len(frame):
        label = frame[by[0]].iloc[-1]
        is_sub = (frame[list(by)] == label).any(axis=1).to_numpy()
        kinds = ["subtotal" if s else "body" for s in is_sub]
    if totals and kinds:
        kinds[-1] = "total"
    return kinds


def _rows(frame: pd.DataFrame, kinds: Sequence[str], muted: np.ndarray | None) -> list[Row]:
    columns = [frame[c].tolist() for c in frame.columns]
    rows = []
    for i in range(len(frame)):
        values = tuple(cell_value(col[i]) for col in columns)
        rows.append(Row(values, kinds[i], bool(muted[i]) if muted is not None else False))  # type: ignore[arg-type]
    return rows


def main_metric(frame: pd.DataFrame) -> str:
    """The column a breakdown's chart and caption are about: the first rate, else the first metric, else users."""
    names = list(frame.columns)
    after = names[names.index("users") + 1:] if "users" in names else names
    metrics = [c for c in after if c not in _NOT_METRICS and split_stat(c, names)[1] is None
               and pd.api.types.is_numeric_dtype(frame[c].dtype) and not pd.api.types.is_bool_dtype(frame[c].dtype)]
    rates = [m for m in metrics if m.endswith(" rate")]
    return (rates or metrics or ["users"])[0]


def breakdown_block(
    frame: pd.DataFrame,
    by: Sequence[str] | None = None,
    *,
    title: str | None = None,
    table_name: str | None = None,
    chart_metric: str | None = None,
    confidence: float = 0.95,
    min_size: int | None = None,
    subtotals: bool = False,
    chart: bool = True,
    caption: bool = True,
    ordered: bool = False,
) -> Block:
    """A block for a :func:`xlseg.breakdown` result.

    Args:
        frame: the breakdown (its last row is the totals row).
        by: the dimension columns (default: the columns before ``users``).
        title: the block title (None: no title row).
        table_name: the Excel table name (made valid later by :func:`xlseg.sheets.layout.assign_names`).
        chart_metric: the column to chart and caption (default: the first rate, else the first metric).
        confidence: the interval level, for the caption and notes.
        min_size: the low-n threshold used, for the note under the table.
        subtotals: the frame has subtotal rows (they are styled, and the chart is left out).
        chart: add a bar chart of ``chart_metric`` beside the table.
        caption: add a one-line caption written from the numbers.
        ordered: the segments have a natural order (date periods, numeric bins): chart them as vertical
            columns left to right instead of horizontal bars.
    """
    names = list(frame.columns)
    by = list(by) if by is not None else names[: names.index("users")]
    headers = header_names(names)
    kinds = _row_kinds(frame, by, subtotals, totals=True)
    muted = frame["low_n"].to_numpy(dtype=bool) if "low_n" in frame else None
    columns = []
    for name, header in zip(names, headers, strict=True):
        if name in by:
            columns.append(Column(header, GENERAL, _label_width(header, frame[name].tolist())))
            continue
        fmt = number_format(name, frame)
        values = frame[name].to_numpy(dtype=float, na_value=np.nan) if fmt != GENERAL else np.array([])
        texts = [format_number(v, fmt) for v in values[np.isfinite(values)]] if len(values) else ["FALSE"]
        base, stat = split_stat(name, names)
        group = [c for c in names if split_stat(c, names)[0] == base]
        spanner = single_line(base) if len(group) > 1 else None
        columns.append(Column(header, fmt, _number_width(header, texts), spanner))
    metric = chart_metric or main_metric(frame)
    header_of = dict(zip(names, headers, strict=True))
    conditional = []
    if "share" in names:
        conditional.append(ConditionalFormat("data_bar", (header_of["share"],), (COLORS["bar"],)))
    body = np.array([k == "body" for k in kinds])
    chart_spec = None
    if chart and not subtotals and body.sum() >= 2:
        count = int(body.sum())
        placement = "right" if len(columns) <= WIDE_TABLE else "below"
        if ordered:
            size = {"width_pt": float(min(max(32 * count + 100, 430), 900)), "height_pt": 230.0}
        else:
            size = {"width_pt": 430.0, "height_pt": float(min(max(22 * count + 80, 200), 1000))}
        plotted = frame[metric].to_numpy(dtype=float, na_value=np.nan)[body]
        chart_spec = ChartSpec("column" if ordered else "bar", f"{metric} by {' / '.join(by)}", header_of[metric],
                               number_format(metric, frame), placement=placement,
                               axis_from_zero=not bool((plotted < 0).any()), **size)
    text = None
    if caption:
        text = _users_caption(frame, by, body) if metric == "users" else breakdown_caption(
            frame, by, metric, number_format(metric, frame), confidence, body)
    shown = _with_shown_lifts(frame)
    rows = _rows(shown, kinds, muted)
    _mark_significant(shown, rows, kinds, 1 - confidence)
    return Block(title, columns, len(by), rows, text, _notes(names, confidence, min_size),
                 table_name, conditional, chart_spec)


def _with_shown_lifts(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every lift column as the sheet shows it (see :func:`xlseg.sheets.present.shown_lift`)."""
    names = list(frame.columns)
    lifts = [c for c in names if split_stat(c, names)[1] == "lift"]
    if not lifts:
        return frame
    shown = frame.copy()
    for name in lifts:
        shown[name] = shown_lift(frame[name].to_numpy(dtype=float, na_value=np.nan))
    return shown


def _mark_significant(frame: pd.DataFrame, rows: list[Row], kinds: Sequence[str], alpha: float) -> None:
    """Tone each lift cell "up"/"down" where the segment differs significantly (adjusted p below ``alpha``)."""
    names = list(frame.columns)
    low_n = frame["low_n"].to_numpy(dtype=bool) if "low_n" in frame else np.zeros(len(frame), dtype=bool)
    for index, name in enumerate(names):
        base, stat = split_stat(name, names)
        p_name = f"{base} p"
        if stat != "lift" or p_name not in names:
            continue
        lift = frame[name].to_numpy(dtype=float, na_value=np.nan)
        p = frame[p_name].to_numpy(dtype=float, na_value=np.nan)
        for i, row in enumerate(rows):
            if kinds[i] == "body" and not low_n[i] and p[i] < alpha and lift[i] != 0:
                row.tones[index] = "up" if lift[i] > 0 else "down"


def _users_caption(frame: pd.DataFrame, by: Sequence[str], body: np.ndarray) -> str | None:
    if not body.any():
        return None
    users = np.where(body, frame["users"].to_numpy(dtype=float), -1)
    index = int(np.argmax(users))
    name = segment_name(frame.loc[frame.index[index], list(by)])
    return f"Largest segment: {name}, {int(users[index]):,} users ({frame['share'].iloc[index]:.1%} of all)."


def _notes(names: Sequence[str], confidence: float, min_size: int | None) -> list[str]:
    notes = []
    stats = {split_stat(c, names)[1] for c in names}
    if "lo" in stats:
        notes.append(f"lo / hi: {confidence:.0%} confidence interval (Wilson for rates, t for means).")
    if "lift" in stats:
        notes.append("lift: segment ÷ overall − 1 (+24% = 1.24× the overall value); green / red: significantly"
                     " above / below the overall value.")
    if "p" in stats:
        notes.append("p: segment vs everyone else (z test for rates, Welch t for means), Benjamini–Hochberg "
                     f"adjusted; below {1 - confidence:.2g} counts as a real difference.")
    if min_size is not None and "low_n" in names:
        notes.append(f"Grey rows (low_n): fewer than {min_size:,} users, too few to trust.")
    return notes


def crosstab_block(
    frame: pd.DataFrame,
    rows: Sequence[str],
    column_dimension: str,
    *,
    title: str | None = None,
    table_name: str | None = None,
    number_format: str | None = None,
    totals: bool = True,
    heat: bool = True,
    caption: str | None = None,
    notes: Sequence[str] = (),
) -> Block:
    """A block for a :func:`xlseg.crosstab` result, painted as a heatmap (a colour scale over the cells).

    Args:
        frame: the crosstab; ``rows`` columns hold the row labels, every other column is a column segment
            (plus "Total" when ``totals``).
        rows: the row dimension columns.
        column_dimension: the name of the column dimension(s), shown as the spanner over the segments.
        number_format: the cells' format (default: ``#,##0`` for whole numbers, else by size).
        totals: the last row and the last column ("Total", or "Total (all)" when a row dimension is called
            "Total") are totals (excluded from the colour scale).
    """
    names = list(frame.columns)
    rows = list(rows)
    headers = header_names(names)
    segments = [c for c in names if c not in rows and not (totals and c == names[-1])]
    body_values = frame[segments].to_numpy(dtype=float, na_value=np.nan) if segments else np.array([])
    if number_format is None:
        from xlseg.sheets.present import decimals_format

        number_format = decimals_format(body_values.ravel())
    spanner = single_line(column_dimension)
    columns = []
    for name, header in zip(names, headers, strict=True):
        if name in rows:
            columns.append(Column(header, GENERAL, _label_width(header, frame[name].tolist())))
        else:
            values = frame[name].to_numpy(dtype=float, na_value=np.nan)
            texts = [format_number(v, number_format) for v in values[np.isfinite(values)]]
            width = min(max(len(header) + 2, max((len(t) for t in texts), default=4) + 3, 8), 16)
            columns.append(Column(header, number_format, float(width), spanner if name in segments else None))
    header_of = dict(zip(names, headers, strict=True))
    kinds = _row_kinds(frame, rows, subtotals=False, totals=totals)
    conditional = []
    if heat and segments:
        conditional.append(ConditionalFormat("color_scale", tuple(header_of[s] for s in segments),
                                             (COLORS["heat_low"], COLORS["heat_high"])))
    return Block(title, columns, len(rows), _rows(frame, kinds, None), caption, list(notes), table_name, conditional)


def text_block(title: str | None, lines: Sequence[str], caption: str | None = None) -> Block:
    """A block of text lines (one per row) under a title."""
    return Block(title, caption=caption, notes=[str(cell_value(line)) for line in lines])


def pairs_block(title: str | None, header: tuple[str, str], pairs: Sequence[tuple[object, ...]],
                table_name: str | None = None, value_format: str = GENERAL) -> Block:
    """A two-column table of ``(label, value)`` or ``(label, value, number format)`` rows (e.g. facts)."""
    labels = [cell_value(p[0]) for p in pairs]
    values = [cell_value(p[1]) for p in pairs]
    formats = [{1: str(p[2])} if len(p) > 2 else {} for p in pairs]
    width = _label_width(header[0], labels)
    value_width = float(min(max([len(str(v)) for v in values] + [len(header[1])], default=8) + 3, 60))
    columns = [Column(header[0], GENERAL, width), Column(header[1], value_format, max(value_width, 10.0))]
    rows = [Row((a, b), formats=f) for a, b, f in zip(labels, values, formats, strict=True)]
    return Block(title, columns, 1, rows, table_name=table_name)


def grid_block(title: str | None, headers: Sequence[str], rows: Sequence[Sequence[object]],
               table_name: str | None = None, widths: Sequence[float] | None = None) -> Block:
    """A plain table of text/number rows under ``headers`` (first column = row labels)."""
    names = header_names(headers)
    values = [tuple(cell_value(v) for v in row) for row in rows]
    columns = []
    for i, name in enumerate(names):
        longest = max([len(str(r[i])) for r in values if r[i] is not None] + [len(name)], default=8)
        width = widths[i] if widths is not None else float(min(max(longest + 2, 10), 60))
        columns.append(Column(name, GENERAL, width))
    return Block(title, columns, 1, [Row(v) for v in values], table_name=table_name)


def summary_sheet(
    *,
    title: str,
    rows: int,
    source_rows: int,
    columns: Sequence[tuple[str, str, int, int]],
    cleaning: Sequence[str],
    choices: Sequence[str],
    contents: Sequence[tuple[str, str, str]],
    confidence: float = 0.95,
    min_size: int | None = None,
    name: str = "Summary",
    findings: Sequence[str] = (),
) -> SheetLayout:
    """The report's first sheet: the data set, what was chosen and why, the contents and how to read them.

    Args:
        title: the report title.
        rows: data rows analysed; ``source_rows``: data rows in the input before cleaning.
        columns: ``(column, role, missing values, distinct values)`` for each input column.
        cleaning: what cleaning did (the table's notes).
        choices: one sentence per choice the report made (dimensions, metrics) and why.
        contents: ``(sheet name, what it shows, key finding)`` for each other sheet; the Contents table
            shows the key finding (a caption; it overflows to the right) or else what the sheet shows.
        findings: sentences about the segments that stand out (from the segment scan), shown under the facts.
    """
    facts = pairs_block(
        "Data set", ("Item", "Value"),
        [("Users (rows analysed)", rows), ("Rows in the input", source_rows), ("Columns", len(columns)),
         ("Confidence level", confidence, "0%")]
        + ([("Low-n threshold (users)", min_size)] if min_size is not None else []),
        table_name="data_set", value_format=COUNT,
    )
    blocks = [
        facts,
        *([text_block("What stands out", findings)] if findings else []),
        grid_block("Contents", ("Sheet", "Key finding"), [(c[0], c[2] or c[1]) for c in contents],
                   table_name="contents", widths=(float(max([len(c[0]) + 2 for c in contents] + [14])), 12.0)),
        text_block("What this report looks at", choices),
        _columns_block(columns),
        text_block("Cleaning", list(cleaning) or ["Nothing needed cleaning."]),
        text_block("How to read this report", how_to_read(confidence, min_size)),
    ]
    subtitle = f"{rows:,} users · {len(contents)} result sheets · made by xlseg"
    return SheetLayout(name, title, subtitle, blocks, landscape=False, kind="summary")


def _columns_block(columns: Sequence[tuple[str, str, int, int]]) -> Block:
    labels = [cell_value(c[0], "a column name") for c in columns]
    cols = [Column("Column", GENERAL, _label_width("Column", labels)), Column("Role", GENERAL, 11.0),
            Column("Missing", COUNT, 10.0), Column("Distinct", COUNT, 10.0)]
    rows = [Row((label, str(role), cell_value(missing), cell_value(distinct)))
            for label, (_, role, missing, distinct) in zip(labels, columns, strict=True)]
    return Block("Columns", cols, 1, rows, table_name="columns")


def how_to_read(confidence: float = 0.95, min_size: int | None = None) -> list[str]:
    """The reading guide printed on the Summary sheet."""
    lines = [
        "users: rows in the segment; share: users ÷ all users. The Total row is computed from all rows.",
        "rate: share of users with the flag set (e.g. converted rate 5.0% = 1 in 20 users converted).",
        f"lo / hi: the {confidence:.0%} confidence interval — the range the true value is likely in.",
        "lift: segment ÷ overall − 1. +24% means 1.24× the overall value; −30% means 0.7×.",
        "p: how surprising the segment's difference from everyone else would be if there were none,"
        f" adjusted for testing many segments (Benjamini–Hochberg). Below {1 - confidence:.2g}: a real difference.",
        "A big lift with a large p is noise; a small lift with a tiny p is real but may not matter.",
        "Charts show the main metric per segment; the heatmap sheets colour each cell by its value.",
        "Every table is an Excel table named after its sheet, so formulas can use it, e.g. =SUM(device[users]).",
    ]
    if min_size is not None:
        lines.insert(5, f"low_n (grey rows): fewer than {min_size:,} users — read their numbers with care.")
    return lines


__all__ = ["breakdown_block", "crosstab_block", "grid_block", "how_to_read", "main_metric", "pairs_block",
           "summary_sheet", "text_block"]
