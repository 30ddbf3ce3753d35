"""The district roster as event-sourced aggregates: who works where, from which date.

Every assignment carries the date it takes effect, and each aggregate keeps the whole
history, so "who was the principal of this school on 3 March" is answered from the store
as it was then, not as it is now. Ids are stable: a OneRoster ``sourcedId`` becomes
``uuid5(ROSTER_NAMESPACE, sourcedId)`` and a region code ``uuid5(ROSTER_NAMESPACE,
"region:" + code)``, so importing the same export twice names the same aggregates.

``School`` holds everything about one school that changes with time (its region, its
principal, its coaches and teachers), because the rules that need the roster ask about
one school on one date. ``District`` holds the district's coaching leaders and its IT
administrators, who belong to no school. ``Person`` holds the names, which never leave this store.
"""

from __future__ import annotations

from bisect import insort
from datetime import date
from typing import TYPE_CHECKING, Any, ClassVar
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from coachops.privacy import Personal

ROSTER_NAMESPACE = UUID("0b8f8a52-3c1e-4c55-9a0f-1d2e7f5a9c31")


def roster_id(sourced_id: str) -> UUID:
    return uuid5(ROSTER_NAMESPACE, sourced_id.strip())


def region_id(code: str) -> UUID:
    return uuid5(ROSTER_NAMESPACE, f"region:{code.strip()}")


DISTRICT_ID = uuid5(ROSTER_NAMESPACE, "district")


class History:
    """Values by the date they take effect; ``on(day)`` is the value in effect that day."""

    def __init__(self) -> None:
        self.changes: list[tuple[date, Any]] = []

    def set(self, effective_on: date, value: Any) -> None:
        # A later import may fill in an earlier date: keep the list in date order.
        self.changes = [c for c in self.changes if c[0] != effective_on]
        insort(self.changes, (effective_on, value), key=lambda c: c[0])

    def on(self, day: date) -> Any:
        value = None
        for effective_on, candidate in self.changes:
            if effective_on > day:
                break
            value = candidate
        return value

    def latest(self) -> Any:
        return self.changes[-1][1] if self.changes else None


class Region(Aggregate):
    """A Collaborative Learning Team: a group of schools with a CLT representative."""
    if TYPE_CHECKING:  # the event classes @event makes from the methods below;
        # their attributes are the methods' parameters, which mypy cannot see.
        Defined: ClassVar[type[Any]]
        Relabelled: ClassVar[type[Any]]
        RepresentativeChanged: ClassVar[type[Any]]

    @staticmethod
    def create_id(code: str) -> UUID:
        return region_id(code)

    @event("Defined")
    def __init__(self, code: str, label: str) -> None:
        self.code = code
        self.label = label
        self.representative = History()

    @event("Relabelled")
    def relabel(self, label: str) -> None:
        self.label = label

    @event("RepresentativeChanged")
    def change_representative(self, representative_id: UUID, effective_on: date) -> None:
        self.representative.set(effective_on, representative_id)


class School(Aggregate):
    if TYPE_CHECKING:  # the event classes @event makes from the methods below;
        # their attributes are the methods' parameters, which mypy cannot see.
        Defined: ClassVar[type[Any]]
        Relabelled: ClassVar[type[Any]]
        AssignedToRegion: ClassVar[type[Any]]
        PrincipalChanged: ClassVar[type[Any]]
        CoachAssigned: ClassVar[type[Any]]
        CoachUnassigned: ClassVar[type[Any]]
        TeacherAssigned: ClassVar[type[Any]]
        TeacherLeft: ClassVar[type[Any]]

    @staticmethod
    def create_id(sourced_id: str) -> UUID:
        return roster_id(sourced_id)

    @event("Defined")
    def __init__(self, sourced_id: str, label: str) -> None:
        self.sourced_id = sourced_id
        self.label = label
        self.region = History()
        self.principal = History()
        self.coaches: dict[UUID, History] = {}  # coach -> assigned (True/False) by date
        self.teachers: dict[UUID, History] = {}  # teacher -> in this school (True/False)

    @event("Relabelled")
    def relabel(self, label: str) -> None:
        self.label = label

    @event("AssignedToRegion")
    def assign_to_region(self, region_id: UUID, effective_on: date) -> None:
        self.region.set(effective_on, region_id)

    @event("PrincipalChanged")
    def change_principal(self, principal_id: UUID, effective_on: date) -> None:
        self.principal.set(effective_on, principal_id)

    @event("CoachAssigned")
    def assign_coach(self, coach_id: UUID, effective_on: date) -> None:
        self.coaches.setdefault(coach_id, History()).set(effective_on, True)

    @event("CoachUnassigned")
    def unassign_coach(self, coach_id: UUID, effective_on: date) -> None:
        self.coaches.setdefault(coach_id, History()).set(effective_on, False)

    @event("TeacherAssigned")
    def assign_teacher(self, teacher_id: UUID, effective_on: date) -> None:
        self.teachers.setdefault(teacher_id, History()).set(effective_on, True)

    @event("TeacherLeft")
    def teacher_left(self, teacher_id: UUID, effective_on: date) -> None:
        self.teachers.setdefault(teacher_id, History()).set(effective_on, False)

    # Questions the agreements ask -------------------------------------------------------

    def principal_on(self, day: date) -> UUID | None:
        principal: UUID | None = self.principal.on(day)
        return principal

    def region_on(self, day: date) -> UUID | None:
        region: UUID | None = self.region.on(day)
        return region

    def coach_assigned_on(self, coach_id: UUID, day: date) -> bool:
        history = self.coaches.get(coach_id)
        return bool(history and history.on(day))

    def coaches_on(self, day: date) -> list[UUID]:
        return sorted((c for c, h in self.coaches.items() if h.on(day)), key=str)

    def currently_assigned_coaches(self) -> set[UUID]:
        return {c for c, h in self.coaches.items() if h.latest()}

    def teachers_on(self, day: date) -> list[UUID]:
        return sorted((t for t, h in self.teachers.items() if h.on(day)), key=str)

    def current_teachers(self) -> set[UUID]:
        return {t for t, h in self.teachers.items() if h.latest()}


class District(Aggregate):
    """The district office: who leads coaching district-wide and who runs the platform
    (district IT), from which date. One per store (a platform serves one district)."""
    if TYPE_CHECKING:  # the event classes @event makes from the methods below;
        # their attributes are the methods' parameters, which mypy cannot see.
        Defined: ClassVar[type[Any]]
        LeaderAppointed: ClassVar[type[Any]]
        LeaderLeft: ClassVar[type[Any]]
        ItAdminAppointed: ClassVar[type[Any]]
        ItAdminLeft: ClassVar[type[Any]]

    @staticmethod
    def create_id() -> UUID:
        return DISTRICT_ID

    @event("Defined")
    def __init__(self) -> None:
        self.leaders: dict[UUID, History] = {}  # person -> a leader (True/False) by date
        self.it_admins: dict[UUID, History] = {}  # person -> district IT (True/False) by date

    @event("LeaderAppointed")
    def appoint_leader(self, leader_id: UUID, effective_on: date) -> None:
        self.leaders.setdefault(leader_id, History()).set(effective_on, True)

    @event("LeaderLeft")
    def leader_left(self, leader_id: UUID, effective_on: date) -> None:
        self.leaders.setdefault(leader_id, History()).set(effective_on, False)

    def leader_on(self, leader_id: UUID, day: date) -> bool:
        history = self.leaders.get(leader_id)
        return bool(history and history.on(day))

    def leaders_on(self, day: date) -> list[UUID]:
        return sorted((p for p, h in self.leaders.items() if h.on(day)), key=str)

    def current_leaders(self) -> set[UUID]:
        return {p for p, h in self.leaders.items() if h.latest()}

    @event("ItAdminAppointed")
    def appoint_it_admin(self, person_id: UUID, effective_on: date) -> None:
        self.it_admins.setdefault(person_id, History()).set(effective_on, True)

    @event("ItAdminLeft")
    def it_admin_left(self, person_id: UUID, effective_on: date) -> None:
        self.it_admins.setdefault(person_id, History()).set(effective_on, False)

    def it_admin_on(self, person_id: UUID, day: date) -> bool:
        history = self.it_admins.get(person_id)
        return bool(history and history.on(day))

    def current_it_admins(self) -> set[UUID]:
        return {p for p, h in self.it_admins.items() if h.latest()}


class Person(Aggregate):
    """Someone on the roster, with the names district IT exported. Names stay here."""
    if TYPE_CHECKING:  # the event classes @event makes from the methods below;
        # their attributes are the methods' parameters, which mypy cannot see.
        Registered: ClassVar[type[Any]]
        Updated: ClassVar[type[Any]]
        Forgotten: ClassVar[type[Any]]

    @staticmethod
    def create_id(sourced_id: str) -> UUID:
        return roster_id(sourced_id)

    @event("Registered")
    def __init__(self, sourced_id: str, role: str, given_name: str, family_name: str,
                 email: str | None) -> None:
        self.sourced_id = sourced_id
        self.role = role
        self.given_name = given_name
        self.family_name = family_name
        self.email = email
        self.forgotten_on: date | None = None

    def details(self) -> dict[str, Any]:
        return {"role": self.role, "given_name": self.given_name,
                "family_name": self.family_name, "email": self.email}

    @event("Updated")
    def update(self, role: str, given_name: str, family_name: str, email: str | None) -> None:
        self.role = role
        self.given_name = given_name
        self.family_name = family_name
        self.email = email

    @event("Forgotten")
    def forget(self, forgotten_on: date) -> None:
        """Their names and email are erased with their key (``coachops.privacy``); the
        roster keeps them as someone, by id, so counts and assignments stand."""
        self.forgotten_on = forgotten_on


# Names and emails: sealed with the person's own key, destroyed when they are forgotten.
PERSONAL_DATA: dict[type, Personal] = {
    Person.Registered: Personal("given_name", "family_name", "email"),
    Person.Updated: Personal("given_name", "family_name", "email"),
}
