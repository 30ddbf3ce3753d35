"""The roster import on the service layer (in-memory store): the first import records the
district, the same files again record nothing, changed files record only the
differences, and a past date's roster stays answerable."""

from __future__ import annotations

from datetime import date

import pytest

from coachops.errors import Forbidden
from coachops.identity import Actor, Role
from services.agreements import roster
from services.agreements.app import Agreements
from services.agreements.roster import Person, School, region_id, roster_id
from tests.support.district import District
from tests.unit.agreements.helpers import IT, START

LATER = date(2027, 1, 10)


def stored_events(app: Agreements) -> int:
    return len(app.recorder.select_notifications(start=1, limit=1_000_000))


def school(app: Agreements, sourced_id: str) -> School:
    found = app.repository.get(roster_id(sourced_id))
    assert isinstance(found, School)
    return found


def test_the_first_import_records_every_school_region_principal_coach_and_teacher(
    district: District,
) -> None:
    fresh = Agreements(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    counts = fresh.import_roster(IT, district.files(), START)
    staff = len(district.people)
    assert counts == {
        "Person.Registered": staff, "Region.Defined": 2, "Region.RepresentativeChanged": 2,
        "School.Defined": 8, "School.AssignedToRegion": 8, "School.PrincipalChanged": 8,
        "School.CoachAssigned": 8, "School.TeacherAssigned": 40,
        "District.Defined": 1, "District.LeaderAppointed": 2,
    }
    first = school(fresh, "school-0001")
    assert first.principal_on(START) == roster_id("principal-0001")
    assert first.region_on(START) == region_id("clt-1")
    assert first.coaches_on(START) == [roster_id("coach-0001")]
    assert first.label == district.schools["school-0001"]
    assert len(first.teachers_on(START)) == 5
    # Before the roster's date nobody was anywhere.
    assert first.principal_on(date(2026, 7, 31)) is None


def test_the_same_files_again_record_nothing(app: Agreements, district: District) -> None:
    before = stored_events(app)
    assert app.import_roster(IT, district.files(), LATER) == {}
    assert stored_events(app) == before


def test_changed_files_record_only_the_differences(app: Agreements,
                                                   district: District) -> None:
    before = stored_events(app)
    district.history.append(("principal", "principal-0002", "school-0001", "", LATER))
    district.region_of["school-0002"] = "clt-1"  # was clt-2
    district.coaching["coach-0002"].append("school-0001")  # one more school
    district.coaching["coach-0003"] = ["school-0004"]  # moved from school-0003
    district.schools["school-0004"] = "Renamed Elementary"
    district.people["teacher-00001"].family_name = "Married-Name"
    counts = app.import_roster(IT, district.files(), LATER)
    assert counts == {"School.PrincipalChanged": 1, "School.AssignedToRegion": 1,
                      "School.CoachAssigned": 2, "School.CoachUnassigned": 1,
                      "School.Relabelled": 1, "Person.Updated": 1}
    assert stored_events(app) == before + 7
    # A school's history answers "as of" a date.
    first = school(app, "school-0001")
    assert first.principal_on(START) == roster_id("principal-0001")
    assert first.principal_on(LATER) == roster_id("principal-0002")
    third = school(app, "school-0003")
    assert third.coach_assigned_on(roster_id("coach-0003"), START)
    assert not third.coach_assigned_on(roster_id("coach-0003"), LATER)
    # The region change is dated by the school_region row (START): it replaces that fact.
    assert school(app, "school-0002").region_on(START) == region_id("clt-1")
    # And the changed files once more: nothing.
    assert app.import_roster(IT, district.files(), LATER) == {}


def test_a_change_dated_by_its_row_keeps_the_earlier_fact(app: Agreements,
                                                          district: District) -> None:
    district.history.append(("school_region", "", "school-0002", "clt-1", LATER))
    assert app.import_roster(IT, district.files(), LATER) == {"School.AssignedToRegion": 1}
    second = school(app, "school-0002")
    assert second.region_on(START) == region_id("clt-2")
    assert second.region_on(LATER) == region_id("clt-1")


def test_a_teacher_who_moves_leaves_one_school_and_joins_the_other(
    app: Agreements, district: District,
) -> None:
    teacher = roster_id("teacher-00001")
    district.people["teacher-00001"].schools = ["school-0002"]
    del district.people["teacher-00002"]  # left the district
    assert app.import_roster(IT, district.files(), LATER) == {
        "School.TeacherLeft": 2, "School.TeacherAssigned": 1}
    assert teacher in school(app, "school-0001").teachers_on(START)
    assert teacher not in school(app, "school-0001").teachers_on(LATER)
    assert teacher in school(app, "school-0002").teachers_on(LATER)
    assert roster_id("teacher-00002") not in school(app, "school-0002").teachers_on(LATER)
    assert app.import_roster(IT, district.files(), LATER) == {}


def test_only_district_it_imports_the_roster(app: Agreements, district: District) -> None:
    for role in (Role.DISTRICT_LEADER, Role.PRINCIPAL, Role.COACH):
        with pytest.raises(Forbidden):
            app.import_roster(Actor(roster_id("x"), role), district.files(), LATER)


def test_students_and_parents_are_never_stored(app: Agreements) -> None:
    assert not list(app.events.get(roster_id("student-1")))
    assert not list(app.events.get(roster_id("parent-1")))


def test_district_leaders_are_appointed_and_leave_by_date(app: Agreements,
                                                          district: District) -> None:
    office = app.repository.get(roster.DISTRICT_ID)
    assert isinstance(office, roster.District)
    assert office.leaders.everyone_on(START) == sorted(
        [roster_id("leader-0001"), roster_id("leader-0002")], key=str)
    assert office.leaders.everyone_on(date(2026, 7, 31)) == []
    person = app.repository.get(roster_id("leader-0001"))
    assert isinstance(person, Person) and person.role == "district_leader"

    district.leaders.remove("leader-0002")  # left the district office
    district.history.append(("district_leader", "principal-0003", "", "", LATER))
    assert app.import_roster(IT, district.files(), LATER) == {
        "District.LeaderLeft": 1, "District.LeaderAppointed": 1, "Person.Updated": 1}
    office = app.repository.get(roster.DISTRICT_ID)
    assert office.leaders.everyone_on(START) == sorted(
        [roster_id("leader-0001"), roster_id("leader-0002")], key=str)
    assert office.leaders.everyone_on(LATER) == sorted(
        [roster_id("leader-0001"), roster_id("principal-0003")], key=str)
    assert app.import_roster(IT, district.files(), LATER) == {}
