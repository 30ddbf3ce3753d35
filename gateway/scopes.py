"""What an integration token (a district's own app or script) may do: its scope.

A person's own token may call every route its role may. An integration token names one
or more scopes, and each request is checked against them as well as against the role
(``require``): a route no scope of the token covers is a 403 naming ``scope``. Each scope
is a set of rows of the route table (``coachops/routes.py``), so a route added to a
service's reports or to the commands an app may queue offline joins its scope by itself.

- ``reports:read``: the reports (what its role may read of them).
- ``sync``: a coach's app or script sending what it queued (``/sync`` and the commands it
  may queue), as that one coach: the token is the coach's own.
- ``roster:import``: district IT's nightly roster import.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from coachops.commands.gateway import SCOPE_NAMES
from coachops.errors import Forbidden, Invalid
from coachops.identity import Role
from coachops.routes import ROUTES, Route

RouteKey = tuple[str, str]  # (HTTP method, the route's rule)


@dataclass(frozen=True)
class Scope:
    name: str
    description: str
    routes: frozenset[RouteKey]
    # The roles it is issued in, the most a token of it may read first.
    roles: tuple[Role, ...]


def _rows(keep: Iterable[Route]) -> frozenset[RouteKey]:
    return frozenset((row.method, row.rule) for row in keep)


SCOPES: Final[dict[str, Scope]] = {scope.name: scope for scope in (
    Scope("reports:read", "read reports",
          _rows(r for r in ROUTES if r.service == "reporting" and r.method == "GET"),
          (Role.DISTRICT_LEADER, Role.CLT_REP, Role.PRINCIPAL, Role.COACH)),
    Scope("sync", "send one coach's queued work",
          _rows(r for r in ROUTES if r.synced or r.rule == "/sync"), (Role.COACH,)),
    # The import, and following it to its end (it runs in the background)
    Scope("roster:import", "import the roster",
          _rows(r for r in ROUTES if r.rule in ("/roster/import", "/roster/imports/<import_id>")),
          (Role.IT_ADMIN,)),
)}
assert tuple(SCOPES) == SCOPE_NAMES, "the scopes a request may name are these"


def unknown(names: Iterable[str]) -> list[str]:
    return sorted(set(names) - set(SCOPES))


def covers(scopes: Iterable[str], method: str, rule: str) -> bool:
    """Whether any of ``scopes`` lets its token call the route (unknown names cover none)."""
    key = ("GET" if method.upper() == "HEAD" else method.upper(), rule)
    return any(key in SCOPES[name].routes for name in scopes if name in SCOPES)


def require(scopes: frozenset[str] | None, method: str, rule: str) -> None:
    """Forbidden (403, naming ``scope``) unless the token's scopes cover the route; a
    person's own token (``None``: no scope) is limited by its role alone."""
    if scopes is None or covers(scopes, method, rule):
        return
    held = " ".join(sorted(scopes)) or "none"
    raise Forbidden(f"this integration token's scope ({held}) does not cover "
                    f"{method.upper()} {rule}", field="scope")


def role_for(scopes: Iterable[str], held: Iterable[Role], asked: Role | None = None) -> Role:
    """The role a token of ``scopes`` is issued in: one the roster gives the person today
    (``held``) that every scope is issued in, ``asked`` if given, else the one that reads the
    most. Invalid (naming ``scope``) when there is none."""
    wanted = sorted(set(scopes))
    if not wanted or unknown(wanted):
        raise Invalid(f"name one or more scopes of {', '.join(SCOPES)}"
                      + (f"; not {', '.join(unknown(wanted))}" if unknown(wanted) else ""),
                      field="scope")
    fitting = [role for role in SCOPES[wanted[0]].roles
               if all(role in SCOPES[name].roles for name in wanted)]
    if not fitting:
        raise Invalid(f"no one role is issued the scopes {', '.join(wanted)} together: issue "
                      "a token for each", field="scope")
    holding = set(held)
    usable = [role for role in fitting if role in holding and (asked in (None, role))]
    if not usable:
        needs = asked.value if asked in fitting and asked is not None else " or ".join(
            r.value for r in fitting)
        holds = ", ".join(sorted(r.value for r in holding)) or "no role (or were forgotten)"
        raise Invalid(f"{' and '.join(wanted)} needs a {needs} and the roster does not make "
                      f"them one today; they hold {holds}", field="scope")
    return usable[0]
