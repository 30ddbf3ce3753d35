"""The coaching cycle, as an event-sourced aggregate (see ``services.cycles.domain``)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any
from uuid import UUID, uuid4, uuid5

from eventsourcing.domain import event

from coachops.aggregate import Aggregate
from coachops.errors import Forbidden, Invalid, NotFound
from coachops.identity import Actor, Role
from services.cycles.domain.rules import (
    check_choice,
    check_debrief,
    check_focus_areas,
    check_goal,
    check_look_fors,
    check_minutes,
    check_not_after_today,
    check_team,
    check_text,
    check_texts,
    check_tool,
)
from services.cycles.domain.state import CycleState
from services.cycles.domain.values import (
    NAMESPACE,
    OBSERVED_KINDS,
    Applied,
    CalendarItem,
    Cause,
    Closing,
    Debrief,
    Goal,
    ItemKind,
    ItemStatus,
    NextStep,
    Norms,
    Observation,
    Outcome,
    Phase,
    Status,
    StepStatus,
)


class Cycle(CycleState, Aggregate):
    """One coach working with one teacher (or a small group) on one measurable goal."""

    __module__ = "services.cycles.domain"  # the topic its stored events name

    @classmethod
    def start(cls, actor: Actor, coach_id: UUID, teacher_ids: list[UUID], school_id: UUID,
              focus_area_ids: list[str], goal: Goal, today: date,
              cycle_id: UUID | None = None) -> Cycle:
        """A coach proposes a cycle; a teacher starts one (and so has accepted it).
        ``cycle_id`` is given for a proposal sent from an app (``synced_cycle_id``)."""
        check_team(actor, coach_id, teacher_ids)
        proposal: dict[str, Any] = {  # the Proposed event's attributes
            "actor": actor,
            "coach_id": coach_id,
            "teacher_ids": list(teacher_ids),
            "school_id": school_id,
            "focus_area_ids": check_focus_areas(focus_area_ids),
            "goal": check_goal(goal, today),
            "proposed_on": today,
        }
        if cycle_id is None:
            cycle = cls(**proposal)
        else:  # the library's way to create an aggregate with an id chosen beforehand
            cycle = cls._create(cls.Proposed, id=cycle_id, **proposal, source="live")
        if actor.role is Role.TEACHER:
            cycle._accept(actor, actor.id, today)
        return cycle

    @classmethod
    def imported(cls, actor: Actor, cycle_id: UUID, coach_id: UUID, teacher_ids: list[UUID],
                 school_id: UUID, focus_area_ids: list[str], goal: Goal, started_on: date,
                 today: date, closed: tuple[date, str, str] | None = None) -> Cycle:
        """A cycle run before the district used coachops, entered by district IT: proposed
        by its coach and accepted by its teachers on the day it started, closed on its day
        with its outcome and evidence if it ended (``closed``), recorded by IT and marked
        imported. The rules of a live cycle hold on its days: a team of a coach and
        teachers, a goal not due before it started, nothing dated after today."""
        if actor.role is not Role.IT_ADMIN:
            raise Forbidden("district IT imports the cycles run before coachops",
                            field="coach_id")
        if not teacher_ids or len(set(teacher_ids)) != len(teacher_ids) \
                or coach_id in teacher_ids:
            raise Invalid("name the cycle's teachers, each once, the coach not among them",
                          field="teacher_ids")
        check_not_after_today(started_on, today, "started_on", "a cycle's start")
        cycle = cls._create(cls.Proposed, id=cycle_id, actor=actor, coach_id=coach_id,
                            teacher_ids=list(teacher_ids), school_id=school_id,
                            focus_area_ids=check_focus_areas(focus_area_ids),
                            goal=check_goal(goal, started_on), proposed_on=started_on,
                            source="imported")
        for teacher_id in teacher_ids:
            cycle._accept(actor, teacher_id, started_on)
        if closed is not None:
            closed_on, outcome, evidence = closed
            check_not_after_today(closed_on, today, "closed_on", "a cycle's end")
            if closed_on < started_on:
                raise Invalid(f"it closed ({closed_on}) before it started ({started_on})",
                              field="closed_on")
            cycle._closed(actor=actor, **cycle._ids(),
                          outcome=check_choice(Outcome, outcome, "outcome").value,
                          evidence=check_text(evidence, "evidence"), closed_on=closed_on,
                          phase=cycle.phase.value, focus_area_ids=cycle.focus_area_ids)
        return cycle

    @event("Proposed")
    def __init__(self, actor: Actor, coach_id: UUID, teacher_ids: list[UUID], school_id: UUID,
                 focus_area_ids: list[str], goal: Goal, proposed_on: date,
                 source: str = "live") -> None:
        # ``source``: "imported" for a cycle district IT imported (``actor`` is who); it was
        # its coach's proposal. Events stored before it read as "live".
        self.imported_by: UUID | None = actor.id if source == "imported" else None
        self.coach_id = coach_id
        self.teacher_ids = teacher_ids
        self.school_id = school_id
        self.focus_area_ids = focus_area_ids
        self.goal = goal
        self.proposed_on = proposed_on
        self.proposed_by = Role.COACH if source == "imported" else actor.role
        # accepted, items, steps and applied: their types are on CycleState, which reads them
        self.accepted = []
        self.started_on: date | None = None
        self.status = Status.PROPOSED
        self.phase = Phase.PLAN
        self.norms: Norms | None = None
        self.items = {}
        self.observations: dict[UUID, Observation] = {}
        self.debriefs: dict[UUID, Debrief] = {}
        self.steps = {}
        self.closing: Closing | None = None
        self.applied = {}  # by client id: commands sent from apps
        self.withdrawn_on: date | None = None  # from aggregate reports, by a teacher

    def _ids(self) -> dict[str, Any]:
        """What every event carries, so the integration events need no other state."""
        return {"coach_id": self.coach_id, "school_id": self.school_id}

    # Commands sent from apps, remembered by their client id -------------------------------

    def remember(self, actor: Actor, client_id: UUID, command: str,
                 result_id: UUID | None) -> None:
        """The last event of a command an app sent: saved with the command's own events."""
        if client_id in self.applied:
            raise ValueError(f"command {client_id} is already applied to this cycle")
        self._client_command_applied(client_id=client_id, sent_by=actor.id, command=command,
                                     result_id=result_id)

    # Taking part: voluntary --------------------------------------------------------------

    def accept(self, actor: Actor, today: date) -> None:
        teacher_id = self._require_invited(actor)
        if self.status is not Status.PROPOSED:
            self._require_active()
            raise Invalid("the cycle is already active", field="cycle_id")
        if teacher_id in self.accepted:
            raise Invalid("you have already accepted this cycle; it starts when every"
                          " teacher in it has", field="cycle_id")
        self._accept(actor, teacher_id, today)

    def decline(self, actor: Actor, today: date) -> None:
        """A teacher says no: they leave the proposal. When nobody is left, it is closed
        as declined; when everyone left has accepted, it starts."""
        teacher_id = self._require_invited(actor)
        if self.status is not Status.PROPOSED:
            self._require_active()
            raise Invalid("the cycle is already active: only a proposal can be declined",
                          field="cycle_id")
        self._teacher_declined(actor=actor, **self._ids(), teacher_id=teacher_id)
        if not self.teacher_ids:
            self._declined(actor=actor, **self._ids(), focus_area_ids=self.focus_area_ids,
                           declined_on=today)
        elif not self.pending_teacher_ids:
            self._start(None, today)  # started by those who accepted, not by this "no"

    def _accept(self, actor: Actor, teacher_id: UUID, today: date) -> None:
        self._accepted(actor=actor, **self._ids(), teacher_id=teacher_id)
        if not self.pending_teacher_ids:
            self._start(actor, today)

    def _start(self, actor: Actor | None, today: date) -> None:
        self._started(actor=actor, **self._ids(), teacher_ids=list(self.teacher_ids),
                      focus_area_ids=self.focus_area_ids, phase=self.phase.value,
                      started_on=today)

    # Norms -------------------------------------------------------------------------------

    def agree_norms(self, actor: Actor, norms: list[str], agreement_id: UUID | None,
                    agreed_on: date, today: date) -> None:
        """Record the norms coach and teacher agreed for this cycle, or the partnership
        agreement that holds them. Agreeing again replaces them."""
        self._require_coach(actor)
        self._require_active()
        norms = check_texts(norms, "norms")
        if not norms and agreement_id is None:
            raise Invalid("give the norms agreed, or the partnership agreement",
                          field="norms")
        check_not_after_today(agreed_on, today, "agreed_on", "the norms")
        self._norms_agreed(actor=actor, **self._ids(), norms=norms,
                           agreement_id=agreement_id, agreed_on=agreed_on)

    # The calendar ------------------------------------------------------------------------

    def schedule(self, actor: Actor, kind: str, starts_at: datetime, minutes: int) -> UUID:
        self._require_coach(actor)
        self._require_active()
        item_kind = check_choice(ItemKind, kind, "kind")
        if starts_at.tzinfo is None:
            raise ValueError("a calendar item starts at an instant: give a zone")
        item_id = uuid4()
        self._item_scheduled(actor=actor, **self._ids(), item_id=item_id,
                             kind=item_kind.value, starts_at=starts_at,
                             minutes=check_minutes(minutes))
        return item_id

    def reschedule(self, actor: Actor, item_id: UUID, starts_at: datetime,
                   minutes: int | None) -> None:
        self._require_coach(actor)
        self._require_active()
        item = self._scheduled_item(item_id)
        minutes = item.minutes if minutes is None else check_minutes(minutes)
        if (starts_at, minutes) == (item.starts_at, item.minutes):
            raise Invalid("that is when it is already scheduled", field="starts_at")
        self._item_rescheduled(actor=actor, **self._ids(), item_id=item_id,
                               kind=item.kind.value, starts_at=starts_at, minutes=minutes)

    def cancel(self, actor: Actor, item_id: UUID, today: date) -> None:
        self._require_coach(actor)
        self._require_active()
        item = self._scheduled_item(item_id)
        self._item_cancelled(actor=actor, **self._ids(), item_id=item_id,
                             kind=item.kind.value, cancelled_on=today)

    def mark_done(self, actor: Actor, item_id: UUID, minutes: int | None, now: datetime,
                  today: date) -> None:
        self._require_coach(actor)
        self._require_active()
        self._done(actor, self._scheduled_item(item_id), minutes, now, today)

    def _scheduled_item(self, item_id: UUID, field_name: str = "item_id") -> CalendarItem:
        item = self.item(item_id, field_name)
        if item.status is not ItemStatus.SCHEDULED:
            raise Invalid(f"the {item.kind.value.replace('_', ' ')} is {item.status.value}:"
                          " schedule a new one", field=field_name)
        return item

    def _done(self, actor: Actor, item: CalendarItem, minutes: int | None, now: datetime,
              today: date, field_name: str = "item_id") -> None:
        if item.starts_at > now:
            raise Invalid(f"it is scheduled for {item.starts_at.isoformat()}: mark it done"
                          " once it has started", field=field_name)
        self._item_done(actor=actor, **self._ids(), item_id=item.item_id,
                        kind=item.kind.value, done_on=today,
                        minutes=item.minutes if minutes is None else check_minutes(minutes))

    def _linked_item(self, item_id: UUID | None, kinds: Iterable[ItemKind]) -> CalendarItem | None:
        """The calendar item an observation or a debrief is the record of, if one is named."""
        if item_id is None:
            return None
        item = self.item(item_id, "calendar_item_id")
        if item.kind not in kinds:
            names = ", ".join(sorted(k.value for k in kinds))
            raise Invalid(f"the calendar item is a {item.kind.value}, not one of: {names}",
                          field="calendar_item_id")
        if item.status is ItemStatus.CANCELLED:
            raise Invalid("the calendar item was cancelled", field="calendar_item_id")
        return item

    # Observations and debriefs -----------------------------------------------------------

    def log_observation(
        self,
        actor: Actor,
        observed_on: date,
        minutes: int,
        tool: str,
        data: list[dict[str, Any]],
        notes: str | None,
        calendar_item_id: UUID | None,
        now: datetime,
        today: date,
    ) -> UUID:
        """What was observed, with which tool: the cycle moves to Act."""
        self._require_coach(actor)
        self._require_active()
        check_not_after_today(observed_on, today, "observed_on", "an observation")
        minutes, tool = check_minutes(minutes), check_tool(tool)
        rows = check_look_fors(data)
        notes = check_text(notes, "notes", required=False)
        if not rows and notes is None:
            raise Invalid("record the data collected, or notes", field="data")
        item = self._linked_item(calendar_item_id, OBSERVED_KINDS)
        if item is not None and item.status is ItemStatus.SCHEDULED:
            self._done(actor, item, minutes, now, today, "calendar_item_id")
        observation_id = uuid4()
        self._observation_logged(
            actor=actor, **self._ids(), observation_id=observation_id, observed_on=observed_on,
            minutes=minutes, tool=tool, data=rows, notes=notes,
            calendar_item_id=calendar_item_id, phase=Phase.ACT.value,
        )
        self._move_to(actor, Phase.ACT, Cause.OBSERVATION, today)
        return observation_id

    def hold_debrief(
        self,
        actor: Actor,
        held_on: date,
        minutes: int,
        evidence: str,
        observation_ids: list[UUID],
        keepers: list[str],
        polishers: list[str],
        progress_rating: int,
        progress_text: str,
        calendar_item_id: UUID | None,
        now: datetime,
        today: date,
    ) -> UUID:
        """Evidence discussed, keepers and polishers, progress toward the goal: the cycle
        moves to Reflect."""
        self._require_coach(actor)
        self._require_active()
        check_not_after_today(held_on, today, "held_on", "a debrief")
        for observation_id in observation_ids:
            if observation_id not in self.observations:
                raise NotFound(f"this cycle has no observation {observation_id}",
                               field="observation_ids")
        content = check_debrief(minutes, evidence, keepers, polishers, progress_rating,
                                progress_text)
        item = self._linked_item(calendar_item_id, {ItemKind.DEBRIEF})
        if item is not None and item.status is ItemStatus.SCHEDULED:
            self._done(actor, item, minutes, now, today, "calendar_item_id")
        debrief_id = uuid4()
        self._debrief_held(
            actor=actor, **self._ids(), **content, debrief_id=debrief_id, held_on=held_on,
            observation_ids=list(dict.fromkeys(observation_ids)),
            progress_rating=progress_rating, calendar_item_id=calendar_item_id,
            phase=Phase.REFLECT.value,
        )
        self._move_to(actor, Phase.REFLECT, Cause.DEBRIEF, today)
        return debrief_id

    # Next steps --------------------------------------------------------------------------

    def add_next_step(self, actor: Actor, text: str, owner_id: UUID, due_on: date,
                      today: date) -> UUID:
        self._require_coach(actor)
        self._require_active()
        if owner_id == self.coach_id:
            owner_role = Role.COACH
        elif owner_id in self.teacher_ids:
            owner_role = Role.TEACHER
        else:
            raise Invalid("a next step is owned by the cycle's coach or one of its teachers",
                          field="owner_id")
        if due_on < today:
            raise Invalid(f"a next step cannot be due in the past ({due_on} is before"
                          f" {today})", field="due_on")
        progress = self.progress()
        step_id = uuid4()
        self._step_added(actor=actor, **self._ids(), step_id=step_id,
                         text=check_text(text, "text"), owner_id=owner_id,
                         owner_role=owner_role.value, due_on=due_on,
                         complete_count=progress.complete, total_count=progress.total + 1)
        return step_id

    def complete_step(self, actor: Actor, step_id: UUID, today: date) -> None:
        """The coach completes any step; a teacher completes their own."""
        if not self.can_read(actor):
            raise Forbidden("only the cycle's coach, or the teacher who owns the step, can"
                            " complete it", field="cycle_id")
        self._require_active()
        step = self._open_step(step_id)
        if not self.is_coach(actor) and step.owner_id != actor.id:
            raise Forbidden("a teacher completes their own next steps only", field="step_id")
        progress = self.progress()
        self._step_completed(actor=actor, **self._ids(), step_id=step_id,
                             owner_role=step.owner_role.value, completed_on=today,
                             complete_count=progress.complete + 1,
                             total_count=progress.total)

    def drop_step(self, actor: Actor, step_id: UUID, today: date) -> None:
        self._require_coach(actor)
        self._require_active()
        step = self._open_step(step_id)
        progress = self.progress()
        self._step_dropped(actor=actor, **self._ids(), step_id=step_id,
                           owner_role=step.owner_role.value, dropped_on=today,
                           complete_count=progress.complete, total_count=progress.total - 1)

    def _open_step(self, step_id: UUID) -> NextStep:
        step = self.step(step_id)
        if step.status is not StepStatus.OPEN:
            raise Invalid(f"the next step is already {step.status.value}", field="step_id")
        return step

    # Phases, closing and reopening -------------------------------------------------------

    def move_back(self, actor: Actor, today: date) -> None:
        self._require_coach(actor)
        self._require_active()
        before = self.phase.before()
        if before is None:
            raise Invalid("the cycle is in Plan, the first phase: there is none before it",
                          field="phase")
        self._move_to(actor, before, Cause.MOVED_BACK, today)

    def revise_goal(self, actor: Actor, goal: Goal, focus_area_ids: list[str] | None,
                    today: date) -> None:
        """A revised goal, and the cycle returns to Plan."""
        self._require_coach(actor)
        self._require_active()
        goal = check_goal(goal, today)
        focus = self.focus_area_ids if focus_area_ids is None else check_focus_areas(
            focus_area_ids)
        if goal == self.goal and focus == self.focus_area_ids:
            raise Invalid("the goal is already that", field="goal")
        self._goal_revised(actor=actor, **self._ids(), goal=goal, focus_area_ids=focus,
                           revised_on=today)
        self._move_to(actor, Phase.PLAN, Cause.GOAL_REVISED, today)

    def close(self, actor: Actor, outcome: str, evidence: str, today: date) -> None:
        self._require_coach(actor)
        self._require_active()
        self._closed(actor=actor, **self._ids(), outcome=check_choice(Outcome, outcome,
                                                                 "outcome").value,
                     evidence=check_text(evidence, "evidence"), closed_on=today,
                     phase=self.phase.value, focus_area_ids=self.focus_area_ids)

    def reopen(self, actor: Actor, today: date) -> None:
        self._require_coach(actor)
        if self.status is Status.DECLINED:
            raise Invalid("a declined proposal stays closed: propose a new cycle",
                          field="cycle_id")
        if self.status is not Status.CLOSED:
            raise Invalid(f"the cycle is {self.status.value}, not closed", field="cycle_id")
        self._reopened(actor=actor, **self._ids(), reopened_on=today, phase=self.phase.value,
                       focus_area_ids=self.focus_area_ids)

    # Consent --------------------------------------------------------------------------------

    def withdraw_from_reporting(self, actor: Actor, today: date) -> None:
        """A teacher takes the cycle out of every aggregate report, past ones included:
        being counted is theirs to consent to. The coaching itself goes on."""
        if not self.is_teacher(actor):
            raise Forbidden("only a teacher the cycle names can withdraw it from reports",
                            field="cycle_id")
        if self.withdrawn_on is not None:
            raise Invalid(f"the cycle was withdrawn from reports on {self.withdrawn_on}",
                          field="cycle_id")
        self._withdrawn(actor=actor, **self._ids(), withdrawn_on=today)

    def _move_to(self, actor: Actor, phase: Phase, cause: Cause, today: date) -> None:
        if phase is not self.phase:
            self._phase_changed(actor=actor, **self._ids(), from_phase=self.phase.value,
                                to_phase=phase.value, cause=cause.value, changed_on=today)

    # Events: they only apply, they never check (they run again on every replay) ----------

    @event("Accepted")
    def _accepted(self, actor: Actor, coach_id: UUID, school_id: UUID,
                  teacher_id: UUID) -> None:
        self.accepted.append(teacher_id)

    @event("Started")
    def _started(self, actor: Actor | None, coach_id: UUID, school_id: UUID,
                 teacher_ids: list[UUID], focus_area_ids: list[str], phase: str,
                 started_on: date) -> None:
        self.status = Status.ACTIVE
        self.started_on = started_on

    @event("TeacherDeclined")
    def _teacher_declined(self, actor: Actor, coach_id: UUID, school_id: UUID,
                          teacher_id: UUID) -> None:
        self.teacher_ids = [t for t in self.teacher_ids if t != teacher_id]
        self.accepted = [t for t in self.accepted if t != teacher_id]

    @event("Declined")
    def _declined(self, actor: Actor, coach_id: UUID, school_id: UUID,
                  focus_area_ids: list[str], declined_on: date) -> None:
        self.status = Status.DECLINED

    @event("WithdrawnFromReporting")
    def _withdrawn(self, actor: Actor, coach_id: UUID, school_id: UUID,
                   withdrawn_on: date) -> None:
        self.withdrawn_on = withdrawn_on

    @event("NormsAgreed")
    def _norms_agreed(self, actor: Actor, coach_id: UUID, school_id: UUID, norms: list[str],
                      agreement_id: UUID | None, agreed_on: date) -> None:
        self.norms = Norms(norms=norms, agreement_id=agreement_id, agreed_on=agreed_on)

    @event("ItemScheduled")
    def _item_scheduled(self, actor: Actor, coach_id: UUID, school_id: UUID, item_id: UUID,
                        kind: str, starts_at: datetime, minutes: int) -> None:
        self.items[item_id] = CalendarItem(item_id, ItemKind(kind), starts_at, minutes)

    @event("ItemRescheduled")
    def _item_rescheduled(self, actor: Actor, coach_id: UUID, school_id: UUID, item_id: UUID,
                          kind: str, starts_at: datetime, minutes: int) -> None:
        item = self.items[item_id]
        item.starts_at, item.minutes = starts_at, minutes

    @event("ItemCancelled")
    def _item_cancelled(self, actor: Actor, coach_id: UUID, school_id: UUID, item_id: UUID,
                        kind: str, cancelled_on: date) -> None:
        self.items[item_id].close(ItemStatus.CANCELLED, cancelled_on)

    @event("ItemDone")
    def _item_done(self, actor: Actor, coach_id: UUID, school_id: UUID, item_id: UUID,
                   kind: str, done_on: date, minutes: int) -> None:
        item = self.items[item_id]
        item.close(ItemStatus.DONE, done_on)
        item.minutes = minutes

    @event("ObservationLogged")
    def _observation_logged(self, actor: Actor, coach_id: UUID, school_id: UUID,
                            observation_id: UUID, observed_on: date, minutes: int, tool: str,
                            data: list[dict[str, Any]], notes: str | None,
                            calendar_item_id: UUID | None, phase: str) -> None:
        self.observations[observation_id] = Observation(
            observation_id, observed_on, minutes, tool, data, notes, calendar_item_id)

    @event("DebriefHeld")
    def _debrief_held(self, actor: Actor, coach_id: UUID, school_id: UUID, debrief_id: UUID,
                      held_on: date, minutes: int, evidence: str, observation_ids: list[UUID],
                      keepers: list[str], polishers: list[str], progress_rating: int,
                      progress_text: str, calendar_item_id: UUID | None, phase: str) -> None:
        self.debriefs[debrief_id] = Debrief(
            debrief_id, held_on, minutes, evidence, observation_ids, keepers, polishers,
            progress_rating, progress_text, calendar_item_id)

    @event("PhaseChanged")
    def _phase_changed(self, actor: Actor, coach_id: UUID, school_id: UUID, from_phase: str,
                       to_phase: str, cause: str, changed_on: date) -> None:
        self.phase = Phase(to_phase)

    @event("GoalRevised")
    def _goal_revised(self, actor: Actor, coach_id: UUID, school_id: UUID, goal: Goal,
                      focus_area_ids: list[str], revised_on: date) -> None:
        self.goal = goal
        self.focus_area_ids = focus_area_ids

    @event("NextStepAdded")
    def _step_added(self, actor: Actor, coach_id: UUID, school_id: UUID, step_id: UUID,
                    text: str, owner_id: UUID, owner_role: str, due_on: date,
                    complete_count: int, total_count: int) -> None:
        self.steps[step_id] = NextStep(step_id, text, owner_id, Role(owner_role), due_on)

    @event("NextStepCompleted")
    def _step_completed(self, actor: Actor, coach_id: UUID, school_id: UUID, step_id: UUID,
                        owner_role: str, completed_on: date, complete_count: int,
                        total_count: int) -> None:
        self.steps[step_id].close(StepStatus.COMPLETE, completed_on)

    @event("NextStepDropped")
    def _step_dropped(self, actor: Actor, coach_id: UUID, school_id: UUID, step_id: UUID,
                      owner_role: str, dropped_on: date, complete_count: int,
                      total_count: int) -> None:
        self.steps[step_id].close(StepStatus.DROPPED, dropped_on)

    @event("Closed")
    def _closed(self, actor: Actor, coach_id: UUID, school_id: UUID, outcome: str,
                evidence: str, closed_on: date, phase: str, focus_area_ids: list[str]) -> None:
        self.status = Status.CLOSED
        self.closing = Closing(Outcome(outcome), evidence, closed_on)

    @event("Reopened")
    def _reopened(self, actor: Actor, coach_id: UUID, school_id: UUID, reopened_on: date,
                  phase: str, focus_area_ids: list[str]) -> None:
        self.status = Status.ACTIVE
        self.closing = None

    @event("ClientCommandApplied")
    def _client_command_applied(self, client_id: UUID, sent_by: UUID, command: str,
                                result_id: UUID | None) -> None:
        # Triggered after the command's events and applied before the version moves on:
        # ``self.version`` is the cycle as the command left it.
        self.applied[client_id] = Applied(result_id, self.version, sent_by, command)


def synced_cycle_id(actor_id: UUID, client_id: UUID) -> UUID:
    """The id of a cycle an app proposed, from the id the app gave the command: the same
    proposal sent twice is the same cycle. Scoped by the sender, so nobody can take
    another person's id."""
    return uuid5(NAMESPACE, f"synced-cycle:{actor_id}:{client_id}")

