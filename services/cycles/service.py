"""The cycles nameko service: RPC commands and queries in, integration events out (via the
relay). Each entrypoint loads its schema, calls the application once and answers JSON.

The commands a coach's app may queue offline are written once, as ``_<command>(actor,
data, once)``: their single entrypoint calls it without a client id, and ``sync`` calls it
for each item of a batch with one."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from uuid import UUID

from coachops import clock
from coachops.bus.consumer import integration_event_handler
from coachops.commands import load
from coachops.commands.cycles import (
    AcceptCycle,
    AddNextStep,
    AgreeNorms,
    CancelItem,
    CaseloadQuery,
    CloseCycle,
    CompleteNextStep,
    CycleQuery,
    DeclineCycle,
    DropNextStep,
    HoldDebrief,
    LogObservation,
    MarkItemDone,
    MovePhaseBack,
    ReopenCycle,
    RescheduleItem,
    ReviseGoal,
    ScheduleItem,
    StartCycle,
    TeacherCyclesQuery,
    WithdrawFromReporting,
)
from coachops.commands.sync import Once, apply_batch
from coachops.contracts import Envelope
from coachops.dependencies import DeliveredOnce, PublishedEvents, Readiness, Store
from coachops.identity import Actor
from coachops.json import Json
from coachops.metrics import MetricsServer
from coachops.rpc import rpc
from services.cycles import views
from services.cycles.app import Cycles
from services.cycles.domain import Goal
from services.cycles.integration import to_integration


def instant(moment: datetime) -> datetime:
    """A time the app sends: without a zone it is the district's local time."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=clock.district_zone())
    return moment.astimezone(UTC)


class CyclesService:
    name = "cycles"

    cycles = Store(Cycles, publish=to_integration)
    metrics = MetricsServer()

    ready = Readiness()
    published = PublishedEvents("cycles")
    once = DeliveredOnce()

    @rpc
    def ping(self) -> str:
        return "pong" if self.ready() else "starting"

    @rpc
    def published_events(self, start: int, limit: int = 100) -> list[Json]:
        """What this service published from position ``start`` on (a consumer's gap)."""
        return self.published.events(int(start), min(int(limit), 1000))

    @rpc
    def last_published_position(self) -> int:
        """Where this service's published events end, for a consumer that may have missed
        the last ones, or that reads them all."""
        return self.published.last_published()

    # Forgetting a person (coachops.privacy): told by the roster, or asked again by
    # ``python -m coachops.privacy.reapply`` after a database is restored from a backup.

    @integration_event_handler("agreements", "PersonForgotten")
    def on_person_forgotten(self, event: Envelope) -> None:
        self.cycles.erase_person(event.payload["person_id"])

    @rpc
    def erase_person(self, person_id: str) -> int:
        return self.cycles.erase_person(UUID(person_id))

    @rpc
    def erased_people(self) -> list[str]:
        return [str(p) for p in self.cycles.erased_people()]

    # The roster's word on who works where (``services.cycles.roster``) --------------------

    def _learn(self, event: Envelope, role: str, assigned: bool) -> None:
        fact = event.payload
        self.cycles.learn_roster_fact(fact[f"{role}_id"], fact["school_id"], role,
                                      fact["effective_on"], assigned)

    @integration_event_handler("agreements", "CoachAssignedToSchool")
    def on_coach_assigned(self, event: Envelope) -> None:
        self._learn(event, "coach", assigned=True)

    @integration_event_handler("agreements", "CoachUnassignedFromSchool")
    def on_coach_unassigned(self, event: Envelope) -> None:
        self._learn(event, "coach", assigned=False)

    @integration_event_handler("agreements", "TeacherAssignedToSchool")
    def on_teacher_assigned(self, event: Envelope) -> None:
        self._learn(event, "teacher", assigned=True)

    @integration_event_handler("agreements", "TeacherUnassignedFromSchool")
    def on_teacher_unassigned(self, event: Envelope) -> None:
        self._learn(event, "teacher", assigned=False)

    @rpc
    def roster_knows(self, person_id: str, school_id: str, role: str, on: str) -> bool:
        """Whether this service has learnt that the person is a coach or a teacher at the
        school on that day (for a test or an operator waiting on the bus)."""
        facts = self.cycles.roster_facts(UUID(person_id))
        return facts is not None and facts.at(UUID(school_id), role, date.fromisoformat(on))

    # Starting, accepting, declining --------------------------------------------------------

    @rpc
    def start_cycle(self, actor: Json, command: Json) -> Json:
        return self._start_cycle(Actor.from_dict(actor), load(StartCycle, command),
                                 self.once(actor, "start_cycle"))

    def _start_cycle(self, actor: Actor, data: Json, once: Once | None = None) -> Json:
        cycle = self.cycles.start_cycle(
            actor=actor, coach_id=data["coach_id"],
            teacher_ids=data["teacher_ids"], school_id=data["school_id"],
            focus_area_ids=data["focus_area_ids"], goal=Goal(**data["goal"]),
            today=clock.today(), once=once,
        )
        return views.status(cycle)

    @rpc
    def accept_cycle(self, actor: Json, command: Json) -> Json:
        data = load(AcceptCycle, command)
        return views.status(self.cycles.accept(Actor.from_dict(actor), data["cycle_id"],
                                               clock.today()))

    @rpc
    def decline_cycle(self, actor: Json, command: Json) -> Json:
        data = load(DeclineCycle, command)
        return views.status(self.cycles.decline(Actor.from_dict(actor), data["cycle_id"],
                                                clock.today()))

    @rpc
    def withdraw_from_reporting(self, actor: Json, command: Json) -> Json:
        data = load(WithdrawFromReporting, command)
        return views.status(self.cycles.withdraw_from_reporting(
            Actor.from_dict(actor), data["cycle_id"], clock.today()))

    # Norms and the calendar ----------------------------------------------------------------

    @rpc
    def agree_norms(self, actor: Json, command: Json) -> Json:
        data = load(AgreeNorms, command)
        today = clock.today()
        return views.status(self.cycles.agree_norms(
            Actor.from_dict(actor), data["cycle_id"], norms=data["norms"],
            agreement_id=data["agreement_id"], agreed_on=data["agreed_on"] or today,
            today=today,
        ))

    @rpc
    def schedule_item(self, actor: Json, command: Json) -> Json:
        return self._schedule_item(Actor.from_dict(actor), load(ScheduleItem, command),
                                   self.once(actor, "schedule_item"))

    def _schedule_item(self, actor: Actor, data: Json, once: Once | None = None) -> Json:
        cycle, item_id = self.cycles.schedule(
            actor, data["cycle_id"], kind=data["kind"],
            starts_at=instant(data["starts_at"]), minutes=data["minutes"], once=once,
        )
        return {**views.status(cycle), "item_id": str(item_id)}

    @rpc
    def reschedule_item(self, actor: Json, command: Json) -> Json:
        data = load(RescheduleItem, command)
        return views.status(self.cycles.reschedule(
            Actor.from_dict(actor), data["cycle_id"], data["item_id"],
            starts_at=instant(data["starts_at"]), minutes=data["minutes"],
        ))

    @rpc
    def cancel_item(self, actor: Json, command: Json) -> Json:
        data = load(CancelItem, command)
        return views.status(self.cycles.cancel(Actor.from_dict(actor), data["cycle_id"],
                                               data["item_id"], clock.today()))

    @rpc
    def mark_item_done(self, actor: Json, command: Json) -> Json:
        return self._mark_item_done(Actor.from_dict(actor), load(MarkItemDone, command),
                                    self.once(actor, "mark_item_done"))

    def _mark_item_done(self, actor: Actor, data: Json, once: Once | None = None) -> Json:
        return views.status(self.cycles.mark_done(
            actor, data["cycle_id"], data["item_id"], data["minutes"],
            now=clock.now(), today=clock.today(), once=once,
        ))

    # Observations, debriefs, next steps ----------------------------------------------------

    @rpc
    def log_observation(self, actor: Json, command: Json) -> Json:
        return self._log_observation(Actor.from_dict(actor), load(LogObservation, command),
                                     self.once(actor, "log_observation"))

    def _log_observation(self, actor: Actor, data: Json, once: Once | None = None) -> Json:
        cycle, observation_id = self.cycles.log_observation(
            actor, data.pop("cycle_id"), now=clock.now(), today=clock.today(), once=once,
            **data,
        )
        return {**views.status(cycle), "observation_id": str(observation_id)}

    @rpc
    def hold_debrief(self, actor: Json, command: Json) -> Json:
        return self._hold_debrief(Actor.from_dict(actor), load(HoldDebrief, command),
                                  self.once(actor, "hold_debrief"))

    def _hold_debrief(self, actor: Actor, data: Json, once: Once | None = None) -> Json:
        progress = data.pop("progress")
        cycle, debrief_id = self.cycles.hold_debrief(
            actor, data.pop("cycle_id"), now=clock.now(), today=clock.today(), once=once,
            progress_rating=progress["rating"], progress_text=progress["text"], **data,
        )
        return {**views.status(cycle), "debrief_id": str(debrief_id)}

    @rpc
    def add_next_step(self, actor: Json, command: Json) -> Json:
        return self._add_next_step(Actor.from_dict(actor), load(AddNextStep, command),
                                   self.once(actor, "add_next_step"))

    def _add_next_step(self, actor: Actor, data: Json, once: Once | None = None) -> Json:
        cycle, step_id = self.cycles.add_next_step(
            actor, data["cycle_id"], text=data["text"], owner_id=data["owner_id"],
            due_on=data["due_on"], today=clock.today(), once=once,
        )
        return {**views.status(cycle), "step_id": str(step_id)}

    @rpc
    def complete_next_step(self, actor: Json, command: Json) -> Json:
        return self._complete_next_step(Actor.from_dict(actor), load(CompleteNextStep, command),
                                        self.once(actor, "complete_next_step"))

    def _complete_next_step(self, actor: Actor, data: Json, once: Once | None = None) -> Json:
        return views.status(self.cycles.complete_step(
            actor, data["cycle_id"], data["step_id"], clock.today(), once=once))

    # Offline sync: what a coach's app queued, in the order it was done ---------------------

    @rpc
    def sync(self, actor: Json, items: list[Json]) -> list[Json]:
        """Each item applied once, in batch order (so a cycle's items keep their order);
        each answered as its single entrypoint would, one refusal stopping nothing."""
        return apply_batch(Actor.from_dict(actor), items, {
            "start_cycle": self._start_cycle,
            "schedule_item": self._schedule_item,
            "mark_item_done": self._mark_item_done,
            "log_observation": self._log_observation,
            "hold_debrief": self._hold_debrief,
            "add_next_step": self._add_next_step,
            "complete_next_step": self._complete_next_step,
        })

    @rpc
    def drop_next_step(self, actor: Json, command: Json) -> Json:
        data = load(DropNextStep, command)
        return views.status(self.cycles.drop_step(
            Actor.from_dict(actor), data["cycle_id"], data["step_id"], clock.today()))

    # Phases, closing, reopening ------------------------------------------------------------

    @rpc
    def move_phase_back(self, actor: Json, command: Json) -> Json:
        data = load(MovePhaseBack, command)
        return views.status(self.cycles.move_back(Actor.from_dict(actor), data["cycle_id"],
                                                  clock.today()))

    @rpc
    def revise_goal(self, actor: Json, command: Json) -> Json:
        data = load(ReviseGoal, command)
        return views.status(self.cycles.revise_goal(
            Actor.from_dict(actor), data["cycle_id"], goal=Goal(**data["goal"]),
            focus_area_ids=data["focus_area_ids"], today=clock.today(),
        ))

    @rpc
    def close_cycle(self, actor: Json, command: Json) -> Json:
        data = load(CloseCycle, command)
        return views.status(self.cycles.close_cycle(
            Actor.from_dict(actor), data["cycle_id"], outcome=data["outcome"],
            evidence=data["evidence"], today=clock.today(),
        ))

    @rpc
    def reopen_cycle(self, actor: Json, command: Json) -> Json:
        data = load(ReopenCycle, command)
        return views.status(self.cycles.reopen_cycle(Actor.from_dict(actor), data["cycle_id"],
                                               clock.today()))

    # Queries -------------------------------------------------------------------------------

    @rpc
    def get_cycle(self, actor: Json, query: Json) -> Json:
        data = load(CycleQuery, query)
        return views.cycle(self.cycles.cycle(Actor.from_dict(actor), data["cycle_id"],
                                             clock.now()))

    @rpc
    def cycle_timeline(self, actor: Json, query: Json) -> Json:
        data = load(CycleQuery, query)
        reader = Actor.from_dict(actor)
        cycle, events = self.cycles.timeline(reader, data["cycle_id"], clock.now())
        return views.timeline(cycle, events, reader)

    @rpc
    def cycle_reads(self, actor: Json, query: Json) -> Json:
        data = load(CycleQuery, query)
        reads = self.cycles.reads(Actor.from_dict(actor), data["cycle_id"])
        return views.reads(data["cycle_id"], reads)

    @rpc
    def caseload(self, actor: Json, query: Json) -> Json:
        data = load(CaseloadQuery, query)
        day = data["week_of"] or clock.today()
        monday = day - timedelta(days=day.weekday())
        cycles = self.cycles.caseload(Actor.from_dict(actor), data["coach_id"], clock.now())
        return views.caseload(data["coach_id"], cycles, monday, monday + timedelta(days=6))

    @rpc
    def teacher_cycles(self, actor: Json, query: Json) -> Json:
        data = load(TeacherCyclesQuery, query)
        cycles = self.cycles.teacher_cycles(Actor.from_dict(actor), data["teacher_id"],
                                            clock.now())
        return views.teacher_cycles(data["teacher_id"], cycles)
