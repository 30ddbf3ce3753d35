"""Recording a time entry: every rule of the domain, with no infrastructure."""

from __future__ import annotations

import uuid
from datetime import date, time, timedelta

import pytest

from coachops.errors import Conflict, Forbidden, Invalid
from coachops.identity import Actor, Role
from services.timetracking.domain import CategoryList, CoachDay, EntryValues, Kind, day_id
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


def test_a_recorded_entry_counts_its_minutes_and_keeps_its_kind() -> None:
    coach_day = day()
    entry_id = record(coach_day, values("09:00", "10:30", cycle_id=uuid.uuid4(),
                                        focus_area_id="danielson-2b", note="went well"))
    assert coach_day.id == day_id(COACH, MONDAY)
    [entry] = coach_day.live()
    assert (entry.entry_id, entry.values.minutes, entry.category_kind) == (
        entry_id, 90, Kind.COACHING)
    opened, recorded = coach_day.collect_events()
    assert isinstance(opened, CoachDay.Opened)
    assert isinstance(recorded, CoachDay.EntryRecorded)
    assert (recorded.coach_id, recorded.entry_id, recorded.actor) == (COACH, entry_id, AS_COACH)
    assert recorded.category_kind == "coaching"


def test_an_entry_may_give_minutes_instead_of_times() -> None:
    coach_day = day()
    record(coach_day, values(None, None, minutes=45, category_id="tech-support"))
    [entry] = coach_day.live()
    assert (entry.values.minutes, entry.values.start, entry.category_kind) == (
        45, None, Kind.OTHER)


# Length ---------------------------------------------------------------------------------


def test_the_end_is_not_before_the_start() -> None:
    with pytest.raises(Invalid, match=r"the end \(09:00\) is before the start \(10:00\)") as e:
        values("10:00", "09:00")
    assert e.value.field == "end"


def test_an_entry_is_not_zero_minutes_long() -> None:
    with pytest.raises(Invalid, match="zero minutes long") as error:
        values("10:00", "10:00")
    assert error.value.field == "end"


@pytest.mark.parametrize("minutes", [0, -30])
def test_minutes_are_more_than_zero(minutes: int) -> None:
    with pytest.raises(Invalid, match="more than zero minutes") as error:
        values(None, None, minutes=minutes)
    assert error.value.field == "minutes"


@pytest.mark.parametrize(
    ("start", "end", "minutes", "field"),
    [
        ("09:00", None, None, "end"),
        (None, "10:00", None, "start"),
        (None, None, None, "minutes"),
        ("09:00", "10:00", 60, "minutes"),
        ("09:00:30", "10:00", None, "start"),
    ],
)
def test_an_entry_has_start_and_end_or_minutes(start: str | None, end: str | None,
                                               minutes: int | None, field: str) -> None:
    with pytest.raises(Invalid) as error:
        values(start, end, minutes=minutes)
    assert error.value.field == field


# 24 hours -------------------------------------------------------------------------------


def test_a_day_holds_24_hours_and_no_more() -> None:
    coach_day = day()
    record(coach_day, values(None, None, minutes=23 * 60))
    record(coach_day, values(None, None, minutes=60))  # exactly 24 h is possible
    with pytest.raises(Invalid, match="that makes 24 h 01 min logged on 2026-10-05") as error:
        record(coach_day, values(None, None, minutes=1))
    assert error.value.field == "minutes"


def test_one_entry_longer_than_a_day_is_refused() -> None:
    with pytest.raises(Invalid, match="a day has 24 hours") as error:
        record(day(), values(None, None, minutes=24 * 60 + 1))
    assert error.value.field == "minutes"


def test_the_24_hour_rule_names_the_end_of_a_timed_entry() -> None:
    coach_day = day()
    record(coach_day, values(None, None, minutes=23 * 60 + 30))
    with pytest.raises(Invalid, match="24 h 30 min") as error:
        record(coach_day, values("09:00", "10:00"))
    assert error.value.field == "end"


def test_the_24_hours_are_per_coach() -> None:
    record(day(), values(None, None, minutes=24 * 60))
    other = CoachDay(coach_id=uuid.uuid4(), worked_on=MONDAY)
    assert other.id != day().id
    other.record(Actor(other.coach_id, Role.COACH), uuid.uuid4(),
                 values(None, None, minutes=24 * 60), CategoryList.seeded(), TODAY)


# Overlaps -------------------------------------------------------------------------------


def test_overlapping_entries_are_refused_naming_the_entry_they_clash_with() -> None:
    coach_day = day()
    first = record(coach_day, values("09:00", "10:00"))
    with pytest.raises(Invalid) as error:
        record(coach_day, values("09:45", "11:00", category_id="tech-support"))
    assert error.value.field == "start"
    assert str(first) in error.value.message
    assert "09:00-10:00" in error.value.message
    assert len(coach_day.live()) == 1


@pytest.mark.parametrize(("start", "end"), [("08:00", "12:00"), ("09:15", "09:30"),
                                            ("08:30", "09:01")])
def test_any_overlap_counts(start: str, end: str) -> None:
    coach_day = day()
    record(coach_day, values("09:00", "10:00"))
    with pytest.raises(Invalid, match="overlaps entry"):
        record(coach_day, values(start, end))


def test_entries_that_touch_do_not_overlap() -> None:
    coach_day = day()
    record(coach_day, values("09:00", "10:00"))
    record(coach_day, values("10:00", "11:00"))
    record(coach_day, values("08:00", "09:00"))
    assert [e.values.start for e in coach_day.live()] == [time(8), time(9), time(10)]


def test_entries_in_minutes_have_no_times_to_overlap() -> None:
    coach_day = day()
    record(coach_day, values("09:00", "10:00"))
    record(coach_day, values(None, None, minutes=60))
    assert coach_day.logged_minutes() == 120


def test_a_voided_entry_no_longer_blocks_its_time() -> None:
    coach_day = day()
    first = record(coach_day, values("09:00", "10:00"))
    coach_day.void(AS_COACH, first, "logged twice")
    record(coach_day, values("09:00", "10:00"))


# Date -----------------------------------------------------------------------------------


def test_time_is_not_logged_for_a_day_after_today() -> None:
    tomorrow = TODAY + timedelta(days=1)
    with pytest.raises(Invalid, match="is after today") as error:
        record(day(tomorrow), values(worked_on=tomorrow))
    assert error.value.field == "worked_on"
    record(day(TODAY), values(worked_on=TODAY))  # today itself is fine


# Categories -----------------------------------------------------------------------------


def test_an_unknown_category_is_refused() -> None:
    with pytest.raises(Invalid, match="there is no category 'bulletin-boards'") as error:
        record(day(), values(category_id="bulletin-boards"))
    assert error.value.field == "category_id"


def test_a_retired_category_is_refused_for_new_entries() -> None:
    categories = CategoryList.seeded()
    categories.retire(LEADER, "duties")
    with pytest.raises(Invalid, match="is retired") as error:
        record(day(), values(category_id="duties"), categories)
    assert error.value.field == "category_id"


# Who ------------------------------------------------------------------------------------


@pytest.mark.parametrize("actor", [Actor(uuid.uuid4(), Role.COACH), Actor(COACH, Role.PRINCIPAL),
                                   LEADER])
def test_a_coach_logs_their_own_time_only(actor: Actor) -> None:
    with pytest.raises(Forbidden) as error:
        day().record(actor, uuid.uuid4(), values(), CategoryList.seeded(), TODAY)
    assert error.value.field == "coach_id"


def test_an_entry_id_is_recorded_once() -> None:
    coach_day = day()
    entry_id = record(coach_day, values())
    with pytest.raises(Conflict):
        coach_day.record(AS_COACH, entry_id, values("11:00", "12:00"), CategoryList.seeded(),
                         TODAY)


def test_an_entry_of_another_date_is_not_checked_against_this_day() -> None:
    with pytest.raises(ValueError, match="checked on"):
        record(day(), values(worked_on=date(2026, 10, 6)))


def test_values_are_plain_data() -> None:
    assert values() == EntryValues(SCHOOL, MONDAY, "co-planning", 60, time(9), time(10))
