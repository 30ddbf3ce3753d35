"""The coach's app (``/app/``) signed in with the district account, offline while the
session ends: what the coach wrote is kept, never sent without a sign-in nor under someone
else's, and arrives exactly once after the same coach signs in again (checked through the
API). Headless Chromium, the real provider (``tests/support/oidc.py``), no token pasting."""

from __future__ import annotations

from urllib.parse import quote

import pytest
import requests
from playwright.sync_api import Page, expect

from tests.e2e.app.conftest import loaded, log
from tests.e2e.signin.conftest import through_the_provider
from tests.support.auth import bearer
from tests.support.browser import assert_accessible, shot
from tests.support.oidc import District, Gateway
from tests.support.platform import Platform

pytestmark = pytest.mark.e2e


def signed_in_to_the_app(page: Page, gateway: Gateway, email: str, name: str) -> None:
    page.goto(f"{gateway.url}/app/")
    link = page.get_by_role("link", name="Sign in with your district account")
    expect(link).to_be_visible()
    expect(page.locator("#token")).to_be_hidden()  # no token prompt: not in production
    link.click()
    through_the_provider(page, email, name)
    page.wait_for_url(f"{gateway.url}/app/**")


def entries(platform: Platform, coach: str) -> list[tuple[str, str, str]]:
    """The coach's time entries today, as the server has them."""
    headers = bearer(coach, "coach")
    day = requests.get(f"{platform.url}/me", headers=headers, timeout=30).json()["today"]
    answer = requests.get(f"{platform.url}/coaches/{coach}/time/days/{day}", headers=headers,
                          timeout=30).json()
    return sorted((e["category_id"], e["start"], e["end"]) for e in answer["entries"])


def test_what_a_coach_queued_waits_for_the_same_coach_to_sign_in_again(
        page: Page, platform: Platform, gateway: Gateway, district: District) -> None:
    coach, other = district["coach"], district["coach_and_rep"]
    page.goto(f"{gateway.url}/app/")
    expect(page.get_by_role("link", name="Sign in with your district account")).to_be_visible()
    assert_accessible(page, "the app's sign-in")
    shot(page, "app-signin-1-start")

    signed_in_to_the_app(page, gateway, coach.email, "app-coach")
    loaded(page)
    expect(page.locator("#who")).to_contain_text("Coach")
    assert page.evaluate("sessionStorage.getItem('coachops.token')") is None
    shot(page, "app-signin-2-today")

    # Offline, the coach logs time; meanwhile the session ends at the gateway.
    page.context.set_offline(True)
    log(page, "Co-planning (coaching)", "08:00", "08:45")
    expect(page.locator("#network")).to_contain_text("1 waiting to send")
    csrf = page.context.request.get(f"{gateway.url}/auth/session").json()["csrf_token"]
    ended = page.context.request.post(f"{gateway.url}/auth/signout",
                                      headers={"X-CSRF-Token": csrf})
    assert ended.ok and page.context.request.get(
        f"{gateway.url}/auth/session").json()["signed_in"] is False

    # Back online: nothing is sent without a sign-in; the item is kept, and the app asks
    # to sign in again.
    page.context.set_offline(False)
    expect(page.get_by_role("link", name="Sign in with your district account")).to_be_visible(
        timeout=30_000)
    expect(page.locator("#network")).to_contain_text("1 kept on this device")
    shot(page, "app-signin-3-session-ended")
    assert entries(platform, coach.person_id) == []

    # Someone else signs in on this browser (a coach too): it is not sent under their
    # session, and they are told it is someone else's.
    signed_in_to_the_app(page, gateway, other.email, "app-other")
    expect(page.locator("#choose-role")).to_be_visible()
    assert_accessible(page, "the app's role chooser")
    shot(page, "app-signin-4-other-chooses")
    page.get_by_role("button", name="Coach", exact=True).click()
    loaded(page)
    expect(page.locator("#network")).to_contain_text(
        "1 written on this device by someone else")
    page.locator("#tabs").get_by_role("link", name="Outbox").click()
    loaded(page)
    expect(page.locator("#waiting")).to_contain_text("Nothing waits")
    page.get_by_role("button", name="Send now").click()
    expect(page.get_by_role("button", name="Switch role")).to_be_visible()
    shot(page, "app-signin-5-other-outbox")
    assert entries(platform, coach.person_id) == []
    assert entries(platform, other.person_id) == []
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/oauth2/end_session**")
    assert quote(f"{gateway.url}/app/", safe="") in page.url  # and back to the app after
    assert page.context.request.get(f"{gateway.url}/auth/session").json()["signed_in"] is False

    # The same coach signs in again: what they wrote arrives, exactly once.
    signed_in_to_the_app(page, gateway, coach.email, "app-coach-again")
    loaded(page)
    expect(page.locator("#network")).not_to_contain_text("waiting", timeout=20_000)
    expect(page.locator("#network")).not_to_contain_text("kept")
    page.locator("#tabs").get_by_role("link", name="Outbox").click()
    loaded(page)
    page.get_by_role("button", name="Send now").click()  # once more: nothing twice
    expect(page.locator("#waiting")).to_contain_text("Nothing waits")
    shot(page, "app-signin-6-sent")
    assert entries(platform, coach.person_id) == [("co-planning", "08:00", "08:45")]
