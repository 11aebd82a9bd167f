"""Generate ``templates/corporate.xlsx``, the template shipped with xlseg, reproducibly with openpyxl.

Run ``python templates/make_templates.py`` (or ``python templates/make_templates.py OUTDIR``). The result
is byte-identical on every run with the same openpyxl: fixed created/modified times in docProps/core.xml
and fixed timestamps on the zip entries.

The workbook (placeholders are documented in :mod:`xlseg.writers.templates`):

* a workbook theme "xlseg Corporate" (navy/teal/gold palette, Calibri Light headings, Calibri body);
* **Summary** (portrait): a navy title band with ``{{ title }}``, ``{{ subtitle }}`` and ``{{ date }}``, a
  shaded merged "Your logo" box, a gold rule, a ``Source: {{ source }}`` line and ``{{ summary }}``;
* **Breakdown** (landscape): the same band and ``{{ breakdown:* }}`` — a sheet prototype copied once per
  breakdown and heatmap of the report;
* **About** (static): text that is kept as it is;
* footers with the page number, "Confidential" headers, print setup fitted to one page width.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import sys
import zipfile
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.theme import theme_xml

HERE = Path(__file__).resolve().parent
OUTPUT = HERE / "corporate.xlsx"
FIXED_TIME = dt.datetime(2024, 1, 1, 0, 0, 0)
ZIP_TIME = (2024, 1, 1, 0, 0, 0)

#: The palette (RRGGBB); NAVY is xlseg's accent colour so painted tables match the band.
NAVY = "1F4E79"
TEAL = "2E75B6"
GOLD = "C9A227"
LIGHT = "EAEEF3"
GREY = "595959"
WHITE = "FFFFFF"
HEADING_FONT = "Calibri Light"
BODY_FONT = "Calibri"
SUMMARY_BAND = 12  # columns B..M: a portrait page
BREAKDOWN_BAND = 18  # columns B..S: about as wide as a breakdown table

THEME_COLORS = {"dk2": NAVY, "lt2": LIGHT, "accent1": NAVY, "accent2": TEAL, "accent3": GOLD, "accent4": "70AD47",
                "accent5": "A5A5A5", "accent6": "ED7D31", "hlink": TEAL, "folHlink": "7030A0"}


def corporate_theme() -> str:
    """openpyxl's default theme XML renamed "xlseg Corporate", with our palette and fonts."""
    xml = theme_xml.replace('name="Office Theme"', 'name="xlseg Corporate"')
    xml = xml.replace('<a:clrScheme name="Office">', '<a:clrScheme name="xlseg Corporate">')
    xml = xml.replace('<a:fontScheme name="Office">', '<a:fontScheme name="xlseg Corporate">')
    for slot, rgb in THEME_COLORS.items():
        xml, n = re.subn(rf"(<a:{slot}>\s*<a:srgbClr val=\")[0-9A-F]{{6}}", rf"\g<1>{rgb}", xml)
        assert n == 1, slot
    xml = xml.replace('<a:latin typeface="Cambria"/>', f'<a:latin typeface="{HEADING_FONT}"/>', 1)
    return xml


def _fill(color: str) -> PatternFill:
    return PatternFill("solid", fgColor=color)


def title_band(ws: Worksheet, second_line: str, third_line: str, columns: int) -> None:
    """Rows 2–4: the logo box (B2:C4), the navy band with ``{{ title }}`` and two more lines, a gold rule.

    The band covers ``columns`` columns from B. The third line (the date) is merged across D4:H4 so a long
    date has room whatever width the filled tables give column D (a date never overflows into neighbours).
    """
    ws.column_dimensions["A"].width = 2.0
    ws.row_dimensions[1].height = 8.0
    for row in (2, 3, 4):
        for col in range(4, 2 + columns):
            ws.cell(row=row, column=col).fill = _fill(NAVY)
    ws.row_dimensions[2].height = 30.0
    ws.row_dimensions[3].height = 16.0
    ws.row_dimensions[4].height = 16.0
    ws["D2"] = "{{ title }}"
    ws["D2"].font = Font(name=HEADING_FONT, size=20, color=WHITE)
    ws["D2"].alignment = Alignment(vertical="center")
    ws["D3"] = second_line
    ws["D3"].font = Font(name=BODY_FONT, size=10, italic=True, color=WHITE)
    ws["D4"] = third_line
    ws["D4"].font = Font(name=BODY_FONT, size=10, color=WHITE)
    ws["D4"].number_format = "d mmmm yyyy"
    ws["D4"].alignment = Alignment(horizontal="left")
    ws.merge_cells("D4:H4")
    # the logo placeholder: a shaded merged box (replace it with your logo in Excel)
    dashed = Side(style="dashed", color="8EA9C1")
    ws.merge_cells("B2:C4")
    for row in (2, 3, 4):
        for col in (2, 3):
            cell = ws.cell(row=row, column=col)
            cell.fill = _fill(LIGHT)
            cell.border = Border(left=dashed if col == 2 else None, right=dashed if col == 3 else None,
                                 top=dashed if row == 2 else None, bottom=dashed if row == 4 else None)
    ws["B2"] = "Your logo"
    ws["B2"].font = Font(name=BODY_FONT, size=11, italic=True, color="8EA9C1")
    ws["B2"].alignment = Alignment(horizontal="center", vertical="center")
    ws.row_dimensions[5].height = 4.0
    for col in range(2, 2 + columns):
        ws.cell(row=5, column=col).fill = _fill(GOLD)


def print_setup(ws: Worksheet, landscape: bool) -> None:
    """Fit to one page width, narrow margins, a "Confidential" header and a page-number footer."""
    ws.sheet_view.showGridLines = False
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    ws.oddHeader.right.text = "Confidential — internal use"
    ws.oddHeader.right.size = 8
    ws.oddHeader.right.color = GREY
    ws.oddFooter.left.text = "&A"
    ws.oddFooter.left.size = 8
    ws.oddFooter.right.text = "Page &P of &N"
    ws.oddFooter.right.size = 8


def build() -> Workbook:
    """The corporate template as an openpyxl workbook (not saved)."""
    wb = Workbook()
    wb.loaded_theme = corporate_theme().encode("utf-8")
    wb.properties.creator = "xlseg templates/make_templates.py"
    wb.properties.title = "xlseg corporate report template"
    wb.properties.created = FIXED_TIME
    wb.properties.modified = FIXED_TIME

    summary = wb.active
    assert summary is not None
    summary.title = "Summary"
    summary.sheet_properties.tabColor = NAVY
    title_band(summary, "{{ subtitle }}", "{{ date }}", SUMMARY_BAND)
    summary["B6"] = "Source: {{ source }}"
    summary["B6"].font = Font(name=BODY_FONT, size=9, italic=True, color=GREY)
    summary["B8"] = "{{ summary }}"
    summary.column_dimensions["B"].width = 14.0
    summary.column_dimensions["C"].width = 14.0
    print_setup(summary, landscape=False)

    proto = wb.create_sheet("Breakdown")
    proto.sheet_properties.tabColor = TEAL
    title_band(proto, "Source: {{ source }}", "{{ date }}", BREAKDOWN_BAND)
    proto["B7"] = "{{ breakdown:* }}"
    proto.column_dimensions["B"].width = 14.0
    proto.column_dimensions["C"].width = 14.0
    proto.freeze_panes = "A6"  # the band stays in view while scrolling
    print_setup(proto, landscape=True)
    proto.print_title_rows = "2:5"

    about = wb.create_sheet("About")
    about.sheet_properties.tabColor = GOLD
    about.column_dimensions["A"].width = 2.0
    about.column_dimensions["B"].width = 100.0
    about["B2"] = "About this report"
    about["B2"].font = Font(name=HEADING_FONT, size=16, color=NAVY)
    lines = [
        "This workbook was made from the xlseg corporate template (templates/corporate.xlsx).",
        "Summary: the data set, the contents and how to read the numbers.",
        "One sheet per breakdown: users, share, rates and means per segment, with intervals, lift and p-values.",
        "Green cells are significantly above the overall value, red cells below; grey rows have few users.",
        "Replace the \"Your logo\" box with your logo, and edit this sheet freely: xlseg keeps it as it is.",
    ]
    for i, line in enumerate(lines, 4):
        about.cell(row=i, column=2, value=line).font = Font(name=BODY_FONT, size=11, color=GREY)
    print_setup(about, landscape=False)
    wb.active = 0
    return wb


def reproducible(data: bytes) -> bytes:
    """Rewrite an .xlsx package with fixed zip timestamps and a fixed modified time in docProps/core.xml."""
    stamp = FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ")
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            content = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>" + stamp.encode(), content)
            fixed = zipfile.ZipInfo(info.filename, date_time=ZIP_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            dst.writestr(fixed, content)
    return out.getvalue()


def write(path: Path = OUTPUT) -> Path:
    """Build the template and write it to ``path`` (reproducible bytes); returns the path."""
    buffer = io.BytesIO()
    build().save(buffer)
    path.write_bytes(reproducible(buffer.getvalue()))
    return path


if __name__ == "__main__":
    target = Path(sys.argv[1]) / OUTPUT.name if len(sys.argv) > 1 else OUTPUT
    print(f"wrote {write(target)}")
