"""One parity suite: the same breakdowns, crosstabs and reports on pandas (in memory), DuckDB (a relation, a
table of a connection, the same with medians and percentiles from the window form that spills, a glob of
Parquet files), an Ibis expression and Spark (local[2]).

Tolerances of issue 13: counts, distinct counts, medians and percentiles exact (1e-12 relative: the same
float from the same interpolation formula); means, rates, variances, intervals and p-values within 1e-9
relative. Every engine is also checked against plain pandas ``groupby`` written from the definitions.
"""

from __future__ import annotations

import io
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from xlseg.engine.breakdowns import breakdown
from xlseg.engine.crosstabs import crosstab
from xlseg.errors import XlsegError
from xlseg.reporting import report

ENGINES = ["duckdb", "duckdb-table", "duckdb-spill", "parquet-glob", "ibis", "spark"]
EXACT = ("users", " count", " nunique", " median", " p90", " p10", " min", " max", " q")


def users(n: int = 3000, seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({
        "geo": rng.choice(["US", "DE", "FR", "BR", "IN", "JP", "MX"], n, p=[.3, .2, .15, .15, .1, .06, .04]),
        "device": rng.choice(["ios", "android", "web"], n),
        "age": rng.integers(18, 70, n).astype(float),
        "sessions": np.round(rng.gamma(2, 3, n), 2),
        "revenue": rng.integers(0, 50, n).astype(float),
        "converted": rng.random(n) < 0.3,
        "signup": pd.to_datetime("2024-01-01") + pd.to_timedelta(rng.integers(0, 365 * 86400, n), unit="s"),
    })
    frame.loc[::17, "sessions"] = np.nan
    frame["geo"] = frame["geo"].astype(object)
    frame.loc[::41, "geo"] = None
    return frame


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    return users()


@pytest.fixture(scope="module")
def duck(data: pd.DataFrame) -> object:
    import duckdb

    connection = duckdb.connect()
    connection.register("users_frame", data)
    connection.execute("CREATE TABLE users AS SELECT * FROM users_frame")
    return connection


@pytest.fixture(scope="module")
def parquet_glob(data: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> str:
    folder = tmp_path_factory.mktemp("events")
    table = pa.Table.from_pandas(data, preserve_index=False)
    for i, start in enumerate(range(0, len(data), 1000)):  # several files: the glob is read as one table
        pq.write_table(table.slice(start, 1000), folder / f"part-{i}.parquet")
    return str(folder / "*.parquet")


@pytest.fixture(params=ENGINES)
def source(request: pytest.FixtureRequest, data: pd.DataFrame, duck: object, parquet_glob: str) -> object:
    """The test table as each engine's input."""
    engine = request.param
    if engine == "duckdb":
        return duck.table("users")  # type: ignore[attr-defined]
    if engine == "duckdb-table":
        return (duck, "users")
    if engine == "duckdb-spill":  # medians and percentiles from the sort that spills (after an out-of-memory error)
        from xlseg.io.sources import open_source

        spilling = open_source(duck.table("users"))  # type: ignore[attr-defined]
        assert spilling is not None
        spilling.spill_quantiles = True
        return spilling
    if engine == "parquet-glob":
        return parquet_glob
    if engine == "ibis":
        import ibis

        return ibis.memtable(data)
    spark = request.getfixturevalue("spark")
    return spark.createDataFrame(pa.Table.from_pandas(data, preserve_index=False))


def assert_same(expected: pd.DataFrame, actual: pd.DataFrame) -> None:
    """Same columns, labels and order; exact figures exact, the others within 1e-9 relative."""
    assert list(actual.columns) == list(expected.columns)
    assert len(actual) == len(expected)
    for column in expected.columns:
        e, a = expected[column], actual[column]
        if e.dtype == object or pd.api.types.is_string_dtype(e.dtype) or pd.api.types.is_bool_dtype(e.dtype):
            assert a.astype(str).tolist() == e.astype(str).tolist(), column
        elif pd.api.types.is_datetime64_any_dtype(e.dtype):
            assert (a.to_numpy() == e.to_numpy()).all() or a.equals(e), column
        else:
            rtol = 1e-12 if any(column == x.strip() or column.endswith(x) for x in EXACT) else 1e-9
            np.testing.assert_allclose(a.to_numpy(float), e.to_numpy(float), rtol=rtol, atol=0, err_msg=column)


FULL = "sessions:mean,median,p90,sum,min,max,count,nunique; converted:rate; signup:min,median"
BREAKDOWNS = {
    "two dimensions, subtotals, stats": dict(by=["geo", "device"], metrics=FULL, subtotals=True, intervals=True,
                                            compare=True, min_size=30),
    "quantile bins × device": dict(by=[{"column": "age", "bins": "q4"}, "device"], metrics="sessions:mean,p10"),
    "width and edge bins": dict(by=[{"column": "sessions", "bins": "width:5"}, {"column": "age",
                                                                              "bins": "edges:25,40"}],
                                metrics="revenue:sum,median", subtotals=True),
    "weeks": dict(by={"column": "signup", "bins": "week"}, metrics="converted:rate; revenue:median"),
    "top-N folded into Other": dict(by=["geo", "device"], top=3, metrics="sessions:median,nunique,mean",
                                   subtotals=True, sort="users"),
}


@pytest.mark.parametrize("case", list(BREAKDOWNS))
def test_breakdown_parity(case: str, data: pd.DataFrame, source: object) -> None:
    assert_same(breakdown(data, **BREAKDOWNS[case]), breakdown(source, **BREAKDOWNS[case]))


CROSSTABS = {
    "counts": dict(rows="geo", columns="device"),
    "median, months": dict(rows="device", columns={"column": "signup", "bins": "quarter"}, value="sessions",
                           agg="median"),
    "rate normalised": dict(rows="device", columns="geo", value="revenue", agg="sum", normalize="row"),
}


@pytest.mark.parametrize("case", list(CROSSTABS))
def test_crosstab_parity(case: str, data: pd.DataFrame, source: object) -> None:
    assert_same(crosstab(data, **CROSSTABS[case]), crosstab(source, **CROSSTABS[case]))


def test_report_parity(data: pd.DataFrame, source: object) -> None:
    kwargs = dict(by=["geo", "device,age"], metrics="converted:rate; sessions:mean,median",
                  crosstabs=["geo:device"], bins={"age": "q4"})
    expected, actual = report(data, **kwargs), report(source, **kwargs)
    assert list(actual.frames) == list(expected.frames)
    for name, frames in expected.frames.items():
        for e, a in zip(frames, actual.frames[name], strict=True):
            assert_same(e, a)


def test_against_plain_pandas(data: pd.DataFrame, source: object) -> None:
    """Finest groups and the grand total, from the definitions with pandas groupby."""
    out = breakdown(source, ["device", "geo"], "sessions:mean,median,p90,nunique,count,sum; converted:rate")
    rows = data.assign(geo=data["geo"].fillna("(missing)"))
    grouped = rows.groupby(["device", "geo"])
    detail = out[out["device"] != "Total"].set_index(["device", "geo"])
    expected = pd.DataFrame({
        "users": grouped.size(),
        "sessions mean": grouped["sessions"].mean(),
        "sessions median": grouped["sessions"].median(),
        "sessions p90": grouped["sessions"].quantile(0.9),
        "sessions nunique": grouped["sessions"].nunique(),
        "sessions count": grouped["sessions"].count(),
        "sessions sum": grouped["sessions"].sum(),
        "converted rate": grouped["converted"].mean(),
    }).reindex(detail.index)
    for column in expected.columns:
        np.testing.assert_allclose(detail[column].to_numpy(float), expected[column].to_numpy(float), rtol=1e-9,
                                   err_msg=column)
    total = out.iloc[-1]
    assert total["users"] == len(data)
    assert total["sessions median"] == data["sessions"].median()
    assert total["sessions nunique"] == data["sessions"].nunique()
    assert total["sessions p90"] == pytest.approx(data["sessions"].quantile(0.9), rel=1e-12)


def test_missing_column_is_the_usual_error(source: object) -> None:
    with pytest.raises(XlsegError, match="column 'devise' not found; did you mean 'device'"):
        breakdown(source, "devise")


def test_rate_of_a_number_column(source: object) -> None:
    with pytest.raises(XlsegError, match="'revenue' is not a flag column"):
        breakdown(source, "device", "revenue:rate")


def test_engine_error_is_one_line(duck: object) -> None:
    relation = duck.sql("SELECT device, CAST(age AS VARCHAR) || 'x' AS age FROM users")  # type: ignore[attr-defined]
    with pytest.raises(XlsegError, match=r"^'quantile:4' bins need a number column; 'age' is stored as string"):
        breakdown(relation, {"column": "age", "bins": "q4"})
    broken = duck.sql("SELECT device, CAST(age AS VARCHAR) AS age FROM users")  # type: ignore[attr-defined]
    with pytest.raises(XlsegError) as caught:
        breakdown(broken, "device", "age:mean", roles={"age": "metric"})
    assert "\n" not in str(caught.value)


def test_spark_error_is_one_line(spark: object, data: pd.DataFrame) -> None:
    frame = spark.createDataFrame(pa.Table.from_pandas(data, preserve_index=False))  # type: ignore[attr-defined]
    failing = frame.selectExpr("device", "assert_true(age < 60, 'age over 60') AS checked", "age")
    with pytest.raises(XlsegError) as caught:
        breakdown(failing, "device", "age:mean")
    message = str(caught.value)
    assert message.startswith("pyspark could not compute the aggregation:") and "\n" not in message
    assert "age over 60" in message and "at org.apache" not in message


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "xlseg.cli", *args], capture_output=True, text=True, timeout=300)


def test_cli_report_of_a_parquet_glob(parquet_glob: str, data: pd.DataFrame, tmp_path: Path) -> None:
    out = tmp_path / "out.xlsx"
    done = run_cli("report", parquet_glob, "-o", str(out), "--by", "device", "--metric", "sessions:median",
                   "--metric", "converted:rate", "--engine", "duckdb", "--memory-limit", "500MB")
    assert done.returncode == 0, done.stderr
    book = openpyxl.load_workbook(out)
    sheet = book["device"]
    cells = [[c.value for c in row] for row in sheet.iter_rows()]
    header = next(i for i, row in enumerate(cells) if row[0] == "device")
    names = cells[header]
    rows = {}
    for row in cells[header + 1:]:  # the breakdown table ends at its Total row (the chart data table follows)
        if row[0]:
            rows[row[0]] = dict(zip(names, row, strict=True))
        if row[0] == "Total":
            break
    for device, group in data.groupby("device"):
        assert rows[device]["users"] == len(group)
        assert rows[device]["sessions median"] == group["sessions"].median()
        assert rows[device]["converted rate"] == pytest.approx(group["converted"].mean(), rel=1e-9)
    assert rows["Total"]["users"] == len(data)


def test_cli_engine_errors_are_one_line(parquet_glob: str, tmp_path: Path) -> None:
    out = str(tmp_path / "out.xlsx")
    done = run_cli("report", parquet_glob, "-o", out, "--by", "device", "--memory-limit", "lots")
    assert done.returncode == 2
    assert done.stderr.startswith("xlseg: error: duckdb did not accept the memory limit 'lots'")
    assert done.stderr.count("\n") == 1
    done = run_cli("report", parquet_glob, "-o", out, "--by", "devise")
    assert done.stderr == "xlseg: error: column 'devise' not found; did you mean 'device'?\n"
    done = run_cli("report", parquet_glob, "-o", out, "--engine", "pandas", "--by", "device")
    assert "read it with engine duckdb" in done.stderr
    done = run_cli("report", parquet_glob, "-o", out, "--by", "device", "--memory-limit", "lots", "--debug")
    assert "Traceback" in done.stderr and "duckdb" in done.stderr


def test_progress_ticks_for_long_steps() -> None:
    from xlseg.cli import StageLog

    stream = io.StringIO()
    log = StageLog(stream, enabled=True, tick=0.05)
    log("quick step")
    log("slow step")
    time.sleep(0.3)
    log.close()
    lines = stream.getvalue().splitlines()
    assert re.fullmatch(r"\[\s*\d+\.\ds\] quick step", lines[0])
    assert re.fullmatch(r"\[\s*\d+\.\ds\] slow step", lines[1])
    assert any(re.fullmatch(r"\s+… slow step: \d+s", line) for line in lines[2:])
    assert not any("quick step:" in line for line in lines)


def test_report_summary_of_a_source(duck: object, data: pd.DataFrame, tmp_path: Path) -> None:
    """The Summary's column facts come from exact engine queries; the note says who aggregated."""
    result = report((duck, "users"), by=["geo"], metrics="sessions:mean; converted:rate")
    assert any(note.startswith("Aggregated by duckdb") for note in result.table.notes)  # type: ignore[union-attr]
    path = result.to_excel(tmp_path / "summary.xlsx")
    cells = [[c.value for c in row] for row in openpyxl.load_workbook(path)["Summary"].iter_rows()]
    start = next(i for i, row in enumerate(cells) if "Column" in row and "Distinct" in row)
    names = cells[start]
    first = names.index("Column")
    facts = {row[first]: dict(zip(names, row, strict=True)) for row in cells[start + 1:] if row[first] in data}
    assert set(facts) == {"geo", "sessions", "converted"}
    for column, fact in facts.items():
        assert fact["Missing"] == data[column].isna().sum()
        assert fact["Distinct"] == data[column].nunique()
    with pytest.raises(XlsegError, match="name the breakdowns"):
        report((duck, "users"))


def test_nan_and_infinity_are_missing_as_in_memory(duck: object) -> None:
    """Floats holding NaN or ±inf: the engine's first pass sees them in the group sums and cleans them."""
    relation = duck.sql(  # type: ignore[attr-defined]
        "SELECT device, CASE WHEN hash(rowid) % 10 = 0 THEN 'NaN'::DOUBLE WHEN hash(rowid) % 13 = 0 "
        "THEN 'inf'::DOUBLE ELSE sessions END AS sessions FROM users")
    frame = relation.df()
    assert np.isnan(frame["sessions"]).any() and np.isinf(frame["sessions"]).any()
    kwargs = dict(by="device", metrics="sessions:mean,median,count,nunique,max", intervals=True)
    assert_same(breakdown(frame, **kwargs), breakdown(relation, **kwargs))
    finite = frame[np.isfinite(frame["sessions"])]
    total = breakdown(relation, **kwargs).iloc[-1]
    assert total["sessions count"] == len(finite) and total["sessions max"] == finite["sessions"].max()


def test_quantiles_past_the_memory_limit(tmp_path: Path) -> None:
    """DuckDB's QUANTILE_CONT keeps each group's values in memory and fails under the memory limit; xlseg then
    takes medians and percentiles from a sort that spills: the same numbers as numpy's (PERCENTILE.INC)."""
    import duckdb

    from xlseg.io.sources import open_source

    connection = duckdb.connect(config={"memory_limit": "30MB", "threads": 2, "temp_directory": str(tmp_path)})
    connection.execute("CREATE TABLE t AS SELECT (i % 3)::VARCHAR AS g, CASE WHEN i % 101 = 0 THEN NULL "
                       "ELSE hash(i) % 100000 / 7.0 END AS x FROM range(2000000) r(i)")
    with pytest.raises(duckdb.OutOfMemoryException):
        connection.sql("SELECT g, quantile_cont(x, 0.5) FROM t GROUP BY g").fetchall()
    source = open_source(connection.table("t"))
    assert source is not None
    out = breakdown(source, "g", "x:median,p90,p10,mean").set_index("g")
    assert source.spill_quantiles  # the retry happened
    frame = connection.sql("SELECT * FROM t").df()
    for label, values in list(frame.groupby("g")["x"]) + [("Total", frame["x"])]:
        assert out.loc[label, "users"] == len(values)
        values = values.dropna().to_numpy()
        for name, q in (("median", 0.5), ("p90", 0.9), ("p10", 0.1)):
            assert out.loc[label, f"x {name}"] == pytest.approx(np.quantile(values, q), rel=1e-12, abs=0)
    # a file read with a memory limit its rows cannot fit (4M × 24 bytes > 90 MB): the sort from the start
    path = tmp_path / "t.parquet"
    connection.execute(f"COPY (SELECT * FROM t UNION ALL SELECT g, x + 1 FROM t) TO '{path}' (FORMAT parquet)")
    on_file = open_source(str(path), engine="duckdb", memory_limit="90MB")
    assert on_file is not None and on_file.memory_limit == 90_000_000
    out = breakdown(on_file, "g", "x:median,p90").set_index("g")
    assert on_file.spill_quantiles
    frame = pd.read_parquet(path)
    for label, values in list(frame.groupby("g")["x"]) + [("Total", frame["x"])]:
        values = values.dropna().to_numpy()
        assert out.loc[label, "x median"] == pytest.approx(np.quantile(values, 0.5), rel=1e-12, abs=0)
        assert out.loc[label, "x p90"] == pytest.approx(np.quantile(values, 0.9), rel=1e-12, abs=0)
