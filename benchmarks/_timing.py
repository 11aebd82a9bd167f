"""Shared benchmark machinery: interleaved timing, memory peaks, argument parsing and the result table.

Every case runs once as a warm-up (its result is kept for correctness checks), then the cases run
``repeat`` times *interleaved* — round 1 of every case, then round 2, … with the order rotated each
round — so that a slow phase of the machine (another process, thermal throttling, the page cache) hits
every case alike instead of one case's whole series.
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import threading
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "Case",
    "Result",
    "bench_args",
    "machine_line",
    "measure_memory",
    "print_table",
    "run_interleaved",
]


@dataclass
class Case:
    """One thing to time: a name, a zero-argument callable, and an optional note for the table."""

    name: str
    fn: Callable[[], Any]
    note: str = ""


@dataclass
class Result:
    """Timings of one case (seconds), the warm-up's return value, and any problem found."""

    case: Case
    times: list[float] = field(default_factory=list)
    output: Any = None
    error: str = ""  # set when the case raised or gave wrong numbers; such a case is not ranked

    @property
    def median(self) -> float:
        """Median of the timed runs (NaN when there are none)."""
        return statistics.median(self.times) if self.times else float("nan")


def _timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    gc.collect()
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def run_interleaved(cases: list[Case], repeat: int, warmup: bool = True, verbose: bool = True) -> list[Result]:
    """Time ``cases`` round-robin: one warm-up each, then ``repeat`` rounds with rotating order.

    A case that raises is reported in its ``error`` and left out of later rounds. The warm-up's return
    value is stored in ``Result.output`` so callers can check every case computed the same numbers.
    """
    results = [Result(case) for case in cases]
    for res in results:
        try:
            elapsed, res.output = _timed(res.case.fn)
        except Exception as exc:  # a broken baseline must not stop the others
            res.error = f"{type(exc).__name__}: {exc}"[:200]
            if verbose:
                print(f"  {res.case.name}: FAILED ({res.error})", file=sys.stderr)
            continue
        if verbose:
            print(f"  warm-up {res.case.name}: {elapsed:.3f} s", file=sys.stderr)
        if not warmup:
            res.times.append(elapsed)
    for rnd in range(repeat - (0 if warmup else 1)):
        live = [r for r in results if not r.error]
        if not live:
            break
        shift = rnd % len(live)
        for res in live[shift:] + live[:shift]:
            try:
                elapsed, _ = _timed(res.case.fn)
            except Exception as exc:
                res.error = f"{type(exc).__name__}: {exc}"[:200]
                continue
            res.times.append(elapsed)
        if verbose:
            print(f"  round {rnd + 1}/{repeat} done", file=sys.stderr)
    return results


def _rss_bytes() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def measure_memory(fn: Callable[[], Any]) -> tuple[int | None, int | None]:
    """Return ``(tracemalloc peak, sampled RSS peak - RSS at start)`` in bytes for one call of ``fn``.

    tracemalloc sees numpy and Python allocations (what a pandas engine does) but not pyarrow's or
    polars' own allocators; the RSS sampling (every ~2 ms, Linux only) sees everything but misses short
    spikes and memory the allocator reuses without growing the process. Either may be ``None`` when it
    cannot be measured here.
    """
    gc.collect()
    rss_peak: int | None = None
    sampler: threading.Thread | None = None
    stop = threading.Event()
    start_rss = 0
    if os.path.exists("/proc/self/statm"):
        start_rss = _rss_bytes()
        peak = [start_rss]

        def sample() -> None:
            while not stop.is_set():
                peak[0] = max(peak[0], _rss_bytes())
                time.sleep(0.002)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
    tracemalloc.start()
    try:
        fn()
        _, traced_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        stop.set()
    if sampler is not None:
        sampler.join()
        peak[0] = max(peak[0], _rss_bytes())
        rss_peak = peak[0] - start_rss
    return traced_peak, rss_peak


def bench_args(
    description: str,
    rows: int,
    quick_rows: int,
    repeat: int = 3,
    extra: Callable[[argparse.ArgumentParser], None] | None = None,
) -> argparse.Namespace:
    """Parse the flags every benchmark script shares: ``--rows``, ``--repeat``, ``--quick``.

    ``--quick`` (a smoke test, well under 20 s) sets rows to ``quick_rows`` and repeat to 1 unless they
    are given explicitly; scripts then pass ``warmup=False`` so the single run is the timed one.
    """
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--rows", type=int, default=None, help=f"rows of data (default {rows:,})")
    parser.add_argument("--repeat", type=int, default=None, help=f"timed runs per case (default {repeat})")
    parser.add_argument(
        "--quick", action="store_true", help=f"smoke test: {quick_rows:,} rows, 1 run, no separate warm-up"
    )
    if extra is not None:
        extra(parser)
    args = parser.parse_args()
    if args.rows is None:
        args.rows = quick_rows if args.quick else rows
    if args.repeat is None:
        args.repeat = 1 if args.quick else repeat
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    return args


def machine_line() -> str:
    """One line describing the interpreter, cores and library versions, for the top of a report."""
    import platform
    from importlib import metadata

    versions = []
    for dist in ("pandas", "numpy", "polars", "duckdb", "pyarrow", "python-calamine", "openpyxl", "xlwings"):
        try:
            versions.append(f"{dist} {metadata.version(dist)}")
        except metadata.PackageNotFoundError:
            continue
    return f"Python {platform.python_version()}, {os.cpu_count()} cores; " + ", ".join(versions)


def _fmt_seconds(value: float) -> str:
    if value != value:  # NaN
        return "–"
    return f"{value:.3f} s" if value < 100 else f"{value:.1f} s"


def print_table(
    title: str, results: list[Result], reference: str | None = "xlseg", extra: dict[str, dict[str, str]] | None = None
) -> None:
    """Print a Markdown table: case, median, min, max, ratio of medians vs ``reference``, note.

    ``ratio`` is ``case median / reference median``: above 1 means the reference is faster. When the
    reference case is missing or failed, the ratio column is left out. ``extra`` adds columns:
    ``{column title: {case name: text}}``.
    """
    extra = extra or {}
    by_name = {r.case.name: r for r in results}
    ref = by_name.get(reference) if reference else None
    ref_median = ref.median if ref is not None and not ref.error and ref.times else None
    headers = ["case", "median", "min", "max"]
    if ref_median:
        headers.append(f"ratio vs {reference}")
    headers += list(extra) + ["note"]
    print(f"\n### {title}\n")
    print("| " + " | ".join(headers) + " |")
    print("|" + "|".join("---" if i == 0 else "---:" for i in range(len(headers) - 1)) + "|---|")
    for res in results:
        if res.error:
            cells = [res.case.name, "–", "–", "–"] + (["–"] if ref_median else [])
            cells += [extra[col].get(res.case.name, "") for col in extra]
            cells.append(f"**not ranked**: {res.error}")
        else:
            times = res.times or [float("nan")]
            cells = [res.case.name, _fmt_seconds(res.median), _fmt_seconds(min(times)), _fmt_seconds(max(times))]
            if ref_median:
                cells.append(f"{res.median / ref_median:.2f}×")
            cells += [extra[col].get(res.case.name, "") for col in extra]
            cells.append(res.case.note)
        print("| " + " | ".join(cells) + " |")
    runs = max((len(r.times) for r in results), default=0)
    print(f"\n{runs} timed run(s) per case, interleaved (after a warm-up run unless --quick). {machine_line()}")
