"""Filling templates: the shipped corporate template, placeholders, defined names, errors, refusals, faces."""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib.util
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.workbook.defined_name import DefinedName
from workbook_helpers import table_frame

from xlseg.cli import main
from xlseg.demo import make_users
from xlseg.engine.breakdowns import breakdown
from xlseg.errors import XlsegError
from xlseg.reporting import report
from xlseg.sheets.names import is_valid_sheet_name, is_valid_table_name
from xlseg.writers.templates import fill_template, template_problems

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "templates" / "corporate.xlsx"
METRICS = {"converted": "rate", "sessions": "mean", "session_length": "mean", "revenue": "mean"}
TODAY = dt.date(2024, 5, 17)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def all_text(ws) -> list[str]:
    return [c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)]


def style_of(cell) -> tuple:
    """What a cell looks like, comparable between two workbooks."""
    font, fill = cell.font, cell.fill
    return (font.name, font.size, font.bold, font.italic, font.color.rgb if font.color else None,
            fill.fill_type, fill.fgColor.rgb, cell.number_format, cell.alignment.horizontal,
            cell.alignment.vertical, cell.border.left.style, cell.border.bottom.style)


@pytest.fixture(scope="module")
def users() -> pd.DataFrame:
    return make_users(2000)


@pytest.fixture(scope="module")
def demo(users):
    return report(users, by=["geography", "device,plan"])


@pytest.fixture(scope="module")
def filled(demo, tmp_path_factory) -> dict[str, object]:
    before = sha256(TEMPLATE)
    names_before = [s.name for s in demo.sheets]
    out = fill_template(demo.sheets, tmp_path_factory.mktemp("filled") / "corporate-filled.xlsx", TEMPLATE,
                        today=TODAY)
    return {"path": out, "before": before, "names_before": names_before}


def make_generator():
    spec = importlib.util.spec_from_file_location("make_templates", ROOT / "templates" / "make_templates.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ---------------------------------------------------------------- the shipped template


def test_generator_reproduces_the_committed_template(tmp_path):
    generator = make_generator()
    first = generator.write(tmp_path / "a.xlsx")
    second = generator.write(tmp_path / "b.xlsx")
    assert first.read_bytes() == second.read_bytes()  # deterministic: fixed docProps times and zip timestamps
    new, committed = load_workbook(first), load_workbook(TEMPLATE)
    assert new.sheetnames == committed.sheetnames == ["Summary", "Breakdown", "About"]
    assert new.properties.created == committed.properties.created == generator.FIXED_TIME
    assert new.properties.modified == committed.properties.modified == generator.FIXED_TIME
    assert new.loaded_theme == committed.loaded_theme and b"xlseg Corporate" in committed.loaded_theme
    for a, b in zip(new.worksheets, committed.worksheets, strict=True):
        assert {k: (c.value, style_of(c)) for k, c in a._cells.items()} == {
            k: (c.value, style_of(c)) for k, c in b._cells.items()}, a.title
        assert {k: d.width for k, d in a.column_dimensions.items()} == {
            k: d.width for k, d in b.column_dimensions.items()}
        assert sorted(map(str, a.merged_cells.ranges)) == sorted(map(str, b.merged_cells.ranges))
        assert (a.page_setup.orientation, a.freeze_panes, a.oddFooter.right.text) == (
            b.page_setup.orientation, b.freeze_panes, b.oddFooter.right.text)
    assert template_problems(TEMPLATE) == []


def test_filled_template_has_the_reports_numbers(filled, users):
    book = load_workbook(filled["path"])
    assert book.sheetnames == ["Summary", "geography", "device × plan", "About"]
    for ws in book.worksheets:
        assert not [t for t in all_text(ws) if "{{" in t], ws.title  # every placeholder replaced
    for sheet, by, table in (("geography", ["geography"], "geography"), ("device × plan", ["device", "plan"],
                                                                        "device_plan")):
        expected = breakdown(users, by, METRICS, min_size=30, intervals=True, compare=True)
        got = table_frame(book[sheet], table)
        assert got[by].astype(str).values.tolist() == expected[by].astype(str).values.tolist()
        assert got["users"].tolist() == expected["users"].tolist()
        for column in ("share", "converted rate", "converted rate lo", "converted rate lift", "revenue mean p"):
            want = expected[column].to_numpy(dtype=float)
            have = np.array([np.nan if v is None else v for v in got[column]], dtype=float)
            np.testing.assert_allclose(have, want, rtol=1e-12, equal_nan=True, err_msg=column)
        assert len(book[sheet]._charts) == 1
    geo = book["geography"]
    assert geo["B7"].value == "By geography"  # the heading painted at the prototype's {{ breakdown:* }} cell
    assert geo.tables["geography"].ref.startswith("B")
    summary = book["Summary"]
    assert summary["D2"].value == "Segmentation report"
    assert summary["D3"].value.startswith("2,000 users")
    assert summary["D4"].value == dt.datetime(2024, 5, 17) and summary["D4"].number_format == "d mmmm yyyy"
    assert summary["B6"].value == "Source: 2,000 users analysed by xlseg 0.1.0"
    assert summary["B8"].value == "Data set"  # {{ summary }} at B8
    facts = table_frame(summary, "data_set")
    assert facts.loc[facts["Item"] == "Users (rows analysed)", "Value"].item() == 2000
    contents = table_frame(summary, "contents")
    assert contents["Sheet"].tolist() == ["geography", "device × plan"]  # the sheets that exist in the output


def test_filled_template_keeps_the_templates_look(filled):
    template, book = load_workbook(TEMPLATE), load_workbook(filled["path"])
    summary, proto = template["Summary"], template["Breakdown"]
    for ws, source in ((book["Summary"], summary), (book["geography"], proto), (book["device × plan"], proto)):
        for coordinate in ("B2", "C3", "D2", "D3", "E4", "G5", "M5", "B5"):
            assert style_of(ws[coordinate]) == style_of(source[coordinate]), (ws.title, coordinate)
        assert ws["B2"].value == "Your logo"
        assert "B2:C4" in [str(r) for r in ws.merged_cells.ranges]
        assert ws.column_dimensions["A"].width == 2.0  # the margin column the blocks do not touch
        assert ws.page_setup.orientation == source.page_setup.orientation
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        assert ws.oddFooter.right.text == "Page &P of &N" and ws.oddHeader.right.text == "Confidential — internal use"
        assert not ws.sheet_view.showGridLines
    assert book["geography"].freeze_panes == "A6" and book["geography"].print_title_rows == "$2:$5"
    assert book["Summary"].column_dimensions["B"].width >= 25  # widened to the Summary's labels
    about = book["About"]
    assert [(k, c.value, style_of(c)) for k, c in about._cells.items()] == [
        (k, c.value, style_of(c)) for k, c in template["About"]._cells.items()]
    assert book.loaded_theme == template.loaded_theme
    assert [ws.sheet_view.tabSelected for ws in book.worksheets] == [True, False, False, False]


def test_template_file_untouched_and_names_valid(filled, demo):
    assert sha256(TEMPLATE) == filled["before"]
    assert [s.name for s in demo.sheets] == filled["names_before"]  # the report's layouts are not changed
    book = load_workbook(filled["path"])
    tables = [name for ws in book.worksheets for name in ws.tables]
    assert sorted(tables) == sorted(["data_set", "findings", "contents", "columns", "geography", "device_plan"])
    assert all(is_valid_table_name(t) for t in tables) and len({t.casefold() for t in tables}) == len(tables)
    assert all(is_valid_sheet_name(n) for n in book.sheetnames)
    with zipfile.ZipFile(filled["path"]) as package:
        assert "spreadsheetml.sheet.main+xml" in package.read("[Content_Types].xml").decode()


def test_output_may_not_be_the_template(demo, tmp_path):
    copy = shutil.copy(TEMPLATE, tmp_path / "t.xlsx")
    with pytest.raises(XlsegError, match="input file"):
        demo.to_excel(copy, template=copy)


# ---------------------------------------------------------------- placeholders and defined names


def custom_template(path: Path, cells: dict[str, dict[str, str]], names: dict[str, str] | None = None) -> Path:
    """A plain template: sheet → {coordinate: text}; workbook defined names name → reference."""
    wb = Workbook()
    wb.remove(wb.active)
    for sheet, values in cells.items():
        ws = wb.create_sheet(sheet)
        for coordinate, text in values.items():
            ws[coordinate] = text
    for name, ref in (names or {}).items():
        wb.defined_names[name] = DefinedName(name, attr_text=ref)
    wb.save(path)
    return path


def test_named_placeholders_defined_names_and_appended_summary(demo, users, tmp_path):
    template = custom_template(tmp_path / "t.xlsx", {
        "Cover": {"A1": "{{ title }}", "A2": "Prepared on {{ date }} for {{ client }}"},
        "Report": {"B3": "{{ breakdown:device,plan }}", "B1": "Static text"},
        "Geo": {},
        "Summary": {"A1": "static, and a clash with the report's Summary"},
    }, {"xlseg_breakdown_geography": "'Geo'!$C$2"})
    out = fill_template(demo.sheets, tmp_path / "out.xlsx", template, values={"client": "=ACME"}, today=TODAY)
    book = load_workbook(out)
    assert book.sheetnames == ["Cover", "Report", "Geo", "Summary", "Summary (2)"]  # unplaced Summary appended
    cover = book["Cover"]
    assert cover["A1"].value == "Segmentation report"
    assert cover["A2"].value == "Prepared on 2024-05-17 for =ACME" and cover["A2"].data_type == "s"  # text, safely
    report_ws = book["Report"]
    assert report_ws["B1"].value == "Static text" and report_ws["B3"].value == "By device × plan"
    expected = breakdown(users, ["device", "plan"], METRICS, min_size=30)
    assert table_frame(report_ws, "device_plan")["users"].tolist() == expected["users"].tolist()
    geo = book["Geo"]
    assert geo["C2"].value == "By geography" and geo.tables["geography"].ref.startswith("C")
    assert "xlseg_breakdown_geography" in book.defined_names
    contents = table_frame(book["Summary (2)"], "contents")
    assert contents["Sheet"].tolist() == ["Geo", "Report"]  # where each breakdown ended up
    assert book["Summary"]["A1"].value.startswith("static")


def test_template_without_placeholders_gets_the_report_appended(demo, tmp_path):
    template = custom_template(tmp_path / "t.xlsx", {"Cover": {"A1": "Quarterly review"}})
    book = load_workbook(fill_template(demo.sheets, tmp_path / "out.xlsx", template))
    assert book.sheetnames == ["Cover", "Summary", "geography", "device × plan"]
    assert book["Cover"]["A1"].value == "Quarterly review"
    assert book["geography"]["A1"].value == "By geography"


@pytest.mark.parametrize(("cells", "message"), [
    ({"A1": "{{ breakdown:country }}"},
     r"asks for \{\{ breakdown:country \}\} at 'S'!A1 .*no such breakdown; it can fill \{\{ summary \}\}, "
     r"\{\{ breakdown:geography \}\}, \{\{ breakdown:device,plan \}\}"),
    ({"A1": "{{ breakdown:plan,device }}"}, r"no such breakdown"),
    ({"A1": "{{ crosstab:plan:device }}"}, r"no such crosstab"),
    ({"A1": "{{ titel }}"}, r"unknown placeholder \{\{ titel \}\} at 'S'!A1; did you mean 'title'\?"),
    ({"A1": "See {{ summary }}"}, r"must be the only text in its cell"),
    ({"A1": "{{ breakdown: }}"}, r"not understood"),
    ({"A1": "{{ summary }}", "B6": "footer"}, r"needs rows 1–.* but B6 holds template content"),
])
def test_placeholder_errors(demo, tmp_path, cells, message):
    template = custom_template(tmp_path / "t.xlsx", {"S": cells})
    with pytest.raises(XlsegError, match=message):
        fill_template(demo.sheets, tmp_path / "out.xlsx", template)
    assert not (tmp_path / "out.xlsx").exists()


def test_merged_cells_in_the_way(demo, tmp_path):
    wb = Workbook()
    wb.active["A1"] = "{{ breakdown:geography }}"
    wb.active.merge_cells("C8:D9")
    wb.save(tmp_path / "t.xlsx")
    with pytest.raises(XlsegError, match="merged cells C8:D9"):
        fill_template(demo.sheets, tmp_path / "o.xlsx", tmp_path / "t.xlsx")


def test_xltx_template_gives_an_xlsx(demo, tmp_path):
    wb = load_workbook(TEMPLATE)
    wb.template = True
    wb.save(tmp_path / "corporate.xltx")
    out = fill_template(demo.sheets, tmp_path / "out.xlsx", tmp_path / "corporate.xltx")
    with zipfile.ZipFile(out) as package:
        types = package.read("[Content_Types].xml").decode()
    assert "template.main+xml" not in types and "sheet.main+xml" in types
    assert load_workbook(out).sheetnames == ["Summary", "geography", "device × plan", "About"]


# ---------------------------------------------------------------- what openpyxl would drop


def add_to_package(source: Path, target: Path, extra: dict[str, bytes], patch: dict[str, tuple[bytes, bytes]]) -> Path:
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename in patch:
                old, new = patch[info.filename]
                data = data.replace(old, new, 1)
            dst.writestr(info, data)
        for name, data in extra.items():
            dst.writestr(name, data)
    return target


SPARKLINE_EXT = (b"</worksheet>", b'<extLst><ext uri="{05C60535-1F16-4fd2-B633-F4F36F0B64E0}" '
                 b'xmlns:x14="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main"><x14:sparklineGroups/>'
                 b"</ext></extLst></worksheet>")


@pytest.mark.parametrize(("extra", "patch", "message"), [
    ({"xl/vbaProject.bin": b"\0"}, {}, "macros"),
    ({"xl/drawings/drawing9.xml": b"<xdr:wsDr><xdr:twoCellAnchor><xdr:sp></xdr:sp></xdr:twoCellAnchor></xdr:wsDr>"},
     {}, "shapes or text boxes"),
    ({}, {"xl/worksheets/sheet3.xml": SPARKLINE_EXT}, "sparklines"),
    ({"xl/slicers/slicer1.xml": b"<x/>"}, {}, "slicers"),
])
def test_refuses_what_openpyxl_would_drop(demo, tmp_path, extra, patch, message):
    template = add_to_package(TEMPLATE, tmp_path / "lossy.xlsx", extra, patch)
    assert any(message in p for p in template_problems(template))
    with pytest.raises(XlsegError, match=f"holds .*{message}.*which openpyxl would drop"):
        fill_template(demo.sheets, tmp_path / "out.xlsx", template)


def test_missing_or_foreign_template(demo, tmp_path):
    with pytest.raises(XlsegError, match="does not exist"):
        demo.to_excel(tmp_path / "out.xlsx", template=tmp_path / "nope.xlsx")
    (tmp_path / "fake.xlsx").write_text("not a zip")
    with pytest.raises(XlsegError, match="not an .xlsx workbook"):
        demo.to_excel(tmp_path / "out.xlsx", template=tmp_path / "fake.xlsx")


# ---------------------------------------------------------------- faces


def test_cli_report_with_the_shipped_template(tmp_path, capsys):
    data = tmp_path / "users.csv"
    make_users(1200, seed=5).to_csv(data, index=False)
    out = tmp_path / "out.xlsx"
    before = sha256(TEMPLATE)
    assert main(["report", str(data), "-o", str(out), "--template", str(TEMPLATE), "--quiet"]) == 0
    assert f"wrote {out}" in capsys.readouterr().out
    book = load_workbook(out)
    assert book.sheetnames[0] == "Summary" and book.sheetnames[-1] == "About"
    assert "Breakdown" not in book.sheetnames and "plan × device" in book.sheetnames  # the heatmap, via the prototype
    assert book["Summary"]["D2"].value == "Segmentation of users.csv"
    assert sha256(TEMPLATE) == before


@pytest.mark.libreoffice
@pytest.mark.filterwarnings("ignore:.*extension is not supported:UserWarning")
def test_libreoffice_renders_the_filled_template(soffice, filled, tmp_path):
    pdfs = soffice([filled["path"]], "pdf", tmp_path / "pdf")
    assert [p.name for p in pdfs] == ["corporate-filled.pdf"]
    assert pdfs[0].read_bytes().startswith(b"%PDF") and pdfs[0].stat().st_size > 10_000


def test_source_placeholder_names_the_input_file(tmp_path):
    source = tmp_path / "users.csv"
    make_users(300, seed=4).to_csv(source, index=False)
    path = report(source, by="device").to_excel(tmp_path / "out.xlsx", template=TEMPLATE)
    texts = all_text(load_workbook(path)["Summary"])
    assert any("300 users from users.csv, analysed by xlseg" in text for text in texts)
    # from a DataFrame there is no file to name
    frame_path = report(make_users(300, seed=4), by="device").to_excel(tmp_path / "df.xlsx", template=TEMPLATE)
    assert any("300 users analysed by xlseg" in text for text in all_text(load_workbook(frame_path)["Summary"]))


RISKY_VALUES = {"a": "=1+1", "b": "@SUM(1)", "c": "+1", "d": "-1+2"}


def test_a_value_placeholder_alone_in_its_cell_writes_formula_like_values_as_text(demo, tmp_path):
    """Before: only "=ACME" inside a sentence was tested; alone in a cell the value is written as itself."""
    cells = {f"A{i}": f"{{{{ {key} }}}}" for i, key in enumerate(RISKY_VALUES, 1)}
    template = custom_template(tmp_path / "t.xlsx", {"Cover": cells})
    out = fill_template(demo.sheets, tmp_path / "out.xlsx", template, values=RISKY_VALUES, today=TODAY)
    cover = load_workbook(out)["Cover"]
    for i, value in enumerate(RISKY_VALUES.values(), 1):
        cell = cover[f"A{i}"]
        assert cell.value == value and cell.data_type == "s" and cell.quotePrefix, (value, cell.data_type)


@pytest.mark.libreoffice
@pytest.mark.filterwarnings("ignore:.*extension is not supported:UserWarning")
def test_formula_like_values_and_headers_show_literally_in_libreoffice(soffice, tmp_path):
    """A template value alone in its cell and formula-like column headers, as LibreOffice shows them."""
    users = make_users(300, seed=2).rename(columns={"plan": "=1+1", "sessions": "+cost"})
    result = report(users, by="=1+1", metrics="+cost:mean", crosstabs=[])
    cells = {f"A{i}": f"{{{{ {key} }}}}" for i, key in enumerate(RISKY_VALUES, 1)}
    template = custom_template(tmp_path / "t.xlsx", {"Cover": cells, "Segments": {"A1": "{{ breakdown:* }}"}})
    out = fill_template(result.sheets, tmp_path / "out.xlsx", template, values=RISKY_VALUES, today=TODAY)
    plain = result.to_excel(tmp_path / "plain.xlsx")
    soffice([out, plain], "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,true,false,false,-1",
            tmp_path / "csv")
    cover = (tmp_path / "csv" / "out-Cover.csv").read_text(encoding="utf-8").splitlines()
    assert [line.split(",")[0] for line in cover[:4]] == list(RISKY_VALUES.values())
    for name in ("out-=1+1.csv", "plain-=1+1.csv"):
        text = (tmp_path / "csv" / name).read_text(encoding="utf-8")
        assert "\n=1+1," in text and ",+cost mean," in text, name  # the headers, not their results
