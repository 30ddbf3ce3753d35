"""The roster's word on who works where, as the cycles service learns it from the bus
(``CoachAssignedToSchool``, ``TeacherAssignedToSchool`` and their endings): a copy of its
own, since no service reads another's store. One aggregate per person.

Facts can arrive in any order and more than once; the answer for a date is decided by the
latest fact on or before it, so neither matters.
"""

from __future__ import annotations

from datetime import date
from uuid import UUID, uuid5

from eventsourcing.domain import event

from coachops.aggregate import Aggregate
from coachops.dated import LearnedAssignments
from coachops.errors import Forbidden, Invalid


def roster_facts_id(person_id: UUID) -> UUID:
    return uuid5(person_id, "roster-facts")


class RosterFacts(Aggregate):
    """Where one person is assigned, as a coach or as a teacher, from which date."""

    create_id = staticmethod(roster_facts_id)

    @event("Opened")
    def __init__(self, person_id: UUID) -> None:
        self.person_id = person_id
        self.facts: LearnedAssignments[tuple[UUID, str]] = LearnedAssignments()

    def learn(self, school_id: UUID, role: str, effective_on: date, assigned: bool) -> bool:
        """Record a roster fact; False (nothing recorded) when it is known already."""
        if self.facts.knows((school_id, role), effective_on, assigned):
            return False
        self._learned(school_id=school_id, role=role, effective_on=effective_on,
                      assigned=assigned)
        return True

    @event("Learned")
    def _learned(self, school_id: UUID, role: str, effective_on: date, assigned: bool) -> None:
        self.facts.learn((school_id, role), effective_on, assigned)

    def at(self, school_id: UUID, role: str, on: date) -> bool:
        """Whether the person is at the school in that role (``coach`` or ``teacher``)."""
        return self.facts.on((school_id, role), on)


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
