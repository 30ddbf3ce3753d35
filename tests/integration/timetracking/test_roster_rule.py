"""The roster rule through the real broker: a coach logs time only at the schools the
roster assigns them to, on the dates it does; a CoachAssignedToSchool published on the
agreements exchange lets them log time at one more school."""

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
    coach = Coach(platform)  # on the roster at coach.school_id
    coach.recorded(coach.entry(days_ago(9), "08:00", "08:30"))
    other_school = str(uuid.uuid4())
    refused = coach.record(coach.entry(days_ago(1), "10:00", "10:30", school_id=other_school))
    assert (refused.status_code, refused.json()["field"]) == (422, "school_id")

    roster_fact("CoachAssignedToSchool", coach, other_school, days_ago(5))
    at_other = coach.entry(days_ago(1), "09:00", "09:30", school_id=other_school)
    wait_until(lambda: coach.record(at_other).status_code == 201, timeout=15,
               what="the roster fact to reach time tracking")
    before = coach.record(coach.entry(days_ago(6), "09:00", "09:30", school_id=other_school))
    assert before.status_code == 422  # the assignment starts five days ago

    roster_fact("CoachUnassignedFromSchool", coach, other_school, days_ago(0))
    wait_until(lambda: coach.record(coach.entry(days_ago(0), "07:00", "07:10",
                                                school_id=other_school)).status_code == 422,
               timeout=15, what="the unassignment")
    coach.recorded(coach.entry(days_ago(2), "12:00", "12:30", school_id=other_school))
