"""A cycle names a coach assigned to its school and teachers of that school, on the day:
the cycles service's own copy of the roster (``services.cycles.roster``), learnt from the
roster's events, decides."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from coachops.errors import CoachopsError, Forbidden, Invalid
from coachops.identity import Actor, Role
from services.cycles.app import Cycles
from services.cycles.roster import RosterFacts
from tests.unit.cycles.helpers import AS_COACH, AS_TEACHER, COACH, GOAL, SCHOOL, TEACHER, TODAY

OTHER_SCHOOL = uuid.uuid4()
OTHER_COACH = uuid.uuid4()
OTHER_TEACHER = uuid.uuid4()


@pytest.fixture
def app(cycles_app: Cycles) -> Cycles:
    # The other coach and teacher work at the other school.
    cycles_app.learn_roster_fact(OTHER_COACH, OTHER_SCHOOL, "coach", date(2020, 8, 1), True)
    cycles_app.learn_roster_fact(OTHER_TEACHER, OTHER_SCHOOL, "teacher", date(2020, 8, 1),
                                 True)
    return cycles_app


def refused(app: Cycles, actor: Actor, coach: uuid.UUID, teachers: list[uuid.UUID],
            school: uuid.UUID) -> CoachopsError:
    with pytest.raises(CoachopsError) as error:
        app.start_cycle(actor, coach, teachers, school, ["2b"], GOAL, TODAY)
    return error.value


@pytest.mark.parametrize(("actor", "coach", "teachers", "school", "kind", "field"), [
    (AS_COACH, COACH, [OTHER_TEACHER], OTHER_SCHOOL, Forbidden, "school_id"),
    (AS_COACH, COACH, [OTHER_TEACHER], SCHOOL, Invalid, "teacher_ids"),
    (AS_TEACHER, OTHER_COACH, [TEACHER], SCHOOL, Invalid, "coach_id"),
    (AS_TEACHER, OTHER_COACH, [TEACHER], OTHER_SCHOOL, Forbidden, "school_id"),
], ids=["coach at a school not theirs", "a teacher of another school",
        "a coach not at the teacher's school", "a teacher at a school not theirs"])
def test_a_cycle_is_between_people_of_its_school(app: Cycles, actor: Actor, coach: uuid.UUID,
                                                 teachers: list[uuid.UUID],
                                                 school: uuid.UUID, kind: type,
                                                 field: str) -> None:
    error = refused(app, actor, coach, teachers, school)
    assert isinstance(error, kind) and error.field == field
    assert app.start_cycle(actor, COACH, [TEACHER], SCHOOL, ["2b"], GOAL, TODAY).result.id


def test_the_roster_of_the_day_counts(app: Cycles) -> None:
    app.learn_roster_fact(COACH, SCHOOL, "coach", TODAY, False)  # moved away today
    assert isinstance(refused(app, AS_COACH, COACH, [TEACHER], SCHOOL), Forbidden)
    app.learn_roster_fact(COACH, SCHOOL, "coach", TODAY, False)  # the same fact again
    app.learn_roster_fact(COACH, SCHOOL, "coach", TODAY + timedelta(days=1), True)
    assert isinstance(refused(app, AS_COACH, COACH, [TEACHER], SCHOOL), Forbidden)


def test_roster_facts_in_any_order_give_the_same_answer() -> None:
    facts = [(SCHOOL, "coach", date(2026, 8, 1), True), (SCHOOL, "coach", TODAY, False)]
    in_order, backwards = RosterFacts(person_id=COACH), RosterFacts(person_id=COACH)
    for fact in facts:
        in_order.learn(*fact)
    for fact in [*reversed(facts), *facts]:
        backwards.learn(*fact)
    assert len(backwards.facts) == 2
    for on in (date(2026, 7, 31), date(2026, 8, 1), TODAY - timedelta(days=1), TODAY):
        assert in_order.at(SCHOOL, "coach", on) == backwards.at(SCHOOL, "coach", on)


def test_a_calendar_item_is_the_work_of_a_coach_assigned_that_day(app: Cycles) -> None:
    cycle = app.start_cycle(AS_COACH, COACH, [TEACHER], SCHOOL, ["2b"], GOAL, TODAY).result
    app.accept(Actor(TEACHER, Role.TEACHER), cycle.id, TODAY)
    soon = datetime(2026, 11, 10, 15, 0, tzinfo=UTC)
    app.schedule(AS_COACH, cycle.id, "observation", soon, 45)
    app.learn_roster_fact(COACH, SCHOOL, "coach", date(2026, 11, 9), False)  # moved away
    with pytest.raises(Forbidden) as error:
        app.schedule(AS_COACH, cycle.id, "observation", soon + timedelta(days=1), 45)
    assert error.value.field == "starts_at"
