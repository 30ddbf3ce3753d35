"""District IT imports the roster from the console (``/admin/``) in headless Chromium
against the running platform: chooses the four files (or the SIS's export zip), previews
what would change, grouped (arriving, leaving, moving, changing role) by name, applies it
and follows its progress to the summary of what changed. axe-clean; desktop and phone
screenshots."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import Page, expect

from tests.integration.agreements.client import imported
from tests.support.browser import assert_accessible, shot
from tests.support.district import District
from tests.support.platform import Platform
from tests.support.sis import Export

from .test_console import sign_in

pytestmark = pytest.mark.e2e


def choose_files(page: Page, district: District, effective_on: str) -> None:
    for name, text in district.files().items():
        page.get_by_label(f"{name}.csv").set_input_files(
            {"name": f"{name}.csv", "mimeType": "text/csv", "buffer": text.encode()})
    page.get_by_label("Takes effect on").fill(effective_on)


def full_name(district: District, sourced_id: str) -> str:
    person = district.people[sourced_id]
    return f"{person.given_name} {person.family_name}"


def test_preview_then_apply_and_follow_the_import_to_its_summary(
        page: Page, phone: Page, platform: Platform) -> None:
    prefix = f"ui-{uuid.uuid4().hex[:6]}-"
    district = District.generate(schools=4, regions=1, coaches=2, teachers=1500, leaders=1,
                                 prefix=prefix)
    imported(platform, district.files(), "2026-08-01")  # as it stood before
    schools = list(district.schools)
    mover, leaver = f"{prefix}teacher-00001", f"{prefix}teacher-00002"
    district.people[mover].schools = [schools[1]]
    left = full_name(district, leaver)
    del district.people[leaver]
    newcomer = f"{prefix}teacher-new"
    district._person(newcomer, "teacher", 9, [schools[2]])
    promoted = f"{prefix}teacher-00003"  # becomes the coach of a new school
    district.schools[f"{prefix}school-new"] = "Harbor View Elementary"
    district.region_of[f"{prefix}school-new"] = next(iter(district.regions))
    district.coaching[promoted] = [f"{prefix}school-new"]

    sign_in(page, platform)
    apply = page.get_by_role("button", name="Apply")
    expect(apply).to_be_disabled()
    choose_files(page, district, "2026-09-01")
    page.get_by_role("button", name="Preview").click()
    preview = page.locator("#import-preview")
    # 1,500 teachers compared, while the console reads what is still to set: not quick on
    # a loaded machine.
    expect(preview).to_be_visible(timeout=60_000)
    expect(page.locator("#import-state")).to_have_text(
        "Preview ready: nothing has changed yet.")
    expect(preview.get_by_role("heading", name="Arriving: 1")).to_be_visible()
    expect(preview.get_by_role("heading", name="Leaving: 1")).to_be_visible()
    expect(preview.get_by_role("heading", name="Moving school: 2")).to_be_visible()
    expect(preview.get_by_role("heading", name="Changing role: 1")).to_be_visible()
    expect(preview.get_by_role("heading", name="Schools added: 1")).to_be_visible()
    expect(preview).to_contain_text(
        f"{full_name(district, mover)} ({mover}), Teacher: "
        f"{district.schools[schools[0]]} → {district.schools[schools[1]]}")
    expect(preview).to_contain_text(f"{left} ({leaver}), Teacher")
    expect(preview).to_contain_text(f"{full_name(district, promoted)} ({promoted}): "
                                    "Teacher → Coach")
    expect(preview).to_contain_text(f"Harbor View Elementary ({prefix}school-new)")
    expect(preview).not_to_contain_text("null")  # nothing unset shows as a word
    assert_accessible(page, "the roster import's preview")
    shot(page, "admin-desktop-import-preview")

    expect(apply).to_be_enabled()
    apply.click()
    progress = page.locator("#import-progress")
    expect(progress).to_be_visible()
    expect(page.get_by_label("Importing the roster")).to_be_attached()
    summary = page.locator("#import-summary")
    # Caught while it runs when it is slow enough to catch (a picture, not a check).
    page.locator("#import-rows:has-text(' rows compared with'), #import-summary:visible"
                 ).first.wait_for(timeout=120_000)
    if summary.is_hidden():
        shot(page, "admin-desktop-import-running")
    expect(summary).to_be_visible(timeout=120_000)
    total = sum(len(text.strip().splitlines()) - 1 for text in district.files().values())
    expect(page.locator("#import-rows")).to_have_text(
        f"Done: all {total:,} rows compared and saved")
    expect(page.locator("#import-state")).to_contain_text("Imported: ")
    expect(summary.get_by_role("heading", name="What this import changed")).to_be_visible()
    expect(summary.get_by_role("heading", name="Moving school: 2")).to_be_visible()
    expect(summary).to_contain_text(f"{left} ({leaver})")
    expect(summary).not_to_contain_text("null")
    expect(preview).to_be_hidden()
    assert_accessible(page, "the roster import done")
    shot(page, "admin-desktop-import-done")

    # At phone width: the same files again would change nothing; refused files are shown
    # by file, line and field.
    sign_in(phone, platform)
    choose_files(phone, district, "2026-09-01")
    phone.get_by_role("button", name="Preview").click()
    expect(phone.locator("#import-preview")).to_contain_text(
        "Nothing would change: the roster already says all this.", timeout=60_000)
    assert_accessible(phone, "the roster import's preview at phone width")
    shot(phone, "admin-phone-import-preview")
    phone.get_by_label("users.csv").set_input_files(
        {"name": "users.csv", "mimeType": "text/csv",
         "buffer": district.files()["users"].replace(",teacher,", ",janitor,", 1).encode()})
    phone.get_by_role("button", name="Preview").click()
    expect(phone.locator("#import-error")).to_contain_text("nothing was imported")
    problems = phone.get_by_role("region", name="Problems in the files")
    expect(problems.locator("li").first).to_contain_text("users.csv, line 6, field role: "
                                                         "the role is one of")
    expect(phone.get_by_role("button", name="Apply")).to_be_disabled()
    assert_accessible(phone, "refused files at phone width")
    shot(phone, "admin-phone-import-refused")


def test_the_export_zip_alone_is_previewed_and_applied(page: Page, platform: Platform) -> None:
    tag = f"uz{uuid.uuid4().hex[:6]}"
    export = Export.generate(tag, schools=2, teachers=3, students=5)
    sign_in(page, platform)
    page.get_by_role("button", name="Preview").click()  # nothing chosen
    expect(page.locator("#import-error")).to_contain_text("Choose the export's zip")
    page.get_by_label("The export (zip)").set_input_files(
        {"name": "export.zip", "mimeType": "application/zip", "buffer": export.zip()})
    page.get_by_label("Takes effect on").fill("2026-08-03")
    page.get_by_role("button", name="Preview").click()
    preview = page.locator("#import-preview")
    expect(preview.get_by_role("heading", name="Arriving: 9")).to_be_visible()  # staff only
    expect(preview.get_by_role("heading", name="Schools added: 2")).to_be_visible()
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("#import-state")).to_contain_text("Imported: ", timeout=120_000)

    # An older delta sent late (its rows no newer than what the roster applied): nothing
    # would change, and the rows left as they are are named.
    late = export.copy()
    late.users[f"{tag}-t-1-1"].orgs = [f"{tag}-school-2"]
    late.delta_users, late.delta_orgs = [f"{tag}-t-1-1"], []
    page.get_by_label("The export (zip)").set_input_files(
        {"name": "late.zip", "mimeType": "application/zip", "buffer": late.zip()})
    page.get_by_role("button", name="Preview").click()
    expect(preview).to_contain_text("Nothing would change: the roster already says all this.")
    expect(preview).to_contain_text("Rows no newer than the roster (left as they are): "
                                    f"Teri Teach1x1 ({tag}-t-1-1)")
    assert_accessible(page, "an older delta's preview")
    shot(page, "admin-desktop-import-stale")
