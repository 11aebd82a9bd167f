"""Fill a styled Excel template with a report: placeholders in cells become the report's blocks.

Reading the template (placeholders, slots, refused parts) is :mod:`xlseg.writers.template_scan`; this module fills it.

A template is an ordinary .xlsx (or .xltx) workbook designed in Excel: fonts, colours, a logo box, headers
and footers, print settings, static sheets. :func:`fill_template` loads it with openpyxl (the template file
is only read), paints the report into the loaded copy and saves the result atomically at a new path.

Placeholders
------------
A placeholder is ``{{ name }}`` (spaces inside the braces are optional, names ignore case).

*Block placeholders* must be the whole text of their cell; that cell becomes the top-left corner (the
anchor) of what is painted, with the same cells, formats, Excel tables, conditional formats and charts as
in a plain report:

* ``{{ summary }}`` — the Summary sheet's tables and notes (data set, contents, columns, how to read).
* ``{{ breakdown:geography }}``, ``{{ breakdown:device,plan }}`` — one breakdown (columns in the order the
  report used), with its heading ("By geography") and one-line description above the table.
* ``{{ crosstab:plan:device }}`` — the heatmap of ROWS:COLUMNS (several columns per side with commas).
* ``{{ breakdown:* }}`` / ``{{ crosstab:* }}`` — a *sheet prototype*: the sheet holding it is copied once
  for every breakdown (crosstab) the template does not place elsewhere, each copy named after the report
  sheet and filled at that cell; the prototype sheet itself is removed. A kind without its own prototype
  uses the other kind's.

*Value placeholders* may stand alone or inside text (``Prepared on {{ date }}``):

* ``{{ title }}`` / ``{{ subtitle }}`` — the report's title and its one-line description;
* ``{{ date }}`` — today's date (a real date alone in a cell, keeping the cell's date format);
* ``{{ source }}`` — where the numbers come from (users analysed, xlseg version);
* any key of ``values=`` passed to :func:`fill_template` (``values={"client": "ACME"}`` fills
  ``{{ client }}``; it can also override the four above).

A workbook- or sheet-scoped *defined name* ``xlseg_<placeholder>`` pointing at one cell works like a block
or value placeholder in that cell: ``xlseg_summary``, ``xlseg_title``, ``xlseg_breakdown_geography``,
``xlseg_breakdown_device_plan``, ``xlseg_crosstab_plan_x_device`` (names with ``_`` for separators).

Rules
-----
* A placeholder naming a breakdown the report does not have is an :class:`XlsegError` listing the
  placeholders the report can fill. Unknown names are errors too (typos must not pass silently).
* What a block paints grows down and to the right of its anchor: those cells must be empty in the template
  (styles are fine) and not merged, otherwise the fill stops with an error naming the cell. Charts placed
  right of a table may float over template content; keep the area right of a block free.
* Sheets without placeholders stay as they are (static content).
* Report sheets the template does not place go to a sheet prototype; without one they are appended after
  the template's sheets in xlseg's standard look (the Summary first, if it is not placed either).
* Kept from the template: cell values and styles, the workbook theme, column widths (a column under a block
  is only ever widened to what the block needs), row heights, merged cells, freeze panes, headers and
  footers, print setup and print titles, defined names, Excel tables, charts, comments, hyperlinks,
  conditional formats and data validations. Copies of a prototype sheet get its cells, styles, widths,
  merges, view, print setup, headers/footers, conditional formats and data validations.
* Refused with an :class:`XlsegError` naming what was found (openpyxl would silently drop or damage it on
  re-save, see DESIGN.md): macros (VBA — the output is a macro-free .xlsx), shapes and text boxes, pictures
  (unless Pillow is installed, then they are kept), sparklines, Excel 2010+ data-validation and
  conditional-format extensions, form and ActiveX controls, slicers, timelines, threaded comments, pictures
  in cells, dynamic-array formulas, header/footer pictures, sheet backgrounds, Office add-ins; pivot tables
  too, to be safe (openpyxl rewrites them from its own model). Any other openpyxl load warning about
  content it "will remove" is refused as well.
  Printer-driver settings, the calculation chain, chart style parts and custom XML parts are not kept
  either; they hold no visible content and Excel rebuilds or defaults them.
* Sheet and table names stay valid and unique (:class:`~xlseg.sheets.names.NameBook` seeded with the template's
  sheets, tables and defined names). An .xltx template gives an .xlsx workbook.
"""

from __future__ import annotations

import copy
import datetime as dt
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from openpyxl.utils import get_column_letter
from openpyxl.utils.cell import column_index_from_string, range_boundaries
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from xlseg.errors import XlsegError, did_you_mean
from xlseg.sheets.layout import DATE, GENERAL, Block, SheetLayout, cell_value
from xlseg.sheets.names import NameBook
from xlseg.writers.atomic import atomic_write, check_output_path
from xlseg.writers.openpyxl_writer import BODY_FONT, paint_block, paint_sheet, write_value
from xlseg.writers.template_scan import (
    PLACEHOLDER,
    TEMPLATE_SUFFIXES,
    Slot,
    Target,
    TemplatePlan,
    find_slots,
    layout_target,
    load_template,
    parse_placeholder,
    template_problems,
)

__all__ = ["build_filled_workbook", "check_template_path", "fill_template", "template_problems"]


def fill_template(
    sheets: Sequence[SheetLayout],
    path: str | os.PathLike[str],
    template: str | os.PathLike[str],
    *,
    values: Mapping[str, object] | None = None,
    today: dt.date | None = None,
) -> Path:
    """Fill ``template`` with the report ``sheets`` and save the result atomically at ``path``; returns it.

    Args:
        sheets: the report's sheet layouts, Summary first (``Report.sheets``); they are not modified.
        path: the new workbook (.xlsx); may not be the template.
        template: the .xlsx/.xltx to fill; only read, never written.
        values: extra or overriding value placeholders (``{"client": "ACME", "source": "users.csv"}``).
        today: the date for ``{{ date }}`` (default: today).

    Raises:
        XlsegError: the template is missing or unreadable, holds content openpyxl would drop, or has a
            placeholder the report cannot fill, or a block would overwrite template content.
    """
    if not sheets:
        raise XlsegError("nothing to write: the report has no sheets")
    template_path = check_template_path(template)
    target = check_output_path(path, template_path)
    wb = build_filled_workbook(sheets, template_path, values=values, today=today)
    return atomic_write(target, lambda temp: wb.save(temp))


def check_template_path(template: str | os.PathLike[str]) -> Path:
    """The template's path, or a one-line error when it is missing or not an .xlsx/.xltx workbook."""
    template_path = Path(template)
    if not template_path.is_file():
        raise XlsegError(f"the template '{template_path}' does not exist; give the path of an .xlsx workbook")
    if template_path.suffix.lower() not in TEMPLATE_SUFFIXES:
        raise XlsegError(f"the template '{template_path.name}' must be an .xlsx or .xltx workbook")
    return template_path


def build_filled_workbook(
    sheets: Sequence[SheetLayout],
    template: str | os.PathLike[str],
    *,
    values: Mapping[str, object] | None = None,
    today: dt.date | None = None,
) -> Workbook:
    """The filled openpyxl workbook (not saved); see :func:`fill_template`."""
    layouts = [copy.deepcopy(s) for s in sheets]  # names and anchors change; the report stays as it is
    wb = load_template(Path(template))
    plan = find_slots(wb)
    by_target = _index(layouts)
    scalars = _scalar_values(layouts, values, today)
    _check(plan, by_target, scalars)

    active = wb.active
    proto_sheets = {id(s.ws) for s in plan.prototypes.values()}
    book = NameBook(
        sheets=[ws.title for ws in wb.worksheets if id(ws) not in proto_sheets] + [cs.title for cs in wb.chartsheets],
        tables=[*_defined_names(wb), *(t for ws in wb.worksheets for t in ws.tables)],
    )
    placed = {id(_resolve(slot.what, by_target)) for slot in plan.slots
              if isinstance(slot.what, Target) and not slot.what.any}
    unplaced = [s for s in layouts if id(s) not in placed]
    renames: dict[str, str] = {}
    jobs: list[tuple[Slot, SheetLayout]] = []
    for slot in plan.slots:
        if isinstance(slot.what, Target) and not slot.what.any:
            layout = _resolve(slot.what, by_target)
            jobs.append((slot, layout))
            renames.setdefault(layout.name, slot.ws.title)
    appended: list[SheetLayout] = []
    copies: dict[int, list[Worksheet]] = {id(p.ws): [] for p in plan.prototypes.values()}
    for i, proto in enumerate(plan.prototypes.values()):
        proto.ws.title = f"xlseg-prototype-{i}"  # frees its name for a copy; the prototype is removed below
    for layout in unplaced:
        proto = plan.prototypes.get(layout.kind) or next(iter(plan.prototypes.values()), None)
        if layout.kind == "summary" or proto is None:
            appended.append(layout)
            continue
        ws = _copy_sheet(wb, proto.ws, book.sheet(layout.name))
        copies[id(proto.ws)].append(ws)
        renames[layout.name] = ws.title
        jobs.append((Slot(ws, proto.row, proto.col, Target(layout.kind), proto.text, "prototype"), layout))
        plan.slots += [Slot(ws, s.row, s.col, s.what, s.text, s.where) for s in list(plan.slots)
                       if s.ws is proto.ws and not isinstance(s.what, Target)]
    order: list = []  # the copies take their prototype's place; the prototypes go
    for ws in wb._sheets:
        if id(ws) in copies:
            order += copies[id(ws)]
        elif not any(ws is o for o in order):
            order.append(ws)
    wb._sheets = order
    for layout in appended:
        original = layout.name
        layout.name = book.sheet(layout.name)
        renames.setdefault(original, layout.name)
    plan.slots = [s for s in plan.slots if s.ws in wb._sheets]

    _rename_contents(layouts, renames)
    for slot in plan.slots:
        if not isinstance(slot.what, Target):
            _fill_value(slot, scalars)
    for slot, layout in sorted(jobs, key=lambda j: (wb.worksheets.index(j[0].ws), j[0].row, j[0].col)):
        _place(slot, layout, book)
    summary_first = sorted(appended, key=lambda s: s.kind != "summary")
    for layout in summary_first:
        for block in layout.blocks:
            if block.table_name:
                block.table_name = book.table(block.table_name)
        ws = wb.create_sheet()
        paint_sheet(ws, layout)
        _template_font(ws, list(ws._cells))
    for ws in wb.worksheets:
        for view in ws.views.sheetView:
            view.tabSelected = False
    wb.active = wb.worksheets.index(active) if active in wb.worksheets else 0
    wb.active.sheet_view.tabSelected = True  # type: ignore[union-attr]
    return wb


def _defined_names(wb: Workbook) -> list[str]:
    names = list(wb.defined_names)
    for ws in wb.worksheets:
        names += list(ws.defined_names)
    return names


def _index(layouts: Sequence[SheetLayout]) -> dict[Target, SheetLayout]:
    out: dict[Target, SheetLayout] = {}
    for layout in layouts:
        target = layout_target(layout)
        if target is not None:
            out.setdefault(target, layout)
    return out


def _resolve(what: Target, by_target: Mapping[Target, SheetLayout]) -> SheetLayout:
    if what.name:
        for target, layout in by_target.items():
            if target.kind == what.kind and target.defined_name == what.name:
                return layout
        raise KeyError(what.name)
    return by_target[what]


def _available(by_target: Mapping[Target, SheetLayout]) -> str:
    return ", ".join("{{ " + t.text + " }}" for t in by_target)


def _check(plan: TemplatePlan, by_target: Mapping[Target, SheetLayout], scalars: Mapping[str, object]) -> None:
    for slot in plan.slots:
        what = slot.what
        if isinstance(what, Target):
            if what.any:
                continue
            try:
                _resolve(what, by_target)
            except KeyError:
                raise XlsegError(
                    f"the template asks for {{{{ {what.text} }}}} at {slot.cell_name} ({slot.where}), but the report"
                    f" has no such {what.kind}; it can fill {_available(by_target)}"
                ) from None
            continue
        for match in PLACEHOLDER.finditer(slot.text) if slot.where == "cell" else [None]:
            name = parse_placeholder(match.group(1)) if match else what
            if isinstance(name, str) and name not in scalars:
                hint = did_you_mean(name, scalars)
                known = ", ".join("{{ " + k + " }}" for k in scalars)
                raise XlsegError(f"unknown placeholder {{{{ {name} }}}} at {slot.cell_name}{hint or ''}; value"
                                 f" placeholders are {known}, tables are {_available(by_target)}")


def _scalar_values(layouts: Sequence[SheetLayout], values: Mapping[str, object] | None,
                   today: dt.date | None) -> dict[str, object]:
    from xlseg.version import __version__

    summary = next((s for s in layouts if s.kind == "summary"), layouts[0])
    users = _summary_fact(summary, "Users (rows analysed)")
    source = f"{users:,} users analysed by xlseg {__version__}" if isinstance(users, int) else f"xlseg {__version__}"
    out: dict[str, object] = {"title": summary.title, "subtitle": summary.subtitle or "",
                              "date": today or dt.date.today(), "source": source}
    for key, value in (values or {}).items():
        out[str(key).strip().casefold()] = value
    return out


def _summary_fact(summary: SheetLayout, label: str) -> object:
    for block in summary.blocks:
        for row in block.rows:
            if row.values and row.values[0] == label and len(row.values) > 1:
                return row.values[1]
    return None


def _fill_value(slot: Slot, scalars: Mapping[str, object]) -> None:
    """Replace the value placeholder(s) of one cell, keeping the cell's style.

    A placeholder alone in its cell (or a defined name's cell) gets the value itself (a date stays a date);
    placeholders inside text are replaced by their text (dates as yyyy-mm-dd). Strings are written as text.
    """
    cell = slot.ws.cell(row=slot.row, column=slot.col)
    alone = PLACEHOLDER.fullmatch(slot.text.strip())
    if slot.where != "cell" or alone:
        name = str(slot.what) if slot.where != "cell" else str(parse_placeholder(alone.group(1)))  # type: ignore[union-attr]
        value = scalars[name]
        write_value(cell, cell_value(value, "a template value"))
        if isinstance(value, dt.date) and cell.number_format == GENERAL:
            cell.number_format = DATE
        return

    def as_text(match: re.Match[str]) -> str:
        value = scalars[str(parse_placeholder(match.group(1)))]
        return value.isoformat() if isinstance(value, dt.date) else str(value)

    write_value(cell, cell_value(PLACEHOLDER.sub(as_text, slot.text), "a template value"))


def _rename_contents(layouts: Sequence[SheetLayout], renames: Mapping[str, str]) -> None:
    """Point the Summary's sheet names and links (Contents, Findings) at the sheets where each report sheet
    ended up."""
    summary = next((s for s in layouts if s.kind == "summary"), None)
    if summary is None:
        return
    for block in summary.blocks:
        for row in block.rows:
            values = list(row.values)
            for i, target in row.links.items():
                if target in renames:
                    if values[i] == target:
                        values[i] = renames[target]
                    row.links[i] = renames[target]
            if block.title == "Contents" and values and isinstance(values[0], str) and values[0] in renames \
                    and not row.links:
                values[0] = renames[values[0]]
            row.values = tuple(values)


def _place(slot: Slot, layout: SheetLayout, book: NameBook) -> None:
    """Paint ``layout`` with its top-left corner at the slot's cell (see the module docstring)."""
    ws = slot.ws
    blocks = [copy.deepcopy(b) for b in layout.blocks]
    if layout.kind == "summary":
        first = min((b.top for b in blocks), default=1)
    else:
        blocks.insert(0, Block(title=layout.title, caption=layout.subtitle, top=1, left=1))
        first = 1
    dr, dc = slot.row - first, slot.col - 1
    for block in blocks:
        block.top += dr
        block.left += dc
        if block.table_name:
            block.table_name = book.table(block.table_name)
    _check_room(slot, blocks)
    ws.cell(row=slot.row, column=slot.col).value = None
    for block in blocks:
        paint_block(ws, block)
        _template_font(ws, [(c.row, c.col) for c in block.cells()])
    for col, width in layout.widths.items():
        _widen(ws, col + dc, width)
    for row, height in layout.heights.items():
        dim = ws.row_dimensions[row + dr]
        if dim.height is None or dim.height < height:
            dim.height = height


def _template_font(ws: Worksheet, cells: Iterable[tuple[int, int]]) -> None:
    """Painted cells in xlseg's own font get the template's body font (its Normal style's font)."""
    family = ws.parent._fonts[0].name if ws.parent._fonts else None
    if not family:
        return
    for row, col in cells:
        cell = ws.cell(row=row, column=col)
        if cell.font is not None and cell.font.name in (None, BODY_FONT):
            font = copy.copy(cell.font)
            font.name = family
            cell.font = font


def _check_room(slot: Slot, blocks: Sequence[Block]) -> None:
    ws = slot.ws
    areas = [(b.top, b.left, b.bottom, b.left + b.width - 1) for b in blocks]
    for (row, col), cell in ws._cells.items():
        if (row, col) == (slot.row, slot.col) or cell.value is None:
            continue
        if any(r1 <= row <= r2 and c1 <= col <= c2 for r1, c1, r2, c2 in areas):
            raise XlsegError(
                f"{slot.text} at {slot.cell_name} needs rows {areas[0][0]}–{max(a[2] for a in areas)} and columns"
                f" {get_column_letter(min(a[1] for a in areas))}–{get_column_letter(max(a[3] for a in areas))} free,"
                f" but {cell.coordinate} holds template content; move the placeholder or that content"
            )
    for merged in ws.merged_cells.ranges:
        c1, r1, c2, r2 = range_boundaries(merged.coord)
        for a in areas:
            if r1 <= a[2] and a[0] <= r2 and c1 <= a[3] and a[1] <= c2:
                raise XlsegError(f"{slot.text} at {slot.cell_name} would paint over the merged cells {merged.coord};"
                                 " move the placeholder or unmerge them")


def _widen(ws: Worksheet, col: int, width: float) -> None:
    """Give column ``col`` at least ``width``; a width the template set is kept when it is wider."""
    _split_column_groups(ws)
    letter = get_column_letter(col)
    if letter in ws.column_dimensions:
        dim = ws.column_dimensions[letter]
        if dim.width and dim.width >= width:
            return
    ws.column_dimensions[letter].width = width


def _split_column_groups(ws: Worksheet) -> None:
    """Turn ``<col min=2 max=5>`` groups into one dimension per column, so single columns can change."""
    for key, dim in list(ws.column_dimensions.items()):
        lo, hi = dim.min or column_index_from_string(key), dim.max or column_index_from_string(key)
        if hi <= lo:
            continue
        for col in range(lo, hi + 1):
            one = copy.copy(dim)
            one.index = get_column_letter(col)
            one.min = one.max = col
            ws.column_dimensions[one.index] = one


def _copy_sheet(wb: Workbook, source: Worksheet, title: str) -> Worksheet:
    """A copy of ``source`` named ``title`` placed after it: cells, styles, merges, view, print setup, rules."""
    ws = wb.copy_worksheet(source)
    ws.title = title
    ws.merged_cells.ranges = set()
    for merged in source.merged_cells.ranges:
        ws.merge_cells(merged.coord)
    ws.views = copy.deepcopy(source.views)
    ws.HeaderFooter = copy.deepcopy(source.HeaderFooter)
    ws.protection = copy.copy(source.protection)
    if source.print_title_rows:
        ws.print_title_rows = source.print_title_rows
    if source.print_title_cols:
        ws.print_title_cols = source.print_title_cols
    for cf in source.conditional_formatting:
        for rule in cf.rules:
            ws.conditional_formatting.add(str(cf.sqref), copy.copy(rule))
    for dv in source.data_validations.dataValidation:
        ws.add_data_validation(copy.copy(dv))
    return ws
