"""What a cycle is made of: its phases and states, its calendar items, observations,
debriefs and next steps, and the ids its aggregates are known by."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

from coachops.identity import Role

NAMESPACE = UUID("9a4c1e52-3f7d-4b0a-8c61-2d5e7f9b1a03")


# The cycle -----------------------------------------------------------------------------


class Phase(StrEnum):
    PLAN = "plan"
    ACT = "act"
    REFLECT = "reflect"

    def before(self) -> Phase | None:
        order = list(Phase)
        index = order.index(self)
        return order[index - 1] if index else None


class Cause(StrEnum):
    """Why a cycle changed phase."""

    OBSERVATION = "observation"
    DEBRIEF = "debrief"
    MOVED_BACK = "moved_back"
    GOAL_REVISED = "goal_revised"


class Status(StrEnum):
    PROPOSED = "proposed"  # waiting for the teachers to accept
    ACTIVE = "active"
    DECLINED = "declined"  # closed for good: the teachers said no
    CLOSED = "closed"  # with an outcome; the coach may reopen it


@dataclass(frozen=True)
class Goal:
    """In the teacher's words: confidential to the coach and the teacher."""

    what: str
    measure: str
    by: date


@dataclass(frozen=True)
class Norms:
    """How coach and teacher work together in this cycle, as they agreed it (or the
    partnership agreement that says so)."""

    norms: list[str]
    agreement_id: UUID | None
    agreed_on: date


class Outcome(StrEnum):
    MET = "met"
    PARTLY_MET = "partly_met"
    NOT_MET = "not_met"


@dataclass(frozen=True)
class Applied:
    """A command an app sent with its own id: what it made (an observation, a next
    step...), and the cycle's version once it was done, to answer a resend the same way."""

    result_id: UUID | None
    version: int
    sent_by: UUID
    command: str


@dataclass(frozen=True)
class Closing:
    """How the coach closed the cycle: met, partly met or not, and the evidence."""

    outcome: Outcome
    evidence: str
    closed_on: date


# Its calendar, and what is recorded of it ----------------------------------------------


class ItemKind(StrEnum):
    WALKTHROUGH = "walkthrough"
    OBSERVATION = "observation"
    CO_TEACH = "co_teach"
    MODELLED_LESSON = "modelled_lesson"
    DEBRIEF = "debrief"


# The calendar items an observation can be the record of.
OBSERVED_KINDS = frozenset(
    {ItemKind.WALKTHROUGH, ItemKind.OBSERVATION, ItemKind.CO_TEACH, ItemKind.MODELLED_LESSON}
)


class ItemStatus(StrEnum):
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"
    DONE = "done"


@dataclass
class CalendarItem:
    item_id: UUID
    kind: ItemKind
    starts_at: datetime  # an instant (UTC); shown in the district's time zone
    minutes: int
    status: ItemStatus = ItemStatus.SCHEDULED
    closed_on: date | None = None  # the day it was done or cancelled

    def close(self, status: ItemStatus, on: date) -> None:
        self.status, self.closed_on = status, on


@dataclass
class Observation:
    observation_id: UUID
    observed_on: date
    minutes: int
    tool: str
    data: list[dict[str, Any]]  # [{"look_for": ..., "count": n, "seconds": s}, ...]
    notes: str | None
    calendar_item_id: UUID | None


@dataclass
class Debrief:
    debrief_id: UUID
    held_on: date
    minutes: int
    evidence: str
    observation_ids: list[UUID]
    keepers: list[str]
    polishers: list[str]
    progress_rating: int
    progress_text: str
    calendar_item_id: UUID | None


# Next steps ----------------------------------------------------------------------------


class StepStatus(StrEnum):
    OPEN = "open"
    COMPLETE = "complete"
    DROPPED = "dropped"


@dataclass
class NextStep:
    step_id: UUID
    text: str
    owner_id: UUID
    owner_role: Role
    due_on: date
    status: StepStatus = StepStatus.OPEN
    closed_on: date | None = None

    def close(self, status: StepStatus, on: date) -> None:
        self.status, self.closed_on = status, on


@dataclass(frozen=True)
class Progress:
    """"2/3 next steps complete": dropped steps are not counted."""

    complete: int
    total: int

    def __str__(self) -> str:
        return f"{self.complete}/{self.total} next steps complete"
