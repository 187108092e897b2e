"""An Ibis backend for tests, registered as ``fakedb://`` when this folder is on ``PYTHONPATH``.

It behaves like a careless driver: its errors quote the connection URL with the password and the token, as some
drivers do. ``fakedb://USER:PASSWORD@HOST:PORT/DB?token=TOKEN`` connects (to an in-memory DuckDB) when PASSWORD is
``$FAKEDB_PASSWORD``; port 1 is a refused connection; any other password is refused as bad credentials.
"""

import os

import ibis


class OperationalError(Exception):
    """What the driver raises."""


class Backend:
    """The few members ``ibis.load_backend`` reads, and a ``_from_url`` that checks the credentials."""

    name = "fakedb"

    def register_options(self):
        pass

    def connect(self, *args, **kwargs):
        return self._from_url(*args, **kwargs)

    def do_connect(self, *args, **kwargs):
        """Connect."""

    def compile(self, expr):
        return ibis.to_sql(expr, dialect="duckdb")

    def has_operation(self, operation):
        return True

    def _from_url(self, url, **kwargs):
        dsn = f"{url.geturl()} (user {url.username}, password {url.password}, token {kwargs.get('token')})"
        if url.port == 1:
            raise OperationalError(f"connection to server at {url.hostname}, port 1 failed: Connection refused: {dsn}")
        if url.password != os.environ.get("FAKEDB_PASSWORD"):
            raise OperationalError(f'FATAL: password authentication failed for user "{url.username}": {dsn}')
        return ibis.duckdb.connect(threads=1, memory_limit="1GB")
