"""What xlwings Lite's Python (Pyodide) lacks: threads, and the Rust .xlsx readers (fastexcel, python-calamine).

Threads are disabled the way Pyodide disables them: ``threading.Thread.start`` raises ``RuntimeError("can't
start new thread")`` (ThreadPoolExecutor starts its workers through it too). The readers are made
unimportable by putting ``None`` into ``sys.modules`` (``import`` then raises ImportError, as when they are
not installed). Every result is compared with the same call made with threads and readers available.
The CI step in ``.ci/run`` also runs the formula tests in a virtual environment without the two readers.
"""

from __future__ import annotations

import datetime as dt
import sys
import threading
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

import xlseg
from xlseg import parallel
from xlseg.io import xlsx_fast
from xlseg.io.load import load_table
from xlseg.io.readers import read_file


def _refuse(self: threading.Thread) -> None:
    raise RuntimeError("can't start new thread")


@pytest.fixture
def no_threads(monkeypatch: pytest.MonkeyPatch):
    parallel.threads_available.cache_clear()
    monkeypatch.setattr(threading.Thread, "start", _refuse)
    yield
    monkeypatch.undo()
    parallel.threads_available.cache_clear()


@pytest.fixture
def no_fast_readers(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setitem(sys.modules, "python_calamine", None)
    monkeypatch.setitem(sys.modules, "fastexcel", None)


def workbook(path: Path, messy: bool = False) -> Path:
    """A sheet with text, numbers, dates, booleans and blanks; ``messy`` adds an error cell and a mixed column."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Users"
    ws.append(["device", "sessions", "signup", "converted", "note"])
    for i in range(60):
        note = "" if i % 3 else ("x" if not messy or i % 2 else 7)
        ws.append([["ios", "web", "android"][i % 3], float(i % 7), dt.datetime(2024, 1 + i % 12, 1 + i % 27),
                   i % 4 == 0, note or None])
    if messy:
        ws["B5"] = "#N/A"  # openpyxl writes an error cell
    wb.save(path)
    return path


def frames_equal(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True), check_dtype=False)


def test_threads_are_detected_missing_at_run_time(no_threads):
    assert parallel.threads_available() is False


def test_threads_available_here():
    parallel.threads_available.cache_clear()
    assert parallel.threads_available() is True


def test_per_column_jobs_run_in_the_calling_thread_without_threads(no_threads):
    caller = threading.get_ident()
    seen: list[int] = []

    def job(x: int) -> int:
        seen.append(threading.get_ident())
        return x * x

    assert parallel.map_columns(job, range(6), rows=parallel.PARALLEL_ROWS * 2) == [0, 1, 4, 9, 16, 25]
    assert set(seen) == {caller}


def test_large_breakdown_without_threads_equals_the_threaded_one_and_pandas(monkeypatch):
    users = xlseg.make_users(parallel.PARALLEL_ROWS + 20_000, seed=4)
    metrics = {"session_length": ["mean", "median"], "converted": "rate", "revenue": "sum"}
    parallel.threads_available.cache_clear()
    threaded = xlseg.breakdown(users, ["geography", "device"], metrics)
    monkeypatch.setattr(threading.Thread, "start", _refuse)
    parallel.threads_available.cache_clear()
    try:
        serial = xlseg.breakdown(users, ["geography", "device"], metrics)
        assert parallel.threads_available() is False
    finally:
        monkeypatch.undo()
        parallel.threads_available.cache_clear()
    frames_equal(serial, threaded)
    # and from the definition, with plain pandas
    body = serial[serial["geography"] != "Total"].set_index(["geography", "device"])
    groups = users.groupby(["geography", "device"])
    expected = groups["session_length"].median()
    assert np.allclose(body["session_length median"], expected.reindex(body.index).to_numpy())
    assert (body["users"] == groups.size().reindex(body.index)).all()
    assert np.allclose(body["revenue sum"], groups["revenue"].sum().reindex(body.index).to_numpy())


@pytest.mark.parametrize("messy", [False, True])
def test_xlsx_read_without_threads_equals_the_threaded_read(tmp_path, monkeypatch, messy):
    path = workbook(tmp_path / "users.xlsx", messy)
    parallel.threads_available.cache_clear()
    threaded = load_table(path)
    monkeypatch.setattr(threading.Thread, "start", _refuse)
    parallel.threads_available.cache_clear()
    try:
        xlsx_fast.prefetch(path)  # must not try to start its thread
        serial = load_table(path)
    finally:
        monkeypatch.undo()
        parallel.threads_available.cache_clear()
    frames_equal(serial.frame, threaded.frame)
    assert serial.notes == threaded.notes and serial.roles == threaded.roles


@pytest.mark.parametrize("messy", [False, True])
def test_xlsx_read_without_fastexcel_and_calamine_uses_openpyxl_and_gives_the_same_table(
    tmp_path, monkeypatch, messy
):
    path = workbook(tmp_path / "users.xlsx", messy)
    fast = load_table(path)
    monkeypatch.setitem(sys.modules, "python_calamine", None)
    monkeypatch.setitem(sys.modules, "fastexcel", None)
    assert xlsx_fast.read_typed(path) is None
    plain = load_table(path)
    frames_equal(plain.frame, fast.frame)
    assert plain.notes == fast.notes and plain.roles == fast.roles
    if messy:
        assert any("#N/A" in note for note in plain.notes)
    raw = read_file(path, sheet="Users")
    assert raw.headers == ["device", "sessions", "signup", "converted", "note"] and len(raw.frame) == 60


def test_lite_sheet_read_errors_are_one_line(tmp_path, no_fast_readers, no_threads):
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"not a zip file")
    with pytest.raises(xlseg.XlsegError, match="can't read 'bad.xlsx' as an Excel workbook"):
        read_file(bad)
    good = workbook(tmp_path / "users.xlsx")
    with pytest.raises(xlseg.XlsegError, match="sheet 'Usres' not found"):
        read_file(good, sheet="Usres")


def test_report_end_to_end_as_in_lite(tmp_path, no_fast_readers, no_threads):
    path = workbook(tmp_path / "users.xlsx", messy=True)
    result = xlseg.report(path, by=["device"])
    assert [s.name for s in result.sheets][:2] == ["Summary", "device"]
