"""The behavioural sheets (``xlseg behavior``, :func:`xlseg.behavior_report.behavior_report`, the demo): the
numbers in the written cells are the analyses', read back with openpyxl; LibreOffice's PERCENTILE.INC and COUNTIF
reproduce the RFM scores; the CLI writes the workbook and reports bad input in one line."""

from __future__ import annotations

import csv

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook
from openpyxl.chart import BarChart, LineChart

import xlseg
from xlseg.behavior_report import behavior_report
from xlseg.cli import main
from xlseg.demo import make_activity, make_users


@pytest.fixture(scope="module")
def users() -> pd.DataFrame:
    return make_users(1500, seed=5)


@pytest.fixture(scope="module")
def events(users) -> pd.DataFrame:
    return make_activity(users, seed=5)


@pytest.fixture(scope="module")
def written(users, events, tmp_path_factory):
    path = tmp_path_factory.mktemp("beh") / "behaviour.xlsx"
    result = behavior_report(events, "user_id", "time", "amount", users=users[["user_id", "device", "plan"]],
                             as_of="2025-07-01")
    result.to_excel(path)
    return result, load_workbook(path)


def table_frame(ws, name: str) -> pd.DataFrame:
    """An Excel table of a sheet (plus the totals row right under it) as a DataFrame of the cell values."""
    table = ws.tables[name]
    cells = list(ws[table.ref])
    header = [c.value for c in cells[0]]
    rows = [[c.value for c in row] for row in cells[1:]]
    below = cells[-1][0].row + 1
    extra = [ws.cell(below, cells[0][0].column + i).value for i in range(len(header))]
    if extra[0] in ("All", "Total"):
        rows.append(extra)
    return pd.DataFrame(rows, columns=header)


def test_activity_log_is_consistent_with_its_users(users, events):
    per_user = events.groupby("user_id")
    assert (per_user.size().reindex(users["user_id"]).to_numpy() == users["sessions"].to_numpy()).all()
    np.testing.assert_allclose(per_user["amount"].sum().reindex(users["user_id"]).to_numpy(), users["revenue"])
    first = per_user["time"].min().dt.normalize().reindex(users["user_id"]).to_numpy()
    assert (first == users["signup_date"].to_numpy()).all()
    assert events["time"].max() < pd.Timestamp("2025-07-02")
    assert make_activity(users, seed=5).equals(events)


def test_sheets_hold_the_analysis_numbers(written, events):
    result, book = written
    assert book.sheetnames == ["Summary", "Retention", "Lifecycle", "Engagement", "RFM", "Segments by attribute"]
    retention = xlseg.retention(events, "user_id", "time", as_of="2025-07-01")
    shown = table_frame(book["Retention"], "retention")
    np.testing.assert_allclose(shown.drop(columns="cohort").to_numpy(float),
                               retention.drop(columns="cohort").to_numpy(float), rtol=1e-12)
    assert shown["cohort"].tolist() == retention["cohort"].tolist()
    life = xlseg.lifecycle(events, "user_id", "time", as_of="2025-07-01")
    shown = table_frame(book["Lifecycle"], "lifecycle")
    np.testing.assert_allclose(shown.drop(columns="period").to_numpy(float),
                               life.drop(columns="period").to_numpy(float), rtol=1e-12)
    engaged = xlseg.engagement(events, "user_id", "time", as_of="2025-07-01")
    shown = table_frame(book["Engagement"], "engagement")
    np.testing.assert_allclose(shown.to_numpy(float), engaged.to_numpy(float), rtol=1e-12)
    rfm = xlseg.rfm(events, "user_id", "time", "amount", as_of="2025-07-01")
    grid = table_frame(book["RFM"], "rfm_grid").set_index("R")
    expected = pd.crosstab(rfm["R"], rfm["F"])
    for r in range(1, 6):
        for f in range(1, 6):
            assert grid.loc[str(r), str(f)] == expected.loc[r, f]
    segments = table_frame(book["RFM"], "rfm_segments").set_index("segment")
    assert (segments["users"].drop("Total") == rfm["segment"].value_counts().reindex(
        segments.index.drop("Total"))).all()


def test_charts_are_the_kinds_the_layout_asks_for(written):
    _, book = written
    (curve,) = book["Retention"]._charts
    assert isinstance(curve, LineChart) and not curve.series[0].smooth
    stacked = book["Lifecycle"]._charts[0]
    assert isinstance(stacked, BarChart) and stacked.grouping == "stacked" and len(stacked.series) == 4
    assert isinstance(book["Lifecycle"]._charts[1], LineChart)
    assert isinstance(book["Engagement"]._charts[0], BarChart)
    rules = book["Retention"].conditional_formatting
    assert any(r.type == "colorScale" for cf in rules for r in cf.rules)


def test_segments_by_attribute_count_users_without_activity(written, users, events):
    result, book = written
    frames = result.frames["Segments by attribute"]
    device_segments = frames[0]
    assert "never active" in device_segments.columns
    never = users["user_id"].isin(events.loc[events["time"] < "2025-07-01", "user_id"]).eq(False)
    total = device_segments.iloc[-1]
    assert total["never active"] == pytest.approx(never.mean())
    assert "Segments by attribute" in book.sheetnames


@pytest.mark.libreoffice
def test_libreoffice_percentile_inc_and_countif_reproduce_the_rfm_scores(soffice, events, tmp_path):
    """The issue's promise: an Excel user reproduces every score with PERCENTILE.INC and =1+COUNTIF(cuts,"<"&x)."""
    from openpyxl import Workbook

    rfm = xlseg.rfm(events, "user_id", "time", "amount", as_of="2025-07-01").head(400)
    chosen = events[events["user_id"].isin(rfm["user_id"])]
    rfm = xlseg.rfm(chosen, "user_id", "time", "amount", as_of="2025-07-01")
    book = Workbook()
    ws = book.active
    ws.title = "rfm"
    ws.append(["recency_days", "frequency", "monetary"])
    for row in rfm[["recency_days", "frequency", "monetary"]].itertuples(index=False):
        ws.append([float(v) for v in row])
    n = len(rfm) + 1
    for k, p in enumerate((0.2, 0.4, 0.6, 0.8)):
        for j, col in enumerate("ABC"):
            ws.cell(1 + k, 6 + j, f"=_xlfn.PERCENTILE.INC({col}$2:{col}${n},{p})")
    for i in range(2, n + 1):
        ws.cell(i, 10, f'=6-(1+COUNTIF(F$1:F$4,"<"&A{i}))')
        ws.cell(i, 11, f'=1+COUNTIF(G$1:G$4,"<"&B{i})')
        ws.cell(i, 12, f'=1+COUNTIF(H$1:H$4,"<"&C{i})')
    book.save(tmp_path / "rfm.xlsx")
    soffice([tmp_path / "rfm.xlsx"], "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1",
            tmp_path / "out")
    with open(tmp_path / "out" / "rfm-rfm.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))[1:]
    scores = np.array([[int(float(r[9])), int(float(r[10])), int(float(r[11]))] for r in rows])
    assert (scores == rfm[["R", "F", "M"]].to_numpy()).all()
    assert len(set(scores[:, 1])) > 1


def test_cli_behavior_writes_the_workbook(users, events, tmp_path, capsys):
    events_csv, users_csv = tmp_path / "events.csv", tmp_path / "users.csv"
    events.to_csv(events_csv, index=False)
    users[["user_id", "geography", "device"]].to_csv(users_csv, index=False)
    out = tmp_path / "b.xlsx"
    code = main(["behavior", str(events_csv), "-o", str(out), "--users", str(users_csv), "--period", "quarter",
                 "--as-of", "2025-07-01", "--quiet"])
    assert code == 0 and f"wrote {out}" in capsys.readouterr().out
    book = load_workbook(out)
    assert book.sheetnames == ["Summary", "Retention", "Lifecycle", "Engagement", "RFM", "Segments by attribute"]
    shown = table_frame(book["Lifecycle"], "lifecycle")
    life = xlseg.lifecycle(events, "user_id", "time", period="quarter", as_of="2025-07-01")
    assert shown["period"].tolist() == life["period"].tolist() == [f"{y}Q{q}" for y in (2024, 2025)
                                                                   for q in range(1, 5)][:6]
    facts = table_frame(book["Summary"], "data_set").set_index("Item")["Value"]
    assert facts["Value column"] == "amount"  # detected: the first numeric column


@pytest.mark.parametrize(("args", "message"), [
    (["--time", "nope"], "column 'nope' not found"),
    (["--value", "event"], "value column 'event' is not numeric"),
    (["--period", "year"], "invalid choice"),
])
def test_cli_behavior_bad_input_is_one_line(args, message, events, tmp_path, capsys):
    events_csv = tmp_path / "events.csv"
    events.head(50).to_csv(events_csv, index=False)
    try:
        code = main(["behavior", str(events_csv), "-o", str(tmp_path / "b.xlsx"), "--user", "user_id", *args])
    except SystemExit as stop:  # argparse's own usage errors
        code = stop.code
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and message in err[0] and "Traceback" not in err[0]


def test_cli_behavior_without_dates_names_the_columns(tmp_path, capsys):
    path = tmp_path / "e.csv"
    pd.DataFrame({"user_id": [1, 1, 2], "amount": [1.0, 2.0, 3.0]}).to_csv(path, index=False)
    assert main(["behavior", str(path), "-o", str(tmp_path / "b.xlsx")]) == 2
    assert "no date column found among 'user_id', 'amount'" in capsys.readouterr().err


def test_demo_appends_the_behavioural_sheets(tmp_path):
    out = tmp_path / "demo.xlsx"
    assert main(["demo", "-o", str(out), "--rows", "800", "--quiet"]) == 0
    names = load_workbook(out).sheetnames
    assert names[0] == "Summary" and "device" in names
    assert names[-6:] == ["Behaviour", "Retention", "Lifecycle", "Engagement", "RFM", "Segments by attribute"]


def test_readme_behaviour_example_runs():
    import re
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    code = re.search(r"## Behavioural segmentation \(activity tables\).*?```python\n(.*?)```", readme, re.S).group(1)
    namespace: dict[str, object] = {}
    exec(compile(code, "README.md", "exec"), namespace)  # noqa: S102 - our own documentation
    assert len(namespace["act"]) == 2000


def test_iso_z_times_work_end_to_end_and_tz_moves_them_to_local_days(tmp_path, capsys):
    """An activity log with ISO 8601 instants (…Z, +02:00): UTC days by default, local days with tz=."""
    path = tmp_path / "z.csv"
    pd.DataFrame({"user_id": ["a", "a", "b", "b", "c"],
                  "ts": ["2024-01-31T23:30:00Z", "2024-02-01T10:00:00Z", "2024-01-05T08:00:00Z",
                         "2024-03-01T00:30:00+02:00", "2024-02-29T22:30:00Z"],
                  "amount": [1, 2, 3, 4, 5]}).to_csv(path, index=False)
    utc = xlseg.lifecycle(path, "user_id", "ts").set_index("period")
    # UTC: a on Jan 31 and Feb 1, b on Jan 5 and Feb 29 (00:30+02:00), c on Feb 29
    assert utc.loc["2024-01", ["new", "active"]].tolist() == [2, 2]
    assert utc.loc["2024-02", ["new", "returning", "resurrecting", "active"]].tolist() == [1, 2, 0, 3]
    berlin = xlseg.lifecycle(path, "user_id", "ts", tz="Europe/Berlin").set_index("period")
    # Berlin (UTC+1): a's 23:30Z is Feb 1 00:30, so a is new in February and January holds only b
    assert berlin.loc["2024-01", ["new", "active"]].tolist() == [1, 1]
    assert berlin.loc["2024-02", ["new", "returning", "resurrecting", "active"]].tolist() == [2, 1, 0, 3]
    assert any("Europe/Berlin" in note for note in berlin.attrs["notes"])
    out = tmp_path / "z.xlsx"
    assert main(["behavior", str(path), "-o", str(out), "--tz", "Europe/Berlin", "--quiet"]) == 0
    shown = table_frame(load_workbook(out)["Lifecycle"], "lifecycle").set_index("period")
    assert shown.loc["2024-02", "new"] == 2
