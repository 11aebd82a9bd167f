"""The "segment this table" macro on xlwings' remote engine, which records every write as a JSON action.

These tests need xlwings' remote engine (xlwings PRO), used here under the noncommercial licence of this
open-source project: ``XLWINGS_LICENSE_KEY=noncommercial`` must be set before xlwings is imported, so
tests/test_macros.py runs this file in a subprocess with it; in a plain pytest run it is skipped.
"""

from __future__ import annotations

import os

import pytest

pytestmark = pytest.mark.skipif(
    os.environ.get("XLWINGS_LICENSE_KEY") != "noncommercial",
    reason="runs in a subprocess with the noncommercial xlwings licence (see tests/test_macros.py)",
)

if os.environ.get("XLWINGS_LICENSE_KEY") == "noncommercial":
    import xlwings as xw
    from xlwings_stubs import Replay, remote_book_json

    from xlseg.demo import make_users
    from xlseg.excel.macros import remove_results, segment_selection, source_key, write_results
    from xlseg.sheets.layout import Block, Column, Row, SheetLayout


def users_rows(n=300, seed=3):
    frame = make_users(n, seed=seed)
    rows = [list(frame.columns)]
    for record in frame.itertuples(index=False):
        rows.append([v.to_pydatetime() if hasattr(v, "to_pydatetime") else (v.item() if hasattr(v, "item") else v)
                     for v in record])
    return rows


def place(rows, top=1, left=1):
    """``rows`` placed with their top-left corner at (top, left), blank cells around."""
    width = left - 1 + max(len(r) for r in rows)
    out = [[None] * width for _ in range(top - 1)]
    out += [[None] * (left - 1) + list(r) + [None] * (width - left + 1 - len(r)) for r in rows]
    return out


CONFIG = [["setting", "value", "what it does"], ["by", "device", ""], ["by", "plan", ""],
          ["metrics", "converted:rate; session_length:mean", ""], ["min_size", 20, ""]]


def run_macro(sheets, selection, active=0):
    data = remote_book_json(sheets, active=active, selection=selection)
    book = xw.Book(json=data)
    names_before = [s["name"] for s in data["sheets"]]
    written = segment_selection(book)
    actions = book.impl.json()["actions"]
    return written, Replay(names_before).apply(actions), actions, data


def alerts(actions):
    return [a["args"][0] for a in actions if a["func"] == "alert"]


def test_a_cell_inside_the_table_segments_the_whole_table():
    """The table starts at B3 under a title; another block sits to the right, beyond an empty column."""
    sheet = place(users_rows(), top=3, left=2)
    sheet[0][1] = "Export of 2025-07-01"
    for i, row in enumerate(sheet[2:7]):
        row.extend([None, f"other {i}"])
    for row in sheet:
        row.extend([None] * (len(sheet[2]) - len(row)))
    written, replay, actions, _ = run_macro({"Data": sheet, "xlseg": CONFIG}, selection="D10")
    assert not alerts(actions)
    assert written == ["Summary", "device", "plan"]
    assert replay.order == ["Data", "Summary", "device", "plan", "xlseg"]  # right after the data sheet
    assert set(replay.touched) == {"Summary", "device", "plan"}  # nothing written to the user's sheets
    summary = " ".join(str(v) for v in replay.cells("Summary").values())
    assert "Data!B3:J303" in summary and "300" in summary
    device = {v for v in replay.cells("device").values() if isinstance(v, str)}
    assert {"'Desktop", "'Mobile", "'Tablet", "'Total"} <= device


def test_result_sheets_are_marked_with_defined_names():
    written, _, actions, data = run_macro({"Data": users_rows(), "xlseg": CONFIG}, selection="A1")
    marks = [a["args"] for a in actions if a["func"] == "namesAdd"]
    key = source_key("Data")
    assert marks == [[f"xlseg_{key}_{i}", f"='{name}'!$A$1"] for i, name in enumerate(written, 1)]
    assert [a for a in actions if a["func"] == "activateSheet"][-1]["sheet_position"] == 1


def test_rerun_replaces_only_xlsegs_sheets():
    """Second run: the marked sheets go, a user's own "Summary" sheet and other results stay."""
    _, _, _, data = run_macro({"Data": users_rows(), "Summary": [["my notes"]], "xlseg": CONFIG}, selection="C4")
    names_after_first = [s["name"] for s in data["sheets"]]
    assert names_after_first == ["Data", "Summary (2)", "device", "plan", "Summary", "xlseg"]
    data["book"]["active_sheet_index"] = 0  # the user goes back to the data and runs it again
    book = xw.Book(json=data)  # what Excel sends on the next run: the book as the first run left it
    written = segment_selection(book)
    actions = book.impl.json()["actions"]
    replay = Replay(names_after_first).apply(actions)
    assert sorted(replay.deleted) == ["Summary (2)", "device", "plan"]
    deleted_names = [a["args"][0] for a in actions if a["func"] == "nameDelete"]
    assert len(deleted_names) == 3 and all(n.startswith("xlseg_") for n in deleted_names)
    assert written == ["Summary (2)", "device", "plan"]
    assert replay.order == ["Data", "Summary (2)", "device", "plan", "Summary", "xlseg"]
    assert set(replay.touched) == {"Summary (2)", "device", "plan"}  # the old ones (deleted) and the new ones
    assert "Summary" not in replay.deleted and "Data" not in replay.deleted


def test_results_of_another_data_sheet_are_left_alone():
    sheets = {"Data": users_rows(), "More": users_rows(120, seed=9), "xlseg": CONFIG}
    _, _, _, data = run_macro(sheets, selection="A1")
    data["book"]["active_sheet_index"] = [s["name"] for s in data["sheets"]].index("More")
    data["book"]["selection"] = "B2"
    before = [s["name"] for s in data["sheets"]]
    book = xw.Book(json=data)
    written = segment_selection(book)
    replay = Replay(before).apply(book.impl.json()["actions"])
    assert replay.deleted == []
    assert written == ["Summary (2)", "device (2)", "plan (2)"]
    assert replay.order.index("Summary (2)") == replay.order.index("More") + 1


def test_labels_that_look_like_formulas_are_written_as_text():
    rows = [["segment", "converted"], ["=1+1", True], ["#N/A pending", False], ["+44 20", True], ["=1+1", False]]
    _, replay, actions, _ = run_macro({"Data": rows, "xlseg": [["by", "segment"]]}, selection="A2")
    assert not alerts(actions)
    labels = {v for v in replay.cells("segment").values() if isinstance(v, str)}
    assert {"'=1+1", "'#N/A pending", "'+44 20"} <= labels


def test_selected_table_and_whole_columns():
    rows = place(users_rows(80), top=2, left=1) + [[None] * 9, ["notes below", *[None] * 8]]
    written, replay, _, _ = run_macro({"Data": rows, "xlseg": CONFIG}, selection="A2:I82")
    summary = " ".join(str(v) for v in replay.cells("Summary").values())
    assert written and "Data!A2:I82" in summary
    written, replay, actions, _ = run_macro({"Data": users_rows(80), "xlseg": CONFIG}, selection="A:I")
    assert written and not alerts(actions)


def test_without_settings_the_report_chooses():
    written, _, actions, _ = run_macro({"Data": users_rows()}, selection="B2")
    assert not alerts(actions) and written[0] == "Summary" and len(written) >= 2


@pytest.mark.parametrize(
    ("sheets", "selection", "message"),
    [
        ({"Data": [["a", "b"], [1, 2]]}, "F9", "The selected cell is empty"),
        ({"Data": [["a", "b"], [1, 2]], "xlseg": [["by", "c"]]}, "A1", "column 'c' not found"),
        ({"Data": [["a", "b"], [1, 2]], "xlseg": [["bye", "a"]]}, "A1", "in the xlseg sheet: unknown option 'bye'"),
        ({"Data": [["a", "b"], [1, 2]], "xlseg": [["compare", "yes"]]}, "A1", "does not take the option"),
        ({"Data": [["a", "b", "c"]]}, "A1", "header row and at least one row"),
    ],
)
def test_problems_are_shown_and_nothing_is_written(sheets, selection, message):
    written, replay, actions, _ = run_macro(sheets, selection=selection)
    assert written == []
    (shown,) = alerts(actions)
    assert message.lower() in shown.lower() and "\n" not in shown
    assert [a["func"] for a in actions] == ["alert"]


def test_running_on_a_result_sheet_is_refused():
    _, _, _, data = run_macro({"Data": users_rows(), "xlseg": CONFIG}, selection="A1")
    data["book"]["active_sheet_index"] = 2  # "device", a result sheet
    data["book"]["selection"] = "B5"
    book = xw.Book(json=data)
    assert segment_selection(book) == []
    assert "xlseg result sheet" in alerts(book.impl.json()["actions"])[0]


def test_settings_add_the_scan_and_gap_sheets():
    """``scan`` and ``gap`` rows in the xlseg sheet add "What stands out" and the gap sheet with its waterfall
    (a stacked column chart; the remote engine records it, the base series' fill needs desktop Excel's COM)."""
    config = [["setting", "value"], ["by", "plan"], ["metrics", "converted:rate"], ["min_size", 20],
              ["scan", "converted:rate"], ["gap", "device:Desktop:Mobile"]]
    written, replay, actions, _ = run_macro({"Data": users_rows(600), "xlseg": config}, selection="A1")
    assert not alerts(actions)
    assert written == ["Summary", "plan", "What stands out", "Gap Desktop vs Mobile"]
    cells = {v for v in replay.cells("Gap Desktop vs Mobile").values() if isinstance(v, str)}
    assert {"'Rate effect", "'Mix effect", "'Overall Desktop", "'Overall Mobile"} <= cells
    charts = [a["args"] for a in actions if a["func"] == "addChart"]
    assert any("column_stacked" in str(args) or "ColumnStacked" in str(args) for args in charts), charts
def _fails_while_painting(name):
    """A layout whose cells cannot be produced: painting it fails halfway, as a busy Excel would."""

    class FailsWhilePainting(SheetLayout):
        def cells(self):
            yield from list(super().cells())[:1]
            raise RuntimeError("Excel is busy")

    return FailsWhilePainting(name, "t")


def _layout(name):
    return SheetLayout(name, f"Result {name}", None, [Block("t", [Column("a")], 1, [Row(("x",))])])


def test_a_run_that_fails_halfway_leaves_only_marked_sheets_the_next_run_replaces():
    data = remote_book_json({"Data": users_rows(60), "Notes": [["mine"]]})
    book = xw.Book(json=data)
    with pytest.raises(RuntimeError, match="busy"):
        write_results(book, book.sheets["Data"], [_layout("first"), _fails_while_painting("second"),
                                                  _layout("third")])
    after_failure = [s["name"] for s in data["sheets"]]
    assert after_failure == ["Data", "first", "second", "Notes"]  # the third was never created
    marks = [a["args"] for a in book.impl.json()["actions"] if a["func"] == "namesAdd"]
    key = source_key("Data")
    assert marks == [[f"xlseg_{key}_1", "='first'!$A$1"], [f"xlseg_{key}_2", "='second'!$A$1"]]
    assert [n["name"] for n in data["names"]] == [m[0] for m in marks]  # the book now holds both marks
    again = xw.Book(json=data)  # the next run sees the half-written result
    removed = remove_results(again, again.sheets["Data"])
    assert sorted(removed) == ["first", "second"]
    replay = Replay(after_failure).apply(again.impl.json()["actions"])
    assert sorted(replay.deleted) == ["first", "second"] and "Notes" not in replay.deleted


def test_a_data_sheet_and_result_names_with_apostrophes():
    rows = users_rows(200)
    rows[0][rows[0].index("plan")] = "Ann's plan"
    config = [["setting", "value"], ["by", "Ann's plan"], ["metrics", "converted:rate"]]
    written, replay, actions, data = run_macro({"Ann's data": rows, "xlseg": config}, selection="A1")
    assert not alerts(actions) and written == ["Summary", "Ann's plan"]
    assert replay.order == ["Ann's data", "Summary", "Ann's plan", "xlseg"]
    marks = [a["args"] for a in actions if a["func"] == "namesAdd"]
    key = source_key("Ann's data")
    assert marks == [[f"xlseg_{key}_1", "='Summary'!$A$1"], [f"xlseg_{key}_2", "='Ann''s plan'!$A$1"]]
    links = [a["args"][0] for a in actions if a["func"] == "addHyperlink"]
    assert "#'Ann''s plan'!A1" in links
    summary = " ".join(str(v) for v in replay.cells("Summary").values())
    assert "Segments of Ann's data!A1:I201" in summary


def test_formula_like_column_headers_stay_text():
    rows = users_rows(200)
    risky = {"plan": "=1+1", "device": "@SUM(1)", "sessions": "+cost", "revenue": "-2"}
    rows[0] = [risky.get(name, name) for name in rows[0]]
    config = [["setting", "value"], ["by", "=1+1"], ["by", "@SUM(1)"], ["metrics", "+cost:mean; -2:mean"]]
    written, replay, actions, _ = run_macro({"Data": rows, "xlseg": config}, selection="A1")
    assert not alerts(actions), alerts(actions)
    strings = [v for name in written for v in replay.cells(name).values() if isinstance(v, str)]
    for header in risky.values():
        written_as = [v for v in strings if v.lstrip("'").startswith(header)]
        assert written_as and all(v.startswith("'") for v in written_as), header


def test_an_activity_table_gets_the_behavioural_sheets():
    """One row per session (ids repeat, a time column): Retention, Lifecycle, Engagement and RFM sheets."""
    from xlseg.demo import make_activity

    events = make_activity(make_users(150, seed=2), seed=2)
    rows = [list(events.columns)] + [[v.to_pydatetime() if hasattr(v, "to_pydatetime") else
                                      (v.item() if hasattr(v, "item") else v) for v in r]
                                     for r in events.itertuples(index=False)]
    written, replay, actions, _ = run_macro({"Events": rows}, selection="B5")
    assert not alerts(actions)
    assert written == ["Summary", "Retention", "Lifecycle", "Engagement", "RFM"]
    assert replay.order == ["Events", *written]
    summary = " ".join(str(v) for v in replay.cells("Summary").values())
    assert f"Events!A1:D{len(rows)}" in summary and "amount" in summary
    funcs = [a["func"] for a in actions]
    assert funcs.count("addChart") == 5
