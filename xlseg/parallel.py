"""Run independent per-column jobs in threads when the table is large enough to pay for them.

numpy ufuncs, ``np.bincount`` (in part) and pyarrow's hashing release the GIL, so on a multi-core
machine two columns are cleaned or aggregated at once. Small tables stay on one thread: the pool
costs more than it saves there. Results come back in input order, and the first job to fail
raises its own error, as a plain loop would. Jobs run in a copy of the caller's context variables.
"""

from __future__ import annotations

import contextvars
import os
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

PARALLEL_ROWS = 100_000  # from this many rows, per-column jobs run in threads

Item = TypeVar("Item")
Result = TypeVar("Result")


def map_columns(job: Callable[[Item], Result], items: Iterable[Item], rows: int) -> list[Result]:
    """``[job(item) for item in items]``, in threads (one per core) when ``rows`` is large."""
    items = list(items)
    workers = min(len(items), os.cpu_count() or 1)
    if rows < PARALLEL_ROWS or workers < 2:
        return [job(item) for item in items]
    contexts = [contextvars.copy_context() for _ in items]  # each job sees the caller's context (e.g. the face)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(lambda context, item: context.run(job, item), contexts, items))
