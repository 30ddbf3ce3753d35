"""What a cycle holds, who may read or write it, and the questions asked of it: the
``Cycle`` aggregate's side that changes nothing."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from coachops.errors import Conflict, Forbidden, Invalid, NotFound
from coachops.identity import Actor, Role
from services.cycles.domain.values import (
    Applied,
    CalendarItem,
    ItemKind,
    ItemStatus,
    NextStep,
    Progress,
    Status,
    StepStatus,
)


class CycleState:
    """The state the ``Cycle``'s events set (``services.cycles.domain.cycle``)."""

    coach_id: UUID
    teacher_ids: list[UUID]
    accepted: list[UUID]
    status: Status
    items: dict[UUID, CalendarItem]
    steps: dict[UUID, NextStep]
    applied: dict[UUID, Applied]  # by client id: commands sent from apps

    # Who may do what ---------------------------------------------------------------------

    def is_coach(self, actor: Actor) -> bool:
        return actor.role is Role.COACH and actor.id == self.coach_id

    def is_teacher(self, actor: Actor) -> bool:
        return actor.role is Role.TEACHER and actor.id in self.teacher_ids

    def can_read(self, actor: Actor) -> bool:
        """The cycle's content is its coach's and its teachers', and no one else's."""
        return self.is_coach(actor) or self.is_teacher(actor)

    def require_reader(self, actor: Actor) -> None:
        if not self.can_read(actor):
            raise Forbidden("a cycle is readable by its coach and its teachers only",
                            field="cycle_id")

    def _require_coach(self, actor: Actor) -> None:
        if not self.is_coach(actor):
            raise Forbidden(
                "only the cycle's coach writes it (its teachers accept or decline it,"
                " complete their own next steps and read it)",
                field="cycle_id",
            )

    def _require_invited(self, actor: Actor) -> UUID:
        if not self.is_teacher(actor):
            raise Forbidden("only a teacher the cycle names can accept or decline it",
                            field="cycle_id")
        return actor.id

    def _require_active(self) -> None:
        """Nothing but reopen on a closed cycle; nothing at all before it is accepted."""
        if self.status is Status.PROPOSED:
            raise Invalid("the teacher has not accepted this cycle yet: coaching starts"
                          " once they do", field="cycle_id")
        if self.status is Status.DECLINED:
            raise Invalid("the teacher declined this cycle: it is closed", field="cycle_id")
        if self.status is Status.CLOSED:
            raise Invalid("the cycle is closed: reopen it to change anything",
                          field="cycle_id")

    def applied_before(self, actor: Actor, client_id: UUID, command: str) -> Applied | None:
        """The command ``actor`` sent with this client id, if this cycle has applied it.
        A client id names one command of one person: reused for another is a conflict."""
        applied = self.applied.get(client_id)
        if applied is not None and (applied.sent_by, applied.command) != (actor.id, command):
            raise Conflict(f"the id {client_id} was given to another command already:"
                           " give each command an id of its own", field="client_id")
        return applied

    # Queries -----------------------------------------------------------------------------

    @property
    def pending_teacher_ids(self) -> list[UUID]:
        return [t for t in self.teacher_ids if t not in self.accepted]

    def progress(self) -> Progress:
        counted = [s for s in self.steps.values() if s.status is not StepStatus.DROPPED]
        complete = [s for s in counted if s.status is StepStatus.COMPLETE]
        return Progress(complete=len(complete), total=len(counted))

    def open_steps_due(self, first: date, last: date) -> list[NextStep]:
        return sorted(
            (s for s in self.steps.values()
             if s.status is StepStatus.OPEN and first <= s.due_on <= last),
            key=lambda s: s.due_on,
        )

    def scheduled(self, kind: ItemKind | None = None) -> list[CalendarItem]:
        return sorted(
            (i for i in self.items.values()
             if i.status is ItemStatus.SCHEDULED and (kind is None or i.kind is kind)),
            key=lambda i: i.starts_at,
        )

    def item(self, item_id: UUID, field_name: str = "item_id") -> CalendarItem:
        try:
            return self.items[item_id]
        except KeyError:
            raise NotFound(f"this cycle has no calendar item {item_id}",
                           field=field_name) from None

    def step(self, step_id: UUID) -> NextStep:
        try:
            return self.steps[step_id]
        except KeyError:
            raise NotFound(f"this cycle has no next step {step_id}", field="step_id") from None
