"""An integration token's scope: which routes each scope covers, the 403 naming ``scope``
for the others, and the role a token of a scope is issued in."""

from __future__ import annotations

import uuid

import pytest

from coachops.errors import Forbidden, Invalid
from coachops.identity import Role
from gateway import scopes
from gateway.auth import issue, verify

PERSON = uuid.uuid4()


@pytest.mark.parametrize(("scope", "method", "rule"), [
    ("reports:read", "GET", "/reports/time-use"),
    ("reports:read", "HEAD", "/reports/council"),
    ("reports:read", "GET", "/schools/<school_id>/active-cycles"),
    ("sync", "POST", "/sync"),
    ("sync", "POST", "/time-entries"),
    ("sync", "POST", "/cycles/<cycle_id>/observations"),
    ("roster:import", "POST", "/roster/import"),
    ("roster:import", "GET", "/roster/imports/<import_id>"),
])
def test_a_scope_covers_its_routes(scope: str, method: str, rule: str) -> None:
    scopes.require(frozenset({scope}), method, rule)


@pytest.mark.parametrize(("held", "method", "rule"), [
    ({"reports:read"}, "POST", "/cycles"),
    ({"reports:read"}, "POST", "/sync"),
    ({"reports:read"}, "GET", "/cycles/<cycle_id>"),
    ({"sync"}, "GET", "/reports/time-use"),
    ({"sync"}, "POST", "/roster/import"),
    ({"roster:import"}, "POST", "/people/<person_id>/forget"),
    ({"roster:import"}, "GET", "/integration-tokens"),
    (set(), "GET", "/reports/time-use"),  # an integration token without a scope
    ({"reports:write"}, "GET", "/reports/time-use"),  # a scope nobody issues
])
def test_a_route_no_scope_covers_is_a_403_naming_scope(held: set[str], method: str,
                                                      rule: str) -> None:
    with pytest.raises(Forbidden) as refused:
        scopes.require(frozenset(held), method, rule)
    assert refused.value.field == "scope"
    assert refused.value.message == (
        f"this integration token's scope ({' '.join(sorted(held)) or 'none'}) does not "
        f"cover {method} {rule}")


def test_a_persons_own_token_is_limited_by_its_role_alone() -> None:
    token = verify(issue(PERSON, Role.COACH))
    assert token.scopes is None
    scopes.require(token.scopes, "POST", "/cycles")


def test_an_integration_token_carries_its_scopes() -> None:
    token = verify(issue(PERSON, Role.COACH, hours=24, integration=True,
                         scopes=["sync", "reports:read"]))
    assert token.scopes == {"sync", "reports:read"}
    scopes.require(token.scopes, "POST", "/sync")
    with pytest.raises(Forbidden):
        scopes.require(token.scopes, "POST", "/coaches/<coach_id>/time-entries/import")


def test_an_integration_token_issued_without_a_scope_may_do_nothing() -> None:
    token = verify(issue(PERSON, Role.DISTRICT_LEADER, hours=24, integration=True))
    assert token.scopes == frozenset()
    with pytest.raises(Forbidden):
        scopes.require(token.scopes, "GET", "/reports/time-use")


@pytest.mark.parametrize(("wanted", "held", "asked", "role"), [
    (["reports:read"], {Role.COACH, Role.PRINCIPAL}, None, Role.PRINCIPAL),  # reads the most
    (["reports:read"], {Role.COACH, Role.PRINCIPAL}, Role.COACH, Role.COACH),
    (["reports:read"], {Role.DISTRICT_LEADER, Role.IT_ADMIN}, None, Role.DISTRICT_LEADER),
    (["sync"], {Role.COACH, Role.CLT_REP}, None, Role.COACH),
    (["sync", "reports:read"], {Role.COACH, Role.PRINCIPAL}, None, Role.COACH),
    (["roster:import"], {Role.IT_ADMIN}, None, Role.IT_ADMIN),
])
def test_a_token_is_issued_in_a_role_the_person_holds_that_its_scopes_need(
        wanted: list[str], held: set[Role], asked: Role | None, role: Role) -> None:
    assert scopes.role_for(wanted, held, asked) == role


@pytest.mark.parametrize(("wanted", "held", "asked", "reason"), [
    (["sync"], {Role.TEACHER}, None,
     "sync needs a coach and the roster does not make them one today; they hold teacher"),
    (["reports:read"], {Role.TEACHER}, None,
     "reports:read needs a district_leader or clt_rep or principal or coach and the roster "
     "does not make them one today; they hold teacher"),
    (["reports:read"], {Role.PRINCIPAL}, Role.DISTRICT_LEADER,
     "reports:read needs a district_leader and the roster does not make them one today; "
     "they hold principal"),
    (["sync", "roster:import"], {Role.COACH, Role.IT_ADMIN}, None,
     "no one role is issued the scopes roster:import, sync together: issue a token for each"),
    ([], {Role.COACH}, None, "name one or more scopes of reports:read, sync, roster:import"),
    (["everything"], {Role.COACH}, None,
     "name one or more scopes of reports:read, sync, roster:import; not everything"),
])
def test_no_token_when_no_role_fits(wanted: list[str], held: set[Role], asked: Role | None,
                                    reason: str) -> None:
    with pytest.raises(Invalid) as refused:
        scopes.role_for(wanted, held, asked)
    assert refused.value.field == "scope"
    assert refused.value.message == reason
