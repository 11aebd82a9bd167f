"""The engine-neutral layout: value normalisation, geometry, formats, captions and Excel limits."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest

from xlseg.demo import make_users
from xlseg.engine.breakdowns import breakdown
from xlseg.engine.crosstabs import crosstab
from xlseg.errors import XlsegError
from xlseg.sheets.blocks import breakdown_block, crosstab_block, header_names
from xlseg.sheets.layout import (
    COUNT,
    LIFT,
    P_VALUE,
    PERCENT,
    Block,
    Column,
    Row,
    SheetLayout,
    assign_names,
    cell_value,
    wrapped_lines,
)
from xlseg.sheets.textsafe import MAX_CELL_CHARS, clean_text, needs_protection


@pytest.fixture(scope="module")
def users() -> pd.DataFrame:
    return make_users(3000, seed=7)


@pytest.fixture(scope="module")
def device(users) -> pd.DataFrame:
    return breakdown(users, "device", "converted:rate; session_length:mean,median", min_size=30,
                     intervals=True, compare=True)


def test_cell_values_are_plain_python():
    assert cell_value(np.bool_(True)) is True and type(cell_value(np.bool_(False))) is bool
    assert type(cell_value(np.int64(3))) is int and type(cell_value(np.float32(0.5))) is float
    for missing in (np.nan, float("inf"), -np.inf, pd.NA, pd.NaT, None, np.float64("nan")):
        assert cell_value(missing) is None
    assert cell_value(pd.Timestamp("2024-03-01 10:00")) == dt.datetime(2024, 3, 1, 10)
    aware = pd.Timestamp("2024-03-01 10:00", tz="Europe/Berlin")
    assert cell_value(aware) == dt.datetime(2024, 3, 1, 9)  # converted to UTC, zone dropped
    assert cell_value(np.datetime64("2024-03-01")) == dt.datetime(2024, 3, 1)
    assert cell_value(12345678901234567) == "12345678901234567"  # more digits than Excel keeps: text
    assert cell_value("a\x01b") == "a\ufffdb"
    assert cell_value("\tx") == "\tx"


def test_over_long_text_is_an_error_not_a_truncation():
    with pytest.raises(XlsegError, match="32,767"):
        clean_text("x" * (MAX_CELL_CHARS + 1))
    assert len(clean_text("x" * MAX_CELL_CHARS)) == MAX_CELL_CHARS


@pytest.mark.parametrize("text", ["=1+1", "+SUM(A1)", "-2", "@x", "#N/A", "#div/0!", "\tx", "\rx", "\nx"])
def test_risky_strings_are_detected(text):
    assert needs_protection(text)


@pytest.mark.parametrize("text", ["Mobile", "#1 fan", "a=b", "N/A", "1+1"])
def test_ordinary_strings_are_not_flagged(text):
    assert not needs_protection(text)


def test_breakdown_block_formats_rows_and_geometry(device):
    block = breakdown_block(device, ["device"], table_name="device")
    names = [c.name for c in block.columns]
    assert names == list(device.columns)
    fmt = {c.name: c.number_format for c in block.columns}
    assert fmt["users"] == COUNT and fmt["share"] == PERCENT and fmt["converted rate"] == PERCENT
    assert fmt["converted rate lo"] == PERCENT and fmt["converted rate lift"] == LIFT
    assert fmt["converted rate p"] == P_VALUE and fmt["session_length mean"] == "#,##0.00"
    assert [r.kind for r in block.rows] == ["body"] * 3 + ["total"]
    assert block.rows[-1].values[0] == "Total"
    sheet = SheetLayout("device", "By device", "sub", [block])
    assert block.top == 4 and block.left == 1
    # title, caption, spanner row, header: body starts below
    assert block.header_row == block.top + 2 and block.first_body_row == block.header_row + 1
    assert sheet.freeze == (block.first_body_row, 2)
    values = sheet.values()
    assert values[(block.header_row, 1)] == "device"
    assert values[(block.first_body_row, 2)] == int(device["users"].iloc[0])
    # the Excel table ends above the grand total, so =SUM(table[users]) counts every user once
    assert block.table_range() == (block.header_row, 1, block.first_body_row + 2, len(device.columns))
    # the chart plots its chart data table (under the notes): the same labels and values as the table body
    cats, vals = block.chart_ranges()
    top = block.chart_data_top
    assert top == block.last_table_row + len(block.notes) + 2
    assert cats == (top + 2, 1, top + 4, 1) and vals == (top + 1, 2, top + 4, 2)
    assert [values[(r, 1)] for r in range(top + 2, top + 5)] == device["device"].iloc[:3].tolist()
    assert [values[(r, 2)] for r in range(top + 2, top + 5)] == device["converted rate"].iloc[:3].tolist()
    assert values[(top + 1, 2)] == "converted rate"


def test_significant_lift_cells_are_toned(device):
    block = breakdown_block(device, ["device"])
    lift = list(device.columns).index("converted rate lift")
    for i, row in enumerate(block.rows[:-1]):
        significant = device["converted rate p"].iloc[i] < 0.05
        assert (lift in row.tones) == bool(significant)
        if significant:
            assert row.tones[lift] == ("up" if device["converted rate lift"].iloc[i] > 0 else "down")


def test_caption_is_written_from_the_numbers(users):
    frame = breakdown(users, "plan", "converted:rate", intervals=True, compare=True, min_size=30)
    caption = breakdown_block(frame, ["plan"]).caption
    pro = frame[frame["plan"] == "Pro"].iloc[0]
    ratio = pro["converted rate lift"] + 1
    assert caption.startswith("plan = Pro: converted rate")
    assert f"{pro['converted rate']:.1%}" in caption and f"n={int(pro['users']):,}" in caption
    assert f"{ratio:.1f}×" in caption or f"{ratio:.2f}×" in caption
    assert f"95% CI {pro['converted rate lo']:.1%}–{pro['converted rate hi']:.1%}" in caption


def test_caption_says_when_nothing_differs(users):
    frame = breakdown(users, "geography", "converted:rate", compare=True)
    assert "No segment" in breakdown_block(frame, ["geography"]).caption


def test_crosstab_block_heatmap_excludes_totals(users):
    frame = crosstab(users, "plan", "device")
    block = crosstab_block(frame, ["plan"], "device", table_name="plan_device")
    SheetLayout("x", "x", None, [block], kind="crosstab")
    (cf,) = block.conditional
    assert cf.kind == "color_scale" and cf.columns == ("Desktop", "Mobile", "Tablet")
    (r1, c1, r2, c2), = block.conditional_ranges(cf)
    assert (r2 - r1 + 1, c2 - c1 + 1) == (3, 3)
    assert [s for s, _ in block.spanner_ranges()] == ["device"]
    assert block.columns[1].number_format == COUNT


def test_header_names_are_unique_one_line_and_non_empty():
    assert header_names(["a", "A", "x\ny", "", None]) == ["a", "A (2)", "x y", "Column4", "Column5"]


def test_block_rejects_inconsistent_rows_and_duplicate_columns():
    with pytest.raises(ValueError, match="duplicate"):
        Block("t", [Column("a"), Column("A")], 1, [])
    with pytest.raises(ValueError, match="values"):
        Block("t", [Column("a")], 1, [Row((1, 2))])


def test_excel_column_and_row_limits_are_clear_errors():
    with pytest.raises(XlsegError, match="16,384"):
        Block("wide", [Column(f"c{i}") for i in range(16_385)], 1, [])
    row = Row((1,))
    block = Block("tall", [Column("a")], 1, [row] * 1_048_576)  # + header row = one row too many
    with pytest.raises(XlsegError, match="1,048,576"):
        SheetLayout("tall", "t", None, [block])


def test_assign_names_makes_sheet_and_table_names_valid_and_unique():
    sheets = [SheetLayout("History", "t", None, [Block("b", [Column("a")], 1, [Row((1,))], table_name="A1")]),
              SheetLayout("history", "t", None, [Block("b", [Column("a")], 1, [Row((1,))], table_name="a1")])]
    assign_names(sheets)
    assert [s.name for s in sheets] == ["History_", "history_ (2)"]
    assert [s.blocks[0].table_name for s in sheets] == ["T_A1", "T_a1_2"]


def test_wrapped_lines_estimate():
    assert wrapped_lines("users", 10) == 1
    assert wrapped_lines("session_length mean lift", 12) == 3
    assert wrapped_lines("x" * 30, 11) == math.ceil(30 / 10)


def test_a_conditional_format_takes_exactly_its_colours():
    """A colour scale has 2 colours, or 3 around a midpoint (the gap sheet's contributions around 0); a layout
    asking for anything else is refused, not half painted."""
    from xlseg.sheets.layout import ConditionalFormat

    assert ConditionalFormat("color_scale", ("a",), ("FFFFFF", "5B9BD5")).colors == ("FFFFFF", "5B9BD5")
    assert ConditionalFormat("color_scale", ("a",), ("F8696B", "FFFFFF", "63BE7B"), midpoint=0.0).midpoint == 0.0
    with pytest.raises(ValueError, match="needs a midpoint"):
        ConditionalFormat("color_scale", ("a",), ("F8696B", "FFFFFF", "63BE7B"))
    with pytest.raises(ValueError, match="needs a midpoint"):
        ConditionalFormat("color_scale", ("a",), ("FFFFFF", "5B9BD5"), midpoint=0.0)
    with pytest.raises(ValueError, match="takes 1 colours"):
        ConditionalFormat("data_bar", ("a",), ("5B9BD5", "FFFFFF"))
