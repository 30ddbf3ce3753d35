"""District IT's console (``/admin/``) in headless Chromium against the running platform:
services and parked messages at a glance, a person found by name, email or sourcedId with
their roles and schools by name, an integration token issued, copied and revoked, and a
person forgotten only after the confirmation. axe-clean; desktop and phone screenshots."""

from __future__ import annotations

import pytest
import requests
from playwright.sync_api import Page, expect

from tests.support import roster
from tests.support.browser import assert_accessible, shot
from tests.support.people import NamedSchool, named_school
from tests.support.platform import Platform, wait_until

pytestmark = pytest.mark.e2e


def sign_in(page: Page, platform: Platform) -> None:
    token = roster.it_admin_headers(platform)["Authorization"].removeprefix("Bearer ")
    page.goto(f"{platform.url}/admin/")
    page.get_by_label("Access token").fill(token)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("Signed in as District IT")).to_be_visible()
    expect(page.locator("#health li").first).to_be_visible()
    expect(page.locator("#parked-count")).not_to_be_empty()


def find(page: Page, query: str) -> None:
    page.get_by_label("Name, email or roster sourcedId").fill(query)
    page.get_by_role("button", name="Find", exact=True).click()
    expect(page.locator("#people .hint")).to_be_visible()


def test_find_a_person_issue_and_revoke_a_token(page: Page, platform: Platform) -> None:
    school = named_school(platform)
    platform.wait_ready()  # a test before may have restarted a service
    sign_in(page, platform)
    expect(page.locator("#health")).to_contain_text("✓ ready agreements")
    expect(page.locator("#health")).to_contain_text("✓ ready gateway database")

    find(page, school.coach.email)
    person = page.locator("#people article")
    expect(person).to_have_count(1)
    expect(person).to_contain_text(school.coach.name)
    expect(person).to_contain_text(f"Coach at {school.name}")
    find(page, f"rosalind okonkwo{school.tag}")
    expect(person).to_have_count(1)
    person.get_by_role("button").click()
    expect(page.locator("#person-title")).to_have_text(school.coach.name)
    expect(page.locator("#tokens")).to_contain_text("None issued.")

    page.get_by_label("Read reports").check()
    page.get_by_label("What it is for").fill("Coaching log export")
    page.get_by_label("Days it lives").fill("30")
    page.get_by_label("Acting as").select_option("coach")
    page.get_by_role("button", name="Issue token").click()
    issued = page.get_by_label("The new token: copy it now, it is not shown again")
    expect(issued).not_to_be_empty()
    token = issued.input_value()
    page.get_by_role("button", name="Copy token").click()
    expect(page.locator("#copied")).to_have_text("Copied.")
    expect(page.locator("#tokens tbody tr")).to_have_count(1)
    expect(page.locator("#tokens tbody tr")).to_contain_text("active")
    reports = f"{platform.url}/reports/time-use"
    headers = {"Authorization": f"Bearer {token}"}
    assert requests.get(reports, headers=headers, timeout=30).status_code == 200
    scope = requests.get(f"{platform.url}/time-categories", headers=headers, timeout=30)
    assert (scope.status_code, scope.json()["field"]) == (403, "scope")
    assert_accessible(page, "the console with a token issued")
    shot(page, "admin-desktop-token-issued")

    page.get_by_role("button", name="Revoke “Coaching log export”").click()
    expect(page.locator("#status")).to_contain_text("Revoked “Coaching log export”")
    expect(page.locator("#tokens tbody tr")).to_contain_text("revoked")
    wait_until(lambda: requests.get(reports, headers=headers, timeout=30).status_code == 401,
               timeout=10, what="the revoked token to be refused")


def test_forget_a_person_only_after_the_confirmation(page: Page, phone: Page,
                                                     platform: Platform) -> None:
    school: NamedSchool = named_school(platform)
    sign_in(page, platform)
    find(page, school.teacher.sourced_id)
    page.locator("#people article").get_by_role("button").click()
    page.get_by_role("button", name="Forget…").click()
    dialog = page.get_by_role("dialog", name="Forget this person?")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text(school.teacher.name)
    assert_accessible(page, "the forget confirmation")
    shot(page, "admin-desktop-forget-confirmation")

    dialog.get_by_label("Type their sourcedId to confirm").fill("not-them")
    dialog.get_by_role("button", name="Forget them").click()
    expect(dialog.locator("#forget-error")).to_contain_text("nothing was forgotten")
    find_again = requests.get(f"{platform.url}/people", params={"q": school.teacher.sourced_id},
                              headers=roster.it_admin_headers(platform), timeout=30)
    assert find_again.json()["people"][0]["forgotten"] is False
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()

    page.get_by_role("button", name="Forget…").click()
    dialog.get_by_label("Type their sourcedId to confirm").fill(school.teacher.sourced_id)
    dialog.get_by_role("button", name="Forget them").click()
    expect(page.locator("#status")).to_contain_text(f"{school.teacher.name} was forgotten")
    find(page, school.teacher.sourced_id)
    expect(page.locator("#people article")).to_contain_text(
        f"Forgotten person ({school.teacher.sourced_id})")
    expect(page.locator("#people article")).not_to_contain_text("Tobias")

    # The same console at phone width.
    sign_in(phone, platform)
    find(phone, school.tag)
    expect(phone.locator("#people article").first).to_be_visible()
    phone.locator("#people article").first.get_by_role("button").click()
    expect(phone.locator("#person")).to_be_visible()
    assert_accessible(phone, "the console at phone width")
    shot(phone, "admin-phone-person")
