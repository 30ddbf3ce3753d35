"""The OneRoster import on a district of realistic size (102 schools in 6 regions, 100
coaches, 5,000 teachers), through the gateway against the real store and broker:
imported once, re-imported unchanged (no new events), re-imported with changes (only the
differences), and broken files (every problem, nothing saved). Each import runs in the
background: 202 and its id, then its record until it is done or failed."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date

import pytest
import requests

from deploy.roster_import import ImportFailed, wait_for_import
from services.agreements.roster import region_id, roster_id
from tests.support.auth import bearer
from tests.support.bus import Published, listening
from tests.support.platform import Platform
from tests.support.roster import anyone, it_admin_headers

from .client import as_principal, call, import_roster, imported_changes, stored_events
from .conftest import Imported


@pytest.fixture
def published(platform: Platform) -> Iterator[Published]:
    with listening("agreements", timeout=120) as events:
        yield events


def test_the_first_import_records_the_whole_district(imported: Imported) -> None:
    events = imported.first["events"]
    assert events["School.Defined"] == 102
    assert events["School.AssignedToRegion"] == 102
    assert events["School.PrincipalChanged"] == 102
    assert events["School.CoachAssigned"] == 102
    assert events["School.TeacherAssigned"] == 5000
    assert events["Region.Defined"] == 6
    assert events["Region.RepresentativeChanged"] == 6
    assert events["District.LeaderAppointed"] == 2
    assert events["Person.Registered"] == 102 + 100 + 5000 + 2  # and two district leaders
    assert imported.first["recorded"] == sum(events.values())
    # Everyone arrives (teachers, coaches, principals, leaders); the list shows 1,000.
    assert imported.first["counts"]["arriving"] == 5000 + 100 + 102 + 2
    assert len(imported.first["arriving"]) == 1000
    assert imported.first["counts"]["schools_added"] == 102


def test_the_roster_of_a_school_as_of_a_date(platform: Platform, imported: Imported) -> None:
    school = roster_id("school-0042")
    response = call(platform, "GET", f"/schools/{school}/roster?on=2026-09-01",
                    as_principal("principal-0042"))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["principal_id"] == str(roster_id("principal-0042"))
    assert body["region_id"] == str(region_id(imported.current.region_of["school-0042"]))
    assert body["coach_ids"] == [str(roster_id("coach-0042"))]
    assert len(body["teacher_ids"]) == len(
        [t for t in imported.current.people.values()
         if t.sourced_id.startswith("teacher-") and t.schools == ["school-0042"]])
    before = call(platform, "GET", f"/schools/{school}/roster?on=2026-07-31",
                  anyone(platform, "district_leader")).json()
    assert before["principal_id"] is None and before["coach_ids"] == []
    other = call(platform, "GET", f"/schools/{school}/roster", as_principal("principal-0043"))
    assert other.status_code == 403


def test_the_same_files_again_record_no_event(platform: Platform, imported: Imported) -> None:
    before = stored_events()
    changes = imported_changes(platform, imported.current.files(), "2026-10-01")
    assert (changes["recorded"], changes["events"]) == (0, {})
    assert stored_events() == before


def test_changed_files_record_only_the_differences(platform: Platform, imported: Imported,
                                                   published: Published) -> None:
    changed, first_school = imported.copy(), roster_id("school-0001")
    changed.history.append(("principal", "principal-0102", "school-0001", "",
                            date(2027, 1, 4)))
    changed.coaching["coach-0005"].append("school-0006")
    changed.coaching["coach-0007"] = ["school-0008"]  # leaves school-0007
    changed.region_of["school-0010"] = "clt-1"
    changed.schools["school-0011"] = "Renamed Middle School 11"
    changed.people["teacher-00123"].given_name = "Alexandra"
    leaving = changed.people.pop("teacher-00124")  # left the district
    changed.leaders.remove("leader-0002")
    before = stored_events()
    changes = imported_changes(platform, changed.files(), "2027-01-04")
    assert changes["events"] == {
        "School.PrincipalChanged": 1, "School.CoachAssigned": 2, "School.CoachUnassigned": 1,
        "School.AssignedToRegion": 1, "School.Relabelled": 1,
        "Person.Updated": 2,  # a new given name; a leader no longer in that role
        "School.TeacherLeft": 1, "District.LeaderLeft": 1}
    assert stored_events() == before + 10
    imported.current = changed
    # The events of the first import may still be on their way: look for these four.
    found = published.collect(lambda e: (
        (e.event_type == "PrincipalChanged" and e.payload["school_id"] == first_school)
        or (e.event_type == "CoachUnassignedFromSchool"
            and e.payload["coach_id"] == roster_id("coach-0007"))
        or (e.event_type == "TeacherUnassignedFromSchool"
            and e.payload["teacher_id"] == roster_id("teacher-00124"))
        or (e.event_type == "DistrictLeaderLeft"
            and e.payload["leader_id"] == roster_id("leader-0002"))), 4)
    payloads = {e.event_type: e.payload for e, _ in found}
    assert payloads["TeacherUnassignedFromSchool"] == {
        "teacher_id": roster_id("teacher-00124"), "school_id": roster_id(leaving.schools[0]),
        "effective_on": date(2027, 1, 4)}
    assert payloads["DistrictLeaderLeft"] == {
        "leader_id": roster_id("leader-0002"), "effective_on": date(2027, 1, 4)}
    assert payloads["PrincipalChanged"]["principal_id"] == roster_id("principal-0102")
    assert payloads["PrincipalChanged"]["effective_on"] == date(2027, 1, 4)
    assert payloads["CoachUnassignedFromSchool"] == {
        "coach_id": roster_id("coach-0007"), "school_id": roster_id("school-0007"),
        "effective_on": date(2027, 1, 4)}
    for _, raw in found:
        assert changed.people["principal-0102"].family_name not in raw
    # The changed files once more: nothing new.
    again = imported_changes(platform, changed.files(), "2027-01-05")
    assert (again["recorded"], again["events"]) == (0, {})
    assert stored_events() == before + 10


def test_broken_files_are_refused_whole_with_every_problem(platform: Platform,
                                                           imported: Imported) -> None:
    broken = imported.copy()
    broken.principals["school-0020"] = "principal-0999"  # not in users.csv
    broken.schools["school-0021"] = ""  # no name
    files = broken.files()
    files["users"] += "teacher-x,active,,true,school-9999,teacher,,,Jo,Lee,,,,,,,,\n"
    files["regions"] += "clt 9,CLT 9,\n"
    before = stored_events()
    # A dry run refuses them at once, as the import always did (422, every problem).
    response = import_roster(platform, files, "2027-02-01", dry_run=True)
    assert response.status_code == 422, response.text[:2000]
    body = response.json()
    assert (body["error"], body["field"]) == ("RosterRejected", None)  # as clients know it
    # The import itself fails, its record naming the same problems.
    started = import_roster(platform, files, "2027-02-01")
    assert started.status_code == 202, started.text[:2000]
    with pytest.raises(ImportFailed) as failed:
        wait_for_import(platform.url, started, it_admin_headers(platform))
    record = failed.value.record
    assert record["state"] == "failed" and record["changes"] is None
    assert record["reason"] == body["message"]
    assert record["errors"] == body["errors"]
    problems = {(e["file"], e["field"]) for e in record["errors"]}
    assert problems == {("assignments.csv", "person_sourced_id"), ("orgs.csv", "name"),
                        ("users.csv", "orgSourcedIds"), ("regions.csv", "region_code")}
    assert all(isinstance(e["line"], int) and e["line"] > 1 for e in record["errors"])
    users_line = [e["line"] for e in record["errors"] if e["file"] == "users.csv"]
    assert users_line == [len(files["users"].splitlines())]
    assert stored_events() == before


def test_a_missing_file_is_a_400_naming_it(platform: Platform, imported: Imported) -> None:
    files = imported.current.files()
    del files["users"]  # regions.csv and assignments.csv may be left out; users.csv not
    response = import_roster(platform, files)
    assert response.status_code == 400
    assert [f["field"] for f in response.json()["fields"]] == ["users"]


def test_only_district_it_imports(platform: Platform, imported: Imported) -> None:
    before = stored_events()
    for role in ("district_leader", "principal", "coach"):
        response = import_roster(platform, imported.current.files(),
                                 headers=bearer(uuid.uuid4(), role))
        assert response.status_code == 403, response.text
    assert stored_events() == before


def test_the_files_may_come_as_a_multipart_upload(platform: Platform,
                                                  imported: Imported) -> None:
    files = {f"{name}.csv": (f"{name}.csv", text.encode(), "text/csv")
             for name, text in imported.current.files().items()}
    response = requests.post(f"{platform.url}/roster/import", files=files,
                             data={"effective_on": "2027-03-01"}, timeout=600,
                             headers=it_admin_headers(platform))
    assert response.status_code == 202, response.text[:2000]
    record = wait_for_import(platform.url, response, it_admin_headers(platform))
    assert record["changes"]["recorded"] == 0
