"""No double entry, through the real broker: a CalendarItemDone published on the cycles
exchange becomes a suggestion on the coach's day, once however often it arrives, and one
POST makes it an entry."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import requests

from tests.support.bus import envelope
from tests.support.bus import publish as publish_on
from tests.support.platform import Platform, wait_until

from .client import Coach, days_ago


def calendar_item_done(coach: Coach, done_on: date, minutes: int, kind: str = "observation",
                       ) -> dict[str, Any]:
    """A CalendarItemDone as the cycles service publishes it (contract v1)."""
    return envelope("cycles", "CalendarItemDone", {
        "cycle_id": uuid.uuid4(), "coach_id": uuid.UUID(coach.id),
        "school_id": uuid.UUID(coach.school_id), "item_id": uuid.uuid4(), "kind": kind,
        "done_on": done_on, "duration_minutes": minutes})


def publish(*bodies: dict[str, Any]) -> None:
    publish_on("cycles", "CalendarItemDone", *bodies)


def suggestions(coach: Coach, on: date) -> list[dict[str, Any]]:
    return list(coach.day(on)["suggestions"])


def confirm_url(coach: Coach, on: date, item_id: str, action: str = "confirm") -> str:
    return coach.url(f"/coaches/{coach.id}/time/days/{on}/suggestions/{item_id}/{action}")


def test_a_done_item_is_suggested_once_and_confirmed_with_one_post(platform: Platform) -> None:
    coach, on = Coach(platform), days_ago(2)
    done = calendar_item_done(coach, on, 45)
    publish(done, done)  # delivered twice: suggested once
    [suggestion] = wait_until(lambda: suggestions(coach, on), timeout=20,
                              what="the suggestion on the coach's day")
    assert suggestion == {
        "item_id": done["payload"]["item_id"], "cycle_id": done["payload"]["cycle_id"],
        "school_id": coach.school_id, "kind": "observation", "category_id": "coaching-cycle",
        "category_label": "Coaching cycle work (one-on-one)", "minutes": 45,
    }
    assert coach.day(on)["totals"]["total_minutes"] == 0  # not counted until confirmed

    response = requests.post(confirm_url(coach, on, suggestion["item_id"]),
                             headers=coach.headers, timeout=10)
    assert response.status_code == 201, response.text
    entry_id = response.json()["entry_id"]
    day = coach.day(on)
    assert day["suggestions"] == []
    [entry] = day["entries"]
    assert (entry["entry_id"], entry["minutes"], entry["cycle_id"], entry["category_kind"]) == (
        entry_id, 45, done["payload"]["cycle_id"], "coaching")
    # Pressing again records nothing more.
    again = requests.post(confirm_url(coach, on, suggestion["item_id"]), headers=coach.headers,
                          timeout=10)
    assert (again.status_code, again.json()["entry_id"]) == (201, entry_id)
    assert len(coach.day(on)["entries"]) == 1
    assert coach.week(on)["totals"]["coaching_minutes"] == 45


def test_a_suggestion_can_be_timed_or_dismissed(platform: Platform) -> None:
    coach, on = Coach(platform), days_ago(3)
    first, second = calendar_item_done(coach, on, 0), calendar_item_done(coach, on, 30)
    publish(first, second)
    wait_until(lambda: len(suggestions(coach, on)) == 2, timeout=20, what="two suggestions")

    item = first["payload"]["item_id"]
    response = requests.post(confirm_url(coach, on, item), headers=coach.headers, timeout=10)
    assert (response.status_code, response.json()["field"]) == (422, "minutes")
    response = requests.post(confirm_url(coach, on, item), json={"start": "13:00",
                                                                 "end": "13:40"},
                             headers=coach.headers, timeout=10)
    assert response.status_code == 201, response.text

    item = second["payload"]["item_id"]
    other = Coach(platform)
    assert requests.post(confirm_url(coach, on, item, "dismiss"), headers=other.headers,
                         timeout=10).status_code == 403
    response = requests.post(confirm_url(coach, on, item, "dismiss"), headers=coach.headers,
                             timeout=10)
    assert response.status_code == 200, response.text
    day = coach.day(on)
    assert day["suggestions"] == [] and day["totals"]["total_minutes"] == 40
