"""A coach's, a teacher's and a principal's work through the app's pages only (the API
only puts them on the roster and, at the end, checks what arrived): the coach logs a day
with the keyboard, proposes a cycle to the teacher chosen by name, the teacher accepts, the
coach records an observation with a tally and the talk-time timer (keyboard alone),
debriefs and sets two next steps, the teacher completes one ("1/2"), the coach drafts the
coaching agreement and the principal co-signs it; then the district leader's dashboard
shows the coach by name, their time and their cycle, found by following its links, until
the teacher withdraws the cycle from reporting. axe on every view; desktop and phone
screenshots of each role."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
import requests
from playwright.sync_api import BrowserContext, Page, expect

from tests.e2e.app.conftest import checked, loaded, open_app, propose, settled, tab_to, view
from tests.e2e.dashboard.conftest import cell, count, hours, sign_in, token, wait_loaded
from tests.support.auth import bearer
from tests.support.browser import assert_accessible, shot
from tests.support.people import NamedSchool
from tests.support.platform import Platform, wait_until
from tests.support.reporting import restart_reporting

pytestmark = pytest.mark.e2e


def log_time_by_keyboard(page: Page) -> None:
    tab_to(page, "Category")
    page.keyboard.press("End")  # the last category, "Admin tasks"
    tab_to(page, "Minutes")
    page.keyboard.type("45")
    tab_to(page, "Log time")
    page.keyboard.press("Enter")
    entries = page.locator("#entries")
    expect(entries).to_contain_text("Admin tasks: 45 min")
    expect(entries).not_to_contain_text("waiting to send")


def observe_by_keyboard(page: Page) -> None:
    tab_to(page, "Look-for")
    page.keyboard.type("student responds")
    page.keyboard.press("Enter")
    tab_to(page, "Add one: student responds")
    page.keyboard.press("Enter")
    page.keyboard.press("Space")
    expect(page.locator("#tallies output")).to_have_text("2")
    tab_to(page, "Start teacher talk")
    page.keyboard.press("Enter")
    page.wait_for_timeout(2200)  # the timer counts real seconds
    page.keyboard.press("Enter")  # the same button, now "Stop teacher talk"
    expect(page.locator("#talk .timer")).not_to_have_text("00:00")
    tab_to(page, "Note")
    page.keyboard.type("Most hands up after wait time")
    page.keyboard.press("Enter")
    expect(page.locator("#notes li")).to_contain_text("Most hands up")
    checked(page, "coach-observe-desktop")
    tab_to(page, "Save the observation")
    page.keyboard.press("Enter")


def follow(page: Page, link: str) -> None:
    """Follow the dashboard's drill-down link named ``link`` and wait for the view it opens."""
    page.evaluate("document.getElementById('status').textContent = ''")
    page.locator("main").get_by_role("link", name=link, exact=True).first.click()
    wait_loaded(page)


def tab(page: Page, name: str) -> None:
    page.evaluate("document.getElementById('status').textContent = ''")
    page.locator("#tabs").get_by_role("link", name=name).click()
    wait_loaded(page)


def pair_row(platform: Platform, people: NamedSchool) -> dict[str, Any]:
    """The coach's row at the school in plan alignment, as the leader's report gives it."""
    plan = requests.get(f"{platform.url}/reports/plan-alignment",
                        params={"school_id": people.id},
                        headers=bearer(people.leader.id, "district_leader"),
                        timeout=30).json()["rows"]
    return dict(next(r for r in plan if r["key"] == f"{people.coach.id}/{people.id}"))


def leader_sees_the_coach(platform: Platform, people: NamedSchool, page: Page,
                          screenshot: str) -> None:
    """The district leader signs in to the dashboard and, from the district down through
    the school's region and the school, finds the coach by name with the hours they
    logged (time use) and their cycles (plan alignment), as the reports give them."""
    leader = bearer(people.leader.id, "district_leader")
    query = {"school_id": people.id}
    time_rows = requests.get(f"{platform.url}/reports/time-use", params=query, headers=leader,
                             timeout=30).json()["rows"]
    minutes = next(r for r in time_rows if r["level"] == "coach")["minutes"]
    pair = pair_row(platform, people)
    assert pair["cycles"] == 1  # the district's threshold is one teacher for this journey

    sign_in(page, platform, token(people.leader.id, "district_leader"))
    follow(page, f"North {people.tag}")
    follow(page, people.name)
    coach_link = page.locator("#coaching-share").get_by_role("link", name=people.coach.name)
    expect(coach_link).to_be_visible()
    assert cell(page, "coaching-share", people.coach.id, "hours") == hours(minutes)
    assert_accessible(page, f"leader-time-use-{screenshot}")
    shot(page, f"app-leader-time-use-{screenshot}")

    tab(page, "Plan alignment")
    follow(page, f"North {people.tag}")
    follow(page, people.name)
    row = page.locator(f'#alignment tr[data-key="{pair["key"]}"]')
    expect(row.locator('[data-column="name"]')).to_contain_text(people.coach.name)
    assert cell(page, "alignment", pair["key"], "cycles") == count(pair["cycles"])
    assert cell(page, "alignment", pair["key"], "coaching_hours") == hours(
        pair["coaching_minutes"])
    # On a phone the table scrolls sideways: bring the cycles into the picture.
    row.locator('[data-column="cycles"]').scroll_into_view_if_needed()
    assert_accessible(page, f"leader-alignment-{screenshot}")
    shot(page, f"app-leader-alignment-{screenshot}")


def test_a_cycle_and_an_agreement_through_the_app(
        platform: Platform, people: NamedSchool,
        contexts: Callable[[bool], BrowserContext]) -> None:
    headers = bearer(people.coach.id, "coach")
    today = requests.get(f"{platform.url}/me", headers=headers, timeout=30).json()["today"]
    yesterday = (date.fromisoformat(today) - timedelta(days=1)).isoformat()
    coach = contexts(False).new_page()
    refused_by_policy: list[str] = []  # the page's own policy must let the app install
    coach.on("console", lambda message: refused_by_policy.append(message.text)
             if "Content Security Policy" in message.text else None)
    open_app(coach, platform, people.coach.id, "coach")
    coach.evaluate("() => navigator.serviceWorker.ready")
    expect(coach.locator("#who")).to_have_text(f"{people.coach.name} · Coach")
    log_time_by_keyboard(coach)
    entry = coach.locator("#entries li").first
    entry.get_by_role("button", name="Correct").click()
    entry.get_by_label("New minutes").fill("40")
    entry.get_by_label("Why correct it").fill("Left early")
    entry.get_by_role("button", name="Save the correction").click()
    expect(coach.locator("#entries")).to_contain_text("Admin tasks: 40 min")
    expect(coach.locator("#entries")).to_contain_text("corrected 1\N{MULTIPLICATION SIGN}")
    settled(coach)
    coach.get_by_text("Import time from a spreadsheet").click()
    coach.get_by_label("Spreadsheet file (.csv)").set_input_files(files=[{
        "name": "week.csv", "mimeType": "text/csv",
        "buffer": f"date,minutes,category\n{yesterday},30,tech-support\n".encode()}])
    coach.get_by_role("button", name="Import").click()
    expect(coach.locator("main")).to_contain_text("Imported 1 entry.")
    expect(coach.locator("#week")).to_contain_text("the district's target 40.0%")
    checked(coach, "coach-today-desktop")

    propose(coach, people.teacher.name, "danielson-2b", "More students explain their thinking",
            "Responses tallied per lesson", "2027-05-01")
    expect(coach.locator("#caseload")).to_contain_text(
        f"{people.teacher.name}: More students explain their thinking")
    checked(coach, "coach-cycles-desktop")

    teacher = contexts(False).new_page()
    open_app(teacher, platform, people.teacher.id, "teacher")
    expect(teacher.locator("#awaiting")).to_contain_text(f"With {people.coach.name}")
    teacher.locator("#awaiting").get_by_role("link").click()
    loaded(teacher)
    checked(teacher, "teacher-proposed-desktop")
    teacher.get_by_role("button", name="Accept").click()
    expect(teacher.locator("#cycle")).to_contain_text("active")

    coach.reload()
    loaded(coach)
    coach.locator("#caseload").get_by_role("link").first.click()
    loaded(coach)
    cycle_url = coach.url
    coach.get_by_label("How the coach enters the room").fill("Quietly, at the back")
    coach.get_by_label("What the coach observes").fill("Student responses")
    coach.get_by_role("button", name="Propose the norms").click()
    expect(coach.locator("#norms")).to_contain_text("the teacher has not agreed yet")
    # A walkthrough done earlier today, then confirmed on Today as a time entry.
    coach.get_by_label("What", exact=True).select_option(label="Walkthrough")
    coach.get_by_label("Starts").fill(f"{today}T00:30")
    coach.get_by_label("Minutes", exact=True).first.fill("20")
    coach.get_by_role("button", name="Schedule").click()
    coach.locator("#cycle-content").get_by_role("button", name="Done").click()
    expect(coach.locator("#cycle-content")).to_contain_text("walkthrough", timeout=15_000)
    settled(coach)
    view(coach, "Today")
    for _ in range(40):  # time tracking learns of it from the bus
        if coach.locator("#suggestions").count():
            break
        coach.wait_for_timeout(500)
        coach.reload()
        loaded(coach)
    checked(coach, "coach-today-suggestion-desktop")
    coach.locator("#suggestions").get_by_role("button", name="Confirm").click()
    expect(coach.locator("#entries")).to_contain_text("20 min")
    settled(coach)
    coach.go_back()
    loaded(coach)
    coach.get_by_role("link", name="Record an observation").click()
    loaded(coach)
    observe_by_keyboard(coach)
    settled(coach)
    expect(coach.locator("#cycle-content")).to_contain_text("student responds 2")
    expect(coach.locator("#cycle-content")).to_contain_text("teacher talk")

    coach.get_by_label("Evidence discussed").fill("Tally went from 5 to 12 responses")
    coach.get_by_label("Keepers, one a line").fill("Wait time")
    coach.get_by_label("Polishers, one a line").fill("Cold calling")
    coach.get_by_label("Progress toward the goal (1-5)").fill("3")
    coach.get_by_label("Progress, in words").fill("Halfway there")
    coach.get_by_role("button", name="Record the debrief").click()
    expect(coach.locator("#cycle-content")).to_contain_text("Tally went from 5 to 12",
                                                            timeout=15_000)
    settled(coach)
    for text in ("Try think-pair-share", "Plan two open questions"):
        coach.get_by_label("Next step", exact=True).fill(text)
        coach.get_by_label("Due").fill("2027-01-15")
        coach.get_by_role("button", name="Add the next step").click()
        expect(coach.locator("#steps")).to_contain_text(text, timeout=15_000)
        settled(coach)
    expect(coach.locator("#steps-progress")).to_have_text("0/2 next steps complete")
    checked(coach, "coach-cycle-desktop")

    teacher.goto(cycle_url)
    teacher.reload()  # the same address: read the cycle again
    loaded(teacher)
    teacher.get_by_role("button", name="Agree to the norms").click()
    expect(teacher.locator("#norms")).to_contain_text(f"{people.teacher.name} agreed on")
    teacher.get_by_role("button", name="Complete: Try think-pair-share").click()
    expect(teacher.locator("#steps-progress")).to_have_text("1/2 next steps complete")
    expect(teacher.locator("#reads")).to_contain_text(people.coach.name)
    checked(teacher, "teacher-cycle-desktop")

    coach.goto(cycle_url)
    coach.reload()
    loaded(coach)
    coach.get_by_role("button", name="Move back a phase").click()
    expect(coach.locator("#cycle")).to_contain_text("phase act")
    coach.get_by_label("Outcome").select_option(label="Partly met")
    coach.get_by_label("Evidence", exact=True).fill("Up from 5 to 12 responses")
    coach.get_by_role("button", name="Close the cycle").click()
    expect(coach.locator("#cycle-content")).to_contain_text("Closed: partly met")

    view(coach, "Agreements")
    coach.get_by_label("Focus areas, one a line (id: label)").fill("literacy: Literacy")
    coach.get_by_label("The coach's role", exact=True).fill("A thinking partner")
    coach.get_by_label("Not the coach's role").fill("An evaluator")
    coach.get_by_role("button", name="Draft the agreement").click()
    loaded(coach)
    coach.get_by_role("button", name="Sign version 1").click()
    expect(coach.locator("main")).to_contain_text("coach signed")
    checked(coach, "coach-agreements-desktop")

    principal = contexts(False).new_page()
    open_app(principal, platform, people.principal.id, "principal")
    expect(principal.locator("main")).to_contain_text(people.coach.name)
    checked(principal, "principal-school-desktop")
    view(principal, "Agreements")
    principal.get_by_role("button", name="Sign version 1").click()
    expect(principal.locator("main")).to_contain_text("Version 1 (in force)")
    principal.get_by_label("Notes").fill("First check-in: on track")
    principal.get_by_role("button", name="Record a check-in").click()
    expect(principal.locator("main")).to_contain_text("First check-in: on track")
    expect(principal.locator("main")).not_to_contain_text("student responds")

    coach.reload()
    loaded(coach)
    coach.get_by_text("Revise the agreement").click()
    coach.get_by_label("The coach's role", exact=True).fill("A thinking partner in planning")
    coach.get_by_role("button", name="Save the revision").click()
    expect(coach.locator("main")).to_contain_text("Version 2, the revision")
    principal.reload()
    loaded(principal)
    expect(principal.locator("[data-version='2']")).to_contain_text("in planning")
    expect(principal.locator("[data-version='1']")).to_contain_text("which it replaces")
    principal.get_by_role("button", name="Sign version 2").click()
    expect(principal.locator("[data-version='2']")).to_contain_text("principal signed")
    checked(principal, "principal-agreements-desktop")

    # What arrived, through the API: the time once, the cycle as the app showed it.
    assert not refused_by_policy
    entries = requests.get(f"{platform.url}/coaches/{people.coach.id}/time/days/{today}",
                           headers=headers, timeout=30).json()["entries"]
    assert sorted(e["minutes"] for e in entries) == [20, 40]

    # Each role on a phone (390x844).
    for person, role, views in ((people.coach, "coach", ("Today", "Cycles", "Agreements",
                                                          "Outbox")),
                                (people.teacher, "teacher", ("My cycles",)),
                                (people.principal, "principal", ("My school", "Agreements"))):
        phone = contexts(True).new_page()
        open_app(phone, platform, person.id, role)
        for name in views:
            view(phone, name)
            checked(phone, f"{role}-{name.lower().replace(' ', '-')}-phone")

    # The district leader's dashboard: the coach's time and cycle, by name, once reporting
    # has the day's time (it follows the events on the bus).
    logged = sum(e["minutes"] for e in entries)
    wait_until(lambda: sum(r["minutes"] for r in requests.get(
        f"{platform.url}/reports/time-use", params={"school_id": people.id, "from_date": today,
                                                     "to_date": today},
        headers=bearer(people.leader.id, "district_leader"), timeout=30).json()["rows"]
        if r["level"] == "coach") == logged, timeout=30, what="the day's time in the reports")
    # One teacher's cycle is a cell the default threshold (3 teachers) suppresses; this
    # district reports from one teacher on, so the leader sees the cycle counted.
    try:
        restart_reporting(platform, REPORTING_SUPPRESSION_THRESHOLD="1")
        leaders = [contexts(on_phone).new_page() for on_phone in (False, True)]
        for page, screenshot in zip(leaders, ("desktop", "phone"), strict=True):
            leader_sees_the_coach(platform, people, page, screenshot)

        # The teacher withdraws the cycle from reporting: the leader's count drops to none.
        teacher.get_by_role("button", name="Withdraw from reporting").click()
        expect(teacher.locator("#reporting")).to_contain_text(
            "You withdrew this cycle from reports")
        wait_until(lambda: pair_row(platform, people)["cycles"] == 0, timeout=30,
                   what="the withdrawal in the reports")
        leaders[0].reload()  # the view is in the address: the same school's plan alignment
        wait_loaded(leaders[0])
        assert cell(leaders[0], "alignment", f"{people.coach.id}/{people.id}", "cycles") == "0"
    finally:
        restart_reporting(platform)
