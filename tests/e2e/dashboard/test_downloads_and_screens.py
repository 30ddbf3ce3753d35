"""CSV downloads equal the API's CSV, the as-of picker changes the query, and every main
view fits a phone's screen and can be used with a keyboard."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, Route

from coachops import clock
from deploy.demo_district import District
from tests.e2e.dashboard.conftest import api, cell, hours, percent, shot, show, sign_in, token
from tests.support.platform import Platform

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize(("role", "view", "report", "button"), [
    ("district_leader", "#/time-use", "/reports/time-use", "Download time use as CSV"),
    ("district_leader", "#/cycles", "/reports/cycle-activity", "Download cycle activity as CSV"),
    ("clt_rep", "#/council", "/reports/council", "Download the council view as CSV"),
    ("principal", "#/alignment", "/reports/plan-alignment", "Download plan alignment as CSV"),
])
def test_a_downloaded_csv_is_the_api_csv(platform: Platform, demo: District, page: Page,
                                         role: str, view: str, report: str,
                                         button: str) -> None:
    person = {"district_leader": demo.leader,
              "clt_rep": demo.representative_of[demo.regions[0]],
              "principal": demo.principal_of[demo.schools[0]]}[role]
    bearer = token(demo.id(person), role)
    sign_in(page, platform, bearer, view)
    with page.expect_download() as started:
        page.get_by_role("button", name=button).click()
    download = started.value
    text = Path(download.path()).read_text()
    expected = api(platform, bearer, report, format="csv")
    assert text == expected
    assert download.suggested_filename.endswith(".csv")
    assert text.splitlines()[0].startswith("level,key")


def test_the_as_of_picker_asks_for_the_reports_as_of_that_day(
        platform: Platform, demo: District, page: Page, screenshots: Path) -> None:
    leader = token(demo.id(demo.leader), "district_leader")
    sign_in(page, platform, leader)
    day = (clock.today() - timedelta(days=1)).isoformat()
    page.get_by_label("As of").fill(day)
    with page.expect_request(lambda r: "/reports/time-use" in r.url) as asked:
        page.get_by_role("button", name="Show").click()
    assert f"as_of={day}" in asked.value.url
    page.wait_for_function(f"() => location.hash.includes('as_of={day}')")
    page.wait_for_function("() => /loaded\\.$/.test(document.getElementById('status')"
                           ".textContent)")
    report = api(platform, leader, "/reports/time-use", as_of=day)
    assert page.locator("#time-by-category .period").inner_text().endswith(f"as of {day}.")
    regions = [r for r in report["rows"] if r["level"] == "region"]
    for row in regions:
        assert cell(page, "time-by-category", row["key"], "hours") == hours(row["minutes"])
        assert cell(page, "time-by-category", row["key"], "coaching_share") == percent(
            row["coaching_share"])
    shown = page.locator("#time-by-category tbody tr[data-key]").count()
    assert shown == len(regions)
    shot(page, screenshots, "leader-as-of")


@pytest.mark.parametrize(("role", "views"), [
    ("district_leader", ["#/time-use", "#/alignment", "#/trends", "#/cycles", "#/council"]),
    ("clt_rep", ["#/time-use", "#/council"]),
    ("principal", ["#/school", "#/alignment"]),
    ("coach", ["#/my-week", "#/time-use"]),
])
def test_views_fit_a_phone_screen(platform: Platform, demo: District, phone: Page,
                                  screenshots: Path, role: str, views: list[str]) -> None:
    person = {"district_leader": demo.leader,
              "clt_rep": demo.representative_of[demo.regions[0]],
              "principal": demo.principal_of[demo.schools[0]],
              "coach": demo.coach_of(demo.schools[0])}[role]
    sign_in(phone, platform, token(demo.id(person), role))
    for view in views:
        show(phone, view)
        assert phone.locator("#error").inner_text() == ""
        overflow = phone.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"{role} {view} is {overflow}px wider than the phone"
        shot(phone, screenshots, f"phone-{role}-{view.strip('#/')}")


def test_the_skip_link_followed_before_the_page_knows_who_is_signed_in(
        platform: Platform, page: Page) -> None:
    """Nothing is shown until the gateway says who is signed in: the skip link followed in
    that moment (a slow network) takes the focus to the sign-in once it is shown."""
    held: list[Route] = []

    def hold(route: Route) -> None:  # answered only when the test says
        held.append(route)

    page.route("**/auth/session", hold)
    page.goto(f"{platform.url}/dashboard/")
    for _ in range(100):  # Playwright runs the handler while the page is waited on
        if held:
            break
        page.wait_for_timeout(100)
    assert held, "the page never asked who is signed in"
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    assert page.locator("#sign-in").is_hidden()
    assert page.evaluate("document.activeElement.id") != "token"
    held[0].continue_()
    page.wait_for_function("() => document.activeElement.id === 'token'", timeout=10_000)


def test_labels_captions_and_keyboard(platform: Platform, demo: District, page: Page) -> None:
    page.goto(f"{platform.url}/dashboard/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to the content"
    page.keyboard.press("Enter")
    # Followed before the page knew who is signed in, it takes the focus there once shown.
    page.wait_for_function("() => document.activeElement.id === 'token'", timeout=10_000)
    assert page.evaluate("location.hash") == ""
    sign_in(page, platform, token(demo.id(demo.leader), "district_leader"))
    unlabelled = page.evaluate(
        "() => [...document.querySelectorAll('input, textarea, select')]"
        ".filter(e => !e.labels || !e.labels.length).map(e => e.id)")
    assert unlabelled == []
    tables = page.locator("table")
    assert tables.count() >= 2
    for n in range(tables.count()):
        assert tables.nth(n).locator("caption").inner_text().strip()
    # The drill-down links are reachable by keyboard, and Enter follows one.
    link = page.locator("#time-by-category tbody a").first
    link.focus()
    page.keyboard.press("Enter")
    page.wait_for_function("() => location.hash.includes('region=')")
    # A wrong token is refused with the gateway's reason, not a blank page.
    page.get_by_role("button", name="Sign out").click()
    page.get_by_label("Access token").fill("not-a-token")
    page.get_by_role("button", name="Sign in").click()
    assert "not an access token" in page.locator("#sign-in-error").inner_text()
