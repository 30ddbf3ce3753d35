"""The roster's word on who works where, as the cycles service learns it from the bus
(``CoachAssignedToSchool``, ``TeacherAssignedToSchool`` and their endings): a copy of its
own, since no service reads another's store. One aggregate per person.

Facts can arrive in any order and more than once; the answer for a date is decided by the
latest fact on or before it, so neither matters.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from coachops.errors import Forbidden, Invalid


def roster_facts_id(person_id: UUID) -> UUID:
    return uuid5(person_id, "roster-facts")


@dataclass(frozen=True)
class Fact:
    school_id: UUID
    role: str  # "coach" or "teacher"
    effective_on: date
    assigned: bool


class RosterFacts(Aggregate):
    @staticmethod
    def create_id(person_id: UUID) -> UUID:
        return roster_facts_id(person_id)

    @event("Opened")
    def __init__(self, person_id: UUID) -> None:
        self.person_id = person_id
        self.facts: list[Fact] = []

    def learn(self, school_id: UUID, role: str, effective_on: date, assigned: bool) -> bool:
        """Record a roster fact; False (nothing recorded) when it is known already."""
        if Fact(school_id, role, effective_on, assigned) in self.facts:
            return False
        self._learned(school_id=school_id, role=role, effective_on=effective_on,
                      assigned=assigned)
        return True

    @event("Learned")
    def _learned(self, school_id: UUID, role: str, effective_on: date, assigned: bool) -> None:
        self.facts.append(Fact(school_id, role, effective_on, assigned))

    def at(self, school_id: UUID, role: str, on: date) -> bool:
        facts = sorted((f for f in self.facts if f.school_id == school_id and f.role == role
                        and f.effective_on <= on), key=lambda f: (f.effective_on, f.assigned))
        return bool(facts) and facts[-1].assigned


def require_cycle_people(actor_id: UUID, coach: RosterFacts | None,
                         teachers: dict[UUID, RosterFacts | None], school_id: UUID,
                         on: date) -> None:
    """A cycle names a coach assigned to its school and teachers of that school, on the
    day it starts: the one who starts it is refused at a school not theirs (403), a person
    they name who is not at it is a 422 naming the field."""

    def at(facts: RosterFacts | None, role: str) -> bool:
        return facts is not None and facts.at(school_id, role, on)

    if actor_id in teachers and not at(teachers[actor_id], "teacher"):
        raise Forbidden(f"the roster does not place you at school {school_id} on {on}",
                        field="school_id")
    if not at(coach, "coach"):
        if actor_id not in teachers:
            raise Forbidden(f"the roster does not assign you to school {school_id} on {on}",
                            field="school_id")
        raise Invalid(f"the roster does not assign this coach to school {school_id} on {on}",
                      field="coach_id")
    for teacher_id, facts in teachers.items():
        if not at(facts, "teacher"):
            raise Invalid(f"the roster does not place teacher {teacher_id} at school "
                          f"{school_id} on {on}", field="teacher_ids")
