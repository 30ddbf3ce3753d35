"""Every rule of a cycle, as the HTTP answer a person gets through the gateway: 403 for
anyone but the coach writing (the teacher accepts, declines, completes their own steps
and reads), 404 for an unknown id, 422 for a closed cycle and each broken domain rule;
always naming the field."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from gateway import policy
from tests.support.platform import Platform

from .client import Coach, Person, Teacher, today
from .routes import ALL, ANSWERS, COMMANDS, QUERIES, REOPEN, Route, parametrize, worked


def problem(response, status: int, field: str) -> str:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.text
    body = response.json()
    assert body["field"] == field, body
    assert {"field": field, "reason": body["message"]} in body["fields"]
    return str(body["message"])


def scope_field(who: Person, method: str, path: str, field: str) -> str:
    """The field a refusal names: the gateway's matrix refuses a role that may never call
    the route ("role"); the service refuses the rest naming the id at fault."""
    rule = path.replace("{", "<").replace("}", ">")
    return field if who.role in policy.allowed_roles(method, rule) else "role"


@pytest.mark.parametrize(**parametrize(COMMANDS))
def test_the_coach_can_send_each_command(platform: Platform, route: Route) -> None:
    w = worked(Coach(platform))
    response = route.send(w)
    assert response.status_code == route.status, response.text


@pytest.mark.parametrize(**parametrize([*COMMANDS, REOPEN]))
def test_only_the_cycles_coach_writes_it(platform: Platform, route: Route) -> None:
    w = worked(Coach(platform))
    strangers = [w.coach.teacher, Person(platform, "coach"), Person(platform, "principal"),
                 Person(platform, "coach", w.coach.teacher.id)]
    for who in strangers:
        # Its teacher may complete steps, their own: the coach's step is refused as such.
        own_step_rule = route.name == "complete_next_step" and who is w.coach.teacher
        impostor = who.role == "coach" and who.id == w.coach.teacher.id  # not on the roster
        message = problem(route.send(w, as_=who), 403,
                          "step_id" if own_step_rule else "role" if impostor else
                          scope_field(who, route.method, route.path, "cycle_id"))
        assert ("their own next steps" if own_step_rule else "coach") in message


def test_a_teacher_completes_their_own_step_and_not_the_coachs(platform: Platform) -> None:
    coach = Coach(platform)
    w = worked(coach)
    own = coach.ok(coach.post(f"/cycles/{w.cycle_id}/next-steps", coach.step()), 201)["step_id"]
    problem(coach.teacher.post(f"/cycles/{w.cycle_id}/next-steps/{w.step_id}/complete"), 403,
            "step_id")
    done = coach.ok(coach.teacher.post(f"/cycles/{w.cycle_id}/next-steps/{own}/complete"))
    assert done["next_steps"]["label"] == "1/2 next steps complete"


@pytest.mark.parametrize(**parametrize(COMMANDS))
def test_nothing_but_reopen_on_a_closed_cycle(platform: Platform, route: Route) -> None:
    w = worked(Coach(platform))
    w.coach.ok(w.coach.post(f"/cycles/{w.cycle_id}/close",
                            {"outcome": "not_met", "evidence": "no change"}))
    message = problem(route.send(w), 422, "cycle_id")
    assert "closed: reopen it" in message
    w.coach.ok(REOPEN.send(w))
    assert route.send(w).status_code == route.status


@pytest.mark.parametrize(**parametrize(COMMANDS))
def test_nothing_before_the_teacher_accepts(platform: Platform, route: Route) -> None:
    w = worked(Coach(platform))
    w.cycle_id = w.coach.propose()
    assert "has not accepted" in problem(route.send(w), 422, "cycle_id")


@pytest.mark.parametrize(**parametrize(ALL))
def test_an_unknown_cycle_is_a_404(platform: Platform, route: Route) -> None:
    w = worked(Coach(platform))
    who = w.coach.teacher if route in ANSWERS else w.coach
    problem(route.send(w, as_=who, cycle_id=str(uuid.uuid4())), 404, "cycle_id")


@pytest.mark.parametrize("path", QUERIES)
def test_reading_an_unknown_cycle_is_a_404_and_someone_elses_a_403(
    platform: Platform, path: str
) -> None:
    coach = Coach(platform)
    cycle_id = coach.active_cycle()
    problem(coach.get(path.format(cycle_id=str(uuid.uuid4()))), 404, "cycle_id")
    for stranger in (Person(platform, "principal"), Person(platform, "district_leader"),
                     Person(platform, "coach"), Teacher(platform)):
        problem(stranger.get(path.format(cycle_id=cycle_id)), 403,
                scope_field(stranger, "GET", path, "cycle_id"))
    coach.ok(coach.teacher.get(path.format(cycle_id=cycle_id)))


@pytest.mark.parametrize(
    ("path", "field"),
    [("/cycles/{cycle_id}/calendar/{other}/reschedule", "item_id"),
     ("/cycles/{cycle_id}/calendar/{other}/cancel", "item_id"),
     ("/cycles/{cycle_id}/calendar/{other}/done", "item_id"),
     ("/cycles/{cycle_id}/next-steps/{other}/complete", "step_id"),
     ("/cycles/{cycle_id}/next-steps/{other}/drop", "step_id")],
)
def test_an_unknown_item_or_step_is_a_404(platform: Platform, path: str, field: str) -> None:
    coach = Coach(platform)
    cycle_id = coach.active_cycle()
    body = {"starts_at": "2030-01-07T09:00"} if "reschedule" in path else None
    problem(coach.post(path.format(cycle_id=cycle_id, other=uuid.uuid4()), body), 404, field)


def test_unknown_ids_in_a_body_are_a_404(platform: Platform) -> None:
    coach = Coach(platform)
    cycle_id = coach.active_cycle()
    problem(coach.post(f"/cycles/{cycle_id}/debriefs",
                       coach.debrief(observation_ids=[str(uuid.uuid4())])), 404,
            "observation_ids")
    problem(coach.post(f"/cycles/{cycle_id}/observations",
                       coach.observation(calendar_item_id=str(uuid.uuid4()))), 404,
            "calendar_item_id")


@pytest.mark.parametrize(
    ("make", "field", "words"),
    [
        (lambda c: c.step(due_on=(today() - timedelta(days=1)).isoformat()), "due_on",
         "cannot be due in the past"),
        (lambda c: c.step(owner_id=str(uuid.uuid4())), "owner_id", "coach or one of its"),
    ],
)
def test_a_next_step_breaking_a_rule_is_a_422(platform: Platform, make, field: str,  # type: ignore[no-untyped-def]
                                              words: str) -> None:
    coach = Coach(platform)
    cycle_id = coach.active_cycle()
    assert words in problem(coach.post(f"/cycles/{cycle_id}/next-steps", make(coach)), 422,
                            field)


def test_other_domain_rules_are_a_422_naming_the_field(platform: Platform) -> None:
    coach = Coach(platform)
    cycle_id = coach.active_cycle()
    tomorrow = (today() + timedelta(days=1)).isoformat()
    problem(coach.post(f"/cycles/{cycle_id}/phase/back"), 422, "phase")
    problem(coach.post(f"/cycles/{cycle_id}/observations",
                       coach.observation(observed_on=tomorrow)), 422, "observed_on")
    problem(coach.post(f"/cycles/{cycle_id}/observations",
                       coach.observation(data=[], notes=None)), 422, "data")
    problem(coach.post(f"/cycles/{cycle_id}/reopen"), 422, "cycle_id")
    problem(coach.teacher.accept(cycle_id), 422, "cycle_id")  # already active
    problem(coach.post("/cycles", coach.proposal(teacher_ids=[coach.id])), 422, "teacher_ids")
    past_goal = coach.proposal()
    past_goal["goal"]["by"] = (today() - timedelta(days=1)).isoformat()
    problem(coach.post("/cycles", past_goal), 422, "goal.by")


def test_only_a_coach_sees_their_caseload_and_a_teacher_their_cycles(
    platform: Platform,
) -> None:
    coach = Coach(platform)
    problem(Person(platform, "coach").get(f"/coaches/{coach.id}/caseload"), 403, "coach_id")
    problem(Person(platform, "principal").get(f"/coaches/{coach.id}/caseload"), 403,
            "role")
    problem(Teacher(platform).get(f"/teachers/{coach.teacher.id}/cycles"), 403, "teacher_id")
    problem(coach.get(f"/teachers/{coach.teacher.id}/cycles"), 403, "role")
