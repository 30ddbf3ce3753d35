"""The thin slice, through every layer, with every service a real process: a coach
proposes a cycle at the gateway and the teacher accepts it (coaching is voluntary), the
cycles store records CycleStarted, the relay publishes it, reporting projects it, and a
read model counts it (the route answers a count this small suppressed:
``tests/integration/reporting/test_suppression.py``)."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
import requests

from tests.support.auth import bearer
from tests.support.platform import Platform, wait_until
from tests.support.reporting import active_cycles
from tests.support.roster import RosterSchool, anyone, person, school

pytestmark = pytest.mark.e2e


def start_cycle_body(platform: Platform, school: RosterSchool) -> dict[str, object]:
    """A cycle of the school's (first) coach with a teacher of the school not in one yet."""
    coach = school.coaches[0] if school.coaches else school.fresh(platform, "coach")
    return cycle_body(coach, school.fresh(platform, "teacher"), school.id)


def cycle_body(coach_id: str, teacher_id: str, school_id: str) -> dict[str, object]:
    return {
        "coach_id": coach_id,
        "teacher_ids": [teacher_id],
        "school_id": school_id,
        "focus_area_ids": ["danielson-2b"],
        "goal": {
            "what": "More students explain their reasoning aloud",
            "measure": "tally of student explanations per lesson",
            "by": (date.today() + timedelta(days=42)).isoformat(),
        },
    }


def post_cycle(platform: Platform, body: dict[str, object], **kwargs: object) -> requests.Response:
    """POST /cycles as the coach the body names: a proposal to its teacher."""
    headers = bearer(str(body["coach_id"]), "coach")
    return requests.post(f"{platform.url}/cycles", headers=headers, timeout=10,
                         **({"json": body} | kwargs))


def accept_cycle(platform: Platform, cycle_id: str, teacher_id: str) -> requests.Response:
    """POST /cycles/<id>/accept as the teacher: the proposal becomes an active cycle."""
    return requests.post(f"{platform.url}/cycles/{cycle_id}/accept", timeout=10,
                         headers=bearer(teacher_id, "teacher"))


def start_as_teacher(platform: Platform, body: dict[str, object]) -> requests.Response:
    """POST /cycles as the body's (first) teacher: a cycle the teacher starts is active."""
    teacher_ids = body["teacher_ids"]
    assert isinstance(teacher_ids, list)
    return requests.post(f"{platform.url}/cycles", json=body, timeout=10,
                         headers=bearer(str(teacher_ids[0]), "teacher"))


def test_a_started_cycle_is_counted_for_its_school(platform: Platform) -> None:
    at = school(platform, coaches=1, teachers=4)
    school_id = at.id
    assert active_cycles(platform, school_id) == 0

    proposals = []
    for _ in range(3):
        body = start_cycle_body(platform, at)
        response = post_cycle(platform, body)
        assert response.status_code == 201, response.text
        assert response.json()["status"] == "proposed"
        proposals.append((response.json()["cycle_id"], str(body["teacher_ids"][0])))
    # Published after the three proposals: had they been counted as active, this is 4.
    response = start_as_teacher(platform, start_cycle_body(platform, at))
    assert response.status_code == 201, response.text
    assert response.json()["status"] == "active"
    wait_until(lambda: active_cycles(platform, school_id) == 1, timeout=15,
               what="the teacher's own cycle in reporting")
    assert active_cycles(platform, school_id) == 1  # proposals are not active cycles

    for cycle_id, teacher_id in proposals:
        response = accept_cycle(platform, cycle_id, teacher_id)
        assert response.status_code == 200, response.text
        assert response.json()["status"] == "active"

    wait_until(lambda: active_cycles(platform, school_id) == 4, timeout=15,
               what="four active cycles in reporting")
    other_school = str(uuid.uuid4())  # no cycle, no roster: nothing to count
    assert active_cycles(platform, other_school) == 0


def test_a_malformed_request_gets_400_naming_the_field(platform: Platform) -> None:
    body = start_cycle_body(platform, school(platform, coaches=1, teachers=1))
    body["teacher_ids"] = ["not-a-uuid"]
    response = post_cycle(platform, body)
    assert response.status_code == 400
    assert response.json()["fields"] == [{"field": "teacher_ids.0", "reason": "Not a valid UUID."}]

    response = post_cycle(platform, {**body, "notes": "x"})
    assert response.status_code == 400
    assert {"field": "notes", "reason": "Unknown field."} in response.json()["fields"]


def test_a_request_that_is_not_json_is_refused_without_a_stack_trace(platform: Platform) -> None:
    coach = person(platform, "coach")
    response = requests.post(f"{platform.url}/cycles", data=b"{oops", timeout=10,
                             headers={**bearer(coach, "coach"), "Content-Type": "application/json"})
    assert response.status_code == 400
    assert "Traceback" not in response.text
    response = requests.post(f"{platform.url}/cycles", data=b"coach=1", timeout=10,
                             headers={**bearer(coach, "coach"), "Content-Type": "text/plain"})
    assert response.status_code == 415


def test_no_token_or_a_forged_one_is_a_401(platform: Platform) -> None:
    body = start_cycle_body(platform, school(platform, coaches=1, teachers=1))
    response = requests.post(f"{platform.url}/cycles", json=body, timeout=10)
    assert response.status_code == 401
    forged = {"Authorization": "Bearer " + "e30.e30.c2ln"}
    response = requests.post(f"{platform.url}/cycles", json=body, headers=forged, timeout=10)
    assert response.status_code == 401


def test_a_coach_cannot_start_a_cycle_for_another_coach(platform: Platform) -> None:
    at = school(platform, coaches=2, teachers=1)
    body = start_cycle_body(platform, at)
    response = requests.post(f"{platform.url}/cycles", json=body, timeout=10,
                             headers=bearer(at.coaches[1], "coach"))
    assert response.status_code == 403
    assert response.json()["field"] == "coach_id"


def test_a_domain_rule_is_a_422_naming_the_field(platform: Platform) -> None:
    body = start_cycle_body(platform, school(platform, coaches=1, teachers=1))
    body["teacher_ids"] = [body["coach_id"]]
    response = post_cycle(platform, body)
    assert response.status_code == 422, response.text
    assert response.json()["field"] == "teacher_ids"


def test_a_school_id_that_is_not_a_uuid_is_a_400(platform: Platform) -> None:
    response = requests.get(f"{platform.url}/schools/nope/active-cycles", timeout=10,
                            headers=anyone(platform, "district_leader"))
    assert response.status_code == 400
    assert response.json()["fields"][0]["field"] == "school_id"
