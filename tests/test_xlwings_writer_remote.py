"""The xlwings writer on xlwings' remote engine, which records every write as a JSON action.

These tests need xlwings' remote engine (xlwings PRO), used here under the noncommercial licence of this
open-source project: ``XLWINGS_LICENSE_KEY=noncommercial`` must be set before xlwings is imported, so
tests/test_xlwings_writer.py runs this file in a subprocess with it; in a plain pytest run it is skipped.
"""

from __future__ import annotations

import datetime as dt
import os

import pytest

pytestmark = pytest.mark.skipif(
    os.environ.get("XLWINGS_LICENSE_KEY") != "noncommercial",
    reason="runs in a subprocess with the noncommercial xlwings licence (see tests/test_xlwings_writer.py)",
)

if os.environ.get("XLWINGS_LICENSE_KEY") == "noncommercial":
    import xlwings as xw
    from openpyxl import load_workbook
    from xlwings_stubs import Replay, remote_book_json

    from xlseg.demo import make_users
    from xlseg.reporting import report
    from xlseg.sheets.layout import Block, Column, Row, SheetLayout
    from xlseg.writers.save import write_workbook
    from xlseg.writers.xlwings_writer import add_sheets


def _book(sheets=None):
    data = remote_book_json(sheets or {"Data": [["a", "b"], [1, 2]]})
    return xw.Book(json=data), [s["name"] for s in data["sheets"]]


def _written(value):
    """A value as the writer handed it to Excel, back to the layout's value (apostrophe removed)."""
    if isinstance(value, str) and value.startswith("'"):
        return value[1:]
    return value


def _normal(value):
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


@pytest.fixture(scope="module")
def demo_report():
    return report(make_users(600), by=["device", "plan, device"], metrics="converted:rate; session_length:mean",
                  crosstabs=["geography:device"], title="Users =1+1")


def test_parity_with_the_openpyxl_writer(demo_report, tmp_path):
    """Same layout, same values in the same cells, same number formats, in every sheet."""
    assert_parity(demo_report, tmp_path)


def test_parity_of_the_scan_and_gap_sheets(tmp_path):
    """The "What stands out" and gap sheets (mixed per-cell formats, a stacked waterfall) paint the same."""
    from test_gap import berkeley

    result = report(berkeley(), by="department", metrics="admitted:rate", scan="admitted:rate",
                    gap="gender:Male:Female")
    assert_parity(result, tmp_path)
    book, _ = _book()
    add_sheets(book, result.sheets, after=book.sheets[0])
    charts = [a for a in book.impl.json()["actions"] if a["func"] == "addChart"]
    assert len(charts) == sum(1 for s in result.sheets for b in s.blocks if b.chart is not None and b.chart_ranges())


def assert_parity(demo_report, tmp_path):
    path = write_workbook(demo_report.sheets, tmp_path / "report.xlsx")
    book, names = _book()
    add_sheets(book, demo_report.sheets, after=book.sheets[0])
    replay = Replay(names).apply(book.impl.json()["actions"])
    saved = load_workbook(path)
    assert replay.order == ["Data", *saved.sheetnames]
    for ws in saved.worksheets:
        expected = {(c.row, c.column): _normal(c.value) for row in ws.iter_rows() for c in row if c.value is not None}
        got = {k: _normal(_written(v)) for k, v in replay.cells(ws.title).items()}
        assert got.keys() == expected.keys(), ws.title
        for key, value in expected.items():  # openpyxl stores 16 significant digits, Excel keeps 15
            assert got[key] == (pytest.approx(value, rel=1e-14) if isinstance(value, float) else value), (ws.title, key)
        for (r, c), value in expected.items():
            fmt = ws.cell(r, c).number_format
            if isinstance(value, int | float) and not isinstance(value, bool):
                assert replay.formats[ws.title].get((r, c), "General") == fmt, (ws.title, r, c)


def test_every_string_is_written_as_text(demo_report):
    book, names = _book()
    add_sheets(book, demo_report.sheets, after=book.sheets[0])
    replay = Replay(names).apply(book.impl.json()["actions"])
    strings = [v for sheet in replay.order[1:] for v in replay.cells(sheet).values() if isinstance(v, str)]
    assert strings and all(s.startswith("'") for s in strings)
    assert "'Users =1+1" in strings


def test_risky_labels_stay_labels():
    layout = SheetLayout(name="=cmd|' /C calc'!A0", title="#N/A", blocks=[
        Block(title="@SUM(1)", columns=[Column("segment"), Column("users", "#,##0")], stub=1,
              rows=[Row(("=1+1", 3)), Row(("-2", 4)), Row(("1-2", 5)), Row(("007", 6))], table_name="t")])
    book, names = _book()
    (sheet,) = add_sheets(book, [layout], after=book.sheets[0])
    replay = Replay(names).apply(book.impl.json()["actions"])
    cells = replay.cells(sheet.name)
    assert cells[(1, 1)] == "'#N/A"
    labels = [cells[(r, 1)] for r in range(5, 9)]
    assert labels == ["'=1+1", "'-2", "'1-2", "'007"]
    assert sheet.name == "=cmd|' _C calc'!A0"  # made a valid sheet name ("/" is not allowed)


def test_sheet_features_are_painted(demo_report):
    book, names = _book()
    add_sheets(book, demo_report.sheets, after=book.sheets[0])
    actions = book.impl.json()["actions"]
    funcs = [a["func"] for a in actions]
    breakdown_layouts = [s for s in demo_report.sheets if s.kind == "breakdown"]
    tables = [b.table_name for s in demo_report.sheets for b in s.blocks if b.table_name and b.rows]
    assert [a["args"][3] for a in actions if a["func"] == "addTable"] == tables
    charts = [b for s in demo_report.sheets for b in s.blocks if b.chart is not None and b.chart_ranges()]
    assert funcs.count("addChart") == len(charts) and funcs.count("setChartTitle") == len(charts)
    rules = [a["args"][0]["type"] for a in actions if a["func"] == "addConditionalFormat"]
    assert set(rules) <= {"ColorScale", "DataBar"} and rules
    _charts_as_laid_out(actions, charts)
    _links_as_laid_out(actions, demo_report.sheets)
    assert funcs.count("freezePaneAtRange") == sum(1 for s in demo_report.sheets if s.freeze)
    assert funcs.count("setShowGridlines") == len(demo_report.sheets)
    assert breakdown_layouts and funcs.count("addSheet") == len(demo_report.sheets)


def test_existing_names_are_never_reused():
    book, names = _book({"Data": [["a"], [1]], "Summary": [["mine"]]})
    layout = SheetLayout(name="summary", title="t", blocks=[Block(columns=[Column("a")], rows=[Row(("x",))],
                                                                  table_name="Data")])
    (sheet,) = add_sheets(book, [layout], after=book.sheets[0])
    assert sheet.name == "summary (2)"
    replay = Replay(names).apply(book.impl.json()["actions"])
    assert set(replay.touched) == {"summary (2)"}
    assert replay.order == ["Data", "summary (2)", "Summary"]


def _a1(r1, c1, r2, c2):
    from xlseg.sheets.names import column_letter

    return f"${column_letter(c1)}${r1}:${column_letter(c2)}${r2}"


def _charts_as_laid_out(actions, charts):
    """Each chart plots the layout's chart data: value and overall (one range, two series), the overall
    series as a line, the value axis from zero with the layout's label step and number format."""
    added = [a for a in actions if a["func"] == "addChart"]
    assert len(added) == len(charts)
    for action, block in zip(added, charts, strict=True):
        spec, extra = block.chart, block.chart_data_ranges()
        assert extra is not None and spec.data is not None  # every breakdown chart of the demo has an interval
        assert action["args"][1] == {"column": "ColumnClustered", "line": "LineMarkers"}[spec.kind]
        assert action["args"][3] == _a1(*extra["series"])
    by_chart = {}
    for a in actions:
        if a["func"] in ("setChartSeries", "setChartAxis"):
            by_chart.setdefault((a["sheet_position"], a["args"][0]), []).append(a)
    assert len(by_chart) == len(charts)
    for block, calls in zip(charts, by_chart.values(), strict=True):
        series = [a["args"][1:] for a in calls if a["func"] == "setChartSeries"]
        assert [1, {"chart_type": "Line", "line_color": "#1f4e79"}] in series
        axis = {k: v for a in calls if a["func"] == "setChartAxis" for k, v in a["args"][2].items()}
        assert axis == {"minimum_scale": 0, "major_unit": block.chart.axis_step,
                        "number_format": block.chart.number_format}


def _links_as_laid_out(actions, sheets):
    """Every linked cell of the layouts (the Summary's sheet names) is a hyperlink to that sheet's A1."""
    expected = sorted((c.value, c.link) for s in sheets for b in s.blocks for c in b.cells() if c.link)
    got = sorted((a["args"][1], a["args"][0]) for a in actions if a["func"] == "addHyperlink")
    assert expected and got == [(text, "#'" + target.replace("'", "''") + "'!A1") for text, target in expected]
def test_behaviour_sheets_paint_their_chart_kinds():
    """Line, stacked-column (four adjacent series) and column charts reach Excel as its own chart types."""
    from xlseg.behavior_report import behavior_report
    from xlseg.demo import make_activity

    users = make_users(300)
    result = behavior_report(make_activity(users), users=users[["user_id", "device"]])
    book, names = _book()
    add_sheets(book, result.sheets, after=book.sheets[0])
    actions = book.impl.json()["actions"]
    charts = [(a["args"][1], a["args"][2], a["args"][3]) for a in actions if a["func"] == "addChart"]
    lifecycle = next(s for s in result.sheets if s.name == "Lifecycle").blocks[0]
    assert charts[1][:2] == ("ColumnStacked", "Lifecycle") and len(lifecycle.chart_series()) == 4
    assert [c[0] for c in charts] == ["Line", "ColumnStacked", "Line", "ColumnClustered", "ColumnClustered"]
