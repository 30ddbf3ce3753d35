"""The gateway's cycle routes: one RPC call each, after the body and the URL's ids are
checked against the command's schema (worker_factory; the HTTP round trip is in
tests/integration/cycles)."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from marshmallow import ValidationError
from nameko.testing.services import worker_factory
from werkzeug import Request
from werkzeug.exceptions import Unauthorized
from werkzeug.test import EnvironBuilder

from coachops.commands import field_errors
from coachops.errors import Conflict
from coachops.identity import Role
from gateway.auth import issue
from gateway.http import JsonHttp
from gateway.service import BACKENDS, GatewayService

COACH = uuid.uuid4()
CYCLE, ITEM, STEP = (str(uuid.uuid4()) for _ in range(3))
TOKEN = {"Authorization": f"Bearer {issue(COACH, Role.COACH)}"}
GOAL = {"what": "w", "measure": "m", "by": "2026-12-01"}


def request(body: Any = None, method: str = "POST", query: str = "",
            headers: dict[str, str] | None = None) -> Request:
    data = None if body is None else json.dumps(body)
    builder = EnvironBuilder(path="/x", method=method, data=data, query_string=query,
                             headers=TOKEN if headers is None else headers,
                             content_type="application/json" if data else None)
    return Request(builder.get_environ())


# (route, URL ids, body, RPC method, status)
ROUTES: list[tuple[str, dict[str, str], Any, str, int]] = [
    ("start_cycle", {}, {"coach_id": str(COACH), "teacher_ids": [str(uuid.uuid4())],
                         "school_id": str(uuid.uuid4()), "focus_area_ids": ["2b"],
                         "goal": GOAL}, "start_cycle", 201),
    ("accept_cycle", {"cycle_id": CYCLE}, None, "accept_cycle", 200),
    ("decline_cycle", {"cycle_id": CYCLE}, None, "decline_cycle", 200),
    ("agree_norms", {"cycle_id": CYCLE}, {"norms": ["n"]}, "agree_norms", 200),
    ("schedule_item", {"cycle_id": CYCLE},
     {"kind": "observation", "starts_at": "2026-11-05T09:30", "minutes": 45},
     "schedule_item", 201),
    ("reschedule_item", {"cycle_id": CYCLE, "item_id": ITEM},
     {"starts_at": "2026-11-06T09:30"}, "reschedule_item", 200),
    ("cancel_item", {"cycle_id": CYCLE, "item_id": ITEM}, None, "cancel_item", 200),
    ("mark_item_done", {"cycle_id": CYCLE, "item_id": ITEM}, {"minutes": 40},
     "mark_item_done", 200),
    ("log_observation", {"cycle_id": CYCLE},
     {"observed_on": "2026-11-04", "minutes": 45, "tool": "response_tally",
      "data": [{"look_for": "explains", "count": 3}], "notes": "n"}, "log_observation", 201),
    ("hold_debrief", {"cycle_id": CYCLE},
     {"held_on": "2026-11-04", "minutes": 30, "evidence": "e",
      "progress": {"rating": 2, "text": "t"}}, "hold_debrief", 201),
    ("add_next_step", {"cycle_id": CYCLE},
     {"text": "t", "owner_id": str(COACH), "due_on": "2026-11-06"}, "add_next_step", 201),
    ("complete_next_step", {"cycle_id": CYCLE, "step_id": STEP}, None, "complete_next_step",
     200),
    ("drop_next_step", {"cycle_id": CYCLE, "step_id": STEP}, None, "drop_next_step", 200),
    ("move_phase_back", {"cycle_id": CYCLE}, None, "move_phase_back", 200),
    ("revise_goal", {"cycle_id": CYCLE}, {"goal": GOAL}, "revise_goal", 200),
    ("close_cycle", {"cycle_id": CYCLE}, {"outcome": "met", "evidence": "e"}, "close_cycle",
     200),
    ("reopen_cycle", {"cycle_id": CYCLE}, None, "reopen_cycle", 200),
]
QUERIES: list[tuple[str, dict[str, str], str, str]] = [
    ("get_cycle", {"cycle_id": CYCLE}, "", "get_cycle"),
    ("cycle_timeline", {"cycle_id": CYCLE}, "", "cycle_timeline"),
    ("caseload", {"coach_id": str(COACH)}, "week_of=2026-11-04", "caseload"),
    ("teacher_cycles", {"teacher_id": str(COACH)}, "", "teacher_cycles"),
]


def test_the_gateway_fronts_cycles() -> None:
    assert "cycles" in BACKENDS


@pytest.mark.parametrize(("route", "ids", "body", "rpc", "status"), ROUTES,
                         ids=[r[0] for r in ROUTES])
def test_each_command_route_checks_its_input_and_calls_the_service_once(
    route: str, ids: dict[str, str], body: Any, rpc: str, status: int
) -> None:
    gateway = worker_factory(GatewayService)
    getattr(gateway.cycles, rpc).return_value = {"cycle_id": CYCLE}
    result = getattr(gateway, route)(request(body), **ids)
    assert result == ((201, {"cycle_id": CYCLE}) if status == 201 else {"cycle_id": CYCLE})
    actor, command = getattr(gateway.cycles, rpc).call_args.args
    assert actor == {"id": str(COACH), "role": "coach"}
    assert {k: command[k] for k in ids} == ids


@pytest.mark.parametrize(("route", "ids", "body", "rpc", "status"),
                         [r for r in ROUTES if r[1]], ids=[r[0] for r in ROUTES if r[1]])
def test_each_command_route_refuses_an_id_that_is_not_one(
    route: str, ids: dict[str, str], body: Any, rpc: str, status: int
) -> None:
    gateway = worker_factory(GatewayService)
    for name in ids:
        with pytest.raises(ValidationError) as error:
            getattr(gateway, route)(request(body), **{**ids, name: "nope"})
        assert {"field": name, "reason": "Not a valid UUID."} in field_errors(
            error.value.messages)
    getattr(gateway.cycles, rpc).assert_not_called()


@pytest.mark.parametrize(("route", "ids", "body", "rpc", "status"), ROUTES,
                         ids=[r[0] for r in ROUTES])
def test_each_command_route_refuses_a_field_it_does_not_know(
    route: str, ids: dict[str, str], body: Any, rpc: str, status: int
) -> None:
    gateway = worker_factory(GatewayService)
    with pytest.raises(ValidationError) as error:
        getattr(gateway, route)(request({**(body or {}), "teacher_name": "Ms. R."}), **ids)
    assert {"field": "teacher_name", "reason": "Unknown field."} in field_errors(
        error.value.messages)
    getattr(gateway.cycles, rpc).assert_not_called()


@pytest.mark.parametrize(("route", "ids", "query", "rpc"), QUERIES,
                         ids=[q[0] for q in QUERIES])
def test_each_query_route_checks_its_input_and_calls_the_service_once(
    route: str, ids: dict[str, str], query: str, rpc: str
) -> None:
    gateway = worker_factory(GatewayService)
    getattr(gateway.cycles, rpc).return_value = {"ok": True}
    assert getattr(gateway, route)(request(method="GET", query=query), **ids) == {"ok": True}
    _, sent = getattr(gateway.cycles, rpc).call_args.args
    assert {k: sent[k] for k in ids} == ids
    name = next(iter(ids))
    with pytest.raises(ValidationError) as error:
        getattr(gateway, route)(request(method="GET"), **{name: "nope"})
    assert field_errors(error.value.messages)[0]["field"] == name


def test_an_unknown_query_parameter_or_a_bad_week_is_refused_naming_it() -> None:
    gateway = worker_factory(GatewayService)
    for query, field in (("week_of=yesterday", "week_of"), ("phase=act", "phase")):
        with pytest.raises(ValidationError) as error:
            gateway.caseload(request(method="GET", query=query), coach_id=str(COACH))
        assert field_errors(error.value.messages)[0]["field"] == field
    gateway.cycles.caseload.assert_not_called()


@pytest.mark.parametrize(
    ("route", "ids", "body", "field", "reason"),
    [
        ("schedule_item", {"cycle_id": CYCLE},
         {"kind": "lunch", "starts_at": "2026-11-05T09:30", "minutes": 45}, "kind",
         "Must be one of: walkthrough, observation, co_teach, modelled_lesson, debrief."),
        ("schedule_item", {"cycle_id": CYCLE},
         {"kind": "observation", "starts_at": "tomorrow", "minutes": 45}, "starts_at",
         "Not a valid datetime."),
        ("log_observation", {"cycle_id": CYCLE},
         {"observed_on": "2026-11-04", "minutes": 45, "tool": "notes app"}, "tool",
         "use talk_time, question_levels, response_tally, free_notes or district:<id>"),
        ("log_observation", {"cycle_id": CYCLE},
         {"observed_on": "2026-11-04", "minutes": 45, "tool": "talk_time",
          "data": [{"look_for": "x"}]}, "data.0.count", "give a count or a duration in seconds"),
        ("hold_debrief", {"cycle_id": CYCLE},
         {"held_on": "2026-11-04", "minutes": 30, "evidence": "e",
          "progress": {"rating": 9, "text": "t"}}, "progress.rating",
         "Must be greater than or equal to 1 and less than or equal to 5."),
        ("add_next_step", {"cycle_id": CYCLE}, {"text": "t", "owner_id": str(COACH)},
         "due_on", "Missing data for required field."),
        ("agree_norms", {"cycle_id": CYCLE}, {"norms": []}, "norms",
         "give the norms agreed, or the partnership agreement"),
        ("close_cycle", {"cycle_id": CYCLE}, {"outcome": "great", "evidence": "e"}, "outcome",
         "Must be one of: met, partly_met, not_met."),
    ],
)
def test_a_bad_field_is_refused_naming_it(route: str, ids: dict[str, str], body: Any,
                                          field: str, reason: str) -> None:
    gateway = worker_factory(GatewayService)
    with pytest.raises(ValidationError) as error:
        getattr(gateway, route)(request(body), **ids)
    assert {"field": field, "reason": reason} in field_errors(error.value.messages)


def test_a_route_without_a_token_is_refused_before_anything() -> None:
    gateway = worker_factory(GatewayService)
    with pytest.raises(Unauthorized):
        gateway.accept_cycle(request(headers={}), cycle_id=CYCLE)
    gateway.cycles.accept_cycle.assert_not_called()


def test_a_conflict_after_the_service_s_retries_is_a_409_naming_the_cycle() -> None:
    # What the service raises when it lost the race to save too many times in a row
    # (services/cycles/app.py; tests/unit/cycles/test_app.py makes it happen).
    handler = JsonHttp("POST", "/cycles/<cycle_id>/next-steps")
    response = handler.response_from_exception(Conflict("send it again", field="cycle_id"))
    assert response.status_code == 409
    assert json.loads(response.get_data())["fields"] == [
        {"field": "cycle_id", "reason": "send it again"}]
