"""Retention + lifecycle + RFM of an activity log (10M events of 1M users by default), xlseg against the usual tools.

Every case starts from the same Parquet file and computes, with as_of = the day after the last event:

- retention by monthly cohort (users active in month cohort+N, counts), the "on" mode;
- lifecycle per month: new, returning, resurrecting, dormant (negative), active;
- RFM per user: recency_days, frequency, monetary, and the R/F/M scores (1 + cut points strictly below the value,
  cut points = PERCENTILE.INC at 20/40/60/80 %).

Cases: xlseg (``read_events`` → facts → the three tables), xlseg on DuckDB (the events stay in DuckDB, which
reduces them to the facts through Ibis: ``xlseg.behavior.pushdown``; the same step 2), (a) the straightforward
pandas code an analyst writes (groupby / merge / drop_duplicates), (b) hand-written DuckDB SQL on the Parquet
file, (c) polars (lazy scan of the Parquet file). Each case's warm-up result is checked equal to the first
case's (every retention cell, every lifecycle count, every user's R/F/M) before its times count.

    python benchmarks/bench_behavior.py                   # 10,000,000 events, 1,000,000 users, 3 runs
    python benchmarks/bench_behavior.py --quick           # smoke test
    python benchmarks/bench_behavior.py --no-memory       # skip the memory peaks
    python benchmarks/bench_behavior.py --only "xlseg,xlseg on DuckDB,duckdb SQL" --memory-limit 1GB
                                                          # some cases; DuckDB's memory limit for both DuckDB cases
    python benchmarks/bench_behavior.py --stages          # xlseg alone: where its time goes, step by step

pandas and numpy run on one core (xlseg reads with pyarrow's threads); DuckDB and polars use every core.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _timing import Case, bench_args, measure_memory, print_table, run_interleaved  # noqa: E402

DATA_DIR = Path(__file__).resolve().parent / "data"
PERCENTS = (0.2, 0.4, 0.6, 0.8)


def events_file(rows: int, users: int, seed: int = 42) -> Path:
    """A seeded activity log (user_id int64, time to the second over two years, amount with 5% missing),
    cached as Parquet under benchmarks/data/. Users' activity is Pareto-skewed (a few very active users)."""
    path = DATA_DIR / f"events_{rows}_{users}.parquet"
    if path.exists():
        return path
    rng = np.random.default_rng(seed)
    weights = rng.pareto(1.5, users) + 1
    user = np.minimum(np.searchsorted(np.cumsum(weights / weights.sum()), rng.random(rows)), users - 1)
    time = np.datetime64("2023-01-01", "s") + (rng.random(rows) * 730 * 86_400).astype("timedelta64[s]")
    amount = np.round(rng.lognormal(3, 1, rows), 2)
    amount[rng.random(rows) < 0.05] = np.nan
    frame = pd.DataFrame({"user_id": user.astype(np.int64) + 1, "time": time.astype("datetime64[us]"),
                          "amount": amount})
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    frame.to_parquet(path)
    return path


# ----------------------------------------------------------------------------- the common result form


def month_label(code: int) -> str:
    return f"{code // 12}-{code % 12 + 1:02d}"


def common(retention: dict, lifecycle: pd.DataFrame, rfm: pd.DataFrame) -> dict:
    """{(cohort label, offset): users}, lifecycle rows by period label, R/F/M per user id (sorted)."""
    counts = ["new", "returning", "resurrecting", "dormant", "active"]
    life = lifecycle[["period", *counts]].astype({"period": str, **dict.fromkeys(counts, np.int64)})
    life = life.sort_values("period").reset_index(drop=True)
    scores = rfm[["user_id", "R", "F", "M"]].astype(np.int64).assign(monetary=rfm["monetary"].to_numpy(float))
    scores = scores.sort_values("user_id").reset_index(drop=True)
    return {"retention": {k: int(v) for k, v in retention.items() if v}, "lifecycle": life, "rfm": scores}


def same(a: dict, b: dict) -> str:
    """"" when equal, else what differs."""
    if a["retention"] != b["retention"]:
        diff = set(a["retention"].items()) ^ set(b["retention"].items())
        return f"retention differs at {sorted(diff)[:3]}"
    if not a["lifecycle"].equals(b["lifecycle"]):
        return "lifecycle differs"
    x, y = a["rfm"], b["rfm"]
    if not (x[["user_id", "R", "F"]].equals(y[["user_id", "R", "F"]])
            and np.allclose(x["monetary"], y["monetary"], rtol=1e-9, atol=1e-9)):
        return "rfm differs"
    # monetary sums added in another order may differ in the last bit; where such a sum equals a cut point
    # (ties are common) "strictly below" can flip. Any other M difference is an error.
    cuts = np.percentile(x["monetary"], [20, 40, 60, 80])
    flipped = (x["M"] != y["M"]).to_numpy()
    near_cut = np.isclose(x["monetary"].to_numpy()[:, None], cuts[None, :], rtol=1e-9, atol=1e-9).any(axis=1)
    if (flipped & ~near_cut).any():
        return f"M differs for {int((flipped & ~near_cut).sum())} users away from the cut points"
    TIES[id(b)] = int(flipped.sum())
    return ""


#: Users whose M score differs only by a last-bit difference at a cut point, per compared result.
TIES: dict[int, int] = {}


# ----------------------------------------------------------------------------- xlseg


def run_xlseg(path: Path) -> dict:
    from xlseg.behavior.events import read_events

    return xlseg_tables(read_events(path, "user_id", "time", "amount"))


def run_xlseg_duckdb(path: Path, memory_limit: str | None = None) -> dict:
    """xlseg with the events left in DuckDB: the facts are reduced there (xlseg.behavior.pushdown), step 2 as
    in memory."""
    from xlseg.behavior.pushdown import open_events

    return xlseg_tables(open_events(str(path), "user_id", "time", "amount", engine="duckdb",
                                    memory_limit=memory_limit))


def xlseg_tables(ev: object) -> dict:
    """Step 2 of xlseg on events already opened: the three tables in the common form."""
    from xlseg.behavior.lifecycle import lifecycle_of
    from xlseg.behavior.retention import retention_of
    from xlseg.behavior.rfm import rfm_of

    retention = retention_of(ev, counts=True)
    lifecycle = lifecycle_of(ev)
    rfm = rfm_of(ev)
    cells = {}
    body = retention[retention["cohort"] != "All"]
    offsets = [c for c in retention.columns if c.startswith("Month ")]
    values = body[offsets].to_numpy(dtype=float, na_value=np.nan)
    for i, cohort in enumerate(body["cohort"]):
        for j, name in enumerate(offsets):
            if values[i, j] == values[i, j]:
                cells[(cohort, int(name.split()[1]))] = values[i, j]
    rfm = rfm.assign(user_id=rfm["user_id"].astype(np.int64))
    return common(cells, lifecycle, rfm)


# ----------------------------------------------------------------------------- (a) pandas, as an analyst writes it


def run_pandas(path: Path) -> dict:
    df = pd.read_parquet(path)
    df["month"] = df["time"].dt.year * 12 + df["time"].dt.month - 1
    as_of = df["time"].dt.normalize().max() + pd.Timedelta(days=1)
    last = int(df["month"].max())
    pairs = df[["user_id", "month"]].drop_duplicates()
    first = pairs.groupby("user_id")["month"].min().rename("cohort")
    pairs = pairs.merge(first, on="user_id")
    pairs["offset"] = pairs["month"] - pairs["cohort"]
    counts = pairs.groupby(["cohort", "offset"])["user_id"].nunique()
    retention = {(month_label(c), int(o)): v for (c, o), v in counts.items()}
    # lifecycle
    prev = pairs[["user_id", "month"]].assign(month=pairs["month"] + 1, was_active=True)
    nxt = pairs[["user_id", "month"]].assign(month=pairs["month"] - 1, stays=True)
    flags = pairs.merge(prev, on=["user_id", "month"], how="left").merge(nxt, on=["user_id", "month"], how="left")
    flags["is_new"] = flags["month"] == flags["cohort"]
    flags["was_active"] = flags["was_active"].fillna(False).astype(bool)
    flags["stays"] = flags["stays"].fillna(False).astype(bool)
    months = range(int(pairs["month"].min()), last + 1)
    per = flags.groupby("month").agg(active=("user_id", "size"), new=("is_new", "sum"), returning=("was_active", "sum"))
    per = per.reindex(months, fill_value=0)
    lost = flags[~flags["stays"]].groupby(flags["month"] + 1).size().reindex(months, fill_value=0)
    lifecycle = pd.DataFrame({"period": [month_label(m) for m in months], "new": per["new"].to_numpy(),
                              "returning": per["returning"].to_numpy(),
                              "resurrecting": (per["active"] - per["new"] - per["returning"]).to_numpy(),
                              "dormant": -lost.to_numpy(), "active": per["active"].to_numpy()})
    # RFM
    g = df.groupby("user_id")
    rfm = pd.DataFrame({"recency_days": (as_of - g["time"].max().dt.normalize()).dt.days,
                        "frequency": g.size(), "monetary": g["amount"].sum()})

    def score(column: pd.Series) -> np.ndarray:
        cuts = column.quantile(list(PERCENTS)).to_numpy()
        return 1 + (column.to_numpy()[:, None] > cuts[None, :]).sum(axis=1)

    rfm["R"] = 6 - score(rfm["recency_days"])
    rfm["F"] = score(rfm["frequency"])
    rfm["M"] = score(rfm["monetary"])
    return common(retention, lifecycle, rfm.reset_index())


# ----------------------------------------------------------------------------- (b) DuckDB SQL


DUCKDB_SQL = {
    "pairs": """
        CREATE OR REPLACE TEMP TABLE pairs AS
        SELECT DISTINCT user_id, year(time) * 12 + month(time) - 1 AS m FROM read_parquet('{path}')""",
    "retention": """
        WITH c AS (SELECT user_id, min(m) AS cohort FROM pairs GROUP BY user_id)
        SELECT cohort, m - cohort AS off, count(*) AS users FROM pairs JOIN c USING (user_id) GROUP BY ALL""",
    "lifecycle": """
        WITH f AS (SELECT user_id, min(m) AS first FROM pairs GROUP BY user_id),
        s AS (SELECT p.user_id, p.m, p.m = f.first AS is_new,
                     lag(p.m) OVER w = p.m - 1 AS was_active, lead(p.m) OVER w = p.m + 1 AS stays
              FROM pairs p JOIN f USING (user_id) WINDOW w AS (PARTITION BY p.user_id ORDER BY p.m)),
        months AS (SELECT range AS m FROM range((SELECT min(m) FROM pairs), (SELECT max(m) FROM pairs) + 1)),
        a AS (SELECT m, count(*) AS active, count(*) FILTER (is_new) AS new,
                     count(*) FILTER (coalesce(was_active, false)) AS "returning" FROM s GROUP BY m),
        d AS (SELECT m + 1 AS m, count(*) AS lost FROM s WHERE NOT coalesce(stays, false) GROUP BY m)
        SELECT months.m, coalesce(new, 0) AS new, coalesce("returning", 0) AS "returning",
               coalesce(active, 0) - coalesce(new, 0) - coalesce("returning", 0) AS resurrecting,
               -coalesce(lost, 0) AS dormant, coalesce(active, 0) AS active
        FROM months LEFT JOIN a USING (m) LEFT JOIN d USING (m) ORDER BY months.m""",
    "rfm": """
        WITH e AS (SELECT * FROM read_parquet('{path}')),
        stop AS (SELECT max(time::DATE) + 1 AS d FROM e),
        u AS (SELECT user_id, (SELECT d FROM stop) - max(time::DATE) AS recency_days, count(*) AS frequency,
                     coalesce(sum(amount), 0) AS monetary FROM e GROUP BY user_id),
        q AS (SELECT quantile_cont(recency_days, [0.2, 0.4, 0.6, 0.8]) AS r,
                     quantile_cont(frequency, [0.2, 0.4, 0.6, 0.8]) AS f,
                     quantile_cont(monetary, [0.2, 0.4, 0.6, 0.8]) AS mo FROM u)
        SELECT user_id, monetary,
               6 - (1 + (r[1] < recency_days)::INT + (r[2] < recency_days)::INT + (r[3] < recency_days)::INT
                      + (r[4] < recency_days)::INT) AS "R",
               1 + (f[1] < frequency)::INT + (f[2] < frequency)::INT + (f[3] < frequency)::INT
                 + (f[4] < frequency)::INT AS "F",
               1 + (mo[1] < monetary)::INT + (mo[2] < monetary)::INT + (mo[3] < monetary)::INT
                 + (mo[4] < monetary)::INT AS "M"
        FROM u, q""",
}


def run_duckdb(path: Path, memory_limit: str | None = None) -> dict:
    import duckdb

    con = duckdb.connect(config={"memory_limit": memory_limit} if memory_limit else {})
    try:
        con.execute(DUCKDB_SQL["pairs"].format(path=path))
        cells = con.execute(DUCKDB_SQL["retention"]).fetchall()
        lifecycle = con.execute(DUCKDB_SQL["lifecycle"]).df()
        rfm = con.execute(DUCKDB_SQL["rfm"].format(path=path)).df()
    finally:
        con.close()
    retention = {(month_label(c), int(o)): v for c, o, v in cells}
    lifecycle["period"] = [month_label(int(m)) for m in lifecycle["m"]]
    return common(retention, lifecycle, rfm)


# ----------------------------------------------------------------------------- (c) polars


def run_polars(path: Path) -> dict:
    import polars as pl

    events = pl.scan_parquet(path)
    pairs = (events.select(pl.col("user_id"), (pl.col("time").dt.year() * 12 + pl.col("time").dt.month() - 1)
                           .cast(pl.Int64).alias("m")).unique().collect())
    first = pairs.group_by("user_id").agg(pl.col("m").min().alias("cohort"))
    joined = pairs.join(first, on="user_id")
    cells = joined.group_by(["cohort", (pl.col("m") - pl.col("cohort")).alias("off")]).len()
    retention = {(month_label(c), int(o)): v for c, o, v in cells.iter_rows()}
    states = (joined.sort(["user_id", "m"]).with_columns(
        is_new=pl.col("m") == pl.col("cohort"),
        was_active=(pl.col("m").shift(1).over("user_id") == pl.col("m") - 1).fill_null(False),
        stays=(pl.col("m").shift(-1).over("user_id") == pl.col("m") + 1).fill_null(False)))
    per = states.group_by("m").agg(active=pl.len(), new=pl.col("is_new").sum(), returning=pl.col("was_active").sum())
    lost = states.filter(~pl.col("stays")).group_by((pl.col("m") + 1).alias("m")).agg(lost=pl.len())
    months = pl.DataFrame({"m": pl.int_range(pairs["m"].min(), pairs["m"].max() + 1, eager=True).cast(pl.Int64)})
    table = (months.join(per, on="m", how="left").join(lost, on="m", how="left").fill_null(0).sort("m")
             .with_columns(pl.exclude("m").cast(pl.Int64)))  # counts are UInt32: negate them as Int64
    lifecycle = pd.DataFrame({
        "period": [month_label(int(m)) for m in table["m"]], "new": table["new"].to_numpy(),
        "returning": table["returning"].to_numpy(),
        "resurrecting": (table["active"] - table["new"] - table["returning"]).to_numpy(),
        "dormant": -table["lost"].to_numpy(), "active": table["active"].to_numpy()})
    users = (events.with_columns(day=pl.col("time").dt.date())
             .group_by("user_id").agg(last=pl.col("day").max(), frequency=pl.len(),
                                      monetary=pl.col("amount").sum()).collect())
    last_day = users["last"].max()  # as_of is the day after it
    users = users.with_columns(recency_days=(pl.lit(last_day) - pl.col("last")).dt.total_days() + 1)

    def score(name: str) -> pl.Expr:
        cuts = [users[name].quantile(p, interpolation="linear") for p in PERCENTS]
        return 1 + pl.sum_horizontal([(pl.col(name) > c).cast(pl.Int64) for c in cuts])

    rfm = users.select(pl.col("user_id"), pl.col("monetary"), (6 - score("recency_days")).alias("R"),
                       score("frequency").alias("F"), score("monetary").alias("M")).to_pandas()
    return common(retention, lifecycle, rfm)


# ----------------------------------------------------------------------------- xlseg, step by step


def print_stages(path: Path, repeat: int) -> None:
    """Median time of each step of the xlseg case (after one warm-up run), as a Markdown table."""
    import time

    from xlseg.behavior.events import read_events
    from xlseg.behavior.facts import active_periods, user_facts
    from xlseg.behavior.lifecycle import lifecycle_of
    from xlseg.behavior.retention import retention_of
    from xlseg.behavior.rfm import rfm_of

    steps = [("read_events (Parquet → integer codes, day numbers, values)",
              lambda ev: read_events(path, "user_id", "time", "amount")),
             ("facts: distinct (user, month) pairs", lambda ev: active_periods(ev, "month")),
             ("facts: per-user first/last day, rows, value sum", user_facts),
             ("retention table (counts)", lambda ev: retention_of(ev, counts=True)),
             ("lifecycle table", lifecycle_of), ("RFM table", rfm_of)]
    times: dict[str, list[float]] = {name: [] for name, _ in steps}
    for run in range(repeat + 1):
        ev = None
        for name, step in steps:
            start = time.perf_counter()
            out = step(ev)
            if run:
                times[name].append(time.perf_counter() - start)
            ev = out if ev is None else ev
    print(f"\n### xlseg step by step, median of {repeat} runs\n\n| step | median |\n|---|---:|")
    for name, values in times.items():
        print(f"| {name} | {np.median(values):.3f} s |")
    print(f"| total | {sum(np.median(v) for v in times.values()):.3f} s |")


# ----------------------------------------------------------------------------- main


def main() -> None:
    args = bench_args(__doc__.splitlines()[0], rows=10_000_000, quick_rows=200_000, repeat=3,
                      extra=lambda p: (p.add_argument("--users", type=int, default=None),
                                       p.add_argument("--no-memory", action="store_true"),
                                       p.add_argument("--only", metavar="CASES", help="comma-separated case names"),
                                       p.add_argument("--memory-limit", metavar="SIZE",
                                                      help="DuckDB's memory limit for the DuckDB cases, e.g. 1GB"),
                                       p.add_argument("--stages", action="store_true")))
    users = args.users or max(args.rows // 10, 1)
    path = events_file(args.rows, users)
    if args.stages:
        print_stages(path, args.repeat)
        return
    size = pd.read_parquet(path).memory_usage(index=False, deep=True).sum()
    print(f"{args.rows:,} events of {users:,} users from {path.name}; columns used: {size / 1e6:,.0f} MB in memory",
          file=sys.stderr)
    limit = args.memory_limit
    cases = [Case("xlseg", lambda: run_xlseg(path), "read_events → facts → 3 tables (numpy)"),
             Case("pandas (analyst)", lambda: run_pandas(path), "groupby / merge / drop_duplicates")]
    for name, fn, module, note in [
        ("xlseg on DuckDB", lambda p: run_xlseg_duckdb(p, limit), "ibis",
         "facts reduced in DuckDB via Ibis, same step 2"),
        ("duckdb SQL", lambda p: run_duckdb(p, limit), "duckdb", "hand-written SQL on the Parquet file"),
        ("polars", run_polars, "polars", "lazy scan, group_by / join / over"),
    ]:
        try:
            __import__(module)
        except ImportError:
            print(f"  {name}: skipped ({module} not installed: pip install -e '.[bench]')", file=sys.stderr)
            continue
        cases.append(Case(name, lambda fn=fn: fn(path), note))
    if args.only:
        wanted = [name.strip() for name in args.only.split(",")]
        cases = [c for c in cases if c.name in wanted]  # the first kept case is the reference of the number check
    if limit:
        print(f"DuckDB memory limit: {limit}", file=sys.stderr)
    results = run_interleaved(cases, args.repeat, warmup=not args.quick)
    reference = results[0].output
    for res in results[1:]:
        if not res.error and reference is not None:
            res.error = same(reference, res.output) and f"wrong numbers: {same(reference, res.output)}"
    memory: dict[str, str] = {}
    if not args.no_memory:
        for res in results:
            if not res.error:
                _, rss = measure_memory(res.case.fn)
                memory[res.case.name] = "–" if rss is None else f"{rss / size:.2f}× ({rss / 1e6:,.0f} MB)"
    ties = {r.case.name: str(TIES.get(id(r.output), "")) for r in results[1:] if not r.error}
    extra = {"M ties flipped": ties}
    if memory:
        extra["peak RSS over the columns' size"] = memory
    print_table(f"Retention + lifecycle + RFM, {args.rows:,} events of {users:,} users (Parquet)", results,
                extra=extra)
    print("M ties flipped: users whose monetary sum equals a cut point up to the last bit (sums added in another "
          "order), so 'strictly below' can go either way; every other cell, count and score is equal.")


if __name__ == "__main__":
    main()
