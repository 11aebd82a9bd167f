"""The result sheet as plain data: what goes in which cell, how it looks, what it charts. No I/O.

Both writers (openpyxl for files, xlwings for live Excel) paint the same :class:`SheetLayout`; they know
no statistics and decide no positions. Vocabulary after great_tables:

* :class:`SheetLayout` — one worksheet: a title, a subtitle, a stack of :class:`Block` s, freeze panes,
  column widths and print setup.
* :class:`Block` — a titled table: ``stub`` row-label columns on the left, value :class:`Column` s (each
  with an Excel number format and an optional *spanner*, a group label above the header), body
  :class:`Row` s (``kind`` "body", "subtotal" or "total" — the grand-summary row; ``muted`` for low-n rows
  painted grey), a one-line ``caption`` written from the numbers, ``notes`` under the table, an Excel
  table name, :class:`ConditionalFormat` s and an optional :class:`ChartSpec`. A block without columns
  is a text block (title, caption, notes).

Positions are decided here, not in the writers: :meth:`SheetLayout.arrange` gives every block its
anchor (``top``, ``left``, 1-based), and :meth:`SheetLayout.cells` yields every :class:`Cell` to paint
with its row, column, value, part and number format — one neutral stream of cells, like pandas'
``ExcelCell``. Ranges for Excel tables, merged spanners, conditional formats and charts come from the
:class:`Block` geometry methods, all as 1-based ``(first_row, first_col, last_row, last_col)`` tuples.

Values in cells are plain Python: ``None`` (empty), ``bool``, ``int``, ``float`` (finite),
``datetime.datetime`` / ``datetime.date`` or ``str``. **Every str is literal text** (labels come from user
data): a writer must never let it become a formula or an error value. Builders normalise values through
:func:`cell_value` (NaN/inf → None, numpy scalars → Python, long integers → text).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Literal

from xlseg.errors import XlsegError
from xlseg.sheets.textsafe import clean_text

MAX_ROWS = 1_048_576
MAX_COLUMNS = 16_384
MAX_EXACT_INTEGER = 10**15  # Excel keeps 15 significant digits; larger integers are written as text

# Number formats (Excel codes, understood by LibreOffice too)
COUNT = "#,##0"
PERCENT = "0.0%"
#: Lift: the cell holds the exact lift; only its display rounds. A lift under half a display unit (0.05%)
#: shows a plain "0.0%" (not "+0.0%" or "-0.0%"); the zero section is a literal so no sign can appear.
LIFT = '[>=0.0005]+0.0%;[<=-0.0005]-0.0%;"0.0%"'
#: p-values: "<0.001", else three significant digits (present.p_format gives each cell its decimals).
P_VALUE = '[<0.001]"<0.001";0.000'
CODE = "0"  # years and code-like integers: no thousands separator
DATE = "yyyy-mm-dd"
GENERAL = "General"
TEXT = "@"

CellValue = None | bool | int | float | str | dt.datetime | dt.date
RowKind = Literal["body", "subtotal", "total"]
#: What a cell is, for styling: writers map each part to fonts, fills and borders.
Part = Literal["title", "subtitle", "block_title", "caption", "note", "spanner", "header", "label", "value"]
Range = tuple[int, int, int, int]

#: Colours (RRGGBB) the writers use; kept here so both writers paint the same colours.
COLORS = {
    "accent": "1F4E79",  # titles, header fill
    "header_text": "FFFFFF",
    "muted": "A6A6A6",  # low-n rows
    "caption": "404040",
    "note": "595959",
    "total_fill": "D9E1F2",
    "subtotal_fill": "EEF2F8",
    "bar": "5B9BD5",
    "neg": "F8696B",  # a fall (waterfall, gap contributions)
    "neutral": "FFFFFF",  # the middle of a 3-colour scale
    "pos": "63BE7B",  # a rise
    "heat_low": "FFFFFF",
    "heat_high": "5B9BD5",
    "up": "C6EFCE",  # significantly above overall (fill)
    "down": "FFC7CE",  # significantly below overall (fill)
}
#: Colours of a chart's series when each needs its own (blue, green, amber, red, grey).
SERIES_COLORS = ("5B9BD5", "70AD47", "FFC000", "F8696B", "A5A5A5")


def cell_value(value: object, what: str = "a label") -> CellValue:
    """Normalise any value from a DataFrame into a plain cell value (see the module docstring).

    NaN, NaT, ±inf and pandas NA become ``None``; numpy scalars become Python scalars (``np.bool_`` stays
    a bool); timestamps become naive ``datetime`` (tz-aware ones are converted to UTC first, since Excel
    has no time zones); integers beyond 15 digits become text so no digit is lost; strings are cleaned of
    characters a worksheet cannot hold (and over-long strings raise :class:`XlsegError`).
    """
    if value is None:
        return None
    if isinstance(value, str):
        return clean_text(value, what)
    if isinstance(value, bool):
        return value
    type_name = type(value).__name__
    if type_name == "bool_":
        return bool(value)  # type: ignore[arg-type]
    if type_name in ("NAType", "NaTType"):
        return None
    if isinstance(value, dt.datetime) or type_name in ("Timestamp", "datetime64"):
        return _datetime(value)
    if isinstance(value, dt.date):
        return value
    if hasattr(value, "item") and not isinstance(value, (int, float)):
        return cell_value(value.item(), what)  # numpy scalar
    if isinstance(value, int):
        return value if abs(value) < MAX_EXACT_INTEGER else str(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    return clean_text(str(value), what)


def _line(text: str | None) -> str | None:
    """A title or caption as one line a worksheet can hold: line breaks become spaces and other control
    characters (from column names, labels or a user's title) U+FFFD as in every other cell, so openpyxl
    never raises ``IllegalCharacterError`` on them."""
    return None if text is None else " ".join(clean_text(text, "a title").split())


def _datetime(value: object) -> dt.datetime | None:
    if type(value).__name__ == "datetime64":
        import pandas as pd

        value = pd.Timestamp(value)  # type: ignore[arg-type]
    if type(value).__name__ == "NaTType":
        return None
    if hasattr(value, "to_pydatetime"):
        value = value.to_pydatetime()  # type: ignore[union-attr]
    assert isinstance(value, dt.datetime)
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return value


@dataclass
class Column:
    """One column of a block's table.

    Attributes:
        name: the header text; unique (ignoring case) within the block, one line — it is the Excel table
            column name, so formulas can say ``=SUM(device[users])``.
        number_format: the Excel number format of the body cells (``#,##0``, ``0.0%``, ``General``…).
        width: a width hint in characters (the sheet takes the widest hint per worksheet column).
        spanner: a group label shown above the header across the adjacent columns with the same spanner.
    """

    name: str
    number_format: str = GENERAL
    width: float = 12.0
    spanner: str | None = None


@dataclass
class Row:
    """One table row: ``values`` has one entry per column (stub columns first).

    ``tones`` marks single cells by column index: "up" (significantly above the overall value) or "down"
    (significantly below); writers fill them green or red. Decided from the numbers by the builder, so
    they are static fills, not conditional formats. ``formats`` overrides the column's number format for
    single cells (column index → format), e.g. in a table of mixed facts. ``links`` makes single cells
    hyperlinks to another sheet of the workbook (column index → sheet name; the link goes to its A1).
    """

    values: tuple[CellValue, ...]
    kind: RowKind = "body"
    muted: bool = False
    tones: dict[int, str] = field(default_factory=dict)
    formats: dict[int, str] = field(default_factory=dict)
    links: dict[int, str] = field(default_factory=dict)


@dataclass
class ConditionalFormat:
    """A conditional format over some columns of the block's body rows (subtotal/total rows excluded).

    Attributes:
        kind: ``"color_scale"`` (2 colours lowest → highest value, or 3 colours low → ``midpoint`` → high, as
            the gap sheet's contributions around 0) or ``"data_bar"`` (one colour, bars from 0).
        columns: the names of the columns it covers; adjacent columns form one rectangle.
        colors: RRGGBB colours (see :data:`COLORS`).
        midpoint: the number at which a 3-colour scale shows its middle colour (required for 3 colours).
    """

    kind: Literal["color_scale", "data_bar"]
    columns: tuple[str, ...]
    colors: tuple[str, ...]
    midpoint: float | None = None

    def __post_init__(self) -> None:
        wanted = (1,) if self.kind == "data_bar" else (2, 3)
        if len(self.colors) not in wanted:
            raise ValueError(f"a {self.kind} takes {' or '.join(map(str, wanted))} colours, not {len(self.colors)}")
        if (len(self.colors) == 3) != (self.midpoint is not None):
            raise ValueError("a 3-colour scale needs a midpoint, and only a 3-colour scale takes one")


@dataclass
class ChartData:
    """What a chart with uncertainty plots, as a small visible table under the block's notes ("Chart data"):
    per segment the value, the overall value (drawn as a line) and the interval below and above the value
    (``value − lo``, ``hi − value``: what Excel's custom error bars take). Value and overall sit side by side,
    so one range gives both series (xlwings' chart API takes one source range).

    ``rows`` hold one tuple per body row: the stub labels, then value, overall, minus and plus.
    """

    stub_names: tuple[str, ...]
    value_name: str
    rows: list[tuple[CellValue, ...]]
    number_format: str = GENERAL
    title: str = "Chart data: the value, the overall value (the line) and the 95% interval below / above the value"
    overall: str = "overall"
    minus: str = "interval −"
    plus: str = "interval +"

    @property
    def names(self) -> list[str]:
        """The header of the chart data table."""
        return [*self.stub_names, self.value_name, self.overall, self.minus, self.plus]


@dataclass
class ChartSpec:
    """A native chart beside the block's table, plotting one column over the body rows.

    Attributes:
        kind: ``"column"`` (vertical bars, categories left to right in table order), ``"line"`` (a date
            dimension or a curve: left to right) or ``"bar"`` (horizontal bars, top to bottom in table order,
            no interval or reference line).
        title: chart title.
        value_column: the name of the plotted column; the stub columns are the categories.
        number_format: the format of the value axis and data labels.
        width_pt, height_pt: size in points. The anchor (top-left cell) is :meth:`Block.chart_anchor`.
        placement: "right" of the table (level with its header) or "below" it (under the notes), for
            tables too wide to have a chart beside them on a printed page.
        axis_from_zero: the value axis starts at 0. Bar lengths then compare honestly; a spreadsheet's
            automatic axis may start just under the smallest bar and make 4.7% look half of 5.2%. Off
            when a value is negative.
        stacked: further columns stacked on ``value_column`` (a stacked chart; the columns must be adjacent,
            ``value_column`` first). A waterfall is such a chart whose first series is an invisible base.
            In a line chart they are further lines (lines are never stacked).
        colors: one fill per series (``value_column``, then ``stacked``): RRGGBB, or None for no fill (an
            invisible series, e.g. a waterfall's base). Empty: every series in the bar colour.
        axis_step: the distance between value axis labels (about five labels, 1/2/5 steps), so the labels
            never run together; None lets the spreadsheet choose.
        data: the interval and overall value (see :class:`ChartData`): error bars from ``minus``/``plus``
            and a reference line at the overall value. None: a plain chart.
        legend: show a legend naming the series (below the chart).
        data_labels: show the values on the chart (off for long series, where labels overlap).
    """

    kind: Literal["bar", "column", "line"]
    title: str
    value_column: str
    number_format: str = GENERAL
    width_pt: float = 430.0
    height_pt: float = 220.0
    placement: Literal["right", "below"] = "right"
    axis_from_zero: bool = True
    stacked: tuple[str, ...] = ()
    colors: tuple[str | None, ...] = ()
    axis_step: float | None = None
    data: ChartData | None = None
    legend: bool = False
    data_labels: bool = True

    @property
    def rows_spanned(self) -> int:
        """Worksheet rows the chart covers at the default row height (15 pt)."""
        return math.ceil(self.height_pt / 15.0)


def axis_step(low: float, high: float, labels: int = 5) -> float | None:
    """A 1/2/5 × 10^k distance between value axis labels giving at most about ``labels`` labels over
    ``low``…``high`` (None when the range is empty or not finite)."""
    span = high - low
    if not (math.isfinite(span) and span > 0):
        return None
    raw = span / labels
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if factor * power >= raw:
            return factor * power
    return 10 * power


@dataclass
class Cell:
    """One painted cell: 1-based ``row``/``col``, its value, what it is (``part``) and its number format.

    ``emphasis`` is "" or the row's kind/state: "subtotal", "total" or "muted". ``tone`` is "" or "up" /
    "down" (a significant difference, filled green / red). ``link`` is "" or the name of the sheet the cell
    links to (its A1).
    """

    row: int
    col: int
    value: CellValue
    part: Part
    number_format: str = GENERAL
    emphasis: str = ""
    tone: str = ""
    link: str = ""


@dataclass
class Block:
    """A titled table (or a text block when ``columns`` is empty); see the module docstring.

    ``top``/``left`` are set by :meth:`SheetLayout.arrange`; every other position derives from them.
    """

    title: str | None = None
    columns: list[Column] = field(default_factory=list)
    stub: int = 0
    rows: list[Row] = field(default_factory=list)
    caption: str | None = None
    notes: list[str] = field(default_factory=list)
    table_name: str | None = None
    conditional: list[ConditionalFormat] = field(default_factory=list)
    chart: ChartSpec | None = None
    top: int = 1
    left: int = 1

    def __post_init__(self) -> None:
        self.title, self.caption = _line(self.title), _line(self.caption)
        self.notes = [clean_text(note, "a note") for note in self.notes]
        if self.chart is not None:
            self.chart.title = _line(self.chart.title) or ""
        seen: set[str] = set()
        for column in self.columns:
            key = column.name.casefold()
            if key in seen:
                raise ValueError(f"duplicate column name {column.name!r} in block {self.title!r}")
            seen.add(key)
        for row in self.rows:
            if len(row.values) != len(self.columns):
                raise ValueError(f"a row of block {self.title!r} has {len(row.values)} values, not {len(self.columns)}")
        if len(self.columns) > MAX_COLUMNS:
            raise XlsegError(
                f"'{self.title or 'a table'}' would have {len(self.columns):,} columns; Excel allows {MAX_COLUMNS:,}:"
                " bin the column dimension or use top=N"
            )

    # ---- geometry (all 1-based, absolute) ----
    @property
    def has_spanners(self) -> bool:
        """True when some column has a spanner (a spanner row sits above the header)."""
        return any(c.spanner for c in self.columns)

    @property
    def header_row(self) -> int:
        """The row of the table header (for a text block: where the notes start)."""
        return self.top + (self.title is not None) + (self.caption is not None) + self.has_spanners

    @property
    def first_body_row(self) -> int:
        """The row of the first table row."""
        return self.header_row + (1 if self.columns else 0)

    @property
    def last_table_row(self) -> int:
        """The last row of the table (the header row when there are no rows)."""
        return self.first_body_row + len(self.rows) - 1 if self.rows else self.header_row

    @property
    def width(self) -> int:
        """Columns the table covers (at least 1)."""
        return max(len(self.columns), 1)

    def column_index(self, name: str) -> int:
        """Absolute worksheet column of the block column called ``name``."""
        for i, column in enumerate(self.columns):
            if column.name == name:
                return self.left + i
        raise KeyError(name)

    def table_range(self) -> Range | None:
        """Header plus rows, without a closing grand-total row: the range of the Excel table (None for text).

        The grand total sits right under the table, outside it, so ``=SUM(device[users])`` adds the
        segments once and sorting the table in Excel leaves the total at the bottom.
        """
        if not self.columns:
            return None
        last = self.last_table_row
        if self.rows and self.rows[-1].kind == "total" and len(self.rows) > 1:
            last -= 1
        return (self.header_row, self.left, last, self.left + len(self.columns) - 1)

    def body_row_runs(self) -> list[tuple[int, int]]:
        """Contiguous runs ``(first_row, last_row)`` of body rows (kind "body"), skipping subtotal/total rows."""
        runs: list[tuple[int, int]] = []
        for i, row in enumerate(self.rows):
            r = self.first_body_row + i
            if row.kind != "body":
                continue
            if runs and runs[-1][1] == r - 1:
                runs[-1] = (runs[-1][0], r)
            else:
                runs.append((r, r))
        return runs

    def conditional_ranges(self, cf: ConditionalFormat) -> list[Range]:
        """The rectangles ``cf`` covers: its columns (merged where adjacent) × the body-row runs."""
        cols = sorted(self.column_index(c) for c in cf.columns)
        spans: list[tuple[int, int]] = []
        for c in cols:
            if spans and spans[-1][1] == c - 1:
                spans[-1] = (spans[-1][0], c)
            else:
                spans.append((c, c))
        return [(r1, c1, r2, c2) for r1, r2 in self.body_row_runs() for c1, c2 in spans]

    def spanner_ranges(self) -> list[tuple[str, Range]]:
        """Each spanner label with the range it covers in the spanner row (one row, adjacent columns)."""
        out: list[tuple[str, Range]] = []
        row = self.header_row - 1
        for i, column in enumerate(self.columns):
            if not column.spanner:
                continue
            c = self.left + i
            if out and out[-1][0] == column.spanner and out[-1][1][3] == c - 1:
                label, (r1, c1, r2, _) = out[-1]
                out[-1] = (label, (r1, c1, r2, c))
            else:
                out.append((column.spanner, (row, c, row, c)))
        return out

    @property
    def chart_data_top(self) -> int | None:
        """The title row of the chart data table (one empty row under the notes), or None without one."""
        if self.chart is None or self.chart.data is None or not self.rows:
            return None
        return self.last_table_row + len(self.notes) + 2

    def _chart_data_end(self) -> int:
        """The last row of the chart data table (the notes' last row without one)."""
        top = self.chart_data_top
        data = self.chart.data if self.chart is not None else None
        if top is None or data is None:
            return self.last_table_row + len(self.notes)
        return top + 1 + len(data.rows)

    def chart_data_ranges(self) -> dict[str, Range] | None:
        """Ranges of the chart data table: ``"categories"`` (the labels), ``"series"`` (value and overall with
        their header: both series at once), ``"value"``/``"overall"`` (each with its header), ``"minus"`` and
        ``"plus"`` (the error bar amounts, body only)."""
        top = self.chart_data_top
        if top is None or self.chart is None or self.chart.data is None:
            return None
        data = self.chart.data
        header, first, last = top + 1, top + 2, top + 1 + len(data.rows)
        col = {name: self.left + i for i, name in enumerate(data.names)}
        stub_last = self.left + max(len(data.stub_names), 1) - 1
        return {"categories": (first, self.left, last, stub_last),
                "series": (header, col[data.value_name], last, col[data.overall]),
                "value": (header, col[data.value_name], last, col[data.value_name]),
                "overall": (header, col[data.overall], last, col[data.overall]),
                "minus": (first, col[data.minus], last, col[data.minus]),
                "plus": (first, col[data.plus], last, col[data.plus])}

    def chart_anchor(self) -> tuple[int, int] | None:
        """The top-left cell of the chart: right of the table (one empty column between, level with the
        header) or below it (one empty row under the notes and the chart data)."""
        if self.chart is None:
            return None
        if self.chart.placement == "below":
            return (self._chart_data_end() + 2, self.left)
        return (self.header_row, self.left + self.width + 1)

    def chart_series(self) -> list[tuple[Range, str | None]]:
        """Every series of the chart: its range over the body rows (header cell first) and its fill colour."""
        ranges = self.chart_ranges()
        if self.chart is None or ranges is None:
            return []
        names = [self.chart.value_column, *self.chart.stacked]
        colors = list(self.chart.colors) or [COLORS["bar"]] * len(names)
        data = self.chart_data_ranges()
        if data is not None:  # values from the chart data table: one series, with error bars and the overall line
            return [(data["value"], colors[0])]
        _, (r1, _, r2, _) = ranges
        out = []
        for name, color in zip(names, colors, strict=True):
            c = self.column_index(name)
            out.append(((r1, c, r2, c), color))
        return out

    def chart_ranges(self) -> tuple[Range, Range] | None:
        """``(categories, values)`` of the chart: the stub columns and the value column over the body rows.

        Values include the header cell (the series title); None when the body rows are not contiguous.
        """
        if self.chart is None:
            return None
        data = self.chart_data_ranges()
        if data is not None:
            return data["categories"], data["value"]
        runs = self.body_row_runs()
        if len(runs) != 1:
            return None
        r1, r2 = runs[0]
        value_col = self.column_index(self.chart.value_column)
        stub_last = self.left + max(self.stub, 1) - 1
        return (r1, self.left, r2, stub_last), (self.header_row, value_col, r2, value_col)

    @property
    def bottom(self) -> int:
        """The last row the block uses (table, notes, chart data or chart, whichever reaches lower)."""
        end = self._chart_data_end()
        anchor = self.chart_anchor()
        if self.chart is not None and anchor is not None:
            end = max(end, anchor[0] + self.chart.rows_spanned)
        return end

    def cells(self) -> Iterator[Cell]:
        """Every cell of the block, top to bottom."""
        r = self.top
        if self.title is not None:
            yield Cell(r, self.left, self.title, "block_title")
            r += 1
        if self.caption is not None:
            yield Cell(r, self.left, self.caption, "caption")
        for label, (row, c1, _, _) in self.spanner_ranges():
            yield Cell(row, c1, label, "spanner")
        if self.columns:
            for i, column in enumerate(self.columns):
                yield Cell(self.header_row, self.left + i, column.name, "header")
            for j, row in enumerate(self.rows):
                emphasis = "muted" if row.muted and row.kind == "body" else ("" if row.kind == "body" else row.kind)
                for i, (column, value) in enumerate(zip(self.columns, row.values, strict=True)):
                    part: Part = "label" if i < self.stub else "value"
                    fmt = GENERAL if part == "label" else row.formats.get(i, column.number_format)
                    yield Cell(self.first_body_row + j, self.left + i, value, part, fmt, emphasis,
                               row.tones.get(i, ""), row.links.get(i, ""))
        note_row = self.last_table_row + 1 if self.columns else self.header_row
        for k, note in enumerate(self.notes):
            yield Cell(note_row + k, self.left, note, "note")
        top = self.chart_data_top
        if top is not None and self.chart is not None and self.chart.data is not None:
            data = self.chart.data
            yield Cell(top, self.left, data.title, "note")
            stub = len(data.stub_names)
            for i, name in enumerate(data.names):
                yield Cell(top + 1, self.left + i, name, "header")
            for j, values in enumerate(data.rows):
                for i, value in enumerate(values):
                    what: Part = "label" if i < stub else "value"
                    yield Cell(top + 2 + j, self.left + i, value, what, GENERAL if i < stub else data.number_format)


@dataclass
class SheetLayout:
    """One result worksheet; see the module docstring.

    Attributes:
        name: the sheet name (made valid and unique for Excel by :func:`assign_names`).
        title, subtitle: the two lines at the top (A1 and A2).
        blocks: stacked top to bottom, one blank row apart (positions set by :meth:`arrange`).
        freeze: ``(row, col)`` of the first cell that scrolls (rows above and columns left stay), or None.
        widths: worksheet column (1-based) → width in characters.
        heights: worksheet row (1-based) → height in points, for header rows whose text wraps.
        landscape: print in landscape; every sheet prints fitted to one page width.
        kind: "summary", "breakdown" or "crosstab" (informational).
    """

    name: str
    title: str
    subtitle: str | None = None
    blocks: list[Block] = field(default_factory=list)
    freeze: tuple[int, int] | None = None
    widths: dict[int, float] = field(default_factory=dict)
    heights: dict[int, float] = field(default_factory=dict)
    landscape: bool = True
    kind: str = "breakdown"
    gap: int = 2

    def __post_init__(self) -> None:
        self.title = _line(self.title) or ""
        self.subtitle = _line(self.subtitle)
        self.arrange()

    def arrange(self) -> None:
        """Stack the blocks below the title rows, set column widths and (for one-table sheets) freeze panes."""
        row = 3 if self.subtitle else 2
        for block in self.blocks:
            block.top, block.left = row + 1, 1
            row = block.bottom + self.gap
        widths: dict[int, float] = {}
        for block in self.blocks:
            for i, column in enumerate(block.columns):
                c = block.left + i
                widths[c] = max(widths.get(c, 0.0), column.width)
        self.widths = widths
        self.heights = {b.header_row: header_height(b.columns) for b in self.blocks if b.columns}
        for block in self.blocks:  # the chart data header wraps in the table's column widths
            top = block.chart_data_top
            if top is not None and block.chart is not None and block.chart.data is not None:
                names = block.chart.data.names
                self.heights[top + 1] = header_height(
                    [Column(name, width=widths.get(block.left + i, 12.0)) for i, name in enumerate(names)])
        tables = [b for b in self.blocks if b.columns]
        if len(tables) == 1 and self.freeze is None and self.kind != "summary":
            block = tables[0]
            self.freeze = (block.first_body_row, block.left + block.stub)
        last = max((b.last_table_row for b in self.blocks), default=1)
        if last > MAX_ROWS:
            raise XlsegError(
                f"sheet '{self.name}' would need {last:,} rows; Excel allows {MAX_ROWS:,}: segment with fewer"
                " categories (bins or top=N)"
            )

    def cells(self) -> Iterator[Cell]:
        """Every cell of the sheet, in row order of the blocks: title, subtitle, then each block's cells."""
        yield Cell(1, 1, self.title, "title")
        if self.subtitle:
            yield Cell(2, 1, self.subtitle, "subtitle")
        for block in self.blocks:
            yield from block.cells()

    def values(self) -> dict[tuple[int, int], CellValue]:
        """``(row, col)`` → value of every non-empty cell: what a parity test compares between writers."""
        return {(c.row, c.col): c.value for c in self.cells() if c.value is not None}


def wrapped_lines(text: str, width: float) -> int:
    """Lines ``text`` takes when word-wrapped in a column ``width`` characters wide (an estimate)."""
    room = max(int(width) - 1, 1)
    lines, used = 1, 0
    for word in text.split():
        need = len(word) if used == 0 else used + 1 + len(word)
        if used and need > room:
            lines, used = lines + 1, len(word)
        else:
            used = need
        while used > room:
            lines, used = lines + 1, used - room
    return lines


def header_height(columns: Sequence[Column], line_pt: float = 15.0) -> float:
    """Height in points of a header row whose cells wrap their text."""
    return line_pt * max((wrapped_lines(c.name, c.width) for c in columns), default=1)


def assign_names(sheets: Sequence[SheetLayout], names: object | None = None) -> None:
    """Make every sheet name and table name valid for Excel and unique (in place).

    ``names`` is a :class:`xlseg.sheets.names.NameBook` (pass one seeded with a workbook's existing sheet and
    table names when adding to it); a fresh one by default. Already valid, unique names are kept.
    """
    from xlseg.sheets.names import NameBook

    book = names if isinstance(names, NameBook) else NameBook()
    renamed: dict[str, str] = {}
    for sheet in sheets:
        old, sheet.name = sheet.name, book.sheet(sheet.name)
        renamed.setdefault(old, sheet.name)
        for block in sheet.blocks:
            if block.table_name is not None:
                block.table_name = book.table(block.table_name)
    for sheet in sheets:  # links follow the sheets they point at
        for block in sheet.blocks:
            for row in block.rows:
                row.links = {i: renamed.get(target, target) for i, target in row.links.items()}


def link_location(sheet_name: str) -> str:
    """The in-workbook address of a sheet's A1 for a hyperlink: ``'My sheet'!A1``."""
    return "'" + sheet_name.replace("'", "''") + "'!A1"


