"""Partnership agreements: a coach drafts the norms with a teacher on the roster, the
teacher agrees, and nobody else may see them."""

from __future__ import annotations

import pytest

from coachops.errors import Forbidden, Invalid
from coachops.identity import Actor, Role
from services.agreements.domain import Norms
from services.agreements.roster import roster_id
from tests.unit.agreements.helpers import IT, TODAY, app_with, coach, principal, small_district

TEACHER = Actor(roster_id("teacher-00001"), Role.TEACHER)


def norms(**changes: object) -> Norms:
    values: dict[str, object] = {"debrief_within_hours": 24,
                                 "entering_the_room": "Quietly, after the warm-up",
                                 "interacts_with_students": True,
                                 "what_to_observe": "Student discourse", **changes}
    return Norms.of(**values)


def test_the_teacher_agrees_and_only_the_pair_reads() -> None:
    district = small_district()
    app = app_with(district)
    drafted = app.draft_partnership_agreement(coach(district), TEACHER.id, norms(), TODAY).result
    with pytest.raises(Forbidden):
        app.agree_partnership_agreement(coach(district), drafted.id, TODAY)
    agreed = app.agree_partnership_agreement(TEACHER, drafted.id, TODAY).result
    assert agreed.agreed_on == TODAY
    again = app.agree_partnership_agreement(TEACHER, drafted.id, TODAY).result
    assert again.version == agreed.version
    for stranger in (principal(district, "school-0001"), coach(district, 1), IT,
                     Actor(roster_id("teacher-00002"), Role.TEACHER)):
        with pytest.raises(Forbidden):
            app.partnership_agreement(stranger, drafted.id)
    assert app.partnership_agreement(coach(district), drafted.id).norms == norms()


def test_a_partnership_needs_a_coach_and_a_teacher_on_the_roster() -> None:
    district = small_district()
    app = app_with(district)
    with pytest.raises(Forbidden):
        app.draft_partnership_agreement(TEACHER, TEACHER.id, norms(), TODAY)
    with pytest.raises(Invalid):  # a principal is not a teacher
        app.draft_partnership_agreement(coach(district), roster_id("principal-0001"), norms(),
                                        TODAY)
    with pytest.raises(Invalid):  # a teacher of a school this coach is not assigned to
        app.draft_partnership_agreement(coach(district), roster_id("teacher-00002"), norms(),
                                        TODAY)
    with pytest.raises(Invalid):
        norms(debrief_within_hours=0)
