"""The cycles service layer: read, decide, save, in one unit of work
(``coachops.unit_of_work``). Thin on purpose.

Every command reads the cycle again and decides again when another worker saved it first
(optimistic concurrency): two next steps added at the same moment both land. After a few
lost races it answers Conflict (409), and the client may send it again.

A command sent from an app with its own id (``once``, from an offline sync) is remembered
by the cycle in the same save as its events; sent again, it changes nothing and answers
with the cycle replayed to the version the first sending left it at. The items of one
offline batch share a unit of work: each starts from what the items before it changed,
and all are saved in one commit.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any, TypeVar, cast
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import JSONTranscoder

from coachops import clock
from coachops.application import FieldsAsDict, ServiceApplication
from coachops.errors import Conflict, Forbidden, Invalid, NotFound
from coachops.identity import Actor, Role
from coachops.unit_of_work import Answer, Once, UnitOfWork
from services.cycles import history
from services.cycles.domain import (
    PERSONAL_DATA,
    Applied,
    Caseload,
    Cycle,
    Goal,
    Read,
    ReadLog,
    caseload_id,
    read_log_id,
    synced_cycle_id,
)
from services.cycles.roster import RosterFacts, require_cycle_people, roster_facts_id

T = TypeVar("T")


class Cycles(ServiceApplication):
    personal_data = PERSONAL_DATA
    kept_between_commands = (RosterFacts,)  # read by every calendar command

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(FieldsAsDict(Goal, "goal"))

    # Starting: a proposal, or a start by the teacher ---------------------------------------

    def start_cycle(
        self,
        actor: Actor,
        coach_id: UUID,
        teacher_ids: list[UUID],
        school_id: UUID,
        focus_area_ids: list[str],
        goal: Goal,
        today: date,
        once: Once | None = None,
        unit: UnitOfWork | None = None,
    ) -> Answer[Cycle]:
        # From an app, the cycle's id comes from the command's: a resend finds the cycle.
        cycle_id = None if once is None else synced_cycle_id(actor.id, once.client_id)

        def decide(unit: UnitOfWork) -> Answer[Cycle]:
            if once is not None and cycle_id is not None:
                existing = unit.find(cycle_id, Cycle)
                if existing is not None:
                    return Answer(self._as_applied(unit, existing, actor, once)[0],
                                  duplicate=True)
            people = [(coach_id, Role.COACH), *((t, Role.TEACHER) for t in teacher_ids)]
            unit.read_ahead([*(roster_facts_id(p) for p, _ in people),
                             *(caseload_id(p) for p, _ in people)])
            cycle = Cycle.start(actor=actor, coach_id=coach_id, teacher_ids=teacher_ids,
                                school_id=school_id, focus_area_ids=focus_area_ids, goal=goal,
                                today=today, cycle_id=cycle_id)
            require_cycle_people(actor.id, _roster_facts(unit, coach_id),
                                 {t: _roster_facts(unit, t) for t in teacher_ids}, school_id,
                                 today)
            caseloads = []
            for person_id, role in people:
                caseload = _caseload(unit, person_id)
                caseload.add(cycle_id=cycle.id, role=role.value)
                caseloads.append(caseload)
            if once is not None:
                cycle.remember(actor, once.client_id, once.command, None)
            unit.add(cycle, *caseloads)  # the cycle and its client id: one commit
            return Answer(cycle)

        return self._within(unit, decide)

    def import_history(self, actor: Actor, text: str, today: date,
                       dry_run: bool) -> history.Plan:
        """District IT's file of the cycles run before coachops: all or nothing, every line
        checked first, each cycle on its people's caseloads; a dry run decides the same in
        a unit of work never committed."""
        def decide(unit: UnitOfWork) -> history.Plan:
            def require_people(row: dict[str, Any]) -> None:
                coach_id, school_id, on = row["coach_id"], row["school_id"], row["started_on"]
                coach = _roster_facts(unit, coach_id)
                if coach is None or not coach.at(school_id, "coach", on):
                    raise Invalid(f"the roster does not assign this coach to school "
                                  f"{school_id} on {on}", field="coach_id")
                require_cycle_people(coach_id, coach, {t: _roster_facts(unit, t)
                                                       for t in row["teacher_ids"]},
                                     school_id, on)

            found = history.plan(actor, text, lambda c: unit.find(c, Cycle), require_people,
                                 today)
            for cycle in found.cycles:
                people = [(cycle.coach_id, Role.COACH),
                          *((t, Role.TEACHER) for t in cycle.teacher_ids)]
                for person_id, role in people:
                    caseload = _caseload(unit, person_id)
                    caseload.add(cycle_id=cycle.id, role=role.value)
                    unit.add(caseload)
            unit.add(*found.cycles)
            return found

        if dry_run:
            return decide(self.work())
        return self._within(None, decide)

    # The roster's word (``services.cycles.roster``) ---------------------------------------

    def roster_facts(self, person_id: UUID) -> RosterFacts | None:
        return self._within(None, lambda unit: _roster_facts(unit, person_id))

    def learn_roster_fact(self, person_id: UUID, school_id: UUID, role: str,
                          effective_on: date, assigned: bool) -> bool:
        """A roster fact from the agreements service (it may arrive twice, or late)."""

        def decide(unit: UnitOfWork) -> bool:
            facts = _roster_facts(unit, person_id) or RosterFacts(person_id=person_id)
            if not facts.learn(school_id, role, effective_on, assigned):
                return False
            unit.add(facts)
            return True

        return self._within(None, decide)

    @staticmethod
    def _require_coach_at_school(unit: UnitOfWork, cycle_id: UUID, on: date) -> None:
        """A calendar item is the work of a coach assigned to the cycle's school that day."""
        cycle = unit.find(cycle_id, Cycle)
        if cycle is None:
            return  # the change itself answers 404
        facts = _roster_facts(unit, cycle.coach_id)
        if facts is None or not facts.at(cycle.school_id, "coach", on):
            raise Forbidden(f"the roster does not assign the coach to this cycle's school on "
                            f"{on}", field="starts_at")

    # A command of one cycle takes ``once`` (an app's client id: applied once) and ``unit``
    # (an offline batch's, or None for a unit of its own), and answers where the cycle
    # stands (``_changed``).

    def accept(self, actor: Actor, cycle_id: UUID, today: date, once: Once | None = None,
               unit: UnitOfWork | None = None) -> Answer[Cycle]:
        return self._changed(cycle_id, lambda c: c.accept(actor, today), actor, once, unit)

    def decline(self, actor: Actor, cycle_id: UUID, today: date, once: Once | None = None,
                unit: UnitOfWork | None = None) -> Answer[Cycle]:
        return self._changed(cycle_id, lambda c: c.decline(actor, today), actor, once, unit)

    def withdraw_from_reporting(self, actor: Actor, cycle_id: UUID, today: date,
                                once: Once | None = None,
                                unit: UnitOfWork | None = None) -> Answer[Cycle]:
        return self._changed(cycle_id, lambda c: c.withdraw_from_reporting(actor, today),
                             actor, once, unit)

    # Working in the cycle ------------------------------------------------------------------

    def agree_norms(self, actor: Actor, cycle_id: UUID, norms: list[str],
                    agreement_id: UUID | None, agreed_on: date, today: date,
                    once: Once | None = None, unit: UnitOfWork | None = None) -> Answer[Cycle]:
        return self._changed(
            cycle_id, lambda c: c.agree_norms(actor, norms, agreement_id, agreed_on, today),
            actor, once, unit)

    def schedule(self, actor: Actor, cycle_id: UUID, kind: str, starts_at: datetime,
                 minutes: int, once: Once | None = None,
                 unit: UnitOfWork | None = None) -> Answer[tuple[Cycle, UUID]]:
        return self._change(cycle_id, lambda c: c.schedule(actor, kind, starts_at, minutes),
                            actor, once, unit, on=clock.local_date(starts_at))

    def reschedule(self, actor: Actor, cycle_id: UUID, item_id: UUID, starts_at: datetime,
                   minutes: int | None, once: Once | None = None,
                   unit: UnitOfWork | None = None) -> Answer[Cycle]:
        return self._changed(
            cycle_id, lambda c: c.reschedule(actor, item_id, starts_at, minutes), actor, once,
            unit, on=clock.local_date(starts_at))

    def cancel(self, actor: Actor, cycle_id: UUID, item_id: UUID, today: date,
               once: Once | None = None, unit: UnitOfWork | None = None) -> Answer[Cycle]:
        return self._changed(cycle_id, lambda c: c.cancel(actor, item_id, today), actor,
                             once, unit)

    def mark_done(self, actor: Actor, cycle_id: UUID, item_id: UUID, minutes: int | None,
                  now: datetime, today: date, once: Once | None = None,
                  unit: UnitOfWork | None = None) -> Answer[Cycle]:
        answer = self._change(
            cycle_id, lambda c: c.mark_done(actor, item_id, minutes, now, today), actor, once,
            unit)
        return Answer(answer.result[0], answer.duplicate)

    def log_observation(self, actor: Actor, cycle_id: UUID, now: datetime, today: date,
                        once: Once | None = None, unit: UnitOfWork | None = None,
                        **observation: Any) -> Answer[tuple[Cycle, UUID]]:
        return self._change(
            cycle_id, lambda c: c.log_observation(actor, now=now, today=today, **observation),
            actor, once, unit)

    def hold_debrief(self, actor: Actor, cycle_id: UUID, now: datetime, today: date,
                     once: Once | None = None, unit: UnitOfWork | None = None,
                     **debrief: Any) -> Answer[tuple[Cycle, UUID]]:
        return self._change(
            cycle_id, lambda c: c.hold_debrief(actor, now=now, today=today, **debrief),
            actor, once, unit)

    def add_next_step(self, actor: Actor, cycle_id: UUID, text: str, owner_id: UUID,
                      due_on: date, today: date, once: Once | None = None,
                      unit: UnitOfWork | None = None) -> Answer[tuple[Cycle, UUID]]:
        return self._change(
            cycle_id, lambda c: c.add_next_step(actor, text, owner_id, due_on, today),
            actor, once, unit)

    def complete_step(self, actor: Actor, cycle_id: UUID, step_id: UUID, today: date,
                      once: Once | None = None, unit: UnitOfWork | None = None
                      ) -> Answer[Cycle]:
        answer = self._change(cycle_id, lambda c: c.complete_step(actor, step_id, today),
                              actor, once, unit)
        return Answer(answer.result[0], answer.duplicate)

    def drop_step(self, actor: Actor, cycle_id: UUID, step_id: UUID, today: date,
                  once: Once | None = None, unit: UnitOfWork | None = None) -> Answer[Cycle]:
        return self._changed(cycle_id, lambda c: c.drop_step(actor, step_id, today), actor,
                             once, unit)

    def move_back(self, actor: Actor, cycle_id: UUID, today: date, once: Once | None = None,
                  unit: UnitOfWork | None = None) -> Answer[Cycle]:
        return self._changed(cycle_id, lambda c: c.move_back(actor, today), actor, once, unit)

    def revise_goal(self, actor: Actor, cycle_id: UUID, goal: Goal,
                    focus_area_ids: list[str] | None, today: date, once: Once | None = None,
                    unit: UnitOfWork | None = None) -> Answer[Cycle]:
        return self._changed(
            cycle_id, lambda c: c.revise_goal(actor, goal, focus_area_ids, today), actor, once,
            unit)

    def close_cycle(self, actor: Actor, cycle_id: UUID, outcome: str, evidence: str,
                    today: date, once: Once | None = None,
                    unit: UnitOfWork | None = None) -> Answer[Cycle]:
        return self._changed(cycle_id, lambda c: c.close(actor, outcome, evidence, today),
                             actor, once, unit)

    def reopen_cycle(self, actor: Actor, cycle_id: UUID, today: date,
                     once: Once | None = None, unit: UnitOfWork | None = None) -> Answer[Cycle]:
        return self._changed(cycle_id, lambda c: c.reopen(actor, today), actor, once, unit)

    # Queries: content, for the cycle's coach and teachers only -----------------------------

    def cycle(self, actor: Actor, cycle_id: UUID, now: datetime) -> Cycle:
        """The cycle's content, for its coach or a teacher in it; the read is recorded."""
        cycle = self._within(None, lambda unit: _readable(unit, actor, cycle_id))
        self._audit(actor, cycle_id, "cycle", now)
        return cycle

    def timeline(self, actor: Actor, cycle_id: UUID,
                 now: datetime) -> tuple[Cycle, list[DomainEventProtocol[UUID]]]:
        """The cycle and every event that made it, up to the version read; the read is
        recorded."""
        cycle = self._within(None, lambda unit: _readable(unit, actor, cycle_id))
        self._audit(actor, cycle_id, "timeline", now)
        return cycle, list(self.events.get(cycle_id, lte=cycle.version))

    def reads(self, actor: Actor, cycle_id: UUID) -> list[Read]:
        """Who read the cycle's content, oldest first: for its coach and its teachers."""
        def read(unit: UnitOfWork) -> list[Read]:
            _readable(unit, actor, cycle_id)
            found = unit.find(read_log_id(cycle_id), ReadLog)
            return [] if found is None else list(found.reads)

        return self._within(None, read)

    def _audit(self, actor: Actor, cycle_id: UUID, what: str, now: datetime) -> None:
        self._audit_all(actor, [cycle_id], what, now)

    def _audit_all(self, actor: Actor, cycle_ids: list[UUID], what: str,
                   now: datetime) -> None:
        """One read of each cycle, recorded in its read log, all in one save: every answer
        that shows a cycle's sealed content (its goal, notes, next steps) is a read."""
        def decide(unit: UnitOfWork) -> None:
            unit.read_ahead(read_log_id(c) for c in cycle_ids)
            for cycle_id in cycle_ids:
                found = (unit.find(read_log_id(cycle_id), ReadLog)
                         or ReadLog(cycle_id=cycle_id))
                found.record(reader_id=actor.id, role=actor.role.value, what=what,
                             read_at=now)
                unit.add(found)

        self.within(None, decide, Conflict("too many reads of this cycle at once: try again",
                                           field="cycle_id"))

    def caseload(self, actor: Actor, coach_id: UUID,
                 now: datetime | None = None) -> list[Cycle]:
        """The coach's cycles, with their goals and next steps: a read of each."""
        if actor.role is not Role.COACH or actor.id != coach_id:
            raise Forbidden("a coach sees their own caseload only", field="coach_id")
        cycles = self._cycles_of(coach_id, Role.COACH)
        self._audit_all(actor, [c.id for c in cycles], "caseload", now or clock.now())
        return cycles

    def teacher_cycles(self, actor: Actor, teacher_id: UUID,
                       now: datetime | None = None) -> list[Cycle]:
        """The teacher's cycles and the proposals waiting for their answer, with their
        goals: a read of each. A proposal they declined is no longer theirs to read."""
        if actor.role is not Role.TEACHER or actor.id != teacher_id:
            raise Forbidden("a teacher sees their own cycles only", field="teacher_id")
        cycles = [c for c in self._cycles_of(teacher_id, Role.TEACHER) if c.can_read(actor)]
        self._audit_all(actor, [c.id for c in cycles], "teacher_cycles",
                        now or clock.now())
        return cycles

    def erase_person(self, person_id: UUID) -> int:
        """A person was forgotten: every cycle they were in (as its coach or a teacher)
        loses its key, so its goal, notes and observations read as erased for everyone."""
        caseload = self._within(None, lambda unit: _caseload(unit, person_id))
        return self.erase(person_id, caseload.cycles)

    # Helpers -------------------------------------------------------------------------------

    def _cycles_of(self, person_id: UUID, role: Role) -> list[Cycle]:
        def read(unit: UnitOfWork) -> list[Cycle]:
            cycle_ids = _caseload(unit, person_id).cycle_ids(role)
            unit.read_ahead(cycle_ids)
            return [_cycle(unit, c) for c in cycle_ids]

        return self._within(None, read)

    def _change(self, cycle_id: UUID, decide: Callable[[Cycle], T], actor: Actor | None = None,
                once: Once | None = None, unit: UnitOfWork | None = None,
                on: date | None = None) -> Answer[tuple[Cycle, T]]:
        """A change to one cycle; ``on``, a calendar item's day, whose coach must be at the
        cycle's school."""
        def attempt(unit: UnitOfWork) -> Answer[tuple[Cycle, T]]:
            if on is not None:
                self._require_coach_at_school(unit, cycle_id, on)
            cycle = _cycle(unit, cycle_id)
            if once is not None and actor is not None:
                if cycle.applied_before(actor, once.client_id, once.command) is not None:
                    found, result_id = self._as_applied(unit, cycle, actor, once)
                    # What the command made: the first sending's id.
                    return Answer((found, cast(T, result_id)), duplicate=True)
                result = decide(cycle)
                cycle.remember(actor, once.client_id, once.command,
                               result if isinstance(result, UUID) else None)
            else:
                result = decide(cycle)
            unit.add(cycle)  # the command's events and its client id: one commit
            return Answer((cycle, result))

        return self._within(unit, attempt)

    def _changed(self, cycle_id: UUID, decide: Callable[[Cycle], object], actor: Actor,
                 once: Once | None, unit: UnitOfWork | None,
                 on: date | None = None) -> Answer[Cycle]:
        """``_change`` of a command that makes nothing new: its answer is the cycle."""
        answer = self._change(cycle_id, decide, actor, once, unit, on)
        return Answer(answer.result[0], answer.duplicate)

    @staticmethod
    def _as_applied(unit: UnitOfWork, cycle: Cycle, actor: Actor,
                    once: Once) -> tuple[Cycle, UUID | None]:
        """A command sent again: the cycle as the first sending left it, and what it made."""
        applied: Applied | None = cycle.applied_before(actor, once.client_id, once.command)
        if applied is None:  # a cycle id made from this client id, but not by this command
            raise Conflict(f"command {once.client_id} does not match the cycle it made",
                           field="client_id")
        past: Cycle = unit.as_of(cycle.id, applied.version)
        return past, applied.result_id

    def _within(self, unit: UnitOfWork | None, decide: Callable[[UnitOfWork], T]) -> T:
        return self.within(unit, decide, Conflict(
            "the cycle was changed by someone else at the same moment, several times over;"
            " send it again", field="cycle_id"))


def _cycle(unit: UnitOfWork, cycle_id: UUID) -> Cycle:
    # Any other aggregate with this id (a caseload) is not a cycle either.
    return unit.get(cycle_id, Cycle, NotFound(f"there is no cycle {cycle_id}",
                                              field="cycle_id"))


def _readable(unit: UnitOfWork, actor: Actor, cycle_id: UUID) -> Cycle:
    cycle = _cycle(unit, cycle_id)
    cycle.require_reader(actor)
    return cycle


def _caseload(unit: UnitOfWork, person_id: UUID) -> Caseload:
    # A new one is saved with its person's first cycle.
    return unit.find(caseload_id(person_id), Caseload) or Caseload(person_id=person_id)


def _roster_facts(unit: UnitOfWork, person_id: UUID) -> RosterFacts | None:
    return unit.find(roster_facts_id(person_id), RosterFacts)
