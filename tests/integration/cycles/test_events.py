"""Each command records its events in the cycles store and publishes its integration
events to RabbitMQ, read here off the real broker: the contracts, decoded, in order,
with ids, phases, dates and counts, and never the goal, notes, data or any content."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest

from coachops import clock
from tests.support.bus import Published, listening
from tests.support.platform import Platform

from .client import Coach, local, today

SECRET = "SECRET-4c1e"  # in every piece of content sent


@pytest.fixture
def bus(platform: Platform) -> Iterator[Published]:
    with listening("cycles") as published:
        yield published


def secret(text: str) -> str:
    return f"{text} {SECRET}"


Step = tuple[str, Callable[[Coach, dict[str, str]], Any], list[str], list[str]]


def steps() -> list[Step]:
    """(what, the command, events it records, integration events it publishes)."""
    tomorrow = local(clock.now() + timedelta(days=1))
    goal = {"what": secret("every student explains"), "measure": secret("tally"),
            "by": (today() + timedelta(days=30)).isoformat()}

    def created(key: str, response: Any, ids: dict[str, str]) -> None:
        assert response.status_code in (200, 201), response.text
        ids[key] = response.json()[key]

    return [
        ("accept", lambda c, ids: c.teacher.accept(ids["cycle_id"]),
         ["accepted", "started"], ["CycleStarted"]),
        ("norms", lambda c, ids: c.put(f"/cycles/{ids['cycle_id']}/norms",
                                       {"norms": [secret("debrief in 24h"), secret("no")]}),
         ["norms_agreed"], ["PartnershipNormsAgreed"]),
        ("schedule", lambda c, ids: created("item_id", c.post(
            f"/cycles/{ids['cycle_id']}/calendar",
            {"kind": "co_teach", "starts_at": tomorrow, "minutes": 50}), ids),
         ["item_scheduled"], ["CalendarItemScheduled"]),
        ("reschedule", lambda c, ids: c.post(
            f"/cycles/{ids['cycle_id']}/calendar/{ids['item_id']}/reschedule",
            {"starts_at": tomorrow, "minutes": 55}),
         ["item_rescheduled"], ["CalendarItemRescheduled"]),
        ("cancel", lambda c, ids: c.post(
            f"/cycles/{ids['cycle_id']}/calendar/{ids['item_id']}/cancel"),
         ["item_cancelled"], ["CalendarItemCancelled"]),
        ("schedule a walkthrough that began", lambda c, ids: created("item_id", c.post(
            f"/cycles/{ids['cycle_id']}/calendar",
            {"kind": "walkthrough", "minutes": 15,
             "starts_at": local(clock.now() - timedelta(hours=1))}), ids),
         ["item_scheduled"], ["CalendarItemScheduled"]),
        ("mark done", lambda c, ids: c.post(
            f"/cycles/{ids['cycle_id']}/calendar/{ids['item_id']}/done"),
         ["item_done"], ["CalendarItemDone"]),
        ("observe", lambda c, ids: created("observation_id", c.post(
            f"/cycles/{ids['cycle_id']}/observations",
            c.observation(notes=secret("Ms. Rivera's class"),
                          data=[{"look_for": secret("wait"), "count": 3}])), ids),
         ["observation_logged", "phase_changed"], ["ObservationLogged", "CyclePhaseChanged"]),
        ("debrief", lambda c, ids: c.post(
            f"/cycles/{ids['cycle_id']}/debriefs",
            c.debrief(evidence=secret("3 waits"), keepers=[secret("k")],
                      polishers=[secret("p1"), secret("p2")],
                      progress={"rating": 2, "text": secret("early")},
                      observation_ids=[ids["observation_id"]])),
         ["debrief_held", "phase_changed"], ["DebriefHeld", "CyclePhaseChanged"]),
        ("add a step", lambda c, ids: created("step_id", c.post(
            f"/cycles/{ids['cycle_id']}/next-steps", c.step(text=secret("film"))), ids),
         ["next_step_added"], ["NextStepAdded"]),
        ("the teacher completes it", lambda c, ids: c.teacher.post(
            f"/cycles/{ids['cycle_id']}/next-steps/{ids['step_id']}/complete"),
         ["next_step_completed"], ["NextStepCompleted"]),
        ("add another", lambda c, ids: created("step_id", c.post(
            f"/cycles/{ids['cycle_id']}/next-steps", c.step(text=secret("read"))), ids),
         ["next_step_added"], ["NextStepAdded"]),
        ("drop it", lambda c, ids: c.post(
            f"/cycles/{ids['cycle_id']}/next-steps/{ids['step_id']}/drop"),
         ["next_step_dropped"], ["NextStepDropped"]),
        ("move back", lambda c, ids: c.post(f"/cycles/{ids['cycle_id']}/phase/back"),
         ["phase_changed"], ["CyclePhaseChanged"]),
        ("revise the goal", lambda c, ids: c.post(f"/cycles/{ids['cycle_id']}/goal",
                                                  {"goal": goal}),
         ["goal_revised", "phase_changed"], ["GoalRevised", "CyclePhaseChanged"]),
        ("close", lambda c, ids: c.post(f"/cycles/{ids['cycle_id']}/close",
                                        {"outcome": "met", "evidence": secret("doubled")}),
         ["closed"], ["CycleClosed"]),
        ("reopen", lambda c, ids: c.post(f"/cycles/{ids['cycle_id']}/reopen"),
         ["reopened"], ["CycleReopened"]),
    ]


def test_each_command_records_its_events_and_publishes_its_integration_events(
    platform: Platform, bus: Published,
) -> None:
    coach = Coach(platform)
    goal = {"what": secret("explain"), "measure": secret("tally"),
            "by": (today() + timedelta(days=30)).isoformat()}
    ids = {"cycle_id": coach.propose(goal=goal)}
    recorded = ["proposed"]
    published = ["CycleProposed"]
    assert [e["event"] for e in coach.timeline(ids["cycle_id"])] == recorded
    assert [e.event_type for e, _ in bus.of_stream(ids["cycle_id"], 1)] == published

    for what, command, stored, sent in steps():
        response = command(coach, ids)
        assert response is None or response.status_code in (200, 201), (what, response.text)
        recorded += stored
        published += sent
        assert [e["event"] for e in coach.timeline(ids["cycle_id"])] == recorded, what
        events = bus.of_stream(ids["cycle_id"], len(published))
        assert [e.event_type for e, _ in events] == published, what

    events = bus.of_stream(ids["cycle_id"], len(published))
    envelopes = [e for e, _ in events]
    assert all(e.source == "cycles" for e in envelopes)
    assert [e.position for e in envelopes] == sorted(e.position for e in envelopes)
    for envelope in envelopes:
        assert envelope.payload["cycle_id"] == uuid.UUID(ids["cycle_id"])
        assert envelope.payload["school_id"] == uuid.UUID(coach.school_id)
        assert envelope.payload["coach_id"] == uuid.UUID(coach.id)
    for envelope, raw in events:
        assert SECRET not in raw, envelope.event_type
    assert SECRET in str(coach.cycle(ids["cycle_id"]))  # the content is in the store

    by_type = {e.event_type: e.payload for e in reversed(envelopes)}  # the first of each
    assert by_type["CycleStarted"]["teacher_ids"] == [uuid.UUID(coach.teacher.id)]
    assert by_type["PartnershipNormsAgreed"]["norm_count"] == 2
    assert by_type["CalendarItemRescheduled"]["duration_minutes"] == 55
    assert (by_type["DebriefHeld"]["keeper_count"], by_type["DebriefHeld"]["polisher_count"],
            by_type["DebriefHeld"]["observation_count"]) == (1, 2, 1)
    assert by_type["ObservationLogged"]["tool"] == "response_tally"
    assert by_type["NextStepCompleted"]["complete_count"] == 1
    assert by_type["CycleClosed"]["outcome"] == "met"
    [started] = [e for e in envelopes if e.event_type == "CycleStarted"]
    assert started.actor is not None and str(started.actor.id) == coach.teacher.id


def test_a_decline_is_published_without_who_declined(platform: Platform, bus: Published) -> None:
    coach = Coach(platform)
    cycle_id = coach.propose()
    assert coach.teacher.decline(cycle_id).status_code == 200
    proposed, declined = (e for e, _ in bus.of_stream(cycle_id, 2))
    assert (proposed.event_type, declined.event_type) == ("CycleProposed", "CycleDeclined")
    assert proposed.payload["teacher_count"] == 1 and "teacher_ids" not in proposed.payload
    assert declined.actor is None
    assert coach.teacher.id not in str(declined.payload)
