"""A coach's offline batch of time-entry commands is decided item by item and saved in one
transaction at its end, each item answered as on its own; a batch that meets another
worker's write is applied again item by item. Through the service's own ``sync``, on the
library's in-memory persistence."""

from __future__ import annotations

import uuid
from datetime import time, timedelta
from typing import Any

import pytest
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event
from nameko.testing.services import worker_factory

from coachops.errors import Invalid
from coachops.identity import Actor
from coachops.json import Json
from coachops.sync_batch import apply_batch
from coachops.unit_of_work import Answer, Once, UnitOfWork
from services.timetracking.app import TimeTracking
from services.timetracking.domain import CoachDay, EntryLocation, EntryValues, day_id
from services.timetracking.service import TimeTrackingService
from tests.unit.timetracking.helpers import AS_COACH, COACH, MONDAY, SCHOOL, TODAY

TUESDAY = MONDAY + timedelta(days=1)
ACTOR = {"id": str(COACH), "role": "coach"}


@pytest.fixture
def app(time_app: TimeTracking) -> TimeTracking:
    application = time_app
    application.category_list()  # seeded before anything is counted
    inserts: list[int] = []
    insert = application.recorder.insert_events

    def counted(stored_events: Any, **kwargs: Any) -> Any:  # one call is one transaction
        inserts.append(len(stored_events))
        return insert(stored_events, **kwargs)

    application.recorder.insert_events = counted  # type: ignore[method-assign]
    application.inserts = inserts  # type: ignore[attr-defined]
    return application


@pytest.fixture
def service(app: TimeTracking) -> Any:
    return worker_factory(TimeTrackingService, timetracking=app)


def inserts(app: TimeTracking) -> list[int]:
    return app.inserts  # type: ignore[attr-defined, no-any-return]


def record(start: str, end: str, on: Any = MONDAY, client_id: uuid.UUID | None = None,
           **more: Any) -> Json:
    return {"client_id": str(client_id or uuid.uuid4()), "command": "record_time_entry",
            "body": {"coach_id": str(COACH), "school_id": str(SCHOOL),
                     "worked_on": on.isoformat(), "category_id": "co-planning",
                     "start": start, "end": end, **more}}


def correct(entry_id: str, **changes: Any) -> Json:
    return {"client_id": str(uuid.uuid4()), "command": "correct_time_entry",
            "body": {"entry_id": entry_id, "reason": "ran long", **changes}}


def void(entry_id: str) -> Json:
    return {"client_id": str(uuid.uuid4()), "command": "void_time_entry",
            "body": {"entry_id": entry_id, "reason": "logged twice"}}


def outcomes(answers: list[Json]) -> list[tuple[str, int]]:
    return [(a["outcome"], a["status"]) for a in answers]


def test_a_batch_is_saved_in_one_transaction_and_each_item_answered(
        app: TimeTracking, service: Any) -> None:
    resent = uuid.uuid4()
    items = [record("07:00", "07:30"), record("07:30", "08:00"),
             record("08:00", "08:30", client_id=resent), record("07:00", "08:00", TUESDAY),
             record("08:00", "08:30", client_id=resent)]  # the same item twice
    first = service.sync(ACTOR, items)
    entry_ids = [a["body"]["entry_id"] for a in first]
    # Items on entries the same batch recorded: they see them, unsaved as they are.
    later = [correct(entry_ids[0], end="07:20"), void(entry_ids[1]),
             record("07:30", "07:45")]  # where the voided entry was
    answers = service.sync(ACTOR, later)
    assert outcomes(first) == [("accepted", 201)] * 4 + [("duplicate", 201)]
    assert entry_ids[4] == entry_ids[2]
    assert outcomes(answers) == [("accepted", 200), ("accepted", 200), ("accepted", 201)]
    assert len(inserts(app)) == 2  # one per batch

    monday = app.repository.get(day_id(COACH, MONDAY))
    assert isinstance(monday, CoachDay)
    live = sorted((e.values.start.isoformat(), e.values.end.isoformat())  # type: ignore[union-attr]
                  for e in monday.live())
    assert live == [("07:00:00", "07:20:00"), ("07:30:00", "07:45:00"), ("08:00:00", "08:30:00")]
    location = app.repository.get(uuid.UUID(entry_ids[0]))
    assert isinstance(location, EntryLocation)
    assert len(location.applied) == 2  # its record and its correction, by client id


def test_a_batch_sent_again_saves_nothing_and_answers_the_same(app: TimeTracking,
                                                              service: Any) -> None:
    items = [record("07:00", "07:30"), record("07:00", "08:00", TUESDAY)]
    first = service.sync(ACTOR, items)
    stored = app.recorder.max_notification_id()
    again = service.sync(ACTOR, items)
    assert outcomes(again) == [("duplicate", 201)] * 2
    assert [a["body"] for a in again] == [a["body"] for a in first]
    assert app.recorder.max_notification_id() == stored


def test_a_refused_item_stops_nothing_and_is_not_saved(app: TimeTracking,
                                                       service: Any) -> None:
    answers = service.sync(ACTOR, [record("07:00", "08:00"),
                                   record("07:30", "08:30"),  # overlaps the first
                                   record("08:00", "08:30", category_id="no-such-one"),
                                   record("08:00", "09:00")])
    assert outcomes(answers) == [("accepted", 201), ("rejected", 422), ("rejected", 422),
                                 ("accepted", 201)]
    assert answers[1]["body"]["field"] == "start" or answers[1]["body"]["fields"]
    monday = app.repository.get(day_id(COACH, MONDAY))
    assert len(monday.live()) == 2
    assert len(inserts(app)) == 1


def test_a_batch_that_meets_another_workers_write_is_decided_again_from_the_store(
        app: TimeTracking, service: Any) -> None:
    """Another device saves an entry on the same day after the batch read it and before the
    batch is saved: the batch's one save conflicts, and its items are decided again from
    the store, around the other entry, and saved in one transaction."""
    other_device = EntryValues.of(school_id=SCHOOL, worked_on=MONDAY, category_id="modelling",
                                  start=time(9), end=time(10))
    met: list[bool] = []

    def record_then_meet_the_other_device(actor: Any, data: Json, once: Once,
                                          unit: UnitOfWork | None) -> Answer[Json]:
        answer: Answer[Json] = service._record_time_entry(actor, data, once, unit)
        if unit is not None and data["start"].hour == 8 and not met:  # the last item
            met.append(True)
            app.record_entry(AS_COACH, COACH, other_device, TODAY)  # its own transaction
        return answer

    answers = apply_batch(app.work(), Actor.from_dict(ACTOR),
                          [record("07:00", "08:00"), record("08:00", "08:30")],
                          {"record_time_entry": record_then_meet_the_other_device})
    assert outcomes(answers) == [("accepted", 201)] * 2
    monday = app.repository.get(day_id(COACH, MONDAY))
    assert sorted(e.values.minutes for e in monday.live()) == [30, 60, 60]
    # the other device's entry, the batch's one save (refused), then the batch again (the
    # day stored by then): two events an entry, its location (with the app's client id)
    # and its record on the day
    assert inserts(app) == [3, 5, 4]


class Note(Aggregate):
    def __init__(self) -> None:
        self.texts: list[str] = []

    @event("Written")
    def write(self, text: str) -> None:
        self.texts.append(text)


def items_of(*texts: str) -> list[Json]:
    return [{"client_id": str(uuid.uuid4()), "command": "add_next_step",
             "body": {"text": text, "owner_id": str(uuid.uuid4()), "due_on": "2026-12-01",
                      "cycle_id": str(uuid.uuid4())}}
            for text in texts]


def test_a_refused_item_that_left_a_change_behind_sends_the_batch_item_by_item() -> None:
    """A service layer that changed an aggregate and then refused (its bug): the batch's
    one save would keep that change, so the batch is applied item by item instead."""
    app = Application[uuid.UUID]()
    note = Note()
    app.save(note)
    calls: list[str] = []

    def step(actor: Any, data: Json, once: Once, unit: UnitOfWork | None) -> Answer[Json]:
        calls.append(data["text"])
        own = UnitOfWork(app) if unit is None else unit
        written = own.get(note.id, Note)
        written.write(data["text"])
        if data["text"] == "refused":
            raise Invalid("no", field="text")
        own.add(written)
        if unit is None:
            own.commit()
        return Answer({})

    answers = apply_batch(UnitOfWork(app), AS_COACH, items_of("first", "refused", "last"),
                          {"add_next_step": step})
    assert outcomes(answers) == [("accepted", 201), ("rejected", 422), ("accepted", 201)]
    assert calls == ["first", "refused", "first", "refused", "last"]
    assert app.repository.get(note.id).texts == ["first", "last"]  # nothing of the abandoned


def test_a_batch_that_cannot_be_saved_answers_its_accepted_items_as_not_applied() -> None:
    class Failing(Application[uuid.UUID]):
        def save(self, *objs: Any, **kwargs: Any) -> Any:
            raise OSError("the database went away")

    def step(actor: Any, data: Json, once: Once, unit: UnitOfWork | None) -> Answer[Json]:
        assert unit is not None
        unit.add(Note())
        return Answer({"step": data["text"]}, duplicate=data["text"] == "again")

    answers = apply_batch(UnitOfWork(Failing()), AS_COACH, items_of("first", "again"),
                          {"add_next_step": step})
    assert outcomes(answers) == [("rejected", 500), ("duplicate", 201)]
