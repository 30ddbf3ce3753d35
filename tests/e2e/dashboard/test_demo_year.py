"""The demo's coaching agreements were signed on paper on the school year's first day: each
shows that day and the day it was entered, and plan alignment holds the time coaches
logged before today (the year so far) to them."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from coachops import clock
from deploy.demo import first_school_day
from deploy.demo_district import District
from services.agreements.domain import coaching_agreement_id
from services.reporting import periods
from tests.e2e.dashboard.conftest import api, token
from tests.support.platform import Platform

pytestmark = pytest.mark.e2e


def test_the_demo_agreements_are_in_force_from_the_start_of_the_year(
        platform: Platform, demo: District) -> None:
    today = clock.today()
    start = periods.school_year_range(demo.school_year, *periods.school_year_start())[0]
    signed = [pair for pair in demo.pairs() if pair not in demo.awaiting_principal]
    assert signed
    for coach, school in signed:
        agreement = coaching_agreement_id(uuid.UUID(demo.id(coach)), uuid.UUID(demo.id(school)),
                                          demo.school_year)
        version = api(platform, token(demo.id(coach), "coach"),
                      f"/coaching-agreements/{agreement}")["versions"][0]
        assert version["signed"] == {"coach": start.isoformat(), "principal": start.isoformat()}
        assert version["in_force_from"] == start.isoformat()
        assert set(version["entered"]) == {"coach", "principal"}
        assert all(day <= today.isoformat() for day in version["entered"].values())

    # Time logged before today, in the demo's schools, serves the agreements in force
    # (the demo imports time from the first school day: none before it, in early August).
    before_today = today - timedelta(days=1)
    if first_school_day(demo.school_year) > before_today:
        return
    plan = api(platform, token(demo.id(demo.leader), "district_leader"),
               "/reports/plan-alignment", from_date=start.isoformat(),
               to_date=before_today.isoformat())
    schools = {demo.id(s) for s in demo.schools}
    aligned = sum(r["aligned_minutes"] for r in plan["rows"]
                  if r["level"] == "school" and r["key"] in schools)
    coaching = sum(r["coaching_minutes"] for r in plan["rows"]
                   if r["level"] == "school" and r["key"] in schools)
    assert 0 < aligned <= coaching
