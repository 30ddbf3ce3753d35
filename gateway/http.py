"""A JSON HTTP entrypoint: every answer is JSON, every error a clear 4xx (or a bare 5xx).

Before a route runs, the caller is checked here, in one place: the bearer token (401) and
the route's row of the authorisation matrix, ``gateway.policy`` (403, logged). Bad input
never reaches a service unchecked and never comes back as a stack trace; a service that
does not answer is a 503 with Retry-After.
"""

from __future__ import annotations

import json
import logging
import time
from functools import partial
from typing import Any

import eventlet
from amqp.exceptions import ConnectionError as AmqpConnectionError
from eventlet.event import Event
from kombu.exceptions import OperationalError
from marshmallow import ValidationError
from nameko.exceptions import RemoteError, RpcTimeout, UnknownService
from nameko.rpc import RpcProxy
from nameko.web.handlers import HttpRequestHandler
from nameko.web.server import WebServer, WsgiApp
from werkzeug import Request, Response
from werkzeug.exceptions import HTTPException, ServiceUnavailable, Unauthorized

from coachops import metrics
from coachops.bus.tolerant import TolerantReplyListener
from coachops.commands import field_errors
from coachops.errors import CoachopsError
from gateway import policy, revocations
from gateway.auth import ACTOR_KEY, Token, bearer_token, verify
from gateway.ratelimit import RateLimiter

log = logging.getLogger(__name__)
LIMITER = RateLimiter.from_environment()  # one per gateway process

MAX_BODY_BYTES = 1 << 20
# How long the gateway waits for a service's answer (GATEWAY_ANSWER_SECONDS), and the
# routes that may take longer: a district's roster, a CSV of time, an offline batch.
ANSWER_SECONDS = 30.0
LONG_ANSWER_SECONDS = 600.0
LONG_ROUTES = {("POST", "/roster/import"), ("POST", "/coaches/<coach_id>/time-entries/import"),
               ("POST", "/sync")}


class Backend(RpcProxy):
    """An RPC proxy to a service whose requests expire in RabbitMQ when the gateway stops
    waiting for their answer: a request the app was told to retry (503) is not carried out
    later, when the service is back, behind its back. ``long`` for the routes of
    ``LONG_ROUTES``."""

    rpc_reply_listener = TolerantReplyListener()

    def __init__(self, target_service: str, long: bool = False) -> None:
        super().__init__(target_service)
        self.long = long

    def setup(self) -> None:
        super().setup()
        config = self.container.config
        self.options["expiration"] = (
            LONG_ANSWER_SECONDS if self.long
            else float(config.get("GATEWAY_ANSWER_SECONDS", ANSWER_SECONDS)))


def answer_seconds(config: dict[str, Any], method: str, rule: str) -> float:
    if (method, rule) in LONG_ROUTES:
        return LONG_ANSWER_SECONDS
    return float(config.get("GATEWAY_ANSWER_SECONDS", ANSWER_SECONDS))


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(
        json.dumps(body, default=str), status=status, headers=headers,
        mimetype="application/json",
    )


def json_body(request: Request) -> Any:
    """The request's JSON body; 413, 415 or 400 (as werkzeug exceptions) otherwise."""
    request.max_content_length = MAX_BODY_BYTES
    return request.get_json()  # raises UnsupportedMediaType / BadRequest / RequestEntityTooLarge


def optional_json_body(request: Request) -> Any:
    """A command that needs nothing but its URL (accept, confirm, reopen...) may come
    without a body; a body that is sent is checked like any other."""
    if not request.content_length and "Transfer-Encoding" not in request.headers:
        return {}
    return json_body(request)


class JsonWsgiApp(WsgiApp):
    """A URL no route has (404) or a method its route does not take (405) answered in
    JSON like every other error, not as werkzeug's HTML page."""

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        try:
            self.url_map.bind_to_environ(environ).match()
        except HTTPException as exc:
            if (exc.code or 500) >= 400:  # a redirect (a missing slash) stays as it is
                headers = dict(exc.get_headers())
                headers.pop("Content-Type", None)
                body = {"error": exc.name, "message": exc.description}
                return json_response(exc.code or 404, body, headers)(environ, start_response)
        return super().__call__(environ, start_response)


class JsonWebServer(WebServer):
    def get_wsgi_app(self) -> JsonWsgiApp:
        return JsonWsgiApp(self)


class JsonHttp(HttpRequestHandler):
    server = JsonWebServer()

    def __init__(self, method: str, url: str, **kwargs: Any) -> None:
        # A person's mistake is logged by nameko as a warning, not as a failed worker.
        kwargs.setdefault("expected_exceptions", (CoachopsError, HTTPException, ValidationError))
        super().__init__(method, url, **kwargs)

    def setup(self) -> None:
        # Fail closed: a route nobody has decided about does not start.
        policy.require_listed(self.method, self.url)
        found = [d for d in self.container.dependencies
                 if isinstance(d, revocations.RevocationList)]
        if len(found) != 1:
            raise RuntimeError("the gateway needs one RevocationList to check tokens against")
        self.revocations = found[0]
        from gateway.roster_roles import RosterRoles  # it builds on this module's Backend
        roles = [d for d in self.container.dependencies if isinstance(d, RosterRoles)]
        if len(roles) != 1:
            raise RuntimeError("the gateway needs one RosterRoles to check tokens' roles")
        self.roster_roles = roles[0]
        super().setup()

    def handle_request(self, request: Request) -> Response:
        started = time.perf_counter()
        request.shallow = False
        try:
            self.check_access(request)
            response = self.response_from_result(self.run_route(request))
        except Exception as exc:
            response = self.response_from_exception(exc)
        if response.status_code == 403:
            self.log_refusal(request, response)
        # The route's rule, not the URL: ids in paths would explode the label set.
        metrics.GATEWAY_SECONDS.labels(self.url).observe(time.perf_counter() - started)
        metrics.GATEWAY_REQUESTS.labels(self.url, request.method, response.status_code).inc()
        return response

    def run_route(self, request: Request) -> Any:
        """nameko's own dispatch to a worker, but bounded: a service that does not answer
        (stopped, with its queue still there) is a 503 the app can retry, not a hang."""
        args, kwargs = self.get_entrypoint_parameters(request)
        self.check_signature(args, kwargs)
        answered = Event()
        worker = self.container.spawn_worker(
            self, args, kwargs, context_data=self.server.context_data_from_headers(request),
            handle_result=partial(self.handle_result, answered))
        seconds = answer_seconds(self.container.config, request.method, self.url)
        try:
            with eventlet.Timeout(seconds):
                return answered.wait()
        except eventlet.Timeout:
            # End the waiting worker, or each unanswered request would hold one for good.
            thread = self.container._worker_threads.get(worker)
            if thread is not None:
                thread.kill()
            log.warning("no answer within %ss to %s %s", seconds, request.method, self.url)
            raise ServiceUnavailable(f"a service did not answer within {seconds:g}s; "
                                     "try again shortly") from None

    def check_access(self, request: Request) -> None:
        """Before any service is called: who is calling (401), whether the route's row of
        the authorisation matrix names their role, and whether the roster gives them that
        role today (403)."""
        if not policy.needs_token(self.method, self.url):
            return
        token = verify(bearer_token(request))
        if self._revoked(token):
            raise Unauthorized("the token has been revoked")
        request.environ[ACTOR_KEY] = token.actor
        LIMITER.check(str(token.actor.id))  # 429 for a flood from one sign-in
        method = "GET" if request.method == "HEAD" else request.method
        policy.authorise(token.actor, method, self.url)
        self.roster_roles.require(token.actor, self)  # 403 unless the roster gives the role

    def _revoked(self, token: Token) -> bool:
        # From the process's copy of the list (``gateway.revocations``): no query per
        # request. A copy that may be out of date refuses with a 503, for now, not forever.
        return self.revocations.is_revoked(token.token_id, token.actor.id, token.issued_at)

    def log_refusal(self, request: Request, response: Response) -> None:
        """Every refusal is logged: who, in which role, on which route, and why."""
        actor = request.environ.get(ACTOR_KEY)
        reason = (response.get_json(silent=True) or {}).get("message", "")
        log.warning("refused: person %s as %s on %s %s (%s): %s",
                    getattr(actor, "id", "?"), getattr(actor, "role", "?"),
                    request.method, self.url, request.path, reason)

    def response_from_result(self, result: Any) -> Response:
        if isinstance(result, Response):
            return result
        status, body = result if isinstance(result, tuple) else (200, result)
        return json_response(status, body)

    def response_from_exception(self, exc: Exception) -> Response:
        if isinstance(exc, ValidationError):
            return json_response(400, {"error": "invalid request",
                                       "fields": field_errors(exc.messages)})
        if isinstance(exc, CoachopsError):
            body = exc.to_dict()
            if exc.field:
                body["fields"] = [{"field": exc.field, "reason": exc.message}]
            return json_response(exc.status, body)
        if isinstance(exc, HTTPException):
            headers = {503: {"Retry-After": "5"}, 401: {"WWW-Authenticate": "Bearer"},
                       429: {"Retry-After": str(getattr(exc, "retry_after", 1))}}.get(
                exc.code or 400)
            return json_response(exc.code or 400, {"error": exc.name, "message": exc.description},
                                 headers=headers)
        if isinstance(exc, (UnknownService, RpcTimeout, OperationalError, AmqpConnectionError)):
            log.warning("a service did not answer: %r", exc)
            return json_response(503, {"error": "Service Unavailable", "message": str(exc)},
                                 headers={"Retry-After": "5"})
        if isinstance(exc, RemoteError):
            log.error("a service failed: %s", exc)
        else:
            log.exception("gateway failed", exc_info=exc)
        return json_response(500, {"error": "internal error",
                                   "message": "the request failed; it has been logged"})


http = JsonHttp.decorator
