"""A command an app sends again is applied once, by the cycle itself: on the library's
in-memory persistence, the service layer and the aggregate, no infrastructure."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest

from coachops.errors import Conflict, Invalid
from coachops.identity import Actor
from coachops.unit_of_work import Answer, Once
from services.cycles.app import Cycles
from services.cycles.domain import Caseload, Cycle, caseload_id, synced_cycle_id
from tests.unit.conftest import on_the_roster
from tests.unit.cycles.helpers import (
    AS_COACH,
    AS_TEACHER,
    COACH,
    GOAL,
    NOW,
    OTHER_COACH,
    SCHOOL,
    TEACHER,
    TODAY,
    active,
    names,
    observe,
)
from tests.unit.racing import racing


@pytest.fixture
def app(cycles_app: Cycles) -> Cycles:
    return cycles_app


def once(client_id: uuid.UUID, sender: Actor = AS_COACH) -> Once:
    return Once(client_id, sender.id)


def propose(app: Cycles, sent: Once | None = None) -> Cycle:
    return app.start_cycle(AS_COACH, COACH, [TEACHER], SCHOOL, ["danielson-2b"], GOAL, TODAY,
                           once=sent).result


def accepted(app: Cycles) -> uuid.UUID:
    cycle_id = propose(app).id
    app.accept(AS_TEACHER, cycle_id, TODAY)
    return cycle_id


OBSERVATION: dict[str, Any] = {
    "observed_on": TODAY, "minutes": 45, "tool": "response_tally",
    "data": [{"look_for": "student explains", "count": 7}], "notes": "strong launch",
    "calendar_item_id": None,
}
DEBRIEF: dict[str, Any] = {
    "held_on": TODAY, "minutes": 30, "evidence": "7 explanations, up from 3",
    "observation_ids": [], "keepers": ["wait time"], "polishers": ["cold calling"],
    "progress_rating": 3, "progress_text": "halfway", "calendar_item_id": None,
}


def observe_once(app: Cycles, cycle_id: uuid.UUID,
                 sent: Once) -> Answer[tuple[Cycle, uuid.UUID]]:
    return app.log_observation(AS_COACH, cycle_id, now=NOW, today=TODAY, once=sent,
                               **OBSERVATION)


def stored(app: Cycles, cycle_id: uuid.UUID) -> list[str]:
    return names(list(app.events.get(cycle_id)))


# The aggregate ---------------------------------------------------------------------------


def test_the_client_id_is_the_last_event_of_the_command_and_notes_the_version_it_left() -> None:
    cycle = active()
    observation_id = observe(cycle)
    answered_at = cycle.version
    client_id = uuid.uuid4()
    cycle.remember(AS_COACH, client_id, "log_observation", observation_id)
    assert names(list(cycle.collect_events()))[-1] == "ClientCommandApplied"
    applied = cycle.applied_before(AS_COACH, client_id, "log_observation")
    assert applied is not None
    assert (applied.result_id, applied.version, applied.sent_by, applied.command) == (
        observation_id, answered_at, COACH, "log_observation")


def test_a_replayed_cycle_remembers_its_client_ids() -> None:
    cycle = Cycle.start(AS_COACH, COACH, [TEACHER], SCHOOL, ["danielson-2b"], GOAL, TODAY)
    cycle.accept(AS_TEACHER, TODAY)
    client_id = uuid.uuid4()
    cycle.remember(AS_COACH, client_id, "log_observation", observe(cycle))
    events = list(cycle.collect_events())
    replayed = None
    for stored_event in events:
        replayed = stored_event.mutate(replayed)
    assert isinstance(replayed, Cycle)
    assert replayed.applied == cycle.applied
    assert replayed.applied_before(AS_COACH, client_id, "log_observation") is not None


def test_a_client_id_is_remembered_once_and_names_one_command_of_one_sender() -> None:
    cycle = active()
    client_id = uuid.uuid4()
    cycle.remember(AS_COACH, client_id, "add_next_step", None)
    with pytest.raises(ValueError):
        cycle.remember(AS_COACH, client_id, "add_next_step", None)
    for sender, command in ((OTHER_COACH, "add_next_step"), (AS_COACH, "hold_debrief")):
        with pytest.raises(Conflict) as refused:
            cycle.applied_before(sender, client_id, command)
        assert refused.value.field == "client_id"
    assert cycle.applied_before(AS_COACH, uuid.uuid4(), "add_next_step") is None


def test_a_proposal_from_an_app_has_an_id_made_from_its_sender_and_client_id() -> None:
    client_id = uuid.uuid4()
    assert synced_cycle_id(COACH, client_id) == synced_cycle_id(COACH, client_id)
    assert synced_cycle_id(COACH, client_id) != synced_cycle_id(OTHER_COACH.id, client_id)
    cycle = Cycle.start(AS_COACH, COACH, [TEACHER], SCHOOL, ["danielson-2b"], GOAL, TODAY,
                        cycle_id=synced_cycle_id(COACH, client_id))
    assert cycle.id == synced_cycle_id(COACH, client_id)


# The service layer -------------------------------------------------------------------------


def test_a_proposal_sent_twice_is_one_cycle_in_one_caseload(app: Cycles) -> None:
    sent = once(uuid.uuid4())
    answer = app.start_cycle(AS_COACH, COACH, [TEACHER], SCHOOL, ["danielson-2b"], GOAL,
                             TODAY, once=sent)
    assert not answer.duplicate
    again = app.start_cycle(AS_COACH, COACH, [TEACHER], SCHOOL, ["danielson-2b"], GOAL,
                            TODAY, once=once(sent.client_id))
    assert again.duplicate
    first, second = answer.result, again.result
    assert second.id == first.id == synced_cycle_id(COACH, sent.client_id)
    assert (second.version, second.status) == (first.version - 1, first.status)
    assert stored(app, first.id) == ["Proposed", "ClientCommandApplied"]
    caseload = app.repository.get(caseload_id(COACH))
    assert isinstance(caseload, Caseload)
    assert caseload.cycle_ids(AS_COACH.role) == [first.id]


def test_an_observation_sent_twice_is_logged_once_with_the_same_answer(app: Cycles) -> None:
    cycle_id = accepted(app)
    client_id = uuid.uuid4()
    first, observation_id = observe_once(app, cycle_id, once(client_id)).result
    again = observe_once(app, cycle_id, once(client_id))
    second, same_id = again.result
    assert again.duplicate
    assert same_id == observation_id
    assert (second.phase, second.version) == (first.phase, first.version - 1)
    assert stored(app, cycle_id).count("ObservationLogged") == 1


def test_a_resend_answers_as_the_first_sending_did_though_the_cycle_moved_on(
    app: Cycles,
) -> None:
    cycle_id = accepted(app)
    observed = uuid.uuid4()
    first, observation_id = observe_once(app, cycle_id, once(observed)).result
    app.hold_debrief(AS_COACH, cycle_id, now=NOW, today=TODAY, once=once(uuid.uuid4()),
                     **{**DEBRIEF, "observation_ids": [observation_id]})
    app.add_next_step(AS_COACH, cycle_id, "try think-pair-share", TEACHER,
                      TODAY + timedelta(days=2), TODAY, once=once(uuid.uuid4()))
    again = observe_once(app, cycle_id, once(observed))
    second, same_id = again.result
    assert again.duplicate and same_id == observation_id
    assert app.cycle(AS_COACH, cycle_id, NOW).phase.value == "reflect"
    assert second.phase.value == first.phase.value == "act"  # as it answered then
    assert second.progress() == first.progress()


def test_a_refused_command_is_not_remembered_and_may_be_sent_again(app: Cycles) -> None:
    cycle_id = propose(app).id  # not accepted yet: nothing can be written on it
    client_id = uuid.uuid4()
    with pytest.raises(Invalid):
        observe_once(app, cycle_id, once(client_id))
    assert "ClientCommandApplied" not in stored(app, cycle_id)
    app.accept(AS_TEACHER, cycle_id, TODAY)
    assert not observe_once(app, cycle_id, once(client_id)).duplicate
    assert stored(app, cycle_id).count("ObservationLogged") == 1


def test_the_same_client_id_on_two_cycles_is_two_commands(app: Cycles) -> None:
    first, second = accepted(app), accepted(app)
    client_id = uuid.uuid4()
    observe_once(app, first, once(client_id))
    assert not observe_once(app, second, once(client_id)).duplicate


class ResentMeanwhile(Cycles):
    """While this worker decides, another one applies the same resent command and saves
    first: what a batch sent again after a time-out, while the first is still running,
    looks like."""

    resend: Once | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        racing(self, self.race)

    def race(self, aggregate_id: uuid.UUID) -> None:
        if self.resend is not None:
            resend, self.resend = self.resend, None
            self.log_observation(AS_COACH, aggregate_id, now=NOW, today=TODAY, once=resend,
                                 **OBSERVATION)


def test_a_command_and_its_client_id_are_saved_together_or_not_at_all() -> None:
    app = on_the_roster(ResentMeanwhile(env={"PERSISTENCE_MODULE": "eventsourcing.popo"}))
    try:
        cycle_id = accepted(app)
        client_id = uuid.uuid4()
        app.resend = once(client_id)
        # This save loses the race: its observation is not stored without its client id,
        # nor its client id without its observation; decided again, it is a duplicate.
        answer = observe_once(app, cycle_id, once(client_id))
        _, observation_id = answer.result
        assert answer.duplicate
        events = list(app.events.get(cycle_id))
        assert names(events).count("ObservationLogged") == 1
        assert names(events).count("ClientCommandApplied") == 1
        logged = next(e for e in events if isinstance(e, Cycle.ObservationLogged))
        assert logged.observation_id == observation_id
    finally:
        app.close()


def test_a_batch_sent_again_is_answered_step_by_step_as_it_was_the_first_time(
    app: Cycles,
) -> None:
    """The items of one batch share a unit of work; sent again, each duplicate answers
    with the cycle as that item left it, not as the whole batch left it."""
    cycle_id = accepted(app)
    client_ids = [uuid.uuid4() for _ in range(3)]

    def send_batch() -> list[tuple[int, int, uuid.UUID, bool]]:
        unit = app.work()
        answers = []
        for n, client_id in enumerate(client_ids):
            answer = app.add_next_step(AS_COACH, cycle_id, f"step {n}", TEACHER,
                                       TODAY + timedelta(days=2), TODAY,
                                       once=Once(client_id, COACH), unit=unit)
            cycle, step_id = answer.result
            answers.append((cycle.progress().total, cycle.version, step_id, answer.duplicate))
        unit.commit()
        return answers

    first, again = send_batch(), send_batch()
    assert [a[0] for a in first] == [1, 2, 3]
    assert [a[:3] for a in again] == [(total, version - 1, step) for total, version, step, _
                                      in first]
    assert [a[3] for a in first + again] == [False] * 3 + [True] * 3
    assert stored(app, cycle_id).count("NextStepAdded") == 3
