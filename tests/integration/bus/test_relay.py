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

from coachops import faults, logs
from coachops.bus.relay import (
    OutboxRelay,
    may_translate,
    published_events,
    to_envelopes,
)
from coachops.identity import Actor, Role
from coachops.store import PostgresDatabase
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
SCHOOL = uuid.uuid4()  # the coach's, on the roster
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
    application.learn_assignment(COACH, SCHOOL, MONDAY, assigned=True)  # not published
    yield application
    application.close()
    drop_database(ADMIN_URL, NAME)


@pytest.fixture
def relay(app: TimeTracking, broker: str) -> Iterator[OutboxRelay]:
    database: PostgresDatabase = app.factory.database  # type: ignore[attr-defined]
    outbox = OutboxRelay(SOURCE, app, to_integration, database, broker, batch_size=25)
    outbox.ensure_tables()
    yield outbox
    outbox.publisher.close()


def record_entries(app: TimeTracking, count: int) -> None:
    """``count`` half-hour entries (one published event each; their days and locations
    are not published), after the seeded category list (``SEEDED`` published events)."""
    for n in range(count):
        start, end = (time(7), time(7, 30)) if n % 2 == 0 else (time(7, 30), time(8))
        values = EntryValues.of(school_id=SCHOOL, worked_on=MONDAY + timedelta(n // 2),
                                category_id="co-planning", start=start, end=end)
        app.record_entry(Actor(COACH, Role.COACH), COACH, values, MONDAY + timedelta(days=60))


def position(relay: OutboxRelay) -> tuple[int, int | None]:
    with relay.database.transaction(commit=False) as cursor:
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
        assert sum(moved) == SEEDED + 30  # read: the store leaves out the untranslated
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


def test_only_what_the_translator_translates_is_decoded_and_the_same_is_published(
        app: TimeTracking) -> None:
    """``to_integration`` names the domain events it translates: the relay decodes no
    other notification (a day's opening, an entry's location, its client ids), and makes
    the same envelopes as when it decodes and asks about every one."""
    coach = Actor(COACH, Role.COACH)
    leader = Actor(uuid.uuid4(), Role.DISTRICT_LEADER)
    record_entries(app, 6)
    entry_id = app.record_entry(coach, COACH, EntryValues.of(
        school_id=SCHOOL, worked_on=MONDAY, category_id="co-planning",
        start=time(9), end=time(10)), MONDAY + timedelta(days=60)).result
    app.correct_entry(coach, entry_id, {"end": time(9, 45)}, "ran short",
                      MONDAY + timedelta(days=60))
    app.correct_entry(coach, entry_id, {"worked_on": MONDAY + timedelta(days=7)}, "moved",
                      MONDAY + timedelta(days=60))
    app.void_entry(coach, entry_id, "logged twice")
    app.add_category(leader, "Bus duty", "other")
    app.rename_category(leader, "bus-duty", "Bus and lunch duty")
    app.retire_category(leader, "bus-duty")
    app.learn_assignment(COACH, uuid.uuid4(), MONDAY, assigned=True)
    notifications = app.recorder.select_notifications(start=1, limit=1000)
    decoded = [app.mapper.to_domain_event(n) for n in notifications]
    translated = [to_integration(event) is not None for event in decoded]
    assert [may_translate(to_integration, n) for n in notifications] == translated
    assert 0 < sum(translated) < len(notifications)

    def asks_about_all(event: Any) -> Any:  # no ``translates``: every one is decoded
        return to_integration(event)

    decodes: list[int] = []
    to_domain_event = app.mapper.to_domain_event

    def counted(notification: Any) -> Any:
        decodes.append(notification.id)
        return to_domain_event(notification)

    app.mapper.to_domain_event = counted  # type: ignore[method-assign]
    fast = to_envelopes(SOURCE, app, to_integration, notifications, None)
    assert len(decodes) == sum(translated)
    assert fast == to_envelopes(SOURCE, app, asks_about_all, notifications, None)
    middle = notifications[len(notifications) // 2].id
    assert (published_events(SOURCE, app, to_integration, middle, 50)
            == published_events(SOURCE, app, asks_about_all, middle, 50))


def test_the_store_leaves_out_what_is_never_translated_and_the_relay_moves_past_it(
        app: TimeTracking, relay: OutboxRelay) -> None:
    """The relay asks the store only for the topics its translator names: untranslated
    notifications (here a run of them at the log's end) are never read, and the position
    still moves to the end, so the backlog the relay reports is zero."""
    record_entries(app, 2)
    for _ in range(relay.batch_size + 3):  # more than a page of them: never read
        app.learn_assignment(COACH, uuid.uuid4(), MONDAY, assigned=True)
    last = app.recorder.max_notification_id()
    assert relay.topics and last is not None
    read: list[int] = []
    select = app.recorder.select_notifications

    def counted(*args: Any, **kwargs: Any) -> Any:
        found = select(*args, **kwargs)
        read.extend(n.id for n in found)
        return found

    app.recorder.select_notifications = counted  # type: ignore[method-assign]
    with listening(SOURCE, timeout=5.0) as published:
        assert relay_all(relay) == [SEEDED + 2]
        events = published.collect(lambda e: True, SEEDED + 2)
        assert len(read) == SEEDED + 2
        assert position(relay) == (last, events[-1][0].position)
        assert relay.relay_once() == 0
        assert not more_arrive(published)
    app.learn_assignment(COACH, uuid.uuid4(), MONDAY, assigned=True)  # alone: nothing read
    assert relay.relay_once() == 0
    assert position(relay)[0] == last + 1


def test_an_event_carries_the_id_of_the_request_that_recorded_it(app: TimeTracking,
                                                                  relay: OutboxRelay) -> None:
    record_entries(app, 1)  # outside any request
    logs.bind("req-entry-2")  # as a service's worker binds its request's (RequestIds)
    try:
        values = EntryValues.of(school_id=SCHOOL, worked_on=MONDAY, category_id="co-planning",
                                start=time(9), end=time(9, 30))
        app.record_entry(Actor(COACH, Role.COACH), COACH, values, MONDAY + timedelta(days=60))
    finally:
        logs.bind(None)
    with listening(SOURCE, timeout=5.0) as published:
        relay_all(relay)
        entries = [e for e, _ in published.collect(
            lambda e: e.event_type == "TimeEntryRecorded", 2)]
        headers = [published.headers[str(e.event_id)] for e in entries]
    assert logs.REQUEST_HEADER not in headers[0]
    assert headers[1][logs.REQUEST_HEADER] == "req-entry-2"
    # The stored event is as before: the id is kept beside it, not in it.
    assert app.recorder.request_ids(1, entries[1].position) == {
        entries[1].position: "req-entry-2"}


def test_a_run_is_one_message_per_event_type_and_request(app: TimeTracking,
                                                          relay: OutboxRelay) -> None:
    """Bus contract 2: the events of a run travel as lists, one message for each event type
    and request, in the log's order, and each event keeps its own request's id."""
    logs.bind("req-sync-1")
    try:
        record_entries(app, 6)  # one /sync batch: six entries in one request
    finally:
        logs.bind(None)
    values = EntryValues.of(school_id=SCHOOL, worked_on=MONDAY + timedelta(days=7),
                            category_id="co-planning", start=time(9), end=time(9, 30))
    app.record_entry(Actor(COACH, Role.COACH), COACH, values, MONDAY + timedelta(days=60))
    with listening(SOURCE, timeout=5.0) as published:  # outside any request, the seventh
        relay_all(relay)
        events = [e for e, _ in published.collect(lambda e: True, SEEDED + 7)]
    entries = [e for e in events if e.event_type == "TimeEntryRecorded"]
    by_message = {published.messages[str(e.event_id)] for e in entries}
    assert len(by_message) == 2  # the request's six, and the seventh alone
    synced = [e for e in entries
              if published.headers[str(e.event_id)].get(logs.REQUEST_HEADER) == "req-sync-1"]
    assert len(synced) == 6
    assert len({published.messages[str(e.event_id)] for e in synced}) == 1
    assert [e.position for e in synced] == sorted(e.position for e in synced)
    assert published.messages[str(synced[0].event_id)] == str(synced[0].event_id)
    categories = {published.messages[str(e.event_id)] for e in events
                  if e.event_type != "TimeEntryRecorded"}
    assert len(categories) == len({e.event_type for e in events} - {"TimeEntryRecorded"})
