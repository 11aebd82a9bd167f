"""``xlseg workbook PATH.xlsm``: built from xlwings quickstart, read back with openpyxl (and LibreOffice)."""

from __future__ import annotations

import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
import xlwings
from openpyxl import load_workbook

import xlseg
from xlseg.errors import XlsegError
from xlseg.excel.args import parse_options
from xlseg.excel.workbook import UDF_MODULES, build_workbook


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    return build_workbook(tmp_path_factory.mktemp("book") / "demo.xlsm", rows=200)


def test_sheets_and_the_active_how_to(built):
    book = load_workbook(built, keep_vba=True)
    assert book.sheetnames == ["How to", "Users", "xlseg", "xlwings.conf"]
    assert book.active.title == "How to"


def test_vba_project_of_quickstart_is_kept(built):
    quickstart = Path(xlwings.__file__).with_name("quickstart.xlsm")
    with zipfile.ZipFile(built) as ours, zipfile.ZipFile(quickstart) as theirs:
        assert ours.read("xl/vbaProject.bin") == theirs.read("xl/vbaProject.bin")
        content_types = ours.read("[Content_Types].xml").decode()
    assert "application/vnd.ms-excel.sheet.macroEnabled.main+xml" in content_types


def test_xlwings_conf_points_at_the_xlseg_modules(built):
    conf = load_workbook(built)["xlwings.conf"]
    settings = {row[0]: row[1] for row in conf.iter_rows(max_col=2, values_only=True) if row[0]}
    assert settings["UDF Modules"] == UDF_MODULES == "xlseg.excel.udfs;xlseg.excel.macros"
    assert "_xlwings.conf" not in load_workbook(built).sheetnames  # renamed = active


def test_users_sheet_is_the_demo_table_as_an_excel_table(built):
    sheet = load_workbook(built)["Users"]
    assert sheet.tables["Users"].ref == "A1:I201"
    table = xlseg.load_table(built, sheet="Users")
    assert list(table.roles.values()) == ["id", "dimension", "dimension", "dimension", "date", "metric", "metric",
                                          "flag", "metric"]
    metrics = "converted:rate; session_length:median; revenue:sum"
    expected = xlseg.breakdown(xlseg.make_users(200), "plan", metrics)
    assert xlseg.breakdown(table, "plan", metrics).equals(expected)


def test_config_sheet_parses_as_macro_settings(built):
    sheet = load_workbook(built)["xlseg"]
    rows = [list(row) for row in sheet.iter_rows(min_row=2, max_col=3, values_only=True)]
    options = parse_options(rows).values
    assert options["by"] == ["device", "plan", "geography, device"]
    assert options["metrics"] == ["converted:rate; session_length:mean,median; revenue:mean"]
    assert options["bins"] == {"session_length": "q4"} and options["min_size"] == 30 and options["top"] == 8


def test_example_formulas_are_text_not_formulas(built):
    sheet = load_workbook(built)["How to"]
    formulas = [c for c in sheet["A"] if isinstance(c.value, str) and c.value.startswith("=")]
    assert len(formulas) >= 6
    assert all(c.data_type == "s" for c in formulas)
    names = {c.value.split("(")[0] for c in formulas}
    import xlseg.excel.udfs

    assert names == {f"={name}" for name in vars(xlseg.excel.udfs) if name.startswith("SEG_")}  # one example each


def test_companion_module_runs_the_macro(built):
    source = built.with_suffix(".py").read_text()
    namespace: dict[str, object] = {}
    exec(compile(source, "demo.py", "exec"), namespace)
    assert callable(namespace["main"]) and namespace["segment_selection"].__module__ == "xlseg.excel.macros"


def test_refuses_to_overwrite_or_odd_names(tmp_path, built):
    with pytest.raises(XlsegError, match="already exists"):
        build_workbook(built)
    with pytest.raises(XlsegError, match=r"\.xlsm"):
        build_workbook(tmp_path / "demo.xlsx")
    with pytest.raises(XlsegError, match="letters, digits and _"):
        build_workbook(tmp_path / "my demo.xlsm")
    (tmp_path / "tool.py").write_text("print('mine')\n")
    with pytest.raises(XlsegError, match="not xlseg's"):
        build_workbook(tmp_path / "tool.xlsm")
    assert (tmp_path / "tool.py").read_text() == "print('mine')\n"
    assert not (tmp_path / "tool.xlsm").exists()


def test_overwrite_replaces_own_files(tmp_path):
    first = build_workbook(tmp_path / "again.xlsm", rows=20)
    second = build_workbook(first, rows=30, overwrite=True)
    assert load_workbook(second)["Users"].tables["Users"].ref == "A1:I31"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["again.py", "again.xlsm"]  # no temp files left


@pytest.mark.libreoffice
@pytest.mark.skipif(shutil.which("soffice") is None and not os.environ.get("CI"), reason="needs LibreOffice")
def test_libreoffice_opens_the_workbook(built, tmp_path):
    done = subprocess.run(
        ["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/profile", "--convert-to", "csv",
         "--outdir", str(tmp_path), str(built)],
        capture_output=True, text=True, timeout=180,
    )
    assert done.returncode == 0, done.stderr
    text = (tmp_path / "demo.csv").read_text()
    assert "SEG_BREAKDOWN" in text  # the active How-to sheet, example formulas shown as text


def test_cli_workbook_command_builds_and_refuses_to_overwrite(tmp_path, capsys):
    from xlseg.cli import main

    target = tmp_path / "mine.xlsm"
    assert main(["workbook", str(target), "--rows", "50", "--quiet"]) == 0
    assert load_workbook(target, keep_vba=True).sheetnames == ["How to", "Users", "xlseg", "xlwings.conf"]
    assert load_workbook(target)["Users"].tables["Users"].ref == "A1:I51"
    assert main(["workbook", str(target), "--quiet"]) == 2
    assert "already exists" in capsys.readouterr().err
