"""Consent: a teacher withdraws their cycle from aggregate reporting, and every report
leaves it out from then on: today's, one "as of" a date before the withdrawal, and one
rebuilt from scratch."""

from __future__ import annotations

import subprocess
import sys
import uuid
from datetime import date

import requests

from deploy.local import ROOT
from tests.e2e.test_slice import active_cycles, start_as_teacher, start_cycle_body
from tests.integration.reporting.client import feed, report, reporting_url, rows_by_key
from tests.integration.reporting.world import World
from tests.support import roster
from tests.support.auth import bearer
from tests.support.platform import Platform, wait_until

COACHED = 12


def started_at_school(platform: Platform, school: str, **params: str) -> object:
    body = report(platform, "cycle-activity", school_id=school, **params)
    return rows_by_key(body)[("school", school)]["started"]


def test_a_withdrawn_cycle_leaves_every_report(platform: Platform) -> None:
    # Teachers enough that the school is never the smallest one shown beside another
    # test's small school (complementary suppression, services/reporting/suppression.py).
    at = roster.school(platform, coaches=1, teachers=COACHED)
    school = at.id
    cycles = []
    for _ in range(COACHED):
        body = start_cycle_body(platform, at)
        response = start_as_teacher(platform, body)
        assert response.status_code == 201, response.text
        cycles.append((response.json()["cycle_id"], str(body["teacher_ids"][0])))  # type: ignore[index]
    wait_until(lambda: active_cycles(platform, school) == COACHED, timeout=30,
               what="the cycles to reach reporting")
    assert started_at_school(platform, school) == COACHED

    cycle_id, teacher = cycles[0]
    coach = requests.post(f"{platform.url}/cycles/{cycle_id}/withdraw-from-reporting",
                          headers=bearer(at.coaches[0], "coach"), timeout=10)
    assert coach.status_code == 403  # consent is the teacher's, not the coach's
    withdrawn = requests.post(f"{platform.url}/cycles/{cycle_id}/withdraw-from-reporting",
                              headers=bearer(teacher, "teacher"), timeout=10)
    assert withdrawn.status_code == 200, withdrawn.text

    wait_until(lambda: active_cycles(platform, school) == COACHED - 1, timeout=30,
               what="reporting to leave the withdrawn cycle out")
    assert started_at_school(platform, school) == COACHED - 1
    # As of today, and as of any date: the withdrawal reaches back.
    assert started_at_school(platform, school, as_of=date.today().isoformat()) == COACHED - 1
    rebuilt = subprocess.run(
        [sys.executable, "-m", "services.reporting.rebuild", "--from", "received",
         "--database-url", reporting_url()],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert started_at_school(platform, school) == COACHED - 1
    assert active_cycles(platform, school) == COACHED - 1
    # The coaching goes on: the cycle is still the teacher's to read.
    own = requests.get(f"{platform.url}/cycles/{cycle_id}", timeout=10,
                       headers=bearer(teacher, "teacher"))
    assert own.status_code == 200, own.text


def test_a_withdrawal_reaches_back_to_reports_as_of_dates_before_it(
    platform: Platform,
) -> None:
    world = World(2019)
    coach, school = uuid.uuid4(), uuid.uuid4()
    started_on, withdrawn_on = world.d(9, 2), world.d(11, 4)
    cycles = []
    for _ in range(4):
        cycle, teacher = uuid.uuid4(), uuid.uuid4()
        common = {"cycle_id": cycle, "coach_id": coach, "school_id": school}
        world.emit("cycles", "CycleProposed", cycle, started_on, teacher_count=1,
                   focus_area_ids=["fa-1"], phase="plan", proposed_by="coach",
                   proposed_on=started_on, **common)
        world.emit("cycles", "CycleStarted", cycle, started_on, teacher_ids=[teacher],
                   focus_area_ids=["fa-1"], phase="plan", started_on=started_on, **common)
        cycles.append(common)
    world.emit("cycles", "CycleWithdrawnFromReporting", cycles[0]["cycle_id"], withdrawn_on,
               withdrawn_on=withdrawn_on, **cycles[0])
    feed(world)

    year = {"school_year": "2019"}
    assert started_at_school(platform, str(school), **year) == 3
    # On October 1 the withdrawal (November 4) had not happened, and still it counts.
    assert started_at_school(platform, str(school), as_of=world.d(10, 1).isoformat(),
                             **year) == 3
