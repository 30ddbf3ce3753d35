"""An agreement signed on paper, entered later through the gateway: the agreement shows both
days, and plan alignment holds the coach's time to it from the day on paper, not from the
day it was entered."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import requests

from coachops import clock
from services.reporting import periods
from tests.support.auth import bearer
from tests.support.platform import Platform, wait_until
from tests.support.roster import RosterSchool, anyone, school

LITERACY = {"id": "literacy", "label": "Literacy across the school"}


def call(platform: Platform, path: str, headers: dict[str, str],
         body: dict[str, Any] | None = None) -> requests.Response:
    method = "GET" if body is None else "POST"
    return requests.request(method, platform.url + path, json=body, headers=headers,
                            timeout=30)


def alignment(platform: Platform, at: RosterSchool, year: int) -> dict[str, Any]:
    """The coach-school row of the school's plan alignment this school year, as its
    district leader reads it."""
    answer = call(platform, f"/reports/plan-alignment?school_year={year}&school_id={at.id}",
                  anyone(platform, "district_leader"))
    assert answer.status_code == 200, answer.text
    key = f"{at.coaches[0]}/{at.id}"
    return next((r for r in answer.json()["rows"] if r["key"] == key), {})


def test_time_after_the_day_on_paper_serves_the_agreement(platform: Platform) -> None:
    at = school(platform, coaches=1, teachers=1, principal=True)
    coach, principal = bearer(at.coaches[0], "coach"), bearer(at.principal, "principal")
    today = clock.today()
    month, day = periods.school_year_start()
    year = periods.school_year_of(today, month, day)
    # Signed on paper at the start of the year (or when the roster has the pair, if later).
    paper = max(periods.school_year_range(year, month, day)[0], at.since)
    assert paper < today, "the test needs a day on paper before today"
    drafted = call(platform, "/coaching-agreements", coach, {
        "school_id": at.id, "school_year": year, "focus_areas": [LITERACY],
        "coach_role": "Co-plan literacy lessons", "not_coach_role": "Covering classes"})
    assert drafted.status_code == 201, drafted.text
    sign = f"/coaching-agreements/{drafted.json()['agreement_id']}/sign"

    # An hour of literacy co-planning on the day on paper, logged before anyone signs.
    entry = call(platform, "/time-entries", coach, {
        "entry_id": str(uuid.uuid4()), "coach_id": at.coaches[0], "school_id": at.id,
        "worked_on": paper.isoformat(), "minutes": 60, "category_id": "co-planning",
        "focus_area_id": LITERACY["id"]})
    assert entry.status_code == 201, entry.text
    wait_until(lambda: alignment(platform, at, year).get("coaching_minutes") == 60,
               timeout=30, what="the hour in plan alignment")
    assert alignment(platform, at, year)["aligned_minutes"] == 0  # no agreement in force

    # Days the signers could not have signed on are refused, naming the field.
    for wrong in (today + timedelta(days=1), date(year, month, day) - timedelta(days=1)):
        refused = call(platform, sign, coach, {"version": 1, "signed_on": wrong.isoformat()})
        assert refused.status_code == 422, refused.text
        assert refused.json()["field"] == "signed_on", refused.text
    malformed = call(platform, sign, coach, {"version": 1, "signed_on": "August"})
    assert malformed.status_code == 400, malformed.text

    assert call(platform, sign, coach, {"version": 1, "signed_on": paper.isoformat()}
                ).status_code == 200
    signed = call(platform, sign, principal, {"version": 1, "signed_on": paper.isoformat()})
    assert signed.status_code == 200, signed.text
    version = signed.json()["versions"][0]
    assert version["signed"] == {"coach": paper.isoformat(), "principal": paper.isoformat()}
    assert version["entered"] == {"coach": today.isoformat(), "principal": today.isoformat()}
    assert (version["in_force"], version["in_force_from"]) == (True, paper.isoformat())

    # In force from the day on paper: the hour logged that day now serves it.
    wait_until(lambda: alignment(platform, at, year).get("aligned_minutes") == 60,
               timeout=30, what="the hour held to the agreement signed on paper")
    assert alignment(platform, at, year)["aligned_time_share"] == 1.0
