"""Coaching and partnership agreements through the gateway, against the imported district:
who may draft, sign and read, what is in force, and what is published."""

from __future__ import annotations

import uuid
from typing import Any

from services.agreements.roster import roster_id
from tests.support.platform import Platform
from tests.support.roster import anyone, it_admin_headers

from .client import as_coach, as_principal, as_teacher, call
from .conftest import Imported

DANIELSON_2A = {"id": "danielson-2a", "label": "2a: Creating an Environment of Respect & Rapport"}
READING = {"id": "goal-reading", "label": "Grade 3 reading proficiency to 70%"}


def draft_body(school: str, year: int, *areas: dict[str, str]) -> dict[str, Any]:
    return {"school_id": str(roster_id(school)), "school_year": year,
            "focus_areas": list(areas or [DANIELSON_2A]),
            "coach_role": "Co-plan and model; run coaching cycles with volunteers",
            "not_coach_role": "Evaluating teachers; covering classes; testing"}


def test_drafted_signed_by_both_and_in_force(platform: Platform, imported: Imported) -> None:
    coach, principal = as_coach("coach-0040"), as_principal("principal-0040")
    drafted = call(platform, "POST", "/coaching-agreements", coach,
                   draft_body("school-0040", 2026))
    assert drafted.status_code == 201, drafted.text
    agreement = drafted.json()
    assert agreement["version_in_force"] is None
    path = f"/coaching-agreements/{agreement['agreement_id']}"
    assert call(platform, "POST", f"{path}/sign", coach, {"version": 1}).status_code == 200
    assert call(platform, "GET", path, coach).json()["version_in_force"] is None
    signed = call(platform, "POST", f"{path}/sign", principal, {"version": 1})
    assert signed.status_code == 200, signed.text
    assert signed.json()["version_in_force"] == 1

    revised = call(platform, "POST", f"{path}/revisions", coach,
                   {k: v for k, v in draft_body("school-0040", 2026, DANIELSON_2A, READING).items()
                    if k not in ("school_id", "school_year")})
    assert revised.status_code == 201, revised.text
    assert (revised.json()["latest_version"], revised.json()["version_in_force"]) == (2, 1)
    call(platform, "POST", f"{path}/sign", coach, {"version": 2})
    both = call(platform, "POST", f"{path}/sign", principal, {"version": 2}).json()
    assert both["version_in_force"] == 2

    check_in = call(platform, "POST", f"{path}/check-ins", principal,
                    {"held_on": "2026-08-20", "notes": "Reading walkthroughs help"})
    assert check_in.status_code == 201, check_in.text
    assert check_in.json()["check_ins"][0]["next_due_on"] == "2026-11-19"


def test_a_principal_of_another_school_gets_403(platform: Platform,
                                                imported: Imported) -> None:
    coach = as_coach("coach-0041")
    agreement = call(platform, "POST", "/coaching-agreements", coach,
                     draft_body("school-0041", 2026)).json()
    path = f"/coaching-agreements/{agreement['agreement_id']}"
    strangers = [as_principal("principal-0042"), as_coach("coach-0042"),
                 it_admin_headers(platform), anyone(platform, "district_leader"),
                 as_teacher("teacher-00041")]
    for stranger in strangers:
        read = call(platform, "GET", path, stranger)
        assert read.status_code == 403, read.text
        # A role that never reads agreements is refused by the gateway's matrix ("role");
        # a coach or principal of another school by the agreements service.
        assert read.json()["field"] in ("agreement_id", "role"), read.text
        assert call(platform, "POST", f"{path}/sign", stranger,
                    {"version": 1}).status_code == 403
    assert call(platform, "GET", path, as_principal("principal-0041")).status_code == 200
    assert call(platform, "GET", path, coach).status_code == 200


def test_a_coach_drafts_only_for_a_school_they_are_assigned_to(platform: Platform,
                                                               imported: Imported) -> None:
    response = call(platform, "POST", "/coaching-agreements", as_coach("coach-0043"),
                    draft_body("school-0044", 2026))
    assert response.status_code == 403
    assert response.json()["field"] == "school_id"
    principal = call(platform, "POST", "/coaching-agreements", as_principal("principal-0044"),
                     draft_body("school-0044", 2026))
    assert principal.status_code == 403


def test_bad_input_is_a_400_naming_the_field(platform: Platform, imported: Imported) -> None:
    body = draft_body("school-0045", 2026)
    body["focus_areas"] = [{"id": "", "label": "x"}]
    response = call(platform, "POST", "/coaching-agreements", as_coach("coach-0045"), body)
    assert response.status_code == 400
    assert response.json()["fields"][0]["field"] == "focus_areas.0.id"
    missing = call(platform, "GET", f"/coaching-agreements/{uuid.uuid4()}",
                   as_coach("coach-0045"))
    assert missing.status_code == 404


def test_a_partnership_is_the_coach_and_the_teachers_alone(platform: Platform,
                                                           imported: Imported) -> None:
    coach, teacher = as_coach("coach-0046"), as_teacher("teacher-00046")
    drafted = call(platform, "POST", "/partnership-agreements", coach, {
        "teacher_id": str(roster_id("teacher-00046")), "debrief_within_hours": 24,
        "entering_the_room": "Quietly, at the back, after the warm-up",
        "interacts_with_students": False, "what_to_observe": "Wait time after questions"})
    assert drafted.status_code == 201, drafted.text
    path = f"/partnership-agreements/{drafted.json()['agreement_id']}"
    for stranger in (as_principal("principal-0046"), as_coach("coach-0047"),
                     as_teacher("teacher-00047"), it_admin_headers(platform)):
        assert call(platform, "GET", path, stranger).status_code == 403
    assert call(platform, "POST", f"{path}/agree", coach).status_code == 403
    agreed = call(platform, "POST", f"{path}/agree", teacher)
    assert agreed.status_code == 200, agreed.text
    assert agreed.json()["agreed_on"] is not None
    assert call(platform, "GET", path, teacher).json()["what_to_observe"] == (
        "Wait time after questions")
    unknown = call(platform, "POST", "/partnership-agreements", coach, {
        "teacher_id": str(uuid.uuid4()), "entering_the_room": "x",
        "interacts_with_students": True, "what_to_observe": "y"})
    assert unknown.status_code == 422
    assert unknown.json()["field"] == "teacher_id"
