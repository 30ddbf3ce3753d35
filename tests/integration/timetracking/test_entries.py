"""Time entries through the gateway, with the time-tracking service and its store real:
record, see the day and the week, correct, void, and every rule as an HTTP answer."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import requests

from coachops import clock
from tests.support.auth import bearer
from tests.support.platform import Platform

from .client import Coach, days_ago


def test_a_coach_records_time_and_sees_the_day_with_totals_and_the_share(
    platform: Platform,
) -> None:
    coach, on = Coach(platform), days_ago(3)
    cycle_id = str(uuid.uuid4())
    first = coach.recorded(coach.entry(on, "08:00", "09:00", category_id="covering-classes"))
    second = coach.recorded(coach.entry(on, "09:00", "11:00", cycle_id=cycle_id,
                                        focus_area_id="danielson-2b", note="fractions unit"))
    coach.recorded(coach.entry(on, None, None, minutes=30, category_id="tech-support"))

    day = coach.day(on)
    assert [e["entry_id"] for e in day["entries"][:2]] == [first, second]
    # Its label as the district has it now: a leader may have renamed the default (the fuzz
    # tests on this shared platform do).
    label = coach.category_label("co-planning")
    assert day["entries"][1] | {"entry_id": None} == {
        "entry_id": None, "school_id": coach.school_id, "worked_on": on.isoformat(),
        "start": "09:00", "end": "11:00", "minutes": 120, "category_id": "co-planning",
        "category_label": label, "category_kind": "coaching", "cycle_id": cycle_id,
        "focus_area_id": "danielson-2b", "note": "fractions unit", "voided": False,
        "history": [{"action": "recorded", "reason": None, "from_date": None}],
    }
    totals = day["totals"]
    assert (totals["coaching_minutes"], totals["other_minutes"], totals["total_minutes"]) == (
        120, 90, 210)
    assert totals["coaching_share"] == round(120 / 210, 4)
    assert [(c["category_id"], c["minutes"]) for c in totals["by_category"]] == [
        ("co-planning", 120), ("covering-classes", 60), ("tech-support", 30)]


def test_the_week_runs_monday_to_sunday_with_its_totals(platform: Platform) -> None:
    coach = Coach(platform)
    monday = clock.today() - timedelta(days=clock.today().weekday() + 7)  # last week's
    coach.recorded(coach.entry(monday, minutes=60, start=None, end=None))
    coach.recorded(coach.entry(monday + timedelta(days=2), "13:00", "14:00",
                               category_id="duties"))
    week = coach.week(monday + timedelta(days=4))
    assert (week["week_start"], week["week_end"]) == (
        monday.isoformat(), (monday + timedelta(days=6)).isoformat())
    assert [d["totals"]["total_minutes"] for d in week["days"]] == [60, 0, 60, 0, 0, 0, 0]
    assert week["totals"]["coaching_share"] == 0.5


@pytest.mark.parametrize(
    ("changes", "field", "reason"),
    [
        ({"coach_id": "not-a-uuid"}, "coach_id", "Not a valid UUID."),
        ({"worked_on": "05/10/2026"}, "worked_on", "Not a valid date."),
        ({"start": "9am"}, "start", "Not a valid time."),
        ({"end": None}, "end", "give the end with the start"),
        ({"minutes": 30}, "minutes", "give start and end, or minutes, not both"),
        ({"category_id": ""}, "category_id", "Length must be between 1 and 100."),
        ({"note": "x" * 2001}, "note", "Longer than maximum length 2000."),
        ({"private": "x"}, "private", "Unknown field."),
    ],
)
def test_a_malformed_entry_is_a_400_naming_the_field(
    platform: Platform, changes: dict[str, object], field: str, reason: str,
) -> None:
    coach = Coach(platform)
    response = coach.record(coach.entry(days_ago(1), **changes))
    assert response.status_code == 400, response.text
    assert {"field": field, "reason": reason} in response.json()["fields"]


@pytest.mark.parametrize(
    ("changes", "field", "reason"),
    [
        ({"start": "11:00", "end": "10:00"}, "end", "the end (10:00) is before the start"),
        ({"start": "10:00", "end": "10:00"}, "end", "the entry is zero minutes long"),
        ({"start": None, "end": None, "minutes": -5}, "minutes", "more than zero minutes"),
        ({"start": None, "end": None, "minutes": 1441}, "minutes", "a day has 24 hours"),
        ({"category_id": "bulletin-boards"}, "category_id", "there is no category"),
        ({"worked_on": (clock.today() + timedelta(days=2)).isoformat()}, "worked_on",
         "is after today"),
    ],
)
def test_a_broken_rule_is_a_422_naming_the_field(
    platform: Platform, changes: dict[str, object], field: str, reason: str,
) -> None:
    coach = Coach(platform)
    response = coach.record(coach.entry(days_ago(1), **changes))
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["field"] == field and reason in body["message"]
    assert body["fields"] == [{"field": field, "reason": body["message"]}]


def test_an_overlap_is_a_422_naming_the_entry_it_clashes_with(platform: Platform) -> None:
    coach, on = Coach(platform), days_ago(2)
    first = coach.recorded(coach.entry(on, "09:00", "10:00"))
    response = coach.record(coach.entry(on, "09:30", "10:30"))
    assert response.status_code == 422
    assert response.json()["field"] == "start"
    assert response.json()["message"] == f"overlaps entry {first} (09:00-10:00, co-planning)"
    coach.recorded(coach.entry(on, "10:00", "10:30"))  # touching is not overlapping


def test_coaches_log_and_see_their_own_time_only(platform: Platform) -> None:
    coach, other = Coach(platform), Coach(platform)
    on = days_ago(1)
    entry_id = coach.recorded(coach.entry(on))
    response = other.record(coach.entry(on, "11:00", "12:00"))
    assert (response.status_code, response.json()["field"]) == (403, "coach_id")
    assert other.void(entry_id, "not mine").status_code == 403
    assert other.correct(entry_id, {"reason": "x", "minutes": 5}).status_code == 403
    response = requests.get(coach.url(f"/coaches/{coach.id}/time/days/{on}"),
                            headers=bearer(uuid.uuid4(), "principal"), timeout=10)
    assert response.status_code == 403
    assert requests.get(coach.url(f"/coaches/{coach.id}/time/days/{on}"),
                        timeout=10).status_code == 401
    assert len(coach.day(on)["entries"]) == 1


def test_a_correction_and_a_void_keep_the_history(platform: Platform) -> None:
    coach, on = Coach(platform), days_ago(4)
    entry_id = coach.recorded(coach.entry(on, "09:00", "10:00"))
    response = coach.correct(entry_id, {"reason": "it was a model lesson",
                                        "category_id": "modelling", "end": "10:30"})
    assert response.status_code == 200, response.text
    [entry] = coach.day(on)["entries"]
    assert (entry["category_id"], entry["minutes"]) == ("modelling", 90)
    assert [h["action"] for h in entry["history"]] == ["recorded", "corrected"]

    # A new date moves the entry; its id stays.
    later = on + timedelta(days=1)
    assert coach.correct(entry_id, {"reason": "wrong day",
                                    "worked_on": later.isoformat()}).status_code == 200
    assert coach.day(on)["entries"] == []
    [moved] = coach.day(later)["entries"]
    assert moved["entry_id"] == entry_id
    assert moved["history"] == [{"action": "moved", "reason": "wrong day",
                                 "from_date": on.isoformat()}]

    assert coach.void(entry_id, "it was cancelled").status_code == 200
    day = coach.day(later)
    assert day["entries"][0]["voided"] and day["totals"]["total_minutes"] == 0
    response = coach.void(entry_id, "again")
    assert (response.status_code, response.json()["field"]) == (422, "entry_id")


def test_corrections_and_voids_are_validated(platform: Platform) -> None:
    coach = Coach(platform)
    entry_id = coach.recorded(coach.entry(days_ago(1)))
    response = coach.correct(entry_id, {"minutes": 20})
    assert response.status_code == 400
    assert {"field": "reason", "reason": "Missing data for required field."} in response.json()[
        "fields"]
    response = coach.correct(entry_id, {"reason": "typo"})
    assert response.status_code == 400
    response = coach.correct(entry_id, {"reason": "typo", "end": "08:00"})
    assert (response.status_code, response.json()["field"]) == (422, "end")
    response = coach.void(str(uuid.uuid4()), "nothing there")
    assert (response.status_code, response.json()["field"]) == (404, "entry_id")
    response = coach.void("nope", "x")
    assert (response.status_code, response.json()["fields"][0]["field"]) == (400, "entry_id")


def test_an_offline_resend_records_the_entry_once(platform: Platform) -> None:
    coach, on = Coach(platform), days_ago(1)
    body = coach.entry(on, entry_id=str(uuid.uuid4()))
    assert coach.recorded(body) == body["entry_id"]
    assert coach.recorded(body) == body["entry_id"]
    assert len(coach.day(on)["entries"]) == 1
    response = coach.record({**body, "end": "11:00"})
    assert (response.status_code, response.json()["field"]) == (409, "entry_id")


def test_two_devices_racing_cannot_slip_an_overlap_past_each_other(platform: Platform) -> None:
    """Ten overlapping entries sent at once for one coach's day: the service runs workers
    in parallel against one store, and exactly one entry is recorded."""
    coach, on = Coach(platform), days_ago(1)
    starts = [f"09:{m:02d}" for m in range(0, 50, 5)]
    with ThreadPoolExecutor(max_workers=len(starts)) as pool:
        responses = list(pool.map(lambda s: coach.record(coach.entry(on, s, "11:00")), starts))
    codes = sorted(r.status_code for r in responses)
    assert codes.count(201) == 1, [r.text for r in responses]
    assert set(codes) <= {201, 409, 422}
    assert len(coach.day(on)["entries"]) == 1
