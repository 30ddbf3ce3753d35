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

from collections.abc import Callable
from datetime import date
from typing import Any, ClassVar
from uuid import UUID, uuid5

from eventsourcing.domain import event

from coachops.aggregate import Aggregate
from coachops.dated import Assignments, History  # History: the roles projection's too
from coachops.privacy import Personal

ROSTER_NAMESPACE = UUID("0b8f8a52-3c1e-4c55-9a0f-1d2e7f5a9c31")


def roster_id(sourced_id: str) -> UUID:
    return uuid5(ROSTER_NAMESPACE, sourced_id.strip())


def region_id(code: str) -> UUID:
    return uuid5(ROSTER_NAMESPACE, f"region:{code.strip()}")


DISTRICT_ID = uuid5(ROSTER_NAMESPACE, "district")


class PostChanged(Aggregate.Event):
    """Someone takes up (``JOINS``) or leaves one of an aggregate's posts, from a date.

    ``POST`` names the aggregate's ``Assignments`` of it and ``WHO`` the field naming the
    person, as each event has been stored since it was first written (``coach_id``,
    ``leader_id``...); the aggregate's class gives each its stored name
    (``School.CoachAssigned``).
    """

    POST: ClassVar[str]
    WHO: ClassVar[str]
    JOINS: ClassVar[bool]
    effective_on: date

    @property
    def person(self) -> UUID:
        person: UUID = getattr(self, self.WHO)
        return person

    def apply(self, aggregate: Any) -> None:
        post: Assignments[UUID] = getattr(aggregate, self.POST)
        post.change(self.person, self.effective_on, self.JOINS)


def post_events(post: str, who: str) -> tuple[type[PostChanged], type[PostChanged]]:
    """A post's two events, someone joining it and someone leaving it, for an aggregate
    to name: ``CoachAssigned, CoachUnassigned = post_events("coaches", "coach_id")``."""
    fields = {"__module__": __name__, "__annotations__": {who: UUID}, "POST": post, "WHO": who}
    return (type("Joins", (PostChanged,), {**fields, "JOINS": True}),
            type("Leaves", (PostChanged,), {**fields, "JOINS": False}))


class Staffed:
    """An aggregate with posts (``post_events``): who joins or leaves them, from a date."""

    trigger_event: Callable[..., None]  # the aggregate's, which it is mixed into

    def change_post(self, event: type[PostChanged], person_id: UUID,
                    effective_on: date) -> None:
        """``event``: one of this aggregate's own (``School.CoachAssigned``)."""
        self.trigger_event(event, **{event.WHO: person_id}, effective_on=effective_on)


class Region(Aggregate):
    """A Collaborative Learning Team: a group of schools with a CLT representative."""

    create_id = staticmethod(region_id)

    @event("Defined")
    def __init__(self, code: str, label: str) -> None:
        self.code = code
        self.label = label
        self.representative: History[UUID] = History()

    @event("Relabelled")
    def relabel(self, label: str) -> None:
        self.label = label

    @event("RepresentativeChanged")
    def change_representative(self, representative_id: UUID, effective_on: date) -> None:
        self.representative.set(effective_on, representative_id)


class School(Staffed, Aggregate):
    """A school, with everything about it that changes with time."""

    create_id = staticmethod(roster_id)
    CoachAssigned, CoachUnassigned = post_events("coaches", "coach_id")
    TeacherAssigned, TeacherLeft = post_events("teachers", "teacher_id")

    @event("Defined")
    def __init__(self, sourced_id: str, label: str, modified_at: str | None = None) -> None:
        self.sourced_id = sourced_id
        self.label = label
        # The dateLastModified of the last orgs.csv row that changed it, as Person's.
        self.modified_at = modified_at
        self.region: History[UUID] = History()
        self.principal: History[UUID] = History()
        # Whether the principal from each date was named by the district (assignments.csv)
        # rather than taken from the export's administrators: district configuration, kept.
        self.principal_named: History[bool] = History()
        self.coaches: Assignments[UUID] = Assignments()
        self.teachers: Assignments[UUID] = Assignments()  # in this school, from a date

    @event("Relabelled")
    def relabel(self, label: str, modified_at: str | None = None) -> None:
        self.label = label
        if modified_at is not None:
            self.modified_at = modified_at

    @event("AssignedToRegion")
    def assign_to_region(self, region_id: UUID, effective_on: date) -> None:
        self.region.set(effective_on, region_id)

    @event("PrincipalChanged")
    def change_principal(self, principal_id: UUID, effective_on: date,
                         named: bool = False) -> None:
        """``named``: by the district's own file (events stored before it was kept say
        False, as the export's)."""
        self.principal.set(effective_on, principal_id)
        self.principal_named.set(effective_on, named)

    # Questions the agreements ask -------------------------------------------------------

    def principal_on(self, day: date) -> UUID | None:
        return self.principal.on(day)

    def principal_named_on(self, day: date) -> bool:
        """Whether the principal on ``day`` was named by the district's assignments.csv."""
        return bool(self.principal_named.on(day))

    def region_on(self, day: date) -> UUID | None:
        return self.region.on(day)

    def coach_assigned_on(self, coach_id: UUID, day: date) -> bool:
        return self.coaches.on(coach_id, day)

    def coaches_on(self, day: date) -> list[UUID]:
        return self.coaches.everyone_on(day)

    def currently_assigned_coaches(self) -> set[UUID]:
        return self.coaches.current()

    def teachers_on(self, day: date) -> list[UUID]:
        return self.teachers.everyone_on(day)

    def current_teachers(self) -> set[UUID]:
        return self.teachers.current()


class District(Staffed, Aggregate):
    """The district office: who leads coaching district-wide and who runs the platform
    (district IT), from which date. One per store (a platform serves one district). Its
    posts are asked directly: ``district.leaders.on(person_id, day)``."""

    LeaderAppointed, LeaderLeft = post_events("leaders", "leader_id")
    ItAdminAppointed, ItAdminLeft = post_events("it_admins", "person_id")

    @staticmethod
    def create_id() -> UUID:
        return DISTRICT_ID

    @event("Defined")
    def __init__(self) -> None:
        self.leaders: Assignments[UUID] = Assignments()
        self.it_admins: Assignments[UUID] = Assignments()


class Person(Aggregate):
    """Someone on the roster, with the names district IT exported. Names stay here."""

    create_id = staticmethod(roster_id)

    @event("Registered")
    def __init__(self, sourced_id: str, role: str, given_name: str, family_name: str,
                 email: str | None, modified_at: str | None = None) -> None:
        self.sourced_id = sourced_id
        self.role = role
        self.given_name = given_name
        self.family_name = family_name
        self.email = email
        self.forgotten_on: date | None = None
        # The dateLastModified (ISO 8601, UTC) of the last row of the SIS's users.csv
        # that changed them, if it had one: an older row in a delta changes nothing.
        self.modified_at = modified_at

    def details(self) -> dict[str, Any]:
        return {"role": self.role, "given_name": self.given_name,
                "family_name": self.family_name, "email": self.email}

    @event("Updated")
    def update(self, role: str, given_name: str, family_name: str, email: str | None,
               modified_at: str | None = None) -> None:
        self.role = role
        self.given_name = given_name
        self.family_name = family_name
        self.email = email
        if modified_at is not None:
            self.modified_at = modified_at

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
