"""The roster rule through the real broker: a CoachAssignedToSchool published on the
agreements exchange lets the coach log time at that school, and only there."""

from __future__ import annotations

import uuid
from datetime import date

from tests.support.bus import envelope, publish
from tests.support.platform import Platform, wait_until

from .client import Coach, days_ago


def roster_fact(event_type: str, coach: Coach, school_id: str, effective_on: date) -> None:
    publish("agreements", event_type, envelope("agreements", event_type, {
        "coach_id": uuid.UUID(coach.id), "school_id": uuid.UUID(school_id),
        "effective_on": effective_on}))


def test_time_is_logged_only_at_schools_the_roster_assigns(platform: Platform) -> None:
    coach = Coach(platform)
    # Before the roster knows the coach, any school is accepted.
    coach.recorded(coach.entry(days_ago(9), "08:00", "08:30"))

    roster_fact("CoachAssignedToSchool", coach, coach.school_id, days_ago(5))
    other_school = str(uuid.uuid4())
    wait_until(lambda: coach.record(coach.entry(days_ago(1), "09:00", "09:30",
                                                school_id=other_school)).status_code == 422,
               timeout=15, what="the roster fact to reach time tracking")
    refused = coach.record(coach.entry(days_ago(1), "10:00", "10:30", school_id=other_school))
    assert refused.status_code == 422
    assert refused.json()["field"] == "school_id"
    coach.recorded(coach.entry(days_ago(1), "11:00", "11:30"))  # the assigned school
    before = coach.record(coach.entry(days_ago(6), "09:00", "09:30"))
    assert before.status_code == 422  # the assignment starts five days ago

    roster_fact("CoachUnassignedFromSchool", coach, coach.school_id, days_ago(0))
    wait_until(lambda: coach.record(coach.entry(days_ago(0), "07:00", "07:10")).status_code
               == 422, timeout=15, what="the unassignment")
    coach.recorded(coach.entry(days_ago(2), "12:00", "12:30"))  # still assigned back then
