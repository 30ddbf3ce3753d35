"""Starting a cycle: coaching is voluntary. A coach proposes; the cycle is active only
once every teacher in it accepts, or when a teacher starts it. A declined proposal is
closed as declined."""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from coachops.errors import Forbidden, Invalid
from coachops.identity import Actor, Role
from services.cycles.domain import Cycle, Goal, Phase, Status
from tests.unit.cycles.helpers import (
    AS_COACH,
    AS_SECOND_TEACHER,
    AS_TEACHER,
    COACH,
    GOAL,
    OTHER_COACH,
    PRINCIPAL,
    SECOND_TEACHER,
    TEACHER,
    TODAY,
    names,
    new_events,
    propose,
)


def test_a_coach_proposes_and_the_cycle_waits_in_plan() -> None:
    cycle = propose(focus_area_ids=["danielson-2b", "danielson-2b", "school-goal-math"])
    assert (cycle.status, cycle.phase) == (Status.PROPOSED, Phase.PLAN)
    assert cycle.focus_area_ids == ["danielson-2b", "school-goal-math"]
    assert cycle.pending_teacher_ids == [TEACHER]
    [proposed] = new_events(cycle)
    assert isinstance(proposed, Cycle.Proposed)
    assert (proposed.actor, proposed.proposed_on, proposed.goal) == (AS_COACH, TODAY, GOAL)


def test_the_cycle_starts_when_the_teacher_accepts() -> None:
    cycle = propose()
    cycle.collect_events()
    cycle.accept(AS_TEACHER, TODAY)
    assert (cycle.status, cycle.phase, cycle.started_on) == (Status.ACTIVE, Phase.PLAN, TODAY)
    accepted, started = new_events(cycle)
    assert isinstance(accepted, Cycle.Accepted) and accepted.teacher_id == TEACHER
    assert isinstance(started, Cycle.Started)
    assert (started.teacher_ids, started.actor, started.phase) == ([TEACHER], AS_TEACHER, "plan")


def test_a_teacher_who_starts_a_cycle_has_accepted_it() -> None:
    cycle = propose(actor=AS_TEACHER)
    assert cycle.status is Status.ACTIVE
    assert names(new_events(cycle)) == ["Proposed", "Accepted", "Started"]
    assert cycle.proposed_by is Role.TEACHER


def test_a_group_starts_when_every_teacher_has_accepted() -> None:
    cycle = propose(teacher_ids=[TEACHER, SECOND_TEACHER])
    cycle.accept(AS_TEACHER, TODAY)
    assert cycle.status is Status.PROPOSED
    assert cycle.pending_teacher_ids == [SECOND_TEACHER]
    cycle.accept(AS_SECOND_TEACHER, TODAY)
    assert cycle.status is Status.ACTIVE
    assert names(new_events(cycle))[-1] == "Started"


def test_a_teacher_who_declines_leaves_the_group_and_the_others_start_without_them() -> None:
    cycle = propose(teacher_ids=[TEACHER, SECOND_TEACHER])
    cycle.accept(AS_TEACHER, TODAY)
    cycle.collect_events()
    cycle.decline(AS_SECOND_TEACHER, TODAY)
    assert (cycle.status, cycle.teacher_ids) == (Status.ACTIVE, [TEACHER])
    left, started = new_events(cycle)
    assert isinstance(left, Cycle.TeacherDeclined)
    assert started.teacher_ids == [TEACHER]
    assert started.actor is None  # the one who said no did not start it
    assert not cycle.can_read(AS_SECOND_TEACHER)


def test_a_declined_proposal_is_closed_as_declined() -> None:
    cycle = propose()
    cycle.collect_events()
    cycle.decline(AS_TEACHER, TODAY)
    assert cycle.status is Status.DECLINED
    assert names(new_events(cycle)) == ["TeacherDeclined", "Declined"]
    with pytest.raises(Forbidden):  # no longer theirs to answer
        cycle.accept(AS_TEACHER, TODAY)
    with pytest.raises(Invalid, match="declined proposal stays closed"):
        cycle.reopen(AS_COACH, TODAY)


def test_a_teacher_may_change_their_mind_before_the_group_starts() -> None:
    cycle = propose(teacher_ids=[TEACHER, SECOND_TEACHER])
    cycle.accept(AS_TEACHER, TODAY)
    cycle.decline(AS_TEACHER, TODAY)
    assert cycle.teacher_ids == [SECOND_TEACHER]
    assert cycle.status is Status.PROPOSED


@pytest.mark.parametrize("who", [AS_COACH, OTHER_COACH, PRINCIPAL,
                                 Actor(uuid.uuid4(), Role.TEACHER), Actor(TEACHER, Role.COACH)])
def test_only_a_teacher_the_cycle_names_accepts_or_declines(who: Actor) -> None:
    cycle = propose()
    for answer in (cycle.accept, cycle.decline):
        with pytest.raises(Forbidden) as error:
            answer(who, TODAY)
        assert error.value.field == "cycle_id"
    assert cycle.status is Status.PROPOSED


def test_accepting_twice_or_answering_an_active_cycle_is_refused() -> None:
    cycle = propose(teacher_ids=[TEACHER, SECOND_TEACHER])
    cycle.accept(AS_TEACHER, TODAY)
    with pytest.raises(Invalid, match="already accepted"):
        cycle.accept(AS_TEACHER, TODAY)
    cycle.accept(AS_SECOND_TEACHER, TODAY)
    with pytest.raises(Invalid, match="already active"):
        cycle.accept(AS_TEACHER, TODAY)
    with pytest.raises(Invalid, match="only a proposal can be declined"):
        cycle.decline(AS_TEACHER, TODAY)


def test_only_the_coach_named_or_a_teacher_in_it_can_start_it() -> None:
    with pytest.raises(Forbidden) as error:
        propose(actor=OTHER_COACH)
    assert error.value.field == "coach_id"
    with pytest.raises(Forbidden):
        propose(actor=PRINCIPAL)
    with pytest.raises(Forbidden) as error:
        propose(actor=Actor(uuid.uuid4(), Role.TEACHER))
    assert error.value.field == "teacher_ids"


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"teacher_ids": [COACH]}, "teacher_ids", "cannot coach themselves"),
        ({"teacher_ids": [TEACHER, TEACHER]}, "teacher_ids", "listed twice"),
        ({"goal": Goal("x", "y", date(2026, 11, 3))}, "goal.by", "before today"),
        ({"goal": Goal("  ", "y", date(2026, 12, 1))}, "goal.what", "empty"),
        ({"focus_area_ids": [" "]}, "focus_area_ids", "at least one focus area"),
    ],
)
def test_a_proposal_breaking_a_rule_is_invalid_naming_the_field(
    changes: dict[str, object], field: str, message: str
) -> None:
    with pytest.raises(Invalid, match=message) as error:
        propose(**changes)
    assert error.value.field == field


def test_a_coach_can_propose_a_goal_due_today() -> None:
    assert propose(goal=Goal("x", "y", TODAY)).goal.by == TODAY
