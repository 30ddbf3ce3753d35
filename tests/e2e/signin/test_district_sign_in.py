"""The whole district sign-in in headless Chromium, for each role: the dashboard's (or the
console's) "Sign in with your district account", the provider's page (a real OpenID
Connect provider run as a process, ``tests/support/oidc.py``), and back, signed in by a
session cookie with no token anywhere. A person with two roles chooses one and switches;
someone the roster does not know gets a page that says so. The sign-in page, the role
chooser and the refusal pass the accessibility check; each step is a screenshot."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.signin.conftest import through_the_provider
from tests.support.browser import assert_accessible, shot
from tests.support.oidc import District, Gateway, RunningProvider

pytestmark = pytest.mark.e2e

# role -> (who on the test roster, where they start, what the page then shows)
ROLES = {
    "coach": ("coach", "/dashboard/", "Coach"),
    "teacher": ("teacher", "/dashboard/", "The dashboard has no views for a Teacher"),
    "principal": ("principal", "/dashboard/", "Principal"),
    "district_leader": ("district_leader", "/dashboard/", "District coaching leader"),
    "clt_rep": ("clt_rep", "/dashboard/", "CLT representative"),
    "it_admin": ("it_admin", "/admin/", "District IT"),
}


def loaded(page: Page) -> None:
    page.wait_for_function(
        "() => /loaded\\.$/.test(document.getElementById('status').textContent)"
        " || document.getElementById('error').textContent !== ''"
        " || !document.getElementById('no-views').hidden")


@pytest.mark.parametrize("role", list(ROLES))
def test_each_role_signs_in_with_their_district_account(
        page: Page, gateway: Gateway, district: District, role: str) -> None:
    who, start, shown = ROLES[role]
    page.goto(gateway.url + start)
    link = page.get_by_role("link", name="Sign in with your district account")
    expect(link).to_be_visible()
    expect(page.locator("#token")).to_be_hidden()  # no token prompt: not in production
    shot(page, f"signin-{role}-1-start")
    if role == "coach":
        assert_accessible(page, f"the sign-in of {start}")
    link.click()
    through_the_provider(page, district[who].email, role)
    page.wait_for_url(f"{gateway.url}{start}")
    if start == "/admin/":
        expect(page.locator("#who")).to_contain_text(shown)
        expect(page.locator("#main")).to_be_visible()
    else:
        loaded(page)
        expect(page.locator("body")).to_contain_text(shown)
    assert not page.locator("#sign-in").is_visible()
    cookies = {c["name"]: c for c in page.context.cookies()}
    assert cookies["coachops_session"]["httpOnly"] and cookies["coachops_session"][
        "sameSite"] == "Lax"
    assert page.evaluate("sessionStorage.length") == 0  # no token kept in the page
    shot(page, f"signin-{role}-3-signed-in")


def test_a_coach_who_also_represents_a_region_chooses_and_switches(
        page: Page, gateway: Gateway, district: District) -> None:
    page.goto(f"{gateway.url}/dashboard/")
    page.get_by_role("link", name="Sign in with your district account").click()
    through_the_provider(page, district["coach_and_rep"].email, "two-roles")
    chooser = page.locator("#choose-role")
    expect(chooser).to_be_visible()
    shot(page, "signin-two-roles-3-choose")
    assert_accessible(page, "the role chooser")
    page.get_by_role("button", name="Coach", exact=True).click()
    loaded(page)
    expect(page.locator("#who")).to_contain_text("Coach")
    expect(page.get_by_role("link", name="My week")).to_be_visible()
    page.get_by_role("button", name="Switch role").click()
    page.get_by_role("button", name="CLT representative").click()
    loaded(page)
    expect(page.locator("#who")).to_contain_text("CLT representative")
    expect(page.get_by_role("link", name="Council")).to_be_visible()
    shot(page, "signin-two-roles-4-switched")
    # Signing out ends the session here and sends the browser to the provider's sign-out
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/oauth2/end_session**")
    shot(page, "signin-two-roles-5-provider-sign-out")
    assert page.request.get(f"{gateway.url}/auth/session").json()["signed_in"] is False


def test_someone_the_roster_does_not_know_is_told_so(
        page: Page, gateway: Gateway, provider: RunningProvider) -> None:
    provider.set_user("visitor@elsewhere.example", {"email": "visitor@elsewhere.example"})
    page.goto(f"{gateway.url}/dashboard/")
    page.get_by_role("link", name="Sign in with your district account").click()
    through_the_provider(page, "visitor@elsewhere.example", "refused")
    expect(page.get_by_role("heading", name="You cannot sign in to coachops")).to_be_visible()
    expect(page.locator("main")).to_contain_text(
        "Nobody on the district's roster has the email visitor@elsewhere.example")
    assert "coachops_session" not in {c["name"] for c in page.context.cookies()}
    shot(page, "signin-refused")
    assert_accessible(page, "the refusal page")


def test_district_it_issues_an_integration_token_in_their_session(
        page: Page, gateway: Gateway, district: District) -> None:
    """A change from the console (issuing a token) carries the session's CSRF token."""
    page.goto(f"{gateway.url}/admin/")
    page.get_by_role("link", name="Sign in with your district account").click()
    through_the_provider(page, district["it_admin"].email, "console")
    expect(page.locator("#who")).to_contain_text("District IT")
    page.get_by_label("Name, email or roster sourcedId").fill(district["coach"].email)
    page.get_by_role("button", name="Find", exact=True).click()
    page.locator("#people article").first.get_by_role("button").click()
    page.get_by_label("Read reports").check()
    page.get_by_label("What it is for").fill("Coaching log export")
    page.get_by_role("button", name="Issue token").click()
    issued = page.get_by_label("The new token: copy it now, it is not shown again")
    expect(issued).not_to_be_empty()
    expect(page.locator("#tokens tbody tr")).to_contain_text("active")
    shot(page, "signin-console-token-issued")
