"""A pooled psycopg2 PostgreSQL database, and psycopg2's errors as eventsourcing's.

The recorders write through it, and read models, the outbox relay and the gateway use it
for their own tables (``transaction()`` yields a psycopg2 cursor).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg2
from eventsourcing.persistence import (
    DatabaseError,
    DataError,
    IntegrityError,
    InterfaceError,
    InternalError,
    NotSupportedError,
    OperationalError,
    PersistenceError,
    ProgrammingError,
)
from psycopg2.extensions import connection as Connection
from psycopg2.extensions import cursor as Cursor

from coachops.store.pool import ConnectionPool

# Most specific first: psycopg2's classes form the same DB-API tree as eventsourcing's.
_TRANSLATIONS: tuple[tuple[type[psycopg2.Error], type[PersistenceError]], ...] = (
    (psycopg2.IntegrityError, IntegrityError),
    (psycopg2.OperationalError, OperationalError),
    (psycopg2.DataError, DataError),
    (psycopg2.ProgrammingError, ProgrammingError),
    (psycopg2.InternalError, InternalError),
    (psycopg2.NotSupportedError, NotSupportedError),
    (psycopg2.DatabaseError, DatabaseError),
    (psycopg2.InterfaceError, InterfaceError),
)


@contextmanager
def translate_errors() -> Iterator[None]:
    """Raise psycopg2 errors as the eventsourcing.persistence errors the library expects."""
    try:
        yield
    except psycopg2.Error as error:
        for source, target in _TRANSLATIONS:
            if isinstance(error, source):
                raise target(str(error).strip()) from error
        raise PersistenceError(str(error).strip()) from error


@contextmanager
def one_transaction(url: str) -> Iterator[Cursor]:
    """A cursor in one transaction on a connection of its own, committed on normal exit
    (rolled back on an error) and closed after: a tool's single piece of work, outside any
    pool, its errors psycopg2's."""
    connection = psycopg2.connect(url)
    try:
        with connection, connection.cursor() as cursor:
            yield cursor
    finally:
        connection.close()


class PostgresDatabase:
    """A pooled psycopg2 PostgreSQL database: ``url`` like postgresql://user[:pw]@host:port/db.

    Connections are opened lazily, at most ``pool_size`` at a time; a caller waits up to
    ``pool_timeout`` seconds for one. Inside ``connection()`` and ``transaction()`` psycopg2
    errors are raised as eventsourcing.persistence errors (chained to the original).
    """

    def __init__(
        self,
        url: str,
        *,
        pool_size: int = 5,
        schema: str = "public",
        connect_timeout: float = 5.0,
        pool_timeout: float = 30.0,
    ) -> None:
        self.url = url
        self.pool_size = pool_size
        self.schema = schema.strip() or "public"
        # libpq takes whole seconds. (Under eventlet psycopg2 connects asynchronously and
        # libpq ignores connect_timeout then; a dead host is still bounded by TCP timeouts.)
        self._connect_args: dict[str, Any] = {"connect_timeout": math.ceil(connect_timeout)}
        if self.schema != "public":
            # Unqualified names in callers' own SQL land beside the recorders' tables.
            self._connect_args["options"] = f"-c search_path={self.schema}"
        self._pool = ConnectionPool(self._connect, pool_size, pool_timeout)

    def _connect(self) -> Connection:
        """A new connection, outside the pool (the pool and LISTEN subscriptions use this)."""
        connection: Connection = psycopg2.connect(self.url, **self._connect_args)
        return connection

    @contextmanager
    def connection(self) -> Iterator[Connection]:
        """A pooled connection (autocommit off); rolled back if returned mid-transaction."""
        with translate_errors():
            conn = self._pool.acquire()
        try:
            with translate_errors():
                yield conn
        finally:
            self._pool.release(conn)

    @contextmanager
    def transaction(self, commit: bool = True) -> Iterator[Cursor]:
        """A cursor in a transaction: committed on normal exit when ``commit``, else rolled
        back (``connection()`` rolls back whatever an exception leaves open)."""
        with self.connection() as conn, conn.cursor() as cursor:
            yield cursor
            if commit:
                conn.commit()
            else:
                conn.rollback()

    @contextmanager
    def read(self) -> Iterator[Cursor]:
        """A cursor for statements that only read, run outside a transaction (autocommit):
        one round trip each, where a transaction adds a BEGIN and a ROLLBACK to every one.
        Each statement sees its own snapshot, so use it for one statement at a time."""
        with self.connection() as conn:
            conn.autocommit = True
            try:
                with conn.cursor() as cursor:
                    yield cursor
            finally:
                if not conn.closed:
                    conn.autocommit = False

    def close(self) -> None:
        self._pool.close()

    def __repr__(self) -> str:
        return f"<PostgresDatabase {self.schema} pool_size={self.pool_size}>"  # no password
