"""Paint :class:`~xlseg.sheets.layout.SheetLayout` s into a new openpyxl workbook and save it atomically.

The writer decides nothing: positions, formats, colours, charts and names come from the layout. It only
maps them to openpyxl objects. It never opens a user's workbook for re-saving (openpyxl would drop images,
shapes, VBA …); it always builds a new one.

Text safety: every ``str`` in a layout is a label. openpyxl would store ``"=1+1"`` as a formula and
``"#N/A"`` as an error value, so :func:`write_value` forces the cell's type back to a string and sets
``quotePrefix`` on risky strings (the file then holds ``<c t="s">`` with a shared string, and the cell
style has ``quotePrefix="1"``, so Excel and LibreOffice show it literally, even after the user edits it).
"""

from __future__ import annotations

from collections.abc import Sequence

from openpyxl import Workbook
from openpyxl.cell.cell import Cell as XlCell
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.chart.axis import ChartLines
from openpyxl.chart.data_source import NumDataSource, NumRef
from openpyxl.chart.error_bar import ErrorBars
from openpyxl.chart.label import DataLabelList
from openpyxl.chart.shapes import GraphicalProperties
from openpyxl.drawing.line import LineProperties
from openpyxl.formatting.rule import ColorScaleRule, DataBarRule
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.table import Table as XlTable
from openpyxl.worksheet.table import TableStyleInfo
from openpyxl.worksheet.worksheet import Worksheet

from xlseg.errors import XlsegError
from xlseg.sheets.layout import COLORS, Block, Cell, CellValue, ChartSpec, SheetLayout, assign_names, link_location
from xlseg.sheets.names import NameBook
from xlseg.sheets.textsafe import needs_protection

PT_PER_CM = 72 / 2.54
_THIN = Side(style="thin", color="BFBFBF")
_ACCENT = Side(style="medium", color=COLORS["accent"])


LINK_COLOR = "0563C1"  # Excel's hyperlink blue
BODY_FONT = "Calibri"  # named explicitly: a font without a family renders in the viewer's default (serif)


def _font(**style: object) -> Font:
    return Font(name=BODY_FONT, **style)  # type: ignore[arg-type]


def write_value(cell: XlCell, value: CellValue) -> None:
    """Store ``value`` in ``cell``; strings always as literal text, never as formula or error value."""
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"  # undo openpyxl's "=…" → formula and "#N/A" → error inference
        if needs_protection(value):
            cell.quotePrefix = True


def _style(cell: XlCell, spec: Cell) -> None:
    part, emphasis = spec.part, spec.emphasis
    if spec.number_format and part == "value":
        cell.number_format = spec.number_format
    if part == "title":
        cell.font = _font(size=16, bold=True, color=COLORS["accent"])
    elif part == "subtitle":
        cell.font = _font(size=10, italic=True, color=COLORS["note"])
    elif part == "block_title":
        cell.font = _font(size=12, bold=True, color=COLORS["accent"])
    elif part == "caption":
        cell.font = _font(size=11, italic=True, color=COLORS["caption"])
    elif part == "note":
        cell.font = _font(size=9, color=COLORS["note"])
    elif part == "spanner":
        cell.font = _font(bold=True, color=COLORS["accent"])
        cell.alignment = Alignment(horizontal="center")
        cell.border = Border(bottom=_THIN)
    elif part == "header":
        cell.font = _font(bold=True, color=COLORS["header_text"])
        cell.fill = PatternFill("solid", fgColor=COLORS["accent"])
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
    else:  # label / value
        bold = emphasis in ("total", "subtotal")
        color = COLORS["muted"] if emphasis == "muted" else None
        cell.font = _font(bold=bold, color=color)
        if emphasis in ("total", "subtotal"):
            fill = COLORS["total_fill"] if emphasis == "total" else COLORS["subtotal_fill"]
            cell.fill = PatternFill("solid", fgColor=fill)
            cell.border = Border(top=_ACCENT if emphasis == "total" else _THIN)
        if part == "label":
            cell.alignment = Alignment(horizontal="left")
        if spec.tone in ("up", "down"):
            cell.fill = PatternFill("solid", fgColor=COLORS[spec.tone])


def _a1(r1: int, c1: int, r2: int, c2: int) -> str:
    return f"{get_column_letter(c1)}{r1}:{get_column_letter(c2)}{r2}"


def paint_block(ws: Worksheet, block: Block) -> None:
    """Paint one block at its anchor (``block.top``/``block.left``) into an existing worksheet.

    Writes the cells, merges the spanners, adds the Excel table, the conditional formats and the chart.
    Used by :func:`paint_sheet` and by templates that place blocks into a copied sheet.
    """
    for spec in block.cells():
        cell = ws.cell(row=spec.row, column=spec.col)
        write_value(cell, spec.value)
        _style(cell, spec)
        if spec.link:
            cell.hyperlink = Hyperlink(ref=cell.coordinate, location=link_location(spec.link))
            cell.font = _font(underline="single", color=LINK_COLOR)
    for _, (r1, c1, r2, c2) in block.spanner_ranges():
        if c2 > c1:
            ws.merge_cells(start_row=r1, start_column=c1, end_row=r2, end_column=c2)
    table_range = block.table_range()
    if block.table_name and table_range is not None and block.rows:
        table = XlTable(displayName=block.table_name, ref=_a1(*table_range))
        table.tableStyleInfo = TableStyleInfo(name="TableStyleLight1", showRowStripes=False)
        ws.add_table(table)
    for cf in block.conditional:
        rule = _rule(cf.kind, cf.colors, cf.midpoint)
        for r in block.conditional_ranges(cf):
            ws.conditional_formatting.add(_a1(*r), rule)
    if block.chart is not None:
        _add_chart(ws, block, block.chart)


def _rule(kind: str, colors: Sequence[str], midpoint: float | None) -> object:
    if kind == "data_bar":
        return DataBarRule(start_type="num", start_value=0, end_type="max", color=colors[0], showValue=True)
    if len(colors) == 3:
        return ColorScaleRule(start_type="min", start_color=colors[0], mid_type="num", mid_value=midpoint,
                              mid_color=colors[1], end_type="max", end_color=colors[2])
    return ColorScaleRule(start_type="min", start_color=colors[0], end_type="max", end_color=colors[1])


def _ref(ws: Worksheet, r1: int, c1: int, r2: int, c2: int) -> Reference:
    return Reference(ws, min_col=c1, min_row=r1, max_col=c2, max_row=r2)


def _add_chart(ws: Worksheet, block: Block, spec: ChartSpec) -> None:
    ranges = block.chart_ranges()
    anchor = block.chart_anchor()
    if ranges is None or anchor is None:
        return
    (cr1, cc1, cr2, cc2), _ = ranges
    chart: BarChart | LineChart
    if spec.kind == "line":
        chart = LineChart()
    else:
        chart = BarChart()
        chart.type = "bar" if spec.kind == "bar" else "col"
        chart.gapWidth = 60
    chart.style = 10
    chart.title = spec.title
    if spec.legend:
        chart.legend.position = "b"  # below the chart
    else:
        chart.legend = None
    series_ranges = block.chart_series()
    for series_range, _ in series_ranges:
        chart.add_data(_ref(ws, *series_range), titles_from_data=True)
    chart.set_categories(_ref(ws, cr1, cc1, cr2, cc2))
    chart.y_axis.number_format = spec.number_format
    chart.y_axis.majorGridlines = ChartLines()
    chart.y_axis.majorGridlines.spPr = GraphicalProperties(ln=LineProperties(solidFill="D9D9D9"))
    if spec.axis_from_zero:
        chart.y_axis.scaling.min = 0
    else:
        chart.x_axis.tickLblPos = "low"  # category labels beside the chart, not over bars below zero
    if spec.axis_step is not None:
        chart.y_axis.majorUnit = spec.axis_step
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    if spec.kind == "bar":
        chart.x_axis.scaling.orientation = "maxMin"  # first category on top, like the table
    if spec.stacked:
        _paint_series(chart, block, spec, series_ranges)
    else:
        _paint_single(ws, chart, block, spec, series_ranges[0][1] or COLORS["bar"])
    chart.width = spec.width_pt / PT_PER_CM
    chart.height = spec.height_pt / PT_PER_CM
    ws.add_chart(chart, f"{get_column_letter(anchor[1])}{anchor[0]}")


_LABELS = {"showVal": True, "showCatName": False, "showSerName": False, "showLegendKey": False, "showPercent": False}


def _paint_series(chart: BarChart | LineChart, block: Block, spec: ChartSpec,
                  series_ranges: list[tuple[tuple[int, int, int, int], str | None]]) -> None:
    """Several series: stacked columns (a waterfall, lifecycle states) or lines side by side, each in its
    colour (None: an invisible series, a waterfall's base), labelled in its column's format when asked."""
    line = spec.kind == "line"
    for series, ((_, c1, _, _), color) in zip(chart.series, series_ranges, strict=True):
        if color is None:
            series.graphicalProperties.noFill = True
            series.graphicalProperties.line.noFill = True
            continue
        if line:
            series.smooth = False  # straight segments: a smoothed curve would invent values between periods
        else:
            series.graphicalProperties.solidFill = color
        series.graphicalProperties.line.solidFill = color
        if spec.data_labels:
            series.dLbls = DataLabelList(**_LABELS)
            series.dLbls.numFmt = block.columns[c1 - block.left].number_format
    if not line:
        chart.grouping = "stacked"
        chart.overlap = 100


def _paint_single(ws: Worksheet, chart: BarChart | LineChart, block: Block, spec: ChartSpec, color: str) -> None:
    """One series; with chart data, 95% interval error bars and a dashed line at the overall value, else value
    labels."""
    series = chart.series[0]
    series.graphicalProperties.line.solidFill = color
    if spec.kind == "line":
        series.marker.symbol = "circle"
        series.smooth = False
    else:
        series.graphicalProperties.solidFill = color
    extra = block.chart_data_ranges()
    if extra is not None and spec.kind != "bar":
        series.errBars = ErrorBars(errDir="y", errBarType="both", errValType="cust", noEndCap=False,
                                   plus=NumDataSource(numRef=NumRef(f=str(_ref(ws, *extra["plus"])))),
                                   minus=NumDataSource(numRef=NumRef(f=str(_ref(ws, *extra["minus"])))))
        reference = LineChart() if spec.kind != "line" else chart
        reference.add_data(_ref(ws, *extra["overall"]), titles_from_data=True)
        line = reference.series[-1]
        line.graphicalProperties.line.solidFill = COLORS["accent"]
        line.graphicalProperties.line.dashStyle = "dash"
        line.graphicalProperties.line.width = 19050  # 1.5 pt
        line.marker.symbol = "none"
        line.smooth = False
        if reference is not chart:
            chart += reference
    elif spec.data_labels:
        chart.dataLabels = DataLabelList(**_LABELS)
        chart.dataLabels.numFmt = spec.number_format


def paint_sheet(ws: Worksheet, layout: SheetLayout) -> None:
    """Paint a whole sheet layout into an (empty) worksheet: cells, blocks, widths, freeze panes, print setup."""
    ws.title = layout.name
    for spec in layout.cells():
        if spec.part in ("title", "subtitle"):
            cell = ws.cell(row=spec.row, column=spec.col)
            write_value(cell, spec.value)
            _style(cell, spec)
    for block in layout.blocks:
        paint_block(ws, block)
    for col, width in layout.widths.items():
        ws.column_dimensions[get_column_letter(col)].width = width
    for row, height in layout.heights.items():
        ws.row_dimensions[row].height = height
    if layout.freeze is not None:
        ws.freeze_panes = f"{get_column_letter(layout.freeze[1])}{layout.freeze[0]}"
    ws.sheet_view.showGridLines = False
    ws.page_setup.orientation = "landscape" if layout.landscape else "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = False
    ws.page_margins.left = ws.page_margins.right = 0.5


def build_workbook(sheets: Sequence[SheetLayout]) -> Workbook:
    """A new openpyxl workbook with one worksheet per layout (names made valid and unique first)."""
    if not sheets:
        raise XlsegError("nothing to write: the report has no sheets")
    assign_names(sheets, NameBook())
    wb = Workbook()
    first = wb.active
    assert first is not None
    for i, layout in enumerate(sheets):
        ws = first if i == 0 else wb.create_sheet()
        paint_sheet(ws, layout)
    return wb

