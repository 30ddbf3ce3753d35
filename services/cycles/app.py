"""The cycles service layer: load, decide, save. Thin on purpose.

Every command reloads the cycle and decides again when another worker saved it first
(optimistic concurrency): two next steps added at the same moment both land. After a few
lost races it answers Conflict (409), and the client may send it again.

A command sent from an app with its own id (``once``, from an offline sync) is remembered
by the cycle in the same save as its events; sent again, it changes nothing and answers
with the cycle replayed to the version the first sending left it at.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import date, datetime
from typing import Any, TypeVar, cast
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate, DomainEventProtocol
from eventsourcing.persistence import JSONTranscoder, Transcoding

from coachops import clock
from coachops.application import ServiceApplication
from coachops.commands.sync import Once
from coachops.errors import Conflict, Forbidden, NotFound
from coachops.identity import Actor, Role
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

log = logging.getLogger(__name__)

T = TypeVar("T")


class GoalAsDict(Transcoding):
    type = Goal
    name = "goal"

    def encode(self, obj: Goal) -> dict[str, Any]:
        return {"what": obj.what, "measure": obj.measure, "by": obj.by}

    def decode(self, data: dict[str, Any]) -> Goal:
        return Goal(**data)


class Cycles(ServiceApplication):
    personal_data = PERSONAL_DATA

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(GoalAsDict())

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
    ) -> Cycle:
        # From an app, the cycle's id comes from the command's: a resend finds the cycle.
        cycle_id = None if once is None else synced_cycle_id(actor.id, once.client_id)

        def attempt() -> Cycle:
            if once is not None and cycle_id is not None:
                existing = self._found(cycle_id)
                if existing is not None:
                    return self._as_applied(existing, actor, once)[0]
            cycle = Cycle.start(actor=actor, coach_id=coach_id, teacher_ids=teacher_ids,
                                school_id=school_id, focus_area_ids=focus_area_ids, goal=goal,
                                today=today, cycle_id=cycle_id)
            require_cycle_people(actor.id, self.roster_facts(coach_id),
                                 {t: self.roster_facts(t) for t in teacher_ids}, school_id,
                                 today)
            people = [(coach_id, Role.COACH), *((t, Role.TEACHER) for t in teacher_ids)]
            caseloads = []
            for person_id, role in people:
                caseload = self._caseload(person_id)
                caseload.add(cycle_id=cycle.id, role=role.value)
                caseloads.append(caseload)
            if once is not None:
                cycle.remember(actor, once.client_id, once.command, None)
            self.save(cycle, *caseloads)
            return cycle

        return self._retrying(attempt)

    # The roster's word (``services.cycles.roster``) ---------------------------------------

    def roster_facts(self, person_id: UUID) -> RosterFacts | None:
        try:
            return cast(RosterFacts, self.repository.get(roster_facts_id(person_id)))
        except AggregateNotFoundError:
            return None

    def learn_roster_fact(self, person_id: UUID, school_id: UUID, role: str,
                          effective_on: date, assigned: bool) -> bool:
        """A roster fact from the agreements service (it may arrive twice, or late)."""

        def attempt() -> bool:
            facts = self.roster_facts(person_id) or RosterFacts(person_id=person_id)
            if not facts.learn(school_id, role, effective_on, assigned):
                return False
            self.save(facts)
            return True

        return self._retrying(attempt)

    def _require_coach_at_school(self, cycle_id: UUID, on: date) -> None:
        """A calendar item is the work of a coach assigned to the cycle's school that day."""
        cycle = self._found(cycle_id)
        if cycle is None:
            return  # the change itself answers 404
        facts = self.roster_facts(cycle.coach_id)
        if facts is None or not facts.at(cycle.school_id, "coach", on):
            raise Forbidden(f"the roster does not assign the coach to this cycle's school on "
                            f"{on}", field="starts_at")

    def accept(self, actor: Actor, cycle_id: UUID, today: date) -> Cycle:
        return self._change(cycle_id, lambda c: c.accept(actor, today))[0]

    def decline(self, actor: Actor, cycle_id: UUID, today: date) -> Cycle:
        return self._change(cycle_id, lambda c: c.decline(actor, today))[0]

    def withdraw_from_reporting(self, actor: Actor, cycle_id: UUID, today: date) -> Cycle:
        return self._change(cycle_id, lambda c: c.withdraw_from_reporting(actor, today))[0]

    # Working in the cycle ------------------------------------------------------------------

    def agree_norms(self, actor: Actor, cycle_id: UUID, norms: list[str],
                    agreement_id: UUID | None, agreed_on: date, today: date) -> Cycle:
        return self._change(
            cycle_id, lambda c: c.agree_norms(actor, norms, agreement_id, agreed_on, today))[0]

    def schedule(self, actor: Actor, cycle_id: UUID, kind: str, starts_at: datetime,
                 minutes: int, once: Once | None = None) -> tuple[Cycle, UUID]:
        self._require_coach_at_school(cycle_id, clock.local_date(starts_at))
        return self._change(cycle_id, lambda c: c.schedule(actor, kind, starts_at, minutes),
                            actor, once)

    def reschedule(self, actor: Actor, cycle_id: UUID, item_id: UUID, starts_at: datetime,
                   minutes: int | None) -> Cycle:
        self._require_coach_at_school(cycle_id, clock.local_date(starts_at))
        return self._change(
            cycle_id, lambda c: c.reschedule(actor, item_id, starts_at, minutes))[0]

    def cancel(self, actor: Actor, cycle_id: UUID, item_id: UUID, today: date) -> Cycle:
        return self._change(cycle_id, lambda c: c.cancel(actor, item_id, today))[0]

    def mark_done(self, actor: Actor, cycle_id: UUID, item_id: UUID, minutes: int | None,
                  now: datetime, today: date, once: Once | None = None) -> Cycle:
        return self._change(
            cycle_id, lambda c: c.mark_done(actor, item_id, minutes, now, today), actor, once,
        )[0]

    def log_observation(self, actor: Actor, cycle_id: UUID, now: datetime, today: date,
                        once: Once | None = None, **observation: Any) -> tuple[Cycle, UUID]:
        return self._change(
            cycle_id, lambda c: c.log_observation(actor, now=now, today=today, **observation),
            actor, once)

    def hold_debrief(self, actor: Actor, cycle_id: UUID, now: datetime, today: date,
                     once: Once | None = None, **debrief: Any) -> tuple[Cycle, UUID]:
        return self._change(
            cycle_id, lambda c: c.hold_debrief(actor, now=now, today=today, **debrief),
            actor, once)

    def add_next_step(self, actor: Actor, cycle_id: UUID, text: str, owner_id: UUID,
                      due_on: date, today: date, once: Once | None = None) -> tuple[Cycle, UUID]:
        return self._change(
            cycle_id, lambda c: c.add_next_step(actor, text, owner_id, due_on, today),
            actor, once)

    def complete_step(self, actor: Actor, cycle_id: UUID, step_id: UUID, today: date,
                      once: Once | None = None) -> Cycle:
        return self._change(cycle_id, lambda c: c.complete_step(actor, step_id, today),
                            actor, once)[0]

    def drop_step(self, actor: Actor, cycle_id: UUID, step_id: UUID, today: date) -> Cycle:
        return self._change(cycle_id, lambda c: c.drop_step(actor, step_id, today))[0]

    def move_back(self, actor: Actor, cycle_id: UUID, today: date) -> Cycle:
        return self._change(cycle_id, lambda c: c.move_back(actor, today))[0]

    def revise_goal(self, actor: Actor, cycle_id: UUID, goal: Goal,
                    focus_area_ids: list[str] | None, today: date) -> Cycle:
        return self._change(
            cycle_id, lambda c: c.revise_goal(actor, goal, focus_area_ids, today))[0]

    def close_cycle(self, actor: Actor, cycle_id: UUID, outcome: str, evidence: str,
              today: date) -> Cycle:
        return self._change(cycle_id, lambda c: c.close(actor, outcome, evidence, today))[0]

    def reopen_cycle(self, actor: Actor, cycle_id: UUID, today: date) -> Cycle:
        return self._change(cycle_id, lambda c: c.reopen(actor, today))[0]

    # Queries: content, for the cycle's coach and teachers only -----------------------------

    def cycle(self, actor: Actor, cycle_id: UUID, now: datetime) -> Cycle:
        """The cycle's content, for its coach or a teacher in it; the read is recorded."""
        cycle = self._readable(actor, cycle_id)
        self._audit(actor, cycle_id, "cycle", now)
        return cycle

    def timeline(self, actor: Actor, cycle_id: UUID,
                 now: datetime) -> tuple[Cycle, list[DomainEventProtocol[UUID]]]:
        """The cycle and every event that made it, up to the version read; the read is
        recorded."""
        cycle = self._readable(actor, cycle_id)
        self._audit(actor, cycle_id, "timeline", now)
        return cycle, list(self.events.get(cycle_id, lte=cycle.version))

    def reads(self, actor: Actor, cycle_id: UUID) -> list[Read]:
        """Who read the cycle's content, oldest first: for its coach and its teachers."""
        self._readable(actor, cycle_id)
        try:
            log_: Aggregate = self.repository.get(read_log_id(cycle_id))
        except AggregateNotFoundError:
            return []
        return list(log_.reads) if isinstance(log_, ReadLog) else []

    def _readable(self, actor: Actor, cycle_id: UUID) -> Cycle:
        cycle = self._cycle(cycle_id)
        cycle.require_reader(actor)
        return cycle

    def _audit(self, actor: Actor, cycle_id: UUID, what: str, now: datetime) -> None:
        self._audit_all(actor, [cycle_id], what, now)

    def _audit_all(self, actor: Actor, cycle_ids: list[UUID], what: str,
                   now: datetime) -> None:
        """One read of each cycle, recorded in its read log, all in one save: every answer
        that shows a cycle's sealed content (its goal, notes, next steps) is a read."""
        def attempt() -> None:
            logs: list[ReadLog] = []
            for cycle_id in cycle_ids:
                try:
                    found: Aggregate = self.repository.get(read_log_id(cycle_id))
                except AggregateNotFoundError:
                    found = ReadLog(cycle_id=cycle_id)
                assert isinstance(found, ReadLog)
                found.record(reader_id=actor.id, role=actor.role.value, what=what,
                             read_at=now)
                logs.append(found)
            if logs:
                self.save(*logs)

        self.retrying(attempt, Conflict("too many reads of this cycle at once: try again",
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
        return self.erase(person_id, self._caseload(person_id).cycles)

    # Helpers -------------------------------------------------------------------------------

    def _cycle(self, cycle_id: UUID) -> Cycle:
        found = self._found(cycle_id)
        if found is None:
            raise NotFound(f"there is no cycle {cycle_id}", field="cycle_id")
        return found

    def _found(self, cycle_id: UUID) -> Cycle | None:
        try:
            found: Aggregate = self.repository.get(cycle_id)
        except AggregateNotFoundError:
            return None
        # Any other aggregate with this id (a caseload) is not a cycle either.
        return found if isinstance(found, Cycle) else None

    def _caseload(self, person_id: UUID) -> Caseload:
        try:
            return self.repository.get(caseload_id(person_id))
        except AggregateNotFoundError:
            return Caseload(person_id=person_id)  # saved with its first cycle

    def _cycles_of(self, person_id: UUID, role: Role) -> list[Cycle]:
        return [self._cycle(c) for c in self._caseload(person_id).cycle_ids(role)]

    def _change(self, cycle_id: UUID, decide: Callable[[Cycle], T], actor: Actor | None = None,
                once: Once | None = None) -> tuple[Cycle, T]:
        def attempt() -> tuple[Cycle, T]:
            if once is None or actor is None:
                cycle = self._cycle(cycle_id)
                result = decide(cycle)
                self.save(cycle)
                return cycle, result
            cycle = self._working(cycle_id, once)
            result_id: object  # what the command made: the first sending's id, or decide's
            if cycle.applied_before(actor, once.client_id, once.command) is not None:
                found, result_id = self._as_applied(cycle, actor, once)
            else:
                result = decide(cycle)
                cycle.remember(actor, once.client_id, once.command,
                               result if isinstance(result, UUID) else None)
                self.save(cycle)  # the command's events and its client id: one commit
                found, result_id = cycle, result
            once.loaded[cycle_id] = cycle  # as saved: where the batch's next item starts
            return found, cast(T, result_id)

        return self._retrying(attempt)

    def _working(self, cycle_id: UUID, once: Once) -> Cycle:
        """The cycle as this batch last saved it, or as stored."""
        found = once.loaded.pop(cycle_id, None)
        return found if isinstance(found, Cycle) else self._cycle(cycle_id)

    def _as_applied(self, cycle: Cycle, actor: Actor, once: Once) -> tuple[Cycle, UUID | None]:
        """A command sent again: the cycle as the first sending left it, and what it made."""
        applied: Applied | None = cycle.applied_before(actor, once.client_id, once.command)
        if applied is None:  # a cycle id made from this client id, but not by this command
            raise Conflict(f"command {once.client_id} does not match the cycle it made",
                           field="client_id")
        once.duplicate = True
        return self._as_of(cycle.id, applied.version, once), applied.result_id

    def _as_of(self, cycle_id: UUID, version: int, once: Once) -> Cycle:
        """The cycle at ``version``. A batch sent again asks for rising versions of each
        of its cycles, so the cycle it replayed last is carried forward to the next one
        rather than replayed from the start each time."""
        key = ("as of", cycle_id)
        past = once.loaded.get(key)
        if isinstance(past, Cycle) and past.version <= version:
            # A cycle's stored events are its own Aggregate.Events, each able to mutate it.
            newer = cast(Iterator[Aggregate.Event], self.events.get(cycle_id, gt=past.version,
                                                                    lte=version))
            for event in newer:
                event.mutate(past)
        else:
            past = self.repository.get(cycle_id, version=version)
        once.loaded[key] = past
        return past

    def _retrying(self, attempt: Callable[[], T]) -> T:
        return self.retrying(attempt, Conflict(
            "the cycle was changed by someone else at the same moment, several times over;"
            " send it again", field="cycle_id"))
