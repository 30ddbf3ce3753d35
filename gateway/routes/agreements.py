"""The agreements service's routes whose bodies are special: the roster import (district
IT's files) and forgetting a person (which also revokes their tokens). The others are made
from the route table (``coachops/routes.py``, ``gateway/routes/table.py``)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from werkzeug import Request
from werkzeug.exceptions import BadRequest, UnsupportedMediaType

from coachops.commands.agreements import (
    ForgetPerson,
    ImportRoster,
)
from coachops.json import Json
from coachops.store import PostgresDatabase
from gateway.auth import actor_of
from gateway.http import Backend, http
from gateway.revocations import revoke_person
from gateway.routes import validated

ROSTER_FILES = ("orgs", "users", "regions", "assignments")
MAX_ROSTER_BYTES = 64 << 20  # a big district's users.csv is tens of megabytes


def roster_upload(request: Request) -> Any:
    """``multipart/form-data`` with the files as ``orgs``, ``users``, ``regions`` and
    ``assignments`` (``orgs.csv`` etc. also accepted) and ``effective_on`` and ``dry_run``
    as fields, or JSON ``{"orgs": "<text>", ..., "effective_on": "2026-08-01"}``; either
    way ``dry_run`` may be a query parameter instead."""
    body = _roster_body(request)
    if "dry_run" in request.args and isinstance(body, dict):
        body["dry_run"] = request.args["dry_run"]
    return body


def _roster_body(request: Request) -> Any:
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
        for name in ("effective_on", "dry_run"):
            if request.form.get(name):
                body[name] = request.form[name]
        return body
    if request.mimetype == "application/json":
        return request.get_json()
    raise UnsupportedMediaType("send the files as multipart/form-data, or JSON with their texts")


class AgreementRoutes:
    revocations: PostgresDatabase  # the gateway's own database (``GatewayService``)
    agreements: Backend  # the RPC proxies the route table gives ``GatewayService``
    agreements_long: Backend

    @http("POST", "/roster/import")
    def import_roster(self, request: Request) -> tuple[int, Json]:
        """A dry run answers what the import would change (200); an import is queued to
        run in the background (202, its id: ``GET /roster/imports/<import_id>``)."""
        actor = actor_of(request)
        command = validated(ImportRoster, roster_upload(request))
        answer: Json = self.agreements_long.import_roster(actor.to_dict(), command)
        return (200 if command["dry_run"] else 202), answer

    @http("POST", "/people/<person_id>/forget")
    def forget_person(self, request: Request, person_id: str) -> Json:
        actor = actor_of(request)
        command = validated(ForgetPerson, {"person_id": person_id})
        answer: Json = self.agreements.forget_person(actor.to_dict(), command)
        # Nobody acts as a forgotten person: every token issued to them so far stops.
        revoke_person(self.revocations, command["person_id"], datetime.now(UTC))
        answer["tokens_revoked"] = True
        return answer
