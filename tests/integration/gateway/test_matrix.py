"""The authorisation matrix over real HTTP, every role against every route of the running
gateway: a role the matrix forbids gets the gateway's 403 (naming the role), a role it
allows gets past it (never 401 or 403, and with a well-formed request never 400 or a 5xx),
whatever the service then answers. Then the scope cells that keep coaching confidential,
which the services decide, and the refusal in the gateway's log."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
import requests

from coachops import clock
from coachops.identity import Role
from gateway import openapi, policy
from gateway.service import GatewayService
from tests.support.auth import bearer
from tests.support.platform import Platform

from .world import World, agreement_terms, cycle_body, entry_body, goal, partnership_body

pytestmark = pytest.mark.e2e


@dataclass(frozen=True)
class Example:
    """A well-formed request for a route, in the world's ids."""

    path: Callable[[World], str]
    body: Callable[[World], Any] | None = None  # JSON
    params: dict[str, str] | None = None


def today(days: int = 0) -> str:
    return (clock.today() + timedelta(days=days)).isoformat()


def at(days: int, hour: int) -> str:
    return f"{today(days)}T{hour:02d}:00:00"


def cycle(suffix: str = "") -> Callable[[World], str]:
    return lambda w: f"/cycles/{w.ids['cycle']}{suffix}"


def coach(suffix: str) -> Callable[[World], str]:
    return lambda w: f"/coaches/{w.who(Role.COACH)}{suffix}"


def agreement(suffix: str = "") -> Callable[[World], str]:
    return lambda w: f"/coaching-agreements/{w.ids['coaching_agreement']}{suffix}"


def partnership(suffix: str = "") -> Callable[[World], str]:
    return lambda w: f"/partnership-agreements/{w.ids['partnership_agreement']}{suffix}"


def fixed(path: str) -> Callable[[World], str]:
    return lambda w: path


ITEM = "7c1f6a1e-0000-4000-8000-000000000001"  # ids the services will not find: a 404
STEP = "7c1f6a1e-0000-4000-8000-000000000002"
TIME_CSV = "worked_on,start,end,category_id\n{day},05:00,05:20,co-planning\n"

EXAMPLES: dict[tuple[str, str], Example] = {
    ("POST", "/cycles"): Example(fixed("/cycles"), cycle_body),
    ("POST", "/cycles/<cycle_id>/accept"): Example(cycle("/accept")),
    ("POST", "/cycles/<cycle_id>/decline"): Example(cycle("/decline")),
    ("POST", "/cycles/<cycle_id>/withdraw-from-reporting"): Example(
        cycle("/withdraw-from-reporting")),
    ("PUT", "/cycles/<cycle_id>/norms"): Example(
        cycle("/norms"), lambda w: {"norms": ["debrief within 24 hours"]}),
    ("POST", "/cycles/<cycle_id>/calendar"): Example(
        cycle("/calendar"), lambda w: {"kind": "co_teach", "starts_at": at(2, 10),
                                       "minutes": 50}),
    ("POST", "/cycles/<cycle_id>/calendar/<item_id>/reschedule"): Example(
        cycle(f"/calendar/{ITEM}/reschedule"), lambda w: {"starts_at": at(3, 10)}),
    ("POST", "/cycles/<cycle_id>/calendar/<item_id>/cancel"): Example(
        cycle(f"/calendar/{ITEM}/cancel")),
    ("POST", "/cycles/<cycle_id>/calendar/<item_id>/done"): Example(
        cycle(f"/calendar/{ITEM}/done")),
    ("POST", "/cycles/<cycle_id>/observations"): Example(
        cycle("/observations"),
        lambda w: {"observed_on": today(), "minutes": 45, "tool": "response_tally",
                   "data": [{"look_for": "student explains", "count": 7}]}),
    ("POST", "/cycles/<cycle_id>/debriefs"): Example(
        cycle("/debriefs"),
        lambda w: {"held_on": today(), "minutes": 30, "evidence": "7 explanations",
                   "progress": {"rating": 3, "text": "halfway"}}),
    ("POST", "/cycles/<cycle_id>/next-steps"): Example(
        cycle("/next-steps"),
        lambda w: {"text": "try think-pair-share", "owner_id": str(w.who(Role.TEACHER)),
                   "due_on": today(2)}),
    ("POST", "/cycles/<cycle_id>/next-steps/<step_id>/complete"): Example(
        cycle(f"/next-steps/{STEP}/complete")),
    ("POST", "/cycles/<cycle_id>/next-steps/<step_id>/drop"): Example(
        cycle(f"/next-steps/{STEP}/drop")),
    ("POST", "/cycles/<cycle_id>/phase/back"): Example(cycle("/phase/back")),
    ("POST", "/cycles/<cycle_id>/goal"): Example(cycle("/goal"), lambda w: {"goal": goal()}),
    ("POST", "/cycles/<cycle_id>/close"): Example(
        cycle("/close"), lambda w: {"outcome": "met", "evidence": "tallies doubled"}),
    ("POST", "/cycles/<cycle_id>/reopen"): Example(cycle("/reopen")),
    ("GET", "/cycles/<cycle_id>"): Example(cycle()),
    ("GET", "/cycles/<cycle_id>/timeline"): Example(cycle("/timeline")),
    ("GET", "/cycles/<cycle_id>/reads"): Example(cycle("/reads")),
    ("GET", "/coaches/<coach_id>/caseload"): Example(coach("/caseload")),
    ("GET", "/teachers/<teacher_id>/cycles"): Example(
        lambda w: f"/teachers/{w.who(Role.TEACHER)}/cycles"),
    ("POST", "/time-entries"): Example(fixed("/time-entries"),
                                       lambda w: entry_body(w, "08:00")),
    ("POST", "/time-entries/<entry_id>/corrections"): Example(
        lambda w: f"/time-entries/{w.ids['entry']}/corrections",
        lambda w: {"reason": "started later", "start": "07:10"}),
    ("POST", "/time-entries/<entry_id>/void"): Example(
        lambda w: f"/time-entries/{w.ids['entry']}/void",
        lambda w: {"reason": "logged twice"}),
    ("POST", "/coaches/<coach_id>/time-entries/import"): Example(
        coach("/time-entries/import"),
        lambda w: {"csv": TIME_CSV.format(day=today()), "school_id": str(w.school())}),
    ("GET", "/coaches/<coach_id>/time/days/<day>"): Example(
        lambda w: f"/coaches/{w.who(Role.COACH)}/time/days/{today()}"),
    ("GET", "/coaches/<coach_id>/time/weeks/<day>"): Example(
        lambda w: f"/coaches/{w.who(Role.COACH)}/time/weeks/{today()}"),
    ("POST", "/coaches/<coach_id>/time/days/<day>/suggestions/<item_id>/confirm"): Example(
        lambda w: f"/coaches/{w.who(Role.COACH)}/time/days/{today()}/suggestions/{ITEM}"
                  "/confirm"),
    ("POST", "/coaches/<coach_id>/time/days/<day>/suggestions/<item_id>/dismiss"): Example(
        lambda w: f"/coaches/{w.who(Role.COACH)}/time/days/{today()}/suggestions/{ITEM}"
                  "/dismiss"),
    ("GET", "/time-categories"): Example(fixed("/time-categories")),
    ("POST", "/time-categories"): Example(
        fixed("/time-categories"), lambda w: {"label": f"Bus duty {w.tag}", "kind": "other"}),
    ("POST", "/time-categories/<category_id>/rename"): Example(
        lambda w: f"/time-categories/{w.ids['category']}/rename",
        lambda w: {"label": f"Gateway duty, renamed {w.tag}"}),
    ("POST", "/time-categories/<category_id>/retire"): Example(
        lambda w: f"/time-categories/{w.ids['category']}/retire"),
    # Refused for its contents (an unknown school): checks the role, changes nothing.
    # Dry runs of history naming nobody the roster has: refused whole (422), nothing recorded.
    ("POST", "/history/agreements"): Example(fixed("/history/agreements"), lambda w: {
        "dry_run": True, "csv": "coach_id,school_id,school_year,focus_areas,coach_role,"
        f"not_coach_role,coach_signed_on,principal_signed_on\n{ITEM},{STEP},2026,literacy,"
        f"Co-plan,Covering,{today(-1)},{today(-1)}\n"}),
    ("POST", "/history/cycles"): Example(fixed("/history/cycles"), lambda w: {
        "dry_run": True, "csv": "coach_id,teacher_ids,school_id,focus_area_ids,goal_what,"
        f"goal_measure,goal_by,started_on\n{ITEM},{STEP},{STEP},literacy,Read,Tally,"
        f"{today(30)},{today(-1)}\n"}),
    ("POST", "/history/time-entries"): Example(fixed("/history/time-entries"), lambda w: {
        "dry_run": True, "csv": f"coach_id,date,minutes,category,school_id\n"
        f"{ITEM},{today(-1)},20,co-planning,{STEP}\n"}),
    ("POST", "/roster/import"): Example(
        fixed("/roster/import"),
        lambda w: {**w.district.files(), "assignments": "kind,person_sourced_id,"
                   "school_sourced_id,region_code,effective_on\n"
                   "coach,gw-nobody,gw-nowhere,,2026-08-01\n"}),
    # An import nobody started: checks the role (404 from the service).
    ("GET", "/roster/imports/<import_id>"): Example(
        fixed("/roster/imports/0b1c2d3e-4f50-4a61-8b72-c3d4e5f60789")),
    ("GET", "/schools/<school_id>/roster"): Example(lambda w: f"/schools/{w.school()}/roster"),
    # Someone on no roster: checks the role, erases nobody (404 from the service).
    ("POST", "/people/<person_id>/forget"): Example(fixed(f"/people/{ITEM}/forget")),
    ("GET", "/people"): Example(fixed("/people"), params={"q": "gw-"}),
    ("GET", "/roster/regions"): Example(fixed("/roster/regions")),
    ("GET", "/roster/schools"): Example(fixed("/roster/schools"), params={"on": today()}),
    ("GET", "/roster/unset"): Example(fixed("/roster/unset"), params={"on": today()}),
    # Someone on no roster made a coach: checks the role, changes nothing (404).
    ("POST", "/roster/setup"): Example(fixed("/roster/setup"), lambda w: {
        "kind": "coach", "person_id": ITEM, "school_id": str(w.school())}),
    ("GET", "/roster/people"): Example(fixed("/roster/people"), params={"limit": "5"}),
    # Someone on no roster: every role may ask (each about whom it sees), 404 for all.
    ("GET", "/roster/people/<person_id>"): Example(fixed(f"/roster/people/{ITEM}")),
    # District IT's integration tokens: for nobody on the roster (404), issuing nothing;
    # revoking a token never issued (404).
    ("GET", "/integration-tokens"): Example(fixed("/integration-tokens")),
    ("POST", "/integration-tokens"): Example(fixed("/integration-tokens"), lambda w: {
        "person": "gw-nobody@nowhere.example", "scopes": ["reports:read"], "label": "x"}),
    ("POST", "/integration-tokens/<token_id>/revoke"): Example(
        fixed(f"/integration-tokens/{ITEM}/revoke")),
    ("GET", "/dead-letters"): Example(fixed("/dead-letters")),
    ("POST", "/coaching-agreements"): Example(
        fixed("/coaching-agreements"),
        lambda w: {"school_id": str(w.school()), "school_year": clock.today().year + 1,
                   **agreement_terms()}),
    ("POST", "/coaching-agreements/<agreement_id>/revisions"): Example(
        agreement("/revisions"), lambda w: agreement_terms()),
    ("POST", "/coaching-agreements/<agreement_id>/sign"): Example(
        agreement("/sign"), lambda w: {"version": 1}),
    ("POST", "/coaching-agreements/<agreement_id>/check-ins"): Example(
        agreement("/check-ins"), lambda w: {"held_on": today(), "notes": "on track"}),
    ("GET", "/coaching-agreements/<agreement_id>"): Example(agreement()),
    ("POST", "/partnership-agreements"): Example(fixed("/partnership-agreements"),
                                                 partnership_body),
    ("POST", "/partnership-agreements/<agreement_id>/agree"): Example(partnership("/agree")),
    ("GET", "/partnership-agreements/<agreement_id>"): Example(partnership()),
    ("GET", "/me"): Example(fixed("/me")),
    ("GET", "/reports/time-use"): Example(fixed("/reports/time-use")),
    ("GET", "/reports/plan-alignment"): Example(fixed("/reports/plan-alignment")),
    ("GET", "/reports/cycle-activity"): Example(fixed("/reports/cycle-activity")),
    ("GET", "/reports/council"): Example(fixed("/reports/council")),
    ("GET", "/schools/<school_id>/active-cycles"): Example(
        lambda w: f"/schools/{w.school()}/active-cycles"),
    # An item its command's schema refuses: answered in the batch, reaching no service.
    ("POST", "/sync"): Example(fixed("/sync"), lambda w: {"items": [
        {"client_id": ITEM, "command": "record_time_entry", "body": {}}]}),
}

ROUTES = sorted({(r.method, r.rule) for r in openapi.routes(GatewayService)})
GUARDED = [r for r in ROUTES if policy.needs_token(*r)]
OPEN = [r for r in ROUTES if not policy.needs_token(*r)]


def send(world: World, role: Role | None, route: tuple[str, str]) -> Any:
    example = EXAMPLES[route]
    body = example.body(world) if example.body else None
    return world.call(role, route[0], example.path(world), json=body, params=example.params,
                      allow_redirects=False)


def test_every_guarded_route_has_an_example() -> None:
    assert sorted(EXAMPLES) == GUARDED


@pytest.mark.parametrize("role", list(Role), ids=str)
@pytest.mark.parametrize("route", GUARDED, ids=" ".join)
def test_every_role_against_every_route(world: World, route: tuple[str, str],
                                        role: Role) -> None:
    response = send(world, role, route)
    if role in policy.allowed_roles(*route):
        assert response.status_code not in (400, 401, 403), response.text
        assert response.status_code < 500, response.text
    else:
        assert response.status_code == 403, response.text
        refusal = response.json()
        assert refusal["error"] == "Forbidden"
        assert refusal["field"] == "role"  # the matrix's refusal, not a service's
        assert refusal["message"].startswith(f"a {role.value} cannot {route[0]} {route[1]}")


@pytest.mark.parametrize("route", GUARDED, ids=" ".join)
def test_no_token_is_a_401_on_every_guarded_route(world: World, route: tuple[str, str]) -> None:
    response = send(world, None, route)
    assert response.status_code == 401, response.text
    assert response.json()["error"] == "Unauthorized"
    assert response.headers["WWW-Authenticate"] == "Bearer"


# District sign-in's routes answer anyone too; here, with no provider set up and no
# session: not set up (404), or no session to change (401). tests/.../test_signin.py has more.
SIGN_IN = {("GET", "/auth/signin"): 404, ("GET", "/auth/callback"): 404,
           ("POST", "/auth/role"): 401}


@pytest.mark.parametrize("route", OPEN, ids=" ".join)
def test_open_routes_need_no_token(world: World, route: tuple[str, str]) -> None:
    path = route[1].replace("<path:name>", "index.html").replace("<name>", "docs.js")
    response = world.call(None, route[0], path, allow_redirects=False)
    assert response.status_code in (200, 301, 302, SIGN_IN.get(route)), (
        path, response.status_code)


# Scope: the role may call the route, but not on someone else's cycle, school or region.
# These refusals come from the service that knows the roster (field: the id at fault).
SCOPE_CELLS = [
    ("a coach on another coach's cycle", Role.COACH, 2, "GET", cycle(), "cycle_id"),
    ("a coach on another coach's cycle timeline", Role.COACH, 2, "GET", cycle("/timeline"),
     "cycle_id"),
    ("a coach writing another coach's cycle", Role.COACH, 2, "POST", cycle("/phase/back"),
     "cycle_id"),
    ("a teacher not in the cycle", Role.TEACHER, 2, "GET", cycle(), "cycle_id"),
    ("a coach on another coach's caseload", Role.COACH, 2, "GET", coach("/caseload"),
     "coach_id"),
    ("a principal of another school on an agreement", Role.PRINCIPAL, 2, "GET", agreement(),
     "agreement_id"),
    ("a principal of another school signing an agreement", Role.PRINCIPAL, 2, "POST",
     agreement("/sign"), "agreement_id"),
    ("a coach on another coach's partnership", Role.COACH, 2, "GET", partnership(),
     "agreement_id"),
    ("a coach on another coach's day", Role.COACH, 2, "GET",
     lambda w: f"/coaches/{w.who(Role.COACH)}/time/days/{today()}", "coach_id"),
    ("a principal on another school's roster", Role.PRINCIPAL, 2, "GET",
     lambda w: f"/schools/{w.school()}/roster", "school_id"),
    ("a principal on another school's active cycles", Role.PRINCIPAL, 2, "GET",
     lambda w: f"/schools/{w.school()}/active-cycles", "school_id"),
    ("a coach reading another person on the roster", Role.COACH, 2, "GET",
     lambda w: f"/roster/people/{w.who(Role.COACH)}", "person_id"),
    ("a principal reading another school's person on the roster", Role.PRINCIPAL, 2, "GET",
     lambda w: f"/roster/people/{w.who(Role.TEACHER)}", "person_id"),
    ("a principal listing another school's people", Role.PRINCIPAL, 2, "GET",
     lambda w: f"/roster/people?school_id={w.school()}", "school_id"),
]


@pytest.mark.parametrize(("case", "role", "n", "method", "path", "field"), SCOPE_CELLS,
                         ids=[c[0] for c in SCOPE_CELLS])
def test_scope_is_checked_by_the_service_that_knows_the_roster(
        world: World, case: str, role: Role, n: int, method: str,
        path: Callable[[World], str], field: str) -> None:
    body = {"version": 1} if path(world).endswith("/sign") else None
    response = world.call(role, method, path(world), n=n, json=body)
    assert response.status_code == 403, (case, response.text)
    assert response.json()["field"] == field


def test_a_principal_sees_only_their_own_schools_report(world: World) -> None:
    other = world.call(Role.PRINCIPAL, "GET", "/reports/time-use", n=2,
                       params={"school_id": str(world.school(1))})
    assert other.status_code == 403, other.text
    own = world.call(Role.PRINCIPAL, "GET", "/reports/time-use",
                     params={"school_id": str(world.school(1))})
    assert own.status_code == 200, own.text


def test_cycle_content_is_never_for_a_district_leader_or_district_it(world: World) -> None:
    for role in (Role.DISTRICT_LEADER, Role.IT_ADMIN, Role.PRINCIPAL, Role.CLT_REP):
        for path in (cycle(), cycle("/timeline")):
            response = world.call(role, "GET", path(world))
            assert response.status_code == 403, (role, response.text)
            assert response.json()["field"] == "role"


def test_a_refusal_is_logged_with_who_the_role_and_the_route(world: World,
                                                            platform: Platform) -> None:
    refused = world.call(Role.DISTRICT_LEADER, "GET", cycle("/timeline")(world))
    assert refused.status_code == 403
    line = (f"refused: person {world.who(Role.DISTRICT_LEADER)} as district_leader on GET "
            f"/cycles/<cycle_id>/timeline (/cycles/{world.ids['cycle']}/timeline)")
    assert line in platform["gateway"].log()
    scoped = world.call(Role.COACH, "GET", cycle()(world), n=2)
    assert scoped.status_code == 403
    assert (f"refused: person {world.who(Role.COACH, 2)} as coach on GET /cycles/<cycle_id>"
            in platform["gateway"].log())


# The roster decides every write that names a school, a coach or a teacher: a cycle names
# a coach assigned to its school and teachers of that school, and so does every other
# write (the world: coach n and teacher n at school n, principal 1 of school 1).
def proposal(w: World, school: int = 1, coach_n: int = 1, teacher: int = 1) -> dict[str, Any]:
    return {**cycle_body(w), "school_id": str(w.school(school)),
            "coach_id": str(w.who(Role.COACH, coach_n)),
            "teacher_ids": [str(w.who(Role.TEACHER, teacher))]}


ROSTER_WRITES = [
    ("a coach proposing at a school they are not assigned to", Role.COACH, 1, "POST",
     "/cycles", lambda w: proposal(w, school=2, teacher=2), 403, "school_id"),
    ("a coach proposing with a teacher of another school", Role.COACH, 1, "POST", "/cycles",
     lambda w: proposal(w, teacher=2), 422, "teacher_ids"),
    ("a teacher starting a cycle with a coach not at their school", Role.TEACHER, 1, "POST",
     "/cycles", lambda w: proposal(w, coach_n=2), 422, "coach_id"),
    ("a teacher starting a cycle at a school that is not theirs", Role.TEACHER, 1, "POST",
     "/cycles", lambda w: proposal(w, school=2, coach_n=2), 403, "school_id"),
    ("a principal holding a coach's token", None, 1, "POST", "/cycles",
     lambda w: proposal(w), 403, "role"),
    ("a coach logging time at another school", Role.COACH, 1, "POST", "/time-entries",
     lambda w: {**entry_body(w, "05:00"), "school_id": str(w.school(2))}, 422, "school_id"),
    ("a coach drafting a partnership with another school's teacher", Role.COACH, 1, "POST",
     "/partnership-agreements",
     lambda w: {**partnership_body(w), "teacher_id": str(w.who(Role.TEACHER, 2))}, 422,
     "teacher_id"),
    ("a coach drafting a coaching agreement at another school", Role.COACH, 1, "POST",
     "/coaching-agreements",
     lambda w: {"school_id": str(w.school(2)), "school_year": clock.today().year,
                **agreement_terms()}, 403, "school_id"),
]


@pytest.mark.parametrize(("case", "role", "n", "method", "path", "body", "status", "field"),
                         ROSTER_WRITES, ids=[c[0] for c in ROSTER_WRITES])
def test_the_roster_decides_every_write(world: World, case: str, role: Role | None, n: int,
                                        method: str, path: str, body: Callable[[World], Any],
                                        status: int, field: str) -> None:
    if role is None:  # the school's principal, in a coach's role they do not hold
        headers = bearer(world.who(Role.PRINCIPAL), Role.COACH)
        response = requests.request(method, f"{world.platform.url}{path}", json=body(world),
                                    headers=headers, timeout=30)
    else:
        response = world.call(role, method, path, n=n, json=body(world))
    assert response.status_code == status, (case, response.text)
    assert response.json()["field"] == field, (case, response.text)
