"""Correcting and voiding entries: new values and a reason, and the history stays."""

from __future__ import annotations

import uuid
from datetime import date, time, timedelta
from typing import Any

import pytest

from coachops.errors import Forbidden, Invalid, NotFound
from coachops.identity import Actor, Role
from services.timetracking.domain import CategoryList, Change, CoachDay, Kind
from tests.unit.timetracking.helpers import AS_COACH, LEADER, MONDAY, TODAY, day, record, values

TUESDAY = MONDAY + timedelta(days=1)


def correct(coach_day: CoachDay, entry_id: uuid.UUID, categories: CategoryList | None = None,
            reason: str = "typo", move_to: CoachDay | None = None, **changes: Any) -> None:
    coach_day.correct(AS_COACH, entry_id, changes, reason, categories or CategoryList.seeded(),
                      TODAY, move_to=move_to)


def test_a_correction_replaces_the_values_and_keeps_the_history() -> None:
    coach_day = day()
    entry_id = record(coach_day, values("09:00", "10:00"))
    correct(coach_day, entry_id, category_id="covering-classes", end=time(11),
            reason="I was covering a class")
    [entry] = coach_day.live()
    assert (entry.values.category_id, entry.values.minutes, entry.category_kind) == (
        "covering-classes", 120, Kind.OTHER)
    assert entry.history == [Change("recorded"), Change("corrected", "I was covering a class")]
    events = coach_day.collect_events()
    assert isinstance(events[-1], CoachDay.EntryCorrected)
    assert events[-1].reason == "I was covering a class"
    # The old values are still in the history of events.
    assert events[1].values.category_id == "co-planning"


def test_minutes_replace_times_and_times_replace_minutes() -> None:
    coach_day = day()
    entry_id = record(coach_day, values("09:00", "10:00"))
    correct(coach_day, entry_id, minutes=20)
    assert (coach_day.entries[entry_id].values.start, coach_day.entries[entry_id].values.minutes
            ) == (None, 20)
    correct(coach_day, entry_id, start=time(13), end=time(13, 45))
    assert coach_day.entries[entry_id].values.minutes == 45
    with pytest.raises(Invalid) as error:
        correct(coach_day, entry_id, minutes=None, start=None, end=time(14))
    assert error.value.field == "start"


def test_a_correction_keeps_every_rule() -> None:
    coach_day = day()
    first = record(coach_day, values("09:00", "10:00"))
    second = record(coach_day, values("10:00", "11:00"))
    with pytest.raises(Invalid, match=f"overlaps entry {first}"):
        correct(coach_day, second, start=time(9, 30))
    with pytest.raises(Invalid) as error:
        correct(coach_day, second, end=time(9, 30))
    assert error.value.field == "end"
    with pytest.raises(Invalid, match="there is no category"):
        correct(coach_day, second, category_id="nope")
    with pytest.raises(Invalid, match="a day has 24 hours"):
        correct(coach_day, second, minutes=24 * 60)
    correct(coach_day, first, start=time(8), end=time(10))  # its own old time does not clash


def test_an_entry_keeps_its_retired_category_but_cannot_move_to_one() -> None:
    categories = CategoryList.seeded()
    coach_day = day()
    entry_id = record(coach_day, values(category_id="duties"), categories)
    categories.retire(LEADER, "duties")
    correct(coach_day, entry_id, categories, end=time(9, 30))
    other = record(coach_day, values("11:00", "12:00"), categories)
    with pytest.raises(Invalid, match="is retired"):
        correct(coach_day, other, categories, category_id="duties")


def test_a_correction_must_change_something_and_say_why() -> None:
    coach_day = day()
    entry_id = record(coach_day, values())
    with pytest.raises(Invalid, match="changes nothing"):
        correct(coach_day, entry_id, end=time(10))
    with pytest.raises(Invalid) as error:
        correct(coach_day, entry_id, reason="  ", end=time(11))
    assert error.value.field == "reason"


def test_a_new_date_moves_the_entry_to_that_day_keeping_its_id() -> None:
    monday, tuesday = day(), day(TUESDAY)
    entry_id = record(monday, values())
    correct(monday, entry_id, worked_on=TUESDAY, reason="wrong day", move_to=tuesday)
    assert monday.live() == []
    [moved] = tuesday.live()
    assert (moved.entry_id, moved.values.worked_on) == (entry_id, TUESDAY)
    assert moved.history == [Change("moved", "wrong day", MONDAY)]
    assert isinstance(monday.collect_events()[-1], CoachDay.EntryMovedOut)
    moved_in = tuesday.collect_events()[-1]
    assert isinstance(moved_in, CoachDay.EntryMovedIn)
    assert moved_in.from_on == MONDAY


def test_a_move_keeps_the_rules_of_the_day_it_moves_to() -> None:
    monday, tuesday = day(), day(TUESDAY)
    record(tuesday, values("09:00", "10:00", worked_on=TUESDAY))
    entry_id = record(monday, values("09:30", "10:30"))
    with pytest.raises(Invalid, match="overlaps entry"):
        correct(monday, entry_id, worked_on=TUESDAY, move_to=tuesday)
    with pytest.raises(Invalid, match="is after today") as error:
        correct(monday, entry_id, worked_on=TODAY + timedelta(days=1),
                move_to=day(TODAY + timedelta(days=1)))
    assert error.value.field == "worked_on"
    assert [e.entry_id for e in monday.live()] == [entry_id]  # nothing happened
    with pytest.raises(ValueError, match="needs the coach's day"):
        correct(monday, entry_id, worked_on=TUESDAY)


def test_a_void_takes_the_entry_out_and_keeps_it_in_history() -> None:
    coach_day = day()
    entry_id = record(coach_day, values())
    coach_day.void(AS_COACH, entry_id, "logged twice")
    assert coach_day.live() == []
    assert coach_day.entries[entry_id].voided
    assert coach_day.entries[entry_id].history[-1] == Change("voided", "logged twice")
    voided = coach_day.collect_events()[-1]
    assert isinstance(voided, CoachDay.EntryVoided)
    assert (voided.entry_id, voided.worked_on) == (entry_id, MONDAY)


def test_a_voided_entry_cannot_be_corrected_or_voided_again() -> None:
    coach_day = day()
    entry_id = record(coach_day, values())
    coach_day.void(AS_COACH, entry_id, "logged twice")
    with pytest.raises(Invalid, match="was voided") as error:
        coach_day.void(AS_COACH, entry_id, "again")
    assert error.value.field == "entry_id"
    with pytest.raises(Invalid, match="was voided"):
        correct(coach_day, entry_id, end=time(11))


def test_a_void_needs_a_reason() -> None:
    coach_day = day()
    entry_id = record(coach_day, values())
    with pytest.raises(Invalid) as error:
        coach_day.void(AS_COACH, entry_id, "")
    assert error.value.field == "reason"


def test_an_unknown_entry_is_not_found() -> None:
    with pytest.raises(NotFound) as error:
        day().void(AS_COACH, uuid.uuid4(), "why")
    assert error.value.field == "entry_id"


def test_only_the_coach_corrects_or_voids() -> None:
    coach_day = day()
    entry_id = record(coach_day, values())
    someone = Actor(uuid.uuid4(), Role.COACH)
    with pytest.raises(Forbidden):
        coach_day.void(someone, entry_id, "mine now")
    with pytest.raises(Forbidden):
        coach_day.correct(someone, entry_id, {"minutes": 5}, "x", CategoryList.seeded(), TODAY)


def test_a_day_replays_from_its_events_to_the_same_state() -> None:
    """Event bodies only apply: replaying never re-checks the rules (today has moved on)."""
    monday, tuesday = day(), day(TUESDAY)
    kept = record(monday, values("09:00", "10:00", note="private"))
    moved = record(monday, values("10:00", "11:00"))
    voided = record(monday, values(None, None, minutes=30))
    correct(monday, kept, category_id="modelling", reason="it was a model lesson")
    correct(monday, moved, worked_on=TUESDAY, move_to=tuesday)
    monday.void(AS_COACH, voided, "duplicate")
    replayed: Any = None
    for event in monday.collect_events():
        replayed = event.mutate(replayed)
    assert replayed.entries == monday.entries
    assert (replayed.coach_id, replayed.worked_on, replayed.version) == (
        monday.coach_id, date(2026, 10, 5), monday.version)
