"""Run independent per-column jobs in threads when the table is large enough to pay for them.

numpy ufuncs, ``np.bincount`` (in part) and pyarrow's hashing release the GIL, so on a multi-core
machine two columns are cleaned or aggregated at once. Small tables stay on one thread: the pool
costs more than it saves there. Results come back in input order, and the first job to fail
raises its own error, as a plain loop would.

Where Python cannot start threads — Pyodide, which runs xlwings Lite in the browser, has neither
threads nor processes — every job runs in the calling thread: :func:`threads_available` finds that
out at run time (once) by starting a thread, and the other modules that would use a thread (the .xlsx
read in :mod:`xlseg.io.readers` and :mod:`xlseg.io.xlsx_fast`) ask it too.
raises its own error, as a plain loop would. Jobs run in a copy of the caller's context variables.
"""

from __future__ import annotations

import contextvars
import functools
import os
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

PARALLEL_ROWS = 100_000  # from this many rows, per-column jobs run in threads

Item = TypeVar("Item")
Result = TypeVar("Result")


@functools.cache
def threads_available() -> bool:
    """Whether this Python can start a thread (not under Pyodide / xlwings Lite); tried once, then remembered."""
    try:
        probe = threading.Thread(target=lambda: None, name="xlseg-probe", daemon=True)
        probe.start()
    except RuntimeError:  # Pyodide: "can't start new thread"
        return False
    probe.join()
    return True


def map_columns(job: Callable[[Item], Result], items: Iterable[Item], rows: int) -> list[Result]:
    """``[job(item) for item in items]``, in threads (one per core) when ``rows`` is large and threads exist."""
    items = list(items)
    workers = min(len(items), os.cpu_count() or 1)
    if rows < PARALLEL_ROWS or workers < 2 or not threads_available():
        return [job(item) for item in items]
    contexts = [contextvars.copy_context() for _ in items]  # each job sees the caller's context (e.g. the face)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(lambda context, item: context.run(job, item), contexts, items))
