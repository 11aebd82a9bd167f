"""The ``xlseg`` command: report workbooks from files, behavioural sheets of activity tables, and the demo.

Start-up stays light: pandas, openpyxl and the engine are imported inside the commands, so
``xlseg --help`` answers at once.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from collections.abc import Sequence
from typing import NoReturn, TextIO

EXIT_OK = 0
EXIT_INTERNAL = 1
EXIT_BAD_INPUT = 2

REPORT_EXAMPLES = """\
examples:
  xlseg report users.csv -o report.xlsx
      auto mode: picks dimensions and metrics from the column roles
  xlseg report users.xlsx --sheet Users -o report.xlsx --by geography --by device,plan
      two breakdowns: one by geography, one by device and plan together
  xlseg report users.csv -o report.xlsx --by device --metric converted:rate --metric session_length:mean,median
  xlseg report users.parquet -o report.xlsx --by age --bins age=edges:18,25,35,50 --min-size 50
  xlseg report users.csv -o report.xlsx --by signup_date --bins signup_date=month --crosstab plan:device
  xlseg report users.csv -o report.xlsx --scan converted:rate
      adds "What stands out": every segment and pair of segments vs the rest, BH-adjusted
  xlseg report admissions.csv -o gap.xlsx --gap gender:Male:Female --by department --metric admitted:rate
      adds a sheet splitting the gap between Male and Female into rate and mix effects by department
  xlseg report 'events/*.parquet' -o report.xlsx --by country,device --engine duckdb --memory-limit 1GB
      files past memory: DuckDB aggregates them where they are; only per-group statistics come back

--by COL[,COL...]   one breakdown per --by; a comma joins columns into one multi-dimensional breakdown
--metric COL:AGG    aggregations: mean, median, sum, min, max, count, nunique, rate (yes/no columns), p1..p99
--bins COL=SPEC     q4 (quartiles), width:10 (bins 10 wide), equal:5 (5 bins of equal width), edges:18,25,35,
                    top:5, day/week/month/quarter/year
--scan COL:AGG      a rate or mean to scan segments and pairs for (auto mode scans the main metric for the Summary)
--gap COL:A:B       split the gap in the first --metric between groups A and B of COL by the first --by column
--role COL=ROLE     dimension, metric, flag, date (date:dmy, date:mdy, date:epoch) or id, when the guess is wrong
--na VALUE          another cell value meaning "missing" (NA, N/A, NULL, None, NaN… are already)
--tz ZONE           local times in this IANA zone (Europe/Berlin) for times with a zone (…Z, +02:00, epoch)
"""

BEHAVIOR_EXAMPLES = """\
examples:
  xlseg behavior events.csv -o behaviour.xlsx
  xlseg behavior orders.parquet -o rfm.xlsx --user customer_id --time ordered_at --value amount --as-of 2024-07-01
  xlseg behavior events.csv -o behaviour.xlsx --users users.csv --period week
  xlseg behavior 'events/*.parquet' -o behaviour.xlsx --engine duckdb --memory-limit 1GB
      files past memory: DuckDB reduces the events where they are; only per-user facts come back
"""

DEMO_EXAMPLES = """\
examples:
  xlseg demo -o demo.xlsx
  xlseg demo -o big.xlsx --rows 1000000
"""


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors as one line and exit code 2."""

    def error(self, message: str) -> NoReturn:
        """Print ``xlseg: error: …`` (one line) and exit with 2."""
        self.exit(EXIT_BAD_INPUT, f"xlseg: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``xlseg`` command."""
    parser = _Parser(prog="xlseg", description="User segmentation for Excel, computed in Python.")
    parser.add_argument("--version", action="version", version=f"xlseg {_version()}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    rep = commands.add_parser(
        "report", help="write a segmentation report workbook for a table file",
        description="Write a report workbook (.xlsx) for a table: a Summary sheet, one sheet per breakdown with"
        " a chart, and crosstab heatmaps. INPUT may be .csv, .xlsx/.xlsm (see --sheet) or .parquet.",
        epilog=REPORT_EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    rep.add_argument("input", metavar="INPUT",
                     help="the table: .csv, .xlsx, .xlsm or .parquet, or a quoted glob of Parquet/CSV files")
    _common(rep)
    rep.add_argument("--by", action="append", metavar="COL[,COL...]",
                     help="a breakdown (repeatable); default: chosen from the column roles")
    rep.add_argument("--metric", action="append", metavar="COL:AGG[,AGG...]",
                     help="a metric for every breakdown (repeatable); default: rates of yes/no columns, means")
    rep.add_argument("--crosstab", action="append", metavar="ROWS:COLS",
                     help="a heatmap of ROWS × COLS (repeatable)")
    rep.add_argument("--bins", action="append", metavar="COL=SPEC", help="bin a numeric or date column (repeatable)")
    rep.add_argument("--top", type=_positive_int, metavar="N", help="keep the N largest categories, the rest as Other")
    rep.add_argument("--scan", metavar="COL:AGG",
                     help="add a 'What stands out' sheet: segments and pairs vs the rest for this rate or mean")
    rep.add_argument("--gap", metavar="COL:A:B",
                     help="add a sheet splitting the gap between groups A and B into rate and mix effects")
    rep.add_argument("--template", metavar="PATH", help="a styled .xlsx template to fill (read, never modified)")
    rep.add_argument("--sheet", metavar="NAME", help="the sheet to read from an Excel INPUT (default: the first)")
    rep.add_argument("--title", metavar="TEXT", help="the report title")
    rep.add_argument("--role", action="append", metavar="COL=ROLE",
                     help="declare a column's role (repeatable): dimension, metric, flag, date, id, date:dmy, "
                     "date:mdy or date:epoch")
    rep.add_argument("--tz", metavar="ZONE", help="show times with a zone (…Z, +02:00, epoch) as local times in this "
                     "IANA zone, e.g. Europe/Berlin, before days/weeks/months are cut (default: UTC)")
    rep.add_argument("--na", action="append", metavar="VALUE",
                     help='a cell value that means "missing", e.g. --na -999 (repeatable; NA, N/A, NULL… already are)')
    rep.add_argument("--header-row", type=_positive_int, metavar="N",
                     help="the row holding the column names (1 = first; default: 1, or the row under a title row)")
    rep.add_argument("--main", metavar="COL:AGG",
                     help="the headline metric of charts and captions (one of the metrics, e.g. revenue:mean)")

    rep.add_argument("--engine", choices=["auto", "pandas", "duckdb"], default="auto",
                     help="pandas reads the table into memory; duckdb aggregates Parquet/CSV files where they are"
                     " (past memory); auto: duckdb for globs and files over 512 MiB (default auto)")
    rep.add_argument("--memory-limit", metavar="SIZE", help="DuckDB's memory limit, e.g. 1GB (with the duckdb engine)")

    beh = commands.add_parser(
        "behavior", help="write the behavioural sheets of an activity table (retention, lifecycle, RFM, engagement)",
        description="Write a workbook (.xlsx) of an activity table (one row per event, order or session): Summary,"
        " Retention (cohort heatmap and curve), Lifecycle, Engagement (power-user curve), RFM and, with --users,"
        " RFM segment and engagement tier by user attribute. Columns not named are detected from their roles.",
        epilog=BEHAVIOR_EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    beh.add_argument("input", metavar="EVENTS", help="the activity table: .csv, .xlsx, .xlsm or .parquet, or a glob"
                     " of Parquet/CSV files (quoted)")
    beh.add_argument("-o", "--output", required=True, metavar="OUTPUT", help="the workbook to write (.xlsx)")
    beh.add_argument("--user", metavar="COL", help="the user id column (default: the first id column)")
    beh.add_argument("--time", metavar="COL", help="the date/time column (default: the first date column)")
    beh.add_argument("--value", metavar="COL", help="the amount column for RFM (default: the first numeric column)")
    beh.add_argument("--users", metavar="FILE", help="a user table (id + attributes) joined by the user column")
    beh.add_argument("--period", choices=("day", "week", "month", "quarter"), default="month",
                     help="cohort and lifecycle period (default month; weeks are ISO weeks)")
    beh.add_argument("--as-of", metavar="YYYY-MM-DD",
                     help="first day after the analysed data (default: the day after the last activity)")
    beh.add_argument("--window", type=_positive_int, default=28, metavar="DAYS",
                     help="engagement window in days (default 28)")
    beh.add_argument("--mode", choices=("on", "on_or_after"), default="on", help="retention mode (default on)")
    beh.add_argument("--tz", metavar="ZONE", help="count times with a zone (…Z) as local days in this IANA zone,"
                     " e.g. Europe/Berlin (default: UTC days)")
    beh.add_argument("--engine", choices=["auto", "pandas", "duckdb"], default="auto",
                     help="pandas reads the events into memory; duckdb reduces Parquet/CSV files where they are"
                     " (past memory); auto: duckdb for globs and files over 512 MiB (default auto)")
    beh.add_argument("--memory-limit", metavar="SIZE", help="DuckDB's memory limit, e.g. 1GB (with the duckdb engine)")
    beh.add_argument("--title", metavar="TEXT", help="the workbook title")
    beh.add_argument("--quiet", action="store_true", help="no progress messages on stderr")
    beh.add_argument("--debug", action="store_true", help="show the full traceback on errors")

    demo = commands.add_parser(
        "demo", help="write the report of a built-in demo user table (no input file needed)",
        description="Generate a realistic demo table of app users and write its report workbook.",
        epilog=DEMO_EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _common(demo, default_output="xlseg-demo.xlsx")
    demo.add_argument("--rows", type=_positive_int, default=5000, metavar="N", help="users to generate (5000)")
    demo.add_argument("--seed", type=int, default=42, help="random seed (42)")

    book = commands.add_parser(
        "workbook", help="create a ready Excel workbook (.xlsm) for the formulas and the macro",
        description="Create PATH.xlsm from xlwings quickstart (formulas registered in its xlwings.conf sheet, a"
        " sample Users table, an xlseg settings sheet, a How-to sheet) and PATH.py for xlwings' Run main.",
        epilog="examples:\n  xlseg workbook demo.xlsm\n  xlseg workbook demo.xlsm --rows 2000 --force",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    book.add_argument("path", metavar="PATH.xlsm", help="the workbook to create (a name like demo.xlsm)")
    book.add_argument("--rows", type=_positive_int, default=500, metavar="N", help="sample users (500)")
    book.add_argument("--force", action="store_true", help="overwrite a workbook xlseg made before")
    book.add_argument("--quiet", action="store_true", help="no progress messages on stderr")
    book.add_argument("--debug", action="store_true", help="show the full traceback on errors")
    return parser


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("xlseg")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "(source)"


def _common(parser: argparse.ArgumentParser, default_output: str | None = None) -> None:
    default = f"; default {default_output}" if default_output else ""
    parser.add_argument("-o", "--output", required=default_output is None, default=default_output, metavar="OUTPUT",
                        help=f"the workbook to write (.xlsx){default}")
    parser.add_argument("--min-size", type=_positive_int, default=30, metavar="N",
                        help="grey out segments with fewer users (default 30)")
    parser.add_argument("--confidence", type=float, default=0.95, metavar="LEVEL",
                        help="confidence level of intervals and tests (default 0.95)")
    parser.add_argument("--quiet", action="store_true", help="no progress messages on stderr")
    parser.add_argument("--debug", action="store_true", help="show the full traceback on errors")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


class StageLog:
    """Prints each stage with the elapsed time on ``stream`` (stderr), or nothing when disabled.

    A stage that runs longer than :attr:`TICK` seconds gets a progress line that counts its seconds (on a
    terminal it is redrawn in place), so a long engine query never looks like a hang.
    """

    TICK = 1.0

    def __init__(self, stream: TextIO, enabled: bool, tick: float | None = None) -> None:
        self.stream, self.enabled, self.start = stream, enabled, time.monotonic()
        self.tick = self.TICK if tick is None else tick
        self._stage: tuple[str, float] | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __call__(self, message: str) -> None:
        """Print one stage line: ``[  1.2s] breakdown 2/5: device``."""
        if not self.enabled:
            return
        now = time.monotonic()
        with self._lock:
            self._end_line()
            print(f"[{now - self.start:5.1f}s] {message}", file=self.stream, flush=True)
            self._stage = (message, now)
        if self._thread is None:
            self._thread = threading.Thread(target=self._ticker, name="xlseg-progress", daemon=True)
            self._thread.start()

    def close(self) -> None:
        """Stop the progress ticker (at the end of the command)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        with self._lock:
            self._end_line()

    _ticking = False

    def _end_line(self) -> None:
        if self._ticking:
            print(file=self.stream, flush=True)
            self._ticking = False

    def _ticker(self) -> None:
        while not self._stop.wait(self.tick / 2):
            with self._lock:
                if self._stage is None:
                    continue
                message, since = self._stage
                running = time.monotonic() - since
                if running < self.tick:
                    continue
                tty = getattr(self.stream, "isatty", lambda: False)()
                end = "" if tty else "\n"
                print(f"{chr(13) if tty else ''}        … {message}: {running:.0f}s", end=end, file=self.stream,
                      flush=True)
                self._ticking = tty


def _bins(items: Sequence[str] | None) -> dict[str, str]:
    from xlseg.errors import XlsegError
    from xlseg.spec import parse_bins

    bins: dict[str, str] = {}
    for item in items or []:
        column, sep, spec = item.partition("=")
        if not sep or not column.strip() or not spec.strip():
            raise XlsegError(f"--bins '{item}' not understood; write it as COL=SPEC, e.g. age=q4")
        parse_bins(spec)  # fail early with the spec's own message
        if column.strip() in bins:
            raise XlsegError(f"--bins gives '{column.strip()}' twice ({bins[column.strip()]} and {spec.strip()}); "
                             "keep one")
        bins[column.strip()] = spec.strip()
    return bins


def _roles(items: Sequence[str] | None) -> dict[str, str] | None:
    """``--role COL=ROLE`` options as a roles mapping (a column given twice is an error)."""
    from xlseg.errors import XlsegError

    roles: dict[str, str] = {}
    for item in items or []:
        column, sep, role = item.rpartition("=")
        if not sep or not column.strip() or not role.strip():
            raise XlsegError(f"--role '{item}' not understood; write it as COL=ROLE, e.g. --role ts=date:epoch")
        if column.strip() in roles:
            raise XlsegError(f"--role gives '{column.strip()}' twice; keep one")
        roles[column.strip()] = role.strip()
    return roles or None


def _run_report(args: argparse.Namespace, log: StageLog) -> int:
    from xlseg.writers.atomic import check_output_path  # light: no pandas

    check_output_path(args.output, args.input, args.template)  # fail before the slow part
    if args.input.lower().endswith((".xlsx", ".xlsm")):
        from xlseg.io.xlsx_fast import prefetch

        prefetch(args.input, args.sheet)  # parse in a thread while pandas & co. import below
        if args.header_row in (None, 1):
            _check_columns_early(args)  # a misspelt column fails now, not after the read
    from xlseg.reporting import report

    if args.template:
        from xlseg.writers.templates import check_template_path

        check_template_path(args.template)

    metrics = "; ".join(args.metric) if args.metric else None
    result = report(args.input, by=args.by, metrics=metrics, crosstabs=args.crosstab, bins=_bins(args.bins),
                    top=args.top, min_size=args.min_size, confidence=args.confidence, sheet=args.sheet,
                    title=args.title, scan=args.scan, gap=args.gap, main=args.main, progress=log,
                    roles=_roles(args.role), tz=args.tz, na_values=args.na, header_row=args.header_row,
                    engine=args.engine, memory_limit=args.memory_limit)
    return _write(result, args, log)


def _check_columns_early(args: argparse.Namespace) -> None:
    """Check the columns named by --by, --metric and --crosstab against an Excel INPUT's header row.

    Reads only the header (a few milliseconds, no pandas); when the header can't be read for sure, the names
    are checked after the full read as for other inputs. The error is the same "column 'x' not found" line.
    """
    from xlseg.io.xlsx_header import check_columns
    from xlseg.spec import parse_breakdowns, parse_crosstab, parse_metrics, requested_columns

    metrics = parse_metrics("; ".join(args.metric)) if args.metric else []
    crosstabs = [parse_crosstab(item) for item in args.crosstab or []]
    check_columns(args.input, args.sheet, requested_columns(parse_breakdowns(args.by) or [], metrics, crosstabs))


def _run_demo(args: argparse.Namespace, log: StageLog) -> int:
    from xlseg.demo import make_users
    from xlseg.reporting import report

    log(f"generating {args.rows:,} demo users")
    users = make_users(args.rows, seed=args.seed)
    result = report(users, min_size=args.min_size, confidence=args.confidence, title="xlseg demo: app users",
                    progress=log)
    from xlseg.behavior_report import add_demo_behavior

    add_demo_behavior(result, users, seed=args.seed, progress=log)
    return _write(result, args, log)


def _run_behavior(args: argparse.Namespace, log: StageLog) -> int:
    from xlseg.writers.atomic import check_output_path  # light: no pandas

    check_output_path(args.output, args.input, None)
    if args.users:
        check_output_path(args.output, args.users, None)
    from xlseg.behavior_report import behavior_report

    result = behavior_report(args.input, args.user, args.time, args.value, users=args.users, period=args.period,
                             mode=args.mode, window=args.window, as_of=args.as_of, tz=args.tz, title=args.title,
                             progress=log, engine=args.engine, memory_limit=args.memory_limit)
    return _write(result, args, log)


def _run_workbook(args: argparse.Namespace, log: StageLog) -> int:
    from xlseg.excel.workbook import build_workbook

    log("building the workbook from xlwings quickstart")
    path = build_workbook(args.path, rows=args.rows, overwrite=args.force)
    print(f"wrote {path} and {path.with_suffix('.py').name}; open it in Excel, then xlwings tab → Import Functions")
    return EXIT_OK


def _write(result: object, args: argparse.Namespace, log: StageLog) -> int:
    log(f"writing {args.output}")
    path = result.to_excel(args.output, template=getattr(args, "template", None))  # type: ignore[attr-defined]
    sheets = len(result.sheets)  # type: ignore[attr-defined]
    print(f"wrote {path} ({sheets} sheets)")
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``xlseg`` command with ``argv`` (default: ``sys.argv[1:]``); returns the exit code.

    0 on success; 2 with one line ``xlseg: error: …`` on bad input (no traceback unless ``--debug``);
    1 on an unexpected internal error.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_BAD_INPUT
    log = StageLog(sys.stderr, enabled=not args.quiet and sys.stderr.isatty())
    run = {"report": _run_report, "behavior": _run_behavior, "demo": _run_demo, "workbook": _run_workbook}[args.command]
    from xlseg.errors import speaking_as  # light: no pandas

    try:
        with speaking_as("cli"):  # messages that suggest declaring a role say --role COL=ROLE
            return run(args, log)
    except Exception as error:  # noqa: BLE001 - every error becomes one line unless --debug
        if args.debug:
            raise
        return _report_error(error)
    except KeyboardInterrupt:
        print("xlseg: interrupted", file=sys.stderr)
        return 130
    finally:
        log.close()


def _report_error(error: Exception) -> int:
    from xlseg.errors import XlsegError

    if isinstance(error, XlsegError):
        message, code = str(error), EXIT_BAD_INPUT
    elif isinstance(error, FileNotFoundError):
        message, code = f"file not found: {error.filename}", EXIT_BAD_INPUT
    elif isinstance(error, PermissionError):
        message, code = f"permission denied: {error.filename}", EXIT_BAD_INPUT
    elif isinstance(error, OSError):
        message, code = f"{error.strerror or error}: {error.filename or ''}".rstrip(": "), EXIT_BAD_INPUT
    else:
        message = f"internal error: {type(error).__name__}: {error} (run again with --debug for the traceback)"
        code = EXIT_INTERNAL
    print(f"xlseg: error: {message.splitlines()[0] if message else type(error).__name__}", file=sys.stderr)
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
