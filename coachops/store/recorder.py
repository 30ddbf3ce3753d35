"""What every recorder here shares: its tables, made once, and retrying through restarts."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any, TypeVar, cast

from eventsourcing.persistence import (
    ConnectionUnavailableError,
    InterfaceError,
    OperationalError,
    ProgrammingError,
)
from eventsourcing.utils import retry
from psycopg2 import sql

from coachops import migrations
from coachops.store.database import PostgresDatabase

# A restart of PostgreSQL takes a few seconds; ten tries half a second apart cover it.
RETRY_ATTEMPTS = 10
RETRY_WAIT = 0.5

_F = TypeVar("_F", bound=Callable[..., Any])


class _DoNotRetry(Exception):
    def __init__(self, error: Exception) -> None:
        super().__init__(error)
        self.error = error


def retried(method: _F) -> _F:
    """Retry on OperationalError/InterfaceError (a restart, a dropped connection) but not
    on pool exhaustion, an OperationalError too: the pool has already waited its timeout,
    and waiting again RETRY_ATTEMPTS times would turn seconds into minutes."""

    @retry((OperationalError, InterfaceError), max_attempts=RETRY_ATTEMPTS, wait=RETRY_WAIT)
    def attempt(*args: Any, **kwargs: Any) -> Any:
        try:
            return method(*args, **kwargs)
        except ConnectionUnavailableError as error:
            raise _DoNotRetry(error) from error

    @functools.wraps(method)
    def retrying(*args: Any, **kwargs: Any) -> Any:
        try:
            return attempt(*args, **kwargs)
        except _DoNotRetry as wrapped:
            raise wrapped.error from wrapped.error.__cause__

    return cast(_F, retrying)


class PostgresRecorder:
    MAX_IDENTIFIER_LEN = 63  # PostgreSQL silently truncates longer names

    def __init__(self, database: PostgresDatabase) -> None:
        self.database = database
        # What ``create_table()`` runs, each with the step of the store's schema that
        # brought it (1: the tables of the first versioned release).
        self._create_statements: list[tuple[int, sql.Composable]] = []
        self._table_names: list[str] = []

    def _table(self, name: str) -> sql.Identifier:
        if len(name) > self.MAX_IDENTIFIER_LEN:
            raise ProgrammingError(f"Identifier too long: {name}")
        return sql.Identifier(self.database.schema, name)

    def _creates(self, name: str, columns: str, step: int = 1) -> sql.Identifier:
        """The table ``name`` in this schema, which ``create_table()`` makes with ``columns``
        (a table a later release adds names the step of the store's schema it is)."""
        table = self._table(name)
        self._table_names.append(name)
        self._create_statements.append((step, sql.SQL(
            "CREATE TABLE IF NOT EXISTS {table} (" + columns + ")").format(table=table)))
        return table

    def _rows(self, query: sql.Composable, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        """The rows of a statement that only reads, run outside a transaction."""
        with self.database.read() as cursor:
            cursor.execute(query, params)
            return cursor.fetchall()

    @retried
    def create_table(self) -> None:
        with self.database.transaction() as cursor:
            # Several instances of a service may start at once, and concurrent
            # CREATE TABLE IF NOT EXISTS can still collide in the catalogue.
            cursor.execute(
                "SELECT pg_advisory_xact_lock(hashtext(%s))",
                (f"coachops.store:{self.database.schema}",),
            )
            # Made on every call, as eventsourcing's recorders promise (and its tests
            # check, dropping tables between tests); the recorder's versions are recorded
            # (``store:schema.table``, step 1 the same statements) so later steps run once.
            for _, statement in self._create_statements:
                cursor.execute(statement)
            steps = [";\n".join(s.as_string(cursor.connection)
                                for n, s in self._create_statements if n == step)
                     for step in range(1, max(n for n, _ in self._create_statements) + 1)]
            migrations.apply(cursor, migrations.Migrations.of(
                f"{migrations.STORE}{self.database.schema}.{self._table_names[0]}",
                *((migrations.STORE_STEPS[n], statements) for n, statements in enumerate(steps))))
