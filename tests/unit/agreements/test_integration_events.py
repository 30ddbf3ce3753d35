"""What leaves the service: every stored event translated as the relay does it and encoded
under its contract. Names, focus-area wording, notes and partnership norms never travel."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from coachops.privacy import ERASED
from services.agreements.app import Agreements
from services.agreements.domain import Norms
from services.agreements.integration import to_integration
from services.agreements.roster import roster_id
from tests.support.relayed import relayed
from tests.unit.agreements.helpers import (
    DANIELSON_2A,
    IT,
    READING_GOAL,
    TODAY,
    app_with,
    coach,
    principal,
    school_of,
    signed_by_both,
    small_district,
    terms,
)

LATER = date(2027, 2, 1)
SECRET_NOTE = "Principal worries about Ms. K.'s classroom management"


def published(app: Agreements) -> list[dict[str, Any]]:
    return [body for _, body in relayed("agreements", app, to_integration)]


def test_roster_and_agreements_travel_as_ids_dates_and_labels_of_units() -> None:
    district = small_district()
    person = district.people["teacher-00001"]
    person.given_name, person.family_name = "Zebulon", "Quixote-Marsh"
    app = app_with(district)
    agreement = signed_by_both(app, district)
    app.revise_coaching_agreement(coach(district), agreement.id,
                                  terms(DANIELSON_2A, READING_GOAL), TODAY)
    app.record_check_in(coach(district), agreement.id, TODAY, SECRET_NOTE, None, TODAY)
    partnership = app.draft_partnership_agreement(
        coach(district), roster_id("teacher-00001"),
        Norms.of(debrief_within_hours=24, entering_the_room=SECRET_NOTE,
                 interacts_with_students=False, what_to_observe=SECRET_NOTE), TODAY).result
    assert partnership.id
    bodies = published(app)
    kinds = [b["event_type"] for b in bodies]
    for name in ("RegionDefined", "SchoolDefined", "SchoolAssignedToRegion",
                 "PrincipalChanged", "CoachAssignedToSchool", "TeacherAssignedToSchool",
                 "CltRepresentativeChanged", "CoachingAgreementDrafted",
                 "CoachingAgreementSigned", "CoachingAgreementRevised", "CheckInRecorded"):
        assert name in kinds, name
    signed = [b["payload"] for b in bodies if b["event_type"] == "CoachingAgreementSigned"]
    assert [(s["signed_by"], s["in_force"]) for s in signed] == [
        ("coach", False), ("principal", True)]
    revised = next(b["payload"] for b in bodies if b["event_type"] == "CoachingAgreementRevised")
    assert (revised["version"], revised["focus_area_ids"]) == (
        2, ["danielson-2a", "goal-reading"])
    text = json.dumps(bodies)
    for secret in (SECRET_NOTE, DANIELSON_2A["label"], "Zebulon", "Quixote", "@example.org",
                   "Co-plan and model", "Evaluating teachers"):
        assert secret not in text, secret
    assert kinds.count("RegionDefined") == 2


def test_signatures_on_paper_travel_as_the_days_signed_in_force_from_the_later() -> None:
    """Reporting holds time to an agreement from its ``effective_on``: signed on paper in
    August and entered today, it is the later paper day, whoever's signature came last."""
    district = small_district()
    app = app_with(district)
    school = school_of(district)
    agreement = app.draft_coaching_agreement(coach(district), roster_id(school), 2026,
                                             terms(), TODAY).result
    app.sign_coaching_agreement(coach(district), agreement.id, 1, TODAY, date(2026, 8, 20))
    app.sign_coaching_agreement(principal(district, school), agreement.id, 1, TODAY,
                                date(2026, 8, 14))
    signed = [b["payload"] for b in published(app)
              if b["event_type"] == "CoachingAgreementSigned"]
    assert [(s["signed_by"], s["in_force"], s["effective_on"]) for s in signed] == [
        ("coach", False, "2026-08-20"), ("principal", True, "2026-08-20")]


def test_leaving_teachers_and_district_leaders_travel_as_ids_and_dates() -> None:
    district = small_district()
    app = app_with(district)
    first = len(published(app))
    leaving = district.people["teacher-00001"].schools[0]
    del district.people["teacher-00001"]
    district.leaders.remove("leader-0002")
    app.import_roster(IT, district.files(), LATER)
    later = published(app)[first:]
    assert sorted((b["event_type"], json.dumps(b["payload"], sort_keys=True)) for b in later) == [
        ("DistrictLeaderLeft", json.dumps({"effective_on": LATER.isoformat(),
                                           "leader_id": str(roster_id("leader-0002"))},
                                          sort_keys=True)),
        ("TeacherUnassignedFromSchool", json.dumps({
            "effective_on": LATER.isoformat(), "school_id": str(roster_id(leaving)),
            "teacher_id": str(roster_id("teacher-00001"))}, sort_keys=True)),
    ]
    appointed = [b["payload"] for b in published(app)[:first]
                 if b["event_type"] == "DistrictLeaderAppointed"]
    assert sorted(p["leader_id"] for p in appointed) == sorted(
        str(roster_id(f"leader-000{n}")) for n in (1, 2))


def test_district_staff_are_named_for_reports_and_teachers_never() -> None:
    district = small_district()
    app = app_with(district)
    staff = {*district.coaching, *district.principals.values(), *district.leaders}
    named = {b["payload"]["person_id"]: b["payload"]["name"] for b in published(app)
             if b["event_type"] == "StaffMemberNamed"}

    assert set(named) == {str(roster_id(s)) for s in staff}
    person = district.people[next(iter(district.coaching))]
    name = f"{person.given_name} {person.family_name}"
    assert named[str(roster_id(person.sourced_id))] == name
    teachers = {str(roster_id(t)) for t in district.people} - named.keys()
    assert teachers and not teachers & named.keys()

    # Read again after forgetting (a consumer's rebuild), the coach's name is erased.
    app.forget_person(IT, coach(district).id, TODAY)
    again = [b["payload"]["name"] for b in published(app)
             if b["event_type"] == "StaffMemberNamed"
             and b["payload"]["person_id"] == str(coach(district).id)]
    assert again == [ERASED]
