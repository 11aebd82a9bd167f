"""Sheets for the insight analyses: "What stands out" (the segment scan) and the gap decomposition.

Like :mod:`xlseg.sheets.blocks`, these only arrange numbers the engine computed (:func:`xlseg.scan`,
:func:`xlseg.gap`); the waterfall's helper columns (where each floating bar starts and how tall it is) are
chart geometry from the gap's four figures, not statistics.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from xlseg.sheets.blocks import header_names, text_block
from xlseg.sheets.layout import (
    COLORS,
    COUNT,
    GENERAL,
    LIFT,
    P_VALUE,
    PERCENT,
    Block,
    ChartSpec,
    Column,
    ConditionalFormat,
    Row,
    SheetLayout,
    cell_value,
)
from xlseg.sheets.present import decimals_format, format_number

SIGNED_WHOLE = "+#,##0;-#,##0;0"
SCAN_ROWS = 25  # rows of the scan table on the sheet (the formula and the API return all)
FINDINGS = 5  # sentences at the top of the sheet (3 on the Summary)


def _signed(fmt: str) -> str:
    """A number format that always shows the sign (for differences and effects)."""
    if fmt == PERCENT:
        return LIFT
    return f"+{fmt};-{fmt};{fmt}"


def _value_format(agg: str, values: np.ndarray) -> str:
    return PERCENT if agg == "rate" else decimals_format(values)


def _difference_text(value: float, agg: str, fmt: str) -> str:
    """A signed difference for a sentence: ``+2.6 points`` for rates, ``−1.25`` for means."""
    sign = "−" if value < 0 else "+"
    if agg == "rate":
        return f"{sign}{abs(value) * 100:.1f} points"
    return sign + format_number(abs(value), fmt)


def _p_text(p: float) -> str:
    return "p<0.001" if p < 0.001 else f"p={p:.3f}"


def finding_sentences(frame: pd.DataFrame, count: int = FINDINGS) -> list[str]:
    """Plain sentences for the strongest findings of a scan: significant, not explained by a parent, by impact.

    The last line says how many candidates were tested and skipped (and none stand out, when so).
    """
    facts = frame.attrs
    metric, agg, alpha = facts["metric"], facts["agg"], facts["alpha"]
    column = metric.rpartition(" ")[0]
    fmt = _value_format(agg, frame[metric].to_numpy(dtype=float, na_value=np.nan)) if len(frame) else PERCENT
    chosen = frame[(frame["p"] < alpha) & (frame["explained_by"] == "")].head(count)
    lines = []
    for row in chosen.to_dict("records"):
        impact = float(row["impact"])
        size = f"{abs(impact):,.0f}"
        if agg == "rate":
            excess = f"about {size} {'more' if impact > 0 else 'fewer'} with {column} than at the rest's rate"
        else:
            excess = f"{abs(impact):,.0f} {'more' if impact > 0 else 'less'} {column} in total than at the rest's mean"
        lines.append(
            f"{row['segment']} ({row['dimension']}, {int(row['users']):,} users): {metric} "
            f"{format_number(row[metric], fmt)} vs {format_number(row['rest'], fmt)} for everyone else "
            f"({_difference_text(row['difference'], agg, fmt)}, {_p_text(row['p'])}) — {excess}.")
    level = f"{1 - alpha:.0%}"
    counts = (f"{facts['tested']:,} segments and pairs tested against the rest ({facts['skipped']:,} with fewer than "
              f"{facts['min_size']:,} users skipped); p adjusted across all of them (Benjamini–Hochberg).")
    if not lines:
        return [f"No segment's {metric} differs from the rest at the {level} level. " + counts]
    return [*lines, f"{facts['significant']:,} stand out at the {level} level. " + counts]


def scan_sheet(frame: pd.DataFrame, *, name: str = "What stands out", rows: int = SCAN_ROWS) -> SheetLayout:
    """The "What stands out" sheet: the top findings as sentences, the ranked table and a chart of impact."""
    facts = frame.attrs
    metric, agg, alpha = facts["metric"], facts["agg"], facts["alpha"]
    shown = frame.head(rows)[["segment", "dimension", *frame.columns[2:]]]  # the segment labels the chart's bars
    values = frame[metric].to_numpy(dtype=float, na_value=np.nan)
    fmt = _value_format(agg, values)
    impact_format = SIGNED_WHOLE if agg == "rate" else _signed(decimals_format(frame["impact"].to_numpy(float)))
    formats = {"users": COUNT, "share": PERCENT, metric: fmt, "rest": fmt, "difference": _signed(fmt),
               "lift": LIFT, "lo": fmt, "hi": fmt, "p": P_VALUE, "impact": impact_format}
    names = list(shown.columns)
    headers = header_names(names)
    widths = {"dimension": 18.0, "segment": 22.0, "explained_by": 24.0}
    columns = [Column(h, formats.get(n, GENERAL), widths.get(n, 11.0)) for n, h in zip(names, headers, strict=True)]
    difference_at = names.index("difference")
    table_rows = []
    for record in shown.itertuples(index=False):
        values_row = tuple(cell_value(v) for v in record)
        p, difference, explained = record[names.index("p")], record[difference_at], record[names.index("explained_by")]
        tones = {difference_at: "up" if difference > 0 else "down"} if p < alpha and difference != 0 else {}
        table_rows.append(Row(values_row, muted=bool(explained), tones=tones))
    plotted = shown["impact"].to_numpy(dtype=float)
    chart = None
    if len(shown) >= 2:
        chart = ChartSpec("bar", f"Impact: users × difference from the rest ({metric})", headers[names.index("impact")],
                          impact_format, placement="below", height_pt=float(min(max(18 * len(shown) + 80, 200), 700)),
                          width_pt=620.0, axis_from_zero=not bool((plotted < 0).any()))
    notes = [
        f"{metric}: the segment's value; rest: everyone else's; difference: segment − rest; lift: segment ÷ overall"
        f" {format_number(facts['overall'], fmt)} − 1.",
        f"lo / hi: {1 - alpha:.0%} interval of the segment's value ({'Wilson' if agg == 'rate' else 't'}); p: segment"
        f" vs the rest ({'two-proportion z' if agg == 'rate' else 'Welch t'}), Benjamini–Hochberg adjusted across all"
        f" {facts['tested']:,} tested; green / red: significant.",
        "impact: users with a value × difference — " + ("the excess (or missing) count of yes" if agg == "rate"
                                                         else "the excess (or missing) total") + "; rows sorted"
        " significant first, then by size of impact.",
        "explained_by (grey rows): the pair's value lies inside the interval of one of its single segments, so it"
        " repeats that finding.",
    ]
    if len(frame) > rows:
        notes.append(f"The {rows} first of {len(frame):,} rows; =SEG_SCAN or xlseg.scan() give them all.")
    table = Block("Segments and pairs vs the rest", columns, 1, table_rows, notes=notes, table_name="scan_" + metric,
                  chart=chart)
    sentences = text_block("What stands out", finding_sentences(frame))
    subtitle = (f"{metric} · {len(facts['dimensions'])} dimensions"
                f"{' and their pairs' if facts['depth'] == 2 else ''} · {facts['tested']:,} tested")
    return SheetLayout(name, f"What stands out: {metric}", subtitle, [sentences, table], kind="scan")


def gap_sheet(frame: pd.DataFrame, *, name: str | None = None) -> SheetLayout:
    """The gap sheet: the explanation, a waterfall (overall A → rate effect → mix effect → overall B) and the
    per-segment contributions."""
    facts = frame.attrs
    a, b, metric, agg, by = facts["a"], facts["b"], facts["metric"], facts["agg"], facts["by"]
    level_fmt = _value_format(agg, frame[[f"{metric} {a}", f"{metric} {b}"]].to_numpy(dtype=float).ravel())
    effect_fmt = _signed(level_fmt)
    steps = [(f"Overall {a}", facts["overall_a"]), ("Rate effect", facts["rate_effect"]),
             ("Mix effect", facts["mix_effect"]), (f"Overall {b}", facts["overall_b"])]
    levels = [facts["overall_a"], facts["overall_a"] + facts["rate_effect"], facts["overall_b"], facts["overall_b"]]
    value_name, base, total, rise, fall = header_names([metric, "base", "overall", "rise", "fall"])
    water_rows = []
    for i, (label, value) in enumerate(steps):
        if i in (0, 3):
            cells = (label, value, None, value, None, None)
        else:
            start, end = levels[i - 1], levels[i]
            cells = (label, value, min(start, end), None, value if value > 0 else None, -value if value < 0 else None)
        shown_as = level_fmt if i in (0, 3) else effect_fmt
        water_rows.append(Row(tuple(cell_value(c) for c in cells), formats={1: shown_as}))
    helper = "chart helper"
    water_columns = [Column("step", GENERAL, 16.0), Column(value_name, level_fmt, 12.0),
                     Column(base, level_fmt, 10.0, helper), Column(total, level_fmt, 10.0, helper),
                     Column(rise, f"+{level_fmt}", 10.0, helper), Column(fall, f'"−"{level_fmt}', 10.0, helper)]
    chart = None
    if min(levels + [facts["overall_a"]]) >= 0:
        chart = ChartSpec("column", f"{metric}: {a} → {b}", base, level_fmt, width_pt=430.0, height_pt=240.0,
                          stacked=(total, rise, fall), colors=(None, COLORS["bar"], COLORS["pos"], COLORS["neg"]))
    def effect(value: float) -> str:
        return _difference_text(value, agg, level_fmt)

    interval = ""
    if np.isfinite(facts["rate_effect_lo"]):
        interval = (f" ({facts['confidence']:.0%} CI {effect(facts['rate_effect_lo'])} to "
                    f"{effect(facts['rate_effect_hi'])})")
    summary = (f"Gap {effect(facts['gap'])} = rate effect {effect(facts['rate_effect'])}{interval} + mix effect "
               f"{effect(facts['mix_effect'])}.")
    waterfall = Block("From the overall value of one group to the other", water_columns, 1, water_rows,
                      caption=summary, notes=[
                          "Rate effect: Σ (value B − value A) × average share — the segments behave differently.",
                          "Mix effect: Σ (share B − share A) × average value — the groups hold different segments.",
                          "Kitagawa (1955): the two add up to the gap exactly. A segment in one group only counts"
                          " in the mix effect.",
                      ], chart=chart)
    names = list(frame.columns)
    headers = header_names(names)
    formats = {f"share {a}": PERCENT, f"share {b}": PERCENT, f"{metric} {a}": level_fmt, f"{metric} {b}": level_fmt,
               "rate effect": effect_fmt, "mix effect": effect_fmt, "total": effect_fmt}
    columns = [Column(h, formats.get(n, GENERAL), 20.0 if n == "segment" else 12.0)
               for n, h in zip(names, headers, strict=True)]
    rows = [Row(tuple(cell_value(v) for v in record), kind="total" if i == len(frame) - 1 else "body")
            for i, record in enumerate(frame.itertuples(index=False))]
    effects = tuple(headers[names.index(n)] for n in ("rate effect", "mix effect", "total"))
    contributions = Block(f"Per {by} segment", columns, 1, rows, table_name=f"gap_{by}", conditional=[
        ConditionalFormat("color_scale", effects, (COLORS["neg"], COLORS["neutral"], COLORS["pos"]), midpoint=0.0)],
        notes=["total = rate effect + mix effect: the segment's part of the gap; the Total row sums the segments."])
    explanation = text_block("What explains the gap", list(facts.get("notes", [])), caption=facts["explanation"])
    title = f"Gap in {metric}: {a} vs {b} by {by}"
    return SheetLayout(name or f"Gap {a} vs {b}", title, f"Kitagawa decomposition by {by}",
                       [explanation, waterfall, contributions], kind="gap")


__all__ = ["finding_sentences", "gap_sheet", "scan_sheet"]


