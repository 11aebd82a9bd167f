"""Paint :class:`~xlseg.sheets.layout.SheetLayout` s into a live workbook through xlwings.

The same public xlwings Book/Sheet/Range API drives Excel on Windows (COM) and xlwings' remote engine,
so this writer serves the macro in desktop Excel and is tested on Linux through the remote engine, which
records every write as a JSON action. Like the openpyxl writer it decides nothing: positions, formats,
colours and charts come from the layout.

Calls to Excel are expensive, so each sheet's values go out in one rectangular write and formats are set
on whole runs of cells (a column of one number format, a header row, a total row), never cell by cell.

Text safety: every ``str`` in a layout is a label. Excel parses a string written to a cell like typed
input (``"=1+1"`` becomes a formula, ``"#N/A"`` an error, ``"1-2"`` a date, ``"007"`` the number 7), so
every string is written with a leading apostrophe, which Excel (COM and Office.js) takes as "this is
text" and does not show or return as part of the value.

Charts: the value series, the overall value as a line series (both from the layout's chart data), the
value axis from zero with the layout's label step and number format; stacked charts (a waterfall) as
Excel's stacked chart types. Not painted here (xlwings has no engine-neutral API for them): print setup
(landscape, fit to page width), the reversed category axis of horizontal bar charts, series colours of
stacked charts (a waterfall's invisible base series is hidden through COM in desktop Excel only), and the
interval's error bars except in desktop Excel on Windows (COM; see :func:`_error_bars`). Sheet links in
the Summary are hyperlinks (``#'Sheet'!A1``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from itertools import groupby
from typing import Any

from xlwings.utils import hex_to_rgb

from xlseg.sheets.layout import (
    COLORS,
    GENERAL,
    Block,
    CellValue,
    ChartSpec,
    ConditionalFormat,
    SheetLayout,
    assign_names,
    link_location,
)
from xlseg.sheets.names import NameBook

TEXT_PREFIX = "'"
TABLE_STYLE = "TableStyleLight1"
_ACCENT = f"#{COLORS['accent']}"


def excel_value(value: CellValue) -> object:
    """What to hand Excel for a layout value: strings as literal text (leading apostrophe), None as empty."""
    if isinstance(value, str):
        return TEXT_PREFIX + value if value else None
    return value


def add_sheets(book: Any, layouts: Sequence[SheetLayout], *, after: Any,
               on_sheet: Callable[[Any, int], None] | None = None) -> list[Any]:
    """Add one new sheet per layout after the sheet ``after`` and paint it; return the new sheets.

    Sheet and table names are made valid and unique against everything already in ``book`` (sheets,
    Excel tables, defined names), so no existing sheet is ever written to. ``on_sheet(sheet, n)`` is called
    for the n-th new sheet (from 1) as soon as it exists, before it is painted — the macro marks it there,
    so a failure while painting leaves only sheets it will recognise and replace on the next run.
    """
    taken_tables = [t.name for s in book.sheets for t in s.tables] + [_plain_name(n.name) for n in book.names]
    assign_names(layouts, NameBook(sheets=[s.name for s in book.sheets], tables=taken_tables))
    sheets = []
    previous = after
    for layout in layouts:
        sheet = book.sheets.add(name=layout.name, after=previous)
        if on_sheet is not None:
            on_sheet(sheet, len(sheets) + 1)
        paint_sheet(sheet, layout)
        sheets.append(sheet)
        previous = sheet
    return sheets


def _plain_name(name: str) -> str:
    """A defined name without its sheet scope (``Sheet1!x`` → ``x``)."""
    return name.rsplit("!", 1)[-1]


def paint_sheet(sheet: Any, layout: SheetLayout) -> None:
    """Paint a whole layout into an empty sheet: values, formats, tables, conditional formats, charts."""
    _write_values(sheet, layout)
    for spec in layout.cells():
        if spec.part in ("title", "subtitle"):
            _font(sheet.range((spec.row, spec.col)), spec.part)
    for block in layout.blocks:
        paint_block(sheet, block, values_written=True)
    for col, width in sorted(layout.widths.items()):
        sheet.range((1, col)).column_width = width
    for row, height in sorted(layout.heights.items()):
        sheet.range((row, 1)).row_height = height
    if layout.freeze is not None:
        sheet.freeze_panes.freeze_at(sheet.range(layout.freeze))
    sheet.show_gridlines = False


def _write_values(sheet: Any, layout: SheetLayout) -> None:
    """All values of the sheet in one rectangular write (empty cells as None)."""
    values = layout.values()
    if not values:
        return
    last_row = max(r for r, _ in values)
    last_col = max(c for _, c in values)
    grid: list[list[object]] = [[None] * last_col for _ in range(last_row)]
    for (r, c), value in values.items():
        grid[r - 1][c - 1] = excel_value(value)
    sheet.range((1, 1), (last_row, last_col)).value = grid


def paint_block(sheet: Any, block: Block, *, values_written: bool = False) -> None:
    """Paint one block at its anchor: values (unless already written), formats, table, rules, chart."""
    if not values_written:
        for spec in block.cells():
            if spec.value is not None:
                sheet.range((spec.row, spec.col)).value = excel_value(spec.value)
    _block_text_formats(sheet, block)
    if block.columns:
        _table_formats(sheet, block)
    for _, (r1, c1, r2, c2) in block.spanner_ranges():
        spanner = sheet.range((r1, c1), (r2, c2))
        if c2 > c1:
            spanner.merge()
        spanner.font.bold = True
        spanner.font.color = _ACCENT
        spanner.horizontal_alignment = "center"
    table_range = block.table_range()
    if block.table_name and table_range is not None and block.rows:
        r1, c1, r2, c2 = table_range
        sheet.tables.add(source=sheet.range((r1, c1), (r2, c2)), name=block.table_name,
                         table_style_name=TABLE_STYLE)
    for cf in block.conditional:
        for r1, c1, r2, c2 in block.conditional_ranges(cf):
            _conditional(sheet.range((r1, c1), (r2, c2)), cf)
    for cell in block.cells():
        if cell.link and isinstance(cell.value, str):
            target = sheet.range((cell.row, cell.col))
            target.add_hyperlink("#" + link_location(cell.link), cell.value, f"Go to {cell.link}")
    if block.chart is not None:
        _chart(sheet, block)


def _font(rng: Any, part: str) -> None:
    """Fonts of the text parts, as the openpyxl writer paints them."""
    size, bold, italic, color = {
        "title": (16, True, False, "accent"),
        "subtitle": (10, False, True, "note"),
        "block_title": (12, True, False, "accent"),
        "caption": (11, False, True, "caption"),
        "note": (9, False, False, "note"),
    }[part]
    rng.font.size = size
    if bold:
        rng.font.bold = True
    if italic:
        rng.font.italic = True
    rng.font.color = f"#{COLORS[color]}"


def _block_text_formats(sheet: Any, block: Block) -> None:
    for spec in block.cells():
        if spec.part in ("block_title", "caption"):
            _font(sheet.range((spec.row, spec.col)), spec.part)
    if block.notes:
        first = block.last_table_row + 1 if block.columns else block.header_row
        _font(sheet.range((first, block.left), (first + len(block.notes) - 1, block.left)), "note")


def _table_formats(sheet: Any, block: Block) -> None:
    left, right = block.left, block.left + len(block.columns) - 1
    header = sheet.range((block.header_row, left), (block.header_row, right))
    header.font.bold = True
    header.font.color = f"#{COLORS['header_text']}"
    header.color = _ACCENT
    header.wrap_text = True
    header.horizontal_alignment = "center"
    if not block.rows:
        return
    first, last = block.first_body_row, block.last_table_row
    for fmt, (r1, c1, r2, c2) in _format_runs(block):
        sheet.range((r1, c1), (r2, c2)).number_format = fmt
    if block.stub:
        sheet.range((first, left), (last, left + block.stub - 1)).horizontal_alignment = "left"
    for r1, r2 in _runs(first + i for i, row in enumerate(block.rows) if row.muted and row.kind == "body"):
        sheet.range((r1, left), (r2, right)).font.color = f"#{COLORS['muted']}"
    for i, row in enumerate(block.rows):
        if row.kind in ("total", "subtotal"):
            line = sheet.range((first + i, left), (first + i, right))
            line.font.bold = True
            line.color = f"#{COLORS['total_fill' if row.kind == 'total' else 'subtotal_fill']}"
            weight = "medium" if row.kind == "total" else "thin"
            color = COLORS["accent"] if row.kind == "total" else "BFBFBF"
            line.borders.set("edge_top", line_style="continuous", weight=weight, color=f"#{color}")
        for index, tone in sorted(row.tones.items()):
            if tone in ("up", "down"):
                sheet.range((first + i, left + index)).color = f"#{COLORS[tone]}"


def _format_runs(block: Block) -> list[tuple[str, tuple[int, int, int, int]]]:
    """The non-General number formats of the block's value cells as ``(format, (r1, c1, r2, c2))``
    rectangles: runs of rows down each column, joined across adjacent columns with the same runs."""
    by_column: dict[int, list[tuple[int, str]]] = {}
    for cell in block.cells():
        if cell.part == "value" and cell.number_format != GENERAL:
            by_column.setdefault(cell.col, []).append((cell.row, cell.number_format))
    down: list[tuple[str, int, int, int]] = []  # (format, first_row, last_row, col)
    for col, cells in sorted(by_column.items()):
        for fmt, group in groupby(sorted(cells), key=lambda item: item[1]):
            for r1, r2 in _runs(row for row, _ in group):
                down.append((fmt, r1, r2, col))
    out: list[tuple[str, tuple[int, int, int, int]]] = []
    for fmt, r1, r2, col in sorted(down, key=lambda d: (d[0], d[1], d[2], d[3])):
        if out and out[-1][0] == fmt and out[-1][1][0] == r1 and out[-1][1][2] == r2 and out[-1][1][3] == col - 1:
            out[-1] = (fmt, (r1, out[-1][1][1], r2, col))
        else:
            out.append((fmt, (r1, col, r2, col)))
    return out


def _runs(numbers: Iterable[int]) -> list[tuple[int, int]]:
    """Consecutive integers as ``(first, last)`` runs."""
    out = []
    for _, group in groupby(enumerate(numbers), key=lambda pair: pair[1] - pair[0]):
        items = [n for _, n in group]
        out.append((items[0], items[-1]))
    return out


def _conditional(rng: Any, cf: ConditionalFormat) -> None:
    colors = [f"#{c}" for c in cf.colors]
    formats = rng.conditional_formats
    if cf.kind == "data_bar":
        formats.add_data_bar(colors[0], minimum=0, gradient=True, show_value=True)
    elif len(colors) == 3:
        # lowest value / a number / highest value, like the openpyxl writer's rule; the public
        # add_color_scale() only takes one threshold type for all three stops, the engines take any
        formats.impl.add_color_scale({
            "colors": tuple(hex_to_rgb(c) for c in colors),
            "threshold_types": ("lowest_value", "number", "highest_value"),
            "thresholds": (None, cf.midpoint, None),
        })
    else:
        formats.add_color_scale(colors)


def _hide_first_series(chart: Any) -> None:
    """No fill for a waterfall's base series, through the COM object model where there is one (desktop Excel).

    xlwings has no engine-neutral API for series fills; elsewhere (the remote engine) the base stays visible.
    """
    try:
        chart.api[1].SeriesCollection(1).Format.Fill.Visible = False
    except Exception:  # noqa: BLE001 - no COM object model here: the base series keeps its fill
        return


_CHART_TYPES = {"bar": "bar_clustered", "column": "column_clustered", "line": "line"}
_STACKED_TYPES = {"bar": "bar_stacked", "column": "column_stacked", "line": "line"}  # several lines side by side


def _chart_type(spec: ChartSpec) -> str:
    """Excel's chart type: stacked for several column series, markers on a line with an interval."""
    if spec.kind == "line" and spec.data is not None:
        return "line_markers"
    return (_STACKED_TYPES if spec.stacked else _CHART_TYPES)[spec.kind]


def _chart(sheet: Any, block: Block) -> None:
    """The block's chart: the value series, and with chart data the overall value as a second series drawn as
    a dashed line; the value axis from zero with the layout's label step and number format. The interval's
    error bars need Excel's own chart object (COM, see :func:`_error_bars`)."""
    spec, ranges, anchor = block.chart, block.chart_ranges(), block.chart_anchor()
    if spec is None or ranges is None or anchor is None:
        return
    (cr1, cc1, cr2, cc2), (vr1, vc1, vr2, vc2) = ranges
    extra = block.chart_data_ranges() if spec.kind != "bar" and not spec.stacked else None
    if extra is not None:
        vr1, vc1, vr2, vc2 = extra["series"]
    else:
        vc2 = max(r[3] for r, _ in block.chart_series())  # stacked series sit in adjacent columns
    chart = sheet.charts.add(
        chart_type=_chart_type(spec), source=sheet.range((vr1, vc1), (vr2, vc2)), plot_by="columns",
        anchor=sheet.range(anchor), width=spec.width_pt, height=spec.height_pt,
    )
    chart.set_x_axis_values(sheet.range((cr1, cc1), (cr2, cc2)))
    chart.title = spec.title
    if spec.stacked:
        if spec.colors and spec.colors[0] is None:
            _hide_first_series(chart)
    else:
        count = 2 if extra is not None else 1
        _series(chart, 1, count).set(fill_color=f"#{COLORS['bar']}", line_color=f"#{COLORS['bar']}")
        if extra is not None:
            _series(chart, 2, count).set(chart_type="line", line_color=_ACCENT)
            _error_bars(sheet, chart, extra)
    axis = chart.value_axis
    if spec.axis_from_zero:
        axis.minimum_scale = 0
    if spec.axis_step is not None:
        axis.major_unit = spec.axis_step
    axis.number_format = spec.number_format


def _series(chart: Any, index: int, count: int) -> Any:
    """Series ``index`` of a chart made from ``count`` columns. Excel counts the series itself; the remote
    engine cannot read them back synchronously, so its collection is told the count this writer made."""
    try:
        return chart.series(index)
    except NotImplementedError:
        from xlwings.main import ChartSeries

        return ChartSeries(impl=type(chart.impl.series)(chart.impl, count=count)(index))


def _error_bars(sheet: Any, chart: Any, extra: dict[str, tuple[int, int, int, int]]) -> None:
    """Custom error bars (the interval) on the value series, through Excel's COM object model on Windows.

    xlwings has no engine-neutral call for error bars; on other engines (the remote engine, Office.js) the
    chart keeps its reference line and the interval stays in the table and the chart data.
    """
    if getattr(getattr(sheet.book.app, "engine", None), "name", "") != "excel":
        return
    x_y, both, custom = 1, 1, -4114  # xlY, xlErrorBarIncludeBoth, xlErrorBarTypeCustom
    plus = sheet.range(*(extra["plus"][:2], extra["plus"][2:])).api
    minus = sheet.range(*(extra["minus"][:2], extra["minus"][2:])).api
    chart.api[1].SeriesCollection(1).ErrorBar(Direction=x_y, Include=both, Type=custom, Amount=plus,
                                              MinusValues=minus)
