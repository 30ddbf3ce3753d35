"""A district's whole year of SIS exports, at the size of a real one, through the real
gateway and services: a zip with a manifest and 1.1 headers (a district, four schools, 205
staff, 5,000 students with a guardian each, classes and enrollments) imported whole; then a
delta (a teacher leaves, a teacher moves school, a new coach arrives, a principal changes);
then an older delta sent late (changes nothing); then a OneRoster 1.2 whole export (a coach
no longer in the district's assignments leaves, the district names a principal); then the
same export again without the district's file (its coaches and principal are kept).
Before each import a dry run says what it will change, and the import then changes exactly
that; after each, the roster's listing gives each person's roles, and the reports still
hold the past of those who left. Refusals name the file."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import requests

from coachops import clock
from deploy.roster_import import wait_for_import
from services.agreements.roster import roster_id
from services.agreements.roster_files import to_csv
from tests.support.auth import bearer
from tests.support.platform import Platform, wait_until
from tests.support.roster import anyone, it_admin_headers, wait_known
from tests.support.sis import NEXT_STAMP, Export

ASSIGNMENT_COLUMNS = ("kind", "person_sourced_id", "school_sourced_id", "region_code",
                      "effective_on")


def post(platform: Platform, export: Export, on: date, dry_run: bool = False,
         files: dict[str, str] | None = None) -> requests.Response:
    params = {"effective_on": on.isoformat(), **({"dry_run": "true"} if dry_run else {})}
    return requests.post(f"{platform.url}/roster/import", params=params, timeout=600,
                         data=export.zip(files), headers={**it_admin_headers(platform),
                                                          "Content-Type": "application/zip"})


def previewed_then_imported(platform: Platform, export: Export, on: date) -> dict[str, Any]:
    """The dry run's answer, checked to be exactly what the import then records."""
    preview = post(platform, export, on, dry_run=True)
    assert preview.status_code == 200, preview.text[:2000]
    response = post(platform, export, on)
    assert response.status_code == 202, response.text[:2000]
    record = wait_for_import(platform.url, response, it_admin_headers(platform), timeout=600)
    changes: dict[str, Any] = record["changes"]
    said = preview.json()
    for key in ("counts", "events", "recorded", "arriving", "leaving", "moving",
                "role_changes"):
        assert said[key] == changes[key], key
    return changes


def roles(platform: Platform, sourced_id: str, on: date) -> dict[str, Any]:
    """Someone's roles on a day from the roster's listing, each place by its sourcedId."""
    response = requests.get(f"{platform.url}/roster/people/{roster_id(sourced_id)}",
                            params={"on": on.isoformat()}, timeout=30,
                            headers=anyone(platform, "district_leader"))
    assert response.status_code == 200, response.text
    body = response.json()
    return {"roles": body["roles"],
            **{key: sorted(p["school_id"] for p in body[key])
               for key in ("coach_at", "teacher_at", "principal_of")}}


def at(*sourced: str) -> list[str]:
    return sorted(str(roster_id(s)) for s in sourced)


def time_use(platform: Platform, school: str, start: date, end: date) -> dict[str, Any]:
    answer = requests.get(f"{platform.url}/reports/time-use", timeout=30,
                          params={"from_date": start.isoformat(), "to_date": end.isoformat(),
                                  "school_id": str(roster_id(school))},
                          headers=anyone(platform, "district_leader"))
    assert answer.status_code == 200, answer.text
    return {r["key"]: r["minutes"] for r in answer.json()["rows"] if r["level"] == "coach"}


def people_at(platform: Platform, school: str, on: date) -> int:
    response = requests.get(f"{platform.url}/roster/people", timeout=30,
                            params={"school_id": str(roster_id(school)), "on": on.isoformat(),
                                    "limit": "500"},
                            headers=anyone(platform, "district_leader"))
    assert response.status_code == 200, response.text
    total: int = response.json()["total"]
    return total


def test_a_districts_exports_through_a_year(platform: Platform) -> None:
    tag = f"yr{uuid.uuid4().hex[:6]}"
    today = clock.today()
    first, worked, middle, later = (today - timedelta(days=d) for d in (60, 5, 3, 1))
    export = Export.generate(tag, schools=4, teachers=50, students=1250)
    staff = [u for u in export.users.values() if u.role in ("teacher", "administrator")]
    students = [u for u in export.users.values() if u.role == "student"]
    assert (len(staff), len(students)) == (205, 5000)
    s1, s2, s3, s4 = (f"{tag}-school-{n}" for n in (1, 2, 3, 4))
    # The district's own file beside the export: one teacher of school 1 is its coach.
    coach = f"{tag}-t-1-50"
    export.extra["assignments"] = to_csv(ASSIGNMENT_COLUMNS, [
        {"kind": "coach", "person_sourced_id": coach, "school_sourced_id": s1,
         "effective_on": first.isoformat()}])

    changes = previewed_then_imported(platform, export, first)
    assert changes["counts"]["arriving"] == 205
    assert changes["events"] == {"Person.Registered": 205, "School.Defined": 4,
                                 "School.PrincipalChanged": 4, "School.TeacherAssigned": 199,
                                 "School.CoachAssigned": 1}
    assert roles(platform, f"{tag}-admin-1", first)["principal_of"] == at(s1)
    assert roles(platform, coach, first) == {"roles": ["coach"], "coach_at": at(s1),
                                             "teacher_at": [], "principal_of": []}
    assert people_at(platform, s1, first) == 1 + 49 + 1  # principal, teachers, coach
    assert requests.get(f"{platform.url}/roster/people/{roster_id(f'{tag}-st-1-1')}",
                        headers=anyone(platform, "district_leader"),
                        timeout=30).status_code == 404  # students are kept nowhere

    # The coach's work before the delta, in the reports.
    wait_known(platform, str(roster_id(s1)), [str(roster_id(coach))], "coach", first)
    logged = requests.post(f"{platform.url}/time-entries", timeout=30,
                           headers=bearer(str(roster_id(coach)), "coach"), json={
                               "entry_id": str(uuid.uuid4()), "coach_id": str(roster_id(coach)),
                               "school_id": str(roster_id(s1)), "worked_on": worked.isoformat(),
                               "minutes": 45, "category_id": "co-planning"})
    assert logged.status_code == 201, logged.text
    coach_key = str(roster_id(coach))
    wait_until(lambda: time_use(platform, s1, worked, today).get(coach_key) == 45, timeout=60,
               what="the coach's time in the report")

    # A delta: a teacher leaves, a teacher moves school, a new coach arrives, school 3's
    # principal is replaced.
    delta = export.copy()
    leaver, mover, newcomer = f"{tag}-t-1-1", f"{tag}-t-1-2", f"{tag}-coach-new"
    delta.users[leaver].status = "tobedeleted"
    delta.users[mover].orgs = [s2]
    delta.add(newcomer, "teacher", [s2], "Nia", "Newcoach")
    delta.users[f"{tag}-admin-3"].status = "tobedeleted"
    delta.add(f"{tag}-admin-3b", "administrator", [s3], "Lee", "Newhead")
    delta.delta_users = [leaver, mover, newcomer, f"{tag}-admin-3", f"{tag}-admin-3b"]
    delta.delta_orgs = []
    delta.stamp = NEXT_STAMP  # the rows' dateLastModified, after the whole export's
    # A delta's assignments.csv names people of its users.csv and of the stored roster: a
    # teacher of school 4 it has no row of becomes school 4's coach (the first coach, whom
    # it does not name, stays as they are).
    promoted = f"{tag}-t-4-1"
    delta.extra["assignments"] = to_csv(ASSIGNMENT_COLUMNS, [
        {"kind": "coach", "person_sourced_id": newcomer, "school_sourced_id": s2,
         "effective_on": middle.isoformat()},
        {"kind": "coach", "person_sourced_id": promoted, "school_sourced_id": s4,
         "effective_on": middle.isoformat()}])
    changes = previewed_then_imported(platform, delta, middle)
    # Person.Updated: those whose rows changed something keep its dateLastModified, and
    # the promoted teacher is a coach.
    assert changes["events"] == {"Person.Registered": 2, "School.TeacherLeft": 3,
                                 "School.TeacherAssigned": 1, "School.CoachAssigned": 2,
                                 "School.PrincipalChanged": 1, "Person.Updated": 4}
    assert [p["sourced_id"] for p in changes["moving"]] == [mover]
    assert roles(platform, promoted, middle) == {"roles": ["coach"], "coach_at": at(s4),
                                                 "teacher_at": [], "principal_of": []}

    # The same rows as they were before (an older delta, sent late): nothing changes.
    late = export.copy()
    late.delta_users, late.delta_orgs = [mover], []
    late.stamp = "2026-08-01T00:00:00Z"
    preview = post(platform, late, middle, dry_run=True)
    assert preview.status_code == 200, preview.text[:2000]
    assert (preview.json()["recorded"], preview.json()["stale"]["users"]) == (
        0, [{"sourced_id": mover, "name": "Teri Teach1x2"}])
    assert roles(platform, leaver, middle)["roles"] == []
    assert roles(platform, leaver, first)["teacher_at"] == at(s1)  # their past kept
    assert roles(platform, mover, middle)["teacher_at"] == at(s2)
    assert roles(platform, mover, first)["teacher_at"] == at(s1)
    assert roles(platform, newcomer, middle)["coach_at"] == at(s2)
    assert roles(platform, f"{tag}-admin-3b", middle)["principal_of"] == at(s3)
    assert roles(platform, f"{tag}-admin-3", first)["principal_of"] == at(s3)
    assert roles(platform, f"{tag}-admin-3", middle)["principal_of"] == []
    assert roles(platform, f"{tag}-t-1-3", middle)["teacher_at"] == at(s1)  # not in the delta
    assert time_use(platform, s1, worked, today) == {coach_key: 45}

    # OneRoster 1.2, whole: heads of schools as 'principal'; the district's assignments no
    # longer name the first coach, who leaves school 1 and keeps their past.
    whole = delta.copy()
    whole.delta_users = whole.delta_orgs = None
    for gone in (leaver, f"{tag}-admin-3", coach):  # the first coach has left the district
        del whole.users[gone]
    whole.version = "1.2"
    for n in (1, 2, 4):
        whole.users[f"{tag}-admin-{n}"].role = "principal"
    # The district names school 4's principal: a teacher, not the SIS's administrator.
    head = f"{tag}-t-4-2"
    whole.extra["assignments"] = to_csv(ASSIGNMENT_COLUMNS, [
        {"kind": "coach", "person_sourced_id": newcomer, "school_sourced_id": s2,
         "effective_on": middle.isoformat()},
        {"kind": "coach", "person_sourced_id": promoted, "school_sourced_id": s4,
         "effective_on": middle.isoformat()},
        {"kind": "principal", "person_sourced_id": head, "school_sourced_id": s4,
         "effective_on": later.isoformat()}])
    changes = previewed_then_imported(platform, whole, later)
    # (Person.Updated: the new principal's role; the replaced one's row, newer, kept)
    assert changes["events"] == {"School.CoachUnassigned": 1, "School.PrincipalChanged": 1,
                                 "Person.Updated": 2}
    assert sorted(p["sourced_id"] for p in changes["leaving"]) == sorted(
        [coach, f"{tag}-admin-4"])
    assert roles(platform, head, later)["principal_of"] == at(s4)
    assert roles(platform, coach, later)["roles"] == []
    assert roles(platform, coach, worked)["coach_at"] == at(s1)
    assert roles(platform, f"{tag}-admin-1", later)["principal_of"] == at(s1)
    # Whoever left keeps their time in the reports of the dates they were there.
    assert time_use(platform, s1, worked, today) == {coach_key: 45}

    # The same export again, without the district's file: nothing changes (the coaches and
    # the principal the district named are its configuration, kept).
    del whole.extra["assignments"]
    changes = previewed_then_imported(platform, whole, today)
    assert (changes["recorded"], changes["events"]) == (0, {})
    assert roles(platform, head, today)["principal_of"] == at(s4)
    assert roles(platform, promoted, today)["coach_at"] == at(s4)
    assert time_use(platform, s1, worked, today) == {coach_key: 45}
    assert people_at(platform, s2, today) == 1 + 50 + 1 + 1  # with the mover and new coach


def test_exports_an_sis_gets_wrong_are_refused_naming_the_file(platform: Platform) -> None:
    export = Export.generate(f"bad{uuid.uuid4().hex[:6]}", schools=2, teachers=2, students=3)
    on = clock.today()

    def refused(files: dict[str, str]) -> list[tuple[str, str | None]]:
        response = post(platform, export, on, dry_run=True, files=files)
        assert response.status_code == 422, response.text[:2000]
        return [(e["file"], e["field"]) for e in response.json()["errors"]]

    broken = export.files()
    broken["manifest"] = broken["manifest"].replace("file.users,bulk", "file.users,sometimes")
    assert refused(broken) == [("manifest.csv", "value")]
    missing = {k: v for k, v in export.files().items() if k != "users"}
    assert refused(missing)[0][0] == "users.csv"
    unknown = export.files()
    unknown["manifest"] = unknown["manifest"].replace("oneroster.version,1.1",
                                                      "oneroster.version,2.0")
    assert refused(unknown) == [("manifest.csv", "value")]
    stray = export.copy()
    stray.add(f"{export.tag}-stray", "teacher", ["no-such-school"], "Sal", "Stray")
    assert refused(stray.files()) == [("users.csv", "orgSourcedIds")]
