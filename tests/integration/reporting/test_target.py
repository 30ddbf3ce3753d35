"""The district's coaching-share target is one setting (COACHING_SHARE_TARGET): reporting
judges each coach against it and says it in the answer, which is what the dashboard and the
app show and colour against."""

from __future__ import annotations

import uuid
from typing import Any

import requests

from coachops import clock
from tests.support.auth import bearer
from tests.support.platform import Platform, wait_until
from tests.support.reporting import restart_reporting
from tests.support.roster import RosterSchool, anyone, school


def coach_row(platform: Platform, at: RosterSchool) -> tuple[float, dict[str, Any]]:
    """The answer's target and the coach's row of the school's time use this month."""
    answer = requests.get(f"{platform.url}/reports/time-use",
                          params={"month": clock.today().strftime("%Y-%m"), "school_id": at.id},
                          headers=anyone(platform, "district_leader"), timeout=30)
    assert answer.status_code == 200, answer.text
    rows = [r for r in answer.json()["rows"] if r["level"] == "coach"]
    return answer.json()["target_share"], rows[0] if rows else {}


def log(platform: Platform, at: RosterSchool, category: str, minutes: int) -> None:
    logged = requests.post(f"{platform.url}/time-entries", timeout=30,
                           headers=bearer(at.coaches[0], "coach"), json={
                               "entry_id": str(uuid.uuid4()), "coach_id": at.coaches[0],
                               "school_id": at.id, "worked_on": clock.today().isoformat(),
                               "minutes": minutes, "category_id": category})
    assert logged.status_code == 201, logged.text


def test_a_coach_is_judged_against_the_districts_target(platform: Platform) -> None:
    at = school(platform, coaches=1)
    log(platform, at, "co-planning", 30)  # 30% of the coach's time is coaching
    log(platform, at, "covering-classes", 70)
    wait_until(lambda: coach_row(platform, at)[1].get("minutes") == 100, timeout=30,
               what="the coach's time in the report")
    # The default target, 40%: the coach is below it.
    target, row = coach_row(platform, at)
    assert (target, row["coaching_share"], row["below_target"]) == (0.4, 0.3, True)
    try:
        restart_reporting(platform, COACHING_SHARE_TARGET="0.25")
        target, row = coach_row(platform, at)
        assert (target, row["coaching_share"], row["below_target"]) == (0.25, 0.3, False)
    finally:
        restart_reporting(platform)
    assert coach_row(platform, at)[0] == 0.4
