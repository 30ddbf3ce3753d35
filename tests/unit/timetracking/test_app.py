"""The service layer on the library's in-memory persistence: load, decide, save, retry."""

from __future__ import annotations

import uuid
from datetime import date, time, timedelta

import pytest
from eventsourcing.application import AggregateNotFoundError

from coachops.errors import Conflict, Forbidden, Invalid, NotFound
from coachops.identity import Actor, Role
from services.timetracking.app import TimeTracking, week_of
from services.timetracking.domain import (
    CATEGORY_LIST_ID,
    CategoryList,
    CoachDay,
    EntryLocation,
    day_id,
)
from tests.unit.conftest import TIME_ROSTER_EVENTS
from tests.unit.racing import racing
from tests.unit.timetracking.helpers import AS_COACH, COACH, LEADER, MONDAY, TODAY, values

TUESDAY = MONDAY + timedelta(days=1)


def stored_events(app: TimeTracking) -> int:
    return app.recorder.max_notification_id() or 0


def test_the_category_list_is_seeded_once(app: TimeTracking) -> None:
    first = app.category_list()
    assert first.id == CATEGORY_LIST_ID
    count = stored_events(app)
    assert count == 13 + TIME_ROSTER_EVENTS
    app.category_list()
    assert stored_events(app) == count


def test_a_recorded_entry_is_saved_with_where_it_lives(app: TimeTracking) -> None:
    entry_id = app.record_entry(AS_COACH, COACH, values(note="private"), TODAY).result
    location = app.repository.get(entry_id)
    assert isinstance(location, EntryLocation)
    assert (location.coach_id, location.worked_on) == (COACH, MONDAY)
    day = app.coach_day(AS_COACH, COACH, MONDAY)
    assert day.id == day_id(COACH, MONDAY)
    assert day.entries[entry_id].values == values(note="private")  # round trip through JSON


def test_an_offline_resend_records_nothing_twice(app: TimeTracking) -> None:
    entry_id = uuid.uuid4()
    assert app.record_entry(AS_COACH, COACH, values(), TODAY, entry_id=entry_id).result == entry_id
    count = stored_events(app)
    assert app.record_entry(AS_COACH, COACH, values(), TODAY, entry_id=entry_id).result == entry_id
    assert stored_events(app) == count
    with pytest.raises(Conflict) as error:
        app.record_entry(AS_COACH, COACH, values("13:00", "14:00"), TODAY, entry_id=entry_id)
    assert error.value.field == "entry_id"


def test_a_correction_on_the_same_day(app: TimeTracking) -> None:
    entry_id = app.record_entry(AS_COACH, COACH, values(), TODAY).result
    app.correct_entry(AS_COACH, entry_id, {"category_id": "covering-classes"}, "covering",
                      TODAY)
    [entry] = app.coach_day(AS_COACH, COACH, MONDAY).live()
    assert entry.values.category_id == "covering-classes"


def test_a_correction_to_another_date_moves_the_entry_and_its_location(
    app: TimeTracking,
) -> None:
    entry_id = app.record_entry(AS_COACH, COACH, values(), TODAY).result
    app.correct_entry(AS_COACH, entry_id, {"worked_on": TUESDAY}, "wrong day", TODAY)
    assert app.coach_day(AS_COACH, COACH, MONDAY).live() == []
    [moved] = app.coach_day(AS_COACH, COACH, TUESDAY).live()
    assert moved.entry_id == entry_id
    assert app.repository.get(entry_id).worked_on == TUESDAY
    # ... and it can be corrected and voided again where it now lives.
    app.correct_entry(AS_COACH, entry_id, {"end": time(9, 30)}, "shorter", TODAY)
    app.void_entry(AS_COACH, entry_id, "did not happen")
    assert app.coach_day(AS_COACH, COACH, TUESDAY).live() == []


def test_a_void_keeps_the_entry_in_the_day(app: TimeTracking) -> None:
    entry_id = app.record_entry(AS_COACH, COACH, values(), TODAY).result
    app.void_entry(AS_COACH, entry_id, "duplicate")
    day = app.coach_day(AS_COACH, COACH, MONDAY)
    assert day.live() == [] and day.entries[entry_id].voided


def test_an_unknown_entry_is_not_found(app: TimeTracking) -> None:
    with pytest.raises(NotFound) as error:
        app.void_entry(AS_COACH, uuid.uuid4(), "x")
    assert error.value.field == "entry_id"
    with pytest.raises(NotFound):
        app.correct_entry(AS_COACH, CATEGORY_LIST_ID, {"minutes": 5}, "x", TODAY)


def test_coaches_act_on_their_own_entries_only(app: TimeTracking) -> None:
    entry_id = app.record_entry(AS_COACH, COACH, values(), TODAY).result
    other = Actor(uuid.uuid4(), Role.COACH)
    with pytest.raises(Forbidden):
        app.record_entry(other, COACH, values("11:00", "12:00"), TODAY)
    with pytest.raises(Forbidden):
        app.correct_entry(other, entry_id, {"minutes": 5}, "x", TODAY)
    with pytest.raises(Forbidden):
        app.void_entry(other, entry_id, "x")
    with pytest.raises(Forbidden):
        app.coach_day(other, COACH, MONDAY)
    with pytest.raises(Forbidden):
        app.coach_week(LEADER, COACH, MONDAY)


def test_a_week_runs_monday_to_sunday(app: TimeTracking) -> None:
    assert week_of(date(2026, 10, 8)) == [date(2026, 10, 5) + timedelta(days=n)
                                          for n in range(7)]
    app.record_entry(AS_COACH, COACH, values(), TODAY)
    app.record_entry(AS_COACH, COACH, values(worked_on=TUESDAY), TODAY)
    days = app.coach_week(AS_COACH, COACH, date(2026, 10, 11))
    assert [len(d.live()) for d in days] == [1, 1, 0, 0, 0, 0, 0]


def test_categories_change_through_the_app(app: TimeTracking) -> None:
    app.add_category(LEADER, "Lab walkthroughs", "coaching")
    app.rename_category(LEADER, "lab-walkthroughs", "Lab classroom walkthroughs")
    app.retire_category(LEADER, "duties")
    categories = app.category_list()
    assert categories.get("lab-walkthroughs").label == "Lab classroom walkthroughs"
    assert categories.get("duties").retired
    with pytest.raises(Invalid, match="is retired"):
        app.record_entry(AS_COACH, COACH, values(category_id="duties"), TODAY)


def stored_day(app: TimeTracking) -> CoachDay:
    """The coach's Monday as stored, read as another worker would."""
    try:
        return app.repository.get(day_id(COACH, MONDAY))
    except AggregateNotFoundError:
        return CoachDay(coach_id=COACH, worked_on=MONDAY)


def another_device_records(app: TimeTracking, entry: object) -> uuid.UUID:
    """A competing writer: loads the day itself and commits first."""
    day = stored_day(app)
    entry_id = uuid.uuid4()
    day.record(AS_COACH, entry_id, entry, app.category_list(), TODAY)
    app.save(day)
    return entry_id


def test_a_race_for_the_same_day_is_decided_again_and_the_overlap_caught(
    app: TimeTracking,
) -> None:
    """Another device saves an overlapping entry between our load and our save: our save
    loses the race, the command reloads the day and the overlap rule refuses it."""
    raced: list[uuid.UUID] = []

    def lose_the_race(aggregate_id: uuid.UUID) -> None:
        if aggregate_id == day_id(COACH, MONDAY) and not raced:
            raced.append(another_device_records(app, values("09:30", "10:30")))

    racing(app, lose_the_race)
    with pytest.raises(Invalid, match="overlaps entry") as error:
        app.record_entry(AS_COACH, COACH, values("09:00", "10:00"), TODAY)
    assert str(raced[0]) in error.value.message
    assert [e.entry_id for e in stored_day(app).live()] == raced


def test_a_command_that_keeps_losing_races_is_a_conflict(app: TimeTracking) -> None:
    def always_stale(aggregate_id: uuid.UUID) -> None:
        if aggregate_id == day_id(COACH, MONDAY):
            another_device_records(app, values(None, None, minutes=1))

    racing(app, always_stale)
    with pytest.raises(Conflict):
        app.record_entry(AS_COACH, COACH, values(None, None, minutes=5), TODAY)
    assert len(stored_day(app).live()) == 5  # one per lost attempt, ours never


def test_seeding_twice_at_once_keeps_one_list(app: TimeTracking) -> None:
    app.save(CategoryList.seeded())  # another worker seeded first
    assert app.category_list().version == 13
