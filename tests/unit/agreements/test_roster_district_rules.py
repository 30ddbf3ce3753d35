"""The roster import's rules between the SIS's export and the district's own files: a
principal the district named survives an export without its file; a delta's district files
may name people already on the roster; dateLastModified keeps an old delta from undoing a
newer one."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest

from coachops.errors import Rejected
from services.agreements import roster_files
from services.agreements.app import Agreements
from services.agreements.roster import Person, Region, School, region_id, roster_id
from services.agreements.roster_files import to_csv
from tests.support.sis import NEXT_STAMP, Export
from tests.unit.agreements.helpers import IT, START

LATER = date(2026, 10, 5)
LAST = date(2026, 11, 2)
ASSIGNMENTS = ("kind", "person_sourced_id", "school_sourced_id", "region_code",
               "effective_on")


@pytest.fixture
def app() -> Iterator[Agreements]:
    application = Agreements(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    yield application
    application.close()


def get(app: Agreements, kind: type, sourced_id: str) -> object:
    found = app.repository.get(roster_id(sourced_id))
    assert isinstance(found, kind)
    return found


def school(app: Agreements, sourced_id: str) -> School:
    found = get(app, School, sourced_id)
    assert isinstance(found, School)
    return found


def person(app: Agreements, sourced_id: str) -> Person:
    found = get(app, Person, sourced_id)
    assert isinstance(found, Person)
    return found


def assignments(*rows: dict[str, str]) -> str:
    return to_csv(ASSIGNMENTS, list(rows))


def test_a_principal_the_district_named_stays_until_its_own_file_says_otherwise(
    app: Agreements,
) -> None:
    export = Export.generate("p")
    named = {"kind": "principal", "person_sourced_id": "p-t-1-1",
             "school_sourced_id": "p-school-1", "effective_on": START.isoformat()}
    app.import_roster(IT, {**export.files(), "assignments": assignments(named)}, START)
    assert school(app, "p-school-1").principal_on(START) == roster_id("p-t-1-1")
    assert person(app, "p-t-1-1").role == "principal"
    assert person(app, "p-admin-1").role == "administrator"

    # The SIS's next export alone, where p-admin-1 is still the school's administrator:
    # the district's choice stands, and so does its principal's role.
    assert app.import_roster(IT, export.files(), LATER) == {}
    assert school(app, "p-school-1").principal_on(LATER) == roster_id("p-t-1-1")
    assert person(app, "p-t-1-1").role == "principal"
    # A school whose principal the export gave still follows the export.
    moved = export.copy()
    del moved.users["p-admin-2"]
    moved.add("p-admin-2b", "administrator", ["p-school-2"], "Lee", "Newhead")
    assert app.import_roster(IT, moved.files(), LATER)["School.PrincipalChanged"] == 1
    assert school(app, "p-school-2").principal_on(LATER) == roster_id("p-admin-2b")
    assert school(app, "p-school-1").principal_on(LATER) == roster_id("p-t-1-1")

    # The district's file sent without that row: the school is the export's again.
    empty = assignments()
    assert app.import_roster(IT, {**moved.files(), "assignments": empty}, LAST) == {
        "School.PrincipalChanged": 1, "Person.Updated": 2}
    first = school(app, "p-school-1")
    assert (first.principal_on(LATER), first.principal_on(LAST)) == (
        roster_id("p-t-1-1"), roster_id("p-admin-1"))
    assert (person(app, "p-t-1-1").role, person(app, "p-admin-1").role) == (
        "teacher", "principal")


def test_a_delta_names_in_its_district_files_people_the_roster_already_holds(
    app: Agreements,
) -> None:
    export = Export.generate("e")
    app.import_roster(IT, export.files(), START)
    delta = export.copy()
    delta.users["e-t-2-1"].family_name = "Renamed"
    delta.delta_users, delta.delta_orgs, delta.stamp = ["e-t-2-1"], [], NEXT_STAMP
    coach = {"kind": "coach", "person_sourced_id": "e-t-1-1",
             "school_sourced_id": "e-school-1", "effective_on": LATER.isoformat()}
    regions = to_csv(("region_code", "label", "clt_representative_sourced_id"),
                     [{"region_code": "north", "label": "North",
                       "clt_representative_sourced_id": "e-t-1-2"}])
    files = {**delta.files(), "assignments": assignments(coach), "regions": regions}
    assert app.import_roster(IT, files, LATER) == {
        "Person.Updated": 2, "School.CoachAssigned": 1, "School.TeacherLeft": 1,
        "Region.Defined": 1, "Region.RepresentativeChanged": 1}
    first = school(app, "e-school-1")
    assert first.coach_assigned_on(roster_id("e-t-1-1"), LATER)
    assert roster_id("e-t-1-1") not in first.teachers_on(LATER)  # a coach, no more a teacher
    assert person(app, "e-t-1-1").role == "coach"
    north = app.repository.get(region_id("north"))
    assert isinstance(north, Region) and north.representative.latest() == roster_id("e-t-1-2")
    assert app.import_roster(IT, files, LATER) == {}

    # Someone neither the delta nor the roster knows: refused, by file, line and column.
    nobody = {**coach, "person_sourced_id": "e-nobody"}
    with pytest.raises(Rejected) as caught:
        app.import_roster(IT, {**delta.files(), "assignments": assignments(nobody)}, LATER)
    assert [(e["file"], e["line"], e["field"]) for e in caught.value.errors] == [
        ("assignments.csv", 2, "person_sourced_id")]
    assert "on the roster" in caught.value.errors[0]["reason"]


def test_a_malformed_date_last_modified_is_refused_naming_file_line_and_column() -> None:
    export = Export.generate("m", schools=1, teachers=1, students=1)
    files = export.files()
    files["users"] = files["users"].replace(f"m-t-1-1,active,{export.stamp}",
                                            "m-t-1-1,active,last tuesday")
    files["orgs"] = files["orgs"].replace(export.stamp, "2026-13-01", 1)
    with pytest.raises(Rejected) as caught:
        roster_files.parse(files)
    assert {(e["file"], e["line"], e["field"]) for e in caught.value.errors} == {
        ("users.csv", 4, "dateLastModified"), ("orgs.csv", 2, "dateLastModified")}
    # A date, an offset or none: one instant, in one form.
    assert roster_files.modified_at("2026-07-15T10:00:00+02:00") == (
        roster_files.modified_at("2026-07-15T08:00:00.000Z"))
    assert roster_files.modified_at("2026-07-15") == "2026-07-15T00:00:00.000000+00:00"


def test_an_older_delta_sent_again_does_not_undo_a_newer_one(app: Agreements) -> None:
    export = Export.generate("o")
    app.import_roster(IT, export.files(), START)
    older = export.copy()
    older.users["o-t-1-2"].orgs = ["o-school-3"]
    older.delta_users, older.delta_orgs = ["o-t-1-2"], ["o-school-1"]
    older.stamp = "2026-08-20T08:00:00Z"
    newer = export.copy()
    newer.users["o-t-1-2"].orgs = ["o-school-2"]
    newer.schools["o-school-1"] = "Renamed School"
    newer.delta_users, newer.delta_orgs, newer.stamp = ["o-t-1-2"], ["o-school-1"], NEXT_STAMP
    assert app.import_roster(IT, newer.files(), LATER) == {
        "School.TeacherLeft": 1, "School.TeacherAssigned": 1, "School.Relabelled": 1,
        "Person.Updated": 1}
    assert person(app, "o-t-1-2").modified_at == roster_files.modified_at(NEXT_STAMP)

    # The older delta, sent late: its rows are no newer than what was applied.
    preview = app.preview_roster_import(IT, older.files(), LAST)
    assert preview["recorded"] == 0
    assert preview["stale"] == {
        "users": [{"sourced_id": "o-t-1-2", "name": "Teri Teach1x2"}],
        "orgs": [{"sourced_id": "o-school-1", "name": "O School 1"}]}
    assert app.import_roster(IT, older.files(), LAST) == {}
    assert roster_id("o-t-1-2") in school(app, "o-school-2").teachers_on(LAST)
    assert school(app, "o-school-1").label == "Renamed School"

    # A delta newer than what was applied applies.
    older.stamp = "2026-12-01T08:00:00Z"
    assert app.import_roster(IT, older.files(), LAST) == {
        "School.TeacherLeft": 1, "School.TeacherAssigned": 1, "School.Relabelled": 1,
        "Person.Updated": 1}
    assert roster_id("o-t-1-2") in school(app, "o-school-3").teachers_on(LAST)
