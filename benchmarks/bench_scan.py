"""The segment scan at scale: a depth-2 scan of 8 dimensions on 1M rows (a few thousand candidates).

Cases, timed interleaved (see ``_timing.py``):

* **xlseg scan** — ``xlseg.scan(frame, "converted:rate", by=8 columns, depth=2)`` on a DataFrame with text
  columns (as a file read gives them): cleaning, segment codes, one pass over the combined codes for the
  sufficient statistics, then every candidate's test, BH adjustment and ranking.
* **pandas groupby per candidate set** — the straightforward way to get the same per-candidate counts and
  sums: one ``groupby`` per dimension and per pair (8 + 28), without any test.
* **duckdb GROUPING SETS** (when duckdb is installed) — the same counts and sums in one SQL query.

Numbers checked equal: every baseline's users and conversions per candidate must match the scan's
``users`` and ``users × converted rate`` (the warm-up results are compared; a case that differs is not ranked).

    python benchmarks/bench_scan.py             # 1,000,000 rows, 3 runs
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


def xlseg_scan(frame: pd.DataFrame) -> dict[tuple[str, str], tuple[int, float]]:
    result = xlseg.scan(frame, "converted:rate", by=DIMENSIONS, depth=2, min_size=1)
    counts = result["users"].to_numpy()
    sums = np.round(result["converted rate"].to_numpy() * counts)
    return {(d, s): (int(n), float(t)) for d, s, n, t in zip(result["dimension"], result["segment"], counts, sums,
                                                             strict=True)}


def _sets() -> list[tuple[str, ...]]:
    return [(d,) for d in DIMENSIONS] + list(combinations(DIMENSIONS, 2))


def pandas_groupbys(frame: pd.DataFrame) -> dict[tuple[str, str], tuple[int, float]]:
    out = {}
    for columns in _sets():
        grouped = frame.groupby(list(columns), observed=True)["converted"].agg(["size", "sum"])
        for key, (n, total) in zip(grouped.index, grouped.to_numpy(), strict=True):
            labels = key if isinstance(key, tuple) else (key,)
            out[(" × ".join(columns), " / ".join(labels))] = (int(n), float(total))
    return out


def duckdb_grouping_sets(frame: pd.DataFrame) -> dict[tuple[str, str], tuple[int, float]]:
    import duckdb

    sets = ", ".join("(" + ", ".join(s) + ")" for s in _sets())
    flags = ", ".join(f"grouping({d}) AS g_{d}" for d in DIMENSIONS)
    query = (f"SELECT {', '.join(DIMENSIONS)}, {flags}, count(*) AS n, sum(converted::INT) AS t "
             f"FROM frame GROUP BY GROUPING SETS ({sets})")
    result = duckdb.sql(query).df()
    out = {}
    for row in result.itertuples(index=False):
        used = [d for d in DIMENSIONS if getattr(row, f"g_{d}") == 0]
        out[(" × ".join(used), " / ".join(str(getattr(row, d)) for d in used))] = (int(row.n), float(row.t))
    return out


def main() -> None:
    args = bench_args(__doc__.splitlines()[0], rows=1_000_000, quick_rows=50_000)
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
    reference = next(r for r in results if r.case.name == "xlseg scan")
    for result in results:
        if result is not reference and not result.error and result.output != reference.output:
            result.error = "counts or sums differ from the scan's"
    candidates = len(reference.output) if reference.output else 0
    print_table(f"Depth-2 scan of 8 dimensions, {args.rows:,} rows, {candidates:,} candidates", results,
                reference="xlseg scan")


if __name__ == "__main__":
    main()
