"""The key stores (``coachops.privacy.keys``): the same cases for the in-memory one and the
PostgreSQL one, then what only a database shows: another process's erasure, and a whole
application whose events are sealed in PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date, timedelta

import psycopg2
import pytest

from coachops.identity import Actor, Role
from coachops.privacy import ERASED, keys
from coachops.privacy.keys import Keys, MemoryKeys, PostgresKeys
from coachops.store import Datastore
from services.cycles.app import Cycles
from services.cycles.domain import Goal

PERSON, CYCLE, OTHER = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()


@pytest.fixture
def datastore(store_database_url: str) -> Iterator[Datastore]:
    store = Datastore(store_database_url, pool_size=2)
    yield store
    store.close()


@pytest.fixture(params=["memory", "postgres"])
def key_store(request: pytest.FixtureRequest, datastore: Datastore) -> Keys:
    if request.param == "memory":
        return MemoryKeys()
    store = PostgresKeys(datastore)
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
        datastore: Datastore, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two processes of one service: one erases, the other stops using the key."""
    first, second = PostgresKeys(datastore), PostgresKeys(datastore)
    first.create_tables()
    key = first.key(PERSON, create=True)
    assert second.key(PERSON, create=False) == key  # cached in the second now

    first.erase(PERSON, [PERSON])

    assert second.key(PERSON, create=False) == key  # within KEY_CACHE_SECONDS
    monkeypatch.setattr(keys, "KEY_CACHE_SECONDS", 0.0)
    second._cache.clear()  # what the time limit does
    assert second.key(PERSON, create=False) is None


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
                                ["2b"], goal, today)

        conn = psycopg2.connect(store_database_url)
        try:
            with conn, conn.cursor() as cursor:
                cursor.execute("SELECT convert_from(state, 'UTF8') FROM cycles_events")
                stored = " ".join(row[0] for row in cursor.fetchall())
        finally:
            conn.close()
        assert "Marker" not in stored and '"_type_":"sealed"' in stored
        assert app.repository.get(cycle.id).goal.what.startswith("Marker-goal")

        assert app.erase_person(teacher) == 1

        reloaded = app.repository.get(cycle.id)
        assert (reloaded.goal.what, reloaded.goal.measure) == (ERASED, ERASED)
        assert reloaded.teacher_ids == [teacher] and reloaded.goal.by == goal.by
    finally:
        app.close()
