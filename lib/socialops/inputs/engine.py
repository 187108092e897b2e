"""Connecting to the engine that runs the heavy work: DuckDB (default), Spark, or any Ibis backend by URL.

Secrets stay in the environment: a URL names them as ``$NAME`` placeholders, a literal password is refused, and a
URL is only ever shown redacted (`redact`). Every failure to connect is re-worded with the redacted URL and the
driver's message scrubbed of the values the placeholders stood for.
"""

from __future__ import annotations

import os
import re
import tempfile
from importlib.metadata import entry_points
from pathlib import Path
from urllib.parse import parse_qsl, quote, urlsplit

import ibis

DEFAULT_THREADS = 2
DEFAULT_MEMORY_LIMIT = "4GB"
#: Engine memory, in MB, that the chapters of one run share when ``$SOCIALOPS_MEMORY_LIMIT`` does not set each
#: chapter's: chapters side by side must not each take a whole engine's worth (measured at 100M events, two
#: chapters at 900 MB each keep the run's process tree under 4 GiB and finish in about the same time).
RUN_MEMORY_MB = 1800
#: What a secret is replaced by wherever a URL is shown.
REDACTED = "***"
#: The engine URL as written (placeholders, never their values) for the chapters' processes, which are handed it
#: redacted as a parameter (see `for_chapters`).
ENGINE_URL_ENV = "SOCIALOPS_ENGINE_URL"
_ENV_VAR = re.compile(r"\$(\w+)|\$\{(\w+)\}")
# the password of a URL runs to its last @ (an unencoded @ or / inside it must not leave a part of it showing)
_USERINFO = re.compile(r"(?P<head>\b[A-Za-z][A-Za-z0-9+.\-]*://[^\s:/@]*):\S*@")
_SECRET_KEY = re.compile(r"pass|pwd|token|secret|key|auth|cred|sig", re.IGNORECASE)
_QUERY_VALUE = re.compile(r"(?P<key>[?&;](?P<name>[^=&#;\s]+)=)(?P<value>[^&#;\s]*)")


class EngineError(RuntimeError):
    """The requested engine cannot be used; the message shows the URL redacted.

    Raised for an unknown name or scheme, a missing driver, a refused connection or credentials in the URL.
    """


def redact(text: str) -> str:
    """`text` with the password of every URL in it, and query values whose name looks secret, replaced by ``***``.

    Parameters
    ----------
    text : str
        A URL, or any message that may quote one.

    Returns
    -------
    str
        For example ``postgres://analyst:***@host/db?sslmode=require&token=***``.
    """
    text = _USERINFO.sub(lambda m: f"{m['head']}:{REDACTED}@", text)
    return _QUERY_VALUE.sub(
        lambda m: m["key"] + REDACTED if _SECRET_KEY.search(m["name"]) else m[0], text)


def for_chapters(engine: str) -> str:
    """The ``engine`` parameter as chapter processes receive it: redacted, so no notebook or JSON holds a secret.

    When redaction changes the URL, the URL as written goes to ``$SOCIALOPS_ENGINE_URL``, which the chapters'
    processes inherit and `connect` reads back in place of the redacted one.

    Parameters
    ----------
    engine : str
        ``duckdb``, ``spark`` or a URL as the user wrote it.

    Returns
    -------
    str
    """
    shown = redact(engine)
    if shown != engine:
        os.environ[ENGINE_URL_ENV] = engine
    return shown


def resolve_threads(threads: int | None = None) -> int:
    """Return `threads`, else ``$SOCIALOPS_THREADS``, else 2."""
    if threads is None:
        text = os.environ.get("SOCIALOPS_THREADS", str(DEFAULT_THREADS))
        if not text.strip().isdigit():
            raise EngineError(f"SOCIALOPS_THREADS must be a whole number, not {text!r}")
        threads = int(text)
    if threads < 1:
        raise EngineError(f"threads must be at least 1, got {threads}")
    return threads


def resolve_memory_limit(memory_limit: str | None = None) -> str:
    """Return `memory_limit`, else ``$SOCIALOPS_MEMORY_LIMIT``, else ``"4GB"``."""
    return memory_limit or os.environ.get("SOCIALOPS_MEMORY_LIMIT") or DEFAULT_MEMORY_LIMIT


def memory_share(parallel: int) -> str | None:
    """Each chapter's engine memory when `parallel` chapters run side by side, or None when the environment sets it.

    Parameters
    ----------
    parallel : int
        Chapters running at once.

    Returns
    -------
    str or None
        :data:`RUN_MEMORY_MB` divided among them (``"900MB"`` for two), for ``$SOCIALOPS_MEMORY_LIMIT``; None when
        that variable is set already, so that a user's setting stands for each chapter.
    """
    if os.environ.get("SOCIALOPS_MEMORY_LIMIT"):
        return None
    return f"{RUN_MEMORY_MB // max(1, parallel)}MB"


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
        For an unknown engine or URL scheme, a missing PySpark or backend driver, a URL carrying a literal
        password, or a connection that fails; the message names the URL redacted.
    """
    if engine == "duckdb":
        return _connect_duckdb(resolve_threads(threads), resolve_memory_limit(memory_limit))
    if engine == "spark":
        return _connect_spark(resolve_threads(threads), resolve_memory_limit(memory_limit))
    if "://" in engine:
        return _connect_url(_as_written(engine))
    raise EngineError(f"unknown engine {redact(engine)!r}: use duckdb, spark, or an Ibis connection URL")


def _connect_duckdb(threads: int, memory_limit: str):
    spill = Path(tempfile.gettempdir()) / f"socialops-duckdb-{os.getpid()}"
    try:
        # extensions come from the installed packages only: DuckDB never downloads one while a chapter runs
        return ibis.duckdb.connect(threads=threads, memory_limit=memory_limit, temp_directory=str(spill),
                                   autoinstall_known_extensions=False)
    except Exception as exc:  # a memory limit DuckDB cannot read, a spill folder it cannot make
        raise EngineError(f"cannot start DuckDB (threads {threads}, memory limit {memory_limit}): "
                          f"{_scrubbed(exc, [])}") from None


#: The environment variables that give DuckDB its object-storage settings (the AWS SDK's own names).
S3_ENV = {"KEY_ID": "AWS_ACCESS_KEY_ID", "SECRET": "AWS_SECRET_ACCESS_KEY", "SESSION_TOKEN": "AWS_SESSION_TOKEN",
          "REGION": "AWS_REGION"}


def httpfs_path() -> Path:
    """The httpfs extension of the installed ``duckdb-extension-httpfs`` package, built for this DuckDB.

    Raises
    ------
    EngineError
        When the package is missing or holds no build for the installed DuckDB version.
    """
    import duckdb

    try:
        import duckdb_extension_httpfs
    except ImportError:
        raise EngineError("reading s3:// or https:// with DuckDB needs its httpfs extension: "
                          f"pip install duckdb-extension-httpfs=={duckdb.__version__}") from None
    path = Path(duckdb_extension_httpfs.__file__).parent / "extensions" / f"v{duckdb.__version__}" / \
        "httpfs.duckdb_extension"
    if not path.is_file():
        raise EngineError(f"the installed duckdb-extension-httpfs has no build for DuckDB {duckdb.__version__}: "
                          f"pip install duckdb-extension-httpfs=={duckdb.__version__}")
    return path


def load_httpfs(con) -> None:
    """Make a DuckDB backend read object storage: httpfs loaded from its package, S3 settings from the environment.

    The credentials and region come from ``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``, ``AWS_SESSION_TOKEN``
    and ``AWS_REGION`` (or ``AWS_DEFAULT_REGION``); ``AWS_ENDPOINT_URL`` names an S3-compatible server other
    than AWS (``http://127.0.0.1:9000``: path-style URLs, TLS as its scheme says). Nothing is downloaded.

    Parameters
    ----------
    con : ibis DuckDB backend
    """
    from socialops.inputs.readers import sql_string

    con.raw_sql(f"LOAD {sql_string(str(httpfs_path()))}")
    settings = {key: os.environ[name] for key, name in S3_ENV.items() if os.environ.get(name)}
    if "REGION" not in settings and os.environ.get("AWS_DEFAULT_REGION"):
        settings["REGION"] = os.environ["AWS_DEFAULT_REGION"]
    endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
    if endpoint:
        parts = urlsplit(endpoint)
        settings |= {"ENDPOINT": parts.netloc or parts.path, "URL_STYLE": "path",
                     "USE_SSL": "false" if parts.scheme == "http" else "true"}
    if settings:
        fields = ", ".join(f"{key} {value if key == 'USE_SSL' else sql_string(value)}"
                           for key, value in settings.items())
        con.raw_sql(f"CREATE OR REPLACE TEMPORARY SECRET socialops_s3 (TYPE s3, {fields})")


def _as_written(url: str) -> str:
    """The URL as the user wrote it: a redacted one is looked up in ``$SOCIALOPS_ENGINE_URL``."""
    if REDACTED not in url:
        return url
    written = os.environ.get(ENGINE_URL_ENV, "")
    if written and redact(written) == url:
        return written
    raise EngineError(
        f"the engine URL {url} is shown redacted: give it as written (with $NAME for its secrets), or set "
        f"{ENGINE_URL_ENV} to it"
    )


def _connect_url(url: str):
    """Connect by URL; every failure becomes an `EngineError` naming the URL redacted."""
    shown = redact(url)
    expanded, secrets = _expand_url(url)
    _load_backend(_scheme(url), shown)
    if _scheme(url) == "postgres":
        _cast_booleans_through_int()
    try:
        return ibis.connect(expanded)
    except Exception as exc:
        # `from None`: the driver's own exception, which may quote the secret, is not chained into a traceback
        raise EngineError(f"cannot connect to {shown}: {_scrubbed(exc, secrets)}") from None


def _cast_booleans_through_int() -> None:
    """Let the PostgreSQL backend count booleans: PostgreSQL casts a boolean to ``int`` but not to ``bigint``.

    Ibis writes ``CAST(flag AS BIGINT)`` for ``flag.cast("int64")``, which every other engine accepts; the
    chapters' counts of true values are written that way. The cast goes through ``int`` instead (once per process).
    """
    from ibis.backends.sql.compilers.postgres import PostgresCompiler

    original = PostgresCompiler.visit_Cast
    if getattr(original, "through_int", False):
        return

    def visit_cast(self, op, *, arg, to):
        if op.arg.dtype.is_boolean() and to.is_integer() and not to.is_int32():
            return self.cast(self.cast(arg, ibis.dtype("int32")), to)
        return original(self, op, arg=arg, to=to)

    visit_cast.through_int = True
    PostgresCompiler.visit_Cast = PostgresCompiler.visit_TryCast = visit_cast


def _scheme(url: str) -> str:
    """The backend a URL names, as ibis resolves it (``postgresql`` is ``postgres``)."""
    scheme = url.partition("://")[0].lower()
    return "postgres" if scheme == "postgresql" else scheme


def _load_backend(scheme: str, shown: str) -> None:
    """Refuse an unknown scheme and name the package to install for a backend whose driver is missing."""
    if scheme == "file":  # ibis opens a local .duckdb, .sqlite, .csv or .parquet file with DuckDB or SQLite
        return
    known = sorted({ep.name for ep in entry_points(group="ibis.backends")})
    if scheme not in known:
        raise EngineError(
            f"unknown engine scheme {scheme}:// in {shown}: use duckdb, spark, or a URL of an Ibis backend "
            f"({', '.join(known)})"
        )
    try:
        getattr(ibis, scheme)
    except ImportError:
        raise EngineError(
            f"the {scheme} engine needs its driver, which is not installed: pip install 'ibis-framework[{scheme}]'"
        ) from None


def _expand_url(url: str) -> tuple[str, list[str]]:
    """Refuse literal passwords, then fill ``$NAME`` placeholders from the environment.

    Returns the URL to connect with and the secrets it holds (the placeholders' values and literal query values
    whose name looks secret), which a driver's error message must not show.
    """
    try:
        password = urlsplit(url).password
    except ValueError:  # a malformed host; ibis will say what is wrong with it
        password = None
    if password and not _ENV_VAR.fullmatch(password):
        # the URL is not quoted: a literal password may hold characters that would defeat its redaction
        raise EngineError(
            "the engine URL carries a password; put it in an environment variable and write $NAME in the URL"
        )
    secrets = [value for name, value in parse_qsl(urlsplit(url).query) if _SECRET_KEY.search(name)]

    def value(match: re.Match) -> str:
        name = match.group(1) or match.group(2)
        if name not in os.environ:
            raise EngineError(f"the engine URL refers to ${name}, which is not set in the environment")
        secrets.append(os.environ[name])
        return os.environ[name]

    return _ENV_VAR.sub(value, url), secrets


def _scrubbed(exc: Exception, secrets: list[str]) -> str:
    """The first line of a driver's error, without the secrets (as written or URL-encoded) or URL passwords."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    text = lines[0] if lines else type(exc).__name__
    forms = {form for secret in secrets if secret for form in (secret, quote(secret, safe=""))}
    for form in sorted(forms, key=len, reverse=True):  # a secret inside a longer one is replaced after it
        text = text.replace(form, REDACTED)
    return redact(text)


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
    try:
        session = builder.getOrCreate()
    except Exception as exc:  # no Java runtime, or a master that does not answer
        raise EngineError(f"cannot start Spark on {redact(master)}: {_scrubbed(exc, [])}") from None
    session.sparkContext.setLogLevel(os.environ.get("SOCIALOPS_SPARK_LOG_LEVEL", "ERROR"))
    _bucket_timestamps_on_spark()
    return ibis.pyspark.connect(session)


#: Seconds in one unit of an interval, by the unit's short name.
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "D": 86400}


def _bucket_timestamps_on_spark() -> None:
    """Let the PySpark backend cut timestamps into periods (``ts.bucket(hours=2)``), which Ibis cannot compile there.

    The periods are counted from the epoch, as DuckDB's ``time_bucket`` counts them, so the crisis chapter's
    2-hour or 30-minute series are the same on both engines (once per process).
    """
    from ibis.backends.sql.compilers.pyspark import PySparkCompiler

    if getattr(PySparkCompiler.visit_TimestampBucket, "from_epoch", False):
        return

    def visit_bucket(self, op, *, arg, interval, offset):
        if offset is not None:
            raise NotImplementedError("a timestamp bucket with an offset is not supported on Spark")
        seconds = op.interval.value * _UNIT_SECONDS[op.interval.dtype.unit.short]
        start = self.f.unix_seconds(self.cast(arg, ibis.dtype("timestamp('UTC')")))
        return self.cast(self.f.timestamp_seconds(self.f.floor(start / seconds) * seconds), op.dtype)

    visit_bucket.from_epoch = True
    PySparkCompiler.visit_TimestampBucket = visit_bucket
