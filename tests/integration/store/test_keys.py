"""The key stores (``coachops.privacy.keys``): the same cases for the in-memory one and the
PostgreSQL one, then what only a database shows: another process's erasure, and a whole
application whose events are sealed in PostgreSQL."""

from __future__ import annotations

import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import psycopg2
import pytest

from coachops.identity import Actor, Role
from coachops.privacy import ERASED, keys, master, rotate
from coachops.privacy.keys import Keys, MemoryKeys, PostgresKeys
from coachops.privacy.master import MasterKey, MasterKeyError
from coachops.privacy.sealing import warm_keys
from coachops.store import PostgresDatabase
from services.cycles.app import Cycles
from services.cycles.domain import Goal

from .conftest import NAME

PERSON, CYCLE, OTHER = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
MASTER = master.parse(master.DEV_MASTER_KEY, "the development key")


@pytest.fixture
def database(store_database_url: str) -> Iterator[PostgresDatabase]:
    store = PostgresDatabase(store_database_url, pool_size=2)
    yield store
    store.close()


@pytest.fixture(params=["memory", "postgres"])
def key_store(request: pytest.FixtureRequest, database: PostgresDatabase) -> Keys:
    if request.param == "memory":
        return MemoryKeys()
    store = PostgresKeys(database, MASTER)
    store.create_tables()
    return store


def test_a_subject_gets_one_key(key_store: Keys) -> None:
    assert key_store.key(PERSON, create=False) is None
    made = key_store.key(PERSON, create=True)
    assert made is not None and len(made) == keys.KEY_BYTES
    assert key_store.key(PERSON, create=True) == made == key_store.key(PERSON, create=False)
    assert key_store.key(CYCLE, create=True) != made


def test_erasing_destroys_keys_for_good_and_registers_the_person(key_store: Keys) -> None:
    key_store.key(PERSON, create=True)
    key_store.key(CYCLE, create=True)
    key_store.key(OTHER, create=True)
    never_used = uuid.uuid4()

    assert key_store.erase(PERSON, [PERSON, CYCLE, never_used]) == 2

    assert key_store.key(PERSON, create=False) is None
    assert key_store.key(CYCLE, create=True) is None  # no new key for an erased subject
    assert key_store.key(never_used, create=True) is None
    assert key_store.key(OTHER, create=False) is not None
    assert key_store.erase(PERSON, [PERSON, CYCLE]) == 0
    assert key_store.erased_people() == [PERSON]


def test_another_instance_stops_opening_once_its_cache_expires(
        database: PostgresDatabase, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two processes of one service: one erases, the other stops using the key."""
    first, second = PostgresKeys(database, MASTER), PostgresKeys(database, MASTER)
    first.create_tables()
    key = first.key(PERSON, create=True)
    assert second.key(PERSON, create=False) == key  # cached in the second now

    first.erase(PERSON, [PERSON])

    assert second.key(PERSON, create=False) == key  # within KEY_CACHE_SECONDS
    monkeypatch.setattr(keys, "KEY_CACHE_SECONDS", 0.0)
    second._cache.clear()  # what the time limit does
    assert second.key(PERSON, create=False) is None


def test_warming_reads_many_keys_in_one_statement(database: PostgresDatabase,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """What catching up on a large roster import's events asks for (``warm``): every key
    at once, an erased subject's as erased, and then no statement for each."""
    first, second = PostgresKeys(database, MASTER), PostgresKeys(database, MASTER)
    first.create_tables()
    made = {subject: first.key(subject, create=True) for subject in (PERSON, CYCLE, OTHER)}
    first.erase(OTHER, [OTHER])
    reads = []
    read = database.read
    monkeypatch.setattr(database, "read", lambda: reads.append(1) or read())

    second.warm([PERSON, CYCLE, OTHER, uuid.uuid4()])
    assert len(reads) == 1
    assert (second.key(PERSON, create=False), second.key(CYCLE, create=False),
            second.key(OTHER, create=False)) == (made[PERSON], made[CYCLE], None)
    assert len(reads) == 1  # each answered from what was warmed
    second.warm([PERSON, CYCLE, OTHER])
    assert len(reads) == 1  # nothing left to read


def test_an_application_seals_in_postgres_and_forgets(store_database_url: str) -> None:
    app = Cycles(env={"PERSISTENCE_MODULE": "coachops.store",
                      "DATABASE_URL": store_database_url})
    try:
        coach, teacher, school = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        today = date.today()
        for person, role in ((coach, "coach"), (teacher, "teacher")):  # the roster's word
            app.learn_roster_fact(person, school, role, today, True)
        goal = Goal("Marker-goal-4471 students explain", "Marker-measure-4471",
                    today + timedelta(days=30))
        cycle = app.start_cycle(Actor(teacher, Role.TEACHER), coach, [teacher], school,
                                ["2b"], goal, today).result

        conn = psycopg2.connect(store_database_url)
        try:
            with conn, conn.cursor() as cursor:
                cursor.execute("SELECT convert_from(state, 'UTF8') FROM cycles_events")
                stored = " ".join(row[0] for row in cursor.fetchall())
        finally:
            conn.close()
        assert "Marker" not in stored and '"_type_":"sealed"' in stored
        assert app.repository.get(cycle.id).goal.what.startswith("Marker-goal")

        # The subjects its stored events name are found in them, to read their keys at once.
        cached = app.mapper.keys._cache
        cached.clear()
        warm_keys(app.mapper, app.recorder.select_notifications(start=1, limit=100))
        assert cycle.id in cached and cached[cycle.id][0] is not None  # its goal's subject

        assert app.erase_person(teacher) == 1

        reloaded = app.repository.get(cycle.id)
        assert (reloaded.goal.what, reloaded.goal.measure) == (ERASED, ERASED)
        assert reloaded.teacher_ids == [teacher] and reloaded.goal.by == goal.by
    finally:
        app.close()


def stored_keys(url: str) -> dict[uuid.UUID, tuple[bytes, str | None]]:
    """What a copy of the database holds for each key: the stored bytes and master key id."""
    conn = psycopg2.connect(url)
    try:
        with conn, conn.cursor() as cursor:
            cursor.execute("SELECT subject_id, key, master_key_id FROM personal_keys"
                           " WHERE key IS NOT NULL")
            return {uuid.UUID(str(s)): (bytes(k), m) for s, k, m in cursor.fetchall()}
    finally:
        conn.close()


def test_the_database_holds_only_wrapped_keys(database: PostgresDatabase,
                                              store_database_url: str) -> None:
    store = PostgresKeys(database, MASTER)
    store.create_tables()
    key = store.key(PERSON, create=True)
    assert key is not None

    wrapped, key_id = stored_keys(store_database_url)[PERSON]
    assert key not in wrapped and key_id == MASTER.key_id
    assert MASTER.unwrap(PERSON, wrapped) == key
    with pytest.raises(MasterKeyError):  # bound to its row: no other subject's key
        MASTER.unwrap(CYCLE, wrapped)


def test_keys_of_the_previous_release_are_wrapped_at_start(database: PostgresDatabase,
                                                           store_database_url: str) -> None:
    """A database made before keys were wrapped: nothing is lost, nothing stays in clear."""
    legacy = {PERSON: bytes(range(32)), CYCLE: bytes(range(32, 64))}
    with database.transaction() as cursor:
        cursor.execute("""CREATE TABLE personal_keys (subject_id uuid PRIMARY KEY, key bytea,
                          created_at timestamptz NOT NULL DEFAULT now(), erased_at timestamptz)""")
        for subject, key in legacy.items():
            cursor.execute("INSERT INTO personal_keys (subject_id, key) VALUES (%s, %s)",
                           (str(subject), key))

    store = PostgresKeys(database, MASTER)
    store.create_tables()

    stored = stored_keys(store_database_url)
    assert {s: MASTER.unwrap(s, wrapped) for s, (wrapped, _) in stored.items()} == legacy
    assert all(legacy[s] not in wrapped for s, (wrapped, _) in stored.items())
    assert store.key(PERSON, create=False) == legacy[PERSON]


def test_a_rotation_rewraps_every_key_and_the_old_master_key_is_refused(
        database: PostgresDatabase, store_database_url: str) -> None:
    old, new = MASTER, MasterKey(bytes(range(100, 132)))
    PostgresKeys(database, old).create_tables()
    made = {s: PostgresKeys(database, old).key(s, create=True) for s in (PERSON, CYCLE)}
    PostgresKeys(database, old).erase(OTHER, [OTHER])

    lines: list[str] = []
    assert rotate.rotate([store_database_url], old, new, lines.append) == 2
    assert lines == [f"{NAME}: 2 keys re-wrapped with master key {new.key_id}"]
    assert rotate.rotate([store_database_url], old, new, lines.append) == 0  # done already

    after = PostgresKeys(database, new)
    after.create_tables()
    assert {s: after.key(s, create=False) for s in made} == made
    assert after.key(OTHER, create=True) is None  # still forgotten
    with pytest.raises(MasterKeyError, match=f"wrapped by master key {new.key_id}"):
        PostgresKeys(database, old).create_tables()  # a service left on the old key stops


@pytest.mark.parametrize(("key_text", "reason"), [
    (None, "--new-key-file: cannot read"),
    ("c2hvcnQ=", "--new-key-file (.*) must be 32 random bytes in base64, not 5"),
])
def test_a_rotation_that_cannot_run_says_why_in_one_line(
        store_database_url: str, tmp_path: Path, key_text: str | None, reason: str) -> None:
    key_file = tmp_path / "new.key"
    if key_text is not None:
        key_file.write_text(key_text)
    run = subprocess.run([sys.executable, "-m", "coachops.privacy.rotate", "--new-key-file",
                          str(key_file), "--database-url", store_database_url],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 1 and run.stdout == ""
    assert re.fullmatch(f"rotation failed: {reason}.*\n", run.stderr), run.stderr
