"""A school the coach is not assigned to: the roster's word, effective-dated."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest

from coachops.errors import Invalid
from coachops.identity import Actor, Role
from services.timetracking.app import TimeTracking
from services.timetracking.domain import CategoryList, CoachAssignments
from tests.unit.timetracking.helpers import AS_COACH, COACH, MONDAY, SCHOOL, TODAY, day, values

OTHER_SCHOOL = uuid.uuid4()


def assignments(*facts: tuple[uuid.UUID, date, bool]) -> CoachAssignments:
    known = CoachAssignments(coach_id=COACH)
    for school_id, effective_on, assigned in facts:
        known.learn(school_id, effective_on, assigned)
    return known


def record_with(known: CoachAssignments | None, **changes: object) -> None:
    day().record(AS_COACH, uuid.uuid4(), values(**changes), CategoryList.seeded(), TODAY,
                 assignments=known)


def test_time_at_an_assigned_school_is_recorded() -> None:
    record_with(assignments((SCHOOL, MONDAY - timedelta(days=30), True)))


def test_time_at_a_school_the_coach_is_not_assigned_to_is_refused() -> None:
    with pytest.raises(Invalid, match="does not assign this coach") as error:
        record_with(assignments((OTHER_SCHOOL, MONDAY - timedelta(days=30), True)))
    assert error.value.field == "school_id"


def test_the_assignment_counts_from_its_effective_date() -> None:
    with pytest.raises(Invalid):
        record_with(assignments((SCHOOL, MONDAY + timedelta(days=1), True)))


def test_a_coach_moved_away_mid_year_logs_no_more_time_there() -> None:
    moved = assignments((SCHOOL, date(2026, 8, 1), True), (SCHOOL, MONDAY, False))
    assert moved.assigned(SCHOOL, MONDAY - timedelta(days=1))
    with pytest.raises(Invalid):
        record_with(moved)


def test_facts_arriving_out_of_order_or_twice_give_the_same_answer() -> None:
    facts = [(SCHOOL, date(2026, 8, 1), True), (SCHOOL, MONDAY, False)]
    in_order = assignments(*facts)
    reversed_twice = assignments(*reversed(facts), *facts)
    assert len(reversed_twice.facts) == 2
    for on in (date(2026, 7, 31), date(2026, 8, 1), MONDAY - timedelta(days=1), MONDAY):
        assert in_order.assigned(SCHOOL, on) == reversed_twice.assigned(SCHOOL, on)


def test_a_coach_the_roster_has_not_named_logs_no_time(time_app: TimeTracking) -> None:
    stranger = Actor(uuid.uuid4(), Role.COACH)  # no roster fact has reached time tracking
    with pytest.raises(Invalid, match="does not assign this coach") as error:
        time_app.record_entry(stranger, stranger.id, values(), TODAY)
    assert error.value.field == "school_id"
