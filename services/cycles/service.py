"""The cycles nameko service: RPC commands and queries in, integration events out (via the
relay). Each entrypoint loads its schema, calls the application once and answers JSON.

Every command is one an app may queue offline, written once, as ``_<command>(actor,
data, once, unit)``: its single entrypoint calls it in a unit of work of its own, and
``sync`` calls it for each item of a batch with its client id, in the batch's unit."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from uuid import UUID

from coachops import clock, entrypoints, settings
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
    ImportCycleHistory,
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
from coachops.commands.sync import COMMANDS
from coachops.contracts import Envelope
from coachops.dependencies import DeliveredOnce, EventSourcedApp
from coachops.identity import Actor
from coachops.json import Json
from coachops.rpc import rpc
from coachops.sync_batch import apply_batch
from coachops.unit_of_work import Answer, Once, UnitOfWork
from services.cycles import views
from services.cycles.app import Cycles
from services.cycles.domain import Cycle, Goal
from services.cycles.integration import to_integration

# A process of its own: stop here on a bad setting or a secret production refuses.
settings.start(settings.MASTER_KEY, settings.BROKER, settings.database_secret("cycles"))


def instant(moment: datetime) -> datetime:
    """A time the app sends: without a zone it is the district's local time."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=clock.district_zone())
    return moment.astimezone(UTC)


def learns(event_type: str, role: str, assigned: bool) -> Callable[..., None]:
    """The consumer of a roster event: a person assigned to a school as ``role`` from a
    day on (or no longer)."""

    @integration_event_handler("agreements", event_type)
    def consumer(self: CyclesService, event: Envelope) -> None:
        fact = event.payload
        self.cycles.learn_roster_fact(fact[f"{role}_id"], fact["school_id"], role,
                                      fact["effective_on"], assigned)

    made: Callable[..., None] = consumer
    return made


def standing(answer: Answer[Cycle]) -> Answer[Json]:
    """A queued command's answer: where its cycle stands now."""
    return Answer(views.status(answer.result), answer.duplicate)


def with_made(answer: Answer[tuple[Cycle, UUID]], name: str) -> Answer[Json]:
    """A queued command's answer: where its cycle stands, and the id of what the command
    made in it (an item, an observation, a debrief, a step) as ``name``."""
    cycle, made = answer.result
    return Answer({**views.status(cycle), name: str(made)}, answer.duplicate)


def on_a_cycle(name: str, decide: str, *ids: str) -> entrypoints.Handler:
    """The handler of a command that names a cycle (and an item or a step of it) and
    nothing more: ``Cycles.<decide>(actor, cycle_id, *ids, today, once, unit)``, answered
    with where the cycle stands. ``name`` is its command's."""
    return entrypoints.deciding(
        name, "cycles", decide,
        lambda data: (*(data[field] for field in ("cycle_id", *ids)), clock.today()), standing)


class CyclesService(entrypoints.Ready, entrypoints.Publishing, entrypoints.ToldToForget):
    name = "cycles"

    cycles = EventSourcedApp(Cycles, publish=to_integration)
    once = DeliveredOnce()

    # The roster's word on who works where (``services.cycles.roster``), one consumer an
    # event type.
    on_coach_assigned = learns("CoachAssignedToSchool", "coach", assigned=True)
    on_coach_unassigned = learns("CoachUnassignedFromSchool", "coach", assigned=False)
    on_teacher_assigned = learns("TeacherAssignedToSchool", "teacher", assigned=True)
    on_teacher_unassigned = learns("TeacherUnassignedFromSchool", "teacher", assigned=False)

    @rpc
    def roster_knows(self, person_id: str, school_id: str, role: str, on: str) -> bool:
        """Whether this service has learnt that the person is a coach or a teacher at the
        school on that day (for a test or an operator waiting on the bus)."""
        facts = self.cycles.roster_facts(UUID(person_id))
        return facts is not None and facts.at(UUID(school_id), role, date.fromisoformat(on))

    @rpc
    def import_cycle_history(self, actor: Json, command: Json) -> Json:
        """Cycles run before coachops, entered by district IT."""
        data = load(ImportCycleHistory, command)
        found = self.cycles.import_history(Actor.from_dict(actor), data["csv"], clock.today(),
                                           data["dry_run"])
        return {"dry_run": data["dry_run"], "recorded": len(found.cycles),
                "already_recorded": found.already,
                "cycle_ids": [str(c.id) for c in found.cycles]}

    # Starting, accepting, declining --------------------------------------------------------

    def _start_cycle(self, actor: Actor, data: Json, once: Once | None = None,
                    unit: UnitOfWork | None = None) -> Answer[Json]:
        answer = self.cycles.start_cycle(
            actor=actor, coach_id=data["coach_id"],
            teacher_ids=data["teacher_ids"], school_id=data["school_id"],
            focus_area_ids=data["focus_area_ids"], goal=Goal(**data["goal"]),
            today=clock.today(), once=once, unit=unit,
        )
        return standing(answer)

    start_cycle = entrypoints.queued(_start_cycle, StartCycle)

    _accept_cycle = on_a_cycle("accept_cycle", "accept")
    accept_cycle = entrypoints.queued(_accept_cycle, AcceptCycle)

    _decline_cycle = on_a_cycle("decline_cycle", "decline")
    decline_cycle = entrypoints.queued(_decline_cycle, DeclineCycle)

    _withdraw_from_reporting = on_a_cycle("withdraw_from_reporting", "withdraw_from_reporting")
    withdraw_from_reporting = entrypoints.queued(_withdraw_from_reporting,
                                                 WithdrawFromReporting)

    # Norms and the calendar ----------------------------------------------------------------

    def _agree_norms(self, actor: Actor, data: Json, once: Once | None = None,
                     unit: UnitOfWork | None = None) -> Answer[Json]:
        today = clock.today()
        return standing(self.cycles.agree_norms(
            actor, data["cycle_id"], norms=data["norms"], agreement_id=data["agreement_id"],
            agreed_on=data["agreed_on"] or today, today=today, once=once, unit=unit,
        ))

    agree_norms = entrypoints.queued(_agree_norms, AgreeNorms)

    def _schedule_item(self, actor: Actor, data: Json, once: Once | None = None,
                      unit: UnitOfWork | None = None) -> Answer[Json]:
        answer = self.cycles.schedule(
            actor, data["cycle_id"], kind=data["kind"],
            starts_at=instant(data["starts_at"]), minutes=data["minutes"], once=once, unit=unit,
        )
        return with_made(answer, "item_id")

    schedule_item = entrypoints.queued(_schedule_item, ScheduleItem)

    def _reschedule_item(self, actor: Actor, data: Json, once: Once | None = None,
                         unit: UnitOfWork | None = None) -> Answer[Json]:
        return standing(self.cycles.reschedule(
            actor, data["cycle_id"], data["item_id"], starts_at=instant(data["starts_at"]),
            minutes=data["minutes"], once=once, unit=unit,
        ))

    reschedule_item = entrypoints.queued(_reschedule_item, RescheduleItem)

    _cancel_item = on_a_cycle("cancel_item", "cancel", "item_id")
    cancel_item = entrypoints.queued(_cancel_item, CancelItem)

    def _mark_item_done(self, actor: Actor, data: Json, once: Once | None = None,
                       unit: UnitOfWork | None = None) -> Answer[Json]:
        answer = self.cycles.mark_done(
            actor, data["cycle_id"], data["item_id"], data["minutes"],
            now=clock.now(), today=clock.today(), once=once, unit=unit,
        )
        return standing(answer)

    mark_item_done = entrypoints.queued(_mark_item_done, MarkItemDone)

    # Observations, debriefs, next steps ----------------------------------------------------

    def _log_observation(self, actor: Actor, data: Json, once: Once | None = None,
                        unit: UnitOfWork | None = None) -> Answer[Json]:
        answer = self.cycles.log_observation(
            actor, data.pop("cycle_id"), now=clock.now(), today=clock.today(), once=once,
            unit=unit, **data,
        )
        return with_made(answer, "observation_id")

    log_observation = entrypoints.queued(_log_observation, LogObservation)

    def _hold_debrief(self, actor: Actor, data: Json, once: Once | None = None,
                     unit: UnitOfWork | None = None) -> Answer[Json]:
        progress = data.pop("progress")
        answer = self.cycles.hold_debrief(
            actor, data.pop("cycle_id"), now=clock.now(), today=clock.today(), once=once,
            unit=unit, progress_rating=progress["rating"], progress_text=progress["text"],
            **data,
        )
        return with_made(answer, "debrief_id")

    hold_debrief = entrypoints.queued(_hold_debrief, HoldDebrief)

    def _add_next_step(self, actor: Actor, data: Json, once: Once | None = None,
                      unit: UnitOfWork | None = None) -> Answer[Json]:
        answer = self.cycles.add_next_step(
            actor, data["cycle_id"], text=data["text"], owner_id=data["owner_id"],
            due_on=data["due_on"], today=clock.today(), once=once, unit=unit,
        )
        return with_made(answer, "step_id")

    add_next_step = entrypoints.queued(_add_next_step, AddNextStep)

    def _complete_next_step(self, actor: Actor, data: Json, once: Once | None = None,
                           unit: UnitOfWork | None = None) -> Answer[Json]:
        answer = self.cycles.complete_step(
            actor, data["cycle_id"], data["step_id"], clock.today(), once=once, unit=unit)
        return standing(answer)

    complete_next_step = entrypoints.queued(_complete_next_step, CompleteNextStep)

    _drop_next_step = on_a_cycle("drop_next_step", "drop_step", "step_id")
    drop_next_step = entrypoints.queued(_drop_next_step, DropNextStep)

    # Phases, the goal, closing, reopening --------------------------------------------------

    _move_phase_back = on_a_cycle("move_phase_back", "move_back")
    move_phase_back = entrypoints.queued(_move_phase_back, MovePhaseBack)

    def _revise_goal(self, actor: Actor, data: Json, once: Once | None = None,
                     unit: UnitOfWork | None = None) -> Answer[Json]:
        return standing(self.cycles.revise_goal(
            actor, data["cycle_id"], goal=Goal(**data["goal"]),
            focus_area_ids=data["focus_area_ids"], today=clock.today(), once=once, unit=unit,
        ))

    revise_goal = entrypoints.queued(_revise_goal, ReviseGoal)

    def _close_cycle(self, actor: Actor, data: Json, once: Once | None = None,
                     unit: UnitOfWork | None = None) -> Answer[Json]:
        return standing(self.cycles.close_cycle(
            actor, data["cycle_id"], outcome=data["outcome"], evidence=data["evidence"],
            today=clock.today(), once=once, unit=unit,
        ))

    close_cycle = entrypoints.queued(_close_cycle, CloseCycle)

    _reopen_cycle = on_a_cycle("reopen_cycle", "reopen_cycle")
    reopen_cycle = entrypoints.queued(_reopen_cycle, ReopenCycle)

    # Offline sync: what an app queued, in the order it was done ----------------------------

    @rpc
    def sync(self, actor: Json, items: list[Json]) -> list[Json]:
        """Each item applied once, in batch order (so a cycle's items keep their order);
        each answered as its single entrypoint would, one refusal stopping nothing. Every
        synced row of the route table is a ``_<command>`` handler here."""
        return apply_batch(self.cycles.work(), Actor.from_dict(actor), items, {
            name: getattr(self, f"_{name}") for name, row in COMMANDS.items()
            if row.service == self.name})

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
