"""Which instance of a service relays its store's events: one at a time, by a PostgreSQL
session lock, and another within a poll when that one dies.

Every instance runs the outbox relay's thread, but only the one that holds the source's
advisory lock publishes; the others try to take it at every poll. The lock lives on a
connection of its own, outside the pool, so it lasts as long as the process: a process
killed (or a machine lost) closes its connection, PostgreSQL lets the lock go, and the next
instance to try takes it. The session asks PostgreSQL for TCP keepalives, so a machine that
vanishes without closing its connection is noticed within seconds, not hours. The relay's
``SKIP LOCKED`` row still guarantees one run at a time whatever an instance believes, so a
leadership held twice for a moment (a database restart) relays nothing twice.

Which instance holds it: ``relay_holder`` (its ``application_name`` in pg_stat_activity names
the host and the pid) and the gauge ``coachops_outbox_relay_leader``.
"""

from __future__ import annotations

import logging
import os
import socket
import time

from psycopg2.extensions import connection as Connection

from coachops import metrics
from coachops.store import PostgresDatabase

log = logging.getLogger(__name__)

# The first key of the relay's advisory lock ("rela"); the second is the source's hash.
RELAY_LOCKS = 0x72656C61
# How often the instance that holds the lock checks that its connection still does.
CHECK_SECONDS = 1.0
# Server-side TCP keepalives of the lock's session: a lost machine lets go in about 11s.
KEEPALIVES = {"tcp_keepalives_idle": 5, "tcp_keepalives_interval": 2, "tcp_keepalives_count": 3}
NAME_PREFIX = "coachops relay"


def holder_name(source: str) -> str:
    return f"{NAME_PREFIX} {source} {socket.gethostname()} pid {os.getpid()}"


class RelayLeadership:
    """Whether this process relays ``source``: ``held()`` takes the lock when it is free.

    Its connection stays open while the process tries (one per instance and source), so a
    try is one statement, not a new session every poll."""

    def __init__(self, database: PostgresDatabase, source: str) -> None:
        self.database = database
        self.source = source
        self._connection: Connection | None = None
        self._held = False
        self._checked = 0.0
        metrics.RELAY_LEADER.labels(source).set(0)

    def held(self) -> bool:
        if self._held and time.monotonic() - self._checked < CHECK_SECONDS:
            return True
        connection = self._open()  # failing to connect: raised, the relay backs off
        try:
            with connection.cursor() as cursor:
                if self._held:  # still its own while its session lives
                    cursor.execute("SELECT 1")
                else:
                    cursor.execute("SELECT pg_try_advisory_lock(%s, hashtext(%s))",
                                   (RELAY_LOCKS, self.source))
                    row = cursor.fetchone()
                    if not (row and row[0]):
                        return False
        except Exception:
            # The database restarted or the connection broke: the lock went with it.
            log.warning("lost the %s relay's lock connection", self.source, exc_info=True)
            self.release()
            return False
        if not self._held:
            self._held = True
            metrics.RELAY_LEADER.labels(self.source).set(1)
            log.info("this instance now relays %s's events", self.source)
        self._checked = time.monotonic()
        return True

    def _open(self) -> Connection:
        if self._connection is None:
            connection = self.database._connect()  # outside the pool: the lock lasts with it
            try:
                connection.autocommit = True
                with connection.cursor() as cursor:
                    cursor.execute("SELECT set_config('application_name', %s, false)",
                                   (holder_name(self.source),))
                    for name, value in KEEPALIVES.items():
                        cursor.execute("SELECT set_config(%s, %s, false)", (name, str(value)))
            except BaseException:
                connection.close()
                raise
            self._connection = connection
        return self._connection

    def release(self) -> None:
        connection, self._connection, self._held = self._connection, None, False
        metrics.RELAY_LEADER.labels(self.source).set(0)
        if connection is not None:
            try:
                connection.close()  # the lock goes with it
            except Exception:  # already broken
                log.debug("closing the relay's lock connection failed", exc_info=True)


def relay_holder(database: PostgresDatabase, source: str) -> str | None:
    """The ``application_name`` of the session holding ``source``'s relay (host and pid),
    or None when no instance holds it now."""
    with database.transaction(commit=False) as cursor:
        cursor.execute(
            "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a USING (pid)"
            " WHERE l.locktype = 'advisory' AND l.granted AND l.database ="
            " (SELECT oid FROM pg_database WHERE datname = current_database())"
            " AND l.classid = %s AND l.objid = (hashtext(%s)::bigint & 4294967295)::oid"
            " AND l.objsubid = 2",
            (RELAY_LOCKS, source))
        row = cursor.fetchone()
    return str(row[0]) if row else None
