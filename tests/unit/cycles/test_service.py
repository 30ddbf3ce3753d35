"""The cycles entrypoints only translate: each loads its command, calls the application
once and answers JSON (nameko's worker_factory, the application a mock)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

import pytest
from nameko.testing.services import worker_factory

from coachops.errors import Invalid
from coachops.identity import Actor, Role
from coachops.unit_of_work import Answer
from services.cycles.domain import Goal
from services.cycles.service import CyclesService, instant
from tests.support.settings import configure
from tests.unit.cycles.helpers import active

COACH = str(uuid.uuid4())
AS_COACH = {"id": COACH, "role": "coach"}
CYCLE = str(uuid.uuid4())
ITEM = str(uuid.uuid4())


def start_command(**changes: object) -> dict[str, object]:
    return {
        "coach_id": COACH, "teacher_ids": [str(uuid.uuid4())], "school_id": str(uuid.uuid4()),
        "focus_area_ids": ["2b"], "goal": {"what": "w", "measure": "m", "by": "2026-12-01"},
        **changes,
    }


def test_start_cycle_loads_the_command_and_answers_where_the_cycle_stands() -> None:
    service = worker_factory(CyclesService)
    cycle = active()
    service.cycles.start_cycle.return_value = Answer(cycle)
    result = service.start_cycle(AS_COACH, start_command())
    assert result == {"cycle_id": str(cycle.id), "status": "active", "phase": "plan",
                      "next_steps": {"complete": 0, "total": 0,
                                     "label": "0/0 next steps complete"}}
    kwargs = service.cycles.start_cycle.call_args.kwargs
    assert kwargs["actor"] == Actor(uuid.UUID(COACH), Role.COACH)
    assert kwargs["goal"] == Goal("w", "m", date(2026, 12, 1))


def test_a_bad_command_is_invalid_naming_the_field() -> None:
    service = worker_factory(CyclesService)
    with pytest.raises(Invalid) as error:
        service.start_cycle(AS_COACH, start_command(school_id="x"))
    assert error.value.field == "school_id"
    service.cycles.start_cycle.assert_not_called()


def test_a_time_without_a_zone_is_the_district_s(monkeypatch: pytest.MonkeyPatch) -> None:
    configure(monkeypatch, DISTRICT_TIMEZONE="America/Los_Angeles")
    assert instant(datetime(2026, 11, 3, 9, 30)) == datetime(2026, 11, 3, 17, 30, tzinfo=UTC)
    assert instant(datetime(2026, 7, 3, 9, 30)) == datetime(2026, 7, 3, 16, 30, tzinfo=UTC)
    given = datetime(2026, 11, 3, 9, 30, tzinfo=UTC)
    assert instant(given) == given


# (entrypoint, command, application method, what it returns, the id the answer names)
CALLS: list[tuple[str, dict[str, Any], str, str | None]] = [
    ("accept_cycle", {}, "accept", None),
    ("decline_cycle", {}, "decline", None),
    ("agree_norms", {"norms": ["debrief within 24 hours"]}, "agree_norms", None),
    ("schedule_item", {"kind": "observation", "starts_at": "2026-11-05T09:30",
                       "minutes": 45}, "schedule", "item_id"),
    ("reschedule_item", {"item_id": ITEM, "starts_at": "2026-11-06T09:30"}, "reschedule",
     None),
    ("cancel_item", {"item_id": ITEM}, "cancel", None),
    ("mark_item_done", {"item_id": ITEM}, "mark_done", None),
    ("log_observation", {"observed_on": "2026-11-04", "minutes": 45, "tool": "talk_time",
                         "data": [{"look_for": "teacher talk", "seconds": 600}]},
     "log_observation", "observation_id"),
    ("hold_debrief", {"held_on": "2026-11-04", "minutes": 30, "evidence": "e",
                      "progress": {"rating": 3, "text": "t"}}, "hold_debrief", "debrief_id"),
    ("add_next_step", {"text": "t", "owner_id": COACH, "due_on": "2026-11-06"},
     "add_next_step", "step_id"),
    ("complete_next_step", {"step_id": ITEM}, "complete_step", None),
    ("drop_next_step", {"step_id": ITEM}, "drop_step", None),
    ("move_phase_back", {}, "move_back", None),
    ("revise_goal", {"goal": {"what": "w", "measure": "m", "by": "2026-12-01"}},
     "revise_goal", None),
    ("close_cycle", {"outcome": "met", "evidence": "e"}, "close_cycle", None),
    ("reopen_cycle", {}, "reopen_cycle", None),
]


@pytest.mark.parametrize(("entrypoint", "command", "method", "new_id"), CALLS,
                         ids=[c[0] for c in CALLS])
def test_each_command_calls_the_application_once_and_answers_the_cycle_s_status(
    entrypoint: str, command: dict[str, Any], method: str, new_id: str | None
) -> None:
    service = worker_factory(CyclesService)
    cycle, created = active(), uuid.uuid4()
    answer = (cycle, created) if new_id else cycle
    # every command an app may queue: each answers whether it was sent again
    getattr(service.cycles, method).return_value = Answer(answer)
    result = getattr(service, entrypoint)(AS_COACH, {"cycle_id": CYCLE, **command})
    assert (result["cycle_id"], result["status"]) == (str(cycle.id), "active")
    if new_id:
        assert result[new_id] == str(created)
    call = getattr(service.cycles, method).call_args
    assert call.args[0] == Actor(uuid.UUID(COACH), Role.COACH)
    assert uuid.UUID(CYCLE) in call.args


@pytest.mark.parametrize(("entrypoint", "command", "method", "new_id"), CALLS,
                         ids=[c[0] for c in CALLS])
def test_each_command_refuses_a_bad_cycle_id_before_calling_anything(
    entrypoint: str, command: dict[str, Any], method: str, new_id: str | None
) -> None:
    service = worker_factory(CyclesService)
    with pytest.raises(Invalid) as error:
        getattr(service, entrypoint)(AS_COACH, {**command, "cycle_id": "nope"})
    assert error.value.field == "cycle_id"
    getattr(service.cycles, method).assert_not_called()


def test_a_scheduled_time_reaches_the_application_as_an_instant() -> None:
    service = worker_factory(CyclesService)
    service.cycles.schedule.return_value = Answer((active(), uuid.uuid4()))
    service.schedule_item(AS_COACH, {"cycle_id": CYCLE, "kind": "walkthrough",
                                     "starts_at": "2026-11-05T09:30:00+00:00", "minutes": 20})
    assert service.cycles.schedule.call_args.kwargs["starts_at"] == datetime(
        2026, 11, 5, 9, 30, tzinfo=UTC)


def test_a_debrief_s_progress_reaches_the_application_as_rating_and_text() -> None:
    service = worker_factory(CyclesService)
    service.cycles.hold_debrief.return_value = Answer((active(), uuid.uuid4()))
    service.hold_debrief(AS_COACH, {"cycle_id": CYCLE, "held_on": "2026-11-04", "minutes": 30,
                                    "evidence": "e", "progress": {"rating": 4, "text": "t"}})
    kwargs = service.cycles.hold_debrief.call_args.kwargs
    assert (kwargs["progress_rating"], kwargs["progress_text"]) == (4, "t")
    assert kwargs["observation_ids"] == [] and kwargs["calendar_item_id"] is None
