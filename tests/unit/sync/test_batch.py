"""The shape of a sync batch, checked at the gateway item by item, and a service's items
applied in order, each answered on its own. No infrastructure."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from eventsourcing.application import Application
from marshmallow import ValidationError

from coachops.commands import field_errors, first_error, load
from coachops.commands.sync import MAX_ITEMS, SyncBatch
from coachops.commands.timetracking import RecordTimeEntry
from coachops.errors import Invalid, NotFound
from coachops.identity import Actor, Role
from coachops.sync_batch import apply_batch
from coachops.unit_of_work import Answer, Once, UnitOfWork
from gateway.routes import validated
from gateway.routes.sync import checked, refused

COACH = Actor(uuid.uuid4(), Role.COACH)
CYCLE = str(uuid.uuid4())


def step_item(**changes: Any) -> dict[str, Any]:
    return {"client_id": str(uuid.uuid4()), "command": "add_next_step", "cycle_id": CYCLE,
            "body": {"text": "try think-pair-share", "owner_id": str(uuid.uuid4()),
                     "due_on": "2026-12-01"}, **changes}


def unit() -> UnitOfWork:
    return UnitOfWork(Application[uuid.UUID]())  # the library's in-memory persistence


def reasons(error: ValidationError) -> dict[str, str]:
    return {e["field"]: e["reason"] for e in field_errors(error.messages)}


def test_an_item_goes_to_its_service_with_the_url_s_ids_in_its_body() -> None:
    item = step_item()
    service, sent = checked(item)
    assert service == "cycles"
    assert sent == {"client_id": item["client_id"], "command": "add_next_step",
                    "body": {**item["body"], "cycle_id": CYCLE}}
    entry = str(uuid.uuid4())
    service, sent = checked({"client_id": str(uuid.uuid4()), "command": "void_time_entry",
                             "body": {"entry_id": entry, "reason": "logged twice"}})
    assert service == "timetracking" and sent["body"]["entry_id"] == entry


@pytest.mark.parametrize(("change", "field"), [
    ({"client_id": "not-a-uuid"}, "client_id"),
    ({"command": "drop_the_cycle"}, "command"),
    ({"body": ["not", "an", "object"]}, "body"),
    ({"cycle_id": "nope"}, "cycle_id"),
    ({"body": {"text": "", "owner_id": str(uuid.uuid4()), "due_on": "2026-12-01"}}, "text"),
    ({"body": {"text": "x", "owner_id": str(uuid.uuid4())}}, "due_on"),
    ({"colour": "blue"}, "colour"),
])
def test_a_malformed_item_is_refused_naming_the_field(change: dict[str, Any],
                                                       field: str) -> None:
    with pytest.raises(ValidationError) as error:
        checked(step_item(**change))
    assert field in reasons(error.value)
    answer = refused(error.value)
    assert answer["outcome"] == "rejected" and answer["status"] == 400
    assert any(f["field"] == field for f in answer["body"]["fields"])


def test_a_batch_holds_one_to_five_hundred_items() -> None:
    assert len(validated(SyncBatch, {"items": [{}] * MAX_ITEMS})["items"]) == 500
    for size in (0, MAX_ITEMS + 1):
        with pytest.raises(ValidationError) as error:
            validated(SyncBatch, {"items": [{}] * size})
        assert list(reasons(error.value)) == ["items"]


def test_a_service_applies_its_items_in_order_and_answers_each() -> None:
    seen: list[str] = []

    def add_next_step(actor: Actor, data: dict[str, Any], once: Once,
                      unit: UnitOfWork | None) -> Answer[dict[str, Any]]:
        seen.append(data["text"])
        if data["text"] == "refused":
            raise Invalid("a next step cannot be due in the past", field="due_on")
        if data["text"] == "gone":
            raise NotFound("there is no cycle", field="cycle_id")
        return Answer({"step": data["text"]}, duplicate=data["text"] == "again")

    items = [checked(step_item(body={**step_item()["body"], "text": text}))[1]
             for text in ("first", "refused", "again", "gone", "last")]
    answers = apply_batch(unit(), COACH, items, {"add_next_step": add_next_step})
    assert seen == ["first", "refused", "again", "gone", "last"]
    assert [(a["outcome"], a["status"]) for a in answers] == [
        ("accepted", 201), ("rejected", 422), ("duplicate", 201), ("rejected", 404),
        ("accepted", 201)]
    assert answers[1]["body"] == {
        "error": "Invalid", "message": "a next step cannot be due in the past",
        "field": "due_on",
        "fields": [{"field": "due_on", "reason": "a next step cannot be due in the past"}]}
    assert answers[4]["body"] == {"step": "last"}


def test_a_command_of_another_service_is_rejected_not_applied() -> None:
    item = checked({"client_id": str(uuid.uuid4()), "command": "void_time_entry",
                    "body": {"entry_id": str(uuid.uuid4()), "reason": "x"}})[1]
    answer = apply_batch(unit(), COACH, [item], {})[0]
    assert (answer["outcome"], answer["status"], answer["body"]["field"]) == (
        "rejected", 400, "command")


def test_a_command_schema_made_once_loads_and_refuses_as_a_new_one_each_time() -> None:
    coach = str(uuid.uuid4())
    good = {"coach_id": coach, "school_id": str(uuid.uuid4()), "worked_on": "2026-10-05",
            "start": "07:00", "end": "07:30", "category_id": "co-planning"}
    bodies: list[Any] = [good, {**good, "start": "7 o'clock"}, {**good, "minutes": 30},
                         {"coach_id": coach}, {**good, "surprise": 1}, None, [], good]
    for body in bodies:
        try:
            expected: Any = RecordTimeEntry().load(body)
        except ValidationError as error:
            expected = first_error(error.messages)
        try:
            got: Any = load(RecordTimeEntry, body)  # one instance for every body
        except Invalid as error:
            got = (error.field, error.message)
        assert got == expected
