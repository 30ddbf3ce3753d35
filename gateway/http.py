"""A JSON HTTP entrypoint: every answer is JSON, every error a clear 4xx (or a bare 5xx).

Bad input never reaches a service unchecked and never comes back as a stack trace.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from marshmallow import ValidationError
from nameko.exceptions import RemoteError, RpcTimeout, UnknownService
from nameko.web.handlers import HttpRequestHandler
from werkzeug import Request, Response
from werkzeug.exceptions import HTTPException

from coachops import metrics
from coachops.commands import field_errors
from coachops.errors import CoachopsError

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 1 << 20


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


class JsonHttp(HttpRequestHandler):
    def __init__(self, method: str, url: str, **kwargs: Any) -> None:
        # A person's mistake is logged by nameko as a warning, not as a failed worker.
        kwargs.setdefault("expected_exceptions", (CoachopsError, HTTPException, ValidationError))
        super().__init__(method, url, **kwargs)

    def handle_request(self, request: Request) -> Response:
        started = time.perf_counter()
        response = super().handle_request(request)
        # The route's rule, not the URL: ids in paths would explode the label set.
        metrics.GATEWAY_SECONDS.labels(self.url).observe(time.perf_counter() - started)
        metrics.GATEWAY_REQUESTS.labels(self.url, request.method, response.status_code).inc()
        return response

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
            return json_response(exc.code or 400, {"error": exc.name, "message": exc.description})
        if isinstance(exc, (UnknownService, RpcTimeout)):
            log.warning("a service did not answer: %r", exc)
            return json_response(503, {"error": "service unavailable", "message": str(exc)},
                                 headers={"Retry-After": "5"})
        if isinstance(exc, RemoteError):
            log.error("a service failed: %s", exc)
        else:
            log.exception("gateway failed", exc_info=exc)
        return json_response(500, {"error": "internal error",
                                   "message": "the request failed; it has been logged"})


http = JsonHttp.decorator
