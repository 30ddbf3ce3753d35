"""Who may call what: the gateway's one authorisation table, by role.

Every route of the gateway has one row in the route table (``coachops/routes.py``), and
the gateway checks its roles before a request reaches any service
(``gateway.http.JsonHttp``): a role the row does not name gets a 403 and the refusal is
logged. A route without a row stops the gateway at start, so a new
route is never open by accident.

The table is the role-level rule only. Whose cycle, which school, which region is decided
by the service that owns the roster or the data (a coach reads their own cycles, a
principal their own school's agreements), and those refusals are 403s too.
"""

from __future__ import annotations

from typing import Final

from coachops.errors import Forbidden
from coachops.identity import Actor, Role
from coachops.routes import OPEN, ROUTES

Route = tuple[str, str]  # (HTTP method, the route's rule as written on its @http)

# Derived from the route table: a row's roles are written there, once.
MATRIX: Final[dict[Route, frozenset[Role] | str]] = {
    (row.method, row.rule): row.roles for row in ROUTES}


class UnlistedRoute(RuntimeError):
    """A route with no row in the table: the gateway refuses to start with it."""


def is_listed(method: str, rule: str) -> bool:
    """A row, and roles decided on it (an empty set is no decision)."""
    return all(MATRIX.get((m, rule)) for m in methods(method))


def methods(method: str) -> list[str]:
    """nameko lets one route answer several methods (``"GET,POST"``); each needs a row."""
    return [m.strip().upper() for m in method.split(",")]


def require_listed(method: str, rule: str) -> None:
    if not is_listed(method, rule):
        raise UnlistedRoute(f"{method} {rule} has no row in coachops/routes.py: "
                            "say which roles may call it (or OPEN)")


def needs_token(method: str, rule: str) -> bool:
    return any(MATRIX[(m, rule)] != OPEN for m in methods(method))


def allowed_roles(method: str, rule: str) -> frozenset[Role]:
    entry = MATRIX[(method.upper(), rule)]
    # OPEN is the only string a row's roles may be.
    return frozenset(Role) if isinstance(entry, str) else frozenset(entry)


def authorise(actor: Actor, method: str, rule: str) -> None:
    """Forbidden (403, naming the reason) unless ``actor``'s role may call the route."""
    allowed = allowed_roles(method, rule)
    if actor.role not in allowed:
        names = ", ".join(sorted(r.value for r in allowed))
        raise Forbidden(f"a {actor.role.value} cannot {method.upper()} {rule}: it is for "
                        f"{names}", field="role")
