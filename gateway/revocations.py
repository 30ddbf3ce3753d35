"""Revoked tokens, in the gateway's own database so that a revocation survives a restart
and every gateway instance honours it.

District IT revokes one token (by its id, the ``jti`` claim) or every token of a person
issued up to now (a lost phone, a person who left): ``python -m gateway.auth revoke``.

Every request is checked, so each gateway process keeps the list in memory instead of
asking the database each time (``RevocationList``). A revocation reaches it two ways:

- at once: the revoking transaction sends a notification (``NOTIFY``, delivered when it
  commits) carrying the revocation itself, which the gateway applies as it arrives;
- as a backstop: the gateway re-reads both tables every ``REFRESH_SECONDS`` (1 s), on the
  same connection, which also catches a notification lost with a dropped connection or a
  row written by hand.

So a revocation is refused by every running gateway within milliseconds of its commit,
and at the latest within two refresh periods (2 s) even if its notification is lost. A
gateway whose list has not been refreshed for ``STALE_SECONDS`` (its database is
unreachable) refuses every token with a 503, as it did when it could not query the
database, rather than let a revoked token through.

Revocations are never undone (a person's cut-off only moves later), so the list only
grows and a re-read merges into it; deleting a row by hand takes effect at the gateway's
next restart.
"""

from __future__ import annotations

import contextlib
import logging
import select
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

import eventlet
import psycopg2
from eventlet.event import Event
from werkzeug.exceptions import ServiceUnavailable

from coachops import migrations
from coachops.dependencies import Database
from coachops.store import PostgresDatabase

log = logging.getLogger(__name__)

DDL = """
CREATE TABLE IF NOT EXISTS revoked_tokens (
    token_id uuid PRIMARY KEY,
    revoked_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS revoked_people (
    person_id uuid PRIMARY KEY,
    issued_before timestamptz NOT NULL,  -- tokens issued at or before this are refused
    revoked_at timestamptz NOT NULL DEFAULT now()
);
-- Integration tokens district IT issued (``gateway.integration_tokens``), to list them;
-- the token itself is never kept. Revoking one also adds it to revoked_tokens.
CREATE TABLE IF NOT EXISTS integration_tokens (
    token_id uuid PRIMARY KEY,
    person_id uuid NOT NULL,
    sourced_id text NOT NULL,
    role text NOT NULL,
    scopes text[] NOT NULL,
    label text NOT NULL,
    issued_by uuid,  -- district IT's person in the console; NULL from the command line
    issued_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    revoked_at timestamptz
);
CREATE INDEX IF NOT EXISTS integration_tokens_by_person ON integration_tokens (person_id);
"""

# Step 1 is the tables as the release before migrations made them (DDL, idempotent).
MIGRATIONS = migrations.register("gateway.revocations", ("baseline", DDL))

CHANNEL = "coachops_revocations"
REFRESH_SECONDS = 1.0
STALE_SECONDS = 5.0
# How long a request waits for a gateway's first read of the list before its 503.
FIRST_READ_SECONDS = 5.0


@dataclass
class Revoked:
    """The revocations one gateway process knows of: only ever added to."""

    tokens: set[UUID] = field(default_factory=set)
    people: dict[UUID, datetime] = field(default_factory=dict)  # person -> issued_before

    def add_token(self, token_id: UUID) -> None:
        self.tokens.add(token_id)

    def add_person(self, person_id: UUID, issued_before: datetime) -> None:
        known = self.people.get(person_id)
        if known is None or issued_before > known:  # a cut-off never moves earlier
            self.people[person_id] = issued_before

    def apply(self, payload: str) -> None:
        """One notification's revocation (``notice_of_token``, ``notice_of_person``)."""
        kind, _, rest = payload.partition(" ")
        if kind == "token":
            self.add_token(UUID(rest))
        elif kind == "person":
            person, _, before = rest.partition(" ")
            self.add_person(UUID(person), datetime.fromisoformat(before))
        else:
            raise ValueError(f"not a revocation: {payload!r}")

    def is_revoked(self, token_id: UUID, person_id: UUID, issued_at: datetime) -> bool:
        before = self.people.get(person_id)
        return token_id in self.tokens or (before is not None and issued_at <= before)


def notice_of_token(token_id: UUID) -> str:
    return f"token {token_id}"


def notice_of_person(person_id: UUID, issued_before: datetime) -> str:
    return f"person {person_id} {issued_before.isoformat()}"


def create_tables(datastore: PostgresDatabase) -> None:
    with datastore.transaction() as cursor:
        migrations.apply(cursor, MIGRATIONS)


def revoke_token(datastore: PostgresDatabase, token_id: UUID) -> None:
    with datastore.transaction() as cursor:
        cursor.execute("INSERT INTO revoked_tokens (token_id) VALUES (%s) "
                       "ON CONFLICT DO NOTHING", (str(token_id),))
        cursor.execute("UPDATE integration_tokens SET revoked_at = now() "
                       "WHERE token_id = %s AND revoked_at IS NULL", (str(token_id),))
        cursor.execute("SELECT pg_notify(%s, %s)", (CHANNEL, notice_of_token(token_id)))


def revoke_person(datastore: PostgresDatabase, person_id: UUID, issued_before: datetime) -> None:
    # A later revocation widens the cut-off; an earlier one never narrows it.
    with datastore.transaction() as cursor:
        cursor.execute(
            "INSERT INTO revoked_people (person_id, issued_before) VALUES (%s, %s) "
            "ON CONFLICT (person_id) DO UPDATE SET issued_before = GREATEST("
            "revoked_people.issued_before, EXCLUDED.issued_before), revoked_at = now()",
            (str(person_id), issued_before))
        cursor.execute("SELECT pg_notify(%s, %s)",
                       (CHANNEL, notice_of_person(person_id, issued_before)))


def read_all(cursor: Any, into: Revoked) -> None:
    """Both tables, merged into ``into``."""
    cursor.execute("SELECT token_id FROM revoked_tokens")
    for (token_id,) in cursor.fetchall():
        into.add_token(UUID(str(token_id)))
    cursor.execute("SELECT person_id, issued_before FROM revoked_people")
    for person_id, issued_before in cursor.fetchall():
        into.add_person(UUID(str(person_id)), issued_before)


class Follower:
    """Keeps a ``Revoked`` in step with the database over one connection of its own
    (LISTEN holds it): notifications as they come, and a full re-read each refresh."""

    def __init__(self, datastore: PostgresDatabase, revoked: Revoked | None = None) -> None:
        self.datastore = datastore
        self.revoked = revoked if revoked is not None else Revoked()
        self.synced_at: float | None = None  # monotonic time of the last full re-read
        self.conn: Any = None

    def connect(self) -> None:
        """LISTEN first, then read: a revocation committed in between is in the read."""
        self.close()
        self.conn = self.datastore._connect()  # outside the pool: LISTEN keeps it
        self.conn.autocommit = True
        with self.conn.cursor() as cursor:
            cursor.execute(f"LISTEN {CHANNEL}")
        self.refresh()

    def refresh(self) -> None:
        with self.conn.cursor() as cursor:
            read_all(cursor, self.revoked)
        self.synced_at = time.monotonic()
        self._take_notifications()

    def wait(self, seconds: float) -> None:
        """Applies the notifications that arrive within ``seconds`` (returns at the first)."""
        readable, _, _ = select.select([self.conn], [], [], seconds)
        if readable:
            self.conn.poll()
        self._take_notifications()

    def _take_notifications(self) -> None:
        while self.conn.notifies:
            notice = self.conn.notifies.pop(0)
            try:
                self.revoked.apply(notice.payload)
            except ValueError:
                log.warning("ignored a notification on %s: %r", CHANNEL, notice.payload)

    def fresh(self, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        return self.synced_at is not None and now - self.synced_at < STALE_SECONDS

    def close(self) -> None:
        if self.conn is not None:
            with contextlib.suppress(psycopg2.Error):
                self.conn.close()
            self.conn = None


class RevocationList(Database):
    """The gateway's database, holding the revocations, and this process's copy of them
    (``is_revoked``), kept current by a thread of the service."""

    def __init__(self) -> None:
        super().__init__(schema=MIGRATIONS)
        self.follower: Follower | None = None
        self._first_read = Event()
        self._stopped = False

    def setup(self) -> None:
        super().setup()
        assert self.database is not None
        self.follower = Follower(self.database)

    def start(self) -> None:
        self._thread = self.container.spawn_managed_thread(self._follow,
                                                           identifier="revocations")

    def stop(self) -> None:
        self._stopped = True
        thread = getattr(self, "_thread", None)  # None: the service stopped before starting
        if thread is not None:
            thread.kill()
        if self.follower is not None:
            self.follower.close()
        super().stop()

    def kill(self) -> None:
        self._stopped = True
        if self.follower is not None:
            self.follower.close()

    def is_revoked(self, token_id: UUID, person_id: UUID, issued_at: datetime) -> bool:
        """From memory; ServiceUnavailable (503) while the list may be out of date."""
        follower = self.follower
        assert follower is not None
        if follower.synced_at is None:  # the gateway has just started
            self._first_read.wait(FIRST_READ_SECONDS)
        if not follower.fresh():
            raise ServiceUnavailable("cannot check the token right now; try again")
        return follower.revoked.is_revoked(token_id, person_id, issued_at)

    def _follow(self) -> None:
        follower = self.follower
        assert follower is not None
        backoff = REFRESH_SECONDS
        while not self._stopped:
            try:
                follower.connect()
                if not self._first_read.ready():
                    self._first_read.send()
                backoff = REFRESH_SECONDS
                while not self._stopped:
                    # connect() has just read it all: synced_at is set (not None).
                    deadline = follower.synced_at + REFRESH_SECONDS  # type: ignore[operator]
                    while (left := deadline - time.monotonic()) > 0:
                        follower.wait(left)
                    follower.refresh()
            except Exception:
                if self._stopped:
                    return
                log.exception("cannot follow the revoked tokens; retrying in %.1fs", backoff)
                follower.close()
                eventlet.sleep(backoff)
                backoff = min(backoff * 2, STALE_SECONDS)
