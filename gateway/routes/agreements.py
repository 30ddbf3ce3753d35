"""Agreements routes: the roster import (district IT), the school roster as of a date,
coaching agreements (coach and principal) and partnership agreements (coach and teacher)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from werkzeug import Request
from werkzeug.exceptions import BadRequest, UnsupportedMediaType

# Importing the commands also teaches this process RosterRejected, so a refused import
# arrives from the service with its list of problems intact.
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
from coachops.store import Datastore
from gateway.auth import actor_of
from gateway.http import Backend, http, json_body
from gateway.revocations import revoke_person
from gateway.routes import validated, with_path

Json = dict[str, Any]
ROSTER_FILES = ("orgs", "users", "regions", "assignments")
MAX_ROSTER_BYTES = 64 << 20  # a big district's users.csv is tens of megabytes


def roster_upload(request: Request) -> Any:
    """``multipart/form-data`` with the files as ``orgs``, ``users``, ``regions`` and
    ``assignments`` (``orgs.csv`` etc. also accepted) and ``effective_on`` as a field, or
    JSON ``{"orgs": "<text>", ..., "effective_on": "2026-08-01"}``."""
    request.max_content_length = MAX_ROSTER_BYTES
    if request.mimetype == "multipart/form-data":
        body: Json = {}
        for name in ROSTER_FILES:
            upload = request.files.get(name) or request.files.get(f"{name}.csv")
            if upload is not None:
                try:
                    body[name] = upload.read().decode("utf-8-sig")
                except UnicodeDecodeError:
                    raise BadRequest(f"{name}.csv is not UTF-8 text") from None
        if request.form.get("effective_on"):
            body["effective_on"] = request.form["effective_on"]
        return body
    if request.mimetype == "application/json":
        return request.get_json()
    raise UnsupportedMediaType("send the files as multipart/form-data, or JSON with their texts")


class AgreementRoutes:
    revocations: Datastore  # the gateway's own database (``GatewayService``)
    agreements = Backend("agreements")
    roster_imports = Backend("agreements", long=True)

    # The roster -----------------------------------------------------------------------------

    @http("POST", "/roster/import")
    def import_roster(self, request: Request) -> Json:
        actor = actor_of(request)
        command = validated(ImportRoster, roster_upload(request))
        return self.roster_imports.import_roster(actor.to_dict(), command)

    @http("GET", "/schools/<school_id>/roster")
    def school_roster(self, request: Request, school_id: str) -> Json:
        actor = actor_of(request)
        query = validated(SchoolRosterQuery, {**request.args, "school_id": school_id})
        return self.agreements.school_roster(actor.to_dict(), query)

    @http("POST", "/people/<person_id>/forget")
    def forget_person(self, request: Request, person_id: str) -> Json:
        actor = actor_of(request)
        command = validated(ForgetPerson, {"person_id": person_id})
        answer: Json = self.agreements.forget_person(actor.to_dict(), command)
        # Nobody acts as a forgotten person: every token issued to them so far stops.
        revoke_person(self.revocations, command["person_id"], datetime.now(UTC))
        answer["tokens_revoked"] = True
        return answer

    # Coaching agreements ------------------------------------------------------------------

    @http("POST", "/coaching-agreements")
    def draft_coaching_agreement(self, request: Request) -> tuple[int, Json]:
        actor = actor_of(request)
        command = validated(DraftCoachingAgreement, json_body(request))
        return 201, self.agreements.draft_coaching_agreement(actor.to_dict(), command)

    @http("POST", "/coaching-agreements/<agreement_id>/revisions")
    def revise_coaching_agreement(self, request: Request, agreement_id: str) -> tuple[int, Json]:
        actor = actor_of(request)
        command = validated(ReviseCoachingAgreement,
                            with_path(json_body(request), agreement_id=agreement_id))
        return 201, self.agreements.revise_coaching_agreement(actor.to_dict(), command)

    @http("POST", "/coaching-agreements/<agreement_id>/sign")
    def sign_coaching_agreement(self, request: Request, agreement_id: str) -> Json:
        actor = actor_of(request)
        command = validated(SignCoachingAgreement,
                            with_path(json_body(request), agreement_id=agreement_id))
        return self.agreements.sign_coaching_agreement(actor.to_dict(), command)

    @http("POST", "/coaching-agreements/<agreement_id>/check-ins")
    def record_check_in(self, request: Request, agreement_id: str) -> tuple[int, Json]:
        actor = actor_of(request)
        command = validated(RecordCheckIn,
                            with_path(json_body(request), agreement_id=agreement_id))
        return 201, self.agreements.record_check_in(actor.to_dict(), command)

    @http("GET", "/coaching-agreements/<agreement_id>")
    def coaching_agreement(self, request: Request, agreement_id: str) -> Json:
        actor = actor_of(request)
        query = validated(AgreementQuery, {"agreement_id": agreement_id})
        return self.agreements.coaching_agreement(actor.to_dict(), query)

    # Partnership agreements ---------------------------------------------------------------

    @http("POST", "/partnership-agreements")
    def draft_partnership_agreement(self, request: Request) -> tuple[int, Json]:
        actor = actor_of(request)
        command = validated(DraftPartnershipAgreement, json_body(request))
        return 201, self.agreements.draft_partnership_agreement(actor.to_dict(), command)

    @http("POST", "/partnership-agreements/<agreement_id>/agree")
    def agree_partnership_agreement(self, request: Request, agreement_id: str) -> Json:
        actor = actor_of(request)
        command = validated(AgreePartnershipAgreement, {"agreement_id": agreement_id})
        return self.agreements.agree_partnership_agreement(actor.to_dict(), command)

    @http("GET", "/partnership-agreements/<agreement_id>")
    def partnership_agreement(self, request: Request, agreement_id: str) -> Json:
        actor = actor_of(request)
        query = validated(AgreementQuery, {"agreement_id": agreement_id})
        return self.agreements.partnership_agreement(actor.to_dict(), query)
