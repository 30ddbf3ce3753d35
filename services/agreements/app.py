"""The agreements service layer: load, decide, save; retried when another worker saved
the same aggregate first (optimistic concurrency), Conflict after a few lost races."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.domain import Aggregate
from eventsourcing.persistence import JSONTranscoder, Transcoding

from coachops import settings
from coachops.errors import Conflict, Forbidden
from coachops.identity import Actor, Role
from coachops.unit_of_work import Answer, Once, UnitOfWork
from services.agreements import domain, history, roster
from services.agreements.domain import (
    CoachingAgreement,
    FocusArea,
    Norms,
    PartnershipAgreement,
    Terms,
    coaching_agreement_id,
    synced_partnership_id,
)
from services.agreements.roster import Person, School
from services.agreements.roster_app import RosterApplication, stored

Agreement = TypeVar("Agreement", CoachingAgreement, PartnershipAgreement)


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


class Agreements(RosterApplication):
    personal_data = {**roster.PERSONAL_DATA, **domain.PERSONAL_DATA}

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(TermsAsDict())
        transcoder.register(NormsAsDict())

    # Coaching agreements ----------------------------------------------------------------------

    # A command of an agreement takes ``once`` (an app's client id: applied once, the
    # agreement remembering it with the command's event) and ``unit`` (an offline batch's,
    # or None for a unit of its own), and answers the agreement, and whether it was sent
    # again (a duplicate answers the agreement as the first sending left it).

    def draft_coaching_agreement(self, actor: Actor, school_id: UUID, school_year: int,
                                 terms: Terms, today: date, once: Once | None = None,
                                 unit: UnitOfWork | None = None) -> Answer[CoachingAgreement]:
        def decide(unit: UnitOfWork) -> Answer[CoachingAgreement]:
            school = stored(unit, School, school_id, "school_id")
            agreement_id = coaching_agreement_id(actor.id, school_id, school_year)
            found = unit.find(agreement_id, CoachingAgreement)
            if found is not None:
                again = _sent_again(unit, found, actor, once, "drafted")
                if again is not None:
                    return again
                raise Conflict("there is an agreement for this school year already: revise it",
                               field="school_year")
            agreement = CoachingAgreement.draft(actor, school, school_year, terms, today,
                                                client_id=_client_id(once))
            unit.add(agreement)  # the draft and its client id: one commit
            return Answer(agreement)

        return self._within(decide, unit)

    def revise_coaching_agreement(self, actor: Actor, agreement_id: UUID, terms: Terms,
                                  today: date, once: Once | None = None,
                                  unit: UnitOfWork | None = None
                                  ) -> Answer[CoachingAgreement]:
        return self._change_agreement(
            agreement_id, "revised", actor, once, unit,
            lambda a, school, sent: a.revise(actor, school, terms, today, sent))

    def sign_coaching_agreement(self, actor: Actor, agreement_id: UUID, version: int,
                                today: date, signed_on: date | None = None,
                                once: Once | None = None, unit: UnitOfWork | None = None
                                ) -> Answer[CoachingAgreement]:
        """Sign today, or enter today a signature made on paper on ``signed_on``."""
        return self._change_agreement(
            agreement_id, "signed", actor, once, unit,
            lambda a, school, sent: a.sign(actor, school, version, today, signed_on,
                                           school_year_starts(a.school_year), sent))

    def record_check_in(self, actor: Actor, agreement_id: UUID, held_on: date, notes: str,
                        focus_areas: list[dict[str, str]] | None, today: date,
                        attended_by: list[str] | None = None, once: Once | None = None,
                        unit: UnitOfWork | None = None) -> Answer[CoachingAgreement]:
        return self._change_agreement(
            agreement_id, "checked_in", actor, once, unit,
            lambda a, school, sent: a.record_check_in(actor, school, held_on, notes,
                                                      focus_areas, today, attended_by, sent))

    def import_history(self, actor: Actor, text: str, today: date,
                       dry_run: bool) -> history.Plan:
        """District IT's file of the agreements signed on paper before coachops: all or
        nothing, every line checked first; a dry run decides the same in a unit of work
        never committed."""
        def decide(unit: UnitOfWork) -> history.Plan:
            found = history.plan(actor, text, lambda s: unit.find(s, School),
                                 lambda a: unit.find(a, CoachingAgreement), today,
                                 school_year_starts)
            unit.add(*found.agreements)
            return found

        if dry_run:
            return decide(self.work())
        return self._within(decide)

    def coaching_agreement(self, actor: Actor, agreement_id: UUID,
                           today: date) -> CoachingAgreement:
        def read(unit: UnitOfWork) -> CoachingAgreement:
            agreement = stored(unit, CoachingAgreement, agreement_id, "agreement_id")
            agreement.party_of(actor, stored(unit, School, agreement.school_id, "school_id"),
                               today)
            return agreement

        return self._within(read)

    def _change_agreement(self, agreement_id: UUID, what: str, actor: Actor,
                          once: Once | None, unit: UnitOfWork | None,
                          change: Callable[[CoachingAgreement, School, UUID | None], Any]
                          ) -> Answer[CoachingAgreement]:
        """``what``: the name the agreement remembers the command's client id under."""
        def decide(unit: UnitOfWork) -> Answer[CoachingAgreement]:
            agreement = stored(unit, CoachingAgreement, agreement_id, "agreement_id")
            again = _sent_again(unit, agreement, actor, once, what)
            if again is not None:
                return again
            change(agreement, stored(unit, School, agreement.school_id, "school_id"),
                   _client_id(once))
            if agreement.pending_events:
                unit.add(agreement)  # the change and its client id: one commit
            return Answer(agreement)

        return self._within(decide, unit)

    # Partnership agreements ------------------------------------------------------------------

    def draft_partnership_agreement(self, actor: Actor, teacher_id: UUID, norms: Norms,
                                    today: date, agreement_id: UUID | None = None,
                                    once: Once | None = None, unit: UnitOfWork | None = None
                                    ) -> Answer[PartnershipAgreement]:
        """``agreement_id``: the app's own, to name the agreement in the cycle's norms
        before it is sent; from an app without one, the id its client id makes."""
        if agreement_id is None and once is not None:
            agreement_id = synced_partnership_id(actor.id, once.client_id)

        def decide(unit: UnitOfWork) -> Answer[PartnershipAgreement]:
            if agreement_id is not None and unit.find(agreement_id, Aggregate) is not None:
                found = unit.find(agreement_id, PartnershipAgreement)
                again = (None if found is None
                         else _sent_again(unit, found, actor, once, "drafted"))
                if again is not None:
                    return again
                raise Conflict(f"the id {agreement_id} names another record already: give "
                               "the agreement an id of its own", field="agreement_id")
            # A coach and a teacher of one school, on the roster today.
            schools = self.roster_index.teacher_schools_on(teacher_id, today)
            shared = [school for school in schools
                      if stored(unit, School, school, "teacher_id").coach_assigned_on(actor.id,
                                                                                   today)]
            agreement = PartnershipAgreement.draft(actor, teacher_id, norms, bool(shared),
                                                   agreement_id, _client_id(once))
            unit.add(agreement)  # the draft and its client id: one commit
            return Answer(agreement)

        return self._within(decide, unit)

    def agree_partnership_agreement(self, actor: Actor, agreement_id: UUID, today: date,
                                    once: Once | None = None, unit: UnitOfWork | None = None
                                    ) -> Answer[PartnershipAgreement]:
        def decide(unit: UnitOfWork) -> Answer[PartnershipAgreement]:
            agreement = stored(unit, PartnershipAgreement, agreement_id, "agreement_id")
            again = _sent_again(unit, agreement, actor, once, "agreed")
            if again is not None:
                return again
            if agreement.agree(actor, today, _client_id(once)):
                unit.add(agreement)  # the agreeing and its client id: one commit
            return Answer(agreement)

        return self._within(decide, unit)

    def partnership_agreement(self, actor: Actor, agreement_id: UUID) -> PartnershipAgreement:
        agreement = self._within(
            lambda unit: stored(unit, PartnershipAgreement, agreement_id, "agreement_id"))
        agreement.require_party(actor)
        return agreement

    # Forgetting ------------------------------------------------------------------------

    def forget_person(self, actor: Actor, person_id: UUID, today: date) -> int:
        """District IT erases a person; the number of keys destroyed here."""
        if actor.role is not Role.IT_ADMIN:
            raise Forbidden("district IT forgets a person", field="actor")
        self._within(lambda unit: stored(unit, Person, person_id, "person_id"))
        return self.forget(person_id, today)

    def forget(self, person_id: UUID, today: date) -> int:
        """Destroy the person's key (their names, their check-in notes as a coach, the norms
        of their partnerships as a teacher), then record ``Forgotten``, which tells the other
        services. Keys first: a crash between the two leaves them erased, and sending the
        command again records the event. Again for someone forgotten: nothing changes."""
        destroyed = self.erase(person_id)

        def decide(unit: UnitOfWork) -> None:
            person = unit.find(person_id, Person)
            if person is not None and person.forgotten_on is None:
                person.forget(forgotten_on=today)
                unit.add(person)

        self._within(decide)
        return destroyed



def school_year_starts(school_year: int) -> date:
    """The first day of a school year, as the district sets it (``SCHOOL_YEAR_START``)."""
    month, day = settings.current().school_year_start
    return date(school_year, month, day)


def _client_id(once: Once | None) -> UUID | None:
    return None if once is None else once.client_id


def _sent_again(unit: UnitOfWork, agreement: Agreement, actor: Actor, once: Once | None,
                what: str) -> Answer[Agreement] | None:
    """A command this agreement applied already, sent again: the agreement as that first
    sending left it, a duplicate (None: not sent before)."""
    applied = None if once is None else agreement.applied_before(actor, once.client_id, what)
    if applied is None:
        return None
    past: Agreement = unit.as_of(agreement.id, applied.version)
    return Answer(past, duplicate=True)
