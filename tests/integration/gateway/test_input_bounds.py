"""Hostile input at the edge, over HTTP to the real gateway and services: every refusal a
clear 4xx in the API's JSON error form naming what is wrong, never a 500, an empty body or
text a service cannot store (issue 17, items 5, 6, 7a, 8 and 9)."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from coachops.identity import Role

from .world import World, cycle_body, entry_body

pytestmark = pytest.mark.e2e

NUL, LONE = "\x00", "\ud800"  # sent as the JSON escapes \u0000 and \ud800


def refused(response: requests.Response, status: int = 400) -> dict[str, Any]:
    assert response.status_code == status, (response.status_code, response.text)
    assert response.headers["Content-Type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    return body


def fields_of(response: requests.Response) -> list[str]:
    return [f["field"] for f in refused(response)["fields"]]


def test_json_nested_100000_deep_is_a_400_naming_the_body(world: World) -> None:
    deep = "[" * 100_000 + "]" * 100_000
    response = world.call(Role.COACH, "POST", "/cycles", data=deep,
                          headers={"Content-Type": "application/json"})
    assert fields_of(response) == ["body"]


def hostile_bodies(w: World, text: str) -> Iterator[tuple[Role, str, dict[str, Any], str]]:
    """(role, path, body, the field named) for each place a person writes text."""
    cycle = w.ids["cycle"]
    yield Role.COACH, "/time-entries", {**entry_body(w, "05:00"), "note": text}, "note"
    yield (Role.COACH, "/time-entries", {**entry_body(w, "05:00"), "focus_area_id": text},
           "focus_area_id")
    yield (Role.COACH, "/cycles", {**cycle_body(w), "focus_area_ids": [text]},
           "focus_area_ids.0")
    goal = cycle_body(w)["goal"]
    yield Role.COACH, "/cycles", {**cycle_body(w), "goal": {**goal, "what": text}}, "goal.what"
    yield (Role.DISTRICT_LEADER, "/time-categories", {"label": f"duty {text}", "kind": "other"},
           "label")
    yield (Role.COACH, f"/cycles/{cycle}/observations",
           {"observed_on": entry_body(w, "05:00")["worked_on"], "minutes": 20,
            "tool": "free_notes", "notes": f"noticed {text}"}, "notes")


@pytest.mark.parametrize("text", [NUL, LONE], ids=["nul", "lone-surrogate"])
def test_text_with_nul_or_a_lone_surrogate_is_a_400_naming_the_field(
        world: World, text: str) -> None:
    for role, path, body, field in hostile_bodies(world, text):
        response = world.call(role, "POST", path, json=body)
        assert field in fields_of(response), (path, response.text)


@pytest.mark.parametrize("query", [
    "from_date=0001-01-01&to_date=9999-12-31", "month=0000-01", "month=9999-12",
    "as_of=9999-12-31"])
@pytest.mark.parametrize("report", ["time-use", "council", "cycle-activity"])
def test_a_report_for_dates_outside_the_calendar_is_a_400(
        world: World, report: str, query: str) -> None:
    response = world.call(Role.DISTRICT_LEADER, "GET", f"/reports/{report}?{query}")
    assert query.split("=")[0] in fields_of(response)


def test_a_day_or_instant_outside_the_calendar_is_a_400(world: World) -> None:
    coach = world.who(Role.COACH)
    week = world.call(Role.COACH, "GET", f"/coaches/{coach}/time/weeks/9999-12-31")
    assert fields_of(week) == ["date"]
    caseload = world.call(Role.COACH, "GET", f"/coaches/{coach}/caseload?week_of=9999-12-31")
    assert fields_of(caseload) == ["week_of"]
    for starts_at in ("9999-06-01T09:00", "0001-01-01T02:02:00+08:06"):
        item = world.call(Role.COACH, "POST", f"/cycles/{world.ids['cycle']}/calendar",
                          json={"kind": "observation", "starts_at": starts_at, "minutes": 30})
        assert fields_of(item) == ["starts_at"]


def test_a_look_for_of_two_to_the_64_seconds_is_a_400(world: World) -> None:
    body = {"observed_on": entry_body(world, "05:00")["worked_on"], "minutes": 20,
            "tool": "talk_time", "data": [{"look_for": "teacher talk", "seconds": 2**64}]}
    response = world.call(Role.COACH, "POST", f"/cycles/{world.ids['cycle']}/observations",
                          json=body)
    assert fields_of(response) == ["data.0.seconds"]


def chunks(body: bytes, size: int = 1 << 16) -> Iterator[bytes]:
    for start in range(0, len(body), size):
        yield body[start:start + size]


def test_a_chunked_body_is_read_and_over_the_limit_a_413(world: World) -> None:
    json_type = {"Content-Type": "application/json"}
    small = json.dumps({**entry_body(world, "05:00"), "mood": "fine"}).encode()
    read = world.call(Role.COACH, "POST", "/time-entries", data=chunks(small),
                      headers=json_type)
    assert fields_of(read) == ["mood"]  # read whole, not taken for an empty body
    big = json.dumps({**entry_body(world, "05:00"), "note": "x" * (3 << 20)}).encode()
    response = world.call(Role.COACH, "POST", "/time-entries", data=chunks(big),
                          headers=json_type)
    assert refused(response, 413)["error"] == "Request Entity Too Large"


def test_a_20000_character_path_is_a_414_in_json(world: World) -> None:
    response = world.call(Role.COACH, "GET", "/cycles/" + "a" * 20_000)
    assert refused(response, 414)["error"] == "URI Too Long"


def test_a_100_kb_authorization_header_is_a_431_in_json(world: World) -> None:
    response = world.call(None, "GET", "/time-categories",
                          headers={"Authorization": "Bearer " + "x" * 100_000})
    assert refused(response, 431)["error"] == "Request Header Fields Too Large"


def test_the_gateway_serves_on_after_refusing_oversized_requests(world: World) -> None:
    for _ in range(3):
        world.call(Role.COACH, "GET", "/cycles/" + "a" * 20_000)
    assert world.call(Role.COACH, "GET", "/time-categories").status_code == 200


def raw_request(w: World, head: bytes) -> tuple[str, dict[str, Any]]:
    """Send ``head`` as it is; the status line and the JSON body answered."""
    host, port = w.platform.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as connection:
        connection.sendall(head)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    status, _, rest = answer.partition(b"\r\n")
    return status.decode(), json.loads(rest.partition(b"\r\n\r\n")[2])


@pytest.mark.parametrize(("head", "status"), [
    (b"GET /healthz HTTP/1.1 and more\r\n\r\n", "400"),
    (b"POST /time-entries HTTP/1.1\r\nHost: x\r\nContent-Length: many\r\n\r\n", "400"),
    (b"POST /time-entries HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n"
     b"Transfer-Encoding: chunked\r\n\r\n{}", "400"),
])
def test_a_malformed_request_is_answered_in_json(world: World, head: bytes,
                                                 status: str) -> None:
    line, body = raw_request(world, head)
    assert line.split()[1] == status, line
    assert set(body) == {"error", "message"} and body["message"]


def test_the_ends_of_the_supported_calendar_are_answered(world: World) -> None:
    """Inside the range nothing overflows: answered, or refused by a rule, never a 500."""
    for report in ("time-use", "council", "cycle-activity"):
        for query in ("from_date=1900-01-01&to_date=2199-12-31", "month=1900-01",
                      "month=2199-12", "as_of=2199-12-31"):
            response = world.call(Role.DISTRICT_LEADER, "GET", f"/reports/{report}?{query}")
            assert response.status_code == 200, (report, query, response.text)
    coach = world.who(Role.COACH)
    for path in (f"/coaches/{coach}/time/weeks/2199-12-31",
                 f"/coaches/{coach}/time/weeks/1900-01-01",
                 f"/coaches/{coach}/caseload?week_of=2199-12-31"):
        response = world.call(Role.COACH, "GET", path)
        assert response.status_code == 200, (path, response.text)
    for starts_at in ("2199-12-31T23:59:00-14:00", "1900-01-01T00:00:00+14:00"):
        item = world.call(Role.COACH, "POST", f"/cycles/{world.ids['cycle']}/calendar",
                          json={"kind": "observation", "starts_at": starts_at, "minutes": 30})
        assert item.status_code < 500, (starts_at, item.text)
