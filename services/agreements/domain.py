"""Coaching agreements (coach and principal) and partnership agreements (coach and
teacher), as event-sourced aggregates. Pure: no I/O and no clock (``today`` is passed in),
and the roster facts a rule needs (the school's principal on a date, whether the coach
is assigned there) are passed in as a ``School``.

A coaching agreement is one per coach, school and school year, with numbered versions.
Version 1 is drafted by the coach; both coach and principal sign it, and only then is it
in force. A revision is a new version that both sign again; until they do, the last
signed version stays in force. Check-ins are recorded against the version in force.

Who may act is checked here, against the roster as it is on the day of the act: the
agreement's coach, and the person who is the school's principal that day. Everyone else
gets a 403, including the principal of another school.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, ClassVar
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from coachops.errors import Conflict, Forbidden, Invalid, NotFound
from coachops.identity import Actor, Role
from coachops.privacy import Personal
from services.agreements.roster import ROSTER_NAMESPACE, School

QUARTERLY_WEEKS = 13


def coaching_agreement_id(coach_id: UUID, school_id: UUID, school_year: int) -> UUID:
    return uuid5(ROSTER_NAMESPACE, f"coaching-agreement:{coach_id}:{school_id}:{school_year}")


@dataclass(frozen=True)
class FocusArea:
    """A school goal or a framework component, e.g. ``danielson-2a`` "Creating an
    Environment of Respect and Rapport". Only the id leaves this service."""

    id: str
    label: str


@dataclass(frozen=True)
class Terms:
    focus_areas: tuple[FocusArea, ...]
    coach_role: str
    not_coach_role: str
    check_in_every_weeks: int = QUARTERLY_WEEKS

    @classmethod
    def of(cls, focus_areas: list[dict[str, str]], coach_role: str, not_coach_role: str,
           check_in_every_weeks: int = QUARTERLY_WEEKS) -> Terms:
        areas = tuple(FocusArea(a["id"], a["label"]) for a in focus_areas)
        if not areas:
            raise Invalid("name at least one focus area", field="focus_areas")
        if len({a.id for a in areas}) != len(areas):
            raise Invalid("a focus area is listed twice", field="focus_areas")
        if not 1 <= check_in_every_weeks <= 52:
            raise Invalid("check in every 1 to 52 weeks", field="check_in_every_weeks")
        return cls(areas, coach_role.strip(), not_coach_role.strip(), check_in_every_weeks)

    @property
    def focus_area_ids(self) -> list[str]:
        return [a.id for a in self.focus_areas]


@dataclass
class Version:
    number: int
    terms: Terms
    signed: dict[str, date]  # "coach" / "principal" -> the day they signed

    @property
    def in_force(self) -> bool:
        return {"coach", "principal"} <= set(self.signed)


PARTIES = ("coach", "principal")


@dataclass(frozen=True)
class CheckIn:
    held_on: date
    version: int
    focus_areas: tuple[FocusArea, ...]
    focus_areas_revised: bool
    notes: str  # private to the coach and the principal
    next_due_on: date
    attended_by: tuple[str, ...] = PARTIES  # which of the pair were there


class CoachingAgreement(Aggregate):
    if TYPE_CHECKING:  # the event classes @event makes from the methods below;
        # their attributes are the methods' parameters, which mypy cannot see.
        Drafted: ClassVar[type[Any]]
        Revised: ClassVar[type[Any]]
        Signed: ClassVar[type[Any]]

    @staticmethod
    def create_id(coach_id: UUID, school_id: UUID, school_year: int) -> UUID:
        return coaching_agreement_id(coach_id, school_id, school_year)

    @classmethod
    def draft(cls, actor: Actor, school: School, school_year: int, terms: Terms,
              today: date) -> CoachingAgreement:
        if actor.role is not Role.COACH:
            raise Forbidden("a coach drafts their coaching agreement", field="coach_id")
        if not school.coach_assigned_on(actor.id, today):
            raise Forbidden("you are not assigned to this school", field="school_id")
        return cls(coach_id=actor.id, school_id=school.id, school_year=school_year,
                   terms=terms, actor=actor)

    @event("Drafted")
    def __init__(self, coach_id: UUID, school_id: UUID, school_year: int, terms: Terms,
                 actor: Actor) -> None:
        self.coach_id = coach_id
        self.school_id = school_id
        self.school_year = school_year
        self.versions: list[Version] = [Version(1, terms, {})]
        self.check_ins: list[CheckIn] = []

    # Who may act --------------------------------------------------------------------------

    def party_of(self, actor: Actor, school: School, today: date) -> str:
        """'coach' or 'principal' if ``actor`` is one of the pair today; 403 otherwise."""
        if actor.role is Role.COACH and actor.id == self.coach_id:
            return "coach"
        if actor.role is Role.PRINCIPAL and actor.id == school.principal_on(today):
            return "principal"
        raise Forbidden("only the agreement's coach and the school's principal may see or "
                        "sign it", field="agreement_id")

    def acting_party(self, actor: Actor, school: School, today: date) -> str:
        """``party_of`` for a change: the coach must also still be assigned to the school."""
        party = self.party_of(actor, school, today)
        if party == "coach" and not school.coach_assigned_on(actor.id, today):
            raise Forbidden("you are no longer assigned to this school", field="school_id")
        return party

    # Queries -------------------------------------------------------------------------------

    @property
    def latest(self) -> Version:
        return self.versions[-1]

    def in_force(self) -> Version | None:
        signed = [v for v in self.versions if v.in_force]
        return signed[-1] if signed else None

    def numbered(self, number: int) -> Version:
        if not 1 <= number <= len(self.versions):
            raise NotFound(f"there is no version {number}", field="version")
        return self.versions[number - 1]

    # Commands ------------------------------------------------------------------------------

    def revise(self, actor: Actor, school: School, terms: Terms, today: date) -> Version:
        if self.acting_party(actor, school, today) != "coach":
            raise Forbidden("the coach drafts a revision", field="agreement_id")
        self._revised(**self._facts(), number=self.latest.number + 1, terms=terms,
                      actor=actor)
        return self.latest

    def _facts(self) -> dict[str, Any]:
        # Each event repeats whose agreement it is, so it can be published on its own.
        return {"coach_id": self.coach_id, "school_id": self.school_id,
                "school_year": self.school_year}

    @event("Revised")
    def _revised(self, coach_id: UUID, school_id: UUID, school_year: int, number: int,
                 terms: Terms, actor: Actor) -> None:
        self.versions.append(Version(number, terms, {}))

    def sign(self, actor: Actor, school: School, number: int, today: date) -> bool:
        """Sign version ``number``; False when this party had signed it already."""
        party = self.acting_party(actor, school, today)
        version = self.numbered(number)
        if number != self.latest.number:
            raise Conflict(f"version {number} was revised; sign version {self.latest.number}",
                           field="version")
        if party in version.signed:
            return False
        in_force = {"coach", "principal"} <= set(version.signed) | {party}
        self._signed(**self._facts(), number=number, terms=version.terms, party=party,
                     in_force=in_force, signed_on=today, actor=actor)
        return True

    @event("Signed")
    def _signed(self, coach_id: UUID, school_id: UUID, school_year: int, number: int,
                terms: Terms, party: str, in_force: bool, signed_on: date,
                actor: Actor) -> None:
        self.versions[number - 1].signed[party] = signed_on

    def record_check_in(self, actor: Actor, school: School, held_on: date, notes: str,
                        focus_areas: list[dict[str, str]] | None, today: date,
                        attended_by: list[str] | None = None) -> CheckIn:
        party = self.acting_party(actor, school, today)
        attended = tuple(p for p in PARTIES if p in (attended_by or PARTIES))
        if party not in attended:
            raise Invalid("whoever records a check-in was at it", field="attended_by")
        if held_on > today:
            raise Invalid("a check-in is recorded once it was held", field="held_on")
        version = self.in_force()
        if version is None:
            raise Invalid("only a signed agreement is in force: both sign it first",
                          field="agreement_id")
        areas = (Terms.of(focus_areas, "-", "-").focus_areas if focus_areas is not None
                 else version.terms.focus_areas)
        self._checked_in(**self._facts(), held_on=held_on, number=version.number,
                         focus_areas=[{"id": a.id, "label": a.label} for a in areas],
                         revised=areas != version.terms.focus_areas, notes=notes.strip(),
                         next_due_on=held_on + timedelta(weeks=version.terms.check_in_every_weeks),
                         attended_by=list(attended), actor=actor)
        return self.check_ins[-1]

    class CheckInRecorded(Aggregate.Event):
        """Version 2 adds ``attended_by``. Check-ins stored before it were held by the pair,
        both of them: that is what a version 1 event reads as."""

        coach_id: UUID
        school_id: UUID
        school_year: int
        held_on: date
        number: int
        focus_areas: list[dict[str, str]]
        revised: bool
        notes: str
        next_due_on: date
        attended_by: list[str]
        actor: Actor
        class_version = 2

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["attended_by"] = list(PARTIES)

    @event(CheckInRecorded)
    def _checked_in(self, coach_id: UUID, school_id: UUID, school_year: int, held_on: date,
                    number: int, focus_areas: list[dict[str, str]],
                    revised: bool, notes: str, next_due_on: date, attended_by: list[str],
                    actor: Actor) -> None:
        areas = tuple(FocusArea(a["id"], a["label"]) for a in focus_areas)
        self.check_ins.append(CheckIn(held_on, number, areas, revised, notes, next_due_on,
                                      tuple(attended_by)))


@dataclass(frozen=True)
class Norms:
    """How a coach and a teacher work together in a partnership."""

    debrief_within_hours: int
    entering_the_room: str
    interacts_with_students: bool
    what_to_observe: str
    other: str = ""

    @classmethod
    def of(cls, **values: Any) -> Norms:
        norms = cls(**values)
        if not 1 <= norms.debrief_within_hours <= 24 * 14:
            raise Invalid("debrief within 1 hour to 14 days", field="debrief_within_hours")
        return norms


class PartnershipAgreement(Aggregate):
    """The norms of one coach's partnership with one teacher; theirs alone to read."""
    if TYPE_CHECKING:  # the event classes @event makes from the methods below;
        # their attributes are the methods' parameters, which mypy cannot see.
        Drafted: ClassVar[type[Any]]
        Agreed: ClassVar[type[Any]]

    @event("Drafted")
    def __init__(self, coach_id: UUID, teacher_id: UUID, norms: Norms, actor: Actor) -> None:
        self.coach_id = coach_id
        self.teacher_id = teacher_id
        self.norms = norms
        self.agreed_on: date | None = None

    @classmethod
    def draft(cls, actor: Actor, teacher_id: UUID, norms: Norms,
              teacher_at_coachs_school: bool) -> PartnershipAgreement:
        if actor.role is not Role.COACH:
            raise Forbidden("a coach drafts a partnership agreement", field="teacher_id")
        if not teacher_at_coachs_school:
            raise Invalid("the roster names no school of this teacher that you are assigned "
                          "to today", field="teacher_id")
        return cls(coach_id=actor.id, teacher_id=teacher_id, norms=norms, actor=actor)

    def require_party(self, actor: Actor) -> None:
        if not ((actor.role is Role.COACH and actor.id == self.coach_id)
                or (actor.role is Role.TEACHER and actor.id == self.teacher_id)):
            raise Forbidden("only the coach and the teacher of a partnership may see it",
                            field="agreement_id")

    def agree(self, actor: Actor, today: date) -> bool:
        self.require_party(actor)
        if actor.role is not Role.TEACHER:
            raise Forbidden("the teacher agrees to the norms the coach drafted",
                            field="agreement_id")
        if self.agreed_on is not None:
            return False
        self._agreed(agreed_on=today, actor=actor)
        return True

    @event("Agreed")
    def _agreed(self, agreed_on: date, actor: Actor) -> None:
        self.agreed_on = agreed_on


# Check-in notes are the coach's (sealed with the coach's key); a partnership's norms are
# about its teacher (sealed with the teacher's): forgetting either forgets them.
PERSONAL_DATA: dict[type, Personal] = {
    CoachingAgreement.CheckInRecorded: Personal("notes", subject="coach_id"),
    PartnershipAgreement.Drafted: Personal("norms.entering_the_room", "norms.what_to_observe",
                                           "norms.other", subject="teacher_id"),
}
