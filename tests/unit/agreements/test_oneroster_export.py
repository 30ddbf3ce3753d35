"""A district's OneRoster export as its SIS makes it: alone (no regions.csv, no
assignments.csv), its manifest read (versions, bulk or delta), 1.1 and 1.2, a delta changing
only its rows, and a zip unpacked by the gateway with what it refuses."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Iterator
from datetime import date

import pytest
from eventsourcing.application import AggregateNotFoundError

from coachops import settings
from coachops.errors import Rejected
from coachops.identity import Role
from gateway.routes.agreements import unzipped
from services.agreements import roster_files
from services.agreements.app import Agreements
from services.agreements.roster import Person, School, roster_id
from tests.support.sis import NEXT_STAMP, Export
from tests.unit.agreements.helpers import IT, START

DELTA_DAY = date(2026, 11, 2)


@pytest.fixture
def app() -> Iterator[Agreements]:
    application = Agreements(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    yield application
    application.close()


def school(app: Agreements, sourced_id: str) -> School:
    found = app.repository.get(roster_id(sourced_id))
    assert isinstance(found, School)
    return found


def person(app: Agreements, sourced_id: str) -> Person:
    found = app.repository.get(roster_id(sourced_id))
    assert isinstance(found, Person)
    return found


def rejected(files: dict[str, str]) -> set[tuple[object, object, object]]:
    with pytest.raises(Rejected) as caught:
        roster_files.parse(files)
    assert all(e["reason"] for e in caught.value.errors)
    return {(e["file"], e["line"], e["field"]) for e in caught.value.errors}


def test_an_export_alone_imports_with_its_roles(app: Agreements) -> None:
    export = Export.generate("u")
    counts = app.import_roster(IT, export.files(), START)
    # A district administrator, 3 school administrators, 12 teachers; no student or guardian.
    assert counts == {"Person.Registered": 16, "School.Defined": 3,
                      "School.PrincipalChanged": 3, "School.TeacherAssigned": 12}
    first = school(app, "u-school-1")
    assert first.principal_on(START) == roster_id("u-admin-1")
    assert len(first.teachers_on(START)) == 4
    assert person(app, "u-admin-1").role == "principal"
    assert person(app, "u-dadmin").role == "administrator"  # a candidate leader, no more
    assert app.roles_on(roster_id("u-dadmin"), START) == []
    assert app.roles_on(roster_id("u-admin-1"), START) == [Role.PRINCIPAL]
    assert app.roles_on(roster_id("u-t-1-1"), START) == [Role.TEACHER]
    with pytest.raises(AggregateNotFoundError):  # students are never stored
        app.repository.get(roster_id("u-st-1-1"))
    # The same export again changes nothing.
    assert app.import_roster(IT, export.files(), DELTA_DAY) == {}


def test_a_delta_changes_only_its_rows(app: Agreements) -> None:
    export = Export.generate("d")
    app.import_roster(IT, export.files(), START)
    delta = export.copy()
    delta.users["d-t-1-1"].status = "tobedeleted"  # leaves the district
    delta.users["d-t-1-2"].orgs = ["d-school-2"]  # moves school
    delta.users["d-admin-3"].status = "tobedeleted"  # the principal of school 3 leaves...
    delta.add("d-admin-3b", "administrator", ["d-school-3"], "Lee", "Newhead")  # ...replaced
    delta.delta_users = ["d-t-1-1", "d-t-1-2", "d-admin-3", "d-admin-3b"]
    delta.delta_orgs = []
    delta.stamp = NEXT_STAMP  # the rows' dateLastModified, after the bulk export's
    counts = app.import_roster(IT, delta.files(), DELTA_DAY)
    # Those it changes keep its dateLastModified (Person.Updated), the newcomer too.
    assert counts == {"School.TeacherLeft": 2, "School.TeacherAssigned": 1,
                      "School.PrincipalChanged": 1, "Person.Registered": 1,
                      "Person.Updated": 3}
    first, second = school(app, "d-school-1"), school(app, "d-school-2")
    assert roster_id("d-t-1-1") not in first.teachers_on(DELTA_DAY)
    assert roster_id("d-t-1-1") in first.teachers_on(START)  # history kept
    assert roster_id("d-t-1-2") in second.teachers_on(DELTA_DAY)
    assert len(first.teachers_on(DELTA_DAY)) == 2  # the two the delta does not name stay
    assert school(app, "d-school-3").principal_on(DELTA_DAY) == roster_id("d-admin-3b")
    assert school(app, "d-school-3").principal_on(START) == roster_id("d-admin-3")
    # The same delta again: nothing.
    assert app.import_roster(IT, delta.files(), DELTA_DAY) == {}


def test_a_bulk_export_of_1_2_with_roles_csv(app: Agreements) -> None:
    export = Export.generate("v")
    app.import_roster(IT, export.files(), START)
    later = export.copy()
    later.version = "1.2"
    for user in later.users.values():
        if user.role == "administrator" and user.orgs != [later.district]:
            user.role = "principal"
    files = later.files()
    assert "role" not in files["users"].splitlines()[0].split(",")  # 1.2: in roles.csv
    assert app.import_roster(IT, files, DELTA_DAY) == {}
    # A teacher left out of a bulk export has left.
    del later.users["v-t-2-4"]
    assert app.import_roster(IT, later.files(), DELTA_DAY) == {"School.TeacherLeft": 1}


def test_a_1_2_principal_and_inactive_status_in_users_csv() -> None:
    export = Export.generate("w", schools=1, teachers=2, students=1)
    export.users["w-admin-1"].role = "principal"
    export.users["w-t-1-1"].status = "inactive"
    roster = roster_files.parse(export.files())
    assert roster.staff["w-admin-1"].oneroster_role == "principal"
    assert "w-t-1-1" not in roster.staff and "w-t-1-1" in roster.ended


def test_assignments_csv_names_the_principal_over_the_export(app: Agreements) -> None:
    export = Export.generate("a", schools=2, teachers=1, students=1)
    files = export.files()
    files["assignments"] = roster_files.to_csv(
        roster_files.REQUIRED["assignments"],
        [{"kind": "principal", "person_sourced_id": "a-t-1-1",
          "school_sourced_id": "a-school-1", "effective_on": "2026-08-01"}])
    app.import_roster(IT, files, START)
    assert school(app, "a-school-1").principal_on(START) == roster_id("a-t-1-1")
    assert school(app, "a-school-2").principal_on(START) == roster_id("a-admin-2")
    assert person(app, "a-t-1-1").role == "principal"
    assert person(app, "a-admin-1").role == "administrator"


def test_a_broken_manifest_an_unknown_version_and_missing_files_are_refused() -> None:
    files = Export.generate("m", schools=1, teachers=1, students=1).files()
    assert rejected({**files, "manifest": "name,value\nmanifest.version,1.0\n"}) == {
        ("manifest.csv", 1, "propertyName")}
    assert rejected({**files, "manifest": "propertyName,value\nmanifest.version\n"}) == {
        ("manifest.csv", 2, None)}
    unknown = files["manifest"].replace("oneroster.version,1.1", "oneroster.version,3.0")
    assert rejected({**files, "manifest": unknown}) == {("manifest.csv", 3, "value")}
    bad_mode = files["manifest"].replace("file.users,bulk", "file.users,partly")
    assert {f for f, _, _ in rejected({**files, "manifest": bad_mode})} == {"manifest.csv"}
    said = files["manifest"].replace("file.results,absent", "file.roles,bulk")
    assert rejected({**files, "manifest": said}) == {("roles.csv", None, None)}
    absent = files["manifest"].replace("file.users,bulk", "file.users,absent")
    assert rejected({**files, "manifest": absent}) == {("manifest.csv", None, "file.users")}
    without = dict(files)
    del without["orgs"]
    assert rejected(without) == {("orgs.csv", None, None)}
    no_version = "propertyName,value\nfile.orgs,bulk\nfile.users,bulk\n"
    assert rejected({**files, "manifest": no_version}) == {
        ("manifest.csv", None, "propertyName")}


def test_a_row_whose_org_does_not_exist_is_refused_in_a_bulk_export() -> None:
    export = Export.generate("o", schools=1, teachers=1, students=1)
    export.users["o-t-1-1"].orgs = ["o-school-9"]
    files = export.files()
    line = files["users"].splitlines().index(
        next(r for r in files["users"].splitlines() if r.startswith("o-t-1-1,"))) + 1
    assert rejected(files) == {("users.csv", line, "orgSourcedIds")}


def zipped(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def refused_file(data: bytes, limit: int | None = None) -> object:
    with pytest.raises(Rejected) as caught:
        unzipped(data, *([limit] if limit else []))
    assert caught.value.status == 422 and caught.value.errors[0]["reason"]
    return caught.value.errors[0]["file"]


def test_the_gateway_unpacks_the_files_it_reads_from_a_zip() -> None:
    export = Export.generate("z", schools=1, teachers=1, students=1)
    texts = unzipped(export.zip())
    assert set(texts) == {"manifest", "orgs", "users"}  # classes, enrollments... left packed
    from_zip, from_files = roster_files.parse(texts), roster_files.parse(export.files())
    assert (from_zip.staff, from_zip.schools) == (from_files.staff, from_files.schools)


def test_students_and_families_stay_in_the_gateway_and_lines_keep_their_numbers() -> None:
    for version in ("1.1", "1.2"):
        export = Export.generate("s", schools=2, teachers=2, students=50)
        export.version = version
        export.users["s-t-2-2"].family_name = ""  # a problem on its line
        files = export.files()
        texts = unzipped(export.zip())
        for name in ("users", *(["roles"] if version == "1.2" else [])):
            assert "s-st-" not in texts[name] and "s-g-" not in texts[name]
            assert len(texts[name]) < len(files[name]) / 5
        with pytest.raises(Rejected) as from_zip:
            roster_files.parse(texts)
        with pytest.raises(Rejected) as from_files:
            roster_files.parse(files)
        assert from_zip.value.errors == from_files.value.errors
        assert from_zip.value.errors[0]["line"] > 100


def test_the_gateway_refuses_a_zip_it_cannot_trust() -> None:
    files = {f"{n}.csv": t.encode() for n, t in
             Export.generate("y", schools=1, teachers=1, students=1).files().items()}
    assert refused_file(b"orgs.csv,not a zip") == "export"
    assert refused_file(zipped({**files, "../evil.csv": b"x"})) == "../evil.csv"
    assert refused_file(zipped({**files, "/etc/users.csv": b"x"})) == "/etc/users.csv"
    del files["users.csv"]
    assert refused_file(zipped(files)) == "users.csv"
    # A zip bomb: a few kilobytes that unpack past the cap.
    bomb = zipped({"manifest.csv": b"propertyName,value\n", "orgs.csv": b"a" * 10_000_000,
                   "users.csv": b"b"})
    assert len(bomb) < 100_000
    assert refused_file(bomb, limit=1_000_000) == "export"
    assert refused_file(zipped({"manifest.csv": b"x", "orgs.csv": b"\xff\xfe",
                                "users.csv": b"u"})) == "orgs.csv"


@pytest.fixture
def principal_roles(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], None]]:
    """The district's ROSTER_PRINCIPAL_ROLES for the test, the environment's after it."""
    def use(value: str) -> None:
        monkeypatch.setenv("ROSTER_PRINCIPAL_ROLES", value)
        settings.reload()

    yield use
    monkeypatch.delenv("ROSTER_PRINCIPAL_ROLES", raising=False)
    settings.reload()


def test_a_district_chooses_which_oneroster_roles_make_a_principal(
    app: Agreements, principal_roles: Callable[[str], None],
) -> None:
    export = Export.generate("pr", schools=3, teachers=1, students=1)
    export.users["pr-admin-2"].role = "principal"
    export.add("pr-ap-2", "administrator", ["pr-school-2"], "Ash", "Assistant")  # an AP
    principal_roles("principal")  # administrators are assistant principals here
    app.import_roster(IT, export.files(), START)
    assert school(app, "pr-school-1").principal_on(START) is None
    assert school(app, "pr-school-2").principal_on(START) == roster_id("pr-admin-2")
    principal_roles("none")  # assignments.csv names them
    files = export.files()
    files["assignments"] = roster_files.to_csv(
        roster_files.REQUIRED["assignments"],
        [{"kind": "principal", "person_sourced_id": "pr-admin-3",
          "school_sourced_id": "pr-school-3", "effective_on": START.isoformat()}])
    app.import_roster(IT, files, START)
    assert [school(app, f"pr-school-{n}").principal_on(START) for n in (1, 2, 3)] == [
        None, roster_id("pr-admin-2"), roster_id("pr-admin-3")]
    # By default an administrator at the school is its principal, a 1.2 principal first.
    principal_roles("principal,administrator")
    app.import_roster(IT, export.files(), DELTA_DAY)
    assert school(app, "pr-school-1").principal_on(DELTA_DAY) == roster_id("pr-admin-1")
    assert school(app, "pr-school-2").principal_on(DELTA_DAY) == roster_id("pr-admin-2")


@pytest.mark.parametrize("value", ["teacher", "principal,principal", "admin"])
def test_roster_principal_roles_refuses_what_it_cannot_read(value: str) -> None:
    with pytest.raises(settings.SettingError) as caught:
        settings.load({"ROSTER_PRINCIPAL_ROLES": value})
    assert caught.value.name == "ROSTER_PRINCIPAL_ROLES"


def test_a_later_sis_export_does_not_undo_the_districts_own_configuration(
    app: Agreements,
) -> None:
    """What OneRoster cannot say (coaches, regions and their representatives, the district's
    leader and IT) is kept as dated events the next SIS export, without the district's files,
    leaves as they are."""
    from services.agreements.roster import District, Region, region_id

    export = Export.generate("k", schools=2, teachers=3, students=2)
    files = export.files()
    files["regions"] = roster_files.to_csv(roster_files.REQUIRED["regions"], [
        {"region_code": "north", "label": "North", "clt_representative_sourced_id": "k-t-2-3"}])
    rows = [("coach", "k-t-1-3", "k-school-1", ""), ("school_region", "", "k-school-1", "north"),
            ("school_region", "", "k-school-2", "north"), ("district_leader", "k-dadmin", "", ""),
            ("it_admin", "k-t-2-2", "", "")]
    files["assignments"] = roster_files.to_csv(roster_files.REQUIRED["assignments"], [
        {"kind": k, "person_sourced_id": p, "school_sourced_id": s, "region_code": r,
         "effective_on": START.isoformat()} for k, p, s, r in rows])
    app.import_roster(IT, files, START)

    def configuration(on: date) -> tuple[object, ...]:
        district = app.repository.get(District.create_id())
        region = app.repository.get(region_id("north"))
        assert isinstance(district, District) and isinstance(region, Region)
        return (school(app, "k-school-1").coach_assigned_on(roster_id("k-t-1-3"), on),
                school(app, "k-school-1").region_on(on), school(app, "k-school-2").region_on(on),
                region.representative.latest(), district.leaders.on(roster_id("k-dadmin"), on),
                district.it_admins.on(roster_id("k-t-2-2"), on))

    before = configuration(DELTA_DAY)
    assert before == (True, region_id("north"), region_id("north"), roster_id("k-t-2-3"), True,
                      True)
    # The SIS's next whole export, alone, a 1.2 one: a teacher more, nothing of ours.
    later = export.copy()
    later.version = "1.2"
    later.add("k-t-1-9", "teacher", ["k-school-1"], "Nat", "New")
    assert app.import_roster(IT, later.files(), DELTA_DAY) == {"Person.Registered": 1,
                                                               "School.TeacherAssigned": 1}
    assert configuration(DELTA_DAY) == before


def test_what_is_still_to_set_is_district_its_to_see(app: Agreements) -> None:
    from coachops.errors import Forbidden
    from coachops.identity import Actor

    export = Export.generate("q", schools=2, teachers=2, students=1)
    app.import_roster(IT, export.files(), START)
    unset = app.roster_unset(IT, DELTA_DAY)
    assert [s["name"] for s in unset["schools_without_region"]] == ["Q School 1", "Q School 2"]
    assert [s["name"] for s in unset["schools_without_coach"]] == ["Q School 1", "Q School 2"]
    assert unset["schools_without_principal"] == []
    assert (unset["district_leaders"], unset["other_it_admins"], unset["complete"]) == (
        0, 0, False)
    files = export.files()
    files["regions"] = roster_files.to_csv(roster_files.REQUIRED["regions"], [
        {"region_code": "all", "label": "All", "clt_representative_sourced_id": "q-admin-1"}])
    files["assignments"] = roster_files.to_csv(roster_files.REQUIRED["assignments"], [
        {"kind": k, "person_sourced_id": p, "school_sourced_id": s, "region_code": r,
         "effective_on": START.isoformat()} for k, p, s, r in [
            ("coach", "q-t-1-1", "q-school-1", ""), ("coach", "q-t-2-1", "q-school-2", ""),
            ("school_region", "", "q-school-1", "all"), ("school_region", "", "q-school-2", "all"),
            ("district_leader", "q-dadmin", "", ""), ("it_admin", "q-t-1-2", "", "")]])
    app.import_roster(IT, files, START)
    assert app.roster_unset(IT, DELTA_DAY)["complete"] is True
    with pytest.raises(Forbidden):
        app.roster_unset(Actor(roster_id("q-dadmin"), Role.DISTRICT_LEADER), DELTA_DAY)
