"""The roster as the API lists it: regions, schools and people with their roles on a day,
each role seeing whom ``services.agreements.listing`` says, a page at a time; a person's
roles before and after a move; no name for someone forgotten."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import uuid4

import pytest

from coachops.errors import Forbidden, NotFound
from coachops.identity import Actor, Role
from services.agreements import listing
from services.agreements.app import Agreements
from services.agreements.roster import region_id, roster_id
from tests.support.district import District
from tests.unit.agreements.helpers import IT, START, TODAY, coach

LEADER = Actor(roster_id("leader-0001"), Role.DISTRICT_LEADER)


def sourced(answer: dict[str, Any]) -> set[str]:
    return {p["sourced_id"] for p in answer["people"]}


def everyone(app: Agreements, actor: Actor, **filters: Any) -> dict[str, Any]:
    return app.roster_people(actor, TODAY, limit=500, **filters)


def as_(sourced_id: str, role: Role) -> Actor:
    return Actor(roster_id(sourced_id), role)


def test_regions_and_schools_with_their_representative_region_and_principal_by_name(
        app: Agreements, district: District) -> None:
    regions = app.roster_regions(coach(district), TODAY)
    rep = district.people[district.representatives["clt-1"]]
    assert regions["on"] == TODAY.isoformat()
    assert regions["regions"][0] == {
        "region_id": str(region_id("clt-1")), "code": "clt-1", "name": "CLT 1",
        "representative": {"person_id": str(roster_id(rep.sourced_id)),
                           "name": f"{rep.given_name} {rep.family_name}"}}
    schools = app.roster_schools(LEADER, TODAY)["schools"]
    assert len(schools) == len(district.schools)
    [first] = [s for s in schools if s["sourced_id"] == "school-0001"]
    principal = district.people["principal-0001"]
    assert first == {"school_id": str(roster_id("school-0001")), "sourced_id": "school-0001",
                     "name": district.schools["school-0001"],
                     "region": {"region_id": str(region_id("clt-1")), "name": "CLT 1"},
                     "principal": {"person_id": str(roster_id("principal-0001")),
                                   "name": f"{principal.given_name} {principal.family_name}"}}
    in_clt_2 = app.roster_schools(LEADER, TODAY, region_id("clt-2"))["schools"]
    assert {s["sourced_id"] for s in in_clt_2} == {
        s for s, r in district.region_of.items() if r == "clt-2"}
    before = app.roster_schools(LEADER, START - timedelta(days=1))["schools"]
    assert {s["region"] is None and s["principal"] is None for s in before} == {True}


def test_a_teacher_reads_no_list_of_regions_or_schools_and_an_unknown_region_is_404(
        app: Agreements) -> None:
    teacher = as_("teacher-00001", Role.TEACHER)
    with pytest.raises(Forbidden):
        app.roster_regions(teacher, TODAY)
    with pytest.raises(Forbidden):
        app.roster_schools(teacher, TODAY)
    with pytest.raises(NotFound) as unknown:
        app.roster_schools(IT, TODAY, uuid4())
    assert unknown.value.field == "region_id"


def test_district_it_and_leaders_see_everyone_holding_a_role_a_page_at_a_time(
        app: Agreements, district: District) -> None:
    holding = {*district.principals.values(), *district.coaching, *district.teachers,
               *district.leaders}
    assert sourced(everyone(app, IT)) == sourced(everyone(app, LEADER)) == holding
    pages, page = [], 1
    while page is not None:
        answer = app.roster_people(IT, TODAY, page=page, limit=20)
        assert answer["total"] == len(holding) and len(answer["people"]) <= 20
        pages += answer["people"]
        page = answer["next_page"]
    assert len(pages) == len(holding) and {p["sourced_id"] for p in pages} == holding
    assert [listing.by_name(p) for p in pages] == sorted(listing.by_name(p) for p in pages)


def test_a_person_with_each_role_where_they_hold_it(app: Agreements, district: District) -> None:
    person = district.people["coach-0001"]
    shown = app.roster_person(IT, roster_id("coach-0001"), TODAY)
    assert shown == {
        "on": TODAY.isoformat(), "person_id": str(roster_id("coach-0001")),
        "sourced_id": "coach-0001", "name": f"{person.given_name} {person.family_name}",
        "given_name": person.given_name, "family_name": person.family_name,
        "forgotten": False, "roles": ["coach"],
        "coach_at": sorted(({"school_id": str(roster_id(s)), "name": district.schools[s]}
                            for s in district.coaching["coach-0001"]),
                           key=lambda p: p["name"]),
        "teacher_at": [], "principal_of": [], "clt_rep_of": [], "district_leader": False,
        "it_admin": False}
    rep = app.roster_person(LEADER, roster_id(district.representatives["clt-1"]), TODAY)
    assert rep["roles"] == ["principal", "clt_rep"]
    assert rep["clt_rep_of"] == [{"region_id": str(region_id("clt-1")), "name": "CLT 1"}]
    assert app.roster_person(IT, roster_id("leader-0001"), TODAY)["district_leader"] is True
    with pytest.raises(NotFound) as unknown:
        app.roster_person(IT, uuid4(), TODAY)
    assert unknown.value.field == "person_id"


def test_a_principal_sees_their_schools_people_and_nobody_elses(
        app: Agreements, district: District) -> None:
    principal = as_("principal-0003", Role.PRINCIPAL)
    at_school = {p for p, s in ((t, district.people[t].schools[0]) for t in district.teachers)
                 if s == "school-0003"}
    coaches = {c for c, schools in district.coaching.items() if "school-0003" in schools}
    assert sourced(everyone(app, principal)) == {"principal-0003", *coaches, *at_school}
    assert sourced(everyone(app, principal, role=Role.COACH)) == coaches
    assert sourced(everyone(app, principal, school=roster_id("school-0003"))) == {
        "principal-0003", *coaches, *at_school}
    with pytest.raises(Forbidden) as elsewhere:
        everyone(app, principal, school=roster_id("school-0004"))
    assert elsewhere.value.field == "school_id"
    with pytest.raises(Forbidden) as other_person:
        app.roster_person(principal, roster_id("coach-0004"), TODAY)
    assert other_person.value.field == "person_id"
    assert app.roster_person(principal, roster_id(next(iter(at_school))), TODAY)["roles"] == [
        "teacher"]


def test_a_clt_representative_sees_their_regions_coaches_and_principals_never_a_teacher(
        app: Agreements, district: District) -> None:
    rep = as_(district.representatives["clt-1"], Role.CLT_REP)
    schools = {s for s, r in district.region_of.items() if r == "clt-1"}
    coaches = {c for c, at in district.coaching.items() if set(at) & schools}
    principals = {district.principals[s] for s in schools}
    assert sourced(everyone(app, rep)) == coaches | principals
    assert sourced(everyone(app, rep, role=Role.TEACHER)) == set()
    assert sourced(everyone(app, rep, region=region_id("clt-1"), role=Role.PRINCIPAL)) == \
        principals
    with pytest.raises(Forbidden) as other_region:
        everyone(app, rep, region=region_id("clt-2"))
    assert other_region.value.field == "region_id"
    with pytest.raises(Forbidden):
        app.roster_person(rep, roster_id(district.teachers[0]), TODAY)


def test_a_coach_or_a_teacher_sees_only_themselves(app: Agreements, district: District) -> None:
    for actor in (coach(district), as_("teacher-00001", Role.TEACHER)):
        with pytest.raises(Forbidden) as listed:
            everyone(app, actor)
        assert listed.value.field == "role"
        assert app.roster_person(actor, actor.id, TODAY)["person_id"] == str(actor.id)
        with pytest.raises(Forbidden):
            app.roster_person(actor, roster_id("principal-0001"), TODAY)


def test_a_teacher_who_moved_is_at_each_school_on_its_dates(
        app: Agreements, district: District) -> None:
    moved_on = TODAY
    district.people["teacher-00001"].schools = ["school-0002"]
    app.import_roster(IT, district.files(), moved_on)
    before = app.roster_person(IT, roster_id("teacher-00001"), START)
    after = app.roster_person(IT, roster_id("teacher-00001"), moved_on)
    assert [s["school_id"] for s in before["teacher_at"]] == [str(roster_id("school-0001"))]
    assert [s["school_id"] for s in after["teacher_at"]] == [str(roster_id("school-0002"))]
    old_principal = as_("principal-0001", Role.PRINCIPAL)
    assert "teacher-00001" in sourced(app.roster_people(old_principal, START, limit=500))
    assert "teacher-00001" not in sourced(app.roster_people(old_principal, moved_on,
                                                            limit=500))


def test_a_forgotten_person_has_no_name_no_role_and_is_in_no_listing(
        app: Agreements, district: District) -> None:
    forgotten = roster_id("teacher-00002")
    app.forget(forgotten, TODAY)
    shown = app.roster_person(IT, forgotten, START)
    assert shown["forgotten"] is True and shown["roles"] == [] and shown["teacher_at"] == []
    assert shown["name"] is shown["given_name"] is shown["family_name"] is None
    assert "teacher-00002" not in sourced(everyone(app, IT))
    principal = as_(district.principals[district.people["teacher-00002"].schools[0]],
                    Role.PRINCIPAL)
    with pytest.raises(Forbidden):
        app.roster_person(principal, forgotten, START)


def test_pages_and_filters_are_pure() -> None:
    assert listing.page_of(list(range(5)), 2, 2) == {
        "items": [2, 3], "page": 2, "limit": 2, "total": 5, "next_page": 3}
    assert listing.page_of(list(range(5)), 3, 2)["next_page"] is None
    assert listing.page_of(list(range(5)), 9, 2)["items"] == []
    school, region, other = uuid4(), uuid4(), uuid4()
    places: listing.Places = [(Role.COACH, school), (Role.CLT_REP, other)]
    assert listing.matches(places, Role.COACH, school)
    assert not listing.matches(places, Role.TEACHER)
    assert listing.matches(places, region=region, regions={school: region})
    assert listing.matches(places, region=other)
    assert not listing.matches(places, school=other)  # a region is not a school
    rep = listing.scope_of(Actor(uuid4(), Role.CLT_REP), [(Role.CLT_REP, region)],
                           {school: region, other: None})
    assert rep.covers(school) and rep.covers(region) and not rep.covers(other)
    assert not rep.sees(uuid4(), [(Role.TEACHER, school)])
    assert rep.sees(uuid4(), [(Role.COACH, school)])
