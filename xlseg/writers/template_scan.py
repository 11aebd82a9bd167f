"""Reading a template: its placeholders (``{{ breakdown:geography }}``, defined names ``xlseg_…``), the
slots they mark, and what openpyxl would lose on saving it (refused with the parts named). Filling is
:mod:`xlseg.writers.templates`."""

from __future__ import annotations

import os
import re
import warnings
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.utils.cell import column_index_from_string, coordinate_from_string
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from xlseg.errors import XlsegError
from xlseg.sheets.layout import SheetLayout
from xlseg.sheets.names import clean_table_name

PLACEHOLDER = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")


DEFINED_NAME_PREFIX = "xlseg_"


TEMPLATE_SUFFIXES = (".xlsx", ".xltx", ".xlsm", ".xltm")


_ANY = "*"


# Package parts (paths inside the zip) openpyxl does not keep, with what a user would lose.
_REFUSED_PARTS = (
    ("xl/vbaProject.bin", "macros (VBA)"),
    ("xl/activeX/", "ActiveX controls"),
    ("xl/ctrlProps/", "form controls"),
    ("xl/slicers/", "slicers"),
    ("xl/slicerCaches/", "slicers"),
    ("xl/timelines/", "timelines"),
    ("xl/timelineCaches/", "timelines"),
    ("xl/pivotTables/", "pivot tables"),
    ("xl/threadedComments/", "threaded comments"),
    ("xl/richData/", "pictures in cells"),
    ("xl/metadata.xml", "dynamic-array formulas"),
    ("xl/webextensions/", "Office add-ins"),
)


# Markers inside worksheet and drawing XML.
_SHEET_MARKERS = (
    (b"sparklineGroups", "sparklines"),
    (b"x14:dataValidation", "Excel 2010+ data validations (lists from other sheets)"),
    (b"x14:conditionalFormatting", "Excel 2010+ conditional formats (data bars, icon sets)"),
    (b"<legacyDrawingHF", "header/footer pictures"),
    (b"<picture ", "a sheet background picture"),
)


_DRAWING_MARKERS = (
    (b":sp>", "shapes or text boxes"),
    (b":grpSp>", "grouped shapes"),
    (b":cxnSp>", "connector lines"),
)


_LOSS_WARNING = re.compile(r"not supported|will be (removed|lost|dropped|discarded)|being dropped", re.I)


@dataclass(frozen=True)
class Target:
    """What a block placeholder names: ``kind`` "summary", "breakdown" or "crosstab"; ``key`` the columns.

    ``key`` is ``(columns,)`` for a breakdown, ``(rows, columns)`` for a crosstab, ``()`` for the summary;
    each part a tuple of casefolded column names. ``any`` marks a sheet prototype (``breakdown:*``).
    """

    kind: str
    key: tuple[tuple[str, ...], ...] = ()
    any: bool = False
    name: str = ""  # set for a target given by a defined name (matched by :attr:`defined_name`)

    @property
    def text(self) -> str:
        """The placeholder text for messages: ``breakdown:device,plan`` (or the defined name)."""
        if self.name:
            return self.name
        if self.kind == "summary":
            return "summary"
        if self.any:
            return f"{self.kind}:*"
        return ":".join([self.kind, *(",".join(part) for part in self.key)])

    @property
    def defined_name(self) -> str:
        """The equivalent defined name: ``xlseg_breakdown_device_plan``, ``xlseg_crosstab_plan_x_device``."""
        parts = ["_".join(p) for p in self.key]
        return (DEFINED_NAME_PREFIX + clean_table_name("_".join([self.kind, "_x_".join(parts)]).strip("_"))).casefold()


def _columns(text: str) -> tuple[str, ...]:
    return tuple(c.strip().casefold() for c in text.split(",") if c.strip())


def parse_placeholder(name: str) -> Target | str:
    """A :class:`Target` for a block placeholder, or the lower-case name of a value placeholder.

    Raises :class:`XlsegError` for a malformed block placeholder (``breakdown:`` without columns).
    """
    text = " ".join(name.split())
    head, sep, rest = text.partition(":")
    head = head.strip().casefold()
    if head == "summary" and not sep:
        return Target("summary")
    if head == "breakdown" and sep:
        if rest.strip() == _ANY:
            return Target("breakdown", any=True)
        cols = _columns(rest)
        if cols and ":" not in rest:
            return Target("breakdown", (cols,))
        raise XlsegError(f"placeholder '{{{{ {text} }}}}' not understood; write {{{{ breakdown:geography }}}} or"
                         " {{ breakdown:device,plan }}")
    if head == "crosstab" and sep:
        if rest.strip() == _ANY:
            return Target("crosstab", any=True)
        rows, sep2, cols_text = rest.partition(":")
        if sep2 and _columns(rows) and _columns(cols_text) and ":" not in cols_text:
            return Target("crosstab", (_columns(rows), _columns(cols_text)))
        raise XlsegError(f"placeholder '{{{{ {text} }}}}' not understood; write it as {{{{ crosstab:ROWS:COLUMNS }}}},"
                         " e.g. {{ crosstab:plan:device }}")
    return text.casefold()


def layout_target(layout: SheetLayout) -> Target | None:
    """The :class:`Target` a report sheet answers to (from its kind and title), or None."""
    if layout.kind == "summary":
        return Target("summary")
    if layout.kind == "breakdown" and layout.title.startswith("By "):
        return Target("breakdown", (tuple(c.strip().casefold() for c in layout.title[3:].split(" × ")),))
    if layout.kind == "crosstab" and layout.title.startswith("Heatmap: "):
        rows, _, cols = layout.title[len("Heatmap: "):].partition(" × ")
        split = (lambda t: tuple(c.strip().casefold() for c in t.split(" / ")))  # noqa: E731
        return Target("crosstab", (split(rows), split(cols)))
    return None


@dataclass
class Slot:
    """One placeholder found in the template: its sheet, cell, and what it names (a Target or a value name)."""

    ws: Worksheet
    row: int
    col: int
    what: Target | str
    text: str
    where: str

    @property
    def cell_name(self) -> str:
        """``'Summary'!B7``."""
        return f"'{self.ws.title}'!{get_column_letter(self.col)}{self.row}"


@dataclass
class TemplatePlan:
    slots: list[Slot] = field(default_factory=list)
    prototypes: dict[str, Slot] = field(default_factory=dict)  # kind → slot


def template_problems(path: str | os.PathLike[str]) -> list[str]:
    """What openpyxl would drop when the template at ``path`` is loaded and saved again (empty: nothing).

    Looks at the package parts and the worksheet/drawing XML; pictures count only without Pillow.
    """
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise XlsegError(f"the template '{Path(path).name}' is not an .xlsx workbook ({exc})") from None
    found: list[str] = []
    with archive:
        names = archive.namelist()
        for name in names:
            for prefix, what in _REFUSED_PARTS:
                if name == prefix or (prefix.endswith("/") and name.startswith(prefix)):
                    found.append(what)
        for name in names:
            if name.startswith("xl/worksheets/sheet") and name.endswith(".xml"):
                data = archive.read(name)
                found += [what for marker, what in _SHEET_MARKERS if marker in data]
                if re.search(rb"<c [^>]*\bcm=\"", data):
                    found.append("dynamic-array formulas")
            elif name.startswith("xl/drawings/drawing") and name.endswith(".xml"):
                data = archive.read(name)
                found += [what for marker, what in _DRAWING_MARKERS if marker in data]
                if b":pic>" in data and not _has_pillow():
                    found.append("pictures (install Pillow to keep them)")
    return list(dict.fromkeys(found))


def _has_pillow() -> bool:
    try:
        import PIL  # noqa: F401
    except ImportError:
        return False
    return True


def load_template(path: Path) -> Workbook:
    problems = template_problems(path)
    if problems:
        raise XlsegError(f"the template '{path.name}' holds {', '.join(problems)}, which openpyxl would drop when"
                         " saving the filled copy; remove them from the template (or save it as a plain .xlsx)")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            wb = load_workbook(path, rich_text=True)
        except Exception as exc:  # openpyxl raises many types for damaged files
            raise XlsegError(f"the template '{path.name}' cannot be read as a workbook: {exc}") from None
    lost = [str(w.message) for w in caught if _LOSS_WARNING.search(str(w.message))]
    if lost:
        raise XlsegError(f"the template '{path.name}' has content openpyxl would drop: {lost[0]}; remove it from"
                         " the template")
    wb.template = False  # an .xltx template gives an .xlsx workbook
    return wb


def find_slots(wb: Workbook) -> TemplatePlan:
    plan = TemplatePlan()
    seen: set[tuple[str, int, int]] = set()
    for ws in wb.worksheets:
        for (row, col), cell in sorted(ws._cells.items()):
            value = cell.value
            if not isinstance(value, str) or "{{" not in value:
                continue
            matches = list(PLACEHOLDER.finditer(value))
            for match in matches:
                what = parse_placeholder(match.group(1))
                if isinstance(what, Target) and value.strip() != match.group(0):
                    raise XlsegError(f"the placeholder {match.group(0)} in '{ws.title}'!{cell.coordinate} must be"
                                     " the only text in its cell (it is replaced by a table)")
            if matches:
                slot = Slot(ws, row, col, parse_placeholder(matches[0].group(1)) if len(matches) == 1 else "",
                            value, "cell")
                plan.slots.append(slot)
                seen.add((ws.title, row, col))
    for name, (sheet_title, coordinate) in _xlseg_names(wb):
        if sheet_title not in wb.sheetnames:
            raise XlsegError(f"the defined name {name} points at the sheet '{sheet_title}', which the template lacks")
        target_ws = wb[sheet_title]
        try:
            letters, row = coordinate_from_string(coordinate.replace("$", ""))
        except ValueError:
            raise XlsegError(f"the defined name {name} must point at one cell, not {coordinate}") from None
        col = column_index_from_string(letters)
        if (sheet_title, row, col) in seen:
            continue
        what = _name_target(name)
        slot = Slot(target_ws, row, col, what, "{{ " + (what.text if isinstance(what, Target) else what) + " }}",
                    f"defined name {name}")
        plan.slots.append(slot)
        seen.add((sheet_title, row, col))
    for slot in plan.slots:
        if isinstance(slot.what, Target) and slot.what.any:
            if slot.what.kind in plan.prototypes:
                first = plan.prototypes[slot.what.kind].cell_name
                raise XlsegError(f"two {{{{ {slot.what.text} }}}} prototypes ({first} and {slot.cell_name}); keep one")
            plan.prototypes[slot.what.kind] = slot
    for kind, proto in plan.prototypes.items():
        others = [s for s in plan.slots if s.ws is proto.ws and isinstance(s.what, Target) and s is not proto]
        if others:
            raise XlsegError(f"the {{{{ {kind}:* }}}} sheet '{proto.ws.title}' is copied per {kind}; it may hold no"
                             f" other table placeholder ({others[0].text} at {others[0].cell_name})")
        if proto.ws._charts or proto.ws._images or proto.ws.tables:
            raise XlsegError(f"the {{{{ {kind}:* }}}} sheet '{proto.ws.title}' is copied per {kind}; it may hold no"
                             " charts, pictures or Excel tables (openpyxl cannot copy them)")
    return plan


def _xlseg_names(wb: Workbook) -> Iterable[tuple[str, tuple[str, str]]]:
    """Every defined name starting ``xlseg_`` (workbook- or sheet-scoped) with its ``(sheet, cell)``."""
    scopes: list[tuple[Worksheet | None, Mapping[str, object]]] = [(None, wb.defined_names)]
    scopes += [(ws, ws.defined_names) for ws in wb.worksheets]
    for ws, names in scopes:
        for name, definition in names.items():
            if not name.casefold().startswith(DEFINED_NAME_PREFIX):
                continue
            value = str(getattr(definition, "value", "") or "")
            if "!" not in value and ws is not None:
                value = f"'{ws.title}'!{value}"
            try:
                destinations = list(DefinedName(name, attr_text=value).destinations)
            except (AttributeError, ValueError, TypeError):
                destinations = []
            if len(destinations) != 1 or ":" in destinations[0][1]:
                raise XlsegError(f"the defined name {name} must point at one cell of one sheet, not {value}")
            yield name, destinations[0]


def _name_target(name: str) -> Target | str:
    """A defined name's target: a value name (``xlseg_title`` → "title") or a pending block target."""
    rest = name[len(DEFINED_NAME_PREFIX):].casefold()
    if rest == "summary":
        return Target("summary")
    for kind in ("breakdown", "crosstab"):
        if rest.startswith(kind + "_"):
            return Target(kind, name=name.casefold())
    return rest
