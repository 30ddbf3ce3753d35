"""Coaching agreements (coach and principal) and partnership agreements (coach and
teacher), as event-sourced aggregates. Pure: no I/O and no clock (``today`` is passed in),
and the roster facts a rule needs (the school's principal on a date, whether the coach
is assigned there) are passed in as a ``School``.

A coaching agreement is one per coach, school and school year, with numbered versions.
Version 1 is drafted by the coach; both coach and principal sign it, and only then is it
in force, from the later of the two signatures' days. A revision is a new version that
both sign again; until they do, the last signed version stays in force. Check-ins are
recorded against the version in force.

A signature is the day it was signed: today, or a day on paper (``signed_on``) for a
district that starts on the platform mid-year with agreements signed in August. Its event
also records the day it was entered, for the audit.

Who may act is checked here, against the roster as it is on the day of the act: the
agreement's coach, and the person who is the school's principal that day. Everyone else
gets a 403, including the principal of another school.

A command an app queued offline carries the app's id for it (``client_id``). The event it
causes carries that id too, so the agreement remembers it in the same save (``applied``):
sent again, it is known (``applied_before``) and changes nothing. Events stored before
carry none (their ``client_id`` reads as None), so no new kind of event is stored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import event

from coachops.aggregate import Aggregate
from coachops.errors import Conflict, Forbidden, Invalid, NotFound
from coachops.identity import Actor, Role
from coachops.privacy import Personal
from services.agreements.roster import ROSTER_NAMESPACE, School

QUARTERLY_WEEKS = 13


@dataclass(frozen=True)
class Applied:
    """A command an app sent with its own id: who sent it, what it did (its event's name)
    and the agreement's version once it was done, to answer a resend the same way."""

    sent_by: UUID
    what: str
    version: int


class RemembersClientIds:
    """An agreement's memory of the commands apps sent it, by their client ids (a mixin,
    not an aggregate: it stores nothing of its own)."""

    applied: dict[UUID, Applied]

    def applied_before(self, actor: Actor, client_id: UUID, what: str) -> Applied | None:
        """The command ``actor`` sent with this client id, if applied here. A client id
        names one command of one person: reused for another is a conflict."""
        applied = self.applied.get(client_id)
        if applied is not None and (applied.sent_by, applied.what) != (actor.id, what):
            raise Conflict(f"the id {client_id} was given to another command already: give"
                           " each command an id of its own", field="client_id")
        return applied

    def _applied(self, client_id: UUID | None, actor: Actor, what: str,
                 version: int) -> None:
        """In an event's body (so on replay too): ``version`` is the one it makes."""
        if client_id is not None:
            self.applied[client_id] = Applied(actor.id, what, version)


def coaching_agreement_id(coach_id: UUID, school_id: UUID, school_year: int) -> UUID:
    return uuid5(ROSTER_NAMESPACE, f"coaching-agreement:{coach_id}:{school_id}:{school_year}")


def synced_partnership_id(coach_id: UUID, client_id: UUID) -> UUID:
    """The partnership agreement an app drafted offline without naming it: one id for
    every sending of the command."""
    return uuid5(ROSTER_NAMESPACE, f"synced-partnership:{coach_id}:{client_id}")


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
    signed: dict[str, date]  # "coach" / "principal" -> the day they signed (maybe on paper)
    entered: dict[str, date] = field(default_factory=dict)  # -> the day it was entered here

    @property
    def in_force(self) -> bool:
        return {"coach", "principal"} <= set(self.signed)

    @property
    def in_force_from(self) -> date | None:
        """The later of the two signatures' days, once both signed."""
        return max(self.signed.values()) if self.in_force else None


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


class CoachingAgreement(RemembersClientIds, Aggregate):

    create_id = staticmethod(coaching_agreement_id)

    @classmethod
    def draft(cls, actor: Actor, school: School, school_year: int, terms: Terms,
              today: date, client_id: UUID | None = None) -> CoachingAgreement:
        if actor.role is not Role.COACH:
            raise Forbidden("a coach drafts their coaching agreement", field="coach_id")
        if not school.coach_assigned_on(actor.id, today):
            raise Forbidden("you are not assigned to this school", field="school_id")
        return cls(coach_id=actor.id, school_id=school.id, school_year=school_year,
                   terms=terms, actor=actor, client_id=client_id)

    @classmethod
    def imported(cls, actor: Actor, school: School, coach_id: UUID, school_year: int,
                 terms: Terms, coach_signed_on: date, principal_signed_on: date, today: date,
                 year_starts: date) -> CoachingAgreement:
        """An agreement signed on paper before the district used coachops, entered by
        district IT: drafted and signed by both, each on their day, by the rules of a
        signature on paper (not to come, in its school year, the roster of that day making
        the coach and a principal parties), recorded by IT and marked imported."""
        if actor.role is not Role.IT_ADMIN:
            raise Forbidden("district IT imports the agreements signed before coachops",
                            field="coach_id")
        for party, day in (("coach", coach_signed_on), ("principal", principal_signed_on)):
            if day > today:
                raise Invalid(f"{day} is still to come: give the day it was signed",
                              field=f"{party}_signed_on")
            if day < year_starts:
                raise Invalid(f"the {school_year} school year starts on {year_starts}: an "
                              "agreement for it is signed on or after that day",
                              field=f"{party}_signed_on")
        if not school.coach_assigned_on(coach_id, coach_signed_on):
            raise Invalid(f"the roster does not have the coach at this school on "
                          f"{coach_signed_on}", field="coach_signed_on")
        if school.principal_on(principal_signed_on) is None:
            raise Invalid(f"the roster has no principal at this school on "
                          f"{principal_signed_on}", field="principal_signed_on")
        agreement = cls(coach_id=coach_id, school_id=school.id, school_year=school_year,
                        terms=terms, actor=actor, source="imported")
        in_force_from = max(coach_signed_on, principal_signed_on)
        for party, day, in_force in (("coach", coach_signed_on, False),
                                     ("principal", principal_signed_on, True)):
            agreement._signed(**agreement._facts(), number=1, terms=terms, party=party,
                              in_force=in_force, signed_on=day, entered_on=today,
                              in_force_from=in_force_from if in_force else None,
                              actor=actor, source="imported")
        return agreement

    def is_imported_as(self, terms: Terms, coach_signed_on: date,
                       principal_signed_on: date) -> bool:
        """Whether this agreement is the one a history import's line gives (the file
        imported again): one version, these terms, signed on these days."""
        only = self.versions[0]
        return (len(self.versions) == 1 and only.terms == terms
                and only.signed == {"coach": coach_signed_on,
                                    "principal": principal_signed_on})

    @event("Drafted")
    def __init__(self, coach_id: UUID, school_id: UUID, school_year: int, terms: Terms,
                 actor: Actor, client_id: UUID | None = None, source: str = "live") -> None:
        # ``source``: "imported" for an agreement district IT imported (``actor`` is who);
        # events stored before it read as "live" (so do this event's signatures).
        self.imported_by: UUID | None = actor.id if source == "imported" else None
        self.applied = {}
        self._applied(client_id, actor, "drafted", 1)
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

    def revise(self, actor: Actor, school: School, terms: Terms, today: date,
               client_id: UUID | None = None) -> Version:
        if self.acting_party(actor, school, today) != "coach":
            raise Forbidden("the coach drafts a revision", field="agreement_id")
        self._revised(**self._facts(), number=self.latest.number + 1, terms=terms,
                      actor=actor, client_id=client_id)
        return self.latest

    def _facts(self) -> dict[str, Any]:
        # Each event repeats whose agreement it is, so it can be published on its own.
        return {"coach_id": self.coach_id, "school_id": self.school_id,
                "school_year": self.school_year}

    @event("Revised")
    def _revised(self, coach_id: UUID, school_id: UUID, school_year: int, number: int,
                 terms: Terms, actor: Actor, client_id: UUID | None = None) -> None:
        self._applied(client_id, actor, "revised", self.version + 1)
        self.versions.append(Version(number, terms, {}))

    def sign(self, actor: Actor, school: School, number: int, today: date,
             signed_on: date | None = None, year_starts: date | None = None,
             client_id: UUID | None = None) -> bool:
        """Sign version ``number``, today or on ``signed_on`` (on paper, entered today; in
        the agreement's school year, which starts on ``year_starts``); False when this
        party had signed it already."""
        party = self.acting_party(actor, school, today)
        version = self.numbered(number)
        if number != self.latest.number:
            raise Conflict(f"version {number} was revised; sign version {self.latest.number}",
                           field="version")
        if party in version.signed:
            return False
        day = today
        if signed_on is not None:
            self._check_paper_day(actor, party, school, signed_on, today, year_starts)
            day = signed_on
        in_force = {"coach", "principal"} <= set(version.signed) | {party}
        in_force_from = max([*version.signed.values(), day]) if in_force else None
        self._signed(**self._facts(), number=number, terms=version.terms, party=party,
                     in_force=in_force, signed_on=day, entered_on=today,
                     in_force_from=in_force_from, actor=actor, client_id=client_id)
        return True

    def _check_paper_day(self, actor: Actor, party: str, school: School, signed_on: date,
                         today: date, year_starts: date | None) -> None:
        """A day signed on paper is a day the signer could have signed: not to come, in
        the agreement's school year (signing today for a coming year stays allowed: no
        paper date, no such rule), with the roster of that day making them a party, and
        not before the version before came into force (a revision replaces it, never
        the other way round)."""
        if signed_on > today:
            raise Invalid(f"{signed_on} is still to come: give the day it was signed",
                          field="signed_on")
        if year_starts is not None and signed_on < year_starts:
            raise Invalid(f"the {self.school_year} school year starts on {year_starts}: an "
                          "agreement for it is signed on or after that day", field="signed_on")
        if party == "coach" and not school.coach_assigned_on(self.coach_id, signed_on):
            raise Invalid(f"the roster does not have the coach at this school on {signed_on}",
                          field="signed_on")
        if party == "principal" and school.principal_on(signed_on) != actor.id:
            raise Invalid(f"the roster does not have you as this school's principal on "
                          f"{signed_on}", field="signed_on")
        before = next((v.in_force_from for v in reversed(self.versions[:-1]) if v.in_force),
                      None)
        if before is not None and signed_on < before:
            raise Invalid(f"the version before is in force from {before}: a revision is "
                          "signed on or after that day", field="signed_on")

    class Signed(Aggregate.Event):
        """Version 2 adds ``entered_on`` (the day the signature was entered, which a day
        signed on paper comes before) and ``in_force_from`` (once both signed: the later
        of their days). A version 1 signature was signed the day it was entered, and one
        that put a version in force was the later of the two."""

        coach_id: UUID
        school_id: UUID
        school_year: int
        number: int
        terms: Terms
        party: str
        in_force: bool
        signed_on: date
        entered_on: date
        in_force_from: date | None
        actor: Actor
        client_id: UUID | None = None  # the app's, when it queued the signature offline
        source: str = "live"  # or "imported": district IT's history import
        class_version = 2

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["entered_on"] = state["signed_on"]
            state["in_force_from"] = state["signed_on"] if state["in_force"] else None

    @event(Signed)
    def _signed(self, coach_id: UUID, school_id: UUID, school_year: int, number: int,
                terms: Terms, party: str, in_force: bool, signed_on: date, entered_on: date,
                in_force_from: date | None, actor: Actor, client_id: UUID | None = None,
                source: str = "live") -> None:
        self._applied(client_id, actor, "signed", self.version + 1)
        version = self.versions[number - 1]
        version.signed[party] = signed_on
        version.entered[party] = entered_on

    def record_check_in(self, actor: Actor, school: School, held_on: date, notes: str,
                        focus_areas: list[dict[str, str]] | None, today: date,
                        attended_by: list[str] | None = None,
                        client_id: UUID | None = None) -> CheckIn:
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
                         attended_by=list(attended), actor=actor, client_id=client_id)
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
        client_id: UUID | None = None  # an app's, when it queued the check-in
        class_version = 2

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["attended_by"] = list(PARTIES)

    @event(CheckInRecorded)
    def _checked_in(self, coach_id: UUID, school_id: UUID, school_year: int, held_on: date,
                    number: int, focus_areas: list[dict[str, str]],
                    revised: bool, notes: str, next_due_on: date, attended_by: list[str],
                    actor: Actor, client_id: UUID | None = None) -> None:
        self._applied(client_id, actor, "checked_in", self.version + 1)
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


class PartnershipAgreement(RemembersClientIds, Aggregate):
    """The norms of one coach's partnership with one teacher; theirs alone to read."""

    @event("Drafted")
    def __init__(self, coach_id: UUID, teacher_id: UUID, norms: Norms, actor: Actor,
                 client_id: UUID | None = None) -> None:
        self.applied = {}
        self._applied(client_id, actor, "drafted", 1)
        self.coach_id = coach_id
        self.teacher_id = teacher_id
        self.norms = norms
        self.agreed_on: date | None = None

    @classmethod
    def draft(cls, actor: Actor, teacher_id: UUID, norms: Norms,
              teacher_at_coachs_school: bool, agreement_id: UUID | None = None,
              client_id: UUID | None = None) -> PartnershipAgreement:
        """``agreement_id``: the app's own (to name the norms' agreement offline too)."""
        if actor.role is not Role.COACH:
            raise Forbidden("a coach drafts a partnership agreement", field="teacher_id")
        if not teacher_at_coachs_school:
            raise Invalid("the roster names no school of this teacher that you are assigned "
                          "to today", field="teacher_id")
        drafted: dict[str, Any] = {"coach_id": actor.id, "teacher_id": teacher_id,
                                   "norms": norms, "actor": actor, "client_id": client_id}
        if agreement_id is None:
            return cls(**drafted)
        return cls._create(cls.Drafted, id=agreement_id, **drafted)

    def require_party(self, actor: Actor) -> None:
        if not ((actor.role is Role.COACH and actor.id == self.coach_id)
                or (actor.role is Role.TEACHER and actor.id == self.teacher_id)):
            raise Forbidden("only the coach and the teacher of a partnership may see it",
                            field="agreement_id")

    def agree(self, actor: Actor, today: date, client_id: UUID | None = None) -> bool:
        self.require_party(actor)
        if actor.role is not Role.TEACHER:
            raise Forbidden("the teacher agrees to the norms the coach drafted",
                            field="agreement_id")
        if self.agreed_on is not None:
            return False
        self._agreed(agreed_on=today, actor=actor, client_id=client_id)
        return True

    @event("Agreed")
    def _agreed(self, agreed_on: date, actor: Actor, client_id: UUID | None = None) -> None:
        self._applied(client_id, actor, "agreed", self.version + 1)
        self.agreed_on = agreed_on


# Check-in notes are the coach's (sealed with the coach's key); a partnership's norms are
# about its teacher (sealed with the teacher's): forgetting either forgets them.
PERSONAL_DATA: dict[type, Personal] = {
    CoachingAgreement.CheckInRecorded: Personal("notes", subject="coach_id"),
    PartnershipAgreement.Drafted: Personal("norms.entering_the_room", "norms.what_to_observe",
                                           "norms.other", subject="teacher_id"),
}
