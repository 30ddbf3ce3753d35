"""The roster import as district IT now runs it, through the real gateway: a dry run that
says what would change and changes nothing, an import that answers 202 at once and is
followed to its end, files refused in a failed state naming file, line and field, and an
import whose process was killed that ends failed, never stuck "running"."""

from __future__ import annotations

import uuid
from typing import Any

import psycopg2
import pytest
import requests

from deploy.roster_import import ImportFailed, wait_for_import
from services.agreements.roster import roster_id
from tests.support.district import District
from tests.support.platform import Platform, database_name, wait_until
from tests.support.roster import it_admin_headers

from .client import import_roster, stored_events


def last_position() -> int:
    """The agreements store's notification log: its last position."""
    name = database_name("agreements")
    connection = psycopg2.connect(f"postgresql://{name}@127.0.0.1:5432/{name}")
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT coalesce(max(notification_id), 0) FROM agreements_events")
            (position,) = cursor.fetchone()
    finally:
        connection.close()
    return int(position)


def a_district(teachers: int = 12) -> District:
    return District.generate(schools=3, regions=1, coaches=2, teachers=teachers, leaders=1,
                             prefix=f"pre-{uuid.uuid4().hex[:6]}-")


def state(platform: Platform, import_id: str) -> dict[str, Any]:
    response = requests.get(f"{platform.url}/roster/imports/{import_id}", timeout=30,
                            headers=it_admin_headers(platform))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_a_dry_run_says_what_would_change_and_changes_nothing(platform: Platform) -> None:
    district = a_district()
    first = import_roster(platform, district.files(), "2026-08-01")
    wait_for_import(platform.url, first, it_admin_headers(platform))
    moved = next(p for p in district.people.values() if p.sourced_id.endswith("teacher-00001"))
    moved.schools = [list(district.schools)[1]]
    leaving = district.people.pop(next(s for s in district.people if s.endswith("teacher-00002")))
    district._person(f"pre-teacher-new-{uuid.uuid4().hex[:4]}", "teacher", 4,
                     [list(district.schools)[2]])
    before = last_position()
    response = import_roster(platform, district.files(), "2026-09-01", dry_run=True)
    assert response.status_code == 200, response.text[:2000]
    preview = response.json()
    assert last_position() == before  # nothing at all was stored, not even a record
    assert preview["counts"]["moving"] == 1 and preview["counts"]["leaving"] == 1
    assert preview["counts"]["arriving"] == 1
    [move] = preview["moving"]
    assert move["sourced_id"] == moved.sourced_id
    assert move["name"] == f"{moved.given_name} {moved.family_name}"
    assert move["to"] == [district.schools[moved.schools[0]]]  # the school by name
    [gone] = preview["leaving"]
    assert (gone["sourced_id"], gone["name"]) == (
        leaving.sourced_id, f"{leaving.given_name} {leaving.family_name}")
    for person in (moved, leaving):  # named, never by the store's ids
        assert str(roster_id(person.sourced_id)) not in response.text
    # Applied, the import records what the dry run said.
    started = import_roster(platform, district.files(), "2026-09-01")
    record = wait_for_import(platform.url, started, it_admin_headers(platform))
    assert record["changes"]["events"] == preview["events"]
    assert record["changes"]["moving"] == preview["moving"]
    assert record["requested_by"]  # a name, as the console shows it


def test_an_import_answers_202_at_once_and_is_followed_to_done(platform: Platform) -> None:
    district = a_district()
    before = stored_events()
    response = import_roster(platform, district.files(), "2026-08-01")
    assert response.status_code == 202, response.text
    import_id = response.json()["import_id"]
    assert response.json()["state"] == "queued"
    seen = set()

    def over() -> bool:
        seen.add(state(platform, import_id)["state"])
        return bool(seen & {"done", "failed"})

    wait_until(over, timeout=120)
    record = state(platform, import_id)
    assert record["state"] == "done", record
    assert record["rows"]["done"] == record["rows"]["total"] == sum(
        len(text.strip().splitlines()) - 1 for text in district.files().values())
    changes = record["changes"]
    assert changes["counts"]["schools_added"] == 3 and changes["counts"]["regions_added"] == 1
    assert {s["name"] for s in changes["schools_added"]} == set(district.schools.values())
    assert stored_events() == before + changes["recorded"]
    assert record["errors"] == [] and record["reason"] is None


def test_refused_files_end_failed_naming_file_line_and_field(platform: Platform) -> None:
    district = a_district()
    files = district.files()
    files["assignments"] += "coach,nobody-at-all,,,2026-08-01\n"
    before = stored_events()
    started = import_roster(platform, files, "2026-08-01")
    assert started.status_code == 202, started.text
    with pytest.raises(ImportFailed) as failed:
        wait_for_import(platform.url, started, it_admin_headers(platform))
    record = failed.value.record
    assert record["reason"] == "nothing was imported: the files have 2 problems"
    assert {(e["file"], e["line"], e["field"]) for e in record["errors"]} == {
        ("assignments.csv", len(files["assignments"].splitlines()), "school_sourced_id"),
        ("assignments.csv", len(files["assignments"].splitlines()), "person_sourced_id")}
    assert stored_events() == before


def test_an_unknown_import_is_404_and_the_id_must_be_one(platform: Platform) -> None:
    headers = it_admin_headers(platform)
    missing = requests.get(f"{platform.url}/roster/imports/{uuid.uuid4()}", timeout=30,
                           headers=headers)
    assert missing.status_code == 404 and missing.json()["field"] == "import_id"
    bad = requests.get(f"{platform.url}/roster/imports/latest", timeout=30, headers=headers)
    assert bad.status_code == 400
    assert [f["field"] for f in bad.json()["fields"]] == ["import_id"]


def test_an_import_whose_process_is_killed_ends_failed_or_done_never_running(
        platform: Platform) -> None:
    district = a_district(teachers=4000)  # long enough to be killed part-way
    before = stored_events()
    started = import_roster(platform, district.files(), "2026-08-01")
    assert started.status_code == 202, started.text
    import_id = started.json()["import_id"]
    wait_until(lambda: state(platform, import_id)["state"] != "queued", timeout=120)
    agreements = platform["agreements"]
    agreements.kill()  # SIGKILL: no chance to finish or to say anything
    try:
        agreements.start()
        platform.wait_ready()
    finally:
        assert agreements.alive()
    record = state(platform, import_id)
    assert record["state"] in ("done", "failed"), record
    if record["state"] == "failed":  # killed before its changes were saved: none were
        assert record["reason"] == ("nothing was imported: the agreements service stopped "
                                    "during the import, before saving anything; send the "
                                    "files again")
        assert stored_events() == before
        # And sent again, it is imported whole.
        again = import_roster(platform, district.files(), "2026-08-01")
        record = wait_for_import(platform.url, again, it_admin_headers(platform))
    assert stored_events() == before + record["changes"]["recorded"]


def test_an_import_running_when_its_process_is_stopped_finishes_first(
        platform: Platform) -> None:
    district = a_district(teachers=3000)
    before = stored_events()
    started = import_roster(platform, district.files(), "2026-08-01")
    assert started.status_code == 202, started.text
    import_id = started.json()["import_id"]
    agreements = platform["agreements"]
    agreements.stop()  # SIGTERM: nameko finishes its work, this import's included
    try:
        assert "did not stop" not in agreements.log()
    finally:
        agreements.start()
        platform.wait_ready()
    record = state(platform, import_id)
    assert record["state"] == "done", record
    assert stored_events() == before + record["changes"]["recorded"]
