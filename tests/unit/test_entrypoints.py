"""The entrypoints every service shares (coachops.entrypoints) are written once, in base
classes: nameko binds them to each service under the same names as the service's own,
and they answer as they did when each service wrote them out."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from nameko.cli.run import import_service
from nameko.containers import ServiceContainer
from nameko.testing.services import worker_factory

from coachops import clock
from coachops.bus.consumer import IntegrationEventHandler
from coachops.contracts import Envelope
from coachops.entrypoints import MOST_PUBLISHED
from coachops.rpc import Rpc
from coachops.unit_of_work import Answer
from services.agreements.service import AgreementsService
from services.cycles.service import CyclesService
from services.reporting.service import ReportingService
from services.timetracking.service import TimeTrackingService
from tests.unit.cycles.helpers import active

PUBLISHING = {"ping", "published_events", "last_published_position", "erase_person",
              "erased_people"}
SHARED_RPC = {
    CyclesService: PUBLISHING,
    TimeTrackingService: PUBLISHING,
    AgreementsService: PUBLISHING,
    ReportingService: {"ping"},
}
TOLD_TO_FORGET = (CyclesService, TimeTrackingService)
PERSON = uuid.uuid4()
AS_COACH = {"id": str(uuid.uuid4()), "role": "coach"}


def bound(service: type) -> ServiceContainer:
    """The service as ``nameko run`` makes it: every entrypoint bound, nothing started."""
    return ServiceContainer(service, {"AMQP_URI": "memory://"})  # never connected


@pytest.mark.parametrize("service", list(SHARED_RPC), ids=lambda s: s.name)
def test_nameko_run_finds_the_service_alone_in_its_module(service: type) -> None:
    assert import_service(service.__module__) == [service]


@pytest.mark.parametrize("service", list(SHARED_RPC), ids=lambda s: s.name)
def test_nameko_binds_the_inherited_rpc_methods_under_their_own_names(service: type) -> None:
    methods = {e.method_name for e in bound(service).entrypoints if isinstance(e, Rpc)}
    assert SHARED_RPC[service] <= methods
    assert {"ready", "metrics"} <= {d.attr_name for d in bound(service).dependencies}


@pytest.mark.parametrize("service", [*TOLD_TO_FORGET, ReportingService],
                         ids=lambda s: s.name)
def test_the_person_forgotten_consumer_keeps_its_queue(service: type) -> None:
    container = bound(service)  # held: an entrypoint knows its container by a weak reference
    [handler] = [e for e in container.entrypoints
                 if isinstance(e, IntegrationEventHandler) and e.event_type == "PersonForgotten"]
    assert handler.consumer_name == f"{service.name}.on_person_forgotten"
    assert handler.source_service == "agreements"


def test_the_roster_hears_no_person_forgotten_of_its_own() -> None:
    assert not [e for e in bound(AgreementsService).entrypoints
                if isinstance(e, IntegrationEventHandler)]


@pytest.mark.parametrize("service", list(SHARED_RPC), ids=lambda s: s.name)
def test_ping_answers_pong_only_once_ready(service: type) -> None:
    worker = worker_factory(service)
    worker.ready.return_value = False
    assert worker.ping() == "starting"
    worker.ready.return_value = True
    assert worker.ping() == "pong"


def test_published_events_are_read_at_most_a_thousand_at_once() -> None:
    worker = worker_factory(CyclesService)
    worker.published.events.return_value = []
    worker.published.last_published.return_value = 7
    assert worker.published_events("3", 50_000) == []
    worker.published.events.assert_called_once_with(3, MOST_PUBLISHED)
    assert worker.last_published_position() == 7


def forgotten(person: uuid.UUID) -> Envelope:
    now = datetime.now(UTC)
    return Envelope(event_type="PersonForgotten", version=1, source="agreements",
                    stream_id=person, stream_position=1, position=1, previous_position=None,
                    occurred_at=now, recorded_at=now, payload={"person_id": person})


@pytest.mark.parametrize("service", TOLD_TO_FORGET, ids=lambda s: s.name)
def test_a_service_told_to_forget_destroys_the_person_s_keys(service: type) -> None:
    worker = worker_factory(service)
    kept = worker.kept
    kept.erase_person.return_value = 2
    kept.erased_people.return_value = [PERSON]
    worker.on_person_forgotten(forgotten(PERSON))
    assert worker.erase_person(str(PERSON)) == 2
    assert [c.args for c in kept.erase_person.call_args_list] == [(PERSON,), (PERSON,)]
    assert worker.erased_people() == [str(PERSON)]


def test_the_roster_erases_again_as_it_forgets_without_an_actor() -> None:
    worker = worker_factory(AgreementsService)
    worker.agreements.forget.return_value = 1
    assert worker.erase_person(str(PERSON)) == 1
    worker.agreements.forget.assert_called_once_with(PERSON, clock.today())
    worker.kept.erase_person.assert_not_called()
    worker.kept.erased_people.return_value = [PERSON]
    assert worker.erased_people() == [str(PERSON)]


@pytest.mark.parametrize("service", [*TOLD_TO_FORGET, AgreementsService],
                         ids=lambda s: s.name)
def test_the_shared_entrypoints_find_the_service_s_app_whatever_its_name(
        service: type) -> None:
    container = bound(service)
    found = {d.attr_name: d for d in container.dependencies}
    app = found[service.name]
    app.application = object()  # as its setup makes it
    found["published"].setup()
    assert found["published"].app == service.name
    assert found["kept"].get_dependency(None) is app.application


def test_a_queued_command_s_entrypoint_is_applied_once_per_request() -> None:
    worker = worker_factory(CyclesService)
    worker.cycles.complete_step.return_value = Answer(active())
    body = {"cycle_id": str(uuid.uuid4()), "step_id": str(uuid.uuid4())}
    assert worker.complete_next_step(AS_COACH, body)["status"] == "active"
    worker.once.assert_called_once_with(AS_COACH, "complete_next_step")
    assert worker.cycles.complete_step.call_args.kwargs["once"] is worker.once.return_value
    assert CyclesService.complete_next_step.__name__ == "complete_next_step"


CONSUMERS = {
    CyclesService: {
        ("on_person_forgotten", "PersonForgotten"),
        ("on_coach_assigned", "CoachAssignedToSchool"),
        ("on_coach_unassigned", "CoachUnassignedFromSchool"),
        ("on_teacher_assigned", "TeacherAssignedToSchool"),
        ("on_teacher_unassigned", "TeacherUnassignedFromSchool"),
    },
    TimeTrackingService: {
        ("on_person_forgotten", "PersonForgotten"),
        ("on_coach_assigned_to_school", "CoachAssignedToSchool"),
        ("on_coach_unassigned_from_school", "CoachUnassignedFromSchool"),
        ("on_calendar_item_done", "CalendarItemDone"),
    },
}


@pytest.mark.parametrize("service", list(CONSUMERS), ids=lambda s: s.name)
def test_each_consumer_keeps_its_queue_wherever_it_is_written(service: type) -> None:
    """A consumer's queue is named for its method: a renamed one would leave its old queue
    (and the events waiting in it) behind."""
    container = bound(service)
    assert {(e.method_name, e.event_type) for e in container.entrypoints
            if isinstance(e, IntegrationEventHandler)} == CONSUMERS[service]
