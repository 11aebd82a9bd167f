"""Report workbooks: a Summary sheet, one sheet per breakdown, crosstab heatmaps — as layouts, then a file.

:func:`report` loads the table once, computes every breakdown and crosstab with the engine, and returns a
:class:`Report` whose ``sheets`` are :class:`~xlseg.sheets.layout.SheetLayout` s (the macro paints them with the
xlwings writer) and whose :meth:`Report.to_excel` writes a new .xlsx atomically (the openpyxl writer).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from xlseg.engine.breakdowns import breakdown
from xlseg.engine.crosstabs import crosstab
from xlseg.errors import XlsegError, column_not_found
from xlseg.io.load import load_table
from xlseg.io.readers import EXCEL_SUFFIXES
from xlseg.io.xlsx_header import check_columns
from xlseg.schema import Role, Table
from xlseg.sheets.blocks import breakdown_block, crosstab_block, main_metric, summary_sheet
from xlseg.sheets.choose import Choice, Plan, auto_plan, distinct_count
from xlseg.sheets.layout import SheetLayout, assign_names
from xlseg.sheets.names import NameBook
from xlseg.sheets.present import format_number, number_format, segment_name
from xlseg.spec import column_of, parse_breakdowns, parse_crosstab, parse_metrics, requested_columns, whole_number

if TYPE_CHECKING:
    from xlseg.engine.pushdown import Profile
    from xlseg.io.sources import Source

Progress = Callable[[str], None]
DEFAULT_MIN_SIZE = 30
MANY_DISTINCT = 20  # a numeric/date `by` column with more distinct values gets default bins


@dataclass
class Report:
    """A computed report.

    Attributes:
        sheets: the result sheets as layouts, Summary first (sheet and table names already valid).
        frames: sheet name → the engine DataFrame(s) behind it (a breakdown, or crosstabs), for scripts.
        table: the cleaned input table.
        source: the input file, when the data came from a file (the output may not overwrite it).
    """

    sheets: list[SheetLayout]
    frames: dict[str, list[pd.DataFrame]] = field(default_factory=dict)
    table: Table | None = None
    source: Path | None = None
    rows: int | None = None  # users analysed (when the table holds no rows: a source aggregated by its engine)

    def to_excel(self, path: str | os.PathLike[str], template: str | os.PathLike[str] | None = None) -> Path:
        """Write the report to a new .xlsx at ``path`` atomically; returns the path.

        The input file and the template are never written: ``path`` may not be either of them.
        """
        from xlseg.writers.atomic import check_output_path
        from xlseg.writers.save import write_workbook

        target = check_output_path(path, self.source, template)
        if target.suffix.lower() != ".xlsx":
            raise XlsegError(f"the output '{target.name}' must end in .xlsx (a report workbook has no macros)")
        values = None
        if template is not None and self.source is not None and self.table is not None:
            from xlseg.version import __version__

            users = self.rows if self.rows is not None else len(self.table.frame)
            values = {"source": f"{users:,} users from {self.source.name}, analysed by xlseg {__version__}"}
        return write_workbook(self.sheets, target, template=template, values=values)


def report(
    data: object,
    by: object = None,
    metrics: object = None,
    *,
    crosstabs: Sequence[object] | None = None,
    bins: Mapping[str, object] | None = None,
    top: int | Mapping[str, int] | None = None,
    min_size: int | None = DEFAULT_MIN_SIZE,
    confidence: float = 0.95,
    sheet: str | int | None = None,
    roles: Mapping[str, str] | None = None,
    title: str | None = None,
    progress: Progress | None = None,
    engine: str = "auto",
    memory_limit: str | None = None,
) -> Report:
    """Compute a segmentation report of ``data``.

    Args:
        data: a DataFrame, Excel range values (2-D list, header first), a .csv/.xlsx/.xlsm/.parquet path or
            a :class:`~xlseg.schema.Table`.
        by: the breakdowns. A string is one breakdown (``"geography,device"`` = one breakdown by both); a
            list holds one breakdown per item (``["geography", "device"]`` = two sheets; an item may itself
            be a list or a dimension dict). ``None``: auto mode picks them from the column roles.
        metrics: what every breakdown aggregates (``"converted:rate; session_length:mean,median"`` or a
            dict); ``None``: rates of the flags and means of the numeric columns.
        crosstabs: heatmaps as ``"rows:columns"`` strings or ``(rows, columns)`` pairs; ``None``: one in
            auto mode (none when ``by`` is given); ``[]``: none.
        bins: column → bin spec (``"q4"``, ``"month"``, ``"edges:18,25,35"``…). Dates without a spec are
            segmented by month and numeric columns with many values in quartiles.
        top: keep the N largest categories of text dimensions (or column → N), the rest as "Other".
        min_size: segments with fewer users are greyed and flagged ``low_n`` (default 30; None: no flag).
        confidence: the level of the intervals and the significance threshold (1 − confidence).
        sheet: the sheet to read from an Excel file.
        roles: column → role overrides (``{"signup": "date"}``).
        title: the report title (default: "Segmentation of <file name>" or "Segmentation report").
        progress: called with a short message at each stage (for the CLI's stage log).
        engine, memory_limit: as in :func:`~xlseg.engine.breakdowns.breakdown`. ``data`` may also be a source
            its own engine aggregates (a DuckDB relation, ``(connection, "table")``, an Ibis table, a PySpark
            DataFrame, or files for DuckDB): then ``by`` must be given (auto mode would read every column).

    Returns:
        A :class:`Report`; ``report(...).to_excel("report.xlsx")`` writes it.
    """
    say = progress or (lambda _message: None)
    source = Path(data) if isinstance(data, (str, os.PathLike)) else None
    breakdowns = parse_breakdowns(by)
    metric_list = None if metrics is None else parse_metrics(metrics)
    crosstab_list = None if crosstabs is None else [parse_crosstab(c) for c in crosstabs]
    requested = requested_columns(breakdowns or [], metric_list or [], crosstab_list or [])
    if source is not None and source.suffix.lower() in EXCEL_SUFFIXES:  # names vs the header row, before the read
        check_columns(source, sheet, requested)
    from xlseg.io.sources import open_source

    pushed = open_source(data, engine=engine, memory_limit=memory_limit)
    facts: Profile | None = None
    if pushed is not None:
        if breakdowns is None:
            raise XlsegError("name the breakdowns (--by COLUMN, or by='column' in Python): auto mode on "
                             f"{pushed.backend} would profile every column of the whole table")
        say(f"profiling {pushed.name} on {pushed.backend}")
        table, facts = _source_table(pushed, roles, requested, metric_list)
        data = pushed
    else:
        say(f"reading {source.name}" if source else "reading the table")
        table = load_table(data, roles=roles, sheet=sheet, keep=requested)  # a named blank column: one "(missing)"
        data = table
    rows = facts.rows if facts else len(table.frame)
    if rows == 0:
        raise XlsegError("the table has no data rows to segment")
    say(f"{'counted' if facts else 'read'} {rows:,} rows × {len(table.roles)} columns")
    def distinct(column: str) -> int:
        return facts.distinct[column] if facts else distinct_count(table.frame[column])

    min_size = whole_number(min_size, "min_size")
    bins = dict(bins or {})
    _check_columns(table, bins)  # a misspelt --bins column would otherwise be ignored without a word
    choices = None if breakdowns is None else [Choice(parts, "as requested") for parts in breakdowns]
    plan = auto_plan(table, choices, metric_list, crosstab_list)
    _check_columns(table, requested_columns([c.by for c in plan.breakdowns], plan.metrics, plan.crosstabs))
    plan.reasons += _unused_bins(bins, plan)
    sheets: list[SheetLayout] = []
    frames: dict[str, list[pd.DataFrame]] = {}
    total = len(plan.breakdowns) + len(plan.crosstabs)
    for i, choice in enumerate(plan.breakdowns, 1):
        say(f"breakdown {i}/{total}: {' × '.join(choice.columns)}")
        by_items = [_default_bins(item, table, bins, distinct) for item in choice.by]
        frame = breakdown(data, by_items, _metrics_for(choice, plan.metrics, chosen=metric_list is None),
                          bins=bins, top=top, min_size=min_size, confidence=confidence, intervals=True, compare=True)
        ordered = len(by_items) == 1 and (isinstance(by_items[0], Mapping) and "bins" in by_items[0]
                                          or not str(bins.get(choice.columns[0], "top")).startswith("top"))
        sheets.append(_breakdown_sheet(frame, choice.columns, rows, confidence, min_size, ordered))
        frames[sheets[-1].name] = [frame]
    for j, (rows_of, cols) in enumerate(plan.crosstabs, len(plan.breakdowns) + 1):
        say(f"crosstab {j}/{total}: {_label(rows_of)} × {_label(cols)}")
        layout, tables = _crosstab_sheet(data, table, facts, distinct, rows_of, cols, plan.metrics, bins, top, min_size)
        sheets.append(layout)
        frames[layout.name] = tables
    if not sheets:
        raise XlsegError("nothing to report: no column to segment by; name one (--by COLUMN, or by='column' in Python)")
    book = NameBook()
    summary_name = book.sheet("Summary")
    renamed = _assign(sheets, book, frames)
    summary = summary_sheet(
        title=title or (f"Segmentation of {source.name}" if source else "Segmentation report"),
        rows=rows,
        source_rows=table.source_rows or rows,
        columns=_column_facts(table, facts),
        cleaning=table.notes,
        choices=plan.reasons,
        contents=[(s.name, s.title, next((b.caption for b in s.blocks if b.caption), "")) for s in sheets],
        confidence=confidence,
        min_size=min_size,
        name=summary_name,
    )
    for block in summary.blocks:
        if block.table_name:
            block.table_name = book.table(block.table_name)
    return Report([summary, *sheets], renamed, table, source, rows)


def _source_table(source: Source, roles: Mapping[str, str] | None, requested: Sequence[str],
                  metrics: list[tuple[str, str]] | None) -> tuple[Table, Profile]:
    """A source's roles and exact column facts, as a :class:`Table` without rows (the engine keeps them)."""
    from xlseg.engine.pushdown import profile, schema_roles

    all_roles = schema_roles(source, roles)
    for column in requested:
        if column not in all_roles:
            raise column_not_found(column, all_roles)
    columns = list(dict.fromkeys([*requested, *(c for c, _ in metrics or [])]))
    if metrics is None:  # the auto metrics: flags and numeric columns
        columns += [c for c, r in all_roles.items() if r in (Role.FLAG, Role.METRIC) and c not in columns]
    kept = {c: r for c, r in all_roles.items() if c in columns}
    facts = profile(source, kept, list(kept))
    frame = pd.DataFrame({c: pd.Series([], dtype=float) for c in kept})
    notes = [*source.notes, f"Aggregated by {source.backend} where the data lives; values used as stored (text not "
             "trimmed; NaN and ±infinity count as missing)."]
    return Table(frame, kept, notes, facts.rows), facts


def _metrics_for(choice: Choice, metrics: list[tuple[str, str]], *, chosen: bool) -> list[tuple[str, str]]:
    """The metrics of one breakdown: chosen metrics leave out the breakdown's own columns (the mean of
    sessions by sessions quartile says nothing); metrics the user asked for are kept as asked."""
    if not chosen:
        return metrics
    return [(column, agg) for column, agg in metrics if column not in choice.columns]


def _assign(sheets: list[SheetLayout], book: NameBook, frames: dict[str, list[pd.DataFrame]]
            ) -> dict[str, list[pd.DataFrame]]:
    old = [s.name for s in sheets]
    assign_names(sheets, book)
    return {s.name: frames[o] for s, o in zip(sheets, old, strict=True)}


def _check_columns(table: Table, columns: Iterable[str]) -> None:
    """The usual "column not found" error for the first of ``columns`` the table does not have."""
    for column in columns:
        if column not in table.roles:
            raise column_not_found(column, table.roles)


def _unused_bins(bins: Mapping[str, object], plan: Plan) -> list[str]:
    """Lines for the Summary naming bins that no breakdown or crosstab uses (a forgotten --by, or a shared
    settings list), so that they are not ignored without a word."""
    used = set(requested_columns([choice.by for choice in plan.breakdowns], [], plan.crosstabs))
    return [f"Bins for '{column}' ({spec}) not used: no breakdown segments by '{column}' (add --by {column})."
            for column, spec in bins.items() if column not in used]


def _label(items: Sequence[object]) -> str:
    return " / ".join(column_of(i) for i in items)


def _default_bins(item: object, table: Table, bins: Mapping[str, object], distinct: Callable[[str], int]) -> object:
    """Dates without a bin spec by month; numeric columns with many values in quartiles."""
    column = column_of(item)
    if column in bins or (isinstance(item, Mapping) and "bins" in item):
        return item
    role = table.roles.get(column)
    if role == Role.DATE:
        spec = "month"
    elif role == Role.METRIC and distinct(column) > MANY_DISTINCT:
        spec = "q4"
    else:
        return item
    return {**item, "bins": spec} if isinstance(item, Mapping) else {"column": column, "bins": spec}


def _breakdown_sheet(frame: pd.DataFrame, by: list[str], rows: int, confidence: float,
                     min_size: int | None, ordered: bool = False) -> SheetLayout:
    dims = " × ".join(by)
    metric = main_metric(frame)
    metrics = [c for c in frame.columns[len(by) + 2:] if c != "low_n" and not c.endswith((" lo", " hi", " lift", " p"))]
    subtitle = f"{rows:,} users · " + (", ".join(metrics) if metrics else "users per segment") + (
        f" · {confidence:.0%} intervals, lift and p vs the rest" if metrics else "")
    block = breakdown_block(_focus(frame, metric), by, table_name="_".join(by), chart_metric=metric,
                            confidence=confidence, min_size=min_size, ordered=ordered)
    return SheetLayout(dims, f"By {dims}", subtitle, [block], kind="breakdown")


def _focus(frame: pd.DataFrame, main: str) -> pd.DataFrame:
    """The columns a sheet shows: the interval (lo / hi) only for the main metric, to keep the table narrow."""
    drop = [c for c in frame.columns if c.endswith((" lo", " hi")) and c.rpartition(" ")[0] != main]
    return frame.drop(columns=drop)


def _crosstab_sheet(data: object, table: Table, facts: Profile | None, distinct: Callable[[str], int],
                    rows: list[object], cols: list[object], metrics: list[tuple[str, str]],
                    bins: Mapping[str, object], top: object, min_size: int | None
                    ) -> tuple[SheetLayout, list[pd.DataFrame]]:
    rows = [_default_bins(r, table, bins, distinct) for r in rows]
    cols = [_default_bins(c, table, bins, distinct) for c in cols]
    row_names, col_name = [column_of(r) for r in rows], _label(cols)
    counts = crosstab(data, rows, cols, bins=bins, top=top)  # type: ignore[arg-type]
    base = "_".join(row_names) + "_x_" + col_name.replace(" / ", "_")
    blocks = [crosstab_block(counts, row_names, col_name, title="Users", table_name=base + "_users",
                             caption=_largest_cell(counts, row_names))]
    frames = [counts]
    comparable = [(c, a) for c, a in metrics if a in ("rate", "mean")]
    if comparable:
        column, agg = comparable[0]
        values = crosstab(data, rows, cols, value=column, agg=agg, bins=bins, top=top)  # type: ignore[arg-type]
        fmt = "0.0%" if agg == "rate" else None
        sizes = pd.DataFrame({column: facts.typical[column]}) if facts and column in facts.typical else table.frame
        caption = _best_cell(values, counts, row_names, f"{column} {agg}", fmt or number_format(column, sizes),
                             min_size)
        blocks.append(crosstab_block(values, row_names, col_name, title=f"{column} {agg}", number_format=fmt,
                                     table_name=f"{base}_{column}_{agg}", caption=caption,
                                     notes=[f"Cells with fewer than {min_size:,} users are noisy; check the Users"
                                            " table above."] if min_size else []))
        frames.append(values)
    dims = f"{' / '.join(row_names)} × {col_name}"
    users = facts.rows if facts else len(table.frame)
    return SheetLayout(dims, f"Heatmap: {dims}", f"{users:,} users", blocks, kind="crosstab"), frames


def _largest_cell(counts: pd.DataFrame, row_names: list[str]) -> str | None:
    grid = counts.iloc[:-1, len(row_names):-1]
    if grid.empty:
        return None
    values = grid.to_numpy(dtype=float, na_value=np.nan)
    r, c = np.unravel_index(np.nanargmax(values), values.shape)
    labels = [*counts.iloc[r, :len(row_names)].tolist(), grid.columns[c]]
    return f"Largest cell: {segment_name(labels)} with {int(values[r, c]):,} users."


def _best_cell(values: pd.DataFrame, counts: pd.DataFrame, row_names: list[str], metric: str, fmt: str,
               min_size: int | None) -> str | None:
    grid = values.iloc[:-1, len(row_names):-1].to_numpy(dtype=float, na_value=np.nan)
    n = counts.iloc[:-1, len(row_names):-1].to_numpy(dtype=float, na_value=np.nan)
    usable = np.isfinite(grid) & (n >= (min_size or 1))
    if not usable.any():
        return None
    masked = np.where(usable, grid, -np.inf)
    r, c = np.unravel_index(np.argmax(masked), masked.shape)
    labels = [*values.iloc[r, :len(row_names)].tolist(), values.columns[len(row_names) + c]]
    overall = float(values.iloc[-1, -1])
    return (f"Highest {metric}: {segment_name(labels)}, {format_number(grid[r, c], fmt)} (n={int(n[r, c]):,});"
            f" overall {format_number(overall, fmt)}.")


def _column_facts(table: Table, facts: Profile | None = None) -> list[tuple[str, str, int, int]]:
    if facts is not None:
        return [(column, str(role), facts.missing[column], facts.distinct[column])
                for column, role in table.roles.items()]
    frame = table.frame
    return [(column, str(role), int(frame[column].isna().sum()), distinct_count(frame[column]))
            for column, role in table.roles.items()]
