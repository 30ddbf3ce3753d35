"""The roles the roster gives a person on a day (what the gateway checks every token
against), district IT's roster kind, and what an import may end."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID, uuid4

from coachops.identity import Role
from services.agreements.app import Agreements
from services.agreements.roster import District as DistrictOffice
from services.agreements.roster import roster_id
from tests.support.district import District
from tests.unit.agreements.helpers import IT, START, TODAY, app_with, small_district


def roles(app: Agreements, sourced_or_id: str | UUID, day=TODAY) -> set[Role]:  # type: ignore[no-untyped-def]
    person = sourced_or_id if isinstance(sourced_or_id, UUID) else roster_id(sourced_or_id)
    return set(app.roles_on(person, day))


def test_each_person_holds_the_roles_the_roster_gives_them_that_day() -> None:
    district = small_district()
    app = app_with(district)
    rep = district.representatives["clt-1"]
    assert roles(app, "coach-0001") == {Role.COACH}
    assert roles(app, "teacher-00001") == {Role.TEACHER}
    assert roles(app, "principal-0003") == {Role.PRINCIPAL}
    assert roles(app, rep) == {Role.PRINCIPAL, Role.CLT_REP}
    assert roles(app, "leader-0001") == {Role.DISTRICT_LEADER}
    assert roles(app, "coach-0001", START - timedelta(days=1)) == set()  # before the roster
    assert roles(app, uuid4()) == set()  # nobody
    assert roles(app, IT.id) == set()  # not appointed yet


def test_district_it_is_appointed_first_then_named_in_the_assignments_file() -> None:
    district = small_district()
    app = app_with(district)
    assert app.appoint_it_admin(IT.id, START) is True
    assert app.appoint_it_admin(IT.id, START) is False  # once
    assert roles(app, IT.id) == {Role.IT_ADMIN}
    district.history.append(("it_admin", "principal-0003", "", "", START))
    app.import_roster(IT, district.files(), TODAY)
    assert roles(app, "principal-0003") == {Role.PRINCIPAL, Role.IT_ADMIN}
    # The next export lists them without that row: their district IT role ends. The first
    # administrator, whom no users.csv names, keeps theirs.
    district.history.pop()
    app.import_roster(IT, district.files(), TODAY + timedelta(days=1))
    assert roles(app, "principal-0003", TODAY + timedelta(days=1)) == {Role.PRINCIPAL}
    assert roles(app, IT.id, TODAY + timedelta(days=1)) == {Role.IT_ADMIN}


def test_an_import_ends_district_roles_only_of_the_people_it_lists() -> None:
    district = small_district()
    app = app_with(district)
    other = District.generate(schools=1, regions=1, coaches=1, teachers=2, leaders=1,
                              prefix="other-")
    app.import_roster(IT, other.files(), TODAY)
    after = TODAY + timedelta(days=1)
    assert roles(app, "leader-0001", after) == {Role.DISTRICT_LEADER}  # not in that export
    assert roles(app, "other-leader-0001", after) == {Role.DISTRICT_LEADER}
    district.leaders.remove("leader-0002")  # still in users.csv, no longer a leader
    app.import_roster(IT, district.files(), after)
    assert roles(app, "leader-0002", after) == set()
    assert roles(app, "other-leader-0001", after) == {Role.DISTRICT_LEADER}


def test_a_forgotten_person_holds_no_role() -> None:
    district = small_district()
    app = app_with(district)
    assert roles(app, "teacher-00001") == {Role.TEACHER}
    app.forget_person(IT, roster_id("teacher-00001"), TODAY)
    assert roles(app, "teacher-00001") == set()


def test_the_index_is_the_districts_roster_in_the_store() -> None:
    district = small_district()
    app = app_with(district)
    app.roles_on(roster_id("coach-0001"), TODAY)  # built once...
    district.coaching["coach-0001"] = []  # ...and brought up to date by a later import
    app.import_roster(IT, district.files(), TODAY)
    assert roles(app, "coach-0001", TODAY) == {Role.TEACHER}  # teaching again, not coaching
    assert roles(app, "coach-0001", TODAY - timedelta(days=1)) == {Role.COACH}
    assert isinstance(app.repository.get(DistrictOffice.create_id()), DistrictOffice)


def test_whose_roles_changed_names_each_person_an_import_changed_after_a_position() -> None:
    """What the gateway asks to forget what it kept (gateway.roster_roles): everyone the
    roster's events after a position may give or take a role from, and no one else."""
    district = small_district()
    app = app_with(district)
    position, nobody = app.roles_changed_since(None)  # a gateway that keeps nothing yet
    assert nobody == set()
    assert app.roles_changed_since(position) == (position, set())
    school, leaving = next((s, p) for s, p in district.principals.items()
                           if p not in district.representatives.values())
    arriving = next(p for s, p in district.principals.items() if s != school)
    district.principals[school] = arriving  # heads two schools from today
    district.coaching["coach-0001"] = []  # back to teaching
    app.import_roster(IT, district.files(), TODAY)
    after, changed = app.roles_changed_since(position)
    assert after > position
    assert changed == {roster_id(leaving), roster_id(arriving), roster_id("coach-0001")}
    assert roles(app, leaving) == set()
    assert app.roles_changed_since(after) == (after, set())
    app.forget_person(IT, roster_id("teacher-00001"), TODAY)
    assert app.roles_changed_since(after)[1] == {roster_id("teacher-00001")}
