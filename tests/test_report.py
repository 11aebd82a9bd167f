"""Report workbooks: read back with openpyxl and compared with breakdowns computed independently here."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook
from workbook_helpers import table_frame

from xlseg.demo import make_users
from xlseg.engine.breakdowns import breakdown
from xlseg.engine.crosstabs import crosstab
from xlseg.errors import XlsegError
from xlseg.reporting import report


@pytest.fixture(scope="module")
def users() -> pd.DataFrame:
    return make_users(4000, seed=3)


@pytest.fixture(scope="module")
def auto(users, tmp_path_factory) -> tuple[object, Path]:
    result = report(users)
    path = result.to_excel(tmp_path_factory.mktemp("auto") / "report.xlsx")
    return result, path


def test_auto_mode_sheets_and_choices(auto):
    result, path = auto
    book = load_workbook(path)
    assert book.sheetnames == ["Summary", "geography", "device", "plan", "signup_date", "sessions", "plan × device"]
    assert [s.name for s in result.sheets] == book.sheetnames
    summary = book["Summary"]
    text = "\n".join(str(c.value) for row in summary.iter_rows() for c in row if c.value is not None)
    for expected in ("'geography': a text column with 12 values", "'signup_date' by month",
                     "Rates of the yes/no column(s) 'converted'", "lift: segment ÷ overall − 1",
                     "Benjamini–Hochberg", "Heatmap of plan × device"):
        assert expected in text
    columns = table_frame(summary, "columns")
    assert dict(zip(columns["Column"], columns["Role"], strict=True))["converted"] == "flag"


def test_breakdown_sheet_numbers_match_the_engine(auto, users):
    _, path = auto
    expected = breakdown(users, "device", {"converted": "rate", "sessions": "mean", "session_length": "mean",
                                           "revenue": "mean"}, min_size=30, intervals=True, compare=True)
    got = table_frame(load_workbook(path)["device"], "device")
    assert got["device"].tolist() == expected["device"].tolist()
    assert got["users"].tolist() == expected["users"].tolist()
    for column in ("share", "converted rate", "converted rate lo", "converted rate hi", "converted rate lift",
                   "session_length mean", "session_length mean p", "revenue mean"):
        want = expected[column].to_numpy(dtype=float)
        have = np.array([np.nan if v is None else v for v in got[column]], dtype=float)
        np.testing.assert_allclose(have, want, rtol=1e-12, equal_nan=True, err_msg=column)
    assert "session_length mean lo" not in got.columns  # intervals only for the main metric on the sheet
    assert got["low_n"].tolist() == expected["low_n"].tolist()


def test_number_formats_and_charts(auto):
    _, path = auto
    ws = load_workbook(path)["plan"]
    header = ws[ws.tables["plan"].ref][0]
    first = header[0].row + 1
    formats = {c.value: ws.cell(first, c.column).number_format for c in header}
    assert formats["users"] == "#,##0" and formats["share"] == "0.0%" and formats["converted rate"] == "0.0%"
    assert formats["converted rate lift"] == '[>=0.0005]+0.0%;[<=-0.0005]-0.0%;"0.0%"'
    assert len(ws._charts) == 1
    assert ws.cell(4, 1).value.startswith("plan = Pro: converted rate")  # the caption under the title


def test_crosstab_sheet_matches_the_engine(auto, users):
    _, path = auto
    ws = load_workbook(path)["plan × device"]
    counts = table_frame(ws, "plan_x_device_users")
    expected = crosstab(users, "plan", "device")
    assert counts.columns.tolist() == expected.columns.tolist()
    assert counts.to_numpy().tolist() == expected.to_numpy().tolist()
    rates = table_frame(ws, "plan_x_device_converted_rate")
    want = crosstab(users, "plan", "device", value="converted", agg="rate")
    np.testing.assert_allclose(rates.iloc[:, 1:].to_numpy(dtype=float), want.iloc[:, 1:].to_numpy(dtype=float))


def test_explicit_breakdowns_metrics_bins_and_crosstabs(users, tmp_path):
    result = report(users, by=["geography,device", "signup_date"], metrics="revenue:mean,sum",
                    crosstabs=["geography:plan"], bins={"signup_date": "quarter"}, top=5, min_size=None)
    names = [s.name for s in result.sheets]
    assert names == ["Summary", "geography × device", "signup_date", "geography × plan"]
    frame = result.frames["geography × device"][0]
    expected = breakdown(users, "geography,device", "revenue:mean,sum", top=5, intervals=True, compare=True)
    pd.testing.assert_frame_equal(frame, expected)
    quarters = result.frames["signup_date"][0]["signup_date"].tolist()
    assert quarters[:-1] == sorted(quarters[:-1]) and len(quarters) <= 8
    path = result.to_excel(tmp_path / "explicit.xlsx")
    ws = load_workbook(path)["geography × device"]
    assert "geography_device" in ws.tables


def test_missing_column_and_bad_requests_are_clear_errors(users):
    with pytest.raises(XlsegError, match="did you mean 'device'"):
        report(users, by="devise")
    with pytest.raises(XlsegError, match="ROWS:COLUMNS"):
        report(users, by="device", crosstabs=["device"])
    with pytest.raises(XlsegError, match="aggregation"):
        report(users, by="device", metrics="revenue:avg2")


def test_output_may_not_be_the_input_or_not_xlsx(tmp_path, users):
    source = tmp_path / "users.csv"
    users.head(200).to_csv(source, index=False)
    result = report(source, by="device")
    assert result.sheets[0].title == "Segmentation of users.csv"
    with pytest.raises(XlsegError, match="input file"):
        result.to_excel(source)
    with pytest.raises(XlsegError, match=r"\.xlsx"):
        result.to_excel(tmp_path / "out.xlsm")
    with pytest.raises(XlsegError, match=r"template '.*t\.xlsx' does not exist"):
        result.to_excel(tmp_path / "out.xlsx", template=tmp_path / "t.xlsx")
    assert not (tmp_path / "out.xlsx").exists()


def test_hostile_labels_through_the_whole_report(tmp_path):
    labels = ["=1+1", "+SUM(A1)", "-2", "@x", "plain"]
    frame = pd.DataFrame({"seg[1]:*?/\\ a label column far too long": [labels[i % 5] for i in range(200)],
                          "converted": [i % 3 == 0 for i in range(200)]})
    path = report(frame).to_excel(tmp_path / "h.xlsx")
    book = load_workbook(path)
    ws = book.worksheets[1]
    assert ws.title == "seg_1_ a label column\u2026too long"  # start and end kept (issue 10, item 11)
    seen = {c.value: c for row in ws.iter_rows() for c in row if c.value in labels}
    assert set(seen) == set(labels)
    assert all(c.data_type == "s" for c in seen.values())


def test_chosen_metrics_leave_out_the_breakdown_column(auto, users, tmp_path):
    _, path = auto
    got = table_frame(load_workbook(path)["sessions"], "sessions")
    assert "sessions mean" not in got.columns and "session_length mean" in got.columns
    asked = report(users, by="sessions", metrics="sessions:mean; converted:rate", crosstabs=[])
    frame = asked.frames["sessions"][0]
    assert "sessions mean" in frame.columns  # asked for: kept
    quartiles = pd.qcut(users["sessions"], 4, duplicates="drop")
    assert frame["users"].iloc[:-1].sum() == len(users) and len(frame) - 1 <= quartiles.nunique()


def test_chart_value_axes_start_at_zero(auto, tmp_path):
    """Read from the chart XML itself: every chart's value axis has <min val="0"/>."""
    import re
    import zipfile

    _, path = auto
    with zipfile.ZipFile(path) as book:
        charts = [book.read(n).decode() for n in book.namelist() if n.startswith("xl/charts/chart")]
    assert len(charts) == 5
    for xml in charts:
        value_axis = re.search(r"<(?:c:)?valAx>.*?</(?:c:)?valAx>", xml, re.S).group(0)
        assert re.search(r'<(?:c:)?min val="0(\.0)?"\s*/>', value_axis), value_axis[:300]
    losses = pd.DataFrame({"team": ["a", "a", "b", "b", "c"], "profit": [-5.0, -3.0, 2.0, 4.0, 1.0]})
    lossy = report(losses, by="team", metrics="profit:mean", crosstabs=[], min_size=None).to_excel(tmp_path / "l.xlsx")
    with zipfile.ZipFile(lossy) as book:
        xml = next(book.read(n).decode() for n in book.namelist() if n.startswith("xl/charts/chart"))
    value_axis = re.search(r"<(?:c:)?valAx>.*?</(?:c:)?valAx>", xml, re.S).group(0)
    assert not re.search(r"<(?:c:)?min ", value_axis)  # negative bars: the spreadsheet's own axis


def test_xlseg_report_stays_the_function_after_any_import(users):
    """The module is xlseg.reporting: importing it can't replace xlseg.report (the function) with a module."""
    import xlseg
    import xlseg.cli  # noqa: F401 - imports the report module as the CLI does
    import xlseg.reporting  # noqa: F401

    assert callable(xlseg.report) and xlseg.report is report
    first = xlseg.report(users.head(300), by="device", crosstabs=[])
    assert callable(xlseg.report)
    assert first.frames["device"][0]["users"].iloc[-1] == 300


def test_unused_bins_are_named_on_the_summary(users, tmp_path):
    path = report(users, by="device", bins={"sessions": "q4"}, crosstabs=[]).to_excel(tmp_path / "r.xlsx")
    summary = load_workbook(path)["Summary"]
    text = [c.value for row in summary.iter_rows() for c in row if isinstance(c.value, str)]
    assert "Bins for 'sessions' (q4) not used: no breakdown segments by 'sessions' (add --by sessions)." in text
