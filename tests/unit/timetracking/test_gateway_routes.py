"""The gateway's time routes translate HTTP into one RPC call each, and refuse bad input
before it reaches the service (worker_factory; the HTTP round trip is in integration)."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from marshmallow import ValidationError
from nameko.testing.services import worker_factory
from werkzeug import Request
from werkzeug.exceptions import UnsupportedMediaType
from werkzeug.test import EnvironBuilder

from coachops.commands import field_errors
from coachops.identity import Role
from gateway.auth import issue
from gateway.service import BACKENDS, GatewayService
from tests.unit.timetracking.helpers import COACH, SCHOOL

TOKEN = {"Authorization": f"Bearer {issue(COACH, Role.COACH)}"}


def request(path: str, body: Any = None, method: str = "POST", data: str | None = None,
            content_type: str = "application/json") -> Request:
    builder = EnvironBuilder(path=path, method=method, headers=TOKEN, content_type=content_type,
                             data=data if data is not None else json.dumps(body))
    return Request(builder.get_environ())


def fields_of(error: pytest.ExceptionInfo[ValidationError]) -> list[dict[str, str]]:
    return field_errors(error.value.messages)


def test_the_gateway_fronts_timetracking() -> None:
    assert "timetracking" in BACKENDS


def test_record_validates_and_calls_the_service() -> None:
    gateway = worker_factory(GatewayService)
    gateway.timetracking.record_time_entry.return_value = {"entry_id": "e"}
    body = {"coach_id": str(COACH), "school_id": str(SCHOOL), "worked_on": "2026-10-05",
            "minutes": 30, "category_id": "duties"}
    assert gateway.record_time_entry(request("/time-entries", body)) == (201, {"entry_id": "e"})
    actor, command = gateway.timetracking.record_time_entry.call_args.args
    assert actor == {"id": str(COACH), "role": "coach"}
    assert command["minutes"] == 30 and "start" not in command


def test_a_bad_body_is_refused_naming_the_fields() -> None:
    gateway = worker_factory(GatewayService)
    with pytest.raises(ValidationError) as error:
        gateway.record_time_entry(request("/time-entries", {"coach_id": "x", "minutes": 30}))
    assert fields_of(error) == [
        {"field": "category_id", "reason": "Missing data for required field."},
        {"field": "coach_id", "reason": "Not a valid UUID."},
        {"field": "school_id", "reason": "Missing data for required field."},
        {"field": "worked_on", "reason": "Missing data for required field."},
    ]
    gateway.timetracking.record_time_entry.assert_not_called()


def test_the_url_names_the_entry_of_a_correction() -> None:
    gateway = worker_factory(GatewayService)
    entry_id = str(uuid.uuid4())
    gateway.correct_time_entry(request(f"/time-entries/{entry_id}/corrections",
                                       {"reason": "typo", "minutes": 20}), entry_id)
    _, command = gateway.timetracking.correct_time_entry.call_args.args
    assert command == {"entry_id": entry_id, "reason": "typo", "minutes": 20}
    with pytest.raises(ValidationError) as error:
        gateway.void_time_entry(request("/time-entries/nope/void", {"reason": "x"}), "nope")
    assert fields_of(error) == [{"field": "entry_id", "reason": "Not a valid UUID."}]
    with pytest.raises(ValidationError):
        gateway.void_time_entry(request(f"/time-entries/{entry_id}/void", ["x"]), entry_id)


def test_a_csv_file_is_uploaded_as_text_csv_or_in_json() -> None:
    gateway = worker_factory(GatewayService)
    gateway.timetracking_long.import_time_entries.return_value = {"imported": 1}
    path = f"/coaches/{COACH}/time-entries/import?school_id={SCHOOL}"
    text = "date,minutes,category\n2026-10-05,30,duties\n"
    assert gateway.import_time_entries(request(path, data=text, content_type="text/csv"),
                                       str(COACH))[0] == 201
    _, command = gateway.timetracking_long.import_time_entries.call_args.args
    assert command == {"coach_id": str(COACH), "school_id": str(SCHOOL), "csv": text}
    gateway.import_time_entries(request(path, {"csv": text}), str(COACH))
    _, command = gateway.timetracking_long.import_time_entries.call_args.args
    assert command == {"coach_id": str(COACH), "school_id": None, "csv": text}
    with pytest.raises(UnsupportedMediaType):
        gateway.import_time_entries(request(path, data=text, content_type="text/plain"),
                                    str(COACH))


def test_days_weeks_and_categories_are_queries() -> None:
    gateway = worker_factory(GatewayService)
    gateway.coach_time_day(request("/", method="GET"), str(COACH), "2026-10-05")
    assert gateway.timetracking.coach_day.call_args.args[1] == {
        "coach_id": str(COACH), "date": "2026-10-05"}
    with pytest.raises(ValidationError) as error:
        gateway.coach_time_week(request("/", method="GET"), str(COACH), "last-week")
    assert fields_of(error) == [{"field": "date", "reason": "Not a valid date."}]
    gateway.time_categories(request("/time-categories?include_retired=true", method="GET"))
    assert gateway.timetracking.categories.call_args.args[1] == {"include_retired": True}


def test_a_suggestion_is_confirmed_with_a_bare_post() -> None:
    gateway = worker_factory(GatewayService)
    item_id = str(uuid.uuid4())
    path = f"/coaches/{COACH}/time/days/2026-10-05/suggestions/{item_id}/confirm"
    bare = Request(EnvironBuilder(path=path, method="POST", headers=TOKEN).get_environ())
    assert gateway.confirm_time_suggestion(bare, str(COACH), "2026-10-05", item_id)[0] == 201
    _, command = gateway.timetracking.confirm_suggestion.call_args.args
    assert command == {"coach_id": str(COACH), "date": "2026-10-05", "item_id": item_id}
    gateway.confirm_time_suggestion(request(path, {"minutes": 30}), str(COACH), "2026-10-05",
                                    item_id)
    assert gateway.timetracking.confirm_suggestion.call_args.args[1]["minutes"] == 30
    with pytest.raises(ValidationError) as error:
        gateway.dismiss_time_suggestion(request(path, None), str(COACH), "2026-10-05", "x")
    assert fields_of(error) == [{"field": "item_id", "reason": "Not a valid UUID."}]
