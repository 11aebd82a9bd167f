"""Question 5: past one machine's memory — xlseg on DuckDB against the engine itself, polars and Spark.

A generated user table (country ~20 Zipf-skewed values, device 3, sessions, converted, revenue) is written
as Parquet at 10M, 50M and 100M rows (row group by row group, never whole in memory; cached under
``benchmarks/data/scale/``, git-ignored). Breakdown by country × device with the grand total: users,
sessions mean, converted rate, revenue sum; then the same with the sessions median.

    python benchmarks/bench_scale.py                         # 10M, 50M, 100M rows; Spark at 10M
    python benchmarks/bench_scale.py --sizes 10000000 --repeat 5
    python benchmarks/bench_scale.py --quick                 # 1M rows, one run, no Spark

Cases (each run in a fresh process, so that its peak RSS is its own; the time is measured inside the
process after the imports, whose time is printed apart as "start-up"):

- ``xlseg duckdb``: ``breakdown(path, ..., engine="duckdb", memory_limit="1GB")`` (medians: ``QUANTILE_CONT``,
  or the sort that spills when the rows × 24 bytes exceed the limit);
- ``xlseg duckdb spill`` (``--spill``, with a median): the same with medians from the sort that spills at any size;
- ``duckdb GROUPING SETS``: the hand-written query, ``GROUPING SETS ((country, device), ())``, same limit;
- ``polars streaming``: ``scan_parquet`` → two lazy group-bys (cells and total), ``collect(engine="streaming")``;
- ``xlseg spark`` and ``spark GROUPING SETS`` (10M only): ``breakdown(spark.read.parquet(path), ...)`` and
  the hand-written Spark SQL (exact ``percentile``) in ``local[2]``; one process each, a warm-up run (JVM
  start, JIT) then one timed run; the peak RSS is the Python driver's (the JVM is another process).

Every case's numbers (all cells and the total) are compared with xlseg's: counts and medians exact, the
rest within 1e-9 relative; a case that differs is marked and not ranked. Rounds are interleaved (every case
once per round, order rotated) and the table gives medians.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
DATA = HERE / "data" / "scale"
CHUNK = 5_000_000
MEMORY_LIMIT = os.environ.get("XLSEG_BENCH_MEMORY_LIMIT", "1GB")  # --memory-limit sets it for the children
CASES = ["xlseg duckdb", "duckdb GROUPING SETS", "polars streaming"]


# ----------------------------------------------------------------------------- data


def dataset(rows: int) -> Path:
    """The Parquet file of ``rows`` generated users (written once, chunk by chunk, seed fixed)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = DATA / f"users_{rows}.parquet"
    if path.exists():
        return path
    DATA.mkdir(parents=True, exist_ok=True)
    countries = np.array([f"C{i:02d}" for i in range(20)])
    weights = 1 / np.arange(1, 21) ** 1.1
    weights /= weights.sum()
    devices = np.array(["ios", "android", "web"])
    rng = np.random.default_rng(42)
    partial = path.with_suffix(".partial")
    schema = pa.schema([("country", pa.string()), ("device", pa.string()), ("sessions", pa.float64()),
                        ("converted", pa.bool_()), ("revenue", pa.float64())])
    with pq.ParquetWriter(partial, schema) as writer:
        for start in range(0, rows, CHUNK):
            n = min(CHUNK, rows - start)
            country = pa.DictionaryArray.from_arrays(rng.choice(20, n, p=weights).astype(np.int32), countries)
            device = pa.DictionaryArray.from_arrays(rng.choice(3, n, p=[.45, .35, .2]).astype(np.int32), devices)
            sessions = np.round(rng.lognormal(1.5, 0.8, n), 2)
            converted = rng.random(n) < 0.08
            revenue = np.where(converted, np.round(rng.gamma(2, 20, n), 2), 0.0)
            writer.write_table(pa.table({"country": country.cast(pa.string()), "device": device.cast(pa.string()),
                                         "sessions": sessions, "converted": converted, "revenue": revenue},
                                        schema=schema))
    partial.rename(path)
    return path


# ----------------------------------------------------------------------------- cases (run in a child process)


def _xlseg(path: str, median: bool, spill: bool = False) -> list[list[object]]:
    from xlseg.engine.breakdowns import breakdown
    from xlseg.io.sources import open_source

    metrics = "sessions:mean" + (",median" if median else "") + "; converted:rate; revenue:sum"
    source = open_source(path, engine="duckdb", memory_limit=MEMORY_LIMIT)
    assert source is not None
    source.spill_quantiles = spill or source.spill_quantiles  # "xlseg duckdb spill": the sort whatever the size
    out = breakdown(source, ["country", "device"], metrics)
    return _rows(out, median)


def _spark_session() -> object:
    import warnings

    warnings.simplefilter("ignore", FutureWarning)
    from pyspark.sql import SparkSession

    spark = (SparkSession.builder.master("local[2]").config("spark.ui.enabled", "false")
             .config("spark.ui.showConsoleProgress", "false").config("spark.sql.shuffle.partitions", "4")
             .config("spark.driver.memory", "2g").getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def _warm_timed(run: object) -> list[list[object]]:
    """Spark: one warm-up run (JVM start, JIT), then the timed run; the time is passed to :func:`child`."""
    run()  # type: ignore[operator]
    start = time.perf_counter()
    rows = run()  # type: ignore[operator]
    os.environ["XLSEG_BENCH_SPARK_SECONDS"] = str(time.perf_counter() - start)
    return rows


def _xlseg_spark(path: str, median: bool) -> list[list[object]]:
    from xlseg.engine.breakdowns import breakdown

    spark = _spark_session()
    metrics = "sessions:mean" + (",median" if median else "") + "; converted:rate; revenue:sum"
    return _warm_timed(lambda: _rows(breakdown(spark.read.parquet(path), ["country", "device"], metrics), median))


def _spark_sql(path: str, median: bool) -> list[list[object]]:
    spark = _spark_session()
    extra = ", percentile(sessions, 0.5)" if median else ""
    query = f"""
        SELECT coalesce(country, 'Total'), coalesce(device, 'Total'), count(*), avg(sessions),
               avg(CAST(converted AS DOUBLE)), sum(revenue){extra}
        FROM parquet.`{path}` GROUP BY GROUPING SETS ((country, device), ())"""
    return _warm_timed(lambda: [list(r) for r in spark.sql(query).collect()])  # type: ignore[attr-defined]


def _rows(frame: object, median: bool) -> list[list[object]]:
    columns = ["country", "device", "users", "sessions mean", "converted rate", "revenue sum"]
    columns += ["sessions median"] if median else []
    return [[(v.item() if hasattr(v, "item") else v) for v in row] for row in frame[columns].itertuples(index=False)]


def _duckdb(path: str, median: bool) -> list[list[object]]:
    import duckdb

    connection = duckdb.connect(config={"memory_limit": MEMORY_LIMIT,  # spills: the temp folder, not the repo
                                        "temp_directory": os.path.join(tempfile.gettempdir(), "xlseg-duckdb")})
    extra = ", median(sessions)" if median else ""
    rows = connection.sql(f"""
        SELECT coalesce(country, 'Total'), coalesce(device, 'Total'), count(*), avg(sessions),
               avg(converted::DOUBLE), sum(revenue){extra}
        FROM read_parquet('{path}')
        GROUP BY GROUPING SETS ((country, device), ())
        ORDER BY grouping(country), country, device""").fetchall()
    return [list(r) for r in rows]


def _polars(path: str, median: bool) -> list[list[object]]:
    import polars as pl

    aggs = [pl.len().alias("users"), pl.col("sessions").mean(), pl.col("converted").mean().alias("rate"),
            pl.col("revenue").sum()]
    aggs += [pl.col("sessions").median().alias("median")] if median else []
    scan = pl.scan_parquet(path)
    cells = scan.group_by("country", "device").agg(aggs).sort("country", "device")
    total = scan.select(aggs).with_columns(country=pl.lit("Total"), device=pl.lit("Total"))
    both = pl.concat([cells, total.select(cells.collect_schema().names())])
    return [list(r) for r in both.collect(engine="streaming").rows()]


RUNNERS = {"xlseg duckdb": _xlseg, "xlseg duckdb spill": lambda path, median: _xlseg(path, median, spill=True),
           "duckdb GROUPING SETS": _duckdb, "polars streaming": _polars,
           "xlseg spark": _xlseg_spark, "spark GROUPING SETS": _spark_sql}


def _peak_rss() -> int:
    """This process's peak RSS in bytes: VmHWM (ru_maxrss would carry the parent's peak across fork + exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


IMPORTS = {  # imported before the clock starts; their time is printed apart as start-up
    "xlseg duckdb": ["xlseg.engine.breakdowns", "duckdb", "ibis", "ibis.backends.sql.compilers.duckdb"],
    "xlseg duckdb spill": ["xlseg.engine.breakdowns", "duckdb", "ibis", "ibis.backends.sql.compilers.duckdb"],
    "duckdb GROUPING SETS": ["duckdb"],
    "polars streaming": ["polars"],
    "xlseg spark": ["xlseg.engine.breakdowns", "pyspark.sql", "ibis", "ibis.backends.sql.compilers.pyspark"],
    "spark GROUPING SETS": ["pyspark.sql"],
}
SPARK = ["xlseg spark", "spark GROUPING SETS"]


def child(case: str, path: str, median: bool) -> None:
    """Run one case once and print its start-up (imports), time, peak RSS and numbers as JSON."""
    import importlib

    start = time.perf_counter()
    for module in IMPORTS[case]:
        importlib.import_module(module)
    startup = time.perf_counter() - start
    start = time.perf_counter()
    rows = RUNNERS[case](path, median)
    seconds = float(os.environ.get("XLSEG_BENCH_SPARK_SECONDS", time.perf_counter() - start))
    peak = _peak_rss()
    print(json.dumps({"seconds": seconds, "startup": startup, "rss": peak, "rows": rows}))


# ----------------------------------------------------------------------------- parent


def run_case(case: str, path: Path, median: bool) -> dict[str, object]:
    done = subprocess.run([sys.executable, __file__, "--child", case, str(path)] + (["--median"] if median else []),
                          capture_output=True, text=True, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    if done.returncode != 0:
        return {"error": (done.stderr.strip().splitlines() or ["failed"])[-1][:160]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def same_numbers(reference: list[list[object]], rows: list[list[object]], median: bool) -> str:
    """'' when ``rows`` equal ``reference`` (counts and medians exact, the rest 1e-9 relative)."""
    key = {(r[0], r[1]): r for r in reference}
    if len(rows) != len(reference):
        return f"{len(rows)} rows, not {len(reference)}"
    for row in rows:
        expected = key.get((row[0], row[1]))
        if expected is None:
            return f"unexpected group {row[:2]}"
        if row[2] != expected[2] or (median and row[6] != expected[6]):
            return f"{row[:2]}: count or median differs"
        if not np.allclose(np.array(row[3:6], float), np.array(expected[3:6], float), rtol=1e-9, atol=0):
            return f"{row[:2]}: {row[3:6]} vs {expected[3:6]}"
    return ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000_000, 50_000_000, 100_000_000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--spark-at", type=int, default=10_000_000, help="row count timed on Spark (0: none)")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--memory-limit", default="1GB", help="DuckDB's memory limit (default 1GB)")
    parser.add_argument("--no-plain", action="store_true", help="only the cases with a median")
    parser.add_argument("--spill", action="store_true",
                        help="also xlseg with medians from the sort that spills at every size")
    parser.add_argument("--child", nargs=2, metavar=("CASE", "PATH"), help=argparse.SUPPRESS)
    parser.add_argument("--median", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], args.child[1], args.median)
        return
    os.environ["XLSEG_BENCH_MEMORY_LIMIT"] = args.memory_limit
    global MEMORY_LIMIT
    MEMORY_LIMIT = args.memory_limit
    if args.quick:
        args.sizes, args.repeat, args.spark_at = [1_000_000], 1, 0
    print(f"machine: {os.cpu_count()} cores; DuckDB memory limit {MEMORY_LIMIT}; medians of {args.repeat} runs")
    header = (f"{'rows':>12}  {'median?':7}  {'case':22} {'median s':>9} {'vs duckdb':>9} {'peak RSS':>9}"
              f" {'start-up':>8}  check")
    print(header)
    for rows in args.sizes:
        path = dataset(rows)
        for median in (True,) if args.no_plain else (False, True):
            cases = CASES + (["xlseg duckdb spill"] if args.spill and median else [])
            cases += SPARK if rows == args.spark_at else []
            runs: dict[str, list[dict[str, object]]] = {c: [] for c in cases}
            for round_ in range(args.repeat):
                order = cases[round_ % len(cases):] + cases[: round_ % len(cases)]
                for case in order:
                    if case in SPARK and round_ > 0:
                        continue  # Spark: one run for reference
                    runs[case].append(run_case(case, path, median))
            reference = runs["xlseg duckdb"][0].get("rows")
            timed = [r["seconds"] for r in runs["duckdb GROUPING SETS"] if "seconds" in r]
            base = statistics.median(timed) if timed else float("nan")  # the hand-written query may fail (memory)
            for case in cases:
                ok = [r for r in runs[case] if "seconds" in r]
                if not ok:
                    print(f"{rows:>12,}  {'yes' if median else 'no':7}  {case:22} failed: {runs[case][0]['error']}")
                    continue
                seconds = statistics.median(r["seconds"] for r in ok)
                peak = max(int(r["rss"]) for r in ok) / 1024**2
                startup = statistics.median(r["startup"] for r in ok)
                check = same_numbers(reference, ok[0]["rows"], median) if reference else "no reference"
                print(f"{rows:>12,}  {'yes' if median else 'no':7}  {case:22} {seconds:9.2f} {seconds / base:8.2f}x"
                      f" {peak:7.0f}MB {startup:7.2f}s  {check or 'same numbers'}", flush=True)


if __name__ == "__main__":
    main()
