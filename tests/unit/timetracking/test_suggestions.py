"""No double entry: a calendar item done in a cycle becomes a suggested entry that the
coach confirms with one action (or dismisses)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from nameko.testing.services import worker_factory

from coachops.contracts import Envelope
from coachops.errors import Forbidden, Invalid, NotFound
from coachops.identity import Actor, Role
from coachops.unit_of_work import Answer
from services.timetracking.app import TimeTracking
from services.timetracking.domain import CategoryList, CoachDay
from services.timetracking.integration import to_integration
from services.timetracking.service import TimeTrackingService
from tests.unit.timetracking.helpers import (
    AS_COACH,
    COACH,
    LEADER,
    MONDAY,
    SCHOOL,
    TODAY,
    day,
    record,
    values,
)

CYCLE = uuid.uuid4()


def suggested(coach_day: CoachDay, kind: str = "observation", minutes: int = 45) -> uuid.UUID:
    item_id = uuid.uuid4()
    assert coach_day.suggest(item_id, CYCLE, SCHOOL, kind, minutes)
    return item_id


def confirm(coach_day: CoachDay, item_id: uuid.UUID, categories: CategoryList | None = None,
            **changes: Any) -> uuid.UUID:
    return coach_day.confirm(AS_COACH, item_id, uuid.uuid4(), categories or CategoryList.seeded(),
                             TODAY, changes)


def test_a_done_item_is_suggested_once() -> None:
    coach_day = day()
    item_id = suggested(coach_day)
    assert not coach_day.suggest(item_id, CYCLE, SCHOOL, "observation", 45)
    [pending] = coach_day.pending()
    assert (pending.item_id, pending.category_id, pending.minutes, pending.cycle_id) == (
        item_id, "coaching-cycle", 45, CYCLE)
    assert coach_day.live() == []  # a suggestion counts for nothing until confirmed
    assert [type(e).__name__ for e in coach_day.collect_events()] == ["Opened",
                                                                     "EntrySuggested"]


def test_a_modelled_lesson_is_suggested_as_modelling() -> None:
    coach_day = day()
    suggested(coach_day, kind="modelled_lesson")
    assert coach_day.pending()[0].category_id == "modelling"


def test_one_action_records_the_entry_from_the_suggestion() -> None:
    coach_day = day()
    item_id = suggested(coach_day)
    entry_id = confirm(coach_day, item_id)
    [entry] = coach_day.live()
    assert entry.entry_id == entry_id
    assert (entry.values.minutes, entry.values.category_id, entry.values.cycle_id,
            entry.values.school_id, entry.values.worked_on) == (
        45, "coaching-cycle", CYCLE, SCHOOL, MONDAY)
    assert coach_day.pending() == []
    events = coach_day.collect_events()
    assert [type(e).__name__ for e in events[-2:]] == ["EntryRecorded", "SuggestionConfirmed"]
    # Confirming again (an app resending) answers the same entry and records nothing.
    assert confirm(coach_day, item_id) == entry_id
    assert coach_day.collect_events() == []


def test_the_coach_may_time_it_or_choose_another_category() -> None:
    coach_day = day()
    item_id = suggested(coach_day)
    confirm(coach_day, item_id, start=time(13), end=time(13, 50), category_id="co-planning",
            note="mine")
    [entry] = coach_day.live()
    assert (entry.values.start, entry.values.minutes, entry.values.category_id,
            entry.values.note) == (time(13), 50, "co-planning", "mine")


def test_an_item_without_a_length_needs_one_to_be_confirmed() -> None:
    coach_day = day()
    item_id = suggested(coach_day, minutes=0)
    assert coach_day.pending()[0].minutes is None
    with pytest.raises(Invalid) as error:
        confirm(coach_day, item_id)
    assert error.value.field == "minutes"
    confirm(coach_day, item_id, minutes=30)
    assert coach_day.logged_minutes() == 30


def test_a_confirmed_suggestion_keeps_every_rule() -> None:
    coach_day = day()
    record(coach_day, values(None, None, minutes=24 * 60 - 30))
    item_id = suggested(coach_day)
    with pytest.raises(Invalid, match="a day has 24 hours"):
        confirm(coach_day, item_id)
    timed = day()
    first = record(timed, values("09:00", "10:00"))
    item_id = suggested(timed)
    with pytest.raises(Invalid, match=f"overlaps entry {first}"):
        confirm(timed, item_id, start=time(9, 30), end=time(10, 15))
    categories = CategoryList.seeded()
    categories.retire(LEADER, "coaching-cycle")
    with pytest.raises(Invalid, match="is retired") as error:
        confirm(timed, item_id, categories)
    assert error.value.field == "category_id"
    assert timed.pending()[0].item_id == item_id  # still there to confirm differently
    future = day(TODAY + timedelta(days=1))
    with pytest.raises(Invalid, match="after today"):
        confirm(future, suggested(future))


def test_a_suggestion_can_be_dismissed_once() -> None:
    coach_day = day()
    item_id = suggested(coach_day)
    coach_day.dismiss(AS_COACH, item_id)
    assert coach_day.pending() == []
    with pytest.raises(Invalid, match="dismissed"):
        coach_day.dismiss(AS_COACH, item_id)
    with pytest.raises(Invalid, match="dismissed"):
        confirm(coach_day, item_id)
    with pytest.raises(NotFound) as error:
        coach_day.dismiss(AS_COACH, uuid.uuid4())
    assert error.value.field == "item_id"


def test_only_the_coach_confirms_or_dismisses() -> None:
    coach_day = day()
    item_id = suggested(coach_day)
    someone = Actor(uuid.uuid4(), Role.COACH)
    with pytest.raises(Forbidden):
        coach_day.confirm(someone, item_id, uuid.uuid4(), CategoryList.seeded(), TODAY)
    with pytest.raises(Forbidden):
        coach_day.dismiss(someone, item_id)


def test_suggestions_stay_inside_the_service() -> None:
    coach_day = day()
    item_id = suggested(coach_day)
    confirm(coach_day, item_id)
    coach_day.dismiss(AS_COACH, suggested(coach_day))
    published = [to_integration(e) for e in coach_day.collect_events()]
    assert [o.event_type for o in published if o] == ["TimeEntryRecorded"]
    recorded = next(o for o in published if o)
    assert recorded.payload["cycle_id"] == CYCLE


# Through the application and the entrypoints ---------------------------------------------


def test_the_app_suggests_once_and_confirms_with_a_location(app: TimeTracking) -> None:
    item_id = uuid.uuid4()
    assert app.suggest_from_calendar(COACH, item_id, CYCLE, SCHOOL, "co_teach", MONDAY, 40)
    before = app.recorder.max_notification_id()
    assert not app.suggest_from_calendar(COACH, item_id, CYCLE, SCHOOL, "co_teach", MONDAY, 40)
    assert app.recorder.max_notification_id() == before
    entry_id = app.confirm_suggestion(AS_COACH, COACH, MONDAY, item_id, {}, TODAY).result
    assert app.repository.get(entry_id).worked_on == MONDAY
    assert app.confirm_suggestion(AS_COACH, COACH, MONDAY, item_id, {}, TODAY).result == entry_id
    app.void_entry(AS_COACH, entry_id, "it was cancelled after all")  # a real entry
    with pytest.raises(Forbidden):
        app.dismiss_suggestion(LEADER, COACH, MONDAY, item_id)


def test_the_handler_passes_the_event_on() -> None:
    service = worker_factory(TimeTrackingService)
    now = datetime.now(UTC)
    item_id, school_id = uuid.uuid4(), uuid.uuid4()
    service.on_calendar_item_done(Envelope(
        event_type="CalendarItemDone", version=1, source="cycles", stream_id=CYCLE,
        stream_position=4, position=9, previous_position=8, occurred_at=now, recorded_at=now,
        payload={"cycle_id": CYCLE, "coach_id": COACH, "school_id": school_id,
                 "item_id": item_id, "kind": "walkthrough", "done_on": date(2026, 10, 5),
                 "duration_minutes": 25},
    ))
    assert service.timetracking.suggest_from_calendar.call_args.kwargs == {
        "coach_id": COACH, "item_id": item_id, "cycle_id": CYCLE, "school_id": school_id,
        "kind": "walkthrough", "done_on": date(2026, 10, 5), "minutes": 25}


def test_confirm_passes_only_what_the_coach_changed() -> None:
    service = worker_factory(TimeTrackingService)
    entry_id, item_id = uuid.uuid4(), uuid.uuid4()
    service.timetracking.confirm_suggestion.return_value = Answer(entry_id)
    result = service.confirm_suggestion(
        {"id": str(COACH), "role": "coach"},
        {"coach_id": str(COACH), "date": "2026-10-05", "item_id": str(item_id),
         "category_id": "co-planning"})
    assert result == {"entry_id": str(entry_id)}
    kwargs = service.timetracking.confirm_suggestion.call_args.kwargs
    assert (kwargs["on"], kwargs["item_id"], kwargs["changes"]) == (
        MONDAY, item_id, {"category_id": "co-planning"})
