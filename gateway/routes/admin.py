"""District IT's console (``/admin/``: static files from ``gateway/admin/``, served like the
dashboard's by ``gateway.static``, holding no data) and the routes the gateway answers
itself for it: integration tokens (its own database, ``gateway.integration_tokens``) and
the messages the services parked (``coachops.bus.dead_letters``)."""

from __future__ import annotations

from typing import Any

import eventlet
from nameko.dependency_providers import Config
from werkzeug import Request
from werkzeug.exceptions import ServiceUnavailable

from coachops.bus import dead_letters
from coachops.commands.gateway import (
    IntegrationTokensQuery,
    IssueIntegrationToken,
    RevokeIntegrationToken,
)
from coachops.identity import Role
from coachops.json import Json
from coachops.store import PostgresDatabase
from gateway import integration_tokens
from gateway.auth import actor_of
from gateway.http import Backend, http, json_body
from gateway.revocations import revoke_token
from gateway.routes import validated
from gateway.static import GATEWAY, Folder, serving

PARKED_SHOWN = 100
PARKED_SECONDS = 5.0
CONSOLE = Folder.of(GATEWAY / "admin", "the console", shared=True)
ConsoleFiles: Any = serving(CONSOLE, __name__, page=("admin_console", "/admin/"),
                       files=("admin_file", "/admin/<path:name>"),
                       bare=("admin_without_slash", "/admin"))


class AdminRoutes(ConsoleFiles):
    revocations: PostgresDatabase  # the gateway's own database (``GatewayService``)
    agreements: Backend  # the RPC proxy the route table gives ``GatewayService``
    config = Config()  # the broker's address, for the parked messages

    @http("GET", "/integration-tokens")
    def integration_tokens(self, request: Request) -> Json:
        actor_of(request)
        query = validated(IntegrationTokensQuery, request.args.to_dict())
        return {"tokens": integration_tokens.listing(self.revocations, query["person_id"])}

    @http("POST", "/integration-tokens")
    def issue_integration_token(self, request: Request) -> tuple[int, Json]:
        actor = actor_of(request)
        command = validated(IssueIntegrationToken, json_body(request))
        person = integration_tokens.Person.found(
            self.agreements.identify_person(command["person"]), command["person"])
        issued = integration_tokens.issue_for(
            self.revocations, person, command["scopes"], command["label"], command["days"],
            Role(command["role"]) if command["role"] else None, issued_by=actor.id)
        return 201, issued

    @http("POST", "/integration-tokens/<token_id>/revoke")
    def revoke_integration_token(self, request: Request, token_id: str) -> Json:
        actor_of(request)
        command = validated(RevokeIntegrationToken, {"token_id": token_id})
        integration_tokens.found(self.revocations, command["token_id"])  # 404 if unknown
        revoke_token(self.revocations, command["token_id"])
        return integration_tokens.found(self.revocations, command["token_id"])

    @http("GET", "/dead-letters")
    def dead_letters(self, request: Request) -> Json:
        actor_of(request)
        amqp_uri = str(self.config["AMQP_URI"])
        try:
            with eventlet.Timeout(PARKED_SECONDS):
                count, shown = dead_letters.peek(amqp_uri, PARKED_SHOWN)
        except (Exception, eventlet.Timeout):
            raise ServiceUnavailable("the broker did not answer about the parked messages; "
                                     "try again shortly") from None
        return {"count": count, "messages": shown}
