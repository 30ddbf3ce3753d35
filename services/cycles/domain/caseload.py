"""Whose cycles are whose, and who read them: the aggregates kept beside the cycles."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID, uuid5

from eventsourcing.domain import event

from coachops.aggregate import Aggregate
from coachops.identity import Role
from services.cycles.domain.values import NAMESPACE


def caseload_id(person_id: UUID) -> UUID:
    return uuid5(NAMESPACE, f"caseload:{person_id}")


def read_log_id(cycle_id: UUID) -> UUID:
    return uuid5(NAMESPACE, f"reads:{cycle_id}")


class Caseload(Aggregate):
    """The cycles one person is in, as their coach or as a teacher: a coach's caseload, a
    teacher's own cycles. Saved with the cycle it gains, in one transaction."""

    __module__ = "services.cycles.domain"  # the topic its stored events name
    create_id = staticmethod(caseload_id)

    @event("Opened")
    def __init__(self, person_id: UUID) -> None:
        self.person_id = person_id
        self.cycles: dict[UUID, Role] = {}

    def cycle_ids(self, role: Role) -> list[UUID]:
        return [cycle_id for cycle_id, r in self.cycles.items() if r is role]

    @event("CycleAdded")
    def add(self, cycle_id: UUID, role: str) -> None:
        self.cycles[cycle_id] = Role(role)


@dataclass(frozen=True)
class Read:
    reader_id: UUID
    role: Role
    what: str  # "cycle" (its content), "timeline" (every change, with its content),
    # "caseload" or "teacher_cycles" (its goal and next steps, in a list of cycles)
    read_at: datetime


class ReadLog(Aggregate):
    """Who read a cycle's content, and when: the audit its coach and teachers may list.
    Kept in this store beside the cycle; never published."""

    __module__ = "services.cycles.domain"  # the topic its stored events name
    create_id = staticmethod(read_log_id)

    @event("Opened")
    def __init__(self, cycle_id: UUID) -> None:
        self.cycle_id = cycle_id
        self.reads: list[Read] = []

    @event("ContentRead")
    def record(self, reader_id: UUID, role: str, what: str, read_at: datetime) -> None:
        self.reads.append(Read(reader_id, Role(role), what, read_at))

