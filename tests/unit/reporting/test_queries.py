"""Report queries: periods, scopes, who may see what, and CSV."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any
from unittest import mock

import pytest

from coachops.commands import load
from coachops.commands.reporting import ReportQuery
from coachops.errors import Forbidden, Invalid
from coachops.identity import Actor, Role
from gateway.routes.reporting import to_csv
from services.reporting import periods, scope


@pytest.mark.parametrize("query, field", [
    ({"month": "2025-13"}, "month"),
    ({"from_date": "2025-09-01"}, "to_date"),
    ({"to_date": "2025-09-01"}, "from_date"),
    ({"from_date": "2025-09-02", "to_date": "2025-09-01"}, "to_date"),
    ({"school_year": 2025, "month": "2025-09"}, "month"),
    ({"region_id": str(uuid.uuid4()), "school_id": str(uuid.uuid4())}, "school_id"),
    ({"target_share": 1.5}, "target_share"),
    ({"notes": "x"}, "notes"),
])
def test_a_bad_query_is_invalid_naming_the_field(query: dict[str, Any], field: str) -> None:
    with pytest.raises(Invalid) as error:
        load(ReportQuery, query)
    assert error.value.field == field


def test_the_period_is_a_school_year_a_month_or_a_range() -> None:
    today = date(2025, 11, 22)
    assert periods.period({}, today) == (date(2025, 8, 1), date(2026, 7, 31))
    assert periods.period({"school_year": 2024}, today) == (date(2024, 8, 1), date(2025, 7, 31))
    assert periods.period({"month": "2025-12"}, today) == (date(2025, 12, 1), date(2025, 12, 31))
    assert periods.period({"month": "2026-02"}, today) == (date(2026, 2, 1), date(2026, 2, 28))
    assert periods.period({"from_date": date(2025, 9, 3), "to_date": date(2025, 9, 9)},
                          today) == (date(2025, 9, 3), date(2025, 9, 9))


REGION, OTHER_REGION, SCHOOL = (str(uuid.uuid4()) for _ in range(3))


def scope_of(role: Role, query: dict[str, Any], view: str = "time_use",
             person: uuid.UUID | None = None) -> dict[str, Any]:
    actor = Actor(person or uuid.uuid4(), role)
    with mock.patch.object(scope, "region_represented_by", return_value=[REGION]), \
            mock.patch.object(scope, "schools_led_by", return_value=[SCHOOL]):
        return scope.authorised_scope(mock.Mock(), actor, query, view)


def test_a_leader_sees_any_scope() -> None:
    assert scope_of(Role.DISTRICT_LEADER, {"region_id": OTHER_REGION}) == \
        {"region_id": OTHER_REGION}
    assert scope_of(Role.DISTRICT_LEADER, {}) == {}


def test_a_clt_rep_sees_their_region_and_the_council() -> None:
    assert scope_of(Role.CLT_REP, {}) == {"region_id": uuid.UUID(REGION)}
    with pytest.raises(Forbidden) as error:
        scope_of(Role.CLT_REP, {"region_id": OTHER_REGION})
    assert error.value.field == "region_id"
    with pytest.raises(Forbidden) as error:
        scope_of(Role.CLT_REP, {"school_id": SCHOOL})
    assert error.value.field == "school_id"
    assert scope_of(Role.CLT_REP, {}, view="council") == {}


def test_a_principal_sees_their_school_a_coach_their_own_time_others_nothing() -> None:
    assert scope_of(Role.PRINCIPAL, {}) == {"school_id": uuid.UUID(SCHOOL)}
    with pytest.raises(Forbidden):
        scope_of(Role.PRINCIPAL, {}, view="council")
    coach = uuid.uuid4()
    assert scope_of(Role.COACH, {}, person=coach) == {"coach_id": coach}
    with pytest.raises(Forbidden) as error:
        scope_of(Role.COACH, {"coach_id": str(uuid.uuid4())}, person=coach)
    assert error.value.field == "coach_id"
    with pytest.raises(Forbidden):
        scope_of(Role.COACH, {}, view="cycle_activity", person=coach)
    for role in (Role.TEACHER, Role.IT_ADMIN):
        with pytest.raises(Forbidden):
            scope_of(role, {})


def test_csv_flattens_cells_and_says_suppressed_never_zero() -> None:
    text = to_csv([
        {"level": "district", "key": "district", "teachers_coached": 5,
         "active_by_phase": {"act": 1, "plan": 2}, "next_step_completion": None},
        {"level": "school", "key": "s2", "suppressed": True},
        {"level": "region", "key": "r1", "cycles": {"suppressed": True}, "coaching_minutes": 0},
    ])
    assert text.split("\n") == [
        "level,key,teachers_coached,active_by_phase.act,active_by_phase.plan,"
        "next_step_completion,coaching_minutes,cycles",
        "district,district,5,1,2,,,",
        "school,s2,suppressed,suppressed,suppressed,suppressed,suppressed,suppressed",
        "region,r1,,,,,0,suppressed",
        "",
    ]
