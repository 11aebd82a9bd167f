"""The scan and gap sheets of a report: written by the CLI, read back with openpyxl and LibreOffice.

The numbers on the sheets are compared with :func:`xlseg.scan` / :func:`xlseg.gap` (checked against
independent computations in tests/test_scan.py and tests/test_gap.py); the waterfall is a stacked column
chart whose first series (the base) has no fill and whose bars start and end where the gap's figures say.
"""

from __future__ import annotations

import csv

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook
from test_gap import berkeley

import xlseg
from xlseg.cli import main
from xlseg.sheets.insight_blocks import finding_sentences


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    root = tmp_path_factory.mktemp("insight")
    source = root / "admissions.csv"
    berkeley().to_csv(source, index=False)
    out = root / "gap.xlsx"
    code = main(["report", str(source), "-o", str(out), "--by", "department", "--metric", "admitted:rate",
                 "--gap", "gender:Male:Female", "--scan", "admitted:rate", "--quiet"])
    assert code == 0
    return {"root": root, "path": out, "frame": berkeley()}


def _table(ws, name):
    ref = ws.tables[name].ref
    cells = [[c.value for c in row] for row in ws[ref]]
    return pd.DataFrame(cells[1:], columns=cells[0])


def test_sheets_of_a_gap_and_scan_report(written):
    book = load_workbook(written["path"])
    assert book.sheetnames == ["Summary", "department", "What stands out", "Gap Male vs Female"]


def test_gap_sheet_holds_the_decomposition_and_a_waterfall(written):
    ws = load_workbook(written["path"])["Gap Male vs Female"]
    expected = xlseg.gap(written["frame"], "department", "admitted:rate", between=("gender", "Male", "Female"))
    body = _table(ws, "gap_department")
    pd.testing.assert_frame_equal(body.astype({"segment": str}), expected.iloc[:-1].astype({"segment": object}),
                                  check_dtype=False, rtol=1e-12)
    texts = [c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert expected.attrs["explanation"] in texts
    (chart,) = ws._charts
    assert chart.grouping == "stacked" and chart.overlap == 100
    base, *visible = chart.series
    assert base.graphicalProperties.noFill and all(not s.graphicalProperties.noFill for s in visible)
    # the floating bars: the rate-effect bar spans overall A → A + rate effect; the mix bar ends at overall B
    facts = expected.attrs
    rows = {ws.cell(r, 1).value: [ws.cell(r, c).value for c in range(2, 7)] for r in range(1, ws.max_row + 1)}
    value, base_at, overall, rise, fall = rows["Rate effect"]
    assert value == pytest.approx(facts["rate_effect"]) and base_at == pytest.approx(facts["overall_a"])
    assert rise == pytest.approx(facts["rate_effect"]) and overall is None and fall is None
    value, base_at, overall, rise, fall = rows["Mix effect"]
    assert base_at == pytest.approx(facts["overall_b"]) and fall == pytest.approx(-facts["mix_effect"])
    assert rows["Overall Male"][2] == pytest.approx(facts["overall_a"])
    assert rows["Overall Female"][2] == pytest.approx(facts["overall_b"])


def test_scan_sheet_holds_the_ranked_candidates(written):
    ws = load_workbook(written["path"])["What stands out"]
    expected = xlseg.scan(written["frame"], "admitted:rate", by=["department"], min_size=30)
    table = _table(ws, "scan_admitted_rate")
    assert list(table["segment"]) == list(expected["segment"].head(25))
    np.testing.assert_allclose(table["p"].astype(float), expected["p"].head(25), rtol=1e-12)
    np.testing.assert_allclose(table["impact"].astype(float), expected["impact"].head(25), rtol=1e-12)
    texts = [c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert finding_sentences(expected)[0] in texts
    assert len(ws._charts) == 1


def test_auto_mode_puts_the_top_findings_on_the_summary():
    users = xlseg.make_users(2000, seed=9)
    result = xlseg.report(users)
    summary = result.sheets[0]
    block = next(b for b in summary.blocks if b.title == "What stands out")
    sentences = finding_sentences(xlseg.scan(users, "converted:rate", min_size=30))
    assert block.notes == (sentences[:3] + sentences[-1:] if len(sentences) > 4 else sentences)
    assert "What stands out" not in [s.name for s in result.sheets]  # only with --scan


@pytest.mark.libreoffice
def test_libreoffice_shows_the_gap_figures(written, soffice):
    out = written["root"] / "csv"
    soffice([written["path"]], "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,true,false,false,-1", out)
    with open(out / "gap-Gap Male vs Female.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    shown = {row[0]: row for row in rows if row}
    assert shown["Rate effect"][1] == "+3.6%" and shown["Mix effect"][1] == "-17.8%"
    assert shown["Overall Male"][1] == "44.5%" and shown["Overall Female"][1] == "30.4%"
    assert shown["A"][1:8] == ["30.7%", "5.9%", "62.1%", "82.4%", "+3.7%", "-17.9%", "-14.2%"]


def test_a_gap_without_by_or_metric_says_what_is_missing(tmp_path, capsys):
    source = tmp_path / "a.csv"
    berkeley().to_csv(source, index=False)
    code = main(["report", str(source), "-o", str(tmp_path / "o.xlsx"), "--gap", "gender:Male:Female", "--quiet"])
    assert code == 2
    assert "--by department --metric admitted:rate" in capsys.readouterr().err


def test_scan_of_named_breakdowns_keeps_their_top_categories():
    users = xlseg.make_users(3000, seed=2)
    result = xlseg.report(users, by=["geography", "device"], metrics="converted:rate", top=3, scan="converted:rate")
    scanned = result.frames["What stands out"][0]
    assert scanned.attrs["dimensions"] == ["geography", "device"]
    largest = users["geography"].value_counts().index[:3].tolist()
    assert set(scanned[scanned.dimension == "geography"].segment) <= {*largest, "Other"}
