"""Question 1: how fast is a breakdown with totals for every grouping level, against the usual tools?

by = [geography, device] on the demo user table, with a row per (geography, device), a subtotal row per
geography and a grand total: users, share, mean session_length, conversion rate, revenue sum; then the
same plus median and p90 of session_length. Every case's numbers are checked against a plain numpy
computation before its time counts, so a fast wrong baseline cannot win.

    python benchmarks/bench_engine.py                   # 2,000,000 rows, 3 runs
    python benchmarks/bench_engine.py --rows 10000000
    python benchmarks/bench_engine.py --quick           # smoke test
    python benchmarks/bench_engine.py --baselines-only  # skip xlseg

Rules of the game: keys arrive as pandas' default ``str`` columns (what reading a file gives); the
"category keys" and polars/duckdb cases get their data converted *before* the timing (a head start the
xlseg case does not get). pandas and numpy run on one core; polars and duckdb use every core.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

import data  # noqa: E402
from _timing import Case, Result, bench_args, measure_memory, print_table, run_interleaved  # noqa: E402

KEYS = ["geography", "device"]
VALUES = ["session_length", "converted", "revenue"]
TOTAL = "Total"
METRICS: dict[str, object] = {"session_length": "mean", "converted": "rate", "revenue": "sum"}
METRICS_MEDIAN: dict[str, object] = {
    "session_length": ["mean", "median", "p90"],
    "converted": "rate",
    "revenue": "sum",
}
COLUMNS = ["users", "share", "session_length mean", "converted rate", "revenue sum"]
COLUMNS_MEDIAN = COLUMNS[:3] + ["session_length median", "session_length p90"] + COLUMNS[3:]


# ----------------------------------------------------------------------------- reference and checks


def reference(df: pd.DataFrame) -> pd.DataFrame:
    """The expected numbers, by plain numpy on boolean masks, one group at a time (slow, obvious)."""
    g_codes, g_labels = pd.factorize(df["geography"])
    d_codes, d_labels = pd.factorize(df["device"])
    length = df["session_length"].to_numpy(np.float64)
    conv = df["converted"].to_numpy(bool)
    revenue = df["revenue"].to_numpy(np.float64)
    groups: list[tuple[str, str, np.ndarray]] = [(TOTAL, TOTAL, np.ones(len(df), dtype=bool))]
    for gi, geo in enumerate(g_labels):
        in_geo = g_codes == gi
        groups.append((geo, TOTAL, in_geo))
        for di, dev in enumerate(d_labels):
            cell = in_geo & (d_codes == di)
            if cell.any():
                groups.append((geo, dev, cell))
    rows = []
    for geo, dev, mask in groups:
        x = length[mask]
        rows.append(
            {
                "geography": geo,
                "device": dev,
                "users": float(mask.sum()),
                "share": mask.sum() / len(df),
                "session_length mean": x.mean(),
                "session_length median": np.median(x),
                "session_length p90": np.percentile(x, 90),
                "converted rate": conv[mask].mean(),
                "revenue sum": revenue[mask].sum(),
            }
        )
    return pd.DataFrame(rows).set_index(KEYS)


def check(out: object, ref: pd.DataFrame, columns: list[str]) -> str:
    """Return "" when ``out`` (canonical frame) has the reference numbers for every reference row."""
    if not isinstance(out, pd.DataFrame):
        return f"returned {type(out).__name__}, not a DataFrame"
    missing_cols = [c for c in columns if c not in out.columns]
    if missing_cols:
        return f"missing columns {missing_cols}"
    got = out.reindex(ref.index)
    absent = got.index[got["users"].isna()].tolist()
    if absent:
        return f"missing rows {absent[:3]}"
    for col in columns:
        a = got[col].to_numpy(np.float64)
        b = ref[col].to_numpy(np.float64)
        bad = ~np.isclose(a, b, rtol=1e-9, atol=1e-12)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            return f"wrong '{col}' at {ref.index[i]}: {float(a[i])!r} != {float(b[i])!r} ({int(bad.sum())} rows)"
    return ""


# ----------------------------------------------------------------------------- shared finishing


def rollup_cells(cells: pd.DataFrame, total_users: int) -> pd.DataFrame:
    """From per-(geography, device) additive parts to the canonical frame with subtotals and total.

    ``cells`` has columns geography, device, users, s_len, s_conv, s_rev. Only sums and counts are
    rolled up (never means), so subtotals are exact.
    """
    parts = ["users", "s_len", "s_conv", "s_rev"]
    cells = cells[KEYS + parts]
    geo = cells.groupby("geography", sort=False, observed=True)[parts].sum().reset_index()
    geo["device"] = TOTAL
    grand = cells[parts].sum().to_frame().T
    grand["geography"] = TOTAL
    grand["device"] = TOTAL
    out = pd.concat([cells, geo, grand], ignore_index=True)
    out["geography"] = out["geography"].astype(str)
    out["device"] = out["device"].astype(str)
    users = out["users"].astype(np.float64)
    result = pd.DataFrame(
        {
            "geography": out["geography"],
            "device": out["device"],
            "users": users,
            "share": users / total_users,
            "session_length mean": out["s_len"] / users,
            "converted rate": out["s_conv"] / users,
            "revenue sum": out["s_rev"].astype(np.float64),
        }
    )
    return result.set_index(KEYS)


def label_totals(frame: pd.DataFrame) -> pd.DataFrame:
    """Turn missing key labels (a grouping-set level) into "Total" and index by the keys."""
    for key in KEYS:
        frame[key] = frame[key].astype(object).where(frame[key].notna(), TOTAL).astype(str)
    return frame.set_index(KEYS)


# ----------------------------------------------------------------------------- baselines without medians


def numpy_floor(df: pd.DataFrame) -> pd.DataFrame:
    """The floor: ``pd.factorize`` both keys (inside the timing), one ``bincount`` pass per metric.

    Single-threaded (numpy's factorize and bincount use one core), while xlseg runs its per-column jobs in
    threads from 100,000 rows (``xlseg.parallel``): "the floor" is the one-core floor, and the output says so.
    """
    g_codes, g_labels = pd.factorize(df["geography"])
    d_codes, d_labels = pd.factorize(df["device"])
    return _bincount_cells(df, g_codes, g_labels, d_codes, d_labels)


def bincount_on_codes(df: pd.DataFrame) -> pd.DataFrame:
    """bincount on precomputed integer codes (category keys): the aggregation alone, no hashing."""
    g, d = df["geography"].cat, df["device"].cat
    return _bincount_cells(df, g.codes.to_numpy(), g.categories, d.codes.to_numpy(), d.categories)


def _bincount_cells(df: pd.DataFrame, g_codes: np.ndarray, g_labels: pd.Index | np.ndarray, d_codes: np.ndarray,
                    d_labels: pd.Index | np.ndarray) -> pd.DataFrame:
    """One ``bincount`` per metric over geography × device codes, rolled up to every level."""
    n_dev = len(d_labels)
    size = len(g_labels) * n_dev
    key = g_codes.astype(np.intp) * n_dev + d_codes
    count = np.bincount(key, minlength=size)
    s_len = np.bincount(key, weights=df["session_length"].to_numpy(np.float64), minlength=size)
    s_conv = np.bincount(key, weights=df["converted"].to_numpy(np.float64), minlength=size)
    s_rev = np.bincount(key, weights=df["revenue"].to_numpy(np.float64), minlength=size)
    present = np.flatnonzero(count)
    cells = pd.DataFrame(
        {
            "geography": np.asarray(g_labels, dtype=object)[present // n_dev],
            "device": np.asarray(d_labels, dtype=object)[present % n_dev],
            "users": count[present],
            "s_len": s_len[present],
            "s_conv": s_conv[present],
            "s_rev": s_rev[present],
        }
    )
    return rollup_cells(cells, len(df))


def factorize_only(df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Just the ``pd.factorize`` of both key columns: the part of the floor that is hashing."""
    return pd.factorize(df["geography"])[0], pd.factorize(df["device"])[0]


def pandas_groupby(df: pd.DataFrame) -> pd.DataFrame:
    """One pandas groupby on both keys for sums and counts, rolled up to subtotals (no rescan)."""
    cells = (
        df.groupby(KEYS, observed=True, sort=False)
        .agg(
            users=("session_length", "size"),
            s_len=("session_length", "sum"),
            s_conv=("converted", "sum"),
            s_rev=("revenue", "sum"),
        )
        .reset_index()
    )
    return rollup_cells(cells, len(df))


def pandas_pivot_table(df: pd.DataFrame) -> pd.DataFrame:
    """What a user writes: ``pd.pivot_table(..., margins=True)`` with geography rows, device columns."""
    table = pd.pivot_table(
        df,
        index="geography",
        columns="device",
        values=["user_id", "session_length", "converted", "revenue"],
        aggfunc={"user_id": "count", "session_length": "mean", "converted": "mean", "revenue": "sum"},
        margins=True,
        margins_name=TOTAL,
        observed=True,
    )
    long = table.stack("device").reset_index()
    long = long[long["user_id"].notna() & (long["user_id"] > 0)]
    users = long["user_id"].astype(np.float64)
    out = pd.DataFrame(
        {
            "geography": long["geography"].astype(str),
            "device": long["device"].astype(str),
            "users": users,
            "share": users / len(df),
            "session_length mean": long["session_length"],
            "converted rate": long["converted"].astype(np.float64),
            "revenue sum": long["revenue"],
        }
    )
    return out.set_index(KEYS)


def polars_cases(df: pd.DataFrame, with_median: bool) -> tuple[list[Case], str]:
    """polars with string and Categorical keys (frames converted before the timing)."""
    try:
        import polars as pl
    except ImportError:
        return [], "polars: not installed, skipped"
    frame = pl.from_pandas(df[KEYS + VALUES])
    frame_cat = frame.with_columns(pl.col(KEYS).cast(pl.Categorical))

    def sums(frame: pl.DataFrame) -> pd.DataFrame:
        cells = frame.group_by(KEYS).agg(
            pl.len().alias("users"),
            pl.col("session_length").sum().alias("s_len"),
            pl.col("converted").sum().alias("s_conv"),
            pl.col("revenue").sum().alias("s_rev"),
        )
        return rollup_cells(cells.to_pandas(), frame.height)

    def medians(frame: pl.DataFrame) -> pd.DataFrame:
        aggs = [
            pl.len().alias("users"),
            pl.col("session_length").mean().alias("session_length mean"),
            pl.col("session_length").median().alias("session_length median"),
            pl.col("session_length").quantile(0.9, interpolation="linear").alias("session_length p90"),
            pl.col("converted").mean().alias("converted rate"),
            pl.col("revenue").sum().alias("revenue sum"),
        ]
        lazy = frame.lazy()
        levels = pl.collect_all(
            [
                lazy.group_by(KEYS).agg(aggs),
                lazy.group_by("geography").agg(aggs),
                lazy.select(aggs),
            ]
        )
        parts = [level.to_pandas() for level in levels]
        for part in parts:
            for key in KEYS:
                if key not in part:
                    part[key] = None
                part[key] = part[key].astype(object)
        out = label_totals(pd.concat(parts, ignore_index=True))
        out["users"] = out["users"].astype(np.float64)
        out["share"] = out["users"] / frame.height
        return out

    fn = medians if with_median else sums
    return [
        Case("polars, string keys", lambda: fn(frame), "all cores"),
        Case("polars, Categorical keys", lambda: fn(frame_cat), "all cores; cast before timing"),
    ], ""


def duckdb_case(df: pd.DataFrame, with_median: bool) -> tuple[list[Case], str]:
    """duckdb GROUPING SETS on a native duckdb table (loaded before the timing)."""
    try:
        import duckdb
    except ImportError:
        return [], "duckdb: not installed, skipped"
    con = duckdb.connect()
    source = df[KEYS + VALUES]  # noqa: F841 - read by name in the SQL below
    con.execute("CREATE TABLE users AS SELECT * FROM source")
    extra = (
        ', median(session_length) AS "session_length median"'
        ', quantile_cont(session_length, 0.9) AS "session_length p90"'
        if with_median
        else ""
    )
    sql = f"""
        SELECT geography, device, count(*) AS users,
               avg(session_length) AS "session_length mean"{extra},
               avg(converted::DOUBLE) AS "converted rate",
               sum(revenue) AS "revenue sum"
        FROM users
        GROUP BY GROUPING SETS ((geography, device), (geography), ())
    """

    def run() -> pd.DataFrame:
        out = label_totals(con.execute(sql).df())
        out["users"] = out["users"].astype(np.float64)
        out["share"] = out["users"] / len(df)
        return out

    return [Case("duckdb GROUPING SETS", run, "all cores; table loaded before timing")], ""


# ----------------------------------------------------------------------------- baselines with medians


def pandas_groupby_median(df: pd.DataFrame) -> pd.DataFrame:
    """pandas groupby per level (medians do not roll up): cells, per-geography, grand total."""
    total = len(df)
    parts = []
    for level in (KEYS, ["geography"], []):
        if level:
            grouped = df.groupby(level, observed=True, sort=False)
            length = grouped["session_length"]
            part = pd.DataFrame(
                {
                    "users": grouped.size(),
                    "session_length mean": length.mean(),
                    "session_length median": length.median(),
                    "session_length p90": length.quantile(0.9),
                    "converted rate": grouped["converted"].mean(),
                    "revenue sum": grouped["revenue"].sum(),
                }
            ).reset_index()
        else:
            length = df["session_length"]
            part = pd.DataFrame(
                {
                    "users": [total],
                    "session_length mean": [length.mean()],
                    "session_length median": [length.median()],
                    "session_length p90": [length.quantile(0.9)],
                    "converted rate": [df["converted"].mean()],
                    "revenue sum": [df["revenue"].sum()],
                }
            )
        for key in KEYS:
            part[key] = part[key].astype(object) if key in part else None
        parts.append(part)
    out = label_totals(pd.concat(parts, ignore_index=True))
    out["users"] = out["users"].astype(np.float64)
    out["share"] = out["users"] / total
    return out


# ----------------------------------------------------------------------------- xlseg


def xlseg_breakdown_cases(
    breakdown: Callable[..., pd.DataFrame] | None, inputs: list[tuple[str, object, str]],
    metrics: dict[str, object], columns: list[str],
) -> list[Case]:
    """One case per (name, data, note) input: ``breakdown(data)`` by the keys with subtotals, canonicalised."""
    if breakdown is None:
        return []
    return [
        Case(name, lambda data=data: xlseg_canonical(breakdown(data, KEYS, metrics, subtotals=True), columns), note)
        for name, data, note in inputs
    ]


def optional_baselines(df: pd.DataFrame, with_median: bool, notes: list[str]) -> list[Case]:
    """The polars and duckdb cases (a note in ``notes`` for each one not installed)."""
    cases: list[Case] = []
    for make in (polars_cases, duckdb_case):
        more, note = make(df, with_median)
        cases += more
        if note:
            notes.append(note)
    return cases


def loaded_table(df: pd.DataFrame) -> object | None:
    """``xlseg.load_table`` of the benchmark's columns (what every face of xlseg segments), or None."""
    try:
        import xlseg
    except ImportError:
        return None
    load = getattr(xlseg, "load_table", None)
    return None if load is None else load(df, columns=KEYS + VALUES)



def find_breakdown() -> tuple[Callable[..., pd.DataFrame] | None, str]:
    """Return ``xlseg.breakdown`` (or the engine's, if the package does not export it yet) and a note."""
    try:
        import xlseg

        return xlseg.breakdown, ""
    except (ImportError, AttributeError):
        pass
    try:
        from xlseg.engine.breakdowns import breakdown

        return breakdown, "xlseg.engine.breakdowns.breakdown (xlseg.breakdown not exported yet)"
    except Exception as exc:  # the engine is being written: any import error means "not available"
        return None, f"xlseg: not available ({type(exc).__name__}: {exc})"[:200]


def xlseg_canonical(out: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Index xlseg's breakdown by the keys (labels as text) and keep the compared columns."""
    frame = out.copy()
    for key in KEYS:
        frame[key] = frame[key].astype(str)
    frame = frame.set_index(KEYS)
    return frame[[c for c in columns if c in frame.columns]]


# ----------------------------------------------------------------------------- driver


def run_section(
    title: str,
    cases: list[Case],
    ref: pd.DataFrame,
    columns: list[str],
    repeat: int,
    notes: list[str],
    warmup: bool = True,
) -> list[Result]:
    """Time the cases, check their numbers, print the table with memory columns."""
    print(f"\n{title}: warm-up and {repeat} interleaved run(s)…", file=sys.stderr)
    results = run_interleaved(cases, repeat, warmup=warmup)
    for res in results:
        if not res.error and res.case.name != "pd.factorize of both keys (part of the floor)":
            problem = check(res.output, ref, columns)
            if problem:
                res.error = f"WRONG NUMBERS: {problem}"
        res.output = None  # free memory before the next section
    reference_name = next((r.case.name for r in results if r.case.name.startswith("xlseg")), None)
    if reference_name is None or any(r.error for r in results if r.case.name == reference_name):
        reference_name = results[0].case.name if results else None
    print_table(title, results, reference=reference_name)
    for note in notes:
        print(f"- {note}")
    return results


def print_goals(results: list[Result]) -> None:
    """Print issue 5's goals for the no-median case against this run's medians."""
    med = {r.case.name: r.median for r in results if not r.error and r.times}
    xl = med.get("xlseg.breakdown")
    if xl is None:
        return
    print("\nGoals (issue 5), this run:")
    pivot = med.get("pandas pivot_table(margins=True)")
    if pivot:
        print(f"- vs pivot_table(margins=True): {pivot / xl:.2f}× faster (goal ≥ 2.5×)")
    polars = [v for k, v in med.items() if k.startswith("polars")]
    if polars:
        print(f"- vs fastest polars: {min(polars) / xl:.2f}× faster (goal > 1)")
    like_for_like = [
        ("string keys", "xlseg.breakdown", "polars, string keys"),
        ("keys hashed before timing", "xlseg.breakdown, loaded Table", "polars, Categorical keys"),
    ]
    for what, ours, theirs in like_for_like:
        if ours in med and theirs in med:
            print(f"- like for like, {what}: {med[theirs] / med[ours]:.2f}× faster than {theirs} (goal > 1)")
    floor = med.get("numpy floor: factorize + bincount")
    if floor:
        print(f"- vs factorize + bincount floor (one thread; xlseg may use {os.cpu_count() or 1} from 100,000 rows):"
              f" {xl / floor:.2f}× the floor (goal ≤ 1.3×)")


def memory_table(df: pd.DataFrame, cases: list[Case]) -> None:
    """Peak extra memory of one call of each case, against the size of the columns used."""
    used = int(df[KEYS + VALUES].memory_usage(deep=True, index=False).sum())
    print(f"\n### Peak extra memory (one call; columns used: {used / 1e6:.0f} MB)\n")
    print("| case | tracemalloc peak | × columns | RSS peak Δ | × columns |")
    print("|---|---:|---:|---:|---:|")
    for case in cases:
        try:
            traced, rss = measure_memory(case.fn)
        except Exception as exc:
            print(f"| {case.name} | failed: {type(exc).__name__} | | | |")
            continue
        t = f"{traced / 1e6:.0f} MB | {traced / used:.2f}" if traced is not None else "– | –"
        r = f"{rss / 1e6:.0f} MB | {rss / used:.2f}" if rss is not None else "– | –"
        print(f"| {case.name} | {t} | {r} |")
    print(
        "\ntracemalloc sees numpy/Python allocations only (not pyarrow's, polars' or duckdb's allocators);"
        " RSS is sampled every ~2 ms and misses memory the allocator reuses."
    )


def main() -> None:
    """Run both sections (without and with medians) and print their tables."""

    def extra(parser: object) -> None:
        parser.add_argument("--baselines-only", action="store_true", help="do not run xlseg")  # type: ignore[attr-defined]
        parser.add_argument("--no-median", action="store_true", help="skip the median/p90 section")  # type: ignore[attr-defined]
        parser.add_argument("--no-memory", action="store_true", help="skip the memory table")  # type: ignore[attr-defined]

    args = bench_args(__doc__.splitlines()[0], rows=2_000_000, quick_rows=50_000, extra=extra)
    print(f"generating/loading {args.rows:,} users…", file=sys.stderr)
    df = data.users(args.rows)
    dfc = df.copy()
    for key in KEYS:
        dfc[key] = dfc[key].astype("category")
    print("computing reference numbers…", file=sys.stderr)
    ref = reference(df)

    breakdown, xlseg_note = (None, "xlseg: skipped (--baselines-only)") if args.baselines_only else find_breakdown()
    notes_common = [xlseg_note] if xlseg_note else []
    print(f"\n## bench_engine: by = [geography, device] with subtotals, {args.rows:,} rows\n")

    # the data xlseg gets: str keys as read from a file, category keys, and a loaded Table
    inputs: list[tuple[str, object, str]] = []
    if breakdown is not None:
        inputs = [("xlseg.breakdown", df, "string keys, as read from a file"),
                  ("xlseg.breakdown, category keys", dfc, "keys cast before timing")]
        table = loaded_table(df)
        if table is not None:
            inputs.append(("xlseg.breakdown, loaded Table", table,
                           "load_table before timing (keys hashed once, like polars Categorical)"))

    # Section 1: no medians
    xlseg_cases = xlseg_breakdown_cases(breakdown, inputs, METRICS, COLUMNS)
    cases = xlseg_cases + [
        Case("numpy floor: factorize + bincount", lambda: numpy_floor(df),
             "factorize inside the timing; one thread"),
        Case("pd.factorize of both keys (part of the floor)", lambda: factorize_only(df), "no aggregation"),
        Case("numpy bincount on category codes", lambda: bincount_on_codes(dfc), "codes precomputed: no hashing"),
        Case("pandas groupby, string keys", lambda: pandas_groupby(df), "sums rolled up to subtotals"),
        Case("pandas groupby, category keys", lambda: pandas_groupby(dfc), "cast before timing"),
        Case("pandas pivot_table(margins=True)", lambda: pandas_pivot_table(df), "what a user writes"),
    ]
    notes = list(notes_common)
    cases += optional_baselines(df, False, notes)
    results = run_section(
        "Without medians: users, share, mean, rate, sum", cases, ref, COLUMNS, args.repeat, notes, not args.quick
    )
    print_goals(results)

    # Section 2: with median and p90 (the category-keys input is left out: pandas' own category case is here)
    if not args.no_median:
        with_table = [item for item in inputs if item[1] is not dfc]
        cases_m = xlseg_breakdown_cases(breakdown, with_table, METRICS_MEDIAN, COLUMNS_MEDIAN)
        cases_m.append(Case("pandas groupby, category keys", lambda: pandas_groupby_median(dfc), "one pass per level"))
        notes_m = list(notes_common)
        cases_m += optional_baselines(df, True, notes_m)
        run_section(
            "With median and p90 of session_length", cases_m, ref, COLUMNS_MEDIAN, args.repeat, notes_m, not args.quick
        )

    if not args.no_memory:
        mem_cases = [c for c in xlseg_cases[:1]] + [
            Case("numpy floor: factorize + bincount", lambda: numpy_floor(df)),
            Case("pandas groupby, category keys", lambda: pandas_groupby(dfc)),
            Case("pandas pivot_table(margins=True)", lambda: pandas_pivot_table(df)),
        ]
        memory_table(df, mem_cases)


if __name__ == "__main__":
    main()
