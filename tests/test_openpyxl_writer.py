"""The openpyxl writer: what lands in the file, read back with openpyxl and from the raw XML; atomic saves."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import textwrap
import time
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from xlseg.engine.breakdowns import breakdown
from xlseg.errors import XlsegError
from xlseg.schema import Role, Table
from xlseg.sheets.blocks import breakdown_block
from xlseg.sheets.layout import Block, Column, Row, SheetLayout
from xlseg.writers import atomic
from xlseg.writers.atomic import atomic_write, check_output_path
from xlseg.writers.openpyxl_writer import build_workbook
from xlseg.writers.save import write_workbook

HOSTILE = ["=1+1", "+SUM(A1)", "-2", "@x", "#N/A", "#DIV/0!", "\tx", "\nx", "=HYPERLINK(\"http://x\")"]
LONG_NAME = "seg[1]:*?/\\ a label column far too long"


@pytest.fixture(scope="module")
def hostile_table() -> Table:
    """A clean Table whose labels are formula- and error-like (built directly: cleaning would blank #N/A)."""
    n = 9 * 40
    labels = [HOSTILE[i % len(HOSTILE)] for i in range(n)]
    frame = pd.DataFrame({
        LONG_NAME: pd.Categorical(labels),
        "converted": pd.array([i % 4 == 0 for i in range(n)], dtype="boolean"),
        "score": np.linspace(0, 100, n),
    })
    return Table(frame, {LONG_NAME: Role.DIMENSION, "converted": Role.FLAG, "score": Role.METRIC})


@pytest.fixture(scope="module")
def hostile_file(hostile_table, tmp_path_factory) -> tuple[Path, pd.DataFrame]:
    frame = breakdown(hostile_table, LONG_NAME, "converted:rate; score:mean", min_size=30, intervals=True,
                      compare=True)
    sheet = SheetLayout(LONG_NAME, "By " + LONG_NAME, None, [breakdown_block(frame, [LONG_NAME], table_name="A1")])
    path = tmp_path_factory.mktemp("hostile") / "hostile.xlsx"
    write_workbook([sheet], path)
    return path, frame


def _xml(path: Path) -> dict[str, str]:
    with zipfile.ZipFile(path) as z:
        return {name: z.read(name).decode("utf-8") for name in z.namelist() if name.endswith(".xml")}


def test_hostile_labels_stay_text(hostile_file):
    path, frame = hostile_file
    ws = load_workbook(path).worksheets[0]
    table = next(iter(ws.tables.values()))
    first = ws[table.ref.split(":")[0]].row + 1
    labels = [ws.cell(first + i, 1) for i in range(len(frame))]
    assert [c.value for c in labels] == frame[LONG_NAME].tolist()
    for cell in labels:
        assert cell.data_type == "s", (cell.value, cell.data_type)
    risky = [c for c in labels if c.value != "Total"]
    assert all(c.quotePrefix for c in risky)
    for name, xml in _xml(path).items():
        if name.startswith("xl/worksheets/"):
            assert "<f>" not in xml and "<f " not in xml, "a label became a formula"
            assert 't="e"' not in xml, "a label became an error value"


def test_names_are_made_valid(hostile_file):
    path, _ = hostile_file
    book = load_workbook(path)
    (name,) = book.sheetnames
    assert len(name) <= 31 and not re.search(r"[\[\]:*?/\\]", name)
    (table_name,) = book.worksheets[0].tables.keys()
    assert table_name == "T_A1"


def test_values_formats_tables_and_chart_match_the_layout(tmp_path):
    users = pd.DataFrame({"device": ["Mobile", "Desktop", "Mobile", "Tablet"] * 50,
                          "converted": [True, False, False, True] * 50,
                          "minutes": np.arange(200, dtype=float) / 3})
    frame = breakdown(users, "device", "converted:rate; minutes:mean", intervals=True, compare=True, min_size=60)
    layout = SheetLayout("device", "By device", "subtitle", [breakdown_block(frame, ["device"], table_name="device")])
    path = write_workbook([layout], tmp_path / "r.xlsx")
    book = load_workbook(path)
    ws = book["device"]
    for cell in layout.cells():
        got = ws.cell(cell.row, cell.col)
        if isinstance(cell.value, float):
            assert got.value == pytest.approx(cell.value)
        else:
            assert got.value == cell.value
        if cell.part == "value":
            assert got.number_format == cell.number_format
    block = layout.blocks[0]
    # the table stops above the grand total row, which sits right under it
    assert ws.tables["device"].ref == f"A{block.header_row}:{chr(64 + len(frame.columns))}{block.last_table_row - 1}"
    assert ws.cell(block.last_table_row, 1).value == "Total"
    assert ws.freeze_panes == f"B{block.first_body_row}"
    assert len(ws._charts) == 1
    assert ws.page_setup.fitToWidth == 1 and ws.sheet_properties.pageSetUpPr.fitToPage
    rules = [r for cf in ws.conditional_formatting for r in cf.rules]
    assert any(r.type == "dataBar" for r in rules)
    low_n = frame.columns.get_loc("low_n") + 1
    for i, is_low in enumerate(frame["low_n"]):
        assert ws.cell(block.first_body_row + i, low_n).value is bool(is_low)


def test_bools_missing_and_dates_are_written_natively(tmp_path):
    rows = [Row(("a", True, None, pd.Timestamp("2024-01-02").to_pydatetime(), 3))]
    block = Block("t", [Column("k"), Column("flag"), Column("empty"), Column("day", "yyyy-mm-dd"), Column("n")], 1,
                  rows, table_name="t")
    path = write_workbook([SheetLayout("s", "t", None, [block])], tmp_path / "v.xlsx")
    ws = load_workbook(path)["s"]
    r = block.first_body_row
    assert ws.cell(r, 2).value is True and ws.cell(r, 2).data_type == "b"
    assert ws.cell(r, 3).value is None
    assert ws.cell(r, 4).value == pd.Timestamp("2024-01-02").to_pydatetime()
    assert ws.cell(r, 4).number_format == "yyyy-mm-dd"


def test_a_missing_template_is_a_clear_error_and_writes_nothing(tmp_path):
    with pytest.raises(XlsegError, match=r"template '.*t\.xlsx' does not exist"):
        write_workbook([SheetLayout("s", "t")], tmp_path / "x.xlsx", template=tmp_path / "t.xlsx")
    assert not (tmp_path / "x.xlsx").exists()


def test_an_error_while_saving_leaves_the_previous_file_and_no_temp(tmp_path, monkeypatch):
    target = tmp_path / "report.xlsx"
    target.write_bytes(b"previous")
    wb = build_workbook([SheetLayout("s", "t")])

    def broken(temp: Path) -> None:
        wb.save(temp)
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        atomic_write(target, broken)
    assert target.read_bytes() == b"previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.xlsx"]


def test_a_workbook_that_fails_to_serialise_leaves_the_previous_file(tmp_path):
    target = tmp_path / "report.xlsx"
    target.write_bytes(b"previous")
    bad = Block("t", [Column("a")], 1, [Row((object(),))])  # no cell can hold an arbitrary object
    with pytest.raises((ValueError, TypeError)):
        write_workbook([SheetLayout("s", "t", None, [bad])], target)
    assert target.read_bytes() == b"previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.xlsx"]


KILL_SCRIPT = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from xlseg.writers.atomic import atomic_write

    def slow(temp: Path) -> None:
        with open(temp, "wb") as handle:
            handle.write(b"partial")
            handle.flush()
            print("writing", flush=True)
            time.sleep(60)

    atomic_write(sys.argv[1], slow)
""")


def test_killed_mid_save_leaves_the_previous_file_and_the_next_save_cleans_up(tmp_path):
    target = tmp_path / "report.xlsx"
    target.write_bytes(b"previous")
    proc = subprocess.Popen([sys.executable, "-c", KILL_SCRIPT, str(target)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "writing"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    assert target.read_bytes() == b"previous"
    leftovers = [p for p in tmp_path.iterdir() if p != target]
    assert leftovers and all(p.name.startswith(".~report.xlsx.") for p in leftovers)  # hidden, not the target
    time.sleep(0.05)
    write_workbook([SheetLayout("s", "t")], target)  # the next save removes the dead writer's temp file
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.xlsx"]
    assert load_workbook(target).sheetnames == ["s"]


def test_output_path_checks(tmp_path):
    source = tmp_path / "users.csv"
    source.write_text("a\n1\n")
    with pytest.raises(XlsegError, match="input file"):
        check_output_path(source, source)
    with pytest.raises(XlsegError, match="input file"):
        check_output_path(tmp_path / "." / "users.csv", source)
    with pytest.raises(XlsegError, match="folder"):
        check_output_path(tmp_path, None)
    with pytest.raises(XlsegError, match="does not exist"):
        check_output_path(tmp_path / "missing" / "r.xlsx", None)


def _leftover(folder, target, host, pid, age_s=0.0):
    """A temp file as a writer on ``host`` with ``pid`` leaves it, last modified ``age_s`` seconds ago."""
    path = folder / atomic.temp_name(target, host=host, pid=pid)
    path.write_bytes(b"partial")
    stamp = time.time() - age_s
    os.utime(path, (stamp, stamp))
    return path


def test_a_shared_folder_keeps_other_machines_temp_files_until_they_are_provably_stale(tmp_path):
    """A pid means nothing on another machine: its temp file is kept while young, removed when a day old."""
    target = tmp_path / "report.xlsx"
    dead = _dead_pid()
    here = atomic.host_tag()
    other_young = _leftover(tmp_path, target, "laptop-of-ann", dead, age_s=60)
    other_old = _leftover(tmp_path, target, "laptop-of-ann", dead, age_s=atomic.STALE_AFTER + 60)
    local_dead = _leftover(tmp_path, target, here, dead)
    local_alive = _leftover(tmp_path, target, here, os.getpid())
    legacy = tmp_path / f".~report.xlsx.{dead}.abcd1234.xlseg-tmp"  # an older xlseg: no host in the name
    legacy.write_bytes(b"partial")
    foreign = tmp_path / ".~report.xlsx.notes.txt"
    foreign.write_bytes(b"mine")
    removed = atomic.remove_stale_temps(target)
    assert sorted(removed) == sorted([other_old, local_dead])
    assert {p.name for p in tmp_path.iterdir()} == {p.name for p in (other_young, local_alive, legacy, foreign)}


def test_temp_names_carry_a_host_without_dots():
    name = atomic.temp_name(Path("/x/report.xlsx"), host="ws-12.corp.example.com", pid=42)
    assert name.startswith(".~report.xlsx.ws-12-corp-example-com.42.") and name.endswith(".xlseg-tmp")
    assert atomic.host_tag("") == "host"


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait(timeout=30)
    return proc.pid
