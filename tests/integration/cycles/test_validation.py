"""Every command and query of the gateway's cycle routes checks its input with the
command's marshmallow schema: an invalid input is a 400 naming the field, before the
cycles service is asked anything."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import requests

from tests.support.platform import Platform

from .client import Coach
from .routes import ALL, ANSWERS, Route, parametrize, worked

QUERY_PATHS = {"/cycles/{cycle_id}": "cycle_id", "/cycles/{cycle_id}/timeline": "cycle_id",
               "/coaches/{coach_id}/caseload": "coach_id",
               "/teachers/{teacher_id}/cycles": "teacher_id"}


def refused(response: requests.Response, field: str, reason: str | None = None) -> None:
    assert response.status_code == 400, response.text
    fields = response.json()["fields"]
    assert field in [f["field"] for f in fields], fields
    if reason is not None:
        assert {"field": field, "reason": reason} in fields


@pytest.fixture(scope="module")
def cycle(platform: Platform) -> Any:
    return worked(Coach(platform))


def sender(cycle: Any, route: Route) -> Any:
    """Someone the route's role allows (a teacher answers a proposal), so what is checked
    is the input, not the role."""
    return cycle.coach.teacher if route in ANSWERS else cycle.coach


@pytest.mark.parametrize(**parametrize(ALL))
def test_an_id_in_the_url_that_is_not_one_is_a_400_naming_it(cycle: Any, route: Route) -> None:
    for name in ("cycle_id", "item_id", "step_id"):
        if "{" + name + "}" in route.path:
            refused(route.send(cycle, as_=sender(cycle, route), **{name: "not-an-id"}), name,
                    "Not a valid UUID.")


@pytest.mark.parametrize(**parametrize(ALL))
def test_a_field_no_command_has_is_a_400_naming_it(cycle: Any, route: Route) -> None:
    body = {**(route.body(cycle) or {}), "teacher_name": "Ms. Rivera"}
    refused(route.send(cycle, as_=sender(cycle, route), body=body), "teacher_name",
            "Unknown field.")


@pytest.mark.parametrize(**parametrize(ALL))
def test_a_body_that_is_not_an_object_is_a_400(cycle: Any, route: Route) -> None:
    refused(route.send(cycle, as_=sender(cycle, route), body=["not", "an", "object"]),
            "_schema")


def test_a_proposal_with_bad_fields_is_a_400_naming_each(platform: Platform) -> None:
    coach = Coach(platform)
    body = coach.proposal(teacher_ids=["x"], school_id=None, focus_area_ids=[],
                          goal={"what": "", "measure": "m"})
    response = coach.post("/cycles", body)
    assert response.status_code == 400
    assert {(f["field"], f["reason"]) for f in response.json()["fields"]} == {
        ("teacher_ids.0", "Not a valid UUID."), ("school_id", "Field may not be null."),
        ("focus_area_ids", "Length must be between 1 and 10."),
        ("goal.what", "Length must be between 1 and 2000."),
        ("goal.by", "Missing data for required field."),
    }
    refused(coach.post("/cycles", coach.proposal(teacher_ids=[str(uuid.uuid4())] * 7)),
            "teacher_ids", "Length must be between 1 and 6.")


@pytest.mark.parametrize(
    ("route", "change", "field", "reason"),
    [
        ("agree_norms", {"norms": [], "agreement_id": None}, "norms",
         "give the norms agreed, or the partnership agreement"),
        ("agree_norms", {"agreement_id": "x"}, "agreement_id", "Not a valid UUID."),
        ("schedule_item", {"kind": "lunch duty"}, "kind",
         "Must be one of: walkthrough, observation, co_teach, modelled_lesson, debrief."),
        ("schedule_item", {"starts_at": "next tuesday"}, "starts_at", "Not a valid datetime."),
        ("schedule_item", {"minutes": 0}, "minutes",
         "Must be greater than or equal to 1 and less than or equal to 720."),
        ("schedule_item", {"minutes": "45"}, "minutes", "Not a valid integer."),
        ("reschedule_item", {"starts_at": None}, "starts_at", "Field may not be null."),
        ("log_observation", {"tool": "my spreadsheet"}, "tool",
         "use talk_time, question_levels, response_tally, free_notes or district:<id>"),
        ("log_observation", {"observed_on": "11/4/2026"}, "observed_on", "Not a valid date."),
        ("log_observation", {"data": [{"look_for": "talk"}]}, "data.0.count",
         "give a count or a duration in seconds"),
        ("log_observation", {"data": [{"look_for": "talk", "seconds": -5}]}, "data.0.seconds",
         "Must be greater than or equal to 0 and less than or equal to 43200."),
        ("log_observation", {"notes": "x" * 10_001}, "notes",
         "Length must be between 1 and 10000."),
        ("hold_debrief", {"progress": {"rating": 6, "text": "t"}}, "progress.rating",
         "Must be greater than or equal to 1 and less than or equal to 5."),
        ("hold_debrief", {"observation_ids": ["x"]}, "observation_ids.0", "Not a valid UUID."),
        ("hold_debrief", {"keepers": [""]}, "keepers.0", "Length must be between 1 and 500."),
        ("hold_debrief", {"evidence": None}, "evidence", "Field may not be null."),
        ("add_next_step", {"due_on": "soon"}, "due_on", "Not a valid date."),
        ("add_next_step", {"owner_id": None}, "owner_id", "Field may not be null."),
        ("add_next_step", {"text": ""}, "text", "Length must be between 1 and 1000."),
        ("mark_item_done", {"minutes": -1}, "minutes",
         "Must be greater than or equal to 1 and less than or equal to 720."),
        ("revise_goal", {"goal": {"what": "w", "measure": "m"}}, "goal.by",
         "Missing data for required field."),
        ("revise_goal", {"focus_area_ids": []}, "focus_area_ids",
         "Length must be between 1 and 10."),
        ("close_cycle", {"outcome": "great"}, "outcome",
         "Must be one of: met, partly_met, not_met."),
        ("close_cycle", {"evidence": ""}, "evidence", "Length must be between 1 and 10000."),
    ],
)
def test_a_bad_field_is_a_400_naming_it(cycle: Any, route: str, change: dict[str, Any],
                                        field: str, reason: str) -> None:
    [found] = [r for r in ALL if r.name == route]
    refused(found.send(cycle, body={**(found.body(cycle) or {}), **change}), field, reason)


@pytest.mark.parametrize(("path", "field"), QUERY_PATHS.items())
def test_a_query_with_an_id_that_is_not_one_is_a_400_naming_it(
    cycle: Any, path: str, field: str
) -> None:
    asking = cycle.coach.teacher if field == "teacher_id" else cycle.coach
    refused(asking.get(path.format(**{field: "nope"})), field, "Not a valid UUID.")


def test_a_query_parameter_the_query_does_not_have_is_a_400_naming_it(cycle: Any) -> None:
    coach = cycle.coach
    refused(coach.get(f"/coaches/{coach.id}/caseload", week_of="last week"), "week_of",
            "Not a valid date.")
    refused(coach.get(f"/coaches/{coach.id}/caseload", phase="act"), "phase", "Unknown field.")


def test_no_token_is_a_401_on_every_route(cycle: Any) -> None:
    for route in ALL:
        response = requests.request(route.method, cycle.coach.url(route.url(cycle)),
                                    json=route.body(cycle), timeout=10)
        assert response.status_code == 401, route.name
    for path, field in QUERY_PATHS.items():
        url = cycle.coach.url(path.format(**{field: cycle.cycle_id}))
        assert requests.get(url, timeout=10).status_code == 401
