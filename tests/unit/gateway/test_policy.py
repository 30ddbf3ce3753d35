"""The authorisation matrix as a table: every route of the gateway has a row, every row a
route, and the confidentiality rules hold row by row (no infrastructure; the same table
over real HTTP is tests/integration/gateway/test_matrix.py)."""

from __future__ import annotations

import inspect
import uuid

import pytest
from nameko.extensions import ENTRYPOINT_EXTENSIONS_ATTR
from nameko.web.handlers import HttpRequestHandler

from coachops.errors import Forbidden
from coachops.identity import Actor, Role
from gateway import policy
from gateway.service import GatewayService


def gateway_routes() -> set[tuple[str, str]]:
    routes = set()
    for _, method in inspect.getmembers(GatewayService, inspect.isfunction):
        for entrypoint in getattr(method, ENTRYPOINT_EXTENSIONS_ATTR, ()):
            if isinstance(entrypoint, HttpRequestHandler):
                routes.update((m, entrypoint.url) for m in policy.methods(entrypoint.method))
    return routes


ROUTES = sorted(gateway_routes())
CONTENT = ("/cycles", "/teachers/", "/coaching-agreements", "/partnership-agreements")


def test_every_route_of_the_gateway_has_a_row() -> None:
    unlisted = [r for r in ROUTES if r not in policy.MATRIX]
    assert not unlisted, f"add rows for these routes to coachops/routes.py: {unlisted}"


def test_every_row_is_a_route_of_the_gateway() -> None:
    stale = [r for r in policy.MATRIX if r not in set(ROUTES)]
    assert not stale, f"rows for routes the gateway does not have: {stale}"


def test_an_unlisted_route_stops_the_gateway_at_start() -> None:
    with pytest.raises(policy.UnlistedRoute, match="POST /cycles/<cycle_id>/bulk-delete"):
        policy.require_listed("POST", "/cycles/<cycle_id>/bulk-delete")
    with pytest.raises(policy.UnlistedRoute):  # each method of a multi-method route counts
        policy.require_listed("GET,DELETE", "/cycles/<cycle_id>")
    policy.require_listed("GET", "/cycles/<cycle_id>")


@pytest.mark.parametrize("route", [r for r in ROUTES if r[1].startswith(CONTENT)])
def test_coaching_content_is_for_coaches_teachers_and_principals_only(
        route: tuple[str, str]) -> None:
    roles = policy.allowed_roles(*route)
    assert roles <= {Role.COACH, Role.TEACHER, Role.PRINCIPAL}, route
    if route[1].startswith(("/cycles", "/teachers/")):
        # A cycle is its coach's and its teachers': no principal, leader, rep or IT.
        assert roles <= {Role.COACH, Role.TEACHER}, route


def test_district_it_runs_operations_and_reads_no_coaching_content() -> None:
    it_routes = {r for r in ROUTES if policy.MATRIX[r] != policy.OPEN
                 and Role.IT_ADMIN in policy.allowed_roles(*r)}
    assert it_routes == {
        ("POST", "/roster/import"), ("GET", "/schools/<school_id>/roster"),
        ("GET", "/roster/imports/<import_id>"),  # an import's state and its changes
        ("POST", "/roster/setup"),  # the district's own facts: coaches, regions
        ("GET", "/time-categories"), ("POST", "/time-categories"),
        ("POST", "/time-categories/<category_id>/rename"),
        ("POST", "/time-categories/<category_id>/retire"),
        ("POST", "/people/<person_id>/forget"),  # erases content, reads none
        ("GET", "/people"),  # names, roles and places: the roster district IT imports
        # what the roster holds on a day: regions, schools, people and their roles
        ("GET", "/roster/regions"), ("GET", "/roster/schools"), ("GET", "/roster/people"),
        ("GET", "/roster/people/<person_id>"),
        ("GET", "/roster/unset"),  # what the district has still to set: the roster alone
        ("GET", "/integration-tokens"), ("POST", "/integration-tokens"),
        ("POST", "/integration-tokens/<token_id>/revoke"),
        ("GET", "/dead-letters"),  # which consumer parked which event and why: no body
        # history kept before coachops: written once, answered with counts, read back never
        ("POST", "/history/time-entries"), ("POST", "/history/agreements"),
        ("POST", "/history/cycles"),
    }, "a new route for district IT: is it operations, and free of coaching content?"


def test_a_district_leader_reads_aggregates_and_never_a_cycle() -> None:
    leader_reads = {rule for method, rule in ROUTES if method == "GET"
                    and policy.MATRIX[(method, rule)] != policy.OPEN
                    and Role.DISTRICT_LEADER in policy.allowed_roles(method, rule)}
    assert not [r for r in leader_reads if r.startswith(CONTENT)]
    assert {"/reports/time-use", "/reports/plan-alignment", "/reports/cycle-activity",
            "/reports/council", "/schools/<school_id>/active-cycles"} <= leader_reads


def test_only_health_docs_and_static_pages_are_open() -> None:
    open_routes = {rule for method, rule in ROUTES if not policy.needs_token(method, rule)}
    assert open_routes == {"/healthz", "/readyz", "/openapi.json", "/docs", "/docs/<name>", "/",
                           "/dashboard", "/dashboard/", "/dashboard/<path:name>",
                           "/admin", "/admin/", "/admin/<path:name>",
                           "/app", "/app/", "/app/<path:name>",
                           # district sign-in: each answers only about its cookie's session
                           "/auth/signin", "/auth/callback", "/auth/session", "/auth/role",
                           "/auth/signout"}, \
        "a route open without a token must hold no data"


def test_a_role_the_row_does_not_name_is_refused_naming_the_reason() -> None:
    principal = Actor(uuid.uuid4(), Role.PRINCIPAL)
    with pytest.raises(Forbidden) as refused:
        policy.authorise(principal, "GET", "/cycles/<cycle_id>")
    assert refused.value.field == "role"
    assert str(refused.value) == ("a principal cannot GET /cycles/<cycle_id>: it is for "
                                  "coach, teacher")
    policy.authorise(Actor(uuid.uuid4(), Role.TEACHER), "GET", "/cycles/<cycle_id>")


def test_every_route_names_at_least_one_role_or_is_open() -> None:
    for route, entry in policy.MATRIX.items():
        assert entry == policy.OPEN or (entry and entry <= set(Role)), route
