"""The outbox relay against the real PostgreSQL and RabbitMQ: a run of events is published
in one AMQP transaction, every event once and in order, and the position is recorded only
after the broker committed the run; a run that fails before its commit reaches no one and
is published whole by the next attempt."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date, time, timedelta
from typing import Any

import pytest

from coachops import faults
from coachops.bus.relay import OutboxRelay
from coachops.identity import Actor, Role
from coachops.store import Datastore
from coachops.store.admin import drop_database, ensure_role_and_database
from services.timetracking.app import TimeTracking
from services.timetracking.domain import DEFAULT_CATEGORIES, EntryValues
from services.timetracking.integration import to_integration
from tests.support.bus import AMQP, Published, listening
from tests.support.platform import ADMIN_URL, VHOST, database_name, rabbitmqctl

# A source of its own: its exchange has no consumer of a running platform bound to it.
SOURCE = "relay-test"
NAME = database_name("relay")
URL = f"postgresql://{NAME}@127.0.0.1:5432/{NAME}"
COACH = uuid.uuid4()
SEEDED = len(DEFAULT_CATEGORIES)  # CategoryAdded events
MONDAY = date(2026, 10, 5)


@pytest.fixture(scope="module")
def broker() -> str:
    # The namespace's vhost, as the platform makes it; left alone if it is there already.
    rabbitmqctl("add_vhost", VHOST)
    rabbitmqctl("set_permissions", "-p", VHOST, "guest", ".*", ".*", ".*")
    return AMQP


@pytest.fixture
def app() -> Iterator[TimeTracking]:
    drop_database(ADMIN_URL, NAME)
    ensure_role_and_database(ADMIN_URL, NAME, NAME)
    application = TimeTracking(env={"DATABASE_URL": URL, "POSTGRES_POOL_SIZE": "3"})
    yield application
    application.close()
    drop_database(ADMIN_URL, NAME)


@pytest.fixture
def relay(app: TimeTracking, broker: str) -> Iterator[OutboxRelay]:
    datastore: Datastore = app.factory.datastore  # type: ignore[attr-defined]
    outbox = OutboxRelay(SOURCE, app, to_integration, datastore, broker, batch_size=25)
    outbox.ensure_tables()
    yield outbox
    outbox.publisher.close()


def record_entries(app: TimeTracking, count: int) -> None:
    """``count`` half-hour entries (one published event each; their days and locations
    are not published), after the seeded category list (``SEEDED`` published events)."""
    for n in range(count):
        start, end = (time(7), time(7, 30)) if n % 2 == 0 else (time(7, 30), time(8))
        values = EntryValues.of(school_id=uuid.uuid4(), worked_on=MONDAY + timedelta(n // 2),
                                category_id="co-planning", start=start, end=end)
        app.record_entry(Actor(COACH, Role.COACH), COACH, values, MONDAY + timedelta(days=60))


def position(relay: OutboxRelay) -> tuple[int, int | None]:
    with relay.datastore.transaction(commit=False) as cursor:
        cursor.execute("SELECT position, last_published FROM outbox_relay WHERE source = %s",
                       (SOURCE,))
        row = cursor.fetchone()
    return row[0], row[1]


def relay_all(relay: OutboxRelay) -> list[int]:
    moved = []
    while (count := relay.relay_once()) > 0:
        moved.append(count)
    return moved


def test_runs_are_published_once_in_order_then_recorded(app: TimeTracking,
                                                         relay: OutboxRelay) -> None:
    record_entries(app, 30)
    last = app.recorder.max_notification_id()
    assert last is not None and last > 2 * relay.batch_size
    with listening(SOURCE, timeout=5.0) as published:
        moved = relay_all(relay)
        events = published.collect(lambda e: True, SEEDED + 30)
        assert sum(moved) == last
        assert moved[0] == relay.batch_size  # whole runs, not one by one
        envelopes = [e for e, _ in events]
        positions = [e.position for e in envelopes]
        assert positions == sorted(set(positions))
        # Each names the one before it, across the runs' edges.
        assert [e.previous_position for e in envelopes] == [None, *positions[:-1]]
        assert [e.event_type for e in envelopes].count("TimeEntryRecorded") == 30
        assert position(relay) == (last, positions[-1])
        assert relay.relay_once() == 0
        assert not more_arrive(published)


def more_arrive(published: Published) -> bool:
    try:
        published.collect(lambda e: True, len(published.seen) + 1)
    except AssertionError:
        return False
    return True


def test_a_run_that_fails_before_its_commit_reaches_no_one_and_is_published_again(
        app: TimeTracking, relay: OutboxRelay, monkeypatch: pytest.MonkeyPatch) -> None:
    record_entries(app, 4)  # one run
    real_point = faults.point

    def broken_before_commit(name: str) -> None:
        if name == "relay.before_commit":
            raise ConnectionError("the broker went away mid-run")
        real_point(name)

    with listening(SOURCE, timeout=2.0) as published:
        monkeypatch.setattr(faults, "point", broken_before_commit)
        with pytest.raises(ConnectionError):
            relay.relay_once()
        assert position(relay) == (0, None)
        assert not more_arrive(published)  # published, never committed: discarded

        monkeypatch.setattr(faults, "point", real_point)
        relay_all(relay)
        events: list[Any] = published.collect(lambda e: True, SEEDED + 4)
        assert len({e.event_id for e, _ in events}) == SEEDED + 4
        assert position(relay)[0] == app.recorder.max_notification_id()
        assert not more_arrive(published)
