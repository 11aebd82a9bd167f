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

from xlseg.engine.auto import default_bins
from xlseg.engine.breakdowns import breakdown
from xlseg.engine.crosstabs import crosstab
from xlseg.errors import XlsegError, column_not_found
from xlseg.insight.gap import gap as split_gap
from xlseg.insight.scan import scan as scan_segments
from xlseg.io.asked import metrics_as_asked
from xlseg.io.load import load_table
from xlseg.io.readers import EXCEL_SUFFIXES
from xlseg.io.xlsx_header import check_columns
from xlseg.schema import Role, Table
from xlseg.sheets.blocks import MAX_FINDINGS, breakdown_block, crosstab_block, main_metric, summary_sheet
from xlseg.sheets.choose import Choice, Plan, auto_plan, distinct_count
from xlseg.sheets.insight_blocks import finding_sentences, gap_sheet, scan_sheet
from xlseg.sheets.layout import SheetLayout, assign_names
from xlseg.sheets.names import NameBook
from xlseg.sheets.present import Finding, decimals_format, findings, format_number, number_format, segment_name
from xlseg.spec import (
    column_of,
    named,
    parse_breakdowns,
    parse_crosstab,
    parse_metrics,
    requested_columns,
    whole_number,
)

if TYPE_CHECKING:
    from xlseg.engine.pushdown import Profile
    from xlseg.io.sources import Source

Progress = Callable[[str], None]
DEFAULT_MIN_SIZE = 30


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
    scan: str | None = None,
    gap: str | None = None,
    main: str | None = None,
    progress: Progress | None = None,
    tz: str | None = None,
    na_values: object = None,
    header_row: int | None = None,
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
        scan: a metric (``"converted:rate"``) to scan every segment and pair of segments for: adds a "What stands
            out" sheet (:func:`xlseg.scan`). In auto mode (``by=None``) the main metric is scanned anyway and
            its top findings go on the Summary.
        gap: ``"column:A:B"``: adds a sheet splitting the gap in the first metric between groups A and B into
            rate and mix effects by the first ``by`` column (:func:`xlseg.gap`), e.g. with
            ``by="department", metrics="admitted:rate", gap="gender:Male:Female"``.
        main: the headline metric of charts and captions as ``"column:agg"`` (``"revenue:mean"``); it must be
            one of the report's metrics. Default: the first rate, else the first metric.
        progress: called with a short message at each stage (for the CLI's stage log).
        tz: show times with a zone (``…Z``, ``+02:00``, ``date:epoch``) as local times in this IANA zone
            (``"Europe/Berlin"``) before periods are cut; default UTC.
        na_values: extra tokens meaning "missing" (``["-999"]``), besides NA, N/A, NULL, None, NaN…
        header_row: the row holding the header (1 = first); default: row 1, or the row after a title row.
        engine, memory_limit: as in :func:`~xlseg.engine.breakdowns.breakdown`. ``data`` may also be a source
            its own engine aggregates (a DuckDB relation, ``(connection, "table")``, an Ibis table, a PySpark
            DataFrame, or files for DuckDB): then ``by`` must be given (auto mode would read every column).

    Returns:
        A :class:`Report`; ``report(...).to_excel("report.xlsx")`` writes it.
    """
    say = progress or (lambda _message: None)
    bins, top = named(bins), named(top) if isinstance(top, Mapping) else top  # names may be 10, True, dates
    source = Path(data) if isinstance(data, (str, os.PathLike)) else None
    breakdowns = parse_breakdowns(by)
    metric_list = None if metrics is None else parse_metrics(metrics)
    crosstab_list = None if crosstabs is None else [parse_crosstab(c) for c in crosstabs]
    requested = requested_columns(breakdowns or [], metric_list or [], crosstab_list or [])
    if source is not None and source.suffix.lower() in EXCEL_SUFFIXES and header_row in (None, 1):
        check_columns(source, sheet, requested)  # names vs the header row, before the read
    from xlseg.io.sources import in_memory_only, open_source

    pushed = open_source(data, engine=engine, memory_limit=memory_limit)
    facts: Profile | None = None
    if pushed is not None:
        in_memory_only(pushed, na_values=na_values, header_row=header_row, tz=tz)
        if breakdowns is None:
            raise XlsegError("name the breakdowns (--by COLUMN, or by='column' in Python): auto mode on "
                             f"{pushed.backend} would profile every column of the whole table")
        say(f"profiling {pushed.name} on {pushed.backend}")
        table, facts = _source_table(pushed, roles, requested, metric_list)
        data = pushed
    else:
        say(f"reading {source.name}" if source else "reading the table")
        table = load_table(data, roles=roles, sheet=sheet, keep=requested,  # a named blank column: one "(missing)"
                           na_values=na_values, header_row=header_row, tz=tz)
        if len(table.frame) and metric_list:  # a number statistic asked of an id-looking column is honoured
            segmented = requested_columns(breakdowns or [], [], crosstab_list or []) + list(roles or {})
            table = metrics_as_asked(table, metric_list, segmented=segmented)
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
    headline = _headline(main, plan.metrics)
    sheets: list[SheetLayout] = []
    frames: dict[str, list[pd.DataFrame]] = {}
    found: list[tuple[Finding, SheetLayout]] = []
    total = len(plan.breakdowns) + len(plan.crosstabs)
    for i, choice in enumerate(plan.breakdowns, 1):
        say(f"breakdown {i}/{total}: {' × '.join(choice.columns)}")
        by_items = [default_bins(item, table, bins, distinct) for item in choice.by]
        wanted = _metrics_for(choice, plan.metrics, chosen=metric_list is None)
        frame, counts = _with_counts(breakdown(
            data, by_items, wanted + _count_metrics(wanted), bins=bins, top=top, min_size=min_size,
            confidence=confidence, intervals=True, compare=True), wanted)
        ordered = len(by_items) == 1 and (isinstance(by_items[0], Mapping) and "bins" in by_items[0]
                                          or not str(bins.get(choice.columns[0], "top")).startswith("top"))
        dated = len(by_items) == 1 and table.roles.get(choice.columns[0]) == Role.DATE
        sheets.append(_breakdown_sheet(frame, choice.columns, rows, confidence, min_size, ordered,
                                       counts, headline, dated))
        found += _sheet_findings(sheets[-1], frame, choice.columns, counts, confidence)
        frames[sheets[-1].name] = [frame]
    for j, (rows_of, cols) in enumerate(plan.crosstabs, len(plan.breakdowns) + 1):
        say(f"crosstab {j}/{total}: {_label(rows_of)} × {_label(cols)}")
        layout, tables = _crosstab_sheet(data, table, distinct, rows_of, cols, plan.metrics, bins, top, min_size,
                                         headline)
        sheets.append(layout)
        frames[layout.name] = tables
    standouts: list[str] = []
    if scan is not None or breakdowns is None:
        standouts, scan_frame = _scan(table, scan, plan, breakdowns is None, bins, top, min_size, confidence, say,
                                      headline, source=pushed)
        if scan is not None and scan_frame is not None:
            sheets.append(scan_sheet(scan_frame))
            frames[sheets[-1].name] = [scan_frame]
    if gap is not None:
        say(f"gap decomposition: {gap}")
        gap_frame = _gap(table, gap, breakdowns, plan.metrics, bins, top, confidence, source=pushed)
        sheets.append(gap_sheet(gap_frame))
        frames[sheets[-1].name] = [gap_frame]
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
        standouts=standouts[:3] + standouts[-1:] if len(standouts) > 4 else standouts,
        findings=[(f.sentence, layout.name) for f, layout in sorted(found, key=lambda pair: pair[0].rank_key)
                  [:MAX_FINDINGS]],
        main=None if headline is None else headline,
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
    notes = [*source.notes, source.aggregated_note()]
    return Table(frame, kept, notes, facts.rows), facts


def _scan(table: Table, metric: str | None, plan: Plan, auto: bool, bins: Mapping[str, object], top: object,
          min_size: int | None, confidence: float, say: Progress, headline: str | None = None,
          source: Source | None = None) -> tuple[list[str], pd.DataFrame | None]:
    """The scan of ``metric`` — or, when None (auto mode), of the headline or first rate or mean — as sentences for
    the Summary and the frame. It scans auto mode's dimensions in auto mode, else the breakdowns' columns (text
    columns limited to ``top`` categories, as on their sheets). An automatic scan with nothing to scan gives no
    findings instead of an error."""
    asked = metric is not None
    if metric is None:
        comparable = [(c, a) for c, a in plan.metrics if a in ("rate", "mean")]
        if not comparable:
            return [], None
        comparable.sort(key=lambda pair: f"{pair[0]} {pair[1]}" != headline)  # the headline metric first
        metric = f"{comparable[0][0]}:{comparable[0][1]}"
    column = metric.rpartition(":")[0] or metric
    by = None if auto else list({column_of(i): _with_top(i, table, top) for c in plan.breakdowns for i in c.by
                                 if column_of(i) != column}.values())
    say(f"scanning segments for {metric}")
    try:
        frame = scan_segments(source or table, metric, by=by or None, min_size=min_size, confidence=confidence,
                              bins=bins)
    except XlsegError:
        if asked:
            raise
        return [], None
    return finding_sentences(frame), frame


def _with_top(item: object, table: Table, top: object) -> object:
    """A text column as a dimension limited to its ``top`` largest categories (an int, or column → int)."""
    if top is None or not isinstance(item, str) or table.roles.get(item) != Role.DIMENSION:
        return item
    count = top.get(item) if isinstance(top, Mapping) else top
    return item if count is None else {"column": item, "top": count}


def _gap(table: Table, spec: str, breakdowns: list[list[object]] | None, metrics: list[tuple[str, str]],
         bins: Mapping[str, object], top: object, confidence: float, source: Source | None = None) -> pd.DataFrame:
    """The gap of the first rate or mean between the groups of ``spec`` (``"column:A:B"``), by the first ``by``."""
    comparable = [(c, a) for c, a in metrics if a in ("rate", "mean")]
    if not breakdowns or not comparable:
        raise XlsegError("a gap needs the column to split it by and a rate or mean: --gap gender:Male:Female --by "
                         "department --metric admitted:rate")
    column, agg = comparable[0]
    return split_gap(source or table, breakdowns[0][0], f"{column}:{agg}", between=spec, bins=bins,
                     top=top if isinstance(top, int) else None, confidence=confidence)
def _headline(main: str | None, metrics: list[tuple[str, str]]) -> str | None:
    """The output column of ``main`` (``"revenue:mean"`` → ``"revenue mean"``), checked against the metrics."""
    if main is None:
        return None
    pairs = parse_metrics(main)
    if len(pairs) != 1:
        raise XlsegError(f"main takes one metric as COLUMN:AGG (e.g. revenue:mean), not {main!r}")
    column, agg = pairs[0]
    if (column, agg) not in metrics:
        offered = ", ".join(f"{c}:{a}" for c, a in metrics) or "none"
        raise XlsegError(f"the main metric {column}:{agg} is not one of the report's metrics ({offered});"
                         f" add it (--metric {column}:{agg}) or choose one of them")
    return f"{column} {agg}"


def _count_metrics(metrics: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """A ``count`` (non-missing values) of every metric column not already counted: the ``n=`` of captions."""
    columns = dict.fromkeys(c for c, a in metrics if a not in ("count", "nunique"))
    return [(c, "count") for c in columns if (c, "count") not in metrics]


def _with_counts(frame: pd.DataFrame, wanted: list[tuple[str, str]]) -> tuple[pd.DataFrame, dict[str, list[float]]]:
    """The breakdown without the extra count columns, and metric column → values behind each row."""
    extra = [f"{c} count" for c, _ in _count_metrics(wanted)]
    counts = {f"{c} {a}": frame[f"{c} count"].astype(float).tolist() for c, a in wanted if f"{c} count" in frame}
    return frame.drop(columns=extra), counts


def _sheet_findings(sheet: SheetLayout, frame: pd.DataFrame, by: list[str], counts: Mapping[str, list[float]],
                    confidence: float) -> list[tuple[Finding, SheetLayout]]:
    """The significant differences of every metric of one breakdown sheet."""
    names = list(frame.columns)
    out = []
    for metric in names:
        if f"{metric} lift" in names and f"{metric} p" in names:
            for finding in findings(frame, by, metric, number_format(metric, frame), confidence,
                                    n=counts.get(metric)):
                out.append((finding, sheet))
    return out


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


def _breakdown_sheet(frame: pd.DataFrame, by: list[str], rows: int, confidence: float,
                     min_size: int | None, ordered: bool = False, counts: Mapping[str, list[float]] | None = None,
                     headline: str | None = None, dated: bool = False) -> SheetLayout:
    dims = " × ".join(by)
    metric = headline if headline in frame.columns else main_metric(frame)
    metrics = [c for c in frame.columns[len(by) + 2:] if c != "low_n" and not c.endswith((" lo", " hi", " lift", " p"))]
    subtitle = f"{rows:,} users · " + (", ".join(metrics) if metrics else "users per segment") + (
        f" · {confidence:.0%} intervals, lift and p vs the rest" if metrics else "")
    block = breakdown_block(_focus(frame, metric), by, table_name="_".join(by), chart_metric=metric,
                            confidence=confidence, min_size=min_size, ordered=ordered, counts=counts, dated=dated)
    return SheetLayout(dims, f"By {dims}", subtitle, [block], kind="breakdown")


def _focus(frame: pd.DataFrame, main: str) -> pd.DataFrame:
    """The columns a sheet shows: the interval (lo / hi) only for the main metric, to keep the table narrow."""
    drop = [c for c in frame.columns if c.endswith((" lo", " hi")) and c.rpartition(" ")[0] != main]
    return frame.drop(columns=drop)


def _crosstab_sheet(data: object, table: Table, distinct: Callable[[str], int], rows: list[object],
                    cols: list[object], metrics: list[tuple[str, str]], bins: Mapping[str, object], top: object,
                    min_size: int | None, headline: str | None = None) -> tuple[SheetLayout, list[pd.DataFrame]]:
    rows = [default_bins(r, table, bins, distinct) for r in rows]
    cols = [default_bins(c, table, bins, distinct) for c in cols]
    row_names, col_name = [column_of(r) for r in rows], _label(cols)
    col_names = [column_of(c) for c in cols]
    counts = crosstab(data, rows, cols, bins=bins, top=top)  # type: ignore[arg-type]
    base = "_".join(row_names) + "_x_" + col_name.replace(" / ", "_")
    blocks = [crosstab_block(counts, row_names, col_name, title="Users", table_name=base + "_users",
                             caption=_largest_cell(counts, row_names, col_names))]
    frames = [counts]
    comparable = [(c, a) for c, a in metrics if a in ("rate", "mean")]
    comparable.sort(key=lambda pair: f"{pair[0]} {pair[1]}" != headline)  # the headline metric first
    if comparable:
        column, agg = comparable[0]
        values = crosstab(data, rows, cols, value=column, agg=agg, bins=bins, top=top)  # type: ignore[arg-type]
        behind = crosstab(data, rows, cols, value=column, agg="count", bins=bins, top=top)  # type: ignore[arg-type]
        fmt = "0.0%" if agg == "rate" else decimals_format(
            values.iloc[:-1, len(row_names):-1].to_numpy(dtype=float, na_value=np.nan).ravel())
        caption = _best_cell(values, counts, behind, row_names, col_names, f"{column} {agg}", fmt, min_size)
        blocks.append(crosstab_block(values, row_names, col_name, title=f"{column} {agg}", number_format=fmt,
                                     table_name=f"{base}_{column}_{agg}", caption=caption,
                                     notes=[f"Cells with fewer than {min_size:,} users are noisy; check the Users"
                                            " table above."] if min_size else []))
        frames.append(values)
    dims = f"{' / '.join(row_names)} × {col_name}"
    users = int(counts.iloc[-1, -1])  # the grand total of the counts: every user, in memory or at the source
    return SheetLayout(dims, f"Heatmap: {dims}", f"{users:,} users", blocks, kind="crosstab"), frames


def _cell_name(frame: pd.DataFrame, r: int, c: int, row_names: list[str], col_names: list[str]) -> str:
    """A heatmap cell as a phrase: ``"plan = Pro, device = Mobile"``."""
    column_label = str(frame.columns[len(row_names) + c])
    column_labels = column_label.split(" / ") if len(col_names) > 1 else [column_label]
    if len(column_labels) != len(col_names):
        return segment_name([*frame.iloc[r, :len(row_names)].tolist(), column_label])
    return segment_name([*frame.iloc[r, :len(row_names)].tolist(), *column_labels], [*row_names, *col_names])


def _largest_cell(counts: pd.DataFrame, row_names: list[str], col_names: list[str]) -> str | None:
    grid = counts.iloc[:-1, len(row_names):-1]
    if grid.empty:
        return None
    values = grid.to_numpy(dtype=float, na_value=np.nan)
    r, c = np.unravel_index(np.nanargmax(values), values.shape)
    return f"Largest cell: {_cell_name(counts, r, c, row_names, col_names)} with {int(values[r, c]):,} users."


def _best_cell(values: pd.DataFrame, counts: pd.DataFrame, behind: pd.DataFrame, row_names: list[str],
               col_names: list[str], metric: str, fmt: str, min_size: int | None) -> str | None:
    """The highest cell with at least ``min_size`` users, formatted like the cells; ``n=`` counts the values
    behind it (non-missing values of the column); says when a higher cell was skipped as low-n."""
    grid = values.iloc[:-1, len(row_names):-1].to_numpy(dtype=float, na_value=np.nan)
    users = counts.iloc[:-1, len(row_names):-1].to_numpy(dtype=float, na_value=np.nan)
    n = behind.iloc[:-1, len(row_names):-1].to_numpy(dtype=float, na_value=np.nan)
    usable = np.isfinite(grid) & (users >= (min_size or 1))
    if not usable.any():
        return None
    masked = np.where(usable, grid, -np.inf)
    r, c = np.unravel_index(np.argmax(masked), masked.shape)
    overall = float(values.iloc[-1, -1])
    text = (f"Highest {metric}: {_cell_name(values, r, c, row_names, col_names)}, {format_number(grid[r, c], fmt)}"
            f" (n={int(n[r, c]):,}); overall {format_number(overall, fmt)}.")
    higher = np.isfinite(grid) & ~usable & (grid > grid[r, c])
    if higher.any():
        k = int(higher.sum())
        hr, hc = np.unravel_index(np.argmax(np.where(higher, grid, -np.inf)), grid.shape)
        text += (f" {'A darker cell is' if k == 1 else f'{k} darker cells are'} left out for having fewer than"
                 f" {min_size:,} users (e.g. {_cell_name(values, hr, hc, row_names, col_names)},"
                 f" {format_number(grid[hr, hc], fmt)}, {int(users[hr, hc]):,} users).")
    return text


def _column_facts(table: Table, facts: Profile | None = None) -> list[tuple[str, str, int, int]]:
    if facts is not None:
        return [(column, str(role), facts.missing[column], facts.distinct[column])
                for column, role in table.roles.items()]
    frame = table.frame
    return [(column, str(role), int(frame[column].isna().sum()), distinct_count(frame[column]))
            for column, role in table.roles.items()]
