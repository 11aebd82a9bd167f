"""The ``xlseg`` command: exit codes, one-line errors, outputs, and a light start-up."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook

from xlseg.cli import main
from xlseg.demo import make_users


@pytest.fixture(scope="module")
def users_csv(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "users.csv"
    make_users(1500, seed=1).to_csv(path, index=False)
    return path


def one_line_error(capsys) -> str:
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("xlseg: error: ")
    assert "Traceback" not in err
    return lines[0]


def test_demo_writes_the_report(tmp_path, capsys):
    out = tmp_path / "demo.xlsx"
    assert main(["demo", "-o", str(out), "--rows", "800", "--quiet"]) == 0
    assert f"wrote {out}" in capsys.readouterr().out
    book = load_workbook(out)
    assert book.sheetnames[0] == "Summary" and "device" in book.sheetnames


def test_report_with_options(users_csv, tmp_path):
    out = tmp_path / "r.xlsx"
    code = main(["report", str(users_csv), "-o", str(out), "--by", "device", "--by", "geography,plan",
                 "--metric", "converted:rate", "--metric", "session_length:mean,median", "--crosstab", "plan:device",
                 "--bins", "signup_date=quarter", "--top", "4", "--min-size", "20", "--quiet"])
    assert code == 0
    book = load_workbook(out)
    assert book.sheetnames == ["Summary", "device", "geography × plan", "plan × device"]
    header = [c.value for c in book["device"][book["device"].tables["device"].ref][0]]
    assert "session_length median" in header and "converted rate p" in header


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["report", "missing.csv", "-o", "x.xlsx"], "file not found"),
        (["report", "{csv}", "-o", "x.xlsx", "--by", "devise"], "did you mean 'device'"),
        (["report", "{csv}", "-o", "x.xlsx", "--metric", "revenue:avg2"], "unknown aggregation"),
        (["report", "{csv}", "-o", "x.xlsx", "--bins", "sessions=zz"], "bin spec 'zz'"),
        (["report", "{csv}", "-o", "x.xlsx", "--bins", "sessions"], "COL=SPEC"),
        (["report", "{csv}", "-o", "x.xlsx", "--crosstab", "plan"], "ROWS:COLUMNS"),
        (["report", "{csv}", "-o", "{csv}"], "is the input file"),
        (["report", "{csv}", "-o", "x.xlsx", "--template", "t.xlsx", "--by", "device"], "does not exist"),
        (["report", "{csv}", "-o", "nowhere/x.xlsx"], "does not exist"),
        (["report", "{csv}", "-o", "x.xlsx", "--top", "0"], "at least 1"),
        (["report", "{csv}"], "required: -o"),
        (["demo", "-o", "x.xlsm"], ".xlsx"),
    ],
)
def test_bad_input_exits_2_with_one_line(args, message, users_csv, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    argv = [a.replace("{csv}", str(users_csv)) for a in args]
    assert run(argv) == 2
    assert message in one_line_error(capsys)
    assert not (tmp_path / "x.xlsx").exists()


def run(argv: list[str]) -> int:
    """``main(argv)``, also when argparse itself exits (usage errors raise SystemExit)."""
    try:
        return main(argv)
    except SystemExit as done:
        return int(done.code or 0)


def test_debug_shows_the_traceback(tmp_path):
    with pytest.raises(Exception, match="file not found"):
        main(["report", str(tmp_path / "missing.csv"), "-o", str(tmp_path / "x.xlsx"), "--debug"])


def test_console_script_and_light_import(tmp_path):
    code = ("import sys, xlseg.cli; heavy = [m for m in ('pandas', 'openpyxl', 'numpy', 'scipy') if m in sys.modules];"
            " print(heavy)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
    done = subprocess.run([sys.executable, "-m", "xlseg.cli", "report", "--help"], capture_output=True, text=True)
    assert done.returncode == 0 and "examples:" in done.stdout and "--crosstab" in done.stdout
    done = subprocess.run([sys.executable, "-m", "xlseg.cli", "report", str(tmp_path / "no.csv"), "-o",
                           str(tmp_path / "x.xlsx")], capture_output=True, text=True)
    assert done.returncode == 2 and done.stderr.startswith("xlseg: error: file not found")


def test_nothing_to_segment_names_the_cli_option(tmp_path, capsys):
    path = tmp_path / "one.csv"
    path.write_text("id,device\n1,Mobile\n", encoding="utf-8")
    assert main(["report", str(path), "-o", str(tmp_path / "out.xlsx")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["xlseg: error: nothing to report: no column to segment by; "
                   "name one (--by COLUMN, or by='column' in Python)"]
    assert not (tmp_path / "out.xlsx").exists()
