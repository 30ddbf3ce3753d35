"""The connection pool under ``PostgresDatabase``: bounded, and its callers wait for a connection.

Built only from ``threading`` primitives, looked up when a pool is made (after
``eventlet.monkey_patch()``), so under nameko waiting yields to other green threads.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from time import monotonic

import psycopg2
from eventsourcing.persistence import ConnectionPoolClosedError, ConnectionUnavailableError
from psycopg2.extensions import (
    TRANSACTION_STATUS_IDLE,
    TRANSACTION_STATUS_INERROR,
    TRANSACTION_STATUS_INTRANS,
)
from psycopg2.extensions import connection as Connection


class ConnectionPool:
    """A bounded pool whose callers wait (up to ``timeout``) when every connection is out.

    psycopg2's own pools raise instead of waiting, which under load turns a short queue
    into failed requests.
    """

    def __init__(self, connect: Callable[[], Connection], size: int, timeout: float) -> None:
        if size < 1:
            raise ValueError(f"pool_size must be at least 1, not {size}")
        self._connect = connect
        self._size = size
        self._timeout = timeout
        self._idle: deque[Connection] = deque()
        self._opened = 0  # idle + in use: what counts against the bound
        self._changed = threading.Condition()
        self._closed = False

    def acquire(self) -> Connection:
        deadline = monotonic() + self._timeout
        with self._changed:
            while True:
                if self._closed:
                    raise ConnectionPoolClosedError("the database has been closed")
                if self._idle:
                    return self._idle.pop()  # most recently used: likeliest still alive
                if self._opened < self._size:
                    self._opened += 1  # reserve the slot; connect outside the lock
                    break
                remaining = deadline - monotonic()
                if remaining <= 0:
                    raise ConnectionUnavailableError(
                        f"no connection free in the pool of {self._size}"
                        f" after waiting {self._timeout:g}s"
                    )
                self._changed.wait(remaining)
        try:
            return self._connect()
        except BaseException:
            self._forget(1)
            raise

    def release(self, conn: Connection) -> None:
        """Return ``conn`` for reuse, or close it if it is broken or mid-statement."""
        if _reusable(conn):
            with self._changed:
                if not self._closed:
                    self._idle.append(conn)
                    self._changed.notify()
                    return
        # A connection the server dropped means the others idle beside it (opened before
        # the same restart) are most likely dead too: close them now rather than make the
        # next callers find out one failed statement at a time.
        stale = self._drain_idle() if conn.closed else []
        for dead in (conn, *stale):
            dead.close()
        self._forget(1 + len(stale))

    def close(self) -> None:
        with self._changed:
            self._closed = True
            self._changed.notify_all()
        # Connections still in use are closed when they come back (release sees _closed).
        for conn in self._drain_idle():
            conn.close()

    def _drain_idle(self) -> list[Connection]:
        with self._changed:
            idle = list(self._idle)
            self._idle.clear()
            self._opened -= len(idle)
            self._changed.notify_all()
        return idle

    def _forget(self, count: int) -> None:
        with self._changed:
            self._opened -= count
            self._changed.notify(count)


def _reusable(conn: Connection) -> bool:
    if conn.closed:
        return False
    status = conn.get_transaction_status()
    if status in (TRANSACTION_STATUS_INTRANS, TRANSACTION_STATUS_INERROR):
        try:
            conn.rollback()
        except psycopg2.Error:
            return False
        status = conn.get_transaction_status()
    # ACTIVE means a statement is still running, e.g. a green thread was killed while
    # waiting on it; UNKNOWN means the connection is bad. Neither can be handed out again.
    return status == TRANSACTION_STATUS_IDLE
