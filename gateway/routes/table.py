"""The gateway's routes made from the route table (``coachops/routes.py``): for each row
without a hand-written handler, one handler named for the row (its RPC method unless the
row names it otherwise): who is calling, the command or query checked against the row's
schema (a 400 naming the field), one RPC call, the row's success status."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from werkzeug import Request

from coachops.routes import ROUTES, SYNCED, Route, SyncBatch, path_names
from gateway.auth import actor_of
from gateway.http import Backend, http, json_body, optional_json_body
from gateway.routes import validated, with_path


def backend_name(row: Route) -> str:
    """The attribute of the gateway holding the row's RPC proxy: one per service, and one
    more whose requests may wait long for the rows that take long."""
    return f"{row.service}_long" if row.long else str(row.service)


def fields_of(row: Route, request: Request, path: dict[str, str]) -> Any:
    """What the row's schema checks: its source (body, optional body, query) with the
    URL's ids in it, each under the name the schema gives it."""
    ids = {row.path_fields.get(name, name): value for name, value in path.items()}
    if row.source == "body":
        return with_path(json_body(request), **ids)
    if row.source == "optional":
        return with_path(optional_json_body(request), **ids)
    if row.source == "query":
        return {**request.args.to_dict(), **ids}
    return ids


def handler(row: Route) -> Callable[..., Any]:
    assert row.schema is not None and row.rpc is not None, f"{row.rule}: no schema or RPC"
    schema, rpc, status = row.schema, row.rpc, row.status
    names = path_names(row.rule)

    def handle(self: Any, request: Request, *ids: str, **path: str) -> Any:
        actor = actor_of(request)
        # nameko passes the URL's ids by name; a test may pass them in order
        path = {**dict(zip(names, ids, strict=False)), **path}
        data = validated(schema, fields_of(row, request, path))
        answer = getattr(getattr(self, backend_name(row)), rpc)(actor.to_dict(), data)
        return (status, answer) if status != 200 else answer

    handle.__name__ = handle.__qualname__ = row.handler
    handle.__doc__ = f"{row.method} {row.rule}: {row.service}.{rpc}"
    handle.route = row  # type: ignore[attr-defined]  # (a function's own attribute)
    route: Callable[..., Any] = http(row.method, row.rule)(handle)
    return route


def routes_class() -> type:
    """A mixin with every generated handler and the RPC proxies they call."""
    members: dict[str, Any] = {"__module__": __name__}
    for row in ROUTES:
        if row.service is not None:
            members.setdefault(backend_name(row), Backend(row.service, long=row.long))
        if row.schema is SyncBatch:  # /sync sends each service its items, and may wait long
            for service in {synced.service for synced in SYNCED.values()}:
                members.setdefault(f"{service}_long", Backend(str(service), long=True))
        if not row.written:
            members[row.handler] = handler(row)
    return type("TableRoutes", (), members)


TableRoutes = routes_class()
