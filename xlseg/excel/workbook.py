"""``xlseg workbook PATH.xlsm``: a ready-to-use Excel workbook for the formulas and the macro.

The workbook is built at run time from ``xlwings quickstart`` (its .xlsm carries the VBA that calls
Python through the xlwings add-in) and then edited with openpyxl (``keep_vba=True``, which keeps that
VBA project as it is):

* ``How to`` — the steps and example formulas;
* ``Users`` — a sample table (:func:`xlseg.demo.make_users`) as the Excel Table ``Users``;
* ``xlseg`` — the macro's settings as key/value rows (see :mod:`xlseg.excel.args`);
* ``xlwings.conf`` — quickstart's ``_xlwings.conf`` sheet, activated, with ``UDF Modules`` set to
  :data:`UDF_MODULES` so *Import Functions* finds the formulas and the macro.

Next to the workbook goes ``<name>.py`` with a ``main()`` that runs the macro: the xlwings ribbon's
*Run main* button (and quickstart's ``SampleCall`` macro) import the module named like the workbook.
"""

from __future__ import annotations

import keyword
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd
from openpyxl import load_workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.table import Table as XlTable
from openpyxl.worksheet.table import TableStyleInfo
from openpyxl.worksheet.worksheet import Worksheet

from xlseg.demo import make_users
from xlseg.errors import XlsegError
from xlseg.writers.atomic import atomic_write, check_output_path
from xlseg.writers.openpyxl_writer import write_value

UDF_MODULES = "xlseg.excel.udfs;xlseg.excel.macros"
CONF_SHEET = "xlwings.conf"
CONFIG_SHEET = "xlseg"
DATA_SHEET = "Users"
HOWTO_SHEET = "How to"
COMPANION_MARK = "# xlseg workbook companion"

#: The macro's settings in the demo workbook: (key, value, what it does).
CONFIG_ROWS: list[tuple[str, object, str]] = [
    ("by", "device", "one breakdown per 'by' row; 'plan, device' is one breakdown by both"),
    ("by", "plan", ""),
    ("by", "geography, device", ""),
    ("metrics", "converted:rate; session_length:mean,median; revenue:mean", "column:aggregation; …"),
    ("crosstab", "geography:device", "rows:columns heatmap; leave empty for none"),
    ("bins", "session_length:q4", "column:spec (q4, width:10, equal:5, edges:18,25,35, month, top:5)"),
    ("top", 8, "keep the N largest categories, fold the rest into Other"),
    ("min_size", 30, "segments with fewer users are greyed and flagged"),
    ("confidence", 0.95, "level of the intervals and tests"),
    ("title", "Users by segment", "title of the result"),
    ("scan", "converted:rate", "adds 'What stands out': every segment and pair of segments vs the rest"),
    ("gap", "plan:Free:Pro", "adds a sheet: the first metric's gap between two groups, split by the first 'by'"),
]

HOWTO_LINES: list[str] = [
    "xlseg: user segmentation for Excel, computed in Python",
    "",
    "Once: pip install xlseg (pip install . in its source folder), then xlwings addin install (restart Excel). "
    "Open this file with macros enabled.",
    "Formulas: xlwings tab → Import Functions. Then type a formula in an empty cell; its result spills.",
    '=SEG_BREAKDOWN(Users[#All], "device", "converted:rate; session_length:mean,median")',
    '=SEG_BREAKDOWN(Users[#All], "geography, device", "converted:rate", "min_size=30; compare; top=5")',
    '=SEG_CROSSTAB(Users[#All], "plan", "device", "converted")',
    '=SEG_CROSSTAB(Users[#All], "geography", "device", , , "row")',
    '=SEG_SCAN(Users[#All], "converted:rate", "by=device, plan, geography; top=20")',
    '=SEG_GAP(Users[#All], "device", "converted:rate", "plan:Free:Pro")',
    '=SEG_COMPARE(Users[#All], "plan", "converted:rate")',
    '=SEG_BINS(Users[session_length], "q4")',
    "=SEG_PROFILE(Users[#All])",
    "Activity tables (one row per event: user id, time, amount), e.g. a table named Events:",
    '=SEG_RETENTION(Events[#All], "user_id", "time", "month", "mode=on_or_after")',
    '=SEG_LIFECYCLE(Events[#All], "user_id", "time", "week")',
    '=SEG_RFM(Events[#All], "user_id", "time", "amount", "summary")',
    '=SEG_ENGAGEMENT(Events[#All], "user_id", "time", 28, "summary")',
    '=SEG_ACTIVITY(Events[#All], "user_id", "time", "amount")',
    "Options (last argument): min_size=30; compare; intervals; top=5; bins=age:q4; sort=users; roles=signup:date",
    "Reading options: na=-999 (another missing-value word; NA, N/A, NULL and the like already are); header_row=3",
    "",
    "Macro: click any cell in a table (or select it), then xlwings tab → Run main.",
    "(After Import Functions, Alt+F8 → SegmentSelection does the same.)",
    "It writes result sheets after the data sheet and never changes your sheets. Running it again replaces",
    "only the result sheets xlseg made for the same data sheet. Settings come from the xlseg sheet.",
    "",
    "Troubleshooting: #NAME? → click Import Functions again. A sentence in the cell says what to fix.",
    f"The xlwings.conf sheet sets UDF Modules = {UDF_MODULES}; the Interpreter row can point to your python.",
]


def build_workbook(path: str | os.PathLike[str], *, rows: int = 500, overwrite: bool = False) -> Path:
    """Create a ready workbook at ``path`` (a new .xlsm) and its ``<name>.py`` companion; return the path.

    Args:
        path: the .xlsm to create; its name must work as a Python module name (``demo.xlsm``), because
            xlwings' *Run main* imports the module named like the workbook.
        rows: sample users in the ``Users`` sheet.
        overwrite: replace an existing workbook (and an xlseg-made companion .py).

    Raises:
        XlsegError: wrong extension or name, an existing file without ``overwrite``, a ``<name>.py`` that
            xlseg did not write, or ``xlwings quickstart`` failing.
    """
    target = check_output_path(path)
    _check_target(target, overwrite)
    companion = target.with_suffix(".py")
    with tempfile.TemporaryDirectory(prefix="xlseg-quickstart-") as folder:
        workbook = _edit(load_workbook(_quickstart(Path(folder)), keep_vba=True), rows)
        atomic_write(target, lambda temp: workbook.save(temp))
    atomic_write(companion, lambda temp: temp.write_text(_companion_source(), encoding="utf-8"))
    return target


def _check_target(target: Path, overwrite: bool) -> None:
    if target.suffix.lower() != ".xlsm":
        raise XlsegError(f"'{target.name}' must end in .xlsm (the workbook holds xlwings' macros), e.g. demo.xlsm")
    module = target.stem
    if not module.isidentifier() or keyword.iskeyword(module):
        raise XlsegError(f"'{target.name}': use a name made of letters, digits and _ (e.g. demo.xlsm); xlwings' "
                         "Run main imports the Python module named like the workbook")
    if target.exists() and not overwrite:
        raise XlsegError(f"'{target}' already exists; choose another name or overwrite it (--force)")
    companion = target.with_suffix(".py")
    if companion.exists() and COMPANION_MARK not in companion.read_text(encoding="utf-8", errors="replace"):
        raise XlsegError(f"'{companion.name}' exists and is not xlseg's; choose another workbook name")


def _quickstart(folder: Path) -> Path:
    """Run ``xlwings quickstart`` in ``folder`` and return the .xlsm it made."""
    name = "xlseg_workbook"
    command = [sys.executable, "-m", "xlwings.cli", "quickstart", name]
    try:
        done = subprocess.run(command, cwd=folder, capture_output=True, text=True, timeout=300, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise XlsegError(f"could not run 'xlwings quickstart' ({exc})") from exc
    made = folder / name / f"{name}.xlsm"
    if done.returncode != 0 or not made.is_file():
        detail = (done.stderr or done.stdout).strip().splitlines()
        raise XlsegError(f"'xlwings quickstart' failed: {detail[-1] if detail else 'no workbook was made'}")
    return made


def _edit(workbook: Workbook, rows: int) -> Workbook:
    """Turn quickstart's workbook into xlseg's: conf sheet, users, settings and how-to."""
    _activate_conf(workbook)
    data = workbook.worksheets[0]
    data.title = DATA_SHEET
    _write_users(data, make_users(rows))
    _write_config(workbook.create_sheet(CONFIG_SHEET, 1))
    howto = workbook.create_sheet(HOWTO_SHEET, 0)
    _write_howto(howto)
    workbook.active = 0
    for sheet in workbook.worksheets:
        sheet.sheet_view.tabSelected = sheet is howto
    return workbook


def _activate_conf(workbook: Workbook) -> None:
    """Rename ``_xlwings.conf`` to ``xlwings.conf`` (which activates it) and set ``UDF Modules``."""
    if "_xlwings.conf" not in workbook.sheetnames:
        raise XlsegError("the xlwings quickstart workbook has no _xlwings.conf sheet; update xlwings")
    conf = workbook["_xlwings.conf"]
    conf.title = CONF_SHEET
    for row in conf.iter_rows(min_col=1, max_col=2):
        if row[0].value == "UDF Modules":
            row[1].value = UDF_MODULES
            return
    raise XlsegError("the xlwings.conf sheet has no 'UDF Modules' row; update xlwings")


def _write_users(sheet: Worksheet, users: pd.DataFrame) -> None:
    """The sample table, as the Excel Table ``Users`` so formulas can say ``Users[#All]``."""
    for j, name in enumerate(users.columns, 1):
        write_value(sheet.cell(1, j), str(name))
        sheet.cell(1, j).font = Font(bold=True)
    for i, record in enumerate(users.itertuples(index=False), 2):
        for j, value in enumerate(record, 1):
            cell = sheet.cell(i, j)
            if isinstance(value, pd.Timestamp):
                cell.value = value.to_pydatetime()
                cell.number_format = "yyyy-mm-dd"
            elif isinstance(value, str):
                write_value(cell, value)
            else:
                cell.value = value.item() if hasattr(value, "item") else value
    last = f"{get_column_letter(len(users.columns))}{len(users) + 1}"
    table = XlTable(displayName=DATA_SHEET, ref=f"A1:{last}")
    table.tableStyleInfo = TableStyleInfo(name="TableStyleLight9", showRowStripes=True)
    sheet.add_table(table)
    for j, name in enumerate(users.columns, 1):
        sheet.column_dimensions[get_column_letter(j)].width = max(11, len(str(name)) + 3)
    sheet.freeze_panes = "A2"


def _write_config(sheet: Worksheet) -> None:
    for j, header in enumerate(("setting", "value", "what it does"), 1):
        write_value(sheet.cell(1, j), header)
        sheet.cell(1, j).font = Font(bold=True)
    for i, (key, value, note) in enumerate(CONFIG_ROWS, 2):
        write_value(sheet.cell(i, 1), key)
        if isinstance(value, str):
            write_value(sheet.cell(i, 2), value)
        else:
            sheet.cell(i, 2).value = value
        write_value(sheet.cell(i, 3), note)
    for letter, width in (("A", 14), ("B", 58), ("C", 70)):
        sheet.column_dimensions[letter].width = width


def _write_howto(sheet: Worksheet) -> None:
    for i, line in enumerate(HOWTO_LINES, 1):
        write_value(sheet.cell(i, 1), line)  # example formulas stay text: copy them into a cell
    sheet.cell(1, 1).font = Font(size=14, bold=True)
    sheet.column_dimensions["A"].width = 110


def _companion_source() -> str:
    return (
        f'{COMPANION_MARK}: xlwings\' "Run main" button imports this module (named like the workbook).\n'
        "from xlseg.excel.macros import segment_selection\n\n\n"
        "def main():\n"
        '    """Segment the selected table and write the result sheets next to it."""\n'
        "    segment_selection()\n"
    )
