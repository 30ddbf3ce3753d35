"""The agreements nameko service: the roster import, coaching and partnership agreements
over RPC; roster and agreement events out (via the relay)."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from coachops import clock
from coachops.commands import load
from coachops.commands.agreements import (
    AgreementQuery,
    AgreePartnershipAgreement,
    DraftCoachingAgreement,
    DraftPartnershipAgreement,
    ForgetPerson,
    ImportRoster,
    RecordCheckIn,
    ReviseCoachingAgreement,
    SchoolRosterQuery,
    SignCoachingAgreement,
)
from coachops.dependencies import PublishedEvents, Readiness, Store
from coachops.identity import Actor
from coachops.json import Json
from coachops.metrics import MetricsServer
from coachops.rpc import rpc
from services.agreements import views
from services.agreements.app import Agreements
from services.agreements.domain import Norms, Terms
from services.agreements.integration import to_integration

TERMS = ("focus_areas", "coach_role", "not_coach_role", "check_in_every_weeks")


def _terms(data: Json) -> Terms:
    return Terms.of(**{k: data[k] for k in TERMS})


class AgreementsService:
    name = "agreements"

    agreements = Store(Agreements, publish=to_integration)
    metrics = MetricsServer()

    ready = Readiness()
    published = PublishedEvents("agreements")

    @rpc
    def ping(self) -> str:
        return "pong" if self.ready() else "starting"

    @rpc
    def published_events(self, start: int, limit: int = 100) -> list[Json]:
        """What this service published from position ``start`` on (a consumer's gap)."""
        return self.published.events(int(start), min(int(limit), 1000))

    @rpc
    def last_published_position(self) -> int:
        """Where this service's published events end, for a consumer that may have missed
        the last ones, or that reads them all."""
        return self.published.last_published()

    # The roster ---------------------------------------------------------------------------

    @rpc
    def import_roster(self, actor: Json, command: Json) -> Json:
        data = load(ImportRoster, command)
        recorded = self.agreements.import_roster(
            actor=Actor.from_dict(actor),
            files={name: data[name] for name in ("orgs", "users", "regions", "assignments")},
            effective_on=data["effective_on"] or clock.today(),
        )
        return {"recorded": sum(recorded.values()), "events": recorded}

    @rpc
    def roles_on(self, person_id: str, day: str | None = None) -> list[str]:
        """The roles the roster gives a person on a day (today by default), for the
        gateway's check of every token and for sign-in; none for someone forgotten."""
        on = date.fromisoformat(day) if day else clock.today()
        return [r.value for r in self.agreements.roles_on(UUID(person_id), on)]

    @rpc
    def appoint_it_admin(self, person_id: str, effective_on: str | None = None) -> bool:
        """District IT's first administrator; see ``services.agreements.appoint``."""
        on = date.fromisoformat(effective_on) if effective_on else clock.today()
        return self.agreements.appoint_it_admin(UUID(person_id), on)

    @rpc
    def school_roster(self, actor: Json, query: Json) -> Json:
        data = load(SchoolRosterQuery, query)
        on = data["on"] or clock.today()
        school = self.agreements.school_roster(Actor.from_dict(actor), data["school_id"], on)
        return views.school(school, on)

    # Forgetting a person (coachops.privacy) ----------------------------------------------

    @rpc
    def forget_person(self, actor: Json, command: Json) -> Json:
        data = load(ForgetPerson, command)
        destroyed = self.agreements.forget_person(Actor.from_dict(actor), data["person_id"],
                                                  clock.today())
        return {"person_id": str(data["person_id"]), "forgotten": True,
                "keys_destroyed_here": destroyed}

    @rpc
    def erase_person(self, person_id: str) -> int:
        """For ``coachops.privacy.reapply``, after a restore: the same erasure, no actor."""
        return self.agreements.forget(UUID(person_id), clock.today())

    @rpc
    def erased_people(self) -> list[str]:
        return [str(p) for p in self.agreements.erased_people()]

    # Coaching agreements ------------------------------------------------------------------

    @rpc
    def draft_coaching_agreement(self, actor: Json, command: Json) -> Json:
        data = load(DraftCoachingAgreement, command)
        return views.coaching_agreement(self.agreements.draft_coaching_agreement(
            Actor.from_dict(actor), data["school_id"], data["school_year"], _terms(data),
            clock.today()))

    @rpc
    def revise_coaching_agreement(self, actor: Json, command: Json) -> Json:
        data = load(ReviseCoachingAgreement, command)
        return views.coaching_agreement(self.agreements.revise_coaching_agreement(
            Actor.from_dict(actor), data["agreement_id"], _terms(data), clock.today()))

    @rpc
    def sign_coaching_agreement(self, actor: Json, command: Json) -> Json:
        data = load(SignCoachingAgreement, command)
        return views.coaching_agreement(self.agreements.sign_coaching_agreement(
            Actor.from_dict(actor), data["agreement_id"], data["version"], clock.today()))

    @rpc
    def record_check_in(self, actor: Json, command: Json) -> Json:
        data = load(RecordCheckIn, command)
        return views.coaching_agreement(self.agreements.record_check_in(
            Actor.from_dict(actor), data["agreement_id"], data["held_on"], data["notes"],
            data["focus_areas"], clock.today(), data["attended_by"]))

    @rpc
    def coaching_agreement(self, actor: Json, query: Json) -> Json:
        data = load(AgreementQuery, query)
        return views.coaching_agreement(self.agreements.coaching_agreement(
            Actor.from_dict(actor), data["agreement_id"], clock.today()))

    # Partnership agreements ---------------------------------------------------------------

    @rpc
    def draft_partnership_agreement(self, actor: Json, command: Json) -> Json:
        data = load(DraftPartnershipAgreement, command)
        norms = Norms.of(**{k: v for k, v in data.items() if k != "teacher_id"})
        return views.partnership_agreement(self.agreements.draft_partnership_agreement(
            Actor.from_dict(actor), data["teacher_id"], norms, clock.today()))

    @rpc
    def agree_partnership_agreement(self, actor: Json, command: Json) -> Json:
        data = load(AgreePartnershipAgreement, command)
        return views.partnership_agreement(self.agreements.agree_partnership_agreement(
            Actor.from_dict(actor), data["agreement_id"], clock.today()))

    @rpc
    def partnership_agreement(self, actor: Json, query: Json) -> Json:
        data = load(AgreementQuery, query)
        return views.partnership_agreement(self.agreements.partnership_agreement(
            Actor.from_dict(actor), data["agreement_id"]))
