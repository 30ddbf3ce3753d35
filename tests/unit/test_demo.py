"""The demo district looks like a real one: no two schools called alike, goals that vary, and
each sign-in says who the person is and what they can do."""

from __future__ import annotations

from coachops.identity import Role
from deploy.demo import signing_in
from deploy.demo_district import FOCUS_AREAS, FULL, GOALS, District


def test_every_school_of_the_full_demo_has_a_name_of_its_own() -> None:
    district = District.of(FULL, 2026)
    labels = [district.school_label(s) for s in district.schools]
    assert len(set(labels)) == len(labels) == 24
    assert len({label.rsplit(" ", 2)[0] for label in labels}) == 24


def test_each_sign_in_names_the_person_and_what_their_role_does() -> None:
    district = District.of(FULL, 2026)
    people = signing_in(district)
    assert set(people) == set(Role) - {Role.TEACHER}
    coach, what = people[Role.COACH]
    assert what.startswith("coach at " + district.school_label(district.schools[0]))
    # The CLT elects one of its coaches: the same person signs in as either.
    assert people[Role.CLT_REP][0] == coach
    assert len({district.name_of(p) for p, _ in people.values()}) == len(people) - 1


def test_goals_vary_within_each_focus_area() -> None:
    assert set(GOALS) == set(FOCUS_AREAS)
    assert all(len({what for what, _ in goals}) >= 2 for goals in GOALS.values())
