"""Which roster imports a live process is running, across every instance of this service.

A process running an import holds a PostgreSQL advisory lock on it, on a connection of its
own, for as long as the import runs. The database drops the lock with the connection when
the process dies (killed, out of memory, its machine gone), so an import still open in the
store whose lock anyone can take has lost its process: nothing of it was saved (its changes
and its end are one transaction) and it is failed rather than left "running".

Without PostgreSQL (the library's in-memory store of the unit tests) the process keeps the
set itself: there is no other process.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Protocol
from uuid import UUID

from coachops.store import PostgresDatabase

LOCKS = 0x524F  # "RO": the first key of every import's lock, apart from other locks


def _key(import_id: UUID) -> int:
    return import_id.int & 0x7FFFFFFF  # the second key: an int4


class Runs(Protocol):
    def holding(self, import_id: UUID) -> AbstractContextManager[None]: ...

    def running(self, import_id: UUID) -> bool: ...


class InProcessRuns:
    def __init__(self) -> None:
        self.held: set[UUID] = set()

    @contextmanager
    def holding(self, import_id: UUID) -> Iterator[None]:
        self.held.add(import_id)
        try:
            yield
        finally:
            self.held.discard(import_id)

    def running(self, import_id: UUID) -> bool:
        return import_id in self.held


class PostgresRuns:
    def __init__(self, database: PostgresDatabase) -> None:
        self.database = database

    @contextmanager
    def holding(self, import_id: UUID) -> Iterator[None]:
        # Its own connection, not the pool's: the lock lasts as long as the run, and a pooled
        # connection would outlive it.
        connection = self.database._connect()
        try:
            connection.autocommit = True
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_lock(%s, %s)", (LOCKS, _key(import_id)))
            yield
        finally:
            connection.close()  # the lock goes with it

    def running(self, import_id: UUID) -> bool:
        with self.database.transaction(commit=False) as cursor:
            # Taken for this transaction only, and let go at once: only whether it is free.
            cursor.execute("SELECT pg_try_advisory_xact_lock(%s, %s)",
                           (LOCKS, _key(import_id)))
            row = cursor.fetchone()
        return not (row and row[0])
