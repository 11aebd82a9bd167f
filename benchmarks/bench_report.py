"""Question 2: end to end, .xlsx in → report .xlsx out, against the script a user writes today.

Both sides run as a fresh ``python`` subprocess, so interpreter start-up and imports count:

- the user's script: ``pd.read_excel`` (pandas' default engine, openpyxl) + ``pd.pivot_table(margins=True)``
  + ``DataFrame.to_excel``;
- ``xlseg report FILE -o OUT --by geography,device`` (skipped with a note when the CLI is not there yet).

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

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

import data  # noqa: E402
from _timing import Case, bench_args, print_table, run_interleaved  # noqa: E402

USER_SCRIPT = """
import sys
import pandas as pd

df = pd.read_excel(sys.argv[1])
table = pd.pivot_table(
    df,
    index=["geography", "device"],
    values=["user_id", "session_length", "converted", "revenue"],
    aggfunc={"user_id": "count", "session_length": "mean", "converted": "mean", "revenue": "sum"},
    margins=True,
)
table.to_excel(sys.argv[2])
"""

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


def main() -> None:
    """Write (or reuse) the input workbook, then time every case interleaved and print the table."""
    args = bench_args(__doc__.splitlines()[0], rows=200_000, quick_rows=5_000)
    print(f"writing/loading the {args.rows:,}-row .xlsx…", file=sys.stderr)
    xlsx = data.users_xlsx(args.rows)
    size_mb = xlsx.stat().st_size / 1e6
    notes = [f"input: {xlsx.name}, {size_mb:.1f} MB, {args.rows:,} rows × 9 columns"]

    with tempfile.TemporaryDirectory(prefix="xlseg-bench-") as tmp:
        out_user = Path(tmp) / "user_script.xlsx"
        out_xlseg = Path(tmp) / "xlseg_report.xlsx"
        cases = []
        problem = cli_available()
        if problem:
            notes.append(f"xlseg report: not available ({problem[:150]}), skipped")
        else:
            cmd = [*xlseg_command(), "report", str(xlsx), "-o", str(out_xlseg), "--by", "geography,device"]
            cases.append(Case("xlseg report (subprocess)", lambda: run(cmd, out_xlseg), "start-up + imports included"))
        cases += [
            Case(
                "user script: read_excel + pivot_table + to_excel (subprocess)",
                lambda: run([sys.executable, "-c", USER_SCRIPT, str(xlsx), str(out_user)], out_user),
                "pandas' default reader (openpyxl)",
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
        print_table(f"End to end on a {args.rows:,}-row .xlsx", results, reference="xlseg report (subprocess)")
        for note in notes:
            print(f"- {note}")


if __name__ == "__main__":
    main()
