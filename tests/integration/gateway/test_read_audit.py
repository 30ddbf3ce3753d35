"""Every answer that shows a cycle's sealed content (its goal, norms, observation notes and
data, debriefs, next steps) is a read recorded in that cycle's audit
(``GET /cycles/<id>/reads``): every route of ``gateway/policy.py`` is walked, as every role
it allows, against a world of its own whose two cycles hold content marked as theirs."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
import requests

from coachops.identity import Role
from gateway import policy
from tests.support.platform import Platform

from .test_matrix import send, today
from .world import World, build

pytestmark = pytest.mark.e2e


def marked(w: World, name: str, what: str) -> str:
    """A text of cycle ``name``, found in an answer only if that cycle's content is in it."""
    return f"sealed {what} of cycle {name} in world {w.tag}"


def with_content(w: World) -> dict[str, list[str]]:
    """Content in the world's cycle (A) and in a second one of the same coach and teacher
    (B); the marked texts of each."""
    coach, teacher = w.who(Role.COACH), w.who(Role.TEACHER)
    b_goal = {"what": marked(w, "B", "goal"), "measure": marked(w, "B", "measure"),
              "by": today(40)}
    b = w.ok(w.call(Role.COACH, "POST", "/cycles", json={
        "coach_id": str(coach), "teacher_ids": [str(teacher)], "school_id": str(w.school()),
        "focus_area_ids": ["danielson-2b"], "goal": b_goal}), 201)["cycle_id"]
    w.ok(w.call(Role.TEACHER, "POST", f"/cycles/{b}/accept"))
    w.ids["cycle_b"] = b
    a = f"/cycles/{w.ids['cycle']}"
    w.ok(w.call(Role.COACH, "PUT", f"{a}/norms", json={"norms": [marked(w, "A", "norm")]}))
    w.ok(w.call(Role.COACH, "POST", f"{a}/observations", json={
        "observed_on": today(), "minutes": 30, "tool": "response_tally",
        "notes": marked(w, "A", "notes"),
        "data": [{"look_for": f"look-for A {w.tag}", "count": 4}]}), 201)
    w.ok(w.call(Role.COACH, "POST", f"{a}/debriefs", json={
        "held_on": today(), "minutes": 20, "evidence": marked(w, "A", "evidence"),
        "keepers": [marked(w, "A", "keeper")],
        "progress": {"rating": 2, "text": marked(w, "A", "progress")}}), 201)
    w.ok(w.call(Role.COACH, "POST", f"{a}/next-steps", json={
        "text": marked(w, "A", "next step"), "owner_id": str(teacher),
        "due_on": today(1)}), 201)
    return {
        w.ids["cycle"]: [marked(w, "A", what) for what in
                         ("norm", "notes", "evidence", "keeper", "progress", "next step")]
        + [f"look-for A {w.tag}"],
        b: [marked(w, "B", "goal"), marked(w, "B", "measure")],
    }


def patiently(call: Callable[[], requests.Response]) -> requests.Response:
    """``call``, again after the wait a 429 names: the walk sends many requests as one
    coach, and the gateway slows a flood from one sign-in."""
    response = call()
    while response.status_code == 429:
        time.sleep(int(response.headers.get("Retry-After", "1")))
        response = call()
    return response


def reads_of(w: World, cycle_id: str) -> list[dict[str, Any]]:
    response = patiently(lambda: w.call(Role.COACH, "GET", f"/cycles/{cycle_id}/reads"))
    reads: list[dict[str, Any]] = w.ok(response)["reads"]
    return reads


def test_every_route_that_shows_sealed_content_records_the_read(platform: Platform) -> None:
    w = build(platform)
    sealed = with_content(w)
    # Every route of the matrix that takes a token: reads first, while both cycles hold
    # their content; then every command.
    routes = sorted((route for route in policy.MATRIX if policy.needs_token(*route)),
                    key=lambda route: (route[0] != "GET", route))
    known = {cycle: len(reads_of(w, cycle)) for cycle in sealed}
    shown: set[tuple[str, str]] = set()
    unrecorded = []
    for route in routes:
        for role in sorted(policy.allowed_roles(*route), key=lambda r: r.value):
            response = patiently(lambda route=route, role=role: send(w, role, route))
            for cycle, texts in sealed.items():
                if not any(text in response.text for text in texts):
                    continue
                shown.add(route)
                reads = reads_of(w, cycle)
                if str(w.who(role)) not in [r["reader_id"] for r in reads[known[cycle]:]]:
                    unrecorded.append((route, role.value, cycle))
                known[cycle] = len(reads)
    assert unrecorded == []
    # The walk saw the content where it is: else it proves nothing.
    assert {("GET", "/cycles/<cycle_id>"), ("GET", "/cycles/<cycle_id>/timeline"),
            ("GET", "/coaches/<coach_id>/caseload"),
            ("GET", "/teachers/<teacher_id>/cycles")} <= shown
