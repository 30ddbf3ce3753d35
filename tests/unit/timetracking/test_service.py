"""The time-tracking entrypoints only translate: checked with nameko's worker_factory."""

from __future__ import annotations

import uuid
from datetime import date, time

import pytest
from nameko.testing.services import worker_factory

from coachops import clock, settings
from coachops.errors import Invalid
from coachops.identity import Actor, Role
from coachops.unit_of_work import Answer
from services.timetracking.domain import CategoryList, CoachDay, EntryValues
from services.timetracking.service import TimeTrackingService
from tests.unit.timetracking.helpers import AS_COACH, COACH, MONDAY, SCHOOL, TODAY, values

ACTOR = {"id": str(COACH), "role": "coach"}


def record_command(**changes: object) -> dict[str, object]:
    return {"coach_id": str(COACH), "school_id": str(SCHOOL), "worked_on": "2026-10-05",
            "start": "09:00", "end": "10:30", "category_id": "co-planning", **changes}


def test_record_loads_the_command_and_calls_the_application() -> None:
    service = worker_factory(TimeTrackingService)
    entry_id = uuid.uuid4()
    service.timetracking.record_entry.return_value = Answer(entry_id)
    assert service.record_time_entry(ACTOR, record_command(note="mine")) == {
        "entry_id": str(entry_id)}
    kwargs = service.timetracking.record_entry.call_args.kwargs
    assert kwargs["actor"] == Actor(COACH, Role.COACH)
    assert kwargs["coach_id"] == COACH
    assert kwargs["values"] == EntryValues.of(
        school_id=SCHOOL, worked_on=MONDAY, category_id="co-planning", start=time(9),
        end=time(10, 30), note="mine")
    assert kwargs["today"] == clock.today()
    assert kwargs["entry_id"] is None


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"school_id": "x"}, "school_id"),
        ({"start": "9am"}, "start"),
        ({"start": "09:00:30"}, "start"),
        ({"minutes": 30}, "minutes"),
        ({"start": None, "end": None}, "minutes"),
        ({"end": None}, "end"),
        ({"minutes": "30", "start": None, "end": None}, "minutes"),
        ({"worked_on": "yesterday"}, "worked_on"),
        ({"note": "x" * 2001}, "note"),
        ({"private": True}, "private"),
    ],
)
def test_a_bad_command_is_invalid_naming_the_field(changes: dict[str, object],
                                                   field: str) -> None:
    service = worker_factory(TimeTrackingService)
    with pytest.raises(Invalid) as error:
        service.record_time_entry(ACTOR, record_command(**changes))
    assert error.value.field == field
    service.timetracking.record_entry.assert_not_called()


def test_a_domain_rule_surfaces_from_the_entrypoint() -> None:
    service = worker_factory(TimeTrackingService)
    with pytest.raises(Invalid) as error:
        service.record_time_entry(ACTOR, record_command(start="11:00", end="10:00"))
    assert error.value.field == "end"


def test_a_correction_passes_only_the_values_given() -> None:
    service = worker_factory(TimeTrackingService)
    entry_id = str(uuid.uuid4())
    result = service.correct_time_entry(ACTOR, {"entry_id": entry_id, "reason": "typo",
                                                "end": "11:00", "cycle_id": None})
    assert result == {"entry_id": entry_id}
    kwargs = service.timetracking.correct_entry.call_args.kwargs
    assert kwargs["changes"] == {"end": time(11), "cycle_id": None}
    assert kwargs["reason"] == "typo"


def test_a_correction_must_change_something() -> None:
    service = worker_factory(TimeTrackingService)
    with pytest.raises(Invalid, match="at least one new value"):
        service.correct_time_entry(ACTOR, {"entry_id": str(uuid.uuid4()), "reason": "x"})


def test_void_and_import() -> None:
    service = worker_factory(TimeTrackingService)
    entry_id = str(uuid.uuid4())
    assert service.void_time_entry(ACTOR, {"entry_id": entry_id, "reason": "twice"}) == {
        "entry_id": entry_id}
    ids = [uuid.uuid4(), uuid.uuid4()]
    service.timetracking.import_entries.return_value = ids
    result = service.import_time_entries(ACTOR, {"coach_id": str(COACH), "csv": "date\n"})
    assert result == {"imported": 2, "entry_ids": [str(i) for i in ids]}
    assert service.timetracking.import_entries.call_args.kwargs["school_id"] is None
    with pytest.raises(Invalid) as error:
        service.import_time_entries(ACTOR, {"coach_id": str(COACH), "csv": ""})
    assert error.value.field == "csv"


def test_the_day_view_has_entries_totals_and_the_share() -> None:
    service = worker_factory(TimeTrackingService)
    categories = CategoryList.seeded()
    day = CoachDay(coach_id=COACH, worked_on=MONDAY)
    first = uuid.uuid4()
    day.record(AS_COACH, first, values("08:00", "09:00", category_id="covering-classes",
                                       note="mine"), categories, TODAY)
    day.record(AS_COACH, uuid.uuid4(), values("09:00", "12:00"), categories, TODAY)
    service.timetracking.coach_day.return_value = day
    service.timetracking.category_list.return_value = categories
    view = service.coach_day(ACTOR, {"coach_id": str(COACH), "date": "2026-10-05"})
    assert service.timetracking.coach_day.call_args.args == (AS_COACH, COACH, MONDAY)
    assert [(e["start"], e["end"], e["category_label"]) for e in view["entries"]] == [
        ("08:00", "09:00", "Covering classes"), ("09:00", "12:00", "Co-planning")]
    assert view["entries"][0]["note"] == "mine"
    assert view["totals"] == {
        "by_category": [
            {"category_id": "co-planning", "label": "Co-planning", "kind": "coaching",
             "retired": False, "minutes": 180},
            {"category_id": "covering-classes", "label": "Covering classes", "kind": "other",
             "retired": False, "minutes": 60},
        ],
        "coaching_minutes": 180, "other_minutes": 60, "total_minutes": 240,
        "coaching_share": 0.75,
    }


def test_the_week_view_totals_each_day_and_the_week() -> None:
    service = worker_factory(TimeTrackingService)
    categories = CategoryList.seeded()
    days = [CoachDay(coach_id=COACH, worked_on=date(2026, 10, 5 + n)) for n in range(7)]
    days[0].record(AS_COACH, uuid.uuid4(), values(), categories, TODAY)
    service.timetracking.coach_week.return_value = days
    service.timetracking.category_list.return_value = categories
    view = service.coach_week(ACTOR, {"coach_id": str(COACH), "date": "2026-10-08"})
    assert (view["week_start"], view["week_end"]) == ("2026-10-05", "2026-10-11")
    assert [d["totals"]["total_minutes"] for d in view["days"]] == [60, 0, 0, 0, 0, 0, 0]
    assert view["days"][1]["totals"]["coaching_share"] is None
    assert view["totals"]["coaching_share"] == 1.0
    assert view["target_share"] == settings.current().coaching_share_target  # the district's


def test_the_week_carries_the_districts_target(monkeypatch: pytest.MonkeyPatch) -> None:
    service = worker_factory(TimeTrackingService)
    service.timetracking.coach_week.return_value = [
        CoachDay(coach_id=COACH, worked_on=date(2026, 10, 5 + n)) for n in range(7)]
    service.timetracking.category_list.return_value = CategoryList.seeded()
    monkeypatch.setenv("COACHING_SHARE_TARGET", "0.3")
    settings.reload()
    try:
        view = service.coach_week(ACTOR, {"coach_id": str(COACH), "date": "2026-10-08"})
    finally:
        monkeypatch.delenv("COACHING_SHARE_TARGET")
        settings.reload()
    assert view["target_share"] == 0.3


def test_the_category_list_leaves_out_retired_ones_unless_asked() -> None:
    service = worker_factory(TimeTrackingService)
    categories = CategoryList.seeded()
    categories.retire(Actor(uuid.uuid4(), Role.IT_ADMIN), "duties")
    service.timetracking.category_list.return_value = categories
    active = service.categories(ACTOR, {})["categories"]
    assert len(active) == 11 and "duties" not in {c["category_id"] for c in active}
    every = service.categories(ACTOR, {"include_retired": True})["categories"]
    assert {"category_id": "duties", "label": "Duties (bus, lunch, recess)", "kind": "other",
            "retired": True} in every


def test_category_commands_are_loaded_and_passed_on() -> None:
    service = worker_factory(TimeTrackingService)
    leader = {"id": str(uuid.uuid4()), "role": "district_leader"}
    with pytest.raises(Invalid) as error:
        service.add_category(leader, {"label": "Recess", "kind": "sometimes"})
    assert error.value.field == "kind"
    categories = CategoryList.seeded()
    service.timetracking.add_category.return_value = categories.get("duties")
    assert service.add_category(leader, {"label": "Duties", "kind": "other"})["kind"] == "other"
    assert service.timetracking.add_category.call_args.kwargs["category_id"] is None
