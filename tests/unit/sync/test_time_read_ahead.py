"""A coach's offline batch reads the entry locations and days its items name in one go,
before its first item (``UnitOfWork.read_ahead``): its answers, and what it stores, are
those of items that each read for themselves. On the library's in-memory persistence;
``tests/integration/timetracking/test_batch_read_ahead.py`` runs the same on PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import time, timedelta
from typing import Any

import pytest
from eventsourcing.persistence import OperationalError
from nameko.testing.services import worker_factory

from coachops.identity import Actor
from coachops.json import Json
from coachops.sync_batch import apply_batch
from coachops.unit_of_work import Answer, Once, UnitOfWork
from services.timetracking.app import TimeTracking
from services.timetracking.domain import (
    CoachDay,
    EntryValues,
    day_id,
    synced_entry_id,
)
from services.timetracking.service import TimeTrackingService, days_named, entries_named
from tests.unit.timetracking.helpers import AS_COACH, COACH, MONDAY, SCHOOL, TODAY

TUESDAY, WEDNESDAY = MONDAY + timedelta(days=1), MONDAY + timedelta(days=2)
ACTOR = {"id": str(COACH), "role": "coach"}

# Fixed ids, so two runs of the scenario store and answer exactly the same.
STORED = [uuid.UUID(int=n) for n in (1, 2, 3)]  # recorded before the batch, one at a time
NEW = uuid.UUID(int=10)
CLIENT = {n: uuid.UUID(int=100 + n) for n in range(20)}


def record(client: int, start: str, end: str, on: Any = MONDAY, **more: Any) -> Json:
    return {"client_id": str(CLIENT[client]), "command": "record_time_entry",
            "body": {"coach_id": str(COACH), "school_id": str(SCHOOL),
                     "worked_on": on.isoformat(), "category_id": "co-planning",
                     "start": start, "end": end, **more}}


def correct(client: int, entry_id: uuid.UUID, **changes: Any) -> Json:
    return {"client_id": str(CLIENT[client]), "command": "correct_time_entry",
            "body": {"entry_id": str(entry_id), "reason": "ran long", **changes}}


def void(client: int, entry_id: uuid.UUID) -> Json:
    return {"client_id": str(CLIENT[client]), "command": "void_time_entry",
            "body": {"entry_id": str(entry_id), "reason": "logged twice"}}


def the_batch() -> list[Json]:
    """Every way an item meets an entry: new, named twice, recorded by the same batch,
    stored before, moved to a day nobody named, refused, malformed, another coach's."""
    return [
        record(0, "07:00", "07:30", entry_id=str(NEW)),
        record(1, "07:30", "08:00"),  # its id made from its client id
        record(2, "07:00", "07:30", entry_id=str(NEW)),  # the same entry, another client id
        record(3, "07:00", "09:00", entry_id=str(STORED[0])),  # a stored id, other values
        correct(4, NEW, end="07:20"),  # recorded by this batch
        correct(5, STORED[0], end="11:15"),  # stored, named twice in the batch
        correct(6, STORED[2], worked_on=WEDNESDAY.isoformat()),  # moved to an unnamed day
        void(7, STORED[1]),
        record(8, "10:30", "11:30"),  # overlaps the corrected stored entry: refused
        record(9, "08:00", "08:30", TUESDAY, coach_id=str(uuid.uuid4())),  # not their own
        {"client_id": str(CLIENT[10]), "command": "record_time_entry", "body": {"x": 1}},
        {"client_id": str(CLIENT[11]), "command": "record_time_entry", "body": None},
        void(12, uuid.UUID(int=99)),  # no such entry
        record(1, "07:30", "08:00"),  # the same command twice in one batch
        record(13, "09:00", "09:30", TUESDAY),
    ]


def stored_before(app: TimeTracking) -> None:
    for entry_id, on, hour in zip(STORED, (MONDAY, MONDAY, TUESDAY), (10, 12, 13),
                                  strict=True):
        values = EntryValues.of(school_id=SCHOOL, worked_on=on, category_id="modelling",
                                start=time(hour), end=time(hour + 1))
        app.record_entry(AS_COACH, COACH, values, TODAY, entry_id=entry_id)


def per_item(service: Any, items: list[Json]) -> list[Json]:
    """The batch without reading ahead: each item reads for itself."""
    return apply_batch(UnitOfWork(service.timetracking), Actor.from_dict(ACTOR), items, {
        "record_time_entry": service._record_time_entry,
        "correct_time_entry": service._correct_time_entry,
        "void_time_entry": service._void_time_entry,
    })


def stored(app: TimeTracking) -> list[tuple[uuid.UUID, int, str]]:
    return [(n.originator_id, n.originator_version, n.topic)
            for n in app.recorder.select_notifications(start=1, limit=10_000)]


def scenario(app: TimeTracking, send: Callable[[Any, list[Json]], list[Json]],
             sending: Callable[[int], None] = lambda n: None,
             ) -> tuple[list[list[Json]], Any]:
    """The batch sent twice (the app timed out), then once more with one item changed;
    ``sending`` is told before each."""
    stored_before(app)
    service = worker_factory(TimeTrackingService, timetracking=app)
    batch = the_batch()
    answers = []
    for n, items in enumerate([batch, batch,
                               [*batch[:-1], record(14, "09:30", "10:00", TUESDAY)]]):
        sending(n)
        answers.append(send(service, items))
    return answers, stored(app)


def sync(service: Any, items: list[Json]) -> list[Json]:
    return service.sync(ACTOR, items)  # type: ignore[no-any-return]


from tests.unit.conftest import coach_on_the_roster  # noqa: E402


@pytest.fixture
def make_app() -> Iterator[Callable[[], TimeTracking]]:
    made: list[TimeTracking] = []

    def make() -> TimeTracking:
        made.append(coach_on_the_roster(
            TimeTracking(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})))
        return made[-1]

    yield make
    for app in made:
        app.close()


def test_a_batch_read_ahead_answers_and_stores_what_items_reading_each_did(
        make_app: Callable[[], TimeTracking]) -> None:
    ahead, alone = make_app(), make_app()
    read: list[list[uuid.UUID]] = []  # by batch sent
    get = ahead.repository.get

    def counted(aggregate_id: uuid.UUID, *args: Any, **kwargs: Any) -> Any:
        if read:
            read[-1].append(aggregate_id)
        return get(aggregate_id, *args, **kwargs)

    ahead.repository.get = counted  # type: ignore[method-assign]
    answers, events = scenario(ahead, sync, lambda n: read.append([]))
    expected_answers, expected_events = scenario(alone, per_item)

    assert answers == expected_answers
    assert events == expected_events
    first = [(a["outcome"], a["status"]) for a in answers[0]]
    assert first == [
        ("accepted", 201), ("accepted", 201), ("accepted", 201), ("rejected", 409),
        ("accepted", 200), ("accepted", 200), ("accepted", 200), ("accepted", 200),
        ("rejected", 422), ("rejected", 403), ("rejected", 422), ("rejected", 422),
        ("rejected", 404), ("duplicate", 201), ("accepted", 201)]
    assert {a["outcome"] for a in answers[1]} == {"duplicate", "rejected"}
    # What the items read for themselves: at most the day an entry moved to, which no item
    # named; every other location and day came from the one read ahead of each batch.
    days = {day_id(COACH, on) for on in (MONDAY, TUESDAY, WEDNESDAY)}
    assert {i for r in read for i in r if i in days or i in (*STORED, NEW)} <= {
        day_id(COACH, WEDNESDAY)}


def test_a_batch_whose_read_ahead_fails_reads_item_by_item_and_answers_the_same(
        make_app: Callable[[], TimeTracking]) -> None:
    ahead, alone = make_app(), make_app()

    first_read: list[bool] = []  # of each batch sent: its read ahead

    def failing(after: Any) -> Any:
        if first_read:
            first_read.clear()
            raise OperationalError("the database went away for a moment")
        return {i: list(ahead.recorder.select_events(i, gt=v)) for i, v in after.items()}

    ahead.recorder.select_events_after = failing  # type: ignore[attr-defined]
    answers, events = scenario(ahead, sync, lambda n: first_read.append(True))
    assert (answers, events) == scenario(alone, per_item)


def test_a_read_ahead_another_worker_changed_meanwhile_is_decided_again(
        make_app: Callable[[], TimeTracking]) -> None:
    """Another device voids the entry the batch's item overlaps after the batch read the
    day and before the item is decided: read for itself, the item would see the void and
    be accepted, so it is, though the batch's read said overlap (refused, saving nothing):
    the commit finds the day changed since it was read and the batch is decided again."""
    app = make_app()
    service = worker_factory(TimeTrackingService, timetracking=app)
    stored_before(app)  # STORED[0] is 10:00-11:00 on Monday
    own = service._record_time_entry
    met: list[bool] = []

    def meet_the_other_device(actor: Any, data: Json, once: Once,
                              unit: UnitOfWork | None) -> Answer[Json]:
        if unit is not None and not met:
            met.append(True)
            app.void_entry(AS_COACH, STORED[0], "logged on the other device")
        return own(actor, data, once, unit)  # type: ignore[no-any-return]

    service._record_time_entry = meet_the_other_device
    answers = service.sync(ACTOR, [record(0, "10:30", "11:30")])
    assert [(a["outcome"], a["status"]) for a in answers] == [("accepted", 201)]
    monday = app.repository.get(day_id(COACH, MONDAY))
    assert isinstance(monday, CoachDay)
    assert sorted((e.values.start, e.values.end) for e in monday.live()) == [
        (time(10, 30), time(11, 30)), (time(12), time(13))]


def test_what_a_batch_names_is_read_from_its_items_as_sent() -> None:
    client = uuid.uuid4()
    items: list[Any] = [
        record(0, "07:00", "07:30", entry_id=str(NEW)),
        {"client_id": str(client), "command": "record_time_entry",
         "body": {"coach_id": str(COACH), "worked_on": "2026-10-06"}},
        correct(1, STORED[0]), void(2, STORED[1]),
        {"command": "record_time_entry", "body": {"coach_id": "not an id"}},
        {"client_id": "x", "command": "void_time_entry", "body": ["not", "a", "body"]},
        {"client_id": str(client), "command": "record_time_entry",
         "body": {"coach_id": str(COACH), "worked_on": "yesterday"}},
        {"command": "correct_time_entry", "body": {"entry_id": 7}},
    ]
    assert list(entries_named(items)) == [NEW, synced_entry_id(COACH, client), STORED[0],
                                          STORED[1], synced_entry_id(COACH, client)]
    assert list(days_named(items)) == [(COACH, MONDAY), (COACH, TUESDAY)]
