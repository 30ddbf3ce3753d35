"""What the gateway answers to requests it cannot take, over HTTP: every answer JSON, every
error a clear status (415, 413, 400 naming the field), and a 503 with Retry-After when a
service does not answer, with the gateway still serving afterwards."""

from __future__ import annotations

import json
import time

import pytest
import requests

from coachops.identity import Role
from gateway.http import MAX_BODY_BYTES
from tests.e2e.test_slice import start_cycle_body
from tests.support.auth import bearer
from tests.support.platform import Platform
from tests.support.roster import school

from .world import World, cycle_body, entry_body

pytestmark = pytest.mark.e2e


def test_a_body_that_is_not_json_is_a_415(world: World) -> None:
    response = world.call(Role.COACH, "POST", "/time-entries",
                          data="coach_id=me&minutes=30",
                          headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 415, response.text
    assert response.json()["error"] == "Unsupported Media Type"


def test_a_body_over_the_limit_is_a_413(world: World) -> None:
    body = {**entry_body(world, "09:00"), "note": "x" * (MAX_BODY_BYTES + 1)}
    response = world.call(Role.COACH, "POST", "/time-entries", data=json.dumps(body),
                          headers={"Content-Type": "application/json"})
    assert response.status_code == 413, response.text
    assert response.json()["error"] == "Request Entity Too Large"


def test_an_unknown_field_is_a_400_naming_it(world: World) -> None:
    body = {**cycle_body(world), "teacher_name": "Ms Example"}
    response = world.call(Role.COACH, "POST", "/cycles", json=body)
    assert response.status_code == 400, response.text
    assert response.json() == {"error": "invalid request",
                               "fields": [{"field": "teacher_name", "reason": "Unknown field."}]}


def test_malformed_json_is_a_400(world: World) -> None:
    response = world.call(Role.COACH, "POST", "/cycles", data='{"coach_id": ',
                          headers={"Content-Type": "application/json"})
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "Bad Request"


def test_a_service_that_does_not_answer_is_a_503_with_retry_after(
        platform: Platform, world: World, second_gateway: str) -> None:
    leader = world.headers(Role.DISTRICT_LEADER)
    report = f"{second_gateway}/reports/time-use"
    assert requests.get(report, headers=leader, timeout=30).status_code == 200
    platform["reporting"].stop()  # its RPC queue stays: requests wait there unanswered
    try:
        for _ in range(3):
            response = requests.get(report, headers=leader, timeout=30)
            assert response.status_code == 503, response.text
            assert response.headers["Retry-After"] == "5"
            assert response.json() == {
                "error": "Service Unavailable",
                "message": "a service did not answer within 2s; try again shortly"}
        # The other routes are still served meanwhile.
        assert requests.get(f"{second_gateway}/time-categories", headers=leader,
                            timeout=30).status_code == 200
    finally:
        platform["reporting"].start()
        platform.wait_ready()
    assert requests.get(report, headers=leader, timeout=30).status_code == 200


def test_an_unknown_url_or_method_is_answered_in_json(platform: Platform) -> None:
    missing = requests.get(f"{platform.url}/no-such-route", timeout=10)
    assert missing.status_code == 404
    assert missing.json()["error"] == "Not Found"
    wrong = requests.delete(f"{platform.url}/healthz", timeout=10)
    assert wrong.status_code == 405
    assert wrong.json()["error"] == "Method Not Allowed"
    assert set(wrong.headers["Allow"].replace(" ", "").split(",")) == {"GET", "HEAD"}


def test_a_command_answered_503_is_not_carried_out_when_the_service_returns(
        platform: Platform, second_gateway: str) -> None:
    """The app was told to try again; the request it gave up on expires in RabbitMQ, so
    the service, once back, does not carry it out as well."""
    body = start_cycle_body(platform, school(platform, coaches=1, teachers=1))
    teacher = str(body["teacher_ids"][0])  # type: ignore[index]
    cycles = platform["cycles"]
    cycles.stop()
    try:
        refused = requests.post(f"{second_gateway}/cycles", json=body, timeout=30,
                                headers=bearer(teacher, "teacher"))
        assert refused.status_code == 503, refused.text
    finally:
        cycles.start()
        platform.wait_ready()
    time.sleep(1.0)  # had the request stayed queued, the service would be on it by now
    listed = requests.get(f"{platform.url}/teachers/{teacher}/cycles", timeout=10,
                          headers=bearer(teacher, "teacher")).json()
    assert listed["cycles"] == [] and listed["awaiting_your_answer"] == []
