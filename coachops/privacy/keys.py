"""The key store: one AES key per subject (a person, a cycle), destroyed to forget it.

Kept in the service's own database beside its events, in two tables: ``personal_keys``
(a subject's key, wrapped by the district's master key, ``master``, with that key's id; the
row stays, with no key, once erased, so no new key is ever made for an erased subject) and
``erased_people`` (the register of who was forgotten, so that a restored backup can be
erased again: ``coachops.privacy.reapply``). Keys a previous release stored unwrapped are
wrapped when the service starts.

Keys are cached in the process for ``KEY_CACHE_SECONDS``: another instance of the same
service that erases a subject stops this one opening its values within that time. An
erased subject is remembered for good.
"""

from __future__ import annotations

import os
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass
from uuid import UUID

from eventsourcing.utils import retry
from psycopg2.extensions import cursor as Cursor

from coachops import migrations
from coachops.privacy.master import MasterKey, MasterKeyError
from coachops.store import PostgresDatabase

SERVICES = ("agreements", "cycles", "timetracking")  # those that keep personal data, and keys
KEY_BYTES = 32  # AES-256
KEY_CACHE_SECONDS = 5.0

DDL = """
CREATE TABLE IF NOT EXISTS personal_keys (
    subject_id uuid PRIMARY KEY,
    key bytea,
    created_at timestamptz NOT NULL DEFAULT now(),
    erased_at timestamptz
);
-- The master key that wrapped ``key``; NULL: stored unwrapped by a previous release.
ALTER TABLE personal_keys ADD COLUMN IF NOT EXISTS master_key_id text;
CREATE TABLE IF NOT EXISTS erased_people (
    person_id uuid PRIMARY KEY,
    erased_at timestamptz NOT NULL DEFAULT now(),
    keys_destroyed integer NOT NULL
);
"""
# Step 1 is the tables as the release before migrations made them (DDL, idempotent).
MIGRATIONS = migrations.register("privacy.keys", ("baseline", DDL))

# Destroys the keys of the subjects given, and closes those with none yet for good.
ERASE_SUBJECTS = (
    "INSERT INTO personal_keys (subject_id, key, erased_at)"
    " SELECT s, NULL, now() FROM unnest(%s::uuid[]) AS s"
    " ON CONFLICT (subject_id) DO UPDATE SET key = NULL,"
    " erased_at = coalesce(personal_keys.erased_at, now())"
)


class Keys(ABC):
    """Where a service's keys live. ``key`` answers None for an erased subject."""

    @abstractmethod
    def key(self, subject: UUID, create: bool) -> bytes | None:
        """The subject's key; a new one when it has none and ``create``; None when it is
        erased (or has none and not ``create``)."""

    def warm(self, subjects: Iterable[UUID]) -> None:
        """Read the keys of ``subjects`` at once, ahead of reading many events about them
        (what ``key`` would otherwise ask for one by one)."""
        del subjects  # in memory, every key is at hand already

    @abstractmethod
    def erase(self, person_id: UUID, subjects: Iterable[UUID]) -> int:
        """Destroy the keys of ``subjects`` (the person's, and what else is about them)
        and register the person as forgotten; the number of keys destroyed now. Erasing
        again changes nothing (a subject with no key yet is closed for good all the same)."""

    @abstractmethod
    def erased_people(self) -> list[UUID]:
        """Everyone this service has forgotten, in the order it did."""


class MemoryKeys(Keys):
    """Keys in a dict: for an application on the library's in-memory persistence."""

    def __init__(self) -> None:
        self._keys: dict[UUID, bytes | None] = {}
        self._erased: list[UUID] = []
        self._lock = threading.Lock()

    def key(self, subject: UUID, create: bool) -> bytes | None:
        with self._lock:
            if subject not in self._keys:
                if not create:
                    return None
                self._keys[subject] = os.urandom(KEY_BYTES)
            return self._keys[subject]

    def erase(self, person_id: UUID, subjects: Iterable[UUID]) -> int:
        with self._lock:
            destroyed = 0
            for subject in set(subjects):
                destroyed += self._keys.get(subject) is not None
                self._keys[subject] = None
            if person_id not in self._erased:
                self._erased.append(person_id)
            return destroyed

    def erased_people(self) -> list[UUID]:
        with self._lock:
            return list(self._erased)


class PostgresKeys(Keys):
    def __init__(self, database: PostgresDatabase, master: MasterKey) -> None:
        self.database = database
        self.master = master
        self._cache: dict[UUID, tuple[bytes | None, float]] = {}

    @retry(Exception, max_attempts=3, wait=0.2)  # concurrent DDL collides in the catalogue
    def create_tables(self) -> None:
        """The tables, every key wrapped by the master key; refused (naming the key ids) when
        a key was wrapped by a master key other than the one configured."""
        with self.database.transaction() as cursor:
            lock(cursor)
            migrations.apply(cursor, MIGRATIONS)
            rewrap(cursor, self.master, self.master)
            check_master_key(cursor, self.master)

    def _open(self, subject: UUID, stored: bytes, master_key_id: str | None) -> bytes:
        if master_key_id is None:  # written by an instance of the previous release
            with self.database.transaction() as cursor:
                rewrap(cursor, self.master, self.master, subject)
            return stored
        if master_key_id != self.master.key_id:
            raise MasterKeyError(f"the key of subject {subject} was wrapped by master key "
                                 f"{master_key_id}, not the configured {self.master.key_id}")
        return self.master.unwrap(subject, stored)

    def key(self, subject: UUID, create: bool) -> bytes | None:
        cached = self._cache.get(subject)
        if cached is not None and (cached[0] is None or cached[1] > time.monotonic()):
            return cached[0]
        with self.database.read() as cursor:
            cursor.execute("SELECT key, master_key_id, erased_at FROM personal_keys"
                           " WHERE subject_id = %s", (str(subject),))
            row = cursor.fetchone()
        if row is None and create:
            with self.database.transaction() as cursor:
                # A racing worker may make the subject's key first: then both use that one.
                cursor.execute(
                    "INSERT INTO personal_keys (subject_id, key, master_key_id)"
                    " VALUES (%s, %s, %s) ON CONFLICT (subject_id)"
                    " DO UPDATE SET subject_id = EXCLUDED.subject_id"
                    " RETURNING key, master_key_id, erased_at",
                    (str(subject), self.master.wrap(subject, os.urandom(KEY_BYTES)),
                     self.master.key_id))
                row = cursor.fetchone()
        if row is None:
            return None  # nothing was ever sealed with it: nothing to cache
        key = None if row[2] is not None else self._open(subject, bytes(row[0]), row[1])
        self._cache[subject] = (key, time.monotonic() + KEY_CACHE_SECONDS)
        return key

    def warm(self, subjects: Iterable[UUID]) -> None:
        # After a roster import, catching up on its events asked for thousands of new keys
        # one statement each: long enough for the import's status to go unanswered.
        now = time.monotonic()
        wanted = sorted({str(subject) for subject in subjects
                         if (cached := self._cache.get(subject)) is None
                         or (cached[0] is not None and cached[1] <= now)})
        if not wanted:
            return
        with self.database.read() as cursor:
            cursor.execute("SELECT subject_id, key, master_key_id, erased_at FROM personal_keys"
                           " WHERE subject_id = ANY(%s::uuid[])", (wanted,))
            rows = cursor.fetchall()
        for subject_id, stored, master_key_id, erased_at in rows:
            subject = UUID(str(subject_id))
            key = None if erased_at is not None else self._open(subject, bytes(stored),
                                                                 master_key_id)
            self._cache[subject] = (key, now + KEY_CACHE_SECONDS)

    def erase(self, person_id: UUID, subjects: Iterable[UUID]) -> int:
        ids = sorted({str(s) for s in subjects})  # one order: two erasures cannot deadlock
        with self.database.transaction() as cursor:
            cursor.execute(
                "SELECT subject_id FROM personal_keys WHERE subject_id = ANY(%s::uuid[])"
                " AND key IS NOT NULL ORDER BY subject_id FOR UPDATE", (ids,))
            destroyed = len(cursor.fetchall())
            cursor.execute(ERASE_SUBJECTS, (ids,))
            cursor.execute(
                "INSERT INTO erased_people (person_id, keys_destroyed) VALUES (%s, %s)"
                " ON CONFLICT (person_id) DO UPDATE"
                " SET keys_destroyed = erased_people.keys_destroyed + EXCLUDED.keys_destroyed",
                (str(person_id), destroyed))
        for subject in ids:
            self._cache[UUID(subject)] = (None, 0.0)
        return destroyed

    def erased_people(self) -> list[UUID]:
        with self.database.transaction(commit=False) as cursor:
            cursor.execute("SELECT person_id FROM erased_people ORDER BY erased_at, person_id")
            return [UUID(str(row[0])) for row in cursor.fetchall()]


def lock(cursor: Cursor) -> None:
    """One change of the key tables' shape or wrapping at a time, per database."""
    cursor.execute("SELECT pg_advisory_xact_lock(hashtext('coachops.privacy.keys'))")


def rewrap(cursor: Cursor, old: MasterKey, new: MasterKey, subject: UUID | None = None) -> int:
    """Wrap with ``new`` every key wrapped by ``old`` or stored unwrapped (only ``subject``'s
    when given); the number re-wrapped. Keys another master key wrapped are left alone."""
    cursor.execute(
        "SELECT subject_id, key, master_key_id FROM personal_keys WHERE key IS NOT NULL"
        " AND (master_key_id IS NULL OR master_key_id = %s) AND master_key_id IS DISTINCT FROM %s"
        " AND (%s::uuid IS NULL OR subject_id = %s::uuid) FOR UPDATE",
        (old.key_id, new.key_id, subject and str(subject), subject and str(subject)))
    rows = cursor.fetchall()
    for subject_id, stored, master_key_id in rows:
        subject_uuid = UUID(str(subject_id))
        data_key = (bytes(stored) if master_key_id is None
                    else old.unwrap(subject_uuid, bytes(stored)))
        cursor.execute("UPDATE personal_keys SET key = %s, master_key_id = %s"
                       " WHERE subject_id = %s",
                       (new.wrap(subject_uuid, data_key), new.key_id, str(subject_id)))
    return len(rows)


def check_master_key(cursor: Cursor, master: MasterKey) -> None:
    cursor.execute("SELECT DISTINCT master_key_id FROM personal_keys"
                   " WHERE key IS NOT NULL AND master_key_id <> %s", (master.key_id,))
    others = sorted(str(row[0]) for row in cursor.fetchall())
    if others:
        raise MasterKeyError(
            f"keys here are wrapped by master key {', '.join(others)}, not by the configured "
            f"{master.key_id}: configure that key, or re-wrap them with "
            "python -m coachops.privacy.rotate")


@dataclass(frozen=True)
class Erasures:
    """What a database has forgotten: carried over to a backup of it that is restored
    (``deploy/backup.py restore``), so a restore never brings a destroyed key back."""

    subjects: list[str]
    people: list[tuple[str, int]]  # (person id, keys destroyed)


def read_erasures(cursor: Cursor) -> Erasures:
    cursor.execute("SELECT to_regclass('personal_keys') IS NOT NULL")
    row = cursor.fetchone()
    if not (row and row[0]):
        return Erasures([], [])
    cursor.execute("SELECT subject_id::text FROM personal_keys WHERE erased_at IS NOT NULL")
    subjects = [s for (s,) in cursor.fetchall()]
    cursor.execute("SELECT person_id::text, keys_destroyed FROM erased_people")
    return Erasures(subjects, [(p, int(n)) for p, n in cursor.fetchall()])


def apply_erasures(cursor: Cursor, erasures: Erasures) -> int:
    """Erase again in a restored database; the number of keys the restore had brought back."""
    cursor.execute(DDL)
    cursor.execute("SELECT count(*) FROM personal_keys WHERE subject_id = ANY(%s::uuid[])"
                   " AND key IS NOT NULL", (erasures.subjects,))
    row = cursor.fetchone()
    brought_back = int(row[0]) if row else 0
    cursor.execute(ERASE_SUBJECTS, (erasures.subjects,))
    for person, destroyed in erasures.people:
        cursor.execute("INSERT INTO erased_people (person_id, keys_destroyed) VALUES (%s, %s)"
                       " ON CONFLICT (person_id) DO NOTHING", (person, destroyed))
    return brought_back
