"""Inputs whose own engine aggregates: DuckDB (files past memory, relations, tables), Ibis expressions, Spark.

:func:`open_source` recognises such an input and wraps it as a :class:`Source`: an Ibis table expression
plus a way to run an expression and bring the (small) result back as a pandas DataFrame through Arrow.
Ibis is the portable layer: one expression compiles to DuckDB, Spark SQL, Postgres, BigQuery, Snowflake …
The heavy modules (ibis, duckdb, pyspark) are imported only here, and only for such inputs.

In-memory inputs (DataFrames, Excel ranges, small files with ``engine="auto"``) give ``None``: they are read
into pandas by :func:`xlseg.io.load.load_table` as before.
"""

from __future__ import annotations

import glob
import os
import tempfile
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xlseg.errors import XlsegError

AUTO_DUCKDB_BYTES = 512 * 1024**2  # engine="auto": files (together) above 512 MiB are aggregated by DuckDB
ENGINES = ("auto", "pandas", "duckdb")
_GLOB_CHARS = set("*?[")
_SOURCE_NAME = "xlseg_source"


@dataclass
class Source:
    """A table that an engine aggregates where it lives.

    Attributes:
        table: the Ibis table expression to aggregate.
        backend: the engine's name, for messages ("duckdb", "pyspark", …).
        run: runs an Ibis expression built on ``table`` and returns its result as a pandas DataFrame.
        name: a short description of the input (the file pattern, the table name) for the report.
        notes: what the source did to the data (said in the report's Summary).
        spill_quantiles: DuckDB: compute medians and percentiles from a sort that spills to disk rather than
            with ``QUANTILE_CONT`` (which keeps each group's values in memory); set when the rows cannot fit
            the memory limit, or after the first out-of-memory error (see :func:`xlseg.engine.pushdown._grouped`).
        memory_limit: DuckDB's memory limit in bytes when xlseg set it (files read with ``memory_limit``).
    """

    table: Any
    backend: str
    run: Callable[[Any], Any]
    name: str = "the table"
    notes: list[str] = field(default_factory=list)
    spill_quantiles: bool = False
    memory_limit: int | None = None  # DuckDB's memory limit in bytes when xlseg set it (files), else None

    @property
    def columns(self) -> list[str]:
        """The column names, in table order."""
        return list(self.table.columns)

    def aggregated_note(self) -> str:
        """The note every result computed on this source carries (the report's Summary, scan and gap notes)."""
        return (f"Aggregated by {self.backend} where the data lives; values used as stored (text not trimmed; "
                "NaN and ±infinity count as missing).")

    def execute(self, expr: Any) -> Any:
        """Run ``expr`` on the engine; an engine error becomes one line with the engine's own first line."""
        try:
            return self.run(expr)
        except XlsegError:
            raise
        except Exception as error:  # noqa: BLE001 - the engine's own message, one line (--debug shows the trace)
            message = _first_line(error)
            if "out of memory" in message.lower():
                message += " (exact distinct counts keep a group's values in memory; medians and percentiles" \
                           " spill to disk but need some room too: raise the memory limit, --memory-limit)"
            raise XlsegError(f"{self.backend} could not compute the aggregation: {message}") from error


def in_memory_only(source: Source, **options: object) -> None:
    """Refuse reading options (``na_values``, ``header_row``, ``tz``) that apply to tables read into memory,
    not to a source its own engine aggregates (they would be silently ignored)."""
    given = [name for name, value in options.items() if value is not None]
    if given:
        raise XlsegError(f"{', '.join(given)} apply to tables read into memory, not to a {source.backend} source; "
                         "clean the data there (or read it with engine='pandas')")


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith(("Traceback", "at ", "org.apache", "py4j")):
            return line[:300]
    return type(error).__name__


def open_source(data: object, *, engine: str = "auto", memory_limit: str | None = None) -> Source | None:
    """A :class:`Source` for inputs aggregated by their own engine, or ``None`` for in-memory inputs.

    Recognised: a DuckDB relation, ``(duckdb connection, "table name")``, an Ibis table expression, a PySpark
    DataFrame, and a path or glob of Parquet/CSV files when ``engine="duckdb"`` (or ``"auto"`` and the files
    together exceed :data:`AUTO_DUCKDB_BYTES`, or the pattern is a glob). ``memory_limit`` (e.g. ``"1GB"``) is
    passed to DuckDB for files.
    """
    if isinstance(data, Source):
        return data
    if engine not in ENGINES:
        raise XlsegError(f"engine must be auto, pandas or duckdb, not '{engine}'")
    if isinstance(data, (str, os.PathLike)):
        return _file_source(str(data), engine, memory_limit)
    module = _module(data)
    if module == "duckdb" and type(data).__name__ == "DuckDBPyRelation":
        return _relation_source(data)
    if isinstance(data, tuple) and len(data) == 2 and _module(data[0]) == "duckdb":
        return _duckdb_table_source(data[0], str(data[1]))
    if module == "ibis" and hasattr(data, "schema") and hasattr(data, "group_by"):
        return _ibis_source(data)
    if module == "pyspark" and hasattr(data, "sparkSession"):
        return _spark_source(data)
    return None


def _module(value: object) -> str:
    """The top-level package of ``value``'s type, without a leading underscore (``_duckdb`` → ``duckdb``)."""
    return type(value).__module__.split(".")[0].lstrip("_")


def _file_source(path: str, engine: str, memory_limit: str | None) -> Source | None:
    is_glob = bool(_GLOB_CHARS & set(path))
    if engine == "pandas":
        if is_glob:
            raise XlsegError(f"'{path}' is a pattern of several files; read it with engine duckdb (--engine duckdb)")
        return None
    suffix = Path(path).suffix.lower()
    if suffix not in (".parquet", ".csv"):
        if engine == "duckdb":
            raise XlsegError(f"engine duckdb reads .parquet and .csv files, not '{Path(path).name}'")
        return None
    files = sorted(glob.glob(path)) if is_glob else [path]
    if not files or not all(os.path.exists(f) for f in files):
        if is_glob:
            raise XlsegError(f"no file matches '{path}'")
        return None  # the usual "file not found" of the reader
    if engine == "auto" and not is_glob and sum(os.path.getsize(f) for f in files) <= AUTO_DUCKDB_BYTES:
        return None
    import duckdb

    # spill files go to the system's temp folder, not to a ".tmp" folder in the user's working directory
    config = {"temp_directory": os.path.join(tempfile.gettempdir(), "xlseg-duckdb")}
    if memory_limit:
        config["memory_limit"] = memory_limit
    try:
        connection = duckdb.connect(config=config)
    except duckdb.Error as error:
        raise XlsegError(f"duckdb did not accept the memory limit '{memory_limit}': {_first_line(error)}") from None
    try:
        relation = connection.read_parquet(files) if suffix == ".parquet" else connection.read_csv(files)
    except duckdb.Error as error:
        raise XlsegError(f"duckdb could not read '{path}': {_first_line(error)}") from error
    source = _relation_source(relation)
    source.name = Path(path).name
    source.memory_limit = _bytes(memory_limit)
    return source


def _bytes(size: str | None) -> int | None:
    """``"1GB"``, ``"512 MiB"`` … in bytes (None when absent or not in that form; DuckDB checked it already)."""
    import re

    found = re.fullmatch(r"\s*([0-9.]+)\s*([kmgt]?)(i?)b?\s*", (size or "").lower())
    if not found:
        return None
    power = " kmgt".index(found.group(2) or " ")
    return int(float(found.group(1)) * (1024 if found.group(3) else 1000) ** power)


def _to_pandas(expr: Any) -> Any:
    return expr.to_pyarrow().to_pandas()


def _relation_source(relation: Any) -> Source:
    import ibis

    schema = ibis.Schema.from_pyarrow(relation.limit(0).to_arrow_table().schema)
    table = ibis.table(schema, name=_SOURCE_NAME)

    def run(expr: Any) -> Any:
        sql = ibis.to_sql(expr, dialect="duckdb")
        return relation.query(_SOURCE_NAME, str(sql)).to_arrow_table().to_pandas()

    return Source(table, "duckdb", run, name="a DuckDB relation")


def _duckdb_table_source(connection: Any, name: str) -> Source:
    import duckdb

    try:
        relation = connection.table(name)
    except duckdb.Error as error:
        raise XlsegError(f"duckdb has no table '{name}': {_first_line(error)}") from None
    source = _relation_source(relation)
    source.name = name
    return source


def _ibis_source(table: Any) -> Source:
    try:
        backend = table.get_backend().name
    except Exception:  # noqa: BLE001 - an unbound expression has no backend
        raise XlsegError("the Ibis table is not bound to a backend; build it from a connection "
                         "(ibis.duckdb.connect(), ibis.pyspark.connect(session), …)") from None
    return Source(table, backend, _to_pandas if backend != "pyspark" else _spark_to_pandas, name="an Ibis table")


def _spark_source(frame: Any) -> Source:
    import uuid

    import ibis

    session = frame.sparkSession
    view = f"xlseg_{uuid.uuid4().hex[:12]}"
    frame.createOrReplaceTempView(view)
    backend = ibis.pyspark.connect(session)
    return Source(backend.table(view), "pyspark", _spark_to_pandas, name="a Spark DataFrame")


def _spark_to_pandas(expr: Any) -> Any:
    """Spark results through Arrow (PySpark warns that pandas 3 is not fully supported; Arrow → pandas is
    done by pyarrow, tested in tests/test_engines.py)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas", category=FutureWarning)
        return expr.to_pyarrow().to_pandas()
