"""The rules that hold for every command on a cycle, each with a clear error: only the
cycle's coach writes it; nothing but reopen on a closed cycle; nothing before the teacher
accepts; unknown ids are NotFound (404); content is readable by its coach and teachers
only."""

from __future__ import annotations

import uuid

import pytest

from coachops.errors import Forbidden, Invalid, NotFound
from coachops.identity import Actor, Role
from services.cycles.domain import Status
from tests.unit.cycles.helpers import (
    AS_COACH,
    AS_TEACHER,
    COACH,
    NOW,
    OTHER_COACH,
    PRINCIPAL,
    TEACHER,
    TODAY,
    WRITES,
    Worked,
    Write,
    debrief,
    observe,
    propose,
    worked,
)

EVERY_WRITE = pytest.mark.parametrize("write", WRITES.values(), ids=WRITES.keys())


@EVERY_WRITE
def test_the_coach_can_do_each_of_them(write: Write) -> None:
    cycle = worked()
    write(cycle, AS_COACH)
    assert cycle.cycle.pending_events


@EVERY_WRITE
@pytest.mark.parametrize(
    "who",
    [AS_TEACHER, OTHER_COACH, PRINCIPAL, Actor(COACH, Role.TEACHER),
     Actor(uuid.uuid4(), Role.DISTRICT_LEADER)],
    ids=["its teacher", "another coach", "a principal", "its coach as a teacher", "a leader"],
)
def test_only_the_cycles_coach_writes_it(write: Write, who: Actor) -> None:
    cycle = worked()
    with pytest.raises(Forbidden) as error:
        write(cycle, who)
    # A teacher completing a step is refused for the step: it is not theirs.
    assert error.value.field in ("cycle_id", "step_id")
    assert not cycle.cycle.pending_events


@EVERY_WRITE
def test_nothing_but_reopen_on_a_closed_cycle(write: Write) -> None:
    cycle = worked()
    cycle.cycle.close(AS_COACH, "partly_met", "tallies rose, then fell", TODAY)
    cycle.cycle.collect_events()
    with pytest.raises(Invalid, match="closed: reopen it") as error:
        write(cycle, AS_COACH)
    assert error.value.field == "cycle_id"
    assert not cycle.cycle.pending_events
    cycle.cycle.reopen(AS_COACH, TODAY)
    write(cycle, AS_COACH)


def test_a_teacher_cannot_complete_a_step_on_a_closed_cycle() -> None:
    cycle = worked()
    cycle.cycle.close(AS_COACH, "met", "done", TODAY)
    with pytest.raises(Invalid, match="closed"):
        cycle.cycle.complete_step(AS_TEACHER, cycle.teacher_step_id, TODAY)


@EVERY_WRITE
def test_nothing_is_written_before_the_teacher_accepts(write: Write) -> None:
    proposal = propose()
    assert proposal.status is Status.PROPOSED
    ids = [uuid.uuid4() for _ in range(5)]  # nothing exists in it yet, and it says so first
    with pytest.raises(Invalid, match="has not accepted") as error:
        write(Worked(proposal, *ids), AS_COACH)
    assert error.value.field == "cycle_id"


def test_nothing_is_written_on_a_declined_proposal() -> None:
    cycle = propose()
    cycle.decline(AS_TEACHER, TODAY)
    with pytest.raises(Invalid, match="declined"):
        cycle.schedule(AS_COACH, "observation", NOW, 30)


@pytest.mark.parametrize(
    ("write", "field"),
    [
        (lambda w: w.cycle.reschedule(AS_COACH, uuid.uuid4(), NOW, None), "item_id"),
        (lambda w: w.cycle.cancel(AS_COACH, uuid.uuid4(), TODAY), "item_id"),
        (lambda w: w.cycle.mark_done(AS_COACH, uuid.uuid4(), None, NOW, TODAY), "item_id"),
        (lambda w: w.cycle.complete_step(AS_COACH, uuid.uuid4(), TODAY), "step_id"),
        (lambda w: w.cycle.drop_step(AS_COACH, uuid.uuid4(), TODAY), "step_id"),
        (lambda w: observe(w.cycle, calendar_item_id=uuid.uuid4()), "calendar_item_id"),
        (lambda w: debrief(w.cycle, calendar_item_id=uuid.uuid4()), "calendar_item_id"),
        (lambda w: debrief(w.cycle, observation_ids=[uuid.uuid4()]), "observation_ids"),
    ],
    ids=["reschedule", "cancel", "done", "complete", "drop", "observation's item",
         "debrief's item", "debrief's observation"],
)
def test_an_unknown_id_is_not_found_naming_the_field(write: object, field: str) -> None:
    cycle = worked()
    with pytest.raises(NotFound) as error:
        write(cycle)  # type: ignore[operator]
    assert error.value.field == field


@pytest.mark.parametrize(
    ("who", "readable"),
    [(AS_COACH, True), (AS_TEACHER, True), (OTHER_COACH, False), (PRINCIPAL, False),
     (Actor(TEACHER, Role.COACH), False), (Actor(uuid.uuid4(), Role.TEACHER), False),
     (Actor(uuid.uuid4(), Role.DISTRICT_LEADER), False)],
)
def test_a_cycle_is_read_by_its_coach_and_teacher_only(who: Actor, readable: bool) -> None:
    cycle = worked().cycle
    assert cycle.can_read(who) is readable
    if not readable:
        with pytest.raises(Forbidden) as error:
            cycle.require_reader(who)
        assert error.value.field == "cycle_id"


def test_a_closed_cycle_is_still_read_by_its_teacher() -> None:
    cycle = worked().cycle
    cycle.close(AS_COACH, "met", "done", TODAY)
    cycle.require_reader(AS_TEACHER)
