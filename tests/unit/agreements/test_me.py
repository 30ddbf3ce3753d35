"""``GET /me``: the signed-in person and their schools with their people by name, as their
role needs them: a coach the teachers and their own agreement, a principal every coach's
agreement, a teacher the coaches and no other teacher."""

from __future__ import annotations

import pytest

from coachops.errors import NotFound
from coachops.identity import Actor, Role
from services.agreements.domain import coaching_agreement_id
from services.agreements.roster import roster_id
from tests.support.district import District
from tests.unit.agreements import helpers
from tests.unit.agreements.helpers import TODAY, app_with, coach, principal, school_of


def named(district: District, sourced_id: str) -> dict[str, str]:
    person = district.people[sourced_id]
    return {"id": str(roster_id(sourced_id)),
            "name": f"{person.given_name} {person.family_name}"}


def test_a_coach_sees_their_schools_teachers_by_name_and_their_own_agreement() -> None:
    district = helpers.small_district()
    app = app_with(district)
    me = coach(district)
    answer = app.me(me, TODAY, 2026)
    school = school_of(district)
    [here] = [s for s in answer["schools"] if s["school_id"] == str(roster_id(school))]
    assert answer["role"] == "coach" and answer["roles"] == ["coach"]
    assert here["label"] == district.schools[school]
    assert here["principal"] == named(district, district.principals[school])
    assert named(district, next(iter(district.coaching))) in here["coaches"]
    assert here["teachers"] and all(t["name"] for t in here["teachers"])
    agreement = coaching_agreement_id(me.id, roster_id(school), 2026)
    assert here["agreements"] == [{"coach_id": str(me.id), "school_year": 2026,
                                   "agreement_id": str(agreement)}]


def test_a_principal_sees_every_coach_s_agreement_and_a_teacher_no_teacher() -> None:
    district = helpers.small_district()
    app = app_with(district)
    school = school_of(district)
    [here] = app.me(principal(district, school), TODAY, 2026)["schools"]
    assert {a["coach_id"] for a in here["agreements"]} == {c["id"] for c in here["coaches"]}
    teacher_id = roster_id(district.teachers[0])
    for place in app.me(Actor(teacher_id, Role.TEACHER), TODAY, 2026)["schools"]:
        assert place["teachers"] == [] and place["agreements"] == []


def test_someone_not_on_the_roster_is_not_found() -> None:
    app = app_with(helpers.small_district())
    with pytest.raises(NotFound):
        app.me(Actor(roster_id("nobody"), Role.COACH), TODAY, 2026)
