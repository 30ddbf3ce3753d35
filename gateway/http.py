"""A JSON HTTP entrypoint: every answer is JSON, every error a clear 4xx (or a bare 5xx).

Before a route runs, the caller is checked here, in one place: the bearer token (401) and
the route's row of the authorisation matrix, ``gateway.policy``, and an integration token's
scope, ``gateway.scopes`` (403, logged). Bad input
never reaches a service unchecked and never comes back as a stack trace; a service that
does not answer is a 503 with Retry-After.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import socket
import time
from functools import cache, partial
from typing import Any

import eventlet
import eventsourcing.persistence as es_errors
from amqp.exceptions import ConnectionError as AmqpConnectionError
from eventlet import wsgi as eventlet_wsgi
from eventlet.event import Event
from kombu.exceptions import OperationalError
from marshmallow import ValidationError
from nameko.exceptions import RemoteError, RpcTimeout, UnknownService
from nameko.web.handlers import HttpRequestHandler
from nameko.web.server import HttpOnlyProtocol, WebServer, WsgiApp
from werkzeug import Request, Response
from werkzeug.exceptions import (
    HTTPException,
    RequestEntityTooLarge,
    ServiceUnavailable,
    Unauthorized,
)

from coachops import logs, metrics, settings
from coachops.commands import field_errors
from coachops.errors import CoachopsError
from coachops.routes import ROUTES
from coachops.rpc import RpcProxy
from gateway import policy, revocations, scopes
from gateway.auth import ACTOR_KEY, Token, bearer_token, verify
from gateway.ratelimit import RateLimiter

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 1 << 20
# The deepest JSON a request may hold (a sync batch's deepest is 5): deeper is refused before
# parsing, which would otherwise fail with a RecursionError (a 500) near a thousand.
MAX_JSON_DEPTH = 32
MAX_SKIPPED_HEAD_BYTES = 1 << 20  # of a request refused for its head's size
MAX_REASON_CHARS = 500  # of a refusal's line in the log
# How long the gateway waits for a service's answer (GATEWAY_ANSWER_SECONDS), and the
# routes that may take longer: a district's roster, a CSV of time, an offline batch.
LONG_ANSWER_SECONDS = 600.0
# A service's database lost (a PostgreSQL restart, a primary failing over to its standby):
# the command was not committed, or was and is answered from the store when sent again with
# its client id, so the app is told to retry (503), not that the request failed (500).
DATABASE_UNAVAILABLE = frozenset({"OperationalError", "InterfaceError",
                                  "ConnectionUnavailableError"})
LONG_ROUTES = {(row.method, row.rule) for row in ROUTES if row.long}


class Backend(RpcProxy):
    """An RPC proxy to a service whose requests expire in RabbitMQ when the gateway stops
    waiting for their answer: a request the app was told to retry (503) is not carried out
    later, when the service is back, behind its back. ``long`` for the routes of
    ``LONG_ROUTES``."""

    def __init__(self, target_service: str, long: bool = False) -> None:
        super().__init__(target_service)
        self.long = long

    def setup(self) -> None:
        super().setup()
        self.options["expiration"] = (
            LONG_ANSWER_SECONDS if self.long else settings.current().gateway_answer_seconds)


def answer_seconds(method: str, rule: str) -> float:
    if (method, rule) in LONG_ROUTES:
        return LONG_ANSWER_SECONDS
    return settings.current().gateway_answer_seconds


@cache
def limiter() -> RateLimiter:
    """One per gateway process."""
    return RateLimiter.configured()


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(
        json.dumps(body, default=str), status=status, headers=headers,
        mimetype="application/json",
    )


class TooDeep(ValueError):
    pass


_STRINGS = re.compile(rb'"(?:[^"\\]|\\.)*"')
_BRACKETS = re.compile(rb"[\[\]{}]")


def json_depth(data: bytes) -> int:
    """How deeply ``data``'s arrays and objects nest (brackets inside strings not counted)."""
    opening = data.count(b"[") + data.count(b"{")
    if opening <= MAX_JSON_DEPTH:  # most bodies: no deeper than that, whatever the order
        return opening
    depth = deepest = 0
    for bracket in _BRACKETS.findall(_STRINGS.sub(b"", data)):
        depth += 1 if bracket in (b"[", b"{") else -1
        deepest = max(deepest, depth)
    return deepest


class BoundedJson:
    """The JSON module requests parse their bodies with: ``json``, within MAX_JSON_DEPTH."""

    dumps = staticmethod(json.dumps)

    @staticmethod
    def loads(data: str | bytes) -> Any:
        raw = data.encode() if isinstance(data, str) else data
        if json_depth(raw) > MAX_JSON_DEPTH:
            raise TooDeep(f"the JSON nests deeper than {MAX_JSON_DEPTH} levels")
        return json.loads(raw)


class JsonRequest(Request):
    # werkzeug types it as the json module itself; BoundedJson has the loads and dumps it uses.
    json_module = BoundedJson  # type: ignore[assignment]
    path_values: dict[str, Any]  # the route's URL values, set by JsonWsgiApp as nameko's does

    # One signature for werkzeug's two overloads (bytes, or text with ``as_text``).
    def get_data(self, cache: bool = True, as_text: bool = False,  # type: ignore[override]
                 parse_form_data: bool = False) -> bytes | str:
        raw = super().get_data(cache=True, parse_form_data=parse_form_data)
        limit = self.max_content_length
        if self.content_length is None and limit is not None and len(raw) >= limit:
            # A chunked body is cut at the limit, not refused: refuse it here.
            raise RequestEntityTooLarge(f"the body is over {limit} bytes")
        if as_text:  # werkzeug's overloads: one for text, one for bytes
            return super().get_data(cache=cache, as_text=True, parse_form_data=parse_form_data)
        return super().get_data(cache=cache, as_text=False, parse_form_data=parse_form_data)

    def on_json_loading_failed(self, e: ValueError | None) -> Any:
        if isinstance(e, TooDeep):
            raise ValidationError({"body": [str(e)]})
        return super().on_json_loading_failed(e)


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
    """nameko's WSGI app, with the gateway's requests (``JsonRequest``), and a URL no
    route has (404) or a method its route does not take (405) answered in JSON like every
    other error, not as werkzeug's HTML page."""

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        if environ.get("HTTP_TRANSFER_ENCODING", "").lower() == "chunked":
            # eventlet de-chunks the body and ends the stream; said so, werkzeug reads it
            # within the route's size limit (a 413 past it) instead of reading nothing.
            environ["wsgi.input_terminated"] = True
        request = JsonRequest(environ, shallow=True)  # as nameko's: read by the route only
        try:
            provider, request.path_values = self.url_map.bind_to_environ(environ).match()
        except HTTPException as exc:
            if (exc.code or 500) < 400:  # a redirect (a missing slash) stays as it is
                return exc(environ, start_response)
            headers = dict(exc.get_headers())
            headers.pop("Content-Type", None)
            body = {"error": exc.name, "message": exc.description}
            return json_response(exc.code or 404, body, headers)(environ, start_response)
        return provider.handle_request(request)(environ, start_response)


def _refusal(status: int, reason: str, message: str) -> bytes:
    body = json.dumps({"error": reason, "message": message}).encode()
    return (f"HTTP/1.1 {status} {reason}\r\nConnection: close\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
            ).encode() + body


class JsonProtocol(HttpOnlyProtocol):
    """eventlet's HTTP server, but what it refuses before the app sees the request (a
    request line or a header over its limits, a malformed request) is answered in the
    API's JSON error form with the status that says why (414, 431, 400), not an empty
    body."""

    def setup(self) -> None:
        super().setup()
        # eventlet writes an answer over 16 KiB as its head and then its body; with Nagle's
        # algorithm the body's last segment waits for the client's delayed ACK (40 ms on
        # Linux): a district's report took 48 ms where its SQL took 15.
        with contextlib.suppress(OSError):  # not a TCP socket
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, True)

    def _read_request_line(self) -> bytes:
        line: bytes = super()._read_request_line()
        if len(line) >= self.server.url_length_limit:  # eventlet would answer it, bare
            self._refuse(414, "URI Too Long", f"the request line is over "
                         f"{self.server.url_length_limit} bytes: send less in the URL",
                         rest_of_head=True)
            return b""  # and eventlet closes the connection
        return line

    def parse_request(self) -> bool:
        try:
            parsed = bool(super().parse_request())
        except (eventlet_wsgi.HeaderLineTooLong, eventlet_wsgi.HeadersTooLarge):
            self._refuse(431, "Request Header Fields Too Large",
                         f"a header is over {eventlet_wsgi.MAX_HEADER_LINE} bytes, or all of"
                         f" them over {eventlet_wsgi.MAX_TOTAL_HEADER_SIZE}", rest_of_head=True)
            return False
        problem = parsed and self._framing_problem()
        if problem:  # eventlet would refuse it next, bare
            self._refuse(400, "Bad Request", problem)
            return False
        return parsed

    def _framing_problem(self) -> str | None:
        length = self.headers.get("Content-Length")
        if length is None:
            return None
        if not length.strip().isdigit():
            return "Content-Length must be a whole number of bytes"
        if self.headers.get("Transfer-Encoding") is not None:
            return "send Content-Length or Transfer-Encoding, not both"
        return None

    def send_error(self, code: int, message: str | None = None,
                   explain: str | None = None) -> None:
        """The standard library's refusals of a malformed request, in JSON."""
        reason = self.responses.get(code, ("Error",))[0]
        self._refuse(code, reason, message or explain or reason)

    def _refuse(self, status: int, reason: str, message: str,
                rest_of_head: bool = False) -> None:
        self.close_connection = True
        try:
            if rest_of_head:
                self._skip_head()
            self.wfile.write(_refusal(status, reason, message))
            self.wfile.flush()
        except OSError:
            pass  # the client went away: nothing to answer

    def _skip_head(self) -> None:
        """Read the rest of the request's head (up to a bound): closing a connection with
        unread bytes resets it, and the client would never see the answer."""
        stream: Any = getattr(self.rfile, "fp", self.rfile)  # not eventlet's header counter
        left = MAX_SKIPPED_HEAD_BYTES
        while left > 0:
            line = stream.readline(min(left, 1 << 16))
            left -= len(line)
            if line in (b"", b"\r\n", b"\n"):
                return


class JsonWebServer(WebServer):
    def get_wsgi_app(self) -> JsonWsgiApp:
        return JsonWsgiApp(self)

    def get_wsgi_server(self, sock: Any, wsgi_app: Any, protocol: Any = JsonProtocol,
                        debug: bool = False) -> Any:
        return super().get_wsgi_server(sock, wsgi_app, protocol=protocol, debug=debug)


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
        from gateway.sessions import SessionStore  # browser sessions (``gateway.signin``)
        stores = [d for d in self.container.dependencies if isinstance(d, SessionStore)]
        self.sessions = stores[0] if stores else None
        super().setup()

    def handle_request(self, request: Request) -> Response:
        started = time.perf_counter()
        request.shallow = False
        # The request's id: in this thread's log lines, the worker's context data (and so
        # every RPC call's headers) and the answer's header.
        request_id = logs.request_id(request.headers.get(logs.REQUEST_ID_HEADER))
        request.environ[logs.REQUEST_ID] = request_id
        logs.bind(request_id)
        try:
            self.check_access(request)
            response = self.response_from_result(self.run_route(request))
        except Exception as exc:
            response = self.response_from_exception(exc)
        if 400 <= response.status_code < 500:
            self.log_refusal(request, response)
        # The route's rule, not the URL: ids in paths would explode the label set.
        metrics.GATEWAY_SECONDS.labels(self.url).observe(time.perf_counter() - started)
        metrics.GATEWAY_REQUESTS.labels(self.url, request.method, response.status_code).inc()
        response.headers[logs.REQUEST_ID_HEADER] = request_id
        logs.bind(None)
        return response

    def run_route(self, request: Request) -> Any:
        """nameko's own dispatch to a worker, but bounded: a service that does not answer
        (stopped, with its queue still there) is a 503 the app can retry, not a hang."""
        args, kwargs = self.get_entrypoint_parameters(request)
        self.check_signature(args, kwargs)
        answered = Event()
        context = self.server.context_data_from_headers(request)
        context[logs.REQUEST_ID] = request.environ[logs.REQUEST_ID]
        worker = self.container.spawn_worker(
            self, args, kwargs, context_data=context,
            handle_result=partial(self.handle_result, answered))
        seconds = answer_seconds(request.method, self.url)
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
        token = self.caller(request)
        if self._revoked(token):
            raise Unauthorized("the token has been revoked")
        request.environ[ACTOR_KEY] = token.actor
        limiter().check(str(token.actor.id))  # 429 for a flood from one sign-in
        method = "GET" if request.method == "HEAD" else request.method
        policy.authorise(token.actor, method, self.url)
        scopes.require(token.scopes, method, self.url)  # 403: an integration token's scope
        self.roster_roles.require(token.actor, self)  # 403 unless the roster gives the role

    def caller(self, request: Request) -> Token:
        """A bearer token or, without one, a browser's session cookie (``gateway.sessions``:
        its CSRF token is checked there), each then checked the same way."""
        if self.sessions is not None and self.sessions.has_cookie(request):
            return self.sessions.token_of(request)
        return verify(bearer_token(request))

    def _revoked(self, token: Token) -> bool:
        # From the process's copy of the list (``gateway.revocations``): no query per
        # request. A copy that may be out of date refuses with a 503, for now, not forever.
        return self.revocations.is_revoked(token.token_id, token.actor.id, token.issued_at)

    def log_refusal(self, request: Request, response: Response) -> None:
        """Every refusal is one line, with no traceback: who, in which role, on which
        route, the status and why (tokens are redacted by ``coachops.logs``). A refusal of
        access is a warning; a person's mistake is information."""
        actor = request.environ.get(ACTOR_KEY)
        body = response.get_json(silent=True) or {}
        reason = body.get("message") or body.get("error", "")
        fields = "; ".join(f"{f.get('field')}" + ("" if f.get("reason") == reason
                                                   else f": {f.get('reason')}")
                           for f in body.get("fields", []))
        if fields:
            reason = f"{reason} [{fields}]"
        status = response.status_code
        log.log(logging.WARNING if status in (401, 403, 429) else logging.INFO,
                "refused: person %s as %s on %s %s (%s): %s %s", getattr(actor, "id", "?"),
                getattr(actor, "role", "?"), request.method, self.url, request.path, status,
                reason[:MAX_REASON_CHARS])

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
        if isinstance(exc, (UnknownService, RpcTimeout, OperationalError, AmqpConnectionError,
                            es_errors.OperationalError, es_errors.InterfaceError)) or (
                isinstance(exc, RemoteError) and exc.exc_type in DATABASE_UNAVAILABLE):
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
