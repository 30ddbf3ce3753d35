"""The service layer on an in-memory store: what is saved with a cycle, what each query
answers and to whom, and that a lost race is decided again rather than lost."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from coachops.errors import Conflict, Forbidden, NotFound
from coachops.identity import Actor, Role
from coachops.unit_of_work import ATTEMPTS
from services.cycles.app import Cycles
from services.cycles.domain import Cycle, Status, caseload_id
from tests.unit.conftest import on_the_roster
from tests.unit.cycles.helpers import (
    AS_COACH,
    AS_SECOND_TEACHER,
    AS_TEACHER,
    COACH,
    GOAL,
    NOW,
    OTHER_COACH,
    PRINCIPAL,
    SCHOOL,
    SECOND_TEACHER,
    TEACHER,
    TODAY,
    names,
)
from tests.unit.racing import racing as racing_units

MEMORY = {"PERSISTENCE_MODULE": "eventsourcing.popo"}


def start(app: Cycles, actor: Actor = AS_COACH, teacher_ids: list[uuid.UUID] | None = None,
          coach_id: uuid.UUID = COACH) -> Cycle:
    return app.start_cycle(actor, coach_id, teacher_ids or [TEACHER], SCHOOL,
                           ["danielson-2b"], GOAL, TODAY).result


def accepted(app: Cycles) -> uuid.UUID:
    cycle_id = start(app).id
    app.accept(AS_TEACHER, cycle_id, TODAY)
    return cycle_id


def test_a_proposal_is_saved_with_everyone_s_caseload(app: Cycles) -> None:
    cycle = start(app, teacher_ids=[TEACHER, SECOND_TEACHER])
    assert app.cycle(AS_COACH, cycle.id, NOW).status is Status.PROPOSED
    for person in (COACH, TEACHER, SECOND_TEACHER):
        assert cycle.id in app.repository.get(caseload_id(person)).cycles
    assert [c.id for c in app.caseload(AS_COACH, COACH)] == [cycle.id]
    assert [c.id for c in app.teacher_cycles(AS_TEACHER, TEACHER)] == [cycle.id]


def test_a_cycle_reloads_as_it_was_decided(app: Cycles) -> None:
    cycle_id = accepted(app)
    app.agree_norms(AS_COACH, cycle_id, ["debrief within 24 hours"], None, TODAY, TODAY)
    _, item_id = app.schedule(AS_COACH, cycle_id, "observation", NOW, 45).result
    app.log_observation(AS_COACH, cycle_id, now=NOW, today=TODAY, observed_on=TODAY,
                        minutes=45, tool="talk_time",
                        data=[{"look_for": "teacher talk", "seconds": 900}], notes="n",
                        calendar_item_id=item_id)
    app.add_next_step(AS_COACH, cycle_id, "film a lesson", TEACHER, TODAY, TODAY)
    reloaded = app.cycle(AS_TEACHER, cycle_id, NOW)
    assert reloaded.__dict__ == app.repository.get(cycle_id).__dict__
    assert reloaded.goal == GOAL and reloaded.norms is not None
    assert reloaded.items[item_id].status.value == "done"
    assert reloaded.phase.value == "act" and str(reloaded.progress()) == "0/1 next steps complete"


def test_an_unknown_cycle_is_not_found_and_so_is_an_id_that_is_not_a_cycle(app: Cycles) -> None:
    start(app)
    for unknown in (uuid.uuid4(), caseload_id(COACH)):
        with pytest.raises(NotFound) as error:
            app.accept(AS_TEACHER, unknown, TODAY)
        assert error.value.field == "cycle_id"
        with pytest.raises(NotFound):
            app.timeline(AS_COACH, unknown, NOW)


@pytest.mark.parametrize("who", [PRINCIPAL, OTHER_COACH, Actor(uuid.uuid4(), Role.TEACHER)])
def test_only_the_cycles_coach_and_teacher_read_it(app: Cycles, who: Actor) -> None:
    cycle_id = accepted(app)
    for read in (app.cycle, app.timeline):
        with pytest.raises(Forbidden) as error:
            read(who, cycle_id, NOW)
        assert error.value.field == "cycle_id"
    app.timeline(AS_TEACHER, cycle_id, NOW)


def test_the_timeline_is_every_event_of_the_cycle_in_order(app: Cycles) -> None:
    cycle_id = accepted(app)
    app.add_next_step(AS_COACH, cycle_id, "film a lesson", TEACHER, TODAY, TODAY)
    cycle, events = app.timeline(AS_TEACHER, cycle_id, NOW)
    assert names(events) == ["Proposed", "Accepted", "Started", "NextStepAdded"]
    assert cycle.version == len(events)


def test_a_coach_and_a_teacher_see_their_own_lists_only(app: Cycles) -> None:
    with pytest.raises(Forbidden) as error:
        app.caseload(OTHER_COACH, COACH)
    assert error.value.field == "coach_id"
    with pytest.raises(Forbidden):
        app.caseload(Actor(COACH, Role.TEACHER), COACH)
    with pytest.raises(Forbidden) as error:
        app.teacher_cycles(AS_SECOND_TEACHER, TEACHER)
    assert error.value.field == "teacher_id"


def test_a_declined_proposal_leaves_the_teachers_list(app: Cycles) -> None:
    group = start(app, teacher_ids=[TEACHER, SECOND_TEACHER]).id
    alone = start(app).id
    app.decline(AS_TEACHER, group, TODAY)
    assert [c.id for c in app.teacher_cycles(AS_TEACHER, TEACHER)] == [alone]
    assert [c.id for c in app.teacher_cycles(AS_SECOND_TEACHER, SECOND_TEACHER)] == [group]


class Racing(Cycles):
    """Another worker saves the same cycle between this one's load and its save, on the
    next ``races`` loads: what two workers acting on one cycle at once look like."""

    races = 0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        racing_units(self, self.race)

    def race(self, aggregate_id: uuid.UUID) -> None:
        if self.races and isinstance(self.repository.get(aggregate_id), Cycle):
            self.races -= 1
            other = self.repository.get(aggregate_id)
            other.add_next_step(AS_COACH, "the other worker's step", TEACHER, TODAY, TODAY)
            self.save(other)


@pytest.fixture
def racing() -> Iterator[Racing]:
    application = on_the_roster(Racing(env=MEMORY))
    yield application
    application.close()


def test_a_lost_race_is_decided_again_and_neither_update_is_lost(racing: Racing) -> None:
    cycle_id = accepted(racing)
    racing.races = 1
    cycle, step_id = racing.add_next_step(AS_COACH, cycle_id, "mine", COACH,
                                          TODAY + timedelta(days=1), TODAY).result
    texts = sorted(s.text for s in racing.cycle(AS_COACH, cycle_id, NOW).steps.values())
    assert texts == ["mine", "the other worker's step"]
    assert str(cycle.progress()) == "0/2 next steps complete"
    assert step_id in cycle.steps


def test_after_too_many_lost_races_it_is_a_conflict_and_nothing_of_it_is_saved(
    racing: Racing,
) -> None:
    cycle_id = accepted(racing)
    racing.races = ATTEMPTS
    with pytest.raises(Conflict) as error:
        racing.add_next_step(AS_COACH, cycle_id, "mine", COACH, TODAY, TODAY)
    assert error.value.field == "cycle_id"
    texts = [s.text for s in racing.cycle(AS_COACH, cycle_id, NOW).steps.values()]
    assert texts == ["the other worker's step"] * ATTEMPTS


class RacingProposal(Cycles):
    """Another coach's proposal to the same teacher is saved between this proposal's
    loading of the teacher's caseload and its save."""

    raced = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        racing_units(self, self.race)

    def race(self, aggregate_id: uuid.UUID) -> None:
        if aggregate_id == caseload_id(TEACHER) and not self.raced:
            self.raced = True
            start(self, actor=OTHER_COACH, coach_id=OTHER_COACH.id)


def test_two_proposals_to_one_teacher_at_once_both_land() -> None:
    app = on_the_roster(RacingProposal(env=MEMORY))
    app.learn_roster_fact(OTHER_COACH.id, SCHOOL, "coach", TODAY, True)
    try:
        start(app)
        assert app.raced
        assert len(app.teacher_cycles(AS_TEACHER, TEACHER)) == 2
    finally:
        app.close()


def test_every_read_of_the_content_is_recorded_for_its_coach_and_teachers(
    app: Cycles,
) -> None:
    cycle_id = accepted(app)
    app.cycle(AS_TEACHER, cycle_id, NOW)
    app.timeline(AS_COACH, cycle_id, NOW + timedelta(minutes=5))
    with pytest.raises(Forbidden):
        app.cycle(Actor(uuid.uuid4(), Role.PRINCIPAL), cycle_id, NOW)  # refused: not a read
    reads = app.reads(AS_TEACHER, cycle_id)
    assert [(r.reader_id, r.role, r.what, r.read_at) for r in reads] == [
        (AS_TEACHER.id, Role.TEACHER, "cycle", NOW),
        (AS_COACH.id, Role.COACH, "timeline", NOW + timedelta(minutes=5)),
    ]
    assert app.reads(AS_COACH, cycle_id) == reads
    with pytest.raises(Forbidden):
        app.reads(Actor(uuid.uuid4(), Role.DISTRICT_LEADER), cycle_id)
