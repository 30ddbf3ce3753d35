"""The agreements service layer: load, decide, save; retried when another worker saved
the same aggregate first (optimistic concurrency), Conflict after a few lost races."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import JSONTranscoder, Transcoding

from coachops.application import ServiceApplication
from coachops.errors import Conflict, Forbidden, NotFound
from coachops.identity import Actor, Role
from services.agreements import domain, roster, roster_import
from services.agreements.domain import (
    CoachingAgreement,
    FocusArea,
    Norms,
    PartnershipAgreement,
    Terms,
    coaching_agreement_id,
)
from services.agreements.roles import RosterIndex
from services.agreements.roster import District, Person, School

T = TypeVar("T")
A = TypeVar("A", bound=Aggregate)


class TermsAsDict(Transcoding):
    type = Terms
    name = "agreement_terms"

    def encode(self, obj: Terms) -> dict[str, Any]:
        return {"focus_areas": [{"id": a.id, "label": a.label} for a in obj.focus_areas],
                "coach_role": obj.coach_role, "not_coach_role": obj.not_coach_role,
                "check_in_every_weeks": obj.check_in_every_weeks}

    def decode(self, data: dict[str, Any]) -> Terms:
        areas = tuple(FocusArea(a["id"], a["label"]) for a in data["focus_areas"])
        return Terms(areas, data["coach_role"], data["not_coach_role"],
                     data["check_in_every_weeks"])


class NormsAsDict(Transcoding):
    type = Norms
    name = "partnership_norms"

    def encode(self, obj: Norms) -> dict[str, Any]:
        return dict(vars(obj))

    def decode(self, data: dict[str, Any]) -> Norms:
        return Norms(**data)


class Agreements(ServiceApplication):
    personal_data = {**roster.PERSONAL_DATA, **domain.PERSONAL_DATA}

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(TermsAsDict())
        transcoder.register(NormsAsDict())

    # The roster -----------------------------------------------------------------------------

    def import_roster(self, actor: Actor, files: dict[str, str],
                      effective_on: date) -> dict[str, int]:
        """All or nothing; only the differences with the store are recorded. Returns the
        number of events of each kind recorded (empty when nothing changed)."""
        if actor.role is not Role.IT_ADMIN:
            raise Forbidden("district IT imports the roster", field="actor")
        roster = roster_import.parse(files)  # RosterRejected before anything is loaded

        def attempt() -> dict[str, int]:
            plan = roster_import.plan(roster, self._get_or_none, effective_on)
            if plan.aggregates:
                counts = plan.counts()
                self.save(*plan.aggregates)
                return counts
            return {}

        return self._retrying(attempt)

    @property
    def roster_index(self) -> RosterIndex:
        # One per process, shared by its workers, kept up to date from the store.
        if not hasattr(self, "_roster_index"):
            self._roster_index = RosterIndex(self)
        return self._roster_index

    def roles_on(self, person_id: UUID, day: date) -> list[Role]:
        return self.roster_index.roles_on(person_id, day)

    def appoint_it_admin(self, person_id: UUID, effective_on: date) -> bool:
        """District IT's first administrator (``python -m services.agreements.appoint``):
        someone must hold the role before anyone can import the roster. False when they
        hold it already."""

        def attempt() -> bool:
            district = self._get_or_none(District, District.create_id()) or District()
            if district.it_admin_on(person_id, effective_on):
                return False
            district.appoint_it_admin(person_id, effective_on)
            self.save(district)
            return True

        return self._retrying(attempt)

    def school_roster(self, actor: Actor, school_id: UUID, on: date) -> School:
        school = self._get(School, school_id, "school_id")
        allowed = (actor.role in (Role.IT_ADMIN, Role.DISTRICT_LEADER)
                   or (actor.role is Role.PRINCIPAL and actor.id == school.principal_on(on))
                   or (actor.role is Role.COACH and school.coach_assigned_on(actor.id, on)))
        if not allowed:
            raise Forbidden("this school's roster is for its principal, its coaches and the "
                            "district", field="school_id")
        return school

    # Coaching agreements ----------------------------------------------------------------------

    def draft_coaching_agreement(self, actor: Actor, school_id: UUID, school_year: int,
                                 terms: Terms, today: date) -> CoachingAgreement:
        def attempt() -> CoachingAgreement:
            school = self._get(School, school_id, "school_id")
            agreement_id = coaching_agreement_id(actor.id, school_id, school_year)
            if self._get_or_none(CoachingAgreement, agreement_id) is not None:
                raise Conflict("there is an agreement for this school year already: revise it",
                               field="school_year")
            agreement = CoachingAgreement.draft(actor, school, school_year, terms, today)
            self.save(agreement)
            return agreement

        return self._retrying(attempt)

    def revise_coaching_agreement(self, actor: Actor, agreement_id: UUID, terms: Terms,
                                  today: date) -> CoachingAgreement:
        return self._change_agreement(
            agreement_id, lambda a, school: a.revise(actor, school, terms, today))

    def sign_coaching_agreement(self, actor: Actor, agreement_id: UUID, version: int,
                                today: date) -> CoachingAgreement:
        return self._change_agreement(
            agreement_id, lambda a, school: a.sign(actor, school, version, today))

    def record_check_in(self, actor: Actor, agreement_id: UUID, held_on: date, notes: str,
                        focus_areas: list[dict[str, str]] | None, today: date,
                        attended_by: list[str] | None = None) -> CoachingAgreement:
        return self._change_agreement(
            agreement_id,
            lambda a, school: a.record_check_in(actor, school, held_on, notes, focus_areas,
                                                today, attended_by))

    def coaching_agreement(self, actor: Actor, agreement_id: UUID,
                           today: date) -> CoachingAgreement:
        agreement = self._get(CoachingAgreement, agreement_id, "agreement_id")
        agreement.party_of(actor, self._get(School, agreement.school_id, "school_id"), today)
        return agreement

    def _change_agreement(self, agreement_id: UUID,
                          change: Callable[[CoachingAgreement, School], Any]
                          ) -> CoachingAgreement:
        def attempt() -> CoachingAgreement:
            agreement = self._get(CoachingAgreement, agreement_id, "agreement_id")
            change(agreement, self._get(School, agreement.school_id, "school_id"))
            if agreement.pending_events:
                self.save(agreement)
            return agreement

        return self._retrying(attempt)

    # Partnership agreements ------------------------------------------------------------------

    def draft_partnership_agreement(self, actor: Actor, teacher_id: UUID, norms: Norms,
                                    today: date) -> PartnershipAgreement:
        # A coach and a teacher of one school, on the roster today.
        shared = [school for school in self.roster_index.teacher_schools_on(teacher_id, today)
                  if self._get(School, school, "teacher_id").coach_assigned_on(actor.id, today)]
        agreement = PartnershipAgreement.draft(actor, teacher_id, norms, bool(shared))
        self.save(agreement)
        return agreement

    def agree_partnership_agreement(self, actor: Actor, agreement_id: UUID,
                                    today: date) -> PartnershipAgreement:
        def attempt() -> PartnershipAgreement:
            agreement = self._get(PartnershipAgreement, agreement_id, "agreement_id")
            if agreement.agree(actor, today):
                self.save(agreement)
            return agreement

        return self._retrying(attempt)

    def partnership_agreement(self, actor: Actor, agreement_id: UUID) -> PartnershipAgreement:
        agreement = self._get(PartnershipAgreement, agreement_id, "agreement_id")
        agreement.require_party(actor)
        return agreement

    # Forgetting ------------------------------------------------------------------------

    def forget_person(self, actor: Actor, person_id: UUID, today: date) -> int:
        """District IT erases a person; the number of keys destroyed here."""
        if actor.role is not Role.IT_ADMIN:
            raise Forbidden("district IT forgets a person", field="actor")
        self._get(Person, person_id, "person_id")
        return self.forget(person_id, today)

    def forget(self, person_id: UUID, today: date) -> int:
        """Destroy the person's key (their names, their check-in notes as a coach, the norms
        of their partnerships as a teacher), then record ``Forgotten``, which tells the other
        services. Keys first: a crash between the two leaves them erased, and sending the
        command again records the event. Again for someone forgotten: nothing changes."""
        destroyed = self.erase(person_id)

        def attempt() -> None:
            person = self._get_or_none(Person, person_id)
            if person is not None and person.forgotten_on is None:
                person.forget(forgotten_on=today)
                self.save(person)

        self._retrying(attempt)
        return destroyed

    # Helpers -------------------------------------------------------------------------------

    def _get_or_none(self, kind: type[A], aggregate_id: UUID) -> A | None:
        try:
            found: Aggregate = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None
        return found if isinstance(found, kind) else None

    def _get(self, kind: type[A], aggregate_id: UUID, field: str) -> A:
        found = self._get_or_none(kind, aggregate_id)
        if found is None:
            what = kind.__name__.lower().replace("coachingagreement", "coaching agreement")
            raise NotFound(f"there is no {what} {aggregate_id}", field=field)
        return found

    def _retrying(self, attempt: Callable[[], T]) -> T:
        return self.retrying(attempt, Conflict(
            "the same agreement or roster was changed at the same moment; try again"))
