"""What every service's log may hold, set in ``deploy/nameko.yml`` (``LOGGING``) as filters
on its one handler, so they see every record of every library:

- ``Redact``: no token or secret, wherever a request carried it (a query string in the
  access log, a header, a body echoed in a message, an exception's text).
- ``OneLineRefusals``: a refused request (a 4xx: a person's mistake or a refusal, not a
  failure) is one line, with no traceback. nameko logs each one as a failed worker with
  its traceback; the gateway says who was refused, on which route, and why
  (``gateway.http``), so its copy is dropped, and a service's becomes one line.

``LOG_FORMAT=json`` (compose) writes each record as one JSON object (``Json``) with the
request's id: the gateway takes a caller's ``X-Request-Id`` (``request_id``) or makes one,
and puts it in the context data of the worker it starts; nameko copies context data into
every RPC call's headers, so each service's worker has it too, and ``RequestIds`` (a
dependency of every service) binds it to the worker's green thread for its log lines.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import uuid
from datetime import UTC, datetime
from typing import Any

from marshmallow import ValidationError
from nameko.extensions import DependencyProvider
from nameko.web.handlers import HttpRequestHandler
from werkzeug.exceptions import HTTPException

from coachops.errors import CoachopsError

REDACTED = "[redacted]"
SECRETS = [
    # A JWT, or any part of one from its header or claims on (each starts {" in base64).
    (re.compile(r"eyJ[A-Za-z0-9_-]{4,}(?:\.[A-Za-z0-9_-]*){0,2}"), REDACTED),
    # Whatever follows a scheme in an Authorization header (not a "<token>" placeholder).
    (re.compile(r"(?i)\b(bearer|basic)(\s+)(?!<)[^\s'\",;]+"), rf"\1\2{REDACTED}"),
    # A query parameter, form field or JSON member named as a secret.
    (re.compile(r"(?i)((?:access_|refresh_|id_)?token|secret|password|api_key)"
                r"(\"?\s*[=:]\s*\"?)[^&\s'\",;]+"), rf"\1\2{REDACTED}"),
    # A URL's password: every broker of a cluster's AMQP_URI (kombu and nameko hide only
    # the first when they log it).
    (re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^:/@\s;]*:)[^@\s;/]+@"), rf"\1{REDACTED}@"),
]
MAX_REFUSAL_CHARS = 500


def redact(text: str) -> str:
    for pattern, replacement in SECRETS:
        text = pattern.sub(replacement, text)
    return text


class Redact(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # arguments that do not fit: still no secret in it
            message = f"{record.msg} {record.args!r}"
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        record.msg, record.args = redact(message), ()
        return True


def refusal_status(exc: BaseException) -> int | None:
    """The 4xx a request is answered with for ``exc``; None for a failure."""
    if isinstance(exc, CoachopsError):
        return exc.status
    if isinstance(exc, ValidationError):
        return 400
    if isinstance(exc, HTTPException) and exc.code and exc.code < 500:
        return exc.code
    return None


def _who(args: Any) -> str:
    actor = args[0] if args else None
    if isinstance(actor, dict) and "id" in actor:
        return f"person {actor['id']} as {actor.get('role', '?')}"
    return "a caller"


class OneLineRefusals(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        status = None if exc is None else refusal_status(exc)
        worker: Any = record.args[0] if isinstance(record.args, tuple) and record.args else None
        entrypoint = getattr(worker, "entrypoint", None)
        if exc is None or status is None or entrypoint is None:
            return True
        if isinstance(entrypoint, HttpRequestHandler):
            return False  # the gateway's own line names who, the route and why
        reason = getattr(exc, "message", None) or str(exc)
        field = getattr(exc, "field", None)
        record.msg = "refused %s.%s for %s: %s %s%s"
        record.args = (worker.service_name, entrypoint.method_name, _who(worker.args), status,
                       reason[:MAX_REFUSAL_CHARS], f" (field {field})" if field else "")
        record.exc_info, record.exc_text = None, None
        record.levelno, record.levelname = logging.INFO, "INFO"
        return True


# The context data key (and so RPC header ``nameko.request_id``) a request's id travels in;
# not ``coachops.rpc.REQUEST_ID``, which is one RPC call's correlation id.
REQUEST_ID = "request_id"
REQUEST_ID_HEADER = "X-Request-Id"
# A published event's header with the id of the request that recorded it: nameko's own
# prefix, so a consuming worker's context data (and so its log lines) carry it too.
REQUEST_HEADER = f"nameko.{REQUEST_ID}"
_SAFE_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
# Green-thread local once nameko has monkey-patched (each worker, each HTTP request).
_bound = threading.local()
_service = {"name": ""}  # the process's service, named when its container starts


def request_id(offered: str | None) -> str:
    """A caller's id when it is up to 64 safe characters (letters, digits, ``._:-``), else
    a new one: an id is written into log lines and headers, so nothing else gets in."""
    if offered and _SAFE_ID.fullmatch(offered):
        return offered
    return uuid.uuid4().hex


def bind(request: str | None) -> None:
    """The request id of this green thread's log lines (None: outside any request)."""
    _bound.request_id = request


def bound() -> str | None:
    return getattr(_bound, "request_id", None)


class RequestIds(DependencyProvider):
    """Binds each worker's request id (from its context data) for its log lines."""

    def setup(self) -> None:
        _service["name"] = self.container.service_name

    def worker_setup(self, worker_ctx: Any) -> None:
        value = worker_ctx.data.get(REQUEST_ID)
        bind(value if isinstance(value, str) else None)

    def worker_teardown(self, worker_ctx: Any) -> None:
        bind(None)


class Json(logging.Formatter):
    """One JSON object a line: time, level, logger, message, service, the request's id
    inside a request and the exception's text when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(
                timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "service": _service["name"] or None,
        }
        request = bound()
        if request:
            line["request_id"] = request
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exception"] = record.exc_text
        if record.stack_info:
            line["stack"] = record.stack_info
        return json.dumps(line, default=str)
