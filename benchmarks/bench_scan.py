"""The segment scan at scale: a depth-2 scan of 8 dimensions on 1M rows (a few thousand candidates).

Cases, timed interleaved (see ``_timing.py``):

* **xlseg scan** — ``xlseg.scan(frame, "converted:rate", by=8 columns, depth=2)`` on a DataFrame with text
  columns (as a file read gives them): cleaning, segment codes, one pass over the combined codes for the
  sufficient statistics, then every candidate's test, BH adjustment and ranking.
* **pandas groupby per candidate set** — the straightforward way to get the same per-candidate counts and
  sums: one ``groupby`` per dimension and per pair (8 + 28), without any test.
* **duckdb GROUPING SETS** (when duckdb is installed) — the same counts and sums in one SQL query.

Second table — the same scan on a Parquet file aggregated by DuckDB (``--source-rows``, default 10M rows;
the file is generated chunk by chunk under ``benchmarks/data/scan/``, git-ignored, and never read into pandas):

* **xlseg scan, DuckDB source** — ``xlseg.scan(path, …, engine="duckdb")``: DuckDB groups the rows by all 8
  keys with count and sum per group (:mod:`xlseg.insight.pushdown`), xlseg rolls those groups up into every
  candidate and scores them;
* **duckdb GROUPING SETS on Parquet** — the hand-written query above on ``read_parquet(path)``: counts and
  sums of the 36 candidate sets only, no test.

Numbers checked equal: every baseline's users and conversions per candidate must match the scan's
``users`` and ``users × converted rate`` (the warm-up results are compared; a case that differs is not ranked).

    python benchmarks/bench_scan.py                     # 1,000,000 rows in memory, 10,000,000 from Parquet, 3 runs
    python benchmarks/bench_scan.py --source-rows 0     # the in-memory table only
    python benchmarks/bench_scan.py --quick
"""

from __future__ import annotations

import sys
from itertools import combinations
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _timing import Case, bench_args, print_table, run_interleaved  # noqa: E402

import xlseg  # noqa: E402

LEVELS = {"country": 20, "channel": 15, "campaign": 12, "language": 10, "browser": 8, "os": 6, "device": 4,
          "plan": 3}
DIMENSIONS = list(LEVELS)


def make_table(rows: int, seed: int = 42) -> pd.DataFrame:
    """8 text dimensions (20, 15, 12, 10, 8, 6, 4, 3 values; skewed) and a converted flag with two effects."""
    rng = np.random.default_rng(seed)
    columns = {}
    for name, count in LEVELS.items():
        weights = 1 / np.arange(1, count + 1) ** 0.8
        codes = rng.choice(count, rows, p=weights / weights.sum())
        columns[name] = pd.Series(np.array([f"{name}_{i:02d}" for i in range(count)], dtype=object)[codes],
                                  dtype="str")
    frame = pd.DataFrame(columns)
    interaction = (frame["os"] == "os_01") & (frame["device"] == "device_03")
    rate = 0.05 + 0.03 * (frame["plan"] == "plan_02") + 0.04 * interaction
    frame["converted"] = rng.random(rows) < rate
    return frame


def xlseg_scan(data: object, dims: list[str] = DIMENSIONS, **options: object
               ) -> dict[tuple[str, str], tuple[int, float]]:
    result = xlseg.scan(data, "converted:rate", by=dims, depth=2, min_size=1, **options)
    counts = result["users"].to_numpy()
    sums = np.round(result["converted rate"].to_numpy() * counts)
    return {(d, s): (int(n), float(t)) for d, s, n, t in zip(result["dimension"], result["segment"], counts, sums,
                                                             strict=True)}


def _sets(dims: list[str] = DIMENSIONS) -> list[tuple[str, ...]]:
    return [(d,) for d in dims] + list(combinations(dims, 2))


def pandas_groupbys(frame: pd.DataFrame) -> dict[tuple[str, str], tuple[int, float]]:
    out = {}
    for columns in _sets():
        grouped = frame.groupby(list(columns), observed=True)["converted"].agg(["size", "sum"])
        for key, (n, total) in zip(grouped.index, grouped.to_numpy(), strict=True):
            labels = key if isinstance(key, tuple) else (key,)
            out[(" × ".join(columns), " / ".join(labels))] = (int(n), float(total))
    return out


def duckdb_grouping_sets(frame: pd.DataFrame | None, path: Path | None = None, dims: list[str] = DIMENSIONS
                         ) -> dict[tuple[str, str], tuple[int, float]]:
    import duckdb

    sets = ", ".join("(" + ", ".join(s) + ")" for s in _sets(dims))
    flags = ", ".join(f"grouping({d}) AS g_{d}" for d in dims)
    source = "frame" if path is None else f"read_parquet('{path}')"
    query = (f"SELECT {', '.join(dims)}, {flags}, count(*) AS n, sum(converted::INT) AS t "
             f"FROM {source} GROUP BY GROUPING SETS ({sets})")
    result = (duckdb.sql(query) if path is None else duckdb.connect().sql(query)).df()
    out = {}
    for row in result.itertuples(index=False):
        used = [d for d in dims if getattr(row, f"g_{d}") == 0]
        out[(" × ".join(used), " / ".join(str(getattr(row, d)) for d in used))] = (int(row.n), float(row.t))
    return out


def parquet_table(rows: int, chunk: int = 1_000_000) -> Path:
    """A Parquet file of ``rows`` rows of :func:`make_table` (written chunk by chunk, seeds fixed; kept)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = Path(__file__).resolve().parent / "data" / "scan" / f"scan_{rows}.parquet"
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    writer = None
    for i, start in enumerate(range(0, rows, chunk)):
        table = pa.Table.from_pandas(make_table(min(chunk, rows - start), seed=42 + i), preserve_index=False)
        writer = writer or pq.ParquetWriter(partial, table.schema)
        writer.write_table(table)
    assert writer is not None
    writer.close()
    partial.rename(path)
    return path


def _check(results: list, reference_name: str) -> None:
    reference = next(r for r in results if r.case.name == reference_name)
    for result in results:
        if result is not reference and not result.error and result.output != reference.output:
            result.error = "counts or sums differ from the scan's"


SOURCE_SCANS = {"8 dimensions": DIMENSIONS, "4 dimensions": ["country", "channel", "device", "plan"]}


def source_table(rows: int, repeat: int, warmup: bool) -> None:
    """The scan of a Parquet file on DuckDB against the hand-written GROUPING SETS query on the same file: all 8
    dimensions (their combinations occupy about half as many cells as there are rows: the engine returns
    millions of groups) and 4 of them (3,600 combinations)."""
    path = parquet_table(rows)
    cases = []
    for label, dims in SOURCE_SCANS.items():
        cases += [Case(f"xlseg scan, DuckDB source, {label}",
                       lambda dims=dims: xlseg_scan(str(path), dims, engine="duckdb"),
                       f"{len(dims)}-key GROUP BY in DuckDB; roll-ups and all tests in xlseg"),
                  Case(f"duckdb GROUPING SETS on Parquet, {label}",
                       lambda dims=dims: duckdb_grouping_sets(None, path, dims), "one query, counts and sums only")]
    results = run_interleaved(cases, repeat, warmup=warmup)
    for i, label in enumerate(SOURCE_SCANS):
        pair = results[2 * i : 2 * i + 2]
        _check(pair, pair[0].case.name)
        candidates = len(pair[0].output) if pair[0].output else 0
        print_table(f"Depth-2 scan of {label} from Parquet on DuckDB, {rows:,} rows, {candidates:,} candidates",
                    pair, reference=pair[1].case.name)


def main() -> None:
    def extra(parser: object) -> None:
        parser.add_argument("--source-rows", type=int, default=None,  # type: ignore[attr-defined]
                            help="rows of the Parquet file scanned on DuckDB (default 10,000,000; 0: skip)")

    args = bench_args(__doc__.splitlines()[0], rows=1_000_000, quick_rows=50_000, extra=extra)
    source_rows = args.source_rows if args.source_rows is not None else (200_000 if args.quick else 10_000_000)
    frame = make_table(args.rows)
    cases = [Case("xlseg scan", lambda: xlseg_scan(frame), "all tests, BH, ranking included"),
             Case("pandas groupby per set", lambda: pandas_groupbys(frame), "36 groupbys, counts and sums only")]
    try:
        import duckdb  # noqa: F401

        cases.append(Case("duckdb GROUPING SETS", lambda: duckdb_grouping_sets(frame),
                          "one query, counts and sums only; all cores"))
    except ImportError:
        print("duckdb not installed: its case is skipped")
    results = run_interleaved(cases, args.repeat, warmup=not args.quick)
    _check(results, "xlseg scan")
    reference = results[0]
    candidates = len(reference.output) if reference.output else 0
    print_table(f"Depth-2 scan of 8 dimensions, {args.rows:,} rows, {candidates:,} candidates", results,
                reference="xlseg scan")
    if source_rows:
        source_table(source_rows, args.repeat, warmup=not args.quick)


if __name__ == "__main__":
    main()
