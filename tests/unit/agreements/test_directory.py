"""District IT's directory: people found by sourcedId, email or name, with their roles and
where they hold them (schools and regions by name); nothing left of a forgotten person's
names or email."""

from __future__ import annotations

from typing import Any

import pytest

from coachops.errors import Forbidden
from services.agreements.app import Agreements
from services.agreements.directory import MAX_FOUND
from services.agreements.roster import roster_id
from tests.support.district import District
from tests.unit.agreements.helpers import IT, TODAY, app_with, coach, small_district


def email_of(district: District, sourced_id: str) -> str:
    p = district.people[sourced_id]
    return f"{p.given_name[0]}{p.family_name}.{p.sourced_id}".lower() + "@example.org"


def found(app: Agreements, query: str) -> list[dict[str, Any]]:
    return list(app.find_people(IT, query, TODAY)["people"])


def test_found_by_sourced_id_or_email_with_schools_by_name() -> None:
    district = small_district()
    app = app_with(district)
    person = district.people["coach-0001"]
    [by_sourced_id] = found(app, " coach-0001 ")
    assert by_sourced_id == {
        "person_id": str(roster_id("coach-0001")), "sourced_id": "coach-0001",
        "given_name": person.given_name, "family_name": person.family_name,
        "email": email_of(district, "coach-0001"), "forgotten": False,
        "matched": "sourced_id", "roles": ["coach"],
        "assignments": [{"role": "coach", "place_id": str(roster_id(school)),
                         "place": district.schools[school]}
                        for school in sorted(district.coaching["coach-0001"],
                                             key=lambda s: str(roster_id(s)))]}
    [by_email] = found(app, email_of(district, "coach-0001").upper())
    assert by_email == {**by_sourced_id, "matched": "email"}
    assert app.identify_person(email_of(district, "coach-0001"), TODAY) == {
        **by_sourced_id, "matched": ""}


def test_a_representative_is_named_with_their_region_and_a_leader_with_the_district() -> None:
    district = small_district()
    app = app_with(district)
    [rep] = found(app, district.representatives["clt-1"])
    assert ("clt_rep", "CLT 1") in {(a["role"], a["place"]) for a in rep["assignments"]}
    [leader] = found(app, "leader-0001")
    assert leader["assignments"] == [{"role": "district_leader", "place_id": None,
                                      "place": "the district"}]


def test_found_by_every_word_of_a_name_by_family_name_and_at_most_a_page() -> None:
    district = small_district()
    app = app_with(district)
    person = district.people["teacher-00001"]
    named = found(app, f"{person.given_name.lower()} {person.family_name.upper()}")
    assert named and all(p["matched"] == "name" and p["given_name"] == person.given_name
                         and p["family_name"] == person.family_name for p in named)
    assert str(roster_id("teacher-00001")) in {p["person_id"] for p in named}
    many = app.find_people(IT, "example.org", TODAY)
    assert len(many["people"]) == MAX_FOUND and many["more"] is True
    families = [str(p["family_name"]).casefold() for p in many["people"]]
    assert families == sorted(families)
    assert found(app, "nobody-at-all") == []


def test_only_district_it_searches_the_roster() -> None:
    district = small_district()
    app = app_with(district)
    with pytest.raises(Forbidden):
        app.find_people(coach(district), "coach-0001", TODAY)


def test_a_forgotten_person_is_found_by_sourced_id_only_and_without_names() -> None:
    district = small_district()
    app = app_with(district)
    person = district.people["teacher-00002"]
    email = email_of(district, "teacher-00002")
    app.forget(roster_id("teacher-00002"), TODAY)
    [forgotten] = found(app, "teacher-00002")
    assert forgotten == {"person_id": str(roster_id("teacher-00002")),
                         "sourced_id": "teacher-00002", "given_name": "", "family_name": "",
                         "email": None, "forgotten": True, "matched": "sourced_id",
                         "roles": [], "assignments": []}
    assert found(app, email) == []
    assert str(roster_id("teacher-00002")) not in {
        p["person_id"] for p in found(app, f"{person.given_name} {person.family_name}")}
