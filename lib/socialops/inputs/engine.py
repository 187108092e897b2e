"""Connecting to the engine that runs the heavy work: DuckDB (default), Spark, or any Ibis backend by URL."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

import ibis

DEFAULT_THREADS = 2
DEFAULT_MEMORY_LIMIT = "4GB"
_ENV_VAR = re.compile(r"\$(\w+)|\$\{(\w+)\}")


class EngineError(RuntimeError):
    """The requested engine cannot be used (unknown name, missing package, credentials in the URL)."""


def resolve_threads(threads: int | None = None) -> int:
    """Return `threads`, else ``$SOCIALOPS_THREADS``, else 2."""
    if threads is None:
        threads = int(os.environ.get("SOCIALOPS_THREADS", DEFAULT_THREADS))
    if threads < 1:
        raise EngineError(f"threads must be at least 1, got {threads}")
    return threads


def resolve_memory_limit(memory_limit: str | None = None) -> str:
    """Return `memory_limit`, else ``$SOCIALOPS_MEMORY_LIMIT``, else ``"4GB"``."""
    return memory_limit or os.environ.get("SOCIALOPS_MEMORY_LIMIT") or DEFAULT_MEMORY_LIMIT


def connect(engine: str = "duckdb", *, threads: int | None = None, memory_limit: str | None = None):
    """Open an Ibis backend.

    Parameters
    ----------
    engine : str
        ``"duckdb"`` (in-memory, embedded), ``"spark"`` (PySpark, in local mode on `threads` cores unless
        ``$SOCIALOPS_SPARK_MASTER`` names another master such as ``spark://host:7077`` or ``yarn``; the driver gets
        `memory_limit`) or an Ibis connection URL such as
        ``"trino://user@host:8080/catalog/schema"``. A URL must not contain a password: write ``$NAME`` (or
        ``${NAME}``) and the value is taken from the environment variable ``NAME``; backends that read their own
        variables (``PGPASSWORD`` …) need nothing in the URL.
    threads : int, optional
        Worker threads for DuckDB and local Spark (default ``$SOCIALOPS_THREADS`` or 2), so that chapters run in
        parallel do not each take every core.
    memory_limit : str, optional
        Memory cap such as ``"4GB"`` (default ``$SOCIALOPS_MEMORY_LIMIT`` or 4GB); DuckDB spills to a temporary
        folder beyond it.

    Returns
    -------
    ibis.BaseBackend

    Raises
    ------
    EngineError
        For an unknown engine, a missing PySpark, or a URL carrying a literal password.
    """
    if engine == "duckdb":
        spill = Path(tempfile.gettempdir()) / f"socialops-duckdb-{os.getpid()}"
        return ibis.duckdb.connect(
            threads=resolve_threads(threads),
            memory_limit=resolve_memory_limit(memory_limit),
            temp_directory=str(spill),
        )
    if engine == "spark":
        return _connect_spark(resolve_threads(threads), resolve_memory_limit(memory_limit))
    if "://" in engine:
        return ibis.connect(_expand_url(engine))
    raise EngineError(f"unknown engine {engine!r}: use duckdb, spark, or an Ibis connection URL")


def _expand_url(url: str) -> str:
    """Refuse literal passwords, then fill ``$NAME`` placeholders from the environment."""
    password = urlsplit(url).password
    if password and not _ENV_VAR.fullmatch(password):
        raise EngineError(
            "the engine URL carries a password; put it in an environment variable and write $NAME in the URL"
        )

    def value(match: re.Match) -> str:
        name = match.group(1) or match.group(2)
        if name not in os.environ:
            raise EngineError(f"the engine URL refers to ${name}, which is not set in the environment")
        return os.environ[name]

    return _ENV_VAR.sub(value, url)


def _connect_spark(threads: int, memory_limit: str):
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:
        raise EngineError(
            "the spark engine needs PySpark and a Java runtime: `pip install 'pyspark>=3.5'` and, e.g., "
            "`apt-get install openjdk-17-jre-headless`"
        ) from exc
    # Spark writes sizes as 4g, not 4GB
    memory = re.sub(r"(?i)^(\d+)\s*([kmgt])i?b?$", lambda m: m.group(1) + m.group(2).lower(), memory_limit)
    master = os.environ.get("SOCIALOPS_SPARK_MASTER") or f"local[{threads}]"
    builder = (
        SparkSession.builder.master(master)
        .appName("socialops")
        .config("spark.driver.memory", memory)
        # naive timestamps stay as written: no conversion through the machine's zone
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.showConsoleProgress", "false")
        # nothing is ever written beside the user's files
        .config("spark.sql.warehouse.dir", str(Path(tempfile.gettempdir()) / f"socialops-spark-{os.getpid()}"))
    )
    if master.startswith("local"):
        # Spark's default of 200 shuffle partitions is sized for a cluster; a few per core suit one machine
        builder = builder.config("spark.sql.shuffle.partitions", str(4 * threads))
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel(os.environ.get("SOCIALOPS_SPARK_LOG_LEVEL", "ERROR"))
    return ibis.pyspark.connect(session)
