"""The schools a coach works at, as the roster tells the time-tracking service."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from eventsourcing.domain import event

from coachops.aggregate import Aggregate
from coachops.dated import LearnedAssignments
from coachops.errors import Invalid
from services.timetracking.domain.ids import assignments_id


class CoachAssignments(Aggregate):
    """The schools a coach works at, as the district roster says, with the date each
    assignment took effect. Facts can arrive in any order and more than once (they come
    from the agreements service over the bus); the answer for a date is decided by the
    latest fact on or before it, so the order of arrival never matters."""

    __module__ = "services.timetracking.domain"  # the topic its stored events name
    create_id = staticmethod(assignments_id)

    @event("Opened")
    def __init__(self, coach_id: UUID) -> None:
        self.coach_id = coach_id
        self.facts: LearnedAssignments[UUID] = LearnedAssignments()  # by school

    def learn(self, school_id: UUID, effective_on: date, assigned: bool) -> bool:
        """Record a roster fact; False (nothing recorded) when it is known already."""
        if self.facts.knows(school_id, effective_on, assigned):
            return False
        self._learned(school_id=school_id, effective_on=effective_on, assigned=assigned)
        return True

    @event("Learned")
    def _learned(self, school_id: UUID, effective_on: date, assigned: bool) -> None:
        self.facts.learn(school_id, effective_on, assigned)

    def assigned(self, school_id: UUID, on: date) -> bool:
        return self.facts.on(school_id, on)

    def require(self, school_id: UUID, on: date) -> None:
        if not self.assigned(school_id, on):
            raise Invalid(f"the roster does not assign this coach to school {school_id}"
                          f" on {on}", field="school_id")
