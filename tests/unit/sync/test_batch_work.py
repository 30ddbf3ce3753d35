"""The work of a coach's offline batch grows with its items, not with their square: after
each item the batch asks whether a refused item left changes behind on the aggregates that
item reached (``UnitOfWork.mark``, ``pending_since_mark``), not on every aggregate the batch
holds by then, as it once did twice per item (issue #23). Counted, not timed: the reads of
aggregates' pending events, on the library's in-memory persistence."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from eventsourcing.application import Application
from eventsourcing.domain import BaseAggregate
from nameko.testing.services import worker_factory

from coachops.errors import Invalid
from coachops.json import Json
from coachops.sync_batch import apply_batch
from coachops.unit_of_work import Answer, Once, UnitOfWork
from services.timetracking.app import TimeTracking
from services.timetracking.service import TimeTrackingService
from tests.unit.sync.test_time_batch import Note
from tests.unit.timetracking.helpers import AS_COACH, COACH, SCHOOL, TODAY

ACTOR = {"id": str(COACH), "role": "coach"}
ENTRIES_PER_DAY = 12  # as the bench's coaches log them (bench/load.py)


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """How often any aggregate's pending events are looked at."""
    counted = [0]
    pending_events = BaseAggregate.pending_events

    def read(aggregate: Any) -> Any:
        counted[0] += 1
        return pending_events.fget(aggregate)  # type: ignore[attr-defined]

    monkeypatch.setattr(BaseAggregate, "pending_events", property(read))
    yield counted


def entries(count: int, newest_day: date) -> list[Json]:
    """What an app queued offline: half-hour entries from 07:00, twelve a day, days back."""
    items = []
    for n in range(count):
        minute = 7 * 60 + n % ENTRIES_PER_DAY * 30
        items.append({"client_id": str(uuid.uuid4()), "command": "record_time_entry",
                      "body": {"coach_id": str(COACH), "school_id": str(SCHOOL),
                               "worked_on": (newest_day - timedelta(days=n // ENTRIES_PER_DAY))
                               .isoformat(), "category_id": "co-planning",
                               "start": f"{minute // 60:02d}:{minute % 60:02d}",
                               "end": f"{(minute + 30) // 60:02d}:{(minute + 30) % 60:02d}"}})
    return items


def test_a_time_batchs_work_per_item_does_not_grow_with_the_batch(
        time_app: TimeTracking, reads: list[int]) -> None:
    time_app.category_list()
    service = worker_factory(TimeTrackingService, timetracking=time_app)
    per_item = {}
    for size, newest_day in ((40, TODAY), (400, TODAY - timedelta(days=10))):
        reads[0] = 0
        answers = service.sync(ACTOR, entries(size, newest_day))
        assert {a["outcome"] for a in answers} == {"accepted"}
        per_item[size] = reads[0] / size
    # Each item reaches its entry's location, its day, the category list and the coach's
    # assignments, whatever the batch's size; checked against every aggregate held, the
    # 400 items' batch looked about ten times as often per item as the 40 items' one.
    assert per_item[400] <= per_item[40]
    assert per_item[40] <= 5


def test_every_refused_item_of_a_long_batch_is_checked_on_its_own_aggregates(
        reads: list[int]) -> None:
    """A batch whose items each make an aggregate, every other one refused (refused items
    are the ones checked): the checks still look only at what each item reached."""
    app = Application[uuid.UUID]()

    def make(actor: Any, data: Json, once: Once, unit: UnitOfWork | None) -> Answer[Json]:
        assert unit is not None
        if data["text"] == "refused":
            raise Invalid("no", field="text")
        note = Note()
        note.write(data["text"])
        unit.add(note)
        return Answer({})

    looked = {}
    for size in (50, 500):
        items = [{"client_id": str(uuid.uuid4()), "command": "add_next_step",
                  "body": {"text": "refused" if n % 2 else "kept",
                           "owner_id": str(uuid.uuid4()), "due_on": "2026-12-01",
                           "cycle_id": str(uuid.uuid4())}} for n in range(size)]
        reads[0] = 0
        answers = apply_batch(UnitOfWork(app), AS_COACH, items, {"add_next_step": make})
        assert [a["status"] for a in answers] == [201, 422] * (size // 2)
        looked[size] = reads[0]
    assert looked[500] <= 10 * looked[50]
