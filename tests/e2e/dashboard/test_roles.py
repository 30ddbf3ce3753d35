"""Each role signs in and sees the numbers the reporting API gives for the same query, and
is refused, with the gateway's reason shown, what belongs to another region or school."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page

from coachops import clock
from deploy.demo_district import District
from tests.e2e.dashboard.conftest import (
    api,
    cell,
    count,
    hours,
    percent,
    refusal,
    shot,
    show,
    sign_in,
    token,
)
from tests.support.browser import assert_accessible
from tests.support.platform import Platform

pytestmark = pytest.mark.e2e


def rows(report: dict, level: str) -> list[dict]:
    return [r for r in report["rows"] if r["level"] == level]


def assert_time_rows(page: Page, report: dict, level: str) -> None:
    shown = rows(report, level)
    assert shown, f"the demo district has no {level} rows to compare"
    for row in shown:
        assert cell(page, "time-by-category", row["key"], "hours") == hours(row["minutes"])
        assert cell(page, "time-by-category", row["key"], "coaching_hours") == hours(
            row["coaching_minutes"])
        assert cell(page, "time-by-category", row["key"], "coaching_share") == percent(
            row["coaching_share"])
        for category, minutes in row["minutes_by_category"].items():
            assert cell(page, "time-by-category", row["key"], f"category:{category}") == hours(
                minutes)


def test_district_leader_drills_down_region_school_coach(
        platform: Platform, demo: District, page: Page, screenshots: Path) -> None:
    leader = token(demo.id(demo.leader), "district_leader")
    sign_in(page, platform, leader)
    district = api(platform, leader, "/reports/time-use")
    assert_time_rows(page, district, "region")
    for coach in rows(district, "coach"):
        assert cell(page, "coaching-share", coach["key"], "coaching_share") == percent(
            coach["coaching_share"])
        shown = percent(coach["coaching_share"])  # below the target as the figure reads
        assert cell(page, "coaching-share", coach["key"], "below_target") == (
            "yes" if float(shown.rstrip("%")) < 40.0 else "no")
    headline = page.locator('#time-by-category [data-headline="coaching_share"]').inner_text()
    assert headline == percent(rows(district, "district")[0]["coaching_share"])
    shot(page, screenshots, "leader-time-use")

    region = demo.region_id(demo.regions[0])
    page.locator(f'#time-by-category tr[data-key="{region}"] a').click()
    page.wait_for_function("() => location.hash.includes('region=')")
    page.wait_for_selector("#time-by-category")
    by_region = api(platform, leader, "/reports/time-use", region_id=region)
    school = rows(by_region, "school")[0]["key"]
    page.wait_for_selector(f'#time-by-category tr[data-key="{school}"]')
    assert_time_rows(page, by_region, "school")
    shot(page, screenshots, "leader-time-use-region")

    page.locator(f'#time-by-category tr[data-key="{school}"] a').click()
    by_school = api(platform, leader, "/reports/time-use", school_id=school)
    coach = rows(by_school, "coach")[0]["key"]
    page.wait_for_selector(f'#time-by-category tr[data-key="{coach}"]')
    assert_time_rows(page, by_school, "coach")
    shot(page, screenshots, "leader-time-use-school")


def test_district_leader_sees_alignment_trends_and_cycles(
        platform: Platform, demo: District, page: Page, screenshots: Path) -> None:
    leader = token(demo.id(demo.leader), "district_leader")
    sign_in(page, platform, leader, "#/alignment")
    plan = api(platform, leader, "/reports/plan-alignment")
    for row in rows(plan, "region"):
        assert cell(page, "alignment", row["key"], "aligned_time_share") == percent(
            row["aligned_time_share"])
        assert cell(page, "alignment", row["key"], "cycles") == count(row["cycles"])
    flags = [r for r in plan["rows"] if r["level"] == "flag_no_agreement"]
    assert flags, "the demo leaves an agreement waiting for its principal"
    for flag in flags:
        assert page.locator(f'#agreements-to-attend tr[data-key="{flag["key"]}"]').count() == 1
    shot(page, screenshots, "leader-alignment")

    show(page, "#/trends")
    time_use = api(platform, leader, "/reports/time-use")
    for row in rows(time_use, "month"):
        assert cell(page, "trends", row["key"], "hours") == hours(row["minutes"])
        assert cell(page, "trends", row["key"], "coaching_share") == percent(row["coaching_share"])
    for row in rows(plan, "month"):
        assert cell(page, "trends", row["key"], "aligned_time_share") == percent(
            row["aligned_time_share"])
    shot(page, screenshots, "leader-trends")

    show(page, "#/cycles")
    activity = api(platform, leader, "/reports/cycle-activity")
    region_rows = rows(activity, "region")
    assert region_rows
    for row in region_rows:
        assert cell(page, "cycle-activity", row["key"], "teachers_coached") == count(
            row.get("teachers_coached", {"suppressed": True}))
        assert cell(page, "cycle-activity", row["key"], "started") == count(
            row.get("started", {"suppressed": True}))
    shot(page, screenshots, "leader-cycles")

    # A school with too few coached teachers is shown as suppressed, like the API says.
    region = demo.region_id(demo.regions[0])
    show(page, f"#/cycles?region={region}")
    by_region = api(platform, leader, "/reports/cycle-activity", region_id=region)
    suppressed = [r for r in rows(by_region, "school") if r.get("suppressed")]
    assert suppressed, "the demo has a school with too few coached teachers"
    for row in suppressed:
        assert cell(page, "cycle-activity", row["key"], "teachers_coached") == "suppressed"
        assert cell(page, "cycle-activity", row["key"], "started") == "suppressed"
    shot(page, screenshots, "leader-cycles-suppressed")


def test_clt_rep_sees_their_region_and_the_council_but_not_another_region(
        platform: Platform, demo: District, page: Page, screenshots: Path) -> None:
    code = demo.regions[0]
    rep = token(demo.id(demo.representative_of[code]), "clt_rep")
    sign_in(page, platform, rep)
    mine = api(platform, rep, "/reports/time-use")
    assert [r["key"] for r in rows(mine, "region")] == [demo.region_id(code)]
    assert_time_rows(page, mine, "school")
    # Their region named at the top, its schools by name.
    assert mine["scope"]["key"] == demo.region_id(code)
    assert page.locator("#who").inner_text() == f"CLT representative for {mine['scope']['name']}"
    for row in rows(mine, "school"):
        assert cell(page, "time-by-category", row["key"], "name") == row["name"]
    assert_accessible(page, "CLT representative's region")
    # A representative does not drill into schools: names are not links.
    assert page.locator("#time-by-category tbody a").count() == 0
    shot(page, screenshots, "clt-rep-region")

    show(page, "#/council")
    council = api(platform, rep, "/reports/council")
    # Every region of the district, the demo's among them (other tests' districts share the
    # platform).
    assert {demo.region_id(code) for code in demo.regions} <= {
        row["key"] for row in rows(council, "region")}
    for row in council["rows"]:
        assert cell(page, "council", row["key"], "coaching_share") == percent(
            row["time_use"]["coaching_share"])
        assert cell(page, "council", row["key"], "hours") == hours(row["time_use"]["minutes"])
    shot(page, screenshots, "clt-rep-council")

    other = demo.region_id(demo.regions[1])
    reason = refusal(platform, rep, "/reports/time-use", region_id=other)
    show(page, f"#/time-use?region={other}")
    assert page.locator("#error").inner_text() == f"Not allowed: {reason} (region_id)"
    assert page.locator("#time-by-category").count() == 0
    shot(page, screenshots, "clt-rep-refused")


def test_principal_sees_agreements_and_coaches_of_their_school_only(
        platform: Platform, demo: District, page: Page, screenshots: Path) -> None:
    waiting_school = demo.awaiting_principal[0][1]
    for school in (demo.schools[0], waiting_school):
        principal = token(demo.id(demo.principal_of[school]), "principal")
        sign_in(page, platform, principal)
        roster = api(platform, principal, f"/schools/{demo.id(school)}/roster")
        report = api(platform, principal, "/reports/time-use")
        assert [r["key"] for r in rows(report, "school")] == [demo.id(school)]
        for coach in roster["coach_ids"]:
            shown = cell(page, "school", coach, "agreement")
            expected = ("In force (version 1)" if school != waiting_school
                        else "version 1 awaits the principal")
            assert shown == expected
            row = next(r for r in rows(report, "coach") if r["key"] == coach)
            assert cell(page, "school", coach, "hours") == hours(row["minutes"])
            assert cell(page, "school", coach, "coaching_share") == percent(row["coaching_share"])
        assert page.locator("#school h2").inner_text() == demo.school_label(school)
        shot(page, screenshots, f"principal-school-{demo.schools.index(school) + 1}")
        page.get_by_role("button", name="Sign out").click()

    principal = token(demo.id(demo.principal_of[demo.schools[0]]), "principal")
    sign_in(page, platform, principal)
    other = demo.id(demo.schools[1])
    reason = refusal(platform, principal, "/reports/time-use", school_id=other)
    show(page, f"#/time-use?school={other}")
    assert page.locator("#error").inner_text().startswith(f"Not allowed: {reason}")
    shot(page, screenshots, "principal-refused")


def test_coach_sees_their_caseload_and_week(
        platform: Platform, demo: District, page: Page, screenshots: Path) -> None:
    coach_id = demo.id(demo.coach_of(demo.schools[0]))
    coach = token(coach_id, "coach")
    sign_in(page, platform, coach)
    today = clock.today()
    caseload = api(platform, coach, f"/coaches/{coach_id}/caseload")
    for phase in ("plan", "act", "reflect", "closed"):
        assert cell(page, "caseload", phase, "count") == str(caseload["counts"][phase])
    assert sum(caseload["counts"].values()) > 0
    assert cell(page, "caseload", "observations", "count") == str(
        len(caseload["observations_scheduled"]))
    assert cell(page, "caseload", "next_steps", "count") == str(
        len(caseload["next_steps_due_this_week"]))
    for phase in ("plan", "act", "reflect"):
        for summary in caseload["by_phase"][phase]:
            assert cell(page, "caseload", summary["cycle_id"], "phase") == phase
    week = api(platform, coach, f"/coaches/{coach_id}/time/weeks/{today.isoformat()}")
    for day in week["days"]:
        assert cell(page, "week", day["date"], "hours") == hours(day["totals"]["total_minutes"])
        assert cell(page, "week", day["date"], "coaching_share") == percent(
            day["totals"]["coaching_share"])
    shot(page, screenshots, "coach-week")

    last_week = (today - timedelta(days=7)).isoformat()
    show(page, f"#/my-week?as_of={last_week}")
    earlier = api(platform, coach, f"/coaches/{coach_id}/time/weeks/{last_week}")
    assert earlier["week_start"] != week["week_start"]
    for day in earlier["days"]:
        assert cell(page, "week", day["date"], "hours") == hours(day["totals"]["total_minutes"])

    other = demo.id(demo.coach_of(demo.schools[1]))
    reason = refusal(platform, coach, "/reports/time-use", coach_id=other)
    show(page, f"#/time-use?coach={other}")
    assert page.locator("#error").inner_text().startswith(f"Not allowed: {reason}")
