"""The behavioural analyses (issue 11) on sources their own engine reduces (issue 13): DuckDB (a relation, a table
of a connection, a glob of Parquet files), an Ibis expression and Spark (local[2]), against the in-memory engine
(counts exact, shares within 1e-12) and against the plain-pandas oracles of ``tests/behavior_oracle.py``.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import openpyxl
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from behavior_oracle import engagement as oracle_engagement
from behavior_oracle import lifecycle as oracle_lifecycle
from behavior_oracle import retention as oracle_retention
from behavior_oracle import rfm as oracle_rfm

import xlseg
from xlseg.behavior_report import behavior_report
from xlseg.errors import XlsegError

ENGINES = ["duckdb", "duckdb-table", "parquet-glob", "ibis", "spark"]


def make_events(seed: int = 11, n: int = 6000, n_users: int = 400) -> pd.DataFrame:
    """Integer ids (some blank), times over 2023-11 … 2025-01 across year and ISO-week boundaries (some blank),
    amounts in quarters (exact float sums in any order; some NaN)."""
    rng = np.random.default_rng(seed)
    start = rng.integers(0, 380, n_users)
    user = rng.integers(0, n_users, n)
    days = start[user] + rng.geometric(0.02, n) - 1
    seconds = rng.integers(0, 86400, n)
    time = pd.Timestamp("2023-11-20") + pd.to_timedelta(days * 86400 + seconds, unit="s")
    frame = pd.DataFrame({
        "user_id": pd.array(user, dtype="Int64"),
        "time": time.astype("datetime64[us]"),
        "amount": rng.integers(0, 800, n) / 4,
        "event": rng.choice(["view", "buy"], n),
    })
    frame.loc[::97, "user_id"] = pd.NA
    frame.loc[5::113, "time"] = pd.NaT
    frame.loc[3::29, "amount"] = np.nan
    return frame


def make_users(n_users: int = 430, seed: int = 3) -> pd.DataFrame:
    """The user table: devices, signup dates; 30 users without any activity."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "user_id": np.arange(n_users),
        "device": rng.choice(["ios", "android", "web"], n_users),
        "signup_date": (pd.Timestamp("2023-11-01") + pd.to_timedelta(rng.integers(0, 400, n_users), unit="D"))
        .astype("datetime64[us]"),
    })


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    return make_events()


@pytest.fixture(scope="module")
def people() -> pd.DataFrame:
    return make_users()


@pytest.fixture(scope="module")
def duck(data: pd.DataFrame) -> object:
    import duckdb

    connection = duckdb.connect()
    connection.register("events_frame", data)
    connection.execute("CREATE TABLE events AS SELECT * FROM events_frame")
    return connection


@pytest.fixture(scope="module")
def parquet_glob(data: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> str:
    folder = tmp_path_factory.mktemp("activity")
    table = pa.Table.from_pandas(data, preserve_index=False)
    for i, start in enumerate(range(0, len(data), 2500)):
        pq.write_table(table.slice(start, 2500), folder / f"part-{i}.parquet")
    return str(folder / "*.parquet")


@pytest.fixture(scope="module")
def spark_events(request: pytest.FixtureRequest, data: pd.DataFrame) -> object:
    spark = request.getfixturevalue("spark")
    return spark.createDataFrame(pa.Table.from_pandas(data, preserve_index=False))  # type: ignore[attr-defined]


@pytest.fixture(params=ENGINES)
def source(request: pytest.FixtureRequest, data: pd.DataFrame, duck: object, parquet_glob: str) -> object:
    """The activity table as each engine's input."""
    engine = request.param
    if engine == "duckdb":
        return duck.table("events")  # type: ignore[attr-defined]
    if engine == "duckdb-table":
        return (duck, "events")
    if engine == "parquet-glob":
        return parquet_glob
    if engine == "ibis":
        import ibis

        return ibis.memtable(data)
    return request.getfixturevalue("spark_events")


def same(actual: pd.DataFrame, expected: pd.DataFrame) -> None:
    """Same columns and rows; numbers within 1e-12 relative (counts are whole numbers, so exact), blanks alike."""
    actual, expected = actual.reset_index(drop=True), expected.reset_index(drop=True)
    assert list(actual.columns) == list(expected.columns)
    assert len(actual) == len(expected)
    for column in expected.columns:
        a, e = actual[column], expected[column]
        if pd.api.types.is_numeric_dtype(e.dtype) and not pd.api.types.is_bool_dtype(e.dtype):
            np.testing.assert_allclose(a.to_numpy(float, na_value=np.nan), e.to_numpy(float, na_value=np.nan),
                                       rtol=1e-12, atol=0, err_msg=column)
        else:
            assert a.astype(str).tolist() == e.astype(str).tolist(), column


def by_user(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows in the order of the ids' numbers (in memory, an id column with blanks reads as text ids)."""
    order = np.argsort(pd.to_numeric(frame["user_id"]).to_numpy(), kind="stable")
    return frame.iloc[order].reset_index(drop=True)


def cleaned(data: pd.DataFrame) -> pd.DataFrame:
    """The rows the oracles see: a user id and a time."""
    return data.dropna(subset=["user_id", "time"]).astype({"user_id": "int64"})


def drop_notes(data: pd.DataFrame) -> list[str]:
    """The notes on dropped rows, counted here with pandas."""
    blank_user = data["user_id"].isna()
    blank_time = int((~blank_user & data["time"].isna()).sum())
    return [f"dropped {int(blank_user.sum())} rows with a blank user id in 'user_id'",
            f"dropped {blank_time} rows whose time in 'time' is blank or unreadable"]


@pytest.mark.parametrize(("period", "mode", "counts"), [
    ("month", "on", False), ("week", "on_or_after", True), ("quarter", "on", True), ("day", "on", False)])
def test_retention(source, data, period, mode, counts):
    ours = xlseg.retention(source, "user_id", "time", period=period, mode=mode, counts=counts)
    same(ours, xlseg.retention(data, "user_id", "time", period=period, mode=mode, counts=counts))
    if period != "day":  # the day oracle loops in Python
        same(ours, oracle_retention(cleaned(data), "user_id", "time", period, mode, counts))
    assert [n for n in ours.attrs["notes"] if n.startswith("dropped")] == drop_notes(data)


def test_retention_signup_cohorts_by_device(source, data, people):
    kwargs = dict(users=people, cohort="signup_date", by="device", period="quarter", as_of="2024-12-01")
    ours = xlseg.retention(source, "user_id", "time", **kwargs)
    memory = xlseg.retention(data, "user_id", "time", **kwargs)
    same(ours, memory)
    assert ours.attrs["notes"][-4:] == memory.attrs["notes"][-4:]
    assert any(n.startswith("excluded") and "on or after as_of 2024-12-01" in n for n in ours.attrs["notes"])


@pytest.mark.parametrize("period", ["month", "week"])
def test_lifecycle(source, data, period):
    ours = xlseg.lifecycle(source, "user_id", "time", period=period)
    same(ours, xlseg.lifecycle(data, "user_id", "time", period=period))
    same(ours, oracle_lifecycle(cleaned(data), "user_id", "time", period))
    assert (ours["active"] == ours["new"] + ours["returning"] + ours["resurrecting"]).all()
    assert (ours["active"].shift(1).iloc[1:] == (ours["returning"] - ours["dormant"]).iloc[1:]).all()


def test_rfm(source, data):
    ours = xlseg.rfm(source, "user_id", "time", "amount", as_of="2025-01-01")
    memory = xlseg.rfm(data, "user_id", "time", "amount", as_of="2025-01-01")
    same(ours, by_user(memory))
    assert ours.attrs["cuts"] == memory.attrs["cuts"]
    oracle = oracle_rfm(cleaned(data), "user_id", "time", "amount", as_of="2025-01-01")
    same(ours, by_user(oracle))


@pytest.mark.parametrize("window", [28, 7])
def test_engagement(source, data, window):
    ours = xlseg.engagement(source, "user_id", "time", window=window, as_of="2024-10-15")
    memory = xlseg.engagement(data, "user_id", "time", window=window, as_of="2024-10-15")
    same(ours, memory)
    same(ours, oracle_engagement(cleaned(data), "user_id", "time", window, as_of="2024-10-15"))
    assert ours.attrs["summary"] == memory.attrs["summary"]


def test_activity_with_a_user_table(source, data, people):
    ours = xlseg.activity(source, "user_id", "time", "amount", users=people, period="week")
    memory = xlseg.activity(data, "user_id", "time", "amount", users=people, period="week")
    same(ours, by_user(memory))
    assert (ours["segment"] == "never active").sum() == 30 + (people["user_id"].nunique() - 430)
    assert [n for n in ours.attrs["notes"] if "user table" in n] == \
        [n for n in memory.attrs["notes"] if "user table" in n]


def test_periods_across_1970_mean_the_same(duck, spark):
    """Week codes of days before 1970 use floor division on every engine (ISO weeks, Monday start)."""
    days = pd.to_datetime(["1969-12-22", "1969-12-28", "1969-12-29", "1970-01-01", "1970-01-04", "1970-01-05",
                           "1970-03-31", "1970-04-01"]).astype("datetime64[us]")
    frame = pd.DataFrame({"user_id": [1, 1, 1, 2, 2, 2, 1, 2], "time": days})
    memory = xlseg.lifecycle(frame, "user_id", "time", period="week")
    duck.register("early", frame)  # type: ignore[attr-defined]
    inputs = [duck.table("early"), spark.createDataFrame(pa.Table.from_pandas(frame, preserve_index=False))]
    for period in ("day", "week", "month", "quarter"):
        memory = xlseg.lifecycle(frame, "user_id", "time", period=period)
        for source in inputs:
            same(xlseg.lifecycle(source, "user_id", "time", period=period), memory)
    assert memory["period"].tolist()[:1] == ["1969Q4"]


def test_report_frames_match_in_memory(duck, data, people):
    pushed = behavior_report(duck.table("events"), "user_id", "time", "amount", users=people, period="week")
    memory = behavior_report(data, "user_id", "time", "amount", users=people, period="week")
    for name, frames in memory.frames.items():
        for a, b in zip(pushed.frames[name], frames, strict=True):
            same(a, by_user(b) if "user_id" in b.columns else b)


def test_bad_input_is_one_line(duck, parquet_glob, data):
    rel = duck.table("events")  # type: ignore[attr-defined]
    with pytest.raises(XlsegError, match=r"^tz apply to tables read into memory, not to a duckdb source"):
        xlseg.rfm(rel, "user_id", "time", "amount", tz="Europe/Berlin")
    with pytest.raises(XlsegError, match=r"column 'tme' not found; did you mean 'time'\?"):
        xlseg.lifecycle(parquet_glob, "user_id", "tme")
    with pytest.raises(XlsegError, match=r"^value column 'event' is stored as string in duckdb, not as numbers"):
        xlseg.rfm(rel, "user_id", "time", "event")
    with pytest.raises(XlsegError, match=r"^column 'event' is stored as string in duckdb, not as dates"):
        xlseg.engagement(rel, "user_id", "event")
    with pytest.raises(XlsegError, match=r"^'event' is a column of the activity table; on a duckdb source"):
        xlseg.retention(rel, "user_id", "time", by="event")
    first = cleaned(data)["time"].min().date()
    with pytest.raises(XlsegError, match=rf"^no activity before as_of 2020-01-01; the first is on {first}$"):
        xlseg.retention(rel, "user_id", "time", as_of="2020-01-01")
    for error in (XlsegError,):
        with pytest.raises(error, match=r"^no user id column found among"):
            xlseg.lifecycle(duck.sql("select time, amount from events"))  # type: ignore[attr-defined]


def test_columns_detected_from_stored_types(duck, data):
    """user/time/value default to the first id-like, date and numeric columns of the engine's schema."""
    rel = duck.table("events")  # type: ignore[attr-defined]
    same(xlseg.rfm(rel), by_user(xlseg.rfm(data)))
    same(behavior_report(rel).frames["RFM"][0], by_user(xlseg.rfm(data, "user_id", "time", "amount")))


def test_cli_behavior_on_a_parquet_glob(parquet_glob, data, tmp_path):
    out = tmp_path / "pushed.xlsx"
    done = subprocess.run([sys.executable, "-m", "xlseg.cli", "behavior", parquet_glob, "-o", str(out),
                           "--user", "user_id", "--time", "time", "--value", "amount", "--engine", "duckdb",
                           "--memory-limit", "1GB", "--quiet"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    book = openpyxl.load_workbook(out, data_only=True)
    expected = xlseg.retention(data, "user_id", "time")
    ws = book["Retention"]
    rows = [r for r in ws.iter_rows(values_only=True) if r and r[0] in set(expected["cohort"])]
    assert [r[0] for r in rows] == expected["cohort"].tolist()
    got = np.array([[np.nan if v is None else v for v in r[1:2 + len(expected.columns) - 2]] for r in rows], float)
    np.testing.assert_allclose(got, expected.iloc[:, 1:].to_numpy(float, na_value=np.nan), rtol=1e-12)
    summary = [r for r in book["Summary"].iter_rows(values_only=True) if r and r[0] == "Activity rows analysed"]
    assert summary[0][1] == len(cleaned(data))
    bad = subprocess.run([sys.executable, "-m", "xlseg.cli", "behavior", parquet_glob, "-o", str(tmp_path / "b.xlsx"),
                          "--tz", "Europe/Berlin"], capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2
    assert bad.stderr.strip().splitlines() == [
        "xlseg: error: tz apply to tables read into memory, not to a duckdb source; clean the data there "
        "(or read it with engine='pandas')"]


def test_nan_values_are_missing_as_in_memory(duck, data):
    """A DuckDB double NaN (not NULL) is a missing value, skipped in monetary as pandas skips NaN."""
    rel = duck.sql("SELECT user_id, time, CASE WHEN amount < 20 THEN 'nan'::DOUBLE ELSE amount END AS amount "  # type: ignore[attr-defined]
                   "FROM events")
    frame = data.assign(amount=data["amount"].where(~(data["amount"] < 20), np.nan))
    ours = xlseg.rfm(rel, "user_id", "time", "amount")
    assert np.isfinite(ours["monetary"]).all()
    same(ours, by_user(xlseg.rfm(frame, "user_id", "time", "amount")))


def test_large_integer_ids_with_blanks_come_back_exact(duck, data):
    """Ids above 2**53 (snowflake ids) in a column with blanks stay exact integers (not floats through pandas)."""
    rel = duck.sql("SELECT user_id + 1152921504606846976 AS user_id, time FROM events")  # type: ignore[attr-defined]
    ours = xlseg.rfm(rel, "user_id", "time")
    expected = by_user(xlseg.rfm(cleaned(data), "user_id", "time"))
    assert ours["user_id"].tolist() == [int(u) + 2**60 for u in expected["user_id"]]
    same(ours.drop(columns="user_id"), expected.drop(columns="user_id"))
