"""The gateway's OpenAPI 3 description, generated from the same marshmallow schemas that
validate each request (``coachops/commands``) with apispec's marshmallow plugin, and the
same authorisation matrix (``gateway.policy``): each operation says which roles may call it.

``REQUESTS`` (from the route table, ``coachops/routes.py``) names, per route, the schema
of its body or query; the path's ids come from the route's rule. Served at
``GET /openapi.json``; ``GET /docs`` is a page that reads it.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from marshmallow import Schema
from nameko.extensions import ENTRYPOINT_EXTENSIONS_ATTR
from nameko.web.handlers import HttpRequestHandler
from werkzeug import Request as HttpRequest

from coachops.answers import Answer, Report
from coachops.commands.types import Text
from coachops.routes import JSON, ROUTES, ZIP, path_names
from coachops.routes import Route as RouteRow
from gateway import policy
from gateway.http import http
from gateway.static import Folder, serving


@dataclass(frozen=True)
class Request:
    """What a route reads besides its path: a body or a query, and what it answers.
    ``ids`` is the schema that types the path's ids when there is no body or query."""

    body: type[Schema] | None = None
    query: type[Schema] | None = None
    ids: type[Schema] | None = None
    status: int = 200
    body_optional: bool = False  # a command that needs nothing but its URL
    media: tuple[str, ...] = (JSON,)
    extra_query: tuple[tuple[str, dict[str, Any]], ...] = ()
    answer: type[Answer] = Answer
    also: tuple[tuple[int, type[Answer]], ...] = ()  # other success answers
    answers: tuple[str, ...] = (JSON,)  # the media types of the answer
    refusals: tuple[str, ...] = ()  # what else an open route that checks its callers answers




def described(row: RouteRow) -> Request:
    """What the route table says a route reads and answers, as this document needs it."""
    common: dict[str, Any] = {"status": row.status, "answer": row.answer, "also": row.also,
                              "answers": row.answers, "refusals": row.refusals}
    if row.schema is None:
        return Request(extra_query=row.extra_query, **common)
    where = {"body": "body", "optional": "body", "query": "query", "path": "ids"}[row.source]
    common[where] = row.schema
    return Request(body_optional=row.source == "optional", media=row.media,
                   extra_query=row.extra_query, **common)


DESCRIBED: dict[policy.Route, Request] = {(row.method, row.rule): described(row)
                                          for row in ROUTES}
# The routes that take a command or a query.
REQUESTS: dict[policy.Route, Request] = {
    route: DESCRIBED[route] for route in DESCRIBED
    if any((DESCRIBED[route].body, DESCRIBED[route].query, DESCRIBED[route].ids))}
# A path segment whose schema field has another name.
PATH_FIELDS = {k: v for row in ROUTES for k, v in row.path_fields.items()}

ERROR = {
    "type": "object",
    "properties": {
        "error": {"type": "string"}, "message": {"type": "string"},
        "field": {"type": "string", "nullable": True},
        "fields": {"type": "array", "items": {
            "type": "object", "properties": {"field": {"type": "string"},
                                             "reason": {"type": "string"}}}},
    },
    "required": ["error"],
}
ERRORS = {
    "400": "the body or the query is not well formed: each field at fault and why",
    "401": "no token, or a bad, expired or revoked one",
    "403": "the role may not call this route, or not on this cycle, school or region",
    "404": "no such cycle, agreement, entry or school",
    "409": "someone else changed it first; retry",
    "413": "the body is over the size limit",
    "414": "the URL is too long",
    "415": "the body is not of a supported media type",
    "422": "well formed, but against a rule of the domain (the field at fault)",
    "429": "too many requests from this sign-in; retry after the Retry-After seconds",
    "431": "the request's headers are too large",
    "500": "the gateway or a service failed; it has been logged",
    "503": "a service did not answer; retry after the Retry-After seconds",
}
# What any request may be answered, whatever its route: a URL or headers over the server's
# limits, a failure, an unanswering service.
EVERY_ROUTE = ("414", "431", "500", "503")
# What a request with a token may be answered besides: the checks before any service runs,
# and what the services decide.
GUARDED = ("400", "401", "403", "404", "409", "422", "429")
WITH_BODY = ("413", "415")
RETRY_AFTER = ("429", "503")

# What a create operation answers that names the ids of what it made (each its own name in
# the path of the operations that use it): from these, ``links`` lead to those operations.
CREATES: dict[policy.Route, tuple[str, ...]] = {
    (row.method, row.rule): row.creates for row in ROUTES if row.creates}


@dataclass(frozen=True)
class Route:
    method: str
    rule: str
    function: str
    module: str


def routes(service: type) -> Iterator[Route]:
    """Every HTTP route of a nameko service class."""
    for name, function in inspect.getmembers(service, inspect.isfunction):
        for entrypoint in getattr(function, ENTRYPOINT_EXTENSIONS_ATTR, ()):
            if isinstance(entrypoint, HttpRequestHandler):
                for method in policy.methods(entrypoint.method):
                    yield Route(method, entrypoint.url, name, function.__module__)


def path_of(rule: str) -> str:
    """werkzeug's ``/cycles/<cycle_id>`` (or ``<path:name>``) as ``/cycles/{cycle_id}``."""
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule)


SERVICE = {(row.method, row.rule): row.service for row in ROUTES if row.service}


def _tag(route: Route) -> str:
    """The service a route reaches, or the module of a handler that reaches none."""
    name = SERVICE.get((route.method, route.rule)) or route.module.rsplit(".", 1)[-1]
    return {"cycles": "cycles", "timetracking": "time", "agreements": "roster and agreements",
            "reporting": "reports", "dashboard": "dashboard", "sync": "offline sync"}.get(
        name, "operations")


def _roles(route: Route) -> str:
    if not policy.needs_token(route.method, route.rule):
        return "Open: no token needed."
    names = sorted(r.value for r in policy.allowed_roles(route.method, route.rule))
    return f"Roles: {', '.join(names)}."


def _operation(route: Route, plugin: MarshmallowPlugin) -> dict[str, Any]:
    request = DESCRIBED[(route.method, route.rule)]
    in_path = path_names(route.rule)
    schema = request.body or request.query or request.ids
    schema_fields = schema().fields if schema else {}
    parameters: list[dict[str, Any]] = []
    assert plugin.converter is not None  # set when the plugin joins the spec
    for name in in_path:
        field = schema_fields.get(PATH_FIELDS.get(name, name))
        parameters.append({"in": "path", "name": name, "required": True,
                           "schema": plugin.converter.field2property(field)
                           if field else {"type": "string"}})
    taken = [PATH_FIELDS.get(n, n) for n in in_path if PATH_FIELDS.get(n, n) in schema_fields]
    if request.query:
        parameters.append({"in": "query", "schema": request.query(exclude=taken)})
    parameters += [{"in": "query", "name": name, "schema": spec, "required": False}
                   for name, spec in request.extra_query]
    operation: dict[str, Any] = {
        "operationId": route.function, "tags": [_tag(route)],
        "summary": route.function.replace("_", " ").capitalize(),
        "description": _roles(route), "parameters": parameters,
        "responses": {str(status): {
            "description": " ".join(inspect.cleandoc(answer.__doc__ or "done")
                                    .split("\n\n")[0].split()),
            "content": {media: answer_content(answer, media) for media in request.answers}}
            for status, answer in ((request.status, request.answer), *request.also)},
    }
    if request.body:
        body = request.body(exclude=taken)
        operation["requestBody"] = {
            "required": not request.body_optional,
            "content": {media: body_content(body, media, plugin, request.media)
                        for media in request.media}}
    statuses = list(EVERY_ROUTE)
    if policy.needs_token(route.method, route.rule):
        operation["security"] = [{"bearer": []}, {"session": []}]  # either one
        statuses += GUARDED + (WITH_BODY if request.body else ())
    else:
        operation["security"] = []
        if in_path:  # a file that is not there
            statuses.append("404")
        if request.body:  # an open route with a body checks it
            statuses += ("400", *WITH_BODY)
        statuses += request.refusals
    for status in sorted(set(statuses)):
        operation["responses"][status] = {"$ref": f"#/components/responses/{status}"}
    return operation


def body_content(body: Schema, media: str, plugin: MarshmallowPlugin,
                 every: tuple[str, ...] = ()) -> dict[str, Any]:
    """A body as JSON, a CSV file as text, a zip as a file, or a form whose text fields are
    files (each uploaded as itself, the roster's ``orgs.csv`` and the rest; a route that
    also takes a zip takes it in the form too, as the field ``export``)."""
    if media == "text/csv":
        return {"schema": {"type": "string"}}
    if media == ZIP:
        return {"schema": {"type": "string", "format": "binary"}}
    if media != "multipart/form-data":
        return {"schema": body}
    files = {name for name, field in body.fields.items() if isinstance(field, Text)}
    assert plugin.converter is not None  # set when the plugin joins the spec
    properties = {name: {"type": "string", "format": "binary"} if name in files
                  else plugin.converter.field2property(field)
                  for name, field in body.fields.items()}
    required = sorted(name for name in files if body.fields[name].required)
    if ZIP in every:  # the files are required only when no zip is sent
        properties["export"] = {"type": "string", "format": "binary", "description":
                                "the whole export as one zip, instead of the files one by one "
                                f"({', '.join(required)} then required)"}
        required = []
    return {"schema": {"type": "object", "properties": properties,
                       **({"required": required} if required else {})}}


def answer_content(answer: type[Answer], media: str) -> dict[str, Any]:
    """A success answer's schema and example; a CSV answer is text, its header first."""
    if media == "text/csv":
        return {"schema": {"type": "string"},
                "example": "school_id,category_id,minutes\n" + ",".join(
                    str(v) for v in Report.example["rows"][0].values()) + "\n"}
    if media != JSON:  # a page or a file of the dashboard or of this description
        return {"schema": {"type": "string"}}
    return {"schema": answer, "example": answer.example}


def _links(source: Route, every: list[Route]) -> dict[str, Any]:
    """From a create operation to each operation whose path ids it names: the ids it made
    (from its answer) and those of its own path (from its request)."""
    made = CREATES.get((source.method, source.rule), ())
    if not made:
        return {}
    own = path_names(source.rule)
    links = {}
    for target in every:
        names = path_names(target.rule)
        if target is source or not set(made) & set(names) or not set(names) <= {*made, *own}:
            continue
        links[target.function] = {"operationId": target.function, "parameters": {
            f"path.{name}": f"$response.body#/{name}" if name in made
            else f"$request.path.{name}" for name in names}}
    return links


def schema_name(schema: Schema | type[Schema]) -> str:
    """A command's body as sent, without the ids its URL carries, is ``<Command>Body``."""
    name = (schema if isinstance(schema, type) else type(schema)).__name__  # an answer: a class
    return f"{name}Body" if getattr(schema, "exclude", None) else name


@cache
def document(service: type) -> dict[str, Any]:
    plugin = MarshmallowPlugin(schema_name_resolver=schema_name)
    spec = APISpec(
        title="coachops gateway", version="1", openapi_version="3.0.3", plugins=[plugin],
        info={"description": "The only way in for coaches' apps, teachers, principals, CLT "
                             "representatives, district leaders and district IT. Every "
                             "error is JSON: {error, message, field, fields: [{field, "
                             "reason}]}. Unknown fields are refused."},
    )
    spec.components.security_scheme("bearer", {
        "type": "http", "scheme": "bearer", "bearerFormat": "JWT",
        "description": "A token district IT issues: python -m gateway.auth issue"})
    spec.components.security_scheme("session", {
        "type": "apiKey", "in": "cookie", "name": "coachops_session",
        "description": "A browser's district sign-in (GET /auth/signin). A request that "
                       "changes something also sends the session's CSRF token as "
                       "X-CSRF-Token (GET /auth/session gives it)."})
    spec.components.schema("Error", ERROR)
    for status, description in ERRORS.items():
        response: dict[str, Any] = {"description": description,
                                    "content": {JSON: {"schema": {"$ref":
                                                                   "#/components/schemas/Error"}}}}
        if status in RETRY_AFTER:
            response["headers"] = {"Retry-After": {"schema": {"type": "integer"}}}
        spec.components.response(status, response)
    by_path: dict[str, dict[str, Any]] = {}
    every = sorted(routes(service), key=lambda r: (r.rule, r.method))
    for route in every:
        operation = by_path.setdefault(route.rule, {})[route.method.lower()] = _operation(
            route, plugin)
        if links := _links(route, every):
            # The answer that names what was made (the route's status; a dry run makes none)
            operation["responses"][str(DESCRIBED[(route.method, route.rule)].status)][
                "links"] = links
    for rule, operations in by_path.items():
        spec.path(path=path_of(rule), operations=operations)
    return spec.to_dict()


# The browsable page: three files of our own, nothing from another origin.
DOCS = Path(__file__).resolve().parent / "docs"
DOC_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; "
                               "connect-src 'self'; base-uri 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff", "Cache-Control": "no-cache",
}
DOCS_PAGE = Folder.of(DOCS, "the API page", headers=DOC_HEADERS)
DOC_FILES = DOCS_PAGE.files
DocsFiles: Any = serving(DOCS_PAGE, __name__, page=("api_docs", "/docs"),
                    files=("api_docs_file", "/docs/<name>"))


class ApiDescriptionRoutes(DocsFiles):
    @http("GET", "/openapi.json")
    def openapi(self, request: HttpRequest) -> dict[str, Any]:
        service: type = type(self)  # the composed gateway service, hashable for the cache
        return document(service)
