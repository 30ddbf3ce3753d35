"""A district's OneRoster export as its SIS makes it, through the real gateway: one zip
(manifest.csv, orgs with a district and three schools, users with administrators, teachers,
students and guardians, academic sessions, courses, classes and enrollments), no
regions.csv or assignments.csv. Imported whole; then a delta (a teacher leaving, a teacher
moving school, a principal changing); then a OneRoster 1.2 whole export; then the same again.
The people's roles and schools are checked through the API after each."""

from __future__ import annotations

import uuid
from typing import Any

import requests

from deploy.roster_import import wait_for_import
from services.agreements.roster import roster_id
from services.agreements.roster_files import to_csv
from tests.support.platform import Platform
from tests.support.roster import anyone, it_admin_headers
from tests.support.sis import NEXT_STAMP, Export


def send(platform: Platform, export: Export, effective_on: str, dry_run: bool = False,
         as_field: bool = False) -> requests.Response:
    """The export's zip: as a multipart file field ``export``, or as the body."""
    params = {"effective_on": effective_on, **({"dry_run": "true"} if dry_run else {})}
    if as_field:
        return requests.post(f"{platform.url}/roster/import", params=params, timeout=300,
                             files={"export": ("export.zip", export.zip(), "application/zip")},
                             headers=it_admin_headers(platform))
    return requests.post(f"{platform.url}/roster/import", params=params, timeout=300,
                         data=export.zip(), headers={**it_admin_headers(platform),
                                                     "Content-Type": "application/zip"})


def imported(platform: Platform, export: Export, effective_on: str,
             as_field: bool = False) -> dict[str, Any]:
    response = send(platform, export, effective_on, as_field=as_field)
    assert response.status_code == 202, response.text[:2000]
    record = wait_for_import(platform.url, response, it_admin_headers(platform))
    changes: dict[str, Any] = record["changes"]
    return changes


def where(platform: Platform, sourced_id: str) -> list[tuple[str, str]] | None:
    """The person's roles today with where (a school's name), or None if not on the roster."""
    response = requests.get(f"{platform.url}/people", params={"q": sourced_id}, timeout=30,
                            headers=it_admin_headers(platform))
    assert response.status_code == 200, response.text
    people = [p for p in response.json()["people"] if p["sourced_id"] == sourced_id]
    if not people:
        return None
    return sorted((a["role"], a["place"]) for a in people[0]["assignments"])


def test_an_sis_export_alone_then_a_delta_then_1_2(platform: Platform) -> None:
    tag = f"sis{uuid.uuid4().hex[:6]}"
    export = Export.generate(tag, schools=3, teachers=5, students=30)
    school = {n: f"{tag.upper()} School {n}" for n in (1, 2, 3)}

    # A dry run of the whole export: everyone arrives, nothing is saved.
    preview = send(platform, export, "2026-08-03", dry_run=True, as_field=True)
    assert preview.status_code == 200, preview.text[:2000]
    assert preview.json()["counts"]["arriving"] == 1 + 3 + 15  # staff only
    assert where(platform, f"{tag}-admin-1") is None

    first = imported(platform, export, "2026-08-03", as_field=True)
    assert first["events"] == {"Person.Registered": 19, "School.Defined": 3,
                               "School.PrincipalChanged": 3, "School.TeacherAssigned": 15}
    assert where(platform, f"{tag}-admin-1") == [("principal", school[1])]
    assert where(platform, f"{tag}-t-1-1") == [("teacher", school[1])]
    assert where(platform, f"{tag}-dadmin") == []  # on the roster, no role yet
    assert where(platform, f"{tag}-st-1-1") is None  # students are never stored
    assert where(platform, f"{tag}-g-1-1") is None

    # A delta: only the rows that changed.
    delta = export.copy()
    delta.users[f"{tag}-t-1-1"].status = "tobedeleted"
    delta.users[f"{tag}-t-1-2"].orgs = [f"{tag}-school-2"]
    delta.users[f"{tag}-admin-3"].status = "tobedeleted"
    delta.add(f"{tag}-admin-3b", "administrator", [f"{tag}-school-3"], "Lee", "Newhead")
    delta.delta_users = [f"{tag}-t-1-1", f"{tag}-t-1-2", f"{tag}-admin-3", f"{tag}-admin-3b"]
    delta.delta_orgs = []
    delta.stamp = NEXT_STAMP  # its rows' dateLastModified: after the whole export's
    preview = send(platform, delta, "2026-11-02", dry_run=True)
    assert preview.status_code == 200, preview.text[:2000]
    counts = preview.json()["counts"]
    assert (counts["leaving"], counts["moving"]) == (2, 1)  # a teacher; the principal replaced
    changed = imported(platform, delta, "2026-11-02")
    assert changed["events"] == {"School.TeacherLeft": 2, "School.TeacherAssigned": 1,
                                 "School.PrincipalChanged": 1, "Person.Registered": 1,
                                 "Person.Updated": 3}  # their rows' dateLastModified kept
    assert where(platform, f"{tag}-t-1-1") == []
    assert where(platform, f"{tag}-t-1-2") == [("teacher", school[2])]
    assert where(platform, f"{tag}-t-1-3") == [("teacher", school[1])]  # not in the delta
    assert where(platform, f"{tag}-admin-3b") == [("principal", school[3])]
    assert where(platform, f"{tag}-admin-3") == []
    roster = requests.get(f"{platform.url}/schools/{roster_id(f'{tag}-school-1')}/roster",
                          params={"on": "2026-09-01"}, timeout=30,
                          headers=it_admin_headers(platform)).json()
    assert str(roster_id(f"{tag}-t-1-1")) in roster["teacher_ids"]  # history kept

    # OneRoster 1.2, whole: the district as it now is, heads of schools as 'principal',
    # one teacher gone from the export and one inactive.
    now = delta.copy()
    now.delta_users = now.delta_orgs = None
    for gone in (f"{tag}-t-1-1", f"{tag}-admin-3", f"{tag}-t-2-1"):
        del now.users[gone]
    now.users[f"{tag}-t-3-1"].status = "inactive"
    now.version = "1.2"
    for n in (1, 2):
        now.users[f"{tag}-admin-{n}"].role = "principal"
    later = imported(platform, now, "2026-11-20")
    # (the inactive teacher's row is newer than what the roster applied: kept with them)
    assert later["events"] == {"School.TeacherLeft": 2, "Person.Updated": 1}
    assert where(platform, f"{tag}-t-2-1") == []
    assert where(platform, f"{tag}-t-3-1") == []
    assert where(platform, f"{tag}-admin-1") == [("principal", school[1])]
    assert where(platform, f"{tag}-t-1-2") == [("teacher", school[2])]

    # The same export again: nothing changes.
    again = imported(platform, now, "2026-11-21")
    assert (again["recorded"], again["events"]) == (0, {})


def test_a_zip_or_manifest_it_cannot_read_is_refused_naming_the_file(
    platform: Platform,
) -> None:
    headers = {**it_admin_headers(platform), "Content-Type": "application/zip"}
    response = requests.post(f"{platform.url}/roster/import", data=b"PK not really",
                             headers=headers, timeout=30)
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["file"] == "export"
    export = Export.generate(f"bad{uuid.uuid4().hex[:6]}", schools=1, teachers=1, students=1)
    files = export.files()
    files["manifest"] = files["manifest"].replace("oneroster.version,1.1",
                                                  "oneroster.version,9.9")
    response = requests.post(f"{platform.url}/roster/import", data=export.zip(files),
                             params={"dry_run": "true"}, headers=headers, timeout=30)
    assert response.status_code == 422, response.text
    assert [(e["file"], e["field"]) for e in response.json()["errors"]] == [
        ("manifest.csv", "value")]


def restart_agreements(platform: Platform, **env: str) -> None:
    """Agreements started again with these settings (none: as the platform started it)."""
    agreements = platform["agreements"]
    agreements.stop()
    agreements.start(**env)
    platform.wait_ready()


def test_a_district_whose_administrators_are_assistant_principals(platform: Platform) -> None:
    tag = f"ap{uuid.uuid4().hex[:6]}"
    export = Export.generate(tag, schools=2, teachers=1, students=1)
    export.version = "1.2"
    export.users[f"{tag}-admin-2"].role = "principal"
    try:
        restart_agreements(platform, ROSTER_PRINCIPAL_ROLES="principal")
        changes = imported(platform, export, "2026-08-03")
        assert changes["events"]["School.PrincipalChanged"] == 1
        assert where(platform, f"{tag}-admin-1") == []  # an assistant principal: no role
        assert where(platform, f"{tag}-admin-2") == [("principal",
                                                      f"{tag.upper()} School 2")]
    finally:
        restart_agreements(platform)
    # By default the administrator heads their school.
    imported(platform, export, "2026-08-04")
    assert where(platform, f"{tag}-admin-1") == [("principal", f"{tag.upper()} School 1")]


def test_what_is_still_to_set_after_an_export_alone(platform: Platform) -> None:
    tag = f"un{uuid.uuid4().hex[:6]}"
    export = Export.generate(tag, schools=2, teachers=2, students=1)
    imported(platform, export, "2026-08-03")
    ours = {str(roster_id(f"{tag}-school-{n}")) for n in (1, 2)}

    def unset() -> dict[str, Any]:
        response = requests.get(f"{platform.url}/roster/unset", params={"on": "2026-09-01"},
                                headers=it_admin_headers(platform), timeout=30)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return {key: sorted(s["school_id"] for s in body[key] if s["school_id"] in ours)
                for key in ("schools_without_region", "schools_without_coach",
                            "schools_without_principal")}

    assert unset() == {"schools_without_region": sorted(ours),
                       "schools_without_coach": sorted(ours), "schools_without_principal": []}
    # The district's own file sets school 1's region and coach; school 2 is still to set.
    export.extra["regions"] = to_csv(("region_code", "label", "clt_representative_sourced_id"),
                                     [{"region_code": f"{tag}-r", "label": "R"}])
    export.extra["assignments"] = to_csv(
        ("kind", "person_sourced_id", "school_sourced_id", "region_code", "effective_on"),
        [{"kind": "coach", "person_sourced_id": f"{tag}-t-1-2",
          "school_sourced_id": f"{tag}-school-1", "effective_on": "2026-08-03"},
         {"kind": "school_region", "school_sourced_id": f"{tag}-school-1",
          "region_code": f"{tag}-r", "effective_on": "2026-08-03"}])
    imported(platform, export, "2026-08-10")
    two = [str(roster_id(f"{tag}-school-2"))]
    assert unset() == {"schools_without_region": two, "schools_without_coach": two,
                       "schools_without_principal": []}
    refused = requests.get(f"{platform.url}/roster/unset",
                           headers=anyone(platform, "district_leader"), timeout=30)
    assert refused.status_code == 403, refused.text
