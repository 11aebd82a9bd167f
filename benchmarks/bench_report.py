"""Question 2: end to end, .xlsx in → report .xlsx out, against the scripts a user writes today.

Every side runs as a fresh ``python`` subprocess, so interpreter start-up and imports count:

- the default user's script: ``pd.read_excel`` (pandas' default engine, openpyxl) +
  ``pd.pivot_table(margins=True)`` + ``DataFrame.to_excel``;
- the careful user's script: the same with ``pd.read_excel(engine="calamine")``;
- ``xlseg report FILE -o OUT --by geography,device`` with the same figures (users, mean session length,
  conversion rate, revenue sum; skipped with a note when the CLI is not there yet).

After the timing, every workbook written is read back and its figures per geography × device are compared
with a pandas groupby of the source table; a case with different numbers is listed as "not ranked".

Reference rows, in this process: calamine's raw parse of the sheet, ``pd.read_excel(engine="calamine")``,
and the bare cost of starting Python and importing pandas / the xlseg CLI. The input .xlsx is written once
and cached under benchmarks/data/.

    python benchmarks/bench_report.py                 # 200,000 rows, 3 runs
    python benchmarks/bench_report.py --rows 1000000  # the sheet limit is 1,048,575 data rows
    python benchmarks/bench_report.py --quick
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

import data  # noqa: E402
from _timing import Case, bench_args, print_table, run_interleaved  # noqa: E402

USER_SCRIPT = """
import sys
import pandas as pd

df = pd.read_excel(sys.argv[1]{engine})
table = pd.pivot_table(
    df,
    index=["geography", "device"],
    values=["user_id", "session_length", "converted", "revenue"],
    aggfunc={"user_id": "count", "session_length": "mean", "converted": "mean", "revenue": "sum"},
    margins=True,
)
table.to_excel(sys.argv[2])
"""
DEFAULT_SCRIPT = USER_SCRIPT.replace("{engine}", "")
CAREFUL_SCRIPT = USER_SCRIPT.replace("{engine}", ', engine="calamine"')
XLSEG_METRICS = ["--metric", "session_length:mean", "--metric", "converted:rate", "--metric", "revenue:sum"]
DEFAULT_CASE = "default user: read_excel + pivot_table + to_excel (subprocess)"
CAREFUL_CASE = 'careful user: read_excel(engine="calamine") + pivot_table + to_excel (subprocess)'
XLSEG_CASE = "xlseg report (subprocess)"

CLI_SHIM = "import sys; from xlseg.cli import main; sys.argv[0] = 'xlseg'; sys.exit(main())"


def xlseg_command() -> list[str]:
    """The ``xlseg`` console script of this interpreter, or an equivalent ``python -c`` call.

    The console script next to ``sys.executable`` is used when present (a pyenv shim on PATH would add
    its own start-up time); the ``-c`` form does exactly what the generated script does.
    """
    script = Path(sys.executable).with_name("xlseg")
    return [str(script)] if script.exists() else [sys.executable, "-c", CLI_SHIM]


def run(cmd: list[str], output: Path | None = None) -> None:
    """Run ``cmd``; raise with its last error line when it fails or does not write ``output``."""
    if output is not None:
        output.unlink(missing_ok=True)
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["(no output)"])[-1]
        raise RuntimeError(f"exit {proc.returncode}: {last}")
    if output is not None and not output.exists():
        raise RuntimeError(f"{output.name} was not written")


def cli_available() -> str:
    """Return "" when ``xlseg report --help`` works, else the reason it does not."""
    try:
        run([*xlseg_command(), "report", "--help"])
    except (RuntimeError, OSError) as exc:
        return str(exc)
    return ""


def calamine_raw(path: Path) -> list[list[object]]:
    """calamine's parse of the first sheet into Python rows (no DataFrame)."""
    from python_calamine import CalamineWorkbook

    return CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()


def expected_figures(rows: int) -> pd.DataFrame:
    """Per (geography, device) from the source table, by definition: users, mean session length,
    conversion rate and revenue sum."""
    frame = data.users(rows)
    grouped = frame.groupby(["geography", "device"], observed=True)
    return pd.DataFrame({"users": grouped.size(), "session_length": grouped["session_length"].mean(),
                         "converted": grouped["converted"].mean(), "revenue": grouped["revenue"].sum()})


def pivot_figures(path: Path) -> pd.DataFrame:
    """The user scripts' workbook: the pivot table without its "All" margins."""
    table = pd.read_excel(path, index_col=[0, 1], engine="openpyxl")
    table = table.drop(index="All", level=0, errors="ignore")
    return table.rename(columns={"user_id": "users"})[["users", "session_length", "converted", "revenue"]]


def xlseg_figures(path: Path) -> pd.DataFrame:
    """xlseg's workbook: the Excel table of the geography × device sheet (the grand total sits under it)."""
    from openpyxl import load_workbook

    book = load_workbook(path)
    ws = next(w for w in book.worksheets if "geography_device" in w.tables)
    cells = ws[ws.tables["geography_device"].ref]
    header = [c.value for c in cells[0]]
    table = pd.DataFrame([[c.value for c in row] for row in cells[1:]], columns=header)
    table = table.set_index(["geography", "device"])
    return table.rename(columns={"session_length mean": "session_length", "converted rate": "converted",
                                 "revenue sum": "revenue"})[["users", "session_length", "converted", "revenue"]]


def check_figures(results: list, outputs: dict[str, tuple[Path, object]], expected: pd.DataFrame) -> None:
    """Mark every case whose workbook holds other figures than ``expected`` as not ranked."""
    for res in results:
        if res.case.name not in outputs or res.error:
            continue
        path, read = outputs[res.case.name]
        try:
            got = read(path).sort_index()  # type: ignore[operator]
            want = expected.sort_index()
            if list(got.index) != list(want.index):
                raise AssertionError(f"{len(got)} segments, expected {len(want)}")
            for column in want.columns:
                a, b = got[column].to_numpy(dtype=float), want[column].to_numpy(dtype=float)
                if not np.allclose(a, b, rtol=1e-9, atol=0):
                    raise AssertionError(f"'{column}' differs (max |Δ| {np.nanmax(np.abs(a - b)):.3g})")
        except Exception as exc:  # noqa: BLE001 - any problem reading or comparing means "wrong numbers"
            res.error = f"wrong numbers: {type(exc).__name__}: {exc}"[:200]


def main() -> None:
    """Write (or reuse) the input workbook, then time every case interleaved and print the table."""
    args = bench_args(__doc__.splitlines()[0], rows=200_000, quick_rows=5_000)
    print(f"writing/loading the {args.rows:,}-row .xlsx…", file=sys.stderr)
    xlsx = data.users_xlsx(args.rows)
    size_mb = xlsx.stat().st_size / 1e6
    notes = [f"input: {xlsx.name}, {size_mb:.1f} MB, {args.rows:,} rows × 9 columns"]

    with tempfile.TemporaryDirectory(prefix="xlseg-bench-") as tmp:
        out_user = Path(tmp) / "user_script.xlsx"
        out_careful = Path(tmp) / "careful_script.xlsx"
        out_xlseg = Path(tmp) / "xlseg_report.xlsx"
        cases = []
        problem = cli_available()
        if problem:
            notes.append(f"xlseg report: not available ({problem[:150]}), skipped")
        else:
            cmd = [*xlseg_command(), "report", str(xlsx), "-o", str(out_xlseg), "--by", "geography,device",
                   *XLSEG_METRICS, "--quiet"]
            cases.append(Case(XLSEG_CASE, lambda: run(cmd, out_xlseg), "start-up + imports included"))
        cases += [
            Case(
                DEFAULT_CASE,
                lambda: run([sys.executable, "-c", DEFAULT_SCRIPT, str(xlsx), str(out_user)], out_user),
                "pandas' default reader (openpyxl)",
            ),
            Case(
                CAREFUL_CASE,
                lambda: run([sys.executable, "-c", CAREFUL_SCRIPT, str(xlsx), str(out_careful)], out_careful),
                "pandas with the calamine reader",
            ),
            Case("calamine raw parse (in process)", lambda: calamine_raw(xlsx), "rows as Python lists"),
            Case(
                'pd.read_excel(engine="calamine") (in process)',
                lambda: pd.read_excel(xlsx, engine="calamine"),
                "DataFrame",
            ),
            Case(
                "python -c 'import pandas' (subprocess)",
                lambda: run([sys.executable, "-c", "import pandas"]),
                "fixed cost of any pandas script",
            ),
        ]
        if not problem:
            cases.append(
                Case(
                    "python -c 'import xlseg.cli' (subprocess)",
                    lambda: run([sys.executable, "-c", "import xlseg.cli"]),
                    "the CLI's import cost",
                )
            )
        print(f"\n## bench_report: .xlsx → report, {args.rows:,} rows\n")
        results = run_interleaved(cases, args.repeat, warmup=not args.quick)
        check_figures(results, {XLSEG_CASE: (out_xlseg, xlseg_figures), DEFAULT_CASE: (out_user, pivot_figures),
                                CAREFUL_CASE: (out_careful, pivot_figures)}, expected_figures(args.rows))
        notes.append("figures checked: users, session_length mean, converted rate and revenue sum per geography ×"
                     " device in every workbook written, against a pandas groupby of the source (rtol 1e-9)")
        print_table(f"End to end on a {args.rows:,}-row .xlsx", results, reference=XLSEG_CASE)
        for note in notes:
            print(f"- {note}")


if __name__ == "__main__":
    main()
