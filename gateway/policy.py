"""Who may call what: the gateway's one authorisation table, by role.

Every route of the gateway has one row here, and the gateway checks it before a request
reaches any service (``gateway.http.JsonHttp``): a role the row does not name gets a 403
and the refusal is logged. A route without a row stops the gateway at start, so a new
route is never open by accident.

The table is the role-level rule only. Whose cycle, which school, which region is decided
by the service that owns the roster or the data (a coach reads their own cycles, a
principal their own school's agreements), and those refusals are 403s too.

Coaching is confidential: cycle content is for its coach and teachers, so no other role
appears on a cycle row; district IT runs operations and reads no coaching content; a
district leader reads aggregates, never a cycle.
"""

from __future__ import annotations

from typing import Final

from coachops.errors import Forbidden
from coachops.identity import Actor, Role

COACH, TEACHER, PRINCIPAL = Role.COACH, Role.TEACHER, Role.PRINCIPAL
CLT_REP, LEADER, IT_ADMIN = Role.CLT_REP, Role.DISTRICT_LEADER, Role.IT_ADMIN

Route = tuple[str, str]  # (HTTP method, the route's rule as written on its @http)
OPEN: Final = "open"  # no token needed: health, the API description, static pages

AGGREGATES = frozenset({PRINCIPAL, CLT_REP, LEADER})

MATRIX: Final[dict[Route, frozenset[Role] | str]] = {
    # Operations and the description of the API
    ("GET", "/healthz"): OPEN,
    ("GET", "/readyz"): OPEN,
    ("GET", "/openapi.json"): OPEN,
    ("GET", "/docs"): OPEN,
    ("GET", "/docs/<name>"): OPEN,
    # The dashboard's static files hold no data: its pages call the report routes with
    # the person's own token
    ("GET", "/"): OPEN,
    ("GET", "/dashboard"): OPEN,
    ("GET", "/dashboard/"): OPEN,
    ("GET", "/dashboard/<path:name>"): OPEN,
    # Cycles: proposed by a coach (or started by a teacher), written by the coach
    ("POST", "/cycles"): frozenset({COACH, TEACHER}),
    ("POST", "/cycles/<cycle_id>/accept"): frozenset({TEACHER}),
    ("POST", "/cycles/<cycle_id>/decline"): frozenset({TEACHER}),
    ("POST", "/cycles/<cycle_id>/withdraw-from-reporting"): frozenset({TEACHER}),
    ("PUT", "/cycles/<cycle_id>/norms"): frozenset({COACH}),
    ("POST", "/cycles/<cycle_id>/calendar"): frozenset({COACH}),
    ("POST", "/cycles/<cycle_id>/calendar/<item_id>/reschedule"): frozenset({COACH}),
    ("POST", "/cycles/<cycle_id>/calendar/<item_id>/cancel"): frozenset({COACH}),
    ("POST", "/cycles/<cycle_id>/calendar/<item_id>/done"): frozenset({COACH}),
    ("POST", "/cycles/<cycle_id>/observations"): frozenset({COACH}),
    ("POST", "/cycles/<cycle_id>/debriefs"): frozenset({COACH}),
    ("POST", "/cycles/<cycle_id>/next-steps"): frozenset({COACH}),
    # a teacher completes the next steps they own
    ("POST", "/cycles/<cycle_id>/next-steps/<step_id>/complete"): frozenset({COACH, TEACHER}),
    ("POST", "/cycles/<cycle_id>/next-steps/<step_id>/drop"): frozenset({COACH}),
    ("POST", "/cycles/<cycle_id>/phase/back"): frozenset({COACH}),
    ("POST", "/cycles/<cycle_id>/goal"): frozenset({COACH}),
    ("POST", "/cycles/<cycle_id>/close"): frozenset({COACH}),
    ("POST", "/cycles/<cycle_id>/reopen"): frozenset({COACH}),
    ("GET", "/cycles/<cycle_id>"): frozenset({COACH, TEACHER}),
    ("GET", "/cycles/<cycle_id>/timeline"): frozenset({COACH, TEACHER}),
    ("GET", "/cycles/<cycle_id>/reads"): frozenset({COACH, TEACHER}),
    ("GET", "/coaches/<coach_id>/caseload"): frozenset({COACH}),
    ("GET", "/teachers/<teacher_id>/cycles"): frozenset({TEACHER}),
    # A coach's time: their own, and nobody else writes it
    ("POST", "/time-entries"): frozenset({COACH}),
    ("POST", "/time-entries/<entry_id>/corrections"): frozenset({COACH}),
    ("POST", "/time-entries/<entry_id>/void"): frozenset({COACH}),
    ("POST", "/coaches/<coach_id>/time-entries/import"): frozenset({COACH}),
    ("GET", "/coaches/<coach_id>/time/days/<day>"): frozenset({COACH}),
    ("GET", "/coaches/<coach_id>/time/weeks/<day>"): frozenset({COACH}),
    ("POST", "/coaches/<coach_id>/time/days/<day>/suggestions/<item_id>/confirm"):
        frozenset({COACH}),
    ("POST", "/coaches/<coach_id>/time/days/<day>/suggestions/<item_id>/dismiss"):
        frozenset({COACH}),
    # A coach's app sending what it queued offline (each item is checked as its own route)
    ("POST", "/sync"): frozenset({COACH}),
    # The district's time categories: read by those who log or report time, kept by the
    # district (its coaching leader or IT)
    ("GET", "/time-categories"): frozenset({COACH, PRINCIPAL, CLT_REP, LEADER, IT_ADMIN}),
    ("POST", "/time-categories"): frozenset({LEADER, IT_ADMIN}),
    ("POST", "/time-categories/<category_id>/rename"): frozenset({LEADER, IT_ADMIN}),
    ("POST", "/time-categories/<category_id>/retire"): frozenset({LEADER, IT_ADMIN}),
    # The roster: imported by district IT; a school's roster for its people and the district
    ("POST", "/roster/import"): frozenset({IT_ADMIN}),
    ("GET", "/schools/<school_id>/roster"): frozenset({COACH, PRINCIPAL, LEADER, IT_ADMIN}),
    # Erasing a person (a request under student-privacy law or district policy): district IT
    ("POST", "/people/<person_id>/forget"): frozenset({IT_ADMIN}),
    # Coaching agreements: between a coach and a principal
    ("POST", "/coaching-agreements"): frozenset({COACH}),
    ("POST", "/coaching-agreements/<agreement_id>/revisions"): frozenset({COACH}),
    ("POST", "/coaching-agreements/<agreement_id>/sign"): frozenset({COACH, PRINCIPAL}),
    ("POST", "/coaching-agreements/<agreement_id>/check-ins"): frozenset({COACH, PRINCIPAL}),
    ("GET", "/coaching-agreements/<agreement_id>"): frozenset({COACH, PRINCIPAL}),
    # Partnership agreements: between a coach and a teacher
    ("POST", "/partnership-agreements"): frozenset({COACH}),
    ("POST", "/partnership-agreements/<agreement_id>/agree"): frozenset({TEACHER}),
    ("GET", "/partnership-agreements/<agreement_id>"): frozenset({COACH, TEACHER}),
    # Reports: aggregates only; a coach sees their own time
    ("GET", "/reports/time-use"): AGGREGATES | {COACH},
    ("GET", "/reports/plan-alignment"): AGGREGATES | {COACH},
    ("GET", "/reports/cycle-activity"): AGGREGATES,
    ("GET", "/reports/council"): frozenset({CLT_REP, LEADER}),
    ("GET", "/schools/<school_id>/active-cycles"): AGGREGATES,
}


class UnlistedRoute(RuntimeError):
    """A route with no row in the table: the gateway refuses to start with it."""


def is_listed(method: str, rule: str) -> bool:
    return all((m, rule) in MATRIX for m in methods(method))


def methods(method: str) -> list[str]:
    """nameko lets one route answer several methods (``"GET,POST"``); each needs a row."""
    return [m.strip().upper() for m in method.split(",")]


def require_listed(method: str, rule: str) -> None:
    if not is_listed(method, rule):
        raise UnlistedRoute(f"{method} {rule} has no row in gateway/policy.py MATRIX: "
                            "say which roles may call it (or OPEN)")


def needs_token(method: str, rule: str) -> bool:
    return any(MATRIX[(m, rule)] != OPEN for m in methods(method))


def allowed_roles(method: str, rule: str) -> frozenset[Role]:
    entry = MATRIX[(method.upper(), rule)]
    return frozenset(Role) if entry == OPEN else frozenset(entry)


def authorise(actor: Actor, method: str, rule: str) -> None:
    """Forbidden (403, naming the reason) unless ``actor``'s role may call the route."""
    allowed = allowed_roles(method, rule)
    if actor.role not in allowed:
        names = ", ".join(sorted(r.value for r in allowed))
        raise Forbidden(f"a {actor.role.value} cannot {method.upper()} {rule}: it is for "
                        f"{names}", field="role")
