"""District IT, in the console in headless Chromium, imports an SIS export alone, reads what
is still to set, and sets it by name: a coach at a school, a school in a (new) region and
that region's representative. The list shrinks, the API says the same, and the same export
imported again would change nothing (the SIS does not undo the district's own facts).
axe-clean; desktop and phone screenshots."""

from __future__ import annotations

import uuid

import pytest
import requests
from playwright.sync_api import Page, expect

from coachops import clock
from services.agreements.roster import roster_id
from tests.support.browser import assert_accessible, shot
from tests.support.platform import Platform
from tests.support.roster import it_admin_headers
from tests.support.sis import Export

from .test_console import sign_in

pytestmark = pytest.mark.e2e


def choose_export(page: Page, export: Export) -> None:
    page.get_by_label("The export (zip)").set_input_files(
        {"name": "export.zip", "mimeType": "application/zip", "buffer": export.zip()})
    page.get_by_role("button", name="Preview").click()


def test_import_the_export_alone_then_set_a_coach_a_region_and_its_representative(
        page: Page, phone: Page, platform: Platform) -> None:
    tag = f"ds{uuid.uuid4().hex[:6]}"
    export = Export.generate(tag, schools=2, teachers=2, students=2)
    first, second = (f"{tag.upper()} School 1", f"{tag.upper()} School 2")
    region = f"{tag.upper()} North"
    today = clock.today().isoformat()

    sign_in(page, platform)
    choose_export(page, export)
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("#import-state")).to_contain_text("Imported: ", timeout=120_000)
    without_coach = page.locator("#unset section").filter(
        has=page.get_by_role("heading", name="Schools without a coach"))
    without_region = page.locator("#unset section").filter(
        has=page.get_by_role("heading", name="Schools without a region"))
    expect(without_coach.get_by_text(first, exact=True)).to_be_visible()
    expect(without_coach.get_by_text(second, exact=True)).to_be_visible()
    expect(without_region.get_by_text(first, exact=True)).to_be_visible()

    # Errors beside their field: one the console sees, one the API answers (400).
    setup = page.locator("#coach-form")
    setup.get_by_role("button", name="Make coach").click()
    expect(page.locator("#coach-school-error")).to_have_text("Choose a school.")
    expect(page.locator("#coach-school")).to_have_attribute(
        "aria-invalid", "true")
    page.locator("#coach-school").select_option(label=first)
    page.locator("#coach-person").select_option(label="Teri Teach1x1 (Teacher)")
    page.locator("#coach-on").fill("1800-01-01")
    setup.get_by_role("button", name="Make coach").click()
    expect(page.locator("#coach-on-error")).to_contain_text("1900-01-01")
    expect(page.locator("#coach-school-error")).to_have_count(0)
    shot(page, "admin-desktop-district-setup-error")
    page.locator("#coach-on").fill("")
    setup.get_by_role("button", name="Make coach").click()
    expect(page.locator("#setup-done")).to_have_text(
        f"Teri Teach1x1 coaches at {first} from {today}.")
    expect(without_coach.get_by_text(first, exact=True)).to_have_count(0)
    expect(without_coach.get_by_text(second, exact=True)).to_be_visible()

    page.locator("#region-school").select_option(label=first)
    page.get_by_label("Region (a new name makes a new region)").fill(region)
    page.get_by_role("button", name="Put in region").click()
    expect(page.locator("#setup-done")).to_have_text(f"{first} is in {region} from {today}.")
    expect(without_region.get_by_text(first, exact=True)).to_have_count(0)
    without_rep = page.locator("#unset section").filter(
        has=page.get_by_role("heading", name="Regions without a representative"))
    expect(without_rep.get_by_text(region, exact=True)).to_be_visible()

    page.locator("#rep-region").select_option(label=region)
    page.locator("#rep-person").select_option(label="Pat Head1 (Principal)")
    page.get_by_role("button", name="Name representative").click()
    expect(page.locator("#setup-done")).to_have_text(
        f"Pat Head1 represents {region} from {today}.")
    expect(page.locator("#unset")).not_to_contain_text(region)
    assert_accessible(page, "the district's setup")
    shot(page, "admin-desktop-district-setup")

    # The API says the same, by name.
    headers = it_admin_headers(platform)
    school = roster_id(f"{tag}-school-1")
    people = requests.get(f"{platform.url}/roster/people", headers=headers, timeout=30,
                          params={"school_id": str(school), "role": "coach"}).json()["people"]
    assert [(p["name"], p["coach_at"]) for p in people] == [
        ("Teri Teach1x1", [{"school_id": str(school), "name": first}])]
    regions = requests.get(f"{platform.url}/roster/regions", headers=headers,
                           timeout=30).json()["regions"]
    assert [(r["name"], r["representative"]["name"]) for r in regions
            if r["name"] == region] == [(region, "Pat Head1")]

    # At phone width: the same SIS export again would change nothing the district set.
    sign_in(phone, platform)
    expect(phone.locator("#unset")).not_to_contain_text(region)
    choose_export(phone, export)
    expect(phone.locator("#import-preview")).to_contain_text(
        "Nothing would change: the roster already says all this.")
    assert_accessible(phone, "the district's setup at phone width")
    shot(phone, "admin-phone-district-setup")
