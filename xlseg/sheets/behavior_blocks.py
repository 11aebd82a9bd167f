"""Result sheets of the behavioural analyses (:mod:`xlseg.behavior`): retention, lifecycle, engagement, RFM,
segments by user attribute, and their Summary sheet.

Like :mod:`xlseg.sheets.blocks`, these builders only arrange numbers the analyses computed (a retention table,
a lifecycle table, …) into :class:`~xlseg.sheets.layout.SheetLayout` s that both writers paint.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from xlseg.sheets.blocks import breakdown_block, crosstab_block, grid_block, pairs_block, text_block
from xlseg.sheets.layout import (
    COLORS,
    COUNT,
    GENERAL,
    PERCENT,
    SERIES_COLORS,
    Block,
    ChartSpec,
    Column,
    ConditionalFormat,
    Row,
    SheetLayout,
    cell_value,
)
from xlseg.sheets.present import format_number

RATIO = "0.00"

#: What the behavioural numbers mean, printed on the Summary sheet.
DEFINITIONS = (
    "Retention: a cohort is the users whose first activity fell in a period.",
    "'Month N' is the share of the cohort active N periods later (on_or_after: then or in any later period).",
    "A blank cell: that period has not ended by as_of. All: user-weighted mean of the cohorts that reached N.",
    "Lifecycle: new = first activity in the period; returning = active in this and the previous period;",
    "resurrecting = active, not in the previous period, not new; dormant = active before, not now (below zero).",
    "Quick ratio = (new + resurrecting) / dormant: above 1 the active base grows.",
    "Engagement: days active = distinct days with activity in the window before as_of (power-user curve).",
    "Stickiness = mean daily active users / users active in the window.",
    "RFM: recency = days since the last activity; frequency = activity rows; monetary = value sum.",
    "Scores 1-5: 1 + the number of 20/40/60/80% percentiles (PERCENTILE.INC) strictly below the value.",
    "R is reversed (5 = most recent); the segment follows from R and F (M is shown, it names no segment).",
)


def retention_sheet(table: pd.DataFrame, period: str, *, mode: str = "on", counts: bool = False,
                    by: str | None = None, name: str = "Retention") -> SheetLayout:
    """The retention triangle as a heatmap, and the retention curve of the ``All`` row(s) as a line chart."""
    stub = ["cohort"] if by is None else [by, "cohort"]
    offsets = [c for c in table.columns if c not in (*stub, "users")]
    fmt = COUNT if counts else PERCENT
    columns = [Column(str(c), GENERAL, 12.0 if c == "cohort" else 16.0) for c in stub]
    columns += [Column("users", COUNT, 9.0)] + [Column(str(c), fmt, 9.5) for c in offsets]
    is_all = (table["cohort"] == "All").to_numpy()
    kinds = ["body" if not a else ("total" if by is None else "subtotal") for a in is_all]
    rows = [Row(tuple(cell_value(v) for v in values), kind)  # type: ignore[arg-type]
            for values, kind in zip(table[[*stub, "users", *offsets]].itertuples(index=False), kinds, strict=True)]
    heat = [ConditionalFormat("color_scale", tuple(offsets[1:] or offsets), (COLORS["heat_low"], COLORS["heat_high"]))]
    what = "users active" if counts else "share of the cohort active"
    mode_text = "in" if mode == "on" else "in or after"
    caption = None
    if len(offsets) > 1 and not counts:
        share = format_number(float(table.loc[is_all, offsets[1]].iloc[0]), PERCENT)
        caption = (f"{share} of users are active in the {period} after their first." if mode == "on" else
                   f"{share} of users are active again in a later {period}.")
    triangle = Block(f"Retention by cohort: {what} {mode_text} {period} N", columns, len(stub), rows, caption,
                     [f"Blank cells: the {period} has not ended by as_of (not 0).",
                      "All: user-weighted mean over the cohorts that have reached each offset."],
                     "retention", heat)
    blocks = [triangle, _curve_block(table, offsets, by, fmt, period)]
    return SheetLayout(name, f"Retention by {period}", f"cohort = {period} of first activity · mode {mode}",
                       blocks, kind="behavior")


def _curve_block(table: pd.DataFrame, offsets: list[str], by: str | None, fmt: str, period: str) -> Block:
    """Offsets down, one column per ``All`` row (a segment with ``by``), charted as lines."""
    all_rows = table[table["cohort"] == "All"]
    names = ["All"] if by is None else [str(v) for v in all_rows[by]]
    from xlseg.sheets.blocks import header_names

    headers = header_names([period.capitalize(), *names])
    columns = [Column(headers[0], GENERAL, 11.0)] + [Column(h, fmt, 11.0) for h in headers[1:]]
    rows = [Row((offset, *(cell_value(v) for v in all_rows[offset]))) for offset in offsets]
    chart = ChartSpec("line", "Retention curve", headers[1], fmt, width_pt=480.0, height_pt=240.0,
                      stacked=tuple(headers[2:]), colors=tuple(SERIES_COLORS[i % len(SERIES_COLORS)]
                                                               for i in range(len(headers) - 1)),
                      legend=len(headers) > 2, data_labels=len(offsets) <= 12 and len(headers) == 2)
    return Block("Retention curve (All)", columns, 1, rows, table_name="retention_curve", chart=chart)


def lifecycle_sheet(table: pd.DataFrame, period: str, name: str = "Lifecycle") -> SheetLayout:
    """Stacked columns of new / returning / resurrecting users with dormant below zero, and the quick ratio."""
    states = ["new", "returning", "resurrecting", "dormant"]
    columns = [Column("period", GENERAL, 11.0)] + [Column(s, COUNT, 12.0) for s in [*states, "active"]]
    columns.append(Column("quick_ratio", RATIO, 11.0))
    rows = [Row(tuple(cell_value(v) for v in values))
            for values in table[["period", *states, "active", "quick_ratio"]].itertuples(index=False)]
    width = float(min(max(28 * len(table) + 160, 480), 1000))
    chart = ChartSpec("column", f"Users by lifecycle state per {period}", "new", COUNT, width_pt=width,
                      height_pt=280.0, axis_from_zero=False, stacked=("returning", "resurrecting", "dormant"),
                      colors=SERIES_COLORS[:4], legend=True, data_labels=False)
    last = table.iloc[-1]
    caption = (f"{last['period']}: {int(last['active']):,} active users — {int(last['new']):,} new, "
               f"{int(last['returning']):,} returning, {int(last['resurrecting']):,} resurrecting; "
               f"{abs(int(last['dormant'])):,} went dormant.")
    states_block = Block(f"Lifecycle per {period}", columns, 1, rows, caption,
                         ["dormant: active in the previous period, not in this one (negative, drawn below zero).",
                          "Checks: active = new + returning + resurrecting; previous active = returning + |dormant|."],
                         "lifecycle", [], chart)
    quick_rows = [Row((cell_value(p), cell_value(q))) for p, q in zip(table["period"], table["quick_ratio"],
                                                                          strict=True)]
    quick = Block("Quick ratio", [Column("period", GENERAL, 11.0), Column("quick_ratio", RATIO, 11.0)], 1,
                  quick_rows, "(new + resurrecting) / dormant: above 1 the active base grows; blank: none dormant.",
                  table_name="quick_ratio",
                  chart=ChartSpec("line", "Quick ratio", "quick_ratio", RATIO, width_pt=width, height_pt=220.0,
                                  data_labels=len(table) <= 12))
    return SheetLayout(name, f"Lifecycle by {period}", "new, returning, resurrecting and dormant users",
                       [states_block, quick], kind="behavior")


def engagement_sheet(table: pd.DataFrame, summary: Mapping[str, object], window: int,
                     name: str = "Engagement") -> SheetLayout:
    """The power-user curve (users by days active in the window) as columns, and DAU / WAU / MAU / stickiness."""
    columns = [Column("days_active", GENERAL, 12.0), Column("users", COUNT, 10.0), Column("share", PERCENT, 10.0),
               Column("share_at_least", PERCENT, 15.0)]
    rows = [Row(tuple(cell_value(v) for v in values)) for values in table.itertuples(index=False)]
    chart = ChartSpec("column", f"Power-user curve: users by days active in {window} days", "share", PERCENT,
                      width_pt=float(min(max(18 * window + 120, 480), 900)), height_pt=240.0,
                      data_labels=window <= 14)
    heavy = table.loc[table["days_active"] >= max(window // 2, 1), "users"].sum()
    total = table["users"].sum()
    caption = (f"{int(total):,} users active in the last {window} days; {int(heavy):,} of them on at least "
               f"{max(window // 2, 1)} days." if total else None)
    curve = Block(f"Days active in the last {window} days", columns, 1, rows, caption, [], "engagement",
                  [ConditionalFormat("data_bar", ("share_at_least",), (COLORS["bar"],))], chart)
    formats = {"DAU": "#,##0.0", "stickiness": PERCENT}
    facts = pairs_block("Activity in the window", ("Measure", "Value"),
                        [(k, v, formats.get(k.split(" ")[0], COUNT)) for k, v in summary.items()],
                        table_name="engagement_summary")
    return SheetLayout(name, "Engagement", f"the {window} days before as_of", [curve, facts], kind="behavior")


def rfm_sheet(summary: pd.DataFrame, grid: pd.DataFrame, cuts: Mapping[str, Sequence[float]],
              name: str = "RFM") -> SheetLayout:
    """The RFM segment table (users, share, means) with a bar chart, the R × F heatmap and the cut points."""
    segments = breakdown_block(summary, ["segment"], title="RFM segments", table_name="rfm_segments",
                               chart_metric="users")
    heat = crosstab_block(grid, ["R"], "F", title="Users by R (rows) and F (columns) score", table_name="rfm_grid",
                          number_format=COUNT,
                          notes=["R 5 = most recent, F 5 = most frequent; the segment map partitions this grid."])
    cut_rows = [(k, *(float(c) for c in v)) for k, v in cuts.items()]
    cut_block = grid_block("Cut points (PERCENTILE.INC at 20/40/60/80%)", ("measure", "q1", "q2", "q3", "q4"),
                           cut_rows, table_name="rfm_cuts")
    return SheetLayout(name, "RFM segments", "recency, frequency, monetary scores 1-5",
                       [segments, heat, cut_block], kind="behavior")


def attribute_sheet(tables: Sequence[tuple[str, str, pd.DataFrame]],
                    name: str = "Segments by attribute") -> SheetLayout:
    """Row-share heatmaps of RFM segment and engagement tier by user attribute: ``(attribute, what, crosstab)``."""
    blocks = [crosstab_block(frame, [attribute], what, title=f"{what} by {attribute} (share of the row)",
                             table_name=f"{what}_by_{attribute}", number_format=PERCENT)
              for attribute, what, frame in tables]
    return SheetLayout(name, "Behaviour by user attribute", "each row adds up to 100%", blocks, kind="behavior")


def behavior_summary_sheet(*, title: str, facts: Sequence[tuple[str, object]], notes: Sequence[str],
                           contents: Sequence[tuple[str, str]], name: str = "Summary") -> SheetLayout:
    """Data set facts, contents, cleaning notes and the definitions of every behavioural number."""
    blocks = [
        pairs_block("Data set", ("Item", "Value"),
                    [(k, v, COUNT) if isinstance(v, int | np.integer) else (k, v) for k, v in facts],
                    table_name="data_set"),
        grid_block("Contents", ("Sheet", "What it shows"), contents, table_name="contents"),
        text_block("Cleaning", list(notes) or ["Nothing needed cleaning."]),
        text_block("How to read these sheets", DEFINITIONS),
    ]
    return SheetLayout(name, title, "behavioural segmentation · made by xlseg", blocks, landscape=False,
                       kind="summary")
