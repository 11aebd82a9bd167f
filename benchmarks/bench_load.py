"""Reading a CSV activity log: ISO 8601 UTC timestamps (``2024-09-08T06:32:36Z``) vs plain ISO date-times.

Two CSV files with the same 200k rows (user id, event, a timestamp to the second, a number) differ only in
the timestamp column: ``…T06:32:36Z`` in one, ``… 06:32:36`` in the other. Timed, interleaved:
``xlseg.load_table(path)`` on each. Checked before timing: both read the column as dates, with the same
values (UTC = the plain times), and the ``Z`` column against ``pd.to_datetime(utc=True)``.

    python benchmarks/bench_load.py            # 200,000 rows, 5 runs
    python benchmarks/bench_load.py --quick
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _timing import Case, bench_args, print_table, run_interleaved  # noqa: E402

ZULU, PLAIN = "load_table: …Z timestamps", "load_table: plain ISO date-times"


def write_logs(rows: int, folder: Path) -> tuple[Path, Path]:
    """The two CSV files (same rows, timestamp written with Z or plain)."""
    rng = np.random.default_rng(7)
    seconds = np.sort(rng.integers(0, 90 * 86400, rows))
    stamps = pd.Timestamp("2024-07-01") + pd.to_timedelta(seconds, unit="s")
    frame = pd.DataFrame({
        "user_id": rng.integers(1, rows // 10 + 2, rows).astype(str),
        "event": rng.choice(["open", "view", "click", "buy"], rows, p=[0.4, 0.35, 0.2, 0.05]),
        "ts": stamps.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "value": np.round(rng.lognormal(2, 1, rows), 2),
    })
    zulu, plain = folder / "events_z.csv", folder / "events_plain.csv"
    frame.to_csv(zulu, index=False)
    frame.assign(ts=stamps.strftime("%Y-%m-%d %H:%M:%S")).to_csv(plain, index=False)
    return zulu, plain


def main() -> None:
    """Write the files, check both read alike, then time them interleaved and print the ratio."""
    import xlseg

    args = bench_args(__doc__.splitlines()[0], rows=200_000, quick_rows=5_000, repeat=5)
    with tempfile.TemporaryDirectory() as tmp:
        zulu, plain = write_logs(args.rows, Path(tmp))
        a, b = xlseg.load_table(zulu), xlseg.load_table(plain)
        expected = pd.to_datetime(pd.read_csv(zulu)["ts"], utc=True).dt.tz_localize(None)
        assert a.roles["ts"] == b.roles["ts"] == "date", (a.roles, b.roles)
        assert (a.frame["ts"] == b.frame["ts"]).all() and (a.frame["ts"] == expected).all()
        cases = [Case(ZULU, lambda: xlseg.load_table(zulu), "read as UTC"),
                 Case(PLAIN, lambda: xlseg.load_table(plain), "today's ISO dates")]
        print(f"\n## bench_load: a {args.rows:,}-row CSV activity log, timestamps with Z vs plain\n")
        results = run_interleaved(cases, args.repeat, warmup=not args.quick)
    print_table(f"load_table of a {args.rows:,}-row CSV (4 columns)", results, reference=PLAIN)
    by_name = {r.case.name: r for r in results}
    print(f"\nZ / plain = {by_name[ZULU].median / by_name[PLAIN].median:.2f} (medians); values checked equal.")


if __name__ == "__main__":
    main()
