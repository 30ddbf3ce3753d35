"""What the roster holds, listed through the gateway on the real platform: regions, schools
and people with their ids, sourcedIds, names and roles on a date, as each role sees them
(district IT and leaders everyone, a principal their school, a CLT representative their
region's coaches and principals, a coach or a teacher themselves), a teacher's schools
before and after a move, a forgotten person without a name, and every malformed request a
400 naming its field."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
import requests

from services.agreements.roster import region_id, roster_id
from services.agreements.roster_files import to_csv
from tests.support.auth import bearer
from tests.support.district import ORG_COLUMNS, USER_COLUMNS
from tests.support.platform import Platform
from tests.support.roster import FROM, import_files, it_admin_headers, person

MOVED_ON = FROM + timedelta(days=30)
ASSIGNMENT_COLUMNS = ("kind", "person_sourced_id", "school_sourced_id", "region_code",
                      "effective_on")


@dataclass
class Listed:
    """A district of the test's own: region ``r1`` (schools ``a`` and ``b``, represented by
    ``rep``) and ``r2`` (school ``c``); ``mover`` teaches at ``a`` until ``MOVED_ON``, then
    at ``b``; ``gone`` taught at ``a`` and is forgotten."""

    tag: str
    leader: str

    def sid(self, name: str) -> str:
        return f"ls-{self.tag}-{name}"

    def id(self, name: str) -> str:
        return str(roster_id(self.sid(name)))

    def region(self, name: str) -> str:
        return str(region_id(self.sid(name)))

    def as_(self, name: str, role: str) -> dict[str, str]:
        return bearer(self.id(name), role)


PEOPLE = {  # name: (OneRoster role, school before the move, school after)
    "pa": ("administrator", "a", "a"), "pb": ("administrator", "b", "b"),
    "pc": ("administrator", "c", "c"), "rep": ("administrator", "a", "a"),
    "coach": ("teacher", "a", "a"), "mover": ("teacher", "a", "b"),
    "stays": ("teacher", "a", "a"), "gone": ("teacher", "a", "a"),
    "other": ("teacher", "c", "c")}


def files(d: Listed, moved: bool) -> dict[str, str]:
    orgs = [{"sourcedId": d.sid("district"), "status": "active", "name": "Listing district",
             "type": "district"}]
    orgs += [{"sourcedId": d.sid(s), "status": "active", "name": f"School {s.upper()} {d.tag}",
              "type": "school", "parentSourcedId": d.sid("district")} for s in "abc"]
    users = [{"sourcedId": d.sid(name), "status": "active", "enabledUser": "true",
              "orgSourcedIds": d.sid(after if moved else before), "role": role,
              "givenName": name.capitalize(), "familyName": f"Listed {d.tag}"}
             for name, (role, before, after) in PEOPLE.items()]
    regions = [{"region_code": d.sid("r1"), "label": f"North {d.tag}",
                "clt_representative_sourced_id": d.sid("rep")},
               {"region_code": d.sid("r2"), "label": f"South {d.tag}",
                "clt_representative_sourced_id": ""}]

    def row(kind: str, who: str = "", school: str = "", region: str = "") -> dict[str, str]:
        return {"kind": kind, "person_sourced_id": who and d.sid(who),
                "school_sourced_id": school and d.sid(school),
                "region_code": region and d.sid(region), "effective_on": FROM.isoformat()}

    rows = [row("school_region", school=s, region=r) for s, r in (("a", "r1"), ("b", "r1"),
                                                                  ("c", "r2"))]
    rows += [row("principal", f"p{s}", s) for s in "abc"] + [row("coach", "coach", "a")]
    return {"orgs": to_csv(ORG_COLUMNS, orgs), "users": to_csv(USER_COLUMNS, users),
            "regions": to_csv(("region_code", "label", "clt_representative_sourced_id"),
                              regions),
            "assignments": to_csv(ASSIGNMENT_COLUMNS, rows)}


@pytest.fixture(scope="module")
def listed(platform: Platform) -> Listed:
    d = Listed(uuid.uuid4().hex[:8], person(platform, "district_leader"))
    import_files(platform, {**files(d, moved=False), "effective_on": FROM.isoformat()})
    import_files(platform, {**files(d, moved=True), "effective_on": MOVED_ON.isoformat()})
    forgotten = requests.post(f"{platform.url}/people/{d.id('gone')}/forget", timeout=60,
                              headers=it_admin_headers(platform))
    assert forgotten.status_code == 200, forgotten.text
    return d


def get(platform: Platform, path: str, headers: dict[str, str],
        **params: Any) -> requests.Response:
    return requests.get(f"{platform.url}{path}", params=params, headers=headers, timeout=30)


def ok(response: requests.Response) -> Any:
    assert response.status_code == 200, response.text
    return response.json()


def names(answer: dict[str, Any], d: Listed) -> set[str]:
    """The test's own people in a listing, by their short names."""
    prefix = d.sid("")
    return {p["sourced_id"][len(prefix):] for p in answer["people"]
            if str(p["sourced_id"]).startswith(prefix)}


def every_page(platform: Platform, headers: dict[str, str], **params: Any) -> dict[str, Any]:
    """All the pages of a listing, as one answer."""
    people: list[dict[str, Any]] = []
    page: int | None = 1
    while page is not None:
        answer = ok(get(platform, "/roster/people", headers, page=page, **params))
        people += answer["people"]
        page = answer["next_page"]
    return {"people": people}


def test_regions_and_schools_with_representative_region_and_principal_by_name(
        platform: Platform, listed: Listed) -> None:
    d = listed
    regions = {r["region_id"]: r for r in ok(get(platform, "/roster/regions",
                                                 d.as_("coach", "coach")))["regions"]}
    assert regions[d.region("r1")] == {
        "region_id": d.region("r1"), "code": d.sid("r1"), "name": f"North {d.tag}",
        "representative": {"person_id": d.id("rep"), "name": f"Rep Listed {d.tag}"}}
    assert regions[d.region("r2")]["representative"] is None
    schools = ok(get(platform, "/roster/schools", d.as_("pa", "principal"),
                     region_id=d.region("r1"), on=MOVED_ON.isoformat()))
    assert schools["on"] == MOVED_ON.isoformat()
    assert schools["schools"] == [
        {"school_id": d.id(s), "sourced_id": d.sid(s), "name": f"School {s.upper()} {d.tag}",
         "region": {"region_id": d.region("r1"), "name": f"North {d.tag}"},
         "principal": {"person_id": d.id(f"p{s}"), "name": f"P{s} Listed {d.tag}"}}
        for s in "ab"]
    before = ok(get(platform, "/roster/schools", bearer(d.leader, "district_leader"),
                    on=(FROM - timedelta(days=1)).isoformat()))
    [a] = [s for s in before["schools"] if s["school_id"] == d.id("a")]
    assert a["region"] is None and a["principal"] is None
    refused = get(platform, "/roster/schools", d.as_("stays", "teacher"))
    assert refused.status_code == 403 and refused.json()["field"] == "role"


def test_district_it_and_a_leader_see_everyone_a_page_at_a_time(
        platform: Platform, listed: Listed) -> None:
    d = listed
    held = {"pa", "pb", "pc", "rep", "coach", "mover", "stays", "other"}  # not "gone"
    for headers in (it_admin_headers(platform), bearer(d.leader, "district_leader")):
        assert names(every_page(platform, headers, limit=50), d) == held
    first = ok(get(platform, "/roster/people", it_admin_headers(platform), limit=2,
                   school_id=d.id("a")))
    assert len(first["people"]) == 2 and first["next_page"] == 2 and first["page"] == 1
    at_a = every_page(platform, it_admin_headers(platform), limit=2, school_id=d.id("a"))
    assert len(at_a["people"]) == first["total"]
    assert names(at_a, d) == {"pa", "coach", "stays"}  # today: the mover is at b
    coaches = ok(get(platform, "/roster/people", it_admin_headers(platform), role="coach",
                     region_id=d.region("r1")))
    assert names(coaches, d) == {"coach"}


def test_a_principal_sees_their_schools_people_on_each_date(
        platform: Platform, listed: Listed) -> None:
    d = listed
    pa = d.as_("pa", "principal")
    assert names(ok(get(platform, "/roster/people", pa, on=FROM.isoformat())), d) == {
        "pa", "coach", "mover", "stays"}
    assert names(ok(get(platform, "/roster/people", pa)), d) == {"pa", "coach", "stays"}
    for field, value in (("school_id", d.id("c")), ("region_id", d.region("r2"))):
        refused = get(platform, "/roster/people", pa, **{field: value})
        assert refused.status_code == 403, refused.text
        assert refused.json()["field"] == field
    other = get(platform, f"/roster/people/{d.id('other')}", pa)
    assert other.status_code == 403 and other.json()["field"] == "person_id"
    assert ok(get(platform, f"/roster/people/{d.id('stays')}", pa))["roles"] == ["teacher"]


def test_a_clt_representative_sees_their_regions_coaches_and_principals(
        platform: Platform, listed: Listed) -> None:
    d = listed
    rep = d.as_("rep", "clt_rep")
    assert names(ok(get(platform, "/roster/people", rep)), d) == {"pa", "pb", "coach", "rep"}
    teacher = get(platform, f"/roster/people/{d.id('stays')}", rep)
    assert teacher.status_code == 403 and teacher.json()["field"] == "person_id"
    south = get(platform, "/roster/people", rep, region_id=d.region("r2"))
    assert south.status_code == 403 and south.json()["field"] == "region_id"


@pytest.mark.parametrize(("name", "role"), [("coach", "coach"), ("stays", "teacher")])
def test_a_coach_or_a_teacher_sees_only_themselves(platform: Platform, listed: Listed,
                                                   name: str, role: str) -> None:
    d = listed
    me = d.as_(name, role)
    listing = get(platform, "/roster/people", me)
    assert listing.status_code == 403 and listing.json()["field"] == "role"
    own = ok(get(platform, f"/roster/people/{d.id(name)}", me))
    assert own["person_id"] == d.id(name) and own["sourced_id"] == d.sid(name)
    assert own["roles"] == [role]
    someone = get(platform, f"/roster/people/{d.id('pa')}", me)
    assert someone.status_code == 403 and someone.json()["field"] == "person_id"


def test_a_teacher_who_moved_is_at_each_school_on_its_dates(
        platform: Platform, listed: Listed) -> None:
    d = listed

    def at(on: date) -> list[dict[str, str]]:
        shown = ok(get(platform, f"/roster/people/{d.id('mover')}", it_admin_headers(platform),
                       on=on.isoformat()))
        assert shown["name"] == f"Mover Listed {d.tag}"
        assert shown["roles"] == (["teacher"] if shown["teacher_at"] else [])
        return list(shown["teacher_at"])

    assert at(FROM) == [{"school_id": d.id("a"), "name": f"School A {d.tag}"}]
    assert at(MOVED_ON - timedelta(days=1)) == at(FROM)
    assert at(MOVED_ON) == [{"school_id": d.id("b"), "name": f"School B {d.tag}"}]
    assert at(FROM - timedelta(days=1)) == []


def test_a_forgotten_person_shows_no_name_and_is_in_no_listing(
        platform: Platform, listed: Listed) -> None:
    d = listed
    for on in (FROM, MOVED_ON):
        shown = ok(get(platform, f"/roster/people/{d.id('gone')}", it_admin_headers(platform),
                       on=on.isoformat()))
        assert shown["forgotten"] is True and shown["roles"] == []
        assert shown["name"] is None and shown["given_name"] is None
        assert shown["family_name"] is None and shown["sourced_id"] == d.sid("gone")
        listing = ok(get(platform, "/roster/people", it_admin_headers(platform),
                         school_id=d.id("a"), on=on.isoformat(), limit=500))
        assert d.id("gone") not in {p["person_id"] for p in listing["people"]}
        assert "Gone" not in str(listing)


@pytest.mark.parametrize(("path", "params", "field"), [
    ("/roster/people", {"on": "2026-02-30"}, "on"),
    ("/roster/people", {"on": "yesterday"}, "on"),
    ("/roster/schools", {"on": "9999-01-01"}, "on"),
    ("/roster/people", {"school_id": "not-a-uuid"}, "school_id"),
    ("/roster/schools", {"region_id": "12"}, "region_id"),
    ("/roster/people", {"role": "janitor"}, "role"),
    ("/roster/people", {"limit": "0"}, "limit"),
    ("/roster/people", {"page": "-1"}, "page"),
    ("/roster/people", {"sort": "name"}, "sort"),
    ("/roster/people/not-a-uuid", {}, "person_id"),
    ("/roster/regions", {"on": ""}, "on"),
])
def test_a_malformed_request_is_a_400_naming_its_field(
        platform: Platform, listed: Listed, path: str, params: dict[str, str],
        field: str) -> None:
    refused = get(platform, path, it_admin_headers(platform), **params)
    assert refused.status_code == 400, refused.text
    assert [f["field"] for f in refused.json()["fields"]] == [field]


def test_nobody_on_the_roster_is_a_404_and_an_unknown_place_too(
        platform: Platform, listed: Listed) -> None:
    headers = it_admin_headers(platform)
    for path, params, field in ((f"/roster/people/{uuid.uuid4()}", {}, "person_id"),
                                ("/roster/people", {"school_id": str(uuid.uuid4())},
                                 "school_id"),
                                ("/roster/schools", {"region_id": str(uuid.uuid4())},
                                 "region_id")):
        missing = get(platform, path, headers, **params)
        assert missing.status_code == 404, missing.text
        assert missing.json()["field"] == field
